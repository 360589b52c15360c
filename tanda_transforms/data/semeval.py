"""SemEval-2010 Task 8: relations between two marked nominals of a sentence.

The official release is a ``.tar.gz`` whose training file ``TRAIN_FILE.TXT`` holds 8,000
labelled sentences and whose ``TEST_FILE_FULL.TXT`` holds the 2,717 test sentences with their
directional labels. Both are ASCII with CRLF line ends, in blocks of four lines::

    1<TAB>"The system as described above has its greatest application in an arrayed
           <e1>configuration</e1> of antenna <e2>elements</e2>."
    Component-Whole(e2,e1)
    Comment: Not a collection: there is structure here, organisation.
    <blank line>

:func:`load_semeval` reads either file straight from the archive (or from an extracted
folder) and checks the format; any deviation raises :class:`SemEvalFormatError` naming the
file and line.
"""

from __future__ import annotations

import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ._common import PathLike, _check_split

__all__ = [
    "RELATIONS",
    "RELATION_LABELS",
    "SEMEVAL_FILES",
    "MarkupError",
    "RelationExample",
    "SemEvalFormatError",
    "check_markup",
    "load_semeval",
    "parse_semeval",
    "undirected",
]

#: The nine relations of the task, in the scorer's (alphabetical) order.
RELATIONS: tuple[str, ...] = (
    "Cause-Effect",
    "Component-Whole",
    "Content-Container",
    "Entity-Destination",
    "Entity-Origin",
    "Instrument-Agency",
    "Member-Collection",
    "Message-Topic",
    "Product-Producer",
)

#: The 19 labels: ``Other``, then each relation as ``(e1,e2)`` and as ``(e2,e1)``. A label's
#: index here is its class index in the end model.
RELATION_LABELS: tuple[str, ...] = ("Other",) + tuple(
    f"{relation}({first},{second})"
    for relation in RELATIONS
    for first, second in (("e1", "e2"), ("e2", "e1"))
)

#: File name of each split inside the release (searched for by name in the archive/folder).
SEMEVAL_FILES: dict[str, str] = {"train": "TRAIN_FILE.TXT", "test": "TEST_FILE_FULL.TXT"}

_TAGS = ("<e1>", "</e1>", "<e2>", "</e2>")
_ID_LINE = re.compile(r'^(\d+)\t"(.*)"$')
_LABELS = frozenset(RELATION_LABELS)


class SemEvalFormatError(ValueError):
    """A SemEval-2010 Task 8 file that deviates from the release's format."""


class MarkupError(ValueError):
    """A sentence whose ``<e1>...</e1>``, ``<e2>...</e2>`` markup is missing or broken."""


@dataclass(frozen=True)
class RelationExample:
    """One labelled sentence of SemEval-2010 Task 8.

    Attributes
    ----------
    id
        Sentence id of the release (1-8000 train, 8001-10717 test).
    sentence
        The sentence as in the file, without its surrounding double quotes, the nominals
        marked ``<e1>...</e1>`` and ``<e2>...</e2>``.
    label
        One of :data:`RELATION_LABELS`, e.g. ``"Component-Whole(e2,e1)"`` or ``"Other"``.
    comment
        The annotators' comment (the text after ``Comment:``, stripped; often empty).

    Examples
    --------
    >>> ex = RelationExample(2, "The <e1>child</e1> was wrapped into the <e2>cradle</e2>.",
    ...                      "Other", "")
    >>> ex.relation, ex.label_index
    ('Other', 0)
    """

    id: int
    sentence: str
    label: str
    comment: str = ""

    @property
    def relation(self) -> str:
        """The label without its direction, e.g. ``"Component-Whole"``."""
        return undirected(self.label)

    @property
    def label_index(self) -> int:
        """Index of the label in :data:`RELATION_LABELS`."""
        return RELATION_LABELS.index(self.label)


