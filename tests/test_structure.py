"""Structure checks: no import cycle among the package's modules, no long module unexplained.

The import graph is read from the source with ``ast`` (nothing is imported):

* nodes: every module of ``tanda_transforms`` (a package by its ``__init__``);
* edges, counted alike at module level and inside functions and methods (a lazy import only
  delays a cycle): every ``import`` and ``from ... import`` of a package module;
  ``from package import name`` imports ``package.name`` when that is a module, else
  ``package``; importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so those are
  edges too, except the packages that contain the importing module (Python has started them
  before it);
* not counted: imports under ``if TYPE_CHECKING:`` (they never run) and ``importlib`` calls
  with a computed name (the lazy ``__getattr__`` of ``tanda_transforms/__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tanda_transforms"
#: A module longer than this says why at the top of its docstring, in a paragraph "Size: ...".
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node):
            children = node.orelse
        stack.extend(children)
    return found


def _imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Package modules that ``name`` (at ``path``) imports explicitly."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            full = f"{base}.{alias.name}"
            targets.add(full if full in modules else base)
    return {t for t in targets if t in modules}


def _with_parents(target: str, importer: str) -> set[str]:
    """``target`` and the packages above it that importing it runs, for ``importer``."""
    parts, own = target.split("."), importer.split(".")
    parents = {".".join(parts[:i]) for i in range(1, len(parts))}
    started = {".".join(own[:i]) for i in range(1, len(own) + 1)}
    return {target} | (parents - started)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules importing it runs (see the module docstring)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imported(name, path, modules):
            edges |= _with_parents(target, name)
        graph[name] = edges - {name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a list of modules, first repeated last) per strongly connected group
    (Tarjan's algorithm): an empty list when the graph has none."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(group, graph) for group in groups]


def _cycle_in(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the group's first module (breadth-first)."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (one per group of modules that import each other):\n" + (
        "\n".join(" -> ".join(cycle) for cycle in cycles)
    )


def test_the_graph_sees_lazy_imports_and_parent_packages() -> None:
    """The checker itself: a function-level import is an edge, and so is the package
    ``__init__`` an import runs; a TYPE_CHECKING import is not."""
    graph = import_graph()
    assert "tanda_transforms.show" in graph["tanda_transforms.policy"]  # inside __repr__
    assert "tanda_transforms.policy" not in graph["tanda_transforms.show"]  # TYPE_CHECKING
    assert "tanda_transforms.domains" in graph["tanda_transforms"]  # the built-ins loader
    mammography = graph["tanda_transforms.domains.mammography"]
    assert "tanda_transforms.domains.lesion_pool" in mammography
    assert "tanda_transforms.domains" not in mammography  # its own package: started first
    transplant = graph["tanda_transforms.domains.transplant"]
    assert "tanda_transforms.functional" in transplant
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_long_modules_say_why() -> None:
    """A module over MAX_LINES lines opens its docstring with a reason ("Size: ...")."""
    unexplained = []
    for name, path in _modules().items():
        text = path.read_text()
        lines = text.count("\n")
        if lines <= MAX_LINES:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not any(paragraph.startswith("Size: ") for paragraph in doc.split("\n\n")):
            unexplained.append(f"{name} ({lines} lines)")
    assert not unexplained, (
        f"modules over {MAX_LINES} lines without a 'Size: ...' paragraph in their docstring "
        f"saying why: {', '.join(unexplained)}"
    )
