"""Sentences as :class:`Tokens`: words, the whitespace after each, and protected spans.

A sentence is split into words by :func:`tokenize` and joined back exactly by
:meth:`Tokens.text`. Markup tags are words of their own: an opening tag ``<name>`` and its
closing tag ``</name>`` (``name`` matches ``[A-Za-z][A-Za-z0-9_-]*``) enclose a *span*, and
the tags and every word inside a span are protected: the edits of :class:`Tokens` refuse
them, so a text TF never changes or moves apart the entities of a relation
(``The <e1>company</e1> fabricates plastic <e2>chairs</e2>.``). Any user-chosen tag name
marks a protected span.

Examples
--------
>>> t = tokenize("The <e1>company</e1> fabricates plastic <e2>chairs</e2>.")
>>> t.to_list()
['The', '<e1>', 'company', '</e1>', 'fabricates', 'plastic', '<e2>', 'chairs', '</e2>', '.']
>>> t.spans(), t.editable()
([('e1', 1, 3), ('e2', 6, 8)], [0, 4, 5, 9])
>>> t.replace(5, "wooden").text()
'The <e1>company</e1> fabricates wooden <e2>chairs</e2>.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Tokens", "tokenize", "is_tag", "is_opening_tag", "OPENING_PUNCTUATION",
           "CLOSING_PUNCTUATION"]

_NAME = r"[A-Za-z][A-Za-z0-9_-]*"
_TAG = re.compile(rf"<(/?)({_NAME})>")
_WORD = r"\w+(?:['’-]\w+)*"
_TOKEN = re.compile(rf"(<{_NAME}>|</{_NAME}>|{_WORD}|\S)(\s*)")
_TOKEN_NO_MARKUP = re.compile(rf"({_WORD}|\S)(\s*)")
_LEAD = re.compile(r"\s*")
_SPACE = re.compile(r"\s")

#: Punctuation written without a space after it (``(word``).
OPENING_PUNCTUATION = frozenset("([{“‘«¿¡")
#: Punctuation written without a space before it (``word.``).
CLOSING_PUNCTUATION = frozenset(".,;:!?)]}”’»%…")


def is_tag(word: str) -> bool:
    """Whether ``word`` is a markup tag ``<name>`` or ``</name>``.

    Examples
    --------
    >>> is_tag("<e1>"), is_tag("</e1>"), is_tag("<1>"), is_tag("e1")
    (True, True, False, False)
    """
    return isinstance(word, str) and _TAG.fullmatch(word) is not None


def is_opening_tag(word: str) -> bool:
    """Whether ``word`` opens a span, ``<name>``.

    Examples
    --------
    >>> is_opening_tag("<e1>"), is_opening_tag("</e1>"), is_opening_tag("e1")
    (True, False, False)
    """
    tag = _tag(word) if isinstance(word, str) else None
    return tag is not None and not tag[0]


def _tag(word: str) -> tuple[bool, str] | None:
    """``(closing, name)`` of a tag, ``None`` for another word."""
    match = _TAG.fullmatch(word)
    return None if match is None else (match.group(1) == "/", match.group(2))


@dataclass(frozen=True)
class Tokens:
    """A tokenized sentence: words, the whitespace after each, and protected spans.

    Parameters
    ----------
    words : tuple of str
        Non-empty words without whitespace; tags ``<name>`` / ``</name>`` are words of their own.
    spaces : tuple of str
        The whitespace (possibly empty) after each word; same length as ``words``.
    lead : str
        Whitespace before the first word.

    Spans must be well nested and closed (XML-like: a closing tag closes the most recently
    opened span), and a span may not contain another span of the same name. Tokens are
    immutable: every edit returns new Tokens and refuses protected indices.

    Raises
    ------
    TypeError
        If a word or a space is not a ``str``.
    ValueError
        If the lengths differ, a word is empty or holds whitespace, a space holds anything but
        whitespace, or the markup is not well formed.

    Examples
    --------
    >>> Tokens(("<a>", "x", "</a>", "y"), ("", "", " ", "")).protected()
    (True, True, True, False)
    >>> Tokens(("<a>", "x"), ("", ""))
    Traceback (most recent call last):
    ...
    ValueError: Tokens: span <a> opened at word 0 is never closed
    """

    words: tuple[str, ...]
    spaces: tuple[str, ...]
    lead: str = ""
    _spans: tuple[tuple[str, int, int], ...] = field(init=False, repr=False, compare=False)
    _protected: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("words", "spaces"):
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise TypeError(f"Tokens: {name} must be a sequence of str, got {value!r:.80}")
            object.__setattr__(self, name, tuple(value))
        if len(self.words) != len(self.spaces):
            raise ValueError(
                f"Tokens: {len(self.words)} words but {len(self.spaces)} spaces; "
                "give one (possibly empty) space string after each word"
            )
        for i, word in enumerate(self.words):
            _check_word(word, f"word {i}")
        for i, space in enumerate((self.lead, *self.spaces)):
            where = "lead" if i == 0 else f"space {i - 1}"
            if not isinstance(space, str):
                raise TypeError(f"Tokens: {where} must be a str, got {type(space).__name__}")
            if space and not space.isspace():
                raise ValueError(f"Tokens: {where} must be whitespace only, got {space!r:.40}")
        spans = _find_spans(self.words)
        object.__setattr__(self, "_spans", tuple(spans))
        object.__setattr__(self, "_protected", _protection(self.words, self.spaces, spans))

    # --- building and reading ------------------------------------------------------------

    @classmethod
    def from_list(cls, words: Sequence[str]) -> Tokens:
        """Tokens from bare words, joined the way text is usually written.

        One space between words, except none after an opening tag or opening punctuation
        (``(``, ``“``...) and none before a closing tag or closing punctuation (``.``, ``,``,
        ``)``...); nothing after the last word.

        Examples
        --------
        >>> Tokens.from_list(["The", "<e1>", "company", "</e1>", "grew", "(", "a", "lot", ")",
        ...                   "."]).text()
        'The <e1>company</e1> grew (a lot).'
        """
        words = tuple(words)
        spaces = tuple(
            "" if i == len(words) - 1 or not _spaced(w, words[i + 1]) else " "
            for i, w in enumerate(words)
        )
        return cls(words, spaces)

    def __len__(self) -> int:
        return len(self.words)

    def text(self) -> str:
        """The sentence as a string: ``lead`` then each word followed by its space."""
        return self.lead + "".join(w + s for w, s in zip(self.words, self.spaces, strict=True))

    def to_list(self) -> list[str]:
        """The words, tags included."""
        return list(self.words)

    def plain_words(self) -> list[str]:
        """The words without tags (what a language model reads).

        Examples
        --------
        >>> tokenize("A <e1>red</e1> car").plain_words()
        ['A', 'red', 'car']
        """
        return [w for w in self.words if not is_tag(w)]

    def is_markup(self, i: int) -> bool:
        """Whether word ``i`` is a tag."""
        return is_tag(self.words[self._index(i)])

    def protected(self) -> tuple[bool, ...]:
        """For each word: True for tags and every word inside a span."""
        return self._protected

    def editable(self) -> list[int]:
        """Indices of the words an edit may change (those not protected)."""
        return [i for i, p in enumerate(self._protected) if not p]

    def spans(self) -> list[tuple[str, int, int]]:
        """``(name, index of the opening tag, index of the closing tag)`` by opening index."""
        return list(self._spans)

    def region(self, i: int) -> str:
        """``"between"`` if editable word ``i`` lies between the first two spans, else
        ``"outside"`` (also with fewer than two spans).

        Examples
        --------
        >>> t = tokenize("A <e1>b</e1> c <e2>d</e2> e")
        >>> [t.region(i) for i in t.editable()]
        ['outside', 'between', 'outside']
        """
        self._check_editable(i, "region")
        if len(self._spans) < 2:
            return "outside"
        first, second = self._spans[0], self._spans[1]
        return "between" if first[2] < i < second[1] else "outside"

    # --- edits ------------------------------------------------------------------------------

    def replace(self, i: int, word: str) -> Tokens:
        """New Tokens with editable word ``i`` replaced by ``word`` (not a tag)."""
        self._check_editable(i, "replace")
        _check_new_word(word)
        words = list(self.words)
        words[i] = word
        return Tokens(tuple(words), self.spaces, self.lead)

    def insert(self, i: int, word: str) -> Tokens:
        """New Tokens with ``word`` inserted before index ``i`` (``i == len(self)``: at the end).

        The gap must not lie inside a span (just before an opening tag or just after a closing
        tag is fine). The new word is separated by a space from its neighbours, except from
        opening punctuation on its left and closing punctuation on its right; the whitespace
        already in the gap stays on the new word's left (at the end: on its right).

        Examples
        --------
        >>> tokenize("Big <e1>cats</e1>.").insert(1, "old").text()
        'Big old <e1>cats</e1>.'
        >>> tokenize("Big <e1>cats</e1>.").insert(4, "too").text()
        'Big <e1>cats</e1> too.'
        """
        n = len(self.words)
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i <= n:
            raise ValueError(f"insert: index must be an int in [0, {n}], got {i!r}")
        for name, start, stop in self._spans:
            if start < i <= stop:
                raise ValueError(
                    f"insert: gap {i} lies inside span <{name}> (words {start}..{stop}); "
                    "spans are protected"
                )
        _check_new_word(word)
        words, spaces = list(self.words), list(self.spaces)
        if n == 0:
            return Tokens((word,), ("",), self.lead)
        if i == n:  # at the end: the old trailing whitespace follows the new word
            spaces[-1], after = (" " if _spaced(words[-1], word) else ""), spaces[-1]
        else:
            if i > 0:
                gap = spaces[i - 1]
                spaces[i - 1] = gap or (" " if _spaced(words[i - 1], word) else "")
            after = " " if _spaced(word, words[i]) else ""
        words.insert(i, word)
        spaces.insert(i, after)
        return Tokens(tuple(words), tuple(spaces), self.lead)

    def delete(self, i: int) -> Tokens:
        """New Tokens without editable word ``i``; the whitespace around it is merged.

        A deleted word takes its following whitespace with it, except that the last word's
        trailing whitespace moves to the word before it; closing punctuation that followed the
        deleted word attaches to the word before (``The cat.`` minus ``cat`` is ``The.``).

        Examples
        --------
        >>> tokenize("The big cat.").delete(1).text()
        'The cat.'
        >>> tokenize("The cat sat\\n").delete(2).text()
        'The cat\\n'
        """
        self._check_editable(i, "delete")
        words, spaces = list(self.words), list(self.spaces)
        lead = self.lead
        gap, after = (spaces[i - 1] if i > 0 else lead), spaces[i]
        del words[i], spaces[i]
        if i == len(words):  # deleted the last word
            if i > 0:
                spaces[i - 1] = after
            else:
                lead = lead + after
        elif i > 0:
            spaces[i - 1] = _merged_gap(words[i - 1], words[i], gap, after)
        return Tokens(tuple(words), tuple(spaces), lead)

    def swap(self, i: int, j: int) -> Tokens:
        """New Tokens with editable words ``i`` and ``j`` exchanged (spaces stay in place)."""
        self._check_editable(i, "swap")
        self._check_editable(j, "swap")
        words = list(self.words)
        words[i], words[j] = words[j], words[i]
        return Tokens(tuple(words), self.spaces, self.lead)

    # --- helpers ------------------------------------------------------------------------------

    def _index(self, i: int) -> int:
        n = len(self.words)
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
            raise ValueError(f"word index must be an int in [0, {n - 1}], got {i!r}")
        return i

    def _check_editable(self, i: int, what: str) -> None:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(self.words):
            raise ValueError(
                f"{what}: word index must be an int in [0, {len(self) - 1}], got {i!r}"
            )
        if self._protected[i]:
            raise ValueError(
                f"{what}: word {i} ({self.words[i]!r}) is protected (a tag or inside a span)"
            )


def _check_word(word: object, where: str) -> None:
    if not isinstance(word, str):
        raise TypeError(f"Tokens: {where} must be a str, got {type(word).__name__}")
    if not word:
        raise ValueError(f"Tokens: {where} is empty; words are non-empty strings")
    if _SPACE.search(word):
        raise ValueError(f"Tokens: {where} ({word!r:.40}) contains whitespace")


def _check_new_word(word: object) -> None:
    _check_word(word, "the new word")
    if is_tag(word):
        raise ValueError(f"an edit may not add a tag, got {word!r}; spans are fixed")


def _protection(
    words: tuple[str, ...], spaces: tuple[str, ...], spans: list[tuple[str, int, int]]
) -> tuple[bool, ...]:
    """For each word, whether it is protected: inside a span (tags included), or in a run of
    words written without whitespace between them that holds a ``<`` or ``>`` (``<1>``,
    ``</1>``, ``e1>``). Those runs are left untouched so that no edit can turn them into
    markup: replacing the ``1`` of ``<1>`` by ``first`` would forge a tag ``<first>``.
    Linear in the number of words."""
    depth = [0] * (len(words) + 1)
    for _, start, stop in spans:
        depth[start] += 1
        depth[stop + 1] -= 1
    protected, level = [], 0
    for change in depth[:-1]:
        level += change
        protected.append(level > 0)
    run_start, markup_like = 0, False
    for i, word in enumerate(words):
        markup_like |= ("<" in word or ">" in word) and not protected[i]
        if spaces[i] or i == len(words) - 1:  # the run ends after word i
            if markup_like:
                protected[run_start : i + 1] = [True] * (i + 1 - run_start)
            run_start, markup_like = i + 1, False
    return tuple(protected)


def _find_spans(words: Sequence[str]) -> list[tuple[str, int, int]]:
    """Spans of well-nested tags, sorted by opening index; ValueError naming a bad tag.
    Linear in the number of words (10,000 nested tags took a minute when it was not)."""
    stack: list[tuple[str, int]] = []
    open_names: set[str] = set()
    spans = []
    for i, word in enumerate(words):
        if "<" not in word:
            continue
        tag = _tag(word)
        if tag is None:
            continue
        closing, name = tag
        if not closing:
            if name in open_names:
                raise ValueError(f"Tokens: span <{name}> at word {i} is nested in another <{name}>")
            stack.append((name, i))
            open_names.add(name)
        elif not stack or stack[-1][0] != name:
            expected = f"</{stack[-1][0]}>" if stack else "no closing tag"
            raise ValueError(f"Tokens: closing tag </{name}> at word {i}, expected {expected}")
        else:
            spans.append((name, stack.pop()[1], i))
            open_names.discard(name)
    if stack:
        name, start = stack[-1]
        raise ValueError(f"Tokens: span <{name}> opened at word {start} is never closed")
    return sorted(spans, key=lambda s: s[1])


def _spaced(left: str, right: str) -> bool:
    """Whether text usually puts a space between ``left`` and ``right``."""
    left_tag, right_tag = _tag(left), _tag(right)
    if (left_tag is not None and not left_tag[0]) or (right_tag is not None and right_tag[0]):
        return False  # after an opening tag, before a closing tag
    return left not in OPENING_PUNCTUATION and right not in CLOSING_PUNCTUATION


def _merged_gap(left: str, right: str, gap: str, after: str) -> str:
    """The whitespace between ``left`` and ``right`` once the word between them is deleted."""
    if gap and after:
        return gap
    if not _spaced(left, right):
        return ""
    if gap or after:
        return gap or after
    return " " if left[-1].isalnum() and right[0].isalnum() else ""


def tokenize(text: str, *, markup: bool = True) -> Tokens:
    """Split ``text`` into :class:`Tokens`; ``tokenize(text).text() == text`` exactly.

    Words are tags (``<name>``, ``</name>``), runs like ``\\w+(?:['’-]\\w+)*`` (``don't``,
    ``state-of-the-art``) or any single other non-space character (punctuation). Whitespace of
    any kind (spaces, tabs, CRLF, unicode spaces) is kept: before the first word in ``lead``,
    after each word in ``spaces``.

    Parameters
    ----------
    text : str
    markup : bool
        Read tags as markup (default). With ``False`` a tag is plain characters
        (``<``, ``e1``, ``>``), so every string tokenizes, malformed markup included.

    Raises
    ------
    TypeError
        If ``text`` is not a str.
    ValueError
        If ``markup`` and the tags are not well formed (a span never closed, a stray closing
        tag, a span inside another of the same name).

    Examples
    --------
    >>> t = tokenize("  It's <e1>state-of-the-art</e1>,\\r\\n ok ")
    >>> t.lead, t.words[:4], t.spaces[:4]
    ('  ', ("It's", '<e1>', 'state-of-the-art', '</e1>'), (' ', '', '', ''))
    >>> t.text() == "  It's <e1>state-of-the-art</e1>,\\r\\n ok "
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    lead = _LEAD.match(text).group(0)
    pattern = _TOKEN if markup else _TOKEN_NO_MARKUP
    words, spaces = [], []
    for match in pattern.finditer(text, len(lead)):
        words.append(match.group(1))
        spaces.append(match.group(2))
    return Tokens(tuple(words), tuple(spaces), lead)