def undirected(label: str) -> str:
    """A label without its ``(e1,e2)``/``(e2,e1)`` suffix.

    Examples
    --------
    >>> undirected("Message-Topic(e2,e1)"), undirected("Other")
    ('Message-Topic', 'Other')
    """
    return re.sub(r"\(e[12],e[12]\)$", "", label)


def check_markup(sentence: str) -> None:
    """Raise :class:`MarkupError` unless ``sentence`` marks two nominals properly.

    Each of ``<e1>``, ``</e1>``, ``<e2>``, ``</e2>`` must occur exactly once, each opening
    tag before its closing tag, and each nominal must hold some non-blank text.

    Examples
    --------
    >>> check_markup("a <e1>cat</e1> on a <e2>mat</e2>")
    >>> try:
    ...     check_markup("a cat on a <e2>mat</e2>")
    ... except MarkupError as error:
    ...     print(error)
    expected '<e1>' once, found it 0 times in 'a cat on a <e2>mat</e2>'
    """
    for tag in _TAGS:
        count = sentence.count(tag)
        if count != 1:
            raise MarkupError(f"expected {tag!r} once, found it {count} times in {sentence!r}")
    for name in ("e1", "e2"):
        start, end = sentence.index(f"<{name}>"), sentence.index(f"</{name}>")
        if end < start:
            raise MarkupError(f"</{name}> comes before <{name}> in {sentence!r}")
        if not sentence[start + len(name) + 2 : end].strip():
            raise MarkupError(f"the {name} nominal is empty in {sentence!r}")


def parse_semeval(text: str, source: str = "<text>") -> list[RelationExample]:
    """Parse the contents of a SemEval-2010 Task 8 file (``TRAIN_FILE.TXT`` format).

    Line ends may be CRLF or LF. Blocks are ``id<TAB>"sentence"``, the label, a line starting
    with ``Comment:``, and a blank line (blank lines between blocks are skipped).

    Parameters
    ----------
    text
        The file's contents.
    source
        What to call the file in error messages.

    Returns
    -------
    list of RelationExample
        In file order.

    Raises
    ------
    SemEvalFormatError
        On a malformed line, an unknown label, broken ``<e1>``/``<e2>`` markup, a repeated id
        or a file with no example; the message names ``source`` and the line number.

    Examples
    --------
    >>> block = ('7\\t"A <e1>cup</e1> of <e2>tea</e2>."\\r\\nContent-Container(e2,e1)\\r\\n'
    ...          'Comment:\\r\\n\\r\\n')
    >>> [(ex.id, ex.sentence, ex.label) for ex in parse_semeval(block)]
    [(7, 'A <e1>cup</e1> of <e2>tea</e2>.', 'Content-Container(e2,e1)')]
    >>> try:
    ...     parse_semeval(block.replace("Content-Container", "Contents"), "demo.txt")
    ... except SemEvalFormatError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    demo.txt:2: unknown label 'Contents(e2,e1)'; expected one of RELATION_LABELS ...
    """
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line end
    examples: list[RelationExample] = []
    seen: dict[int, int] = {}
    number = 0
    while number < len(lines):
        if not lines[number].strip():
            number += 1
            continue
        example = _parse_block(lines, number, source)
        if example.id in seen:
            raise SemEvalFormatError(
                f"{source}:{number + 1}: id {example.id} repeats the id of line {seen[example.id]}"
            )
        seen[example.id] = number + 1
        examples.append(example)
        number += 4
    if not examples:
        raise SemEvalFormatError(f'{source}: no examples found (expected id<TAB>"sentence" lines)')
    return examples


