"""Structure checks: no import cycle, no import of another subpackage's private name, no long
module unexplained.

Everything is read from the source with ``ast`` (nothing is imported), for any package folder
(the checks run on ``tanda_transforms``, and on small planted trees to show they can fail).

The import graph (:func:`import_graph`, checked by :func:`find_cycles`):

* nodes: every module of the package (a package by its ``__init__``);
* edges, counted alike at module level and inside functions and methods (a lazy import only
  delays a cycle): every ``import`` and ``from ... import`` of a package module;
  ``from package import name`` imports ``package.name`` when that is a module, else
  ``package``; importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``, so those are
  edges too, except the packages that contain the importing module (Python has started them
  before it);
* a cycle is any closed path, of any length (strongly connected groups, Tarjan's algorithm);
* not counted: imports under ``if TYPE_CHECKING:`` (they never run) and ``importlib`` calls
  with a computed name (the lazy ``__getattr__`` of ``tanda_transforms/__init__``);
* a second check counts the ``TYPE_CHECKING`` imports too (an annotation-only import still
  ties two modules together, so a module may not annotate with a module that imports it;
  the ``SequencePolicy`` protocol of ``sequence.py`` is how modules that ``policy.py``
  imports type a policy), all but those of the root ``__init__``, which mirror its lazy
  exports for type checkers.

Private names (:func:`private_imports`): a name is private when a component of its dotted path
starts with ``_`` (dunders such as ``__version__`` are not private). The **owner** of the first
private component is the module or package right above it: for ``a.b._c`` it is ``a.b``, a
package (``_c`` a private module of it, or a private name of ``a/b/__init__``) or a module
(``_c`` a private name defined in ``a/b.py``). Only the owner and what lies inside it may use
the name: for a package, its ``__init__`` and every module and subpackage under it; for a
module, the module itself. Anywhere else it is another subpackage's (or module's) private
name, and the check fails. So ``tanda_transforms.ops._torch_common`` and every name in it
belong to ``tanda_transforms.ops`` (its ``photometric/filters.py`` may import
``_torch_common._by_group``, ``tanda_transforms.batched.render`` may not);
``tanda_transforms._convert`` belongs to the whole package; ``_stages`` of
``tanda_transforms/sequence.py`` belongs to that module alone. Counted, at any depth and under
``TYPE_CHECKING`` too: ``import a.b._c``, ``from a.b import _c``, ``from a.b._c import d``,
relative forms of these, and attribute access through a name bound to a package module
(``from a import b`` then ``b._c``). Not counted: other distributions' privates
(``torch.utils._pytree``), which are not this package's to keep, and private attributes of
objects (``warp._inverse``, ``tf._spec``), which need the object's type to be seen (review
catches those).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tanda_transforms"
#: A module longer than this says why at the top of its docstring, in a paragraph "Size: ...".
MAX_LINES = 600


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST, annotations: bool = False) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:`` (unless
    ``annotations``)."""
    found, stack = [], [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        children = list(ast.iter_child_nodes(node))
        if isinstance(node, ast.If) and _is_type_checking(node) and not annotations:
            children = node.orelse
        stack.extend(children)
    return found


def _own_package(name: str, path: Path) -> str:
    """The package a module's relative imports start from."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _from_base(node: ast.ImportFrom, package: str) -> str:
    """The absolute module name a ``from ... import`` reads from."""
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, *([base] if base else [])])
    return base


def _imported(name: str, path: Path, modules: dict[str, Path], annotations: bool) -> set[str]:
    """Package modules that ``name`` (at ``path``) imports explicitly."""
    package = _own_package(name, path)
    targets = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path)), annotations):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        base = _from_base(node, package)
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


def import_graph(root: Path = PACKAGE, annotations: bool = False) -> dict[str, set[str]]:
    """Module -> the package modules importing it runs (see the module docstring); with
    ``annotations``, also those it imports under ``TYPE_CHECKING``, except the root
    ``__init__``'s (the mirror of its lazy exports, for type checkers)."""
    modules = _modules(root)
    graph = {}
    for name, path in modules.items():
        edges = set()
        for target in _imported(name, path, modules, annotations and name != root.name):
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


# --- private names ----------------------------------------------------------------------------


def _is_private(part: str) -> bool:
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _owner(dotted: str, modules: dict[str, Path]) -> str | None:
    """The module or package owning the first private component of ``dotted`` (see the
    module docstring), or None when nothing in it is a private name of the package."""
    parts = dotted.split(".")
    first = next((i for i, part in enumerate(parts) if _is_private(part)), None)
    if first is None:
        return None
    for end in range(first, 0, -1):  # the deepest module above the private component
        prefix = ".".join(parts[:end])
        if prefix in modules:
            return prefix
    return None


def _dotted(node: ast.AST) -> list[str] | None:
    """``a.b.c`` of an attribute chain of plain names, as ``["a", "b", "c"]``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else None


def _names_used(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every package name the module imports or reaches through
    a name bound to a package module (at any depth, ``TYPE_CHECKING`` blocks included)."""
    package, used, bound = _own_package(name, path), [], {}
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                used.append((node.lineno, alias.name))
                local = alias.asname or alias.name.partition(".")[0]
                bound[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, package)
            for alias in node.names:
                used.append((node.lineno, f"{base}.{alias.name}"))
                if f"{base}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{base}.{alias.name}"
    for node in ast.walk(tree):
        chain = _dotted(node) if isinstance(node, ast.Attribute) else None
        if chain and chain[0] in bound:
            used.append((node.lineno, ".".join([bound[chain[0]], *chain[1:]])))
    return used


def private_imports(root: Path = PACKAGE) -> list[tuple[str, str, str]]:
    """``(importer, private name, "line N: owned by P")`` for every use of another
    subpackage's or module's private name (see the module docstring), sorted, one per
    importer and name."""
    modules = _modules(root)
    found = {}
    for name, path in modules.items():
        for line, dotted in _names_used(name, path, modules):
            owner = _owner(dotted, modules)
            if owner is None or name == owner or name.startswith(owner + "."):
                continue
            parts = dotted.split(".")
            private = ".".join(parts[: next(i for i, p in enumerate(parts) if _is_private(p)) + 1])
            found.setdefault((name, private), f"line {line}: owned by {owner}")
    return sorted((importer, private, where) for (importer, private), where in found.items())


#: Uses of another subpackage's private names that this branch leaves to the branch that
#: owns the importing file: ``(importer, private name)``. Delete an entry with its use (the
#: test fails on entries that no longer occur, so the list cannot outlive its reasons).
ALLOWED_PRIVATE_IMPORTS: set[tuple[str, str]] = set()


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph()
    cycles = find_cycles(graph)
    assert not cycles, "import cycles (one per group of modules that import each other):\n" + (
        "\n".join(" -> ".join(cycle) for cycle in cycles)
    )


def test_no_circle_even_through_annotation_only_imports() -> None:
    cycles = find_cycles(import_graph(annotations=True))
    assert not cycles, "import cycles, annotation-only imports counted:\n" + (
        "\n".join(" -> ".join(cycle) for cycle in cycles)
    )


def test_the_graph_sees_lazy_imports_and_parent_packages() -> None:
    """The checker itself: a function-level import is an edge, and so is the package
    ``__init__`` an import runs; a TYPE_CHECKING import is not."""
    graph = import_graph()
    assert "tanda_transforms.show" in graph["tanda_transforms.policy"]  # inside __repr__
    assert "tanda_transforms.policy" not in graph["tanda_transforms"]  # TYPE_CHECKING only
    assert "tanda_transforms.domains" in graph["tanda_transforms"]  # the built-ins loader
    mammography = graph["tanda_transforms.domains.mammography"]
    assert "tanda_transforms.domains.lesion_pool" in mammography
    assert "tanda_transforms.domains" not in mammography  # its own package: started first
    transplant = graph["tanda_transforms.domains.transplant"]
    assert "tanda_transforms.functional" in transplant
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_uses_another_subpackages_private_names() -> None:
    found = {(importer, name): where for importer, name, where in private_imports()}
    unexpected = sorted(set(found) - ALLOWED_PRIVATE_IMPORTS)
    assert not unexpected, "private names used outside their owner (module docstring):\n" + (
        "\n".join(f"{importer} uses {name} ({found[importer, name]})"
                  for importer, name in unexpected)
    )
    stale = sorted(ALLOWED_PRIVATE_IMPORTS - set(found))
    assert not stale, f"allow-list entries that no longer occur (delete them): {stale}"


def _plant(root: Path, files: dict[str, str]) -> Path:
    """A package tree under ``root`` from ``{relative path: source}``; returns the package."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root / "pkg"


def test_cycle_check_fails_on_planted_cycles_lazy_and_long(tmp_path: Path) -> None:
    """A cycle of three modules closed by a function-level import is found; an import under
    ``TYPE_CHECKING`` closes one only when annotations count; a tree without cycles passes."""
    lazy = "def f():\n    import pkg.b\n"
    package = _plant(tmp_path / "cyclic", {
        "pkg/__init__.py": "",
        "pkg/a.py": lazy,
        "pkg/b.py": "from pkg import c\n",
        "pkg/c.py": "from . import a\n",
        "pkg/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.e\n",
        "pkg/e.py": "import pkg.d\n",
    })
    assert find_cycles(import_graph(package)) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    assert find_cycles(import_graph(package, annotations=True)) == [
        ["pkg.a", "pkg.b", "pkg.c", "pkg.a"], ["pkg.d", "pkg.e", "pkg.d"]]
    acyclic = _plant(tmp_path / "acyclic", {
        "pkg/__init__.py": "", "pkg/a.py": lazy, "pkg/b.py": "from pkg import c\n",
        "pkg/c.py": "import os\n",
    })
    assert find_cycles(import_graph(acyclic)) == []


def test_private_check_fails_on_planted_private_imports(tmp_path: Path) -> None:
    """Every form the module docstring lists is caught outside the owner, none inside it."""
    package = _plant(tmp_path, {
        "pkg/__init__.py": "_top = 1\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/_impl.py": "helper = 1\n",
        "pkg/sub/mod.py": "def _hidden():\n    pass\n\n\ndef uses_own():\n    _hidden()\n",
        "pkg/sub/inner.py": "from pkg.sub._impl import helper\nfrom ._impl import helper as h\n",
        "pkg/sub/deep/__init__.py": "from pkg.sub import _impl\n",
        "pkg/other.py": (
            "import pkg.sub._impl\n"
            "from pkg.sub import mod\n"
            "from pkg import _top\n"
            "import pkg.sub.mod as m\n"
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from .sub._impl import helper\n"
            "def f():\n"
            "    from pkg.sub.mod import _hidden\n"
            "    return mod._hidden, m._hidden, mod.uses_own, pkg.sub.mod._hidden\n"
        ),
        "pkg/sub/sibling.py": "from pkg.sub.mod import _hidden\n",
    })
    assert [(importer, name) for importer, name, _ in private_imports(package)] == [
        ("pkg.other", "pkg.sub._impl"),
        ("pkg.other", "pkg.sub.mod._hidden"),
        ("pkg.sub.sibling", "pkg.sub.mod._hidden"),
    ]
    assert private_imports(package)[0][2] == "line 1: owned by pkg.sub"


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