def _parse_block(lines: list[str], start: int, source: str) -> RelationExample:
    """The example whose id line is ``lines[start]`` (0-based); checks its four lines."""

    def line(offset: int) -> str:
        index = start + offset
        return lines[index] if index < len(lines) else ""

    def fail(offset: int, message: str) -> SemEvalFormatError:
        return SemEvalFormatError(f"{source}:{start + offset + 1}: {message}")

    match = _ID_LINE.match(line(0))
    if match is None:
        raise fail(0, f'expected id<TAB>"sentence", got {line(0)!r}')
    sentence = match.group(2)
    try:
        check_markup(sentence)
    except MarkupError as error:
        raise fail(0, str(error)) from None
    label = line(1)
    if label not in _LABELS:
        raise fail(
            1,
            f"unknown label {label!r}; expected one of RELATION_LABELS "
            f"(e.g. 'Other', 'Cause-Effect(e1,e2)')",
        )
    if not line(2).startswith("Comment:"):
        raise fail(2, f"expected a line starting with 'Comment:', got {line(2)!r}")
    if start + 3 < len(lines) and line(3).strip():
        raise fail(3, f"expected a blank line after the comment, got {line(3)!r}")
    return RelationExample(int(match.group(1)), sentence, label, line(2)[len("Comment:") :].strip())


def load_semeval(path: PathLike, split: str = "train") -> list[RelationExample]:
    """Read the training or test sentences of SemEval-2010 Task 8.

    Parameters
    ----------
    path
        The release archive ``SemEval2010_task8_all_data.tar.gz`` (any tar file works; it is
        read directly, nothing is extracted), a folder holding the extracted release, or the
        split's text file itself.
    split
        ``"train"``: ``TRAIN_FILE.TXT`` (8,000 sentences); ``"test"``: ``TEST_FILE_FULL.TXT``
        (2,717 sentences with directional labels). The file is found by name anywhere in the
        archive or folder.

    Returns
    -------
    list of RelationExample
        In file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist or holds no file of the split's name.
    SemEvalFormatError
        If the file is malformed (see :func:`parse_semeval`) or its name is in the archive
        or folder more than once.

    Examples
    --------
    >>> train = load_semeval("../shared/data/semeval2010-task8/"
    ...                      "SemEval2010_task8_all_data.tar.gz")  # doctest: +SKIP
    >>> len(train), train[0].label  # doctest: +SKIP
    (8000, 'Component-Whole(e2,e1)')
    """
    split = _check_split(split)
    name = SEMEVAL_FILES[split]
    path = Path(path)
    if path.is_dir():
        text, source = _read_from_folder(path, name)
    elif path.is_file() and tarfile.is_tarfile(path):
        text, source = _read_from_tar(path, name)
    elif path.is_file():
        text, source = _decode(path.read_bytes(), str(path)), str(path)
    else:
        raise FileNotFoundError(f"SemEval-2010 Task 8 data not found: {path}")
    return parse_semeval(text, source)


def _decode(blob: bytes, source: str) -> str:
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SemEvalFormatError(f"{source}: not UTF-8/ASCII text ({error})") from None


def _read_from_tar(path: Path, name: str) -> tuple[str, str]:
    with tarfile.open(path) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and _basename(m.name) == name]
        if not members:
            raise FileNotFoundError(f"{path}: the archive holds no {name}")
        if len(members) > 1:
            listing = ", ".join(m.name for m in members)
            raise SemEvalFormatError(f"{path}: {name} is in the archive more than once: {listing}")
        source = f"{path}:{members[0].name}"
        handle = archive.extractfile(members[0])
        assert handle is not None  # a regular file
        return _decode(handle.read(), source), source


def _read_from_folder(path: Path, name: str) -> tuple[str, str]:
    found = sorted(p for p in path.rglob(name) if p.is_file())
    if not found:
        raise FileNotFoundError(f"{path}: no {name} in this folder or below")
    if len(found) > 1:
        listing = ", ".join(os.fspath(p) for p in found)
        raise SemEvalFormatError(f"{path}: {name} found more than once: {listing}")
    return _decode(found[0].read_bytes(), str(found[0])), str(found[0])


def _basename(member_name: str) -> str:
    return member_name.rstrip("/").rsplit("/", 1)[-1]
