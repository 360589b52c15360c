"""Text ops: word edits of a :class:`~tanda_transforms.text.Tokens` that keep spans intact.

Every op is registered with ``kind="text"`` and ``random=True``: it takes the tokens first and
a keyword ``rng``, returns new tokens, and returns its input unchanged when it cannot act (no
editable word of the kind it edits, no candidate). No op edits, moves or splits a protected
span (tags and the words inside them): edits go through :class:`Tokens`, which refuses
protected indices. Punctuation (a word without a letter or digit) is never swapped, deleted
or inserted, except by the destructive ``shuffle_words`` and ``random_words``.

Ops that read a language model take ``lm``: the key of a model registered with
:func:`~tanda_transforms.text.register_language_model`. A policy file may only name a key
already registered in the process that loads it (never a path: nothing is read from disk).

- ``lm_swap``: the paper's conditional word swap. A random editable word is replaced by a
  word the model proposes given the words before and after it (see
  :meth:`NGramLM.candidates <tanda_transforms.text.NGramLM.candidates>`), drawn in proportion
  to its probability among the ranks ``[skip, skip + top)`` (``top`` in [1, 1000], ``skip``
  in [0, 1000]); the new word copies the capitalisation of the old one (Title, UPPER, lower).
- EDA edits (Wei & Zou 2019), one edit per call: ``word_swap``, ``word_delete`` and
  ``word_insert``. EDA inserts WordNet synonyms; WordNet needs a data download, which cannot
  be done offline, so ``word_insert`` draws the new word from the model's continuation
  unigram distribution instead, and EDA's synonym replacement is ``lm_swap``'s job.
- Destructive TFs, for tests that learning suppresses them: ``shuffle_words`` and
  ``random_words``.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.text import NGramLM, register_language_model, tokenize
>>> key = register_language_model(NGramLM.fit(["The cat sat.", "The dog sat.", "A cow ran."]))
>>> t = tokenize("The <e1>cat</e1> sat on the mat.")
>>> lm_swap(t, key, where="outside", word_class="function", rng=np.random.default_rng(0)).text()
'The <e1>cat</e1> sat on a mat.'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tanda_transforms.registry import register_op
from tanda_transforms.text.lm import NGramLM, get_language_model, registered_language_models
from tanda_transforms.text.tokens import CLOSING_PUNCTUATION, Tokens

__all__ = [
    "FUNCTION_WORDS",
    "lm_swap",
    "word_swap",
    "word_delete",
    "word_insert",
    "shuffle_words",
    "random_words",
]

#: English function words (determiners, prepositions, pronouns, conjunctions, auxiliaries and
#: a few particles), lowercased. A *content* word is an alphabetic word not in this set.
FUNCTION_WORDS = frozenset("""
a an the this that these those my your his her its our their some any no every each either
neither all both few many much more most several such another other what which whose
about above across after against along among around as at before behind below beneath
beside between beyond by despite down during except for from in inside into like near of
off on onto out outside over past since through throughout to toward towards under until up
upon via with within without
i me you he him she it we us they them myself yourself himself herself itself ourselves
themselves who whom whoever whatever mine yours hers ours theirs one someone something
anyone anything everyone everything nobody nothing
and but or nor so yet if because although though while whereas unless whether than once
when where why how then
be am is are was were been being have has had having do does did can could may might must
shall should will would
not there here also very too just only even
don't doesn't didn't can't couldn't won't wouldn't isn't aren't wasn't weren't hasn't
haven't hadn't shouldn't
""".split())

WHERE = ("any", "between", "outside")
WORD_CLASSES = ("any", "content", "function")
MIN_WORDS_AFTER_DELETE = 3  # word_delete keeps at least this many editable words

_WORDLIKE = re.compile(r"\w")
_ALPHA = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MASKS: dict[tuple[str, str], np.ndarray] = {}
_MAX_MASKS = 32


def in_class(word: str, word_class: str) -> bool:
    """Whether ``word`` belongs to ``word_class`` (``"any"``: has a letter or digit).

    Examples
    --------
    >>> [in_class(w, "content") for w in ("Company", "the", ",", "1990", "state-of-the-art")]
    [True, False, False, False, True]
    """
    if word_class == "any":
        return _WORDLIKE.search(word) is not None
    lower = word.lower()
    if word_class == "function":
        return lower in FUNCTION_WORDS
    if word_class == "content":
        return _ALPHA.fullmatch(word) is not None and lower not in FUNCTION_WORDS
    if word_class == "alpha":
        return _ALPHA.fullmatch(word) is not None
    raise ValueError(f"word_class must be one of {WORD_CLASSES}, got {word_class!r}")


def copy_case(word: str, template: str) -> str:
    """``word`` written with the capitalisation of ``template`` (UPPER, Title or as is).

    Examples
    --------
    >>> [copy_case("dog", template) for template in ("CAT", "Cat", "I", "cat")]
    ['DOG', 'Dog', 'Dog', 'dog']
    """
    if len(template) > 1 and template.isupper():
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def _class_mask(lm: NGramLM, word_class: str) -> np.ndarray:
    """Bool array over ``lm.vocab``: the words of ``word_class`` (cached per model)."""
    key = (lm.key, word_class)
    mask = _MASKS.get(key)
    if mask is None:
        mask = np.array([in_class(w, word_class) for w in lm.vocab], bool)
        mask[:3] = False  # <s>, </s>, <unk>
        mask.flags.writeable = False
        while len(_MASKS) >= _MAX_MASKS:
            _MASKS.pop(next(iter(_MASKS)))
        _MASKS[key] = mask
    return mask


def _check_tokens(tokens: object, op: str) -> Tokens:
    if not isinstance(tokens, Tokens):
        raise TypeError(
            f"{op}: expected Tokens (see tanda_transforms.text.tokenize), "
            f"got {type(tokens).__name__}"
        )
    return tokens


def registered_lm_only(op: str) -> Callable[[Mapping[str, Any]], None]:
    """The file check of ``op``: its ``lm`` must be a key registered in this process."""

    def check(args: Mapping[str, Any]) -> None:
        key = args.get("lm")
        if not isinstance(key, str) or key not in registered_language_models():
            raise ValueError(
                f"TF {op}: a policy file may only name a registered language model key, and "
                f"{key!r:.80} is not registered (registered: "
                f"{registered_language_models() or 'none'}); register the model before "
                "loading: register_language_model(NGramLM.load('model.npz'))"
            )

    return check


def _pick(rng: np.random.Generator, items: list[int]) -> int:
    return items[int(rng.integers(len(items)))]


def _wordlike(tokens: Tokens) -> list[int]:
    """Editable words with a letter or digit (not punctuation)."""
    return [i for i in tokens.editable() if _WORDLIKE.search(tokens.words[i])]


def _in(tokens: Tokens, indices: list[int], where: str) -> list[int]:
    """The editable ``indices`` in region ``where`` (``"any"``: all of them)."""
    return indices if where == "any" else [i for i in indices if tokens.region(i) == where]


def _gap_region(tokens: Tokens, gap: int) -> str:
    """Where a word inserted before index ``gap`` would sit: between the first two spans
    (after the first's closing tag, up to the second's opening tag) or outside them."""
    spans = tokens.spans()
    if len(spans) >= 2 and spans[0][2] < gap <= spans[1][1]:
        return "between"
    return "outside"


# --- the paper's conditional word swap -------------------------------------------------------


#: Words ``lm_swap`` takes from the left context before re-ranking them with the right one.
#: With only ``top + 1`` (measured on SemEval test sentences), the pool held whatever may
#: start a phrase after the left context, and the draw often broke the phrase after it.
CANDIDATE_POOL = 100


@register_op(
    "lm_swap",
    kind="text",
    random=True,
    bounds={"where": WHERE, "word_class": WORD_CLASSES, "top": (1, 1000), "skip": (0, 1000)},
    file_check=registered_lm_only("lm_swap"),
)
def lm_swap(
    tokens: Tokens,
    lm: str,
    where: str = "any",
    word_class: str = "any",
    top: int = 10,
    skip: int = 0,
    *,
    rng: np.random.Generator,
) -> Tokens:
    """Replace a random editable word by a word the language model proposes in its place.

    The word is drawn uniformly among the editable words of ``word_class`` (``"any"``,
    ``"content"``, ``"function"``; punctuation never) in ``where`` (``"any"``; ``"between"``
    the first two spans; ``"outside"``: elsewhere). The model ranks words by how probable they
    are after the (lowercased, tag-free) words before it, re-scored by how well the words
    after it follow (:meth:`NGramLM.candidates <tanda_transforms.text.NGramLM.candidates>`:
    the :data:`CANDIDATE_POOL` (or ``skip + top + 1``, if more) words likeliest after the left
    context, of the same class, re-ranked with the right context, so that a word that fits
    before but not after, "I" in "<s> I company", falls down the list); the current word is
    dropped, the ranks ``[skip, skip + top)`` are kept and one is drawn in proportion to its
    probability. The new word copies the old one's capitalisation.
    """
    tokens = _check_tokens(tokens, "lm_swap")
    model = get_language_model(lm)
    chosen = [
        i
        for i in _wordlike(tokens)
        if in_class(tokens.words[i], word_class) and (where == "any" or tokens.region(i) == where)
    ]
    if not chosen:
        return tokens
    i = _pick(rng, chosen)
    plain, pos = _plain_context(tokens, i)
    n = model.order - 1
    words, probs = model.candidates(
        plain[max(pos - n, 0) : pos], plain[pos + 1 : pos + 1 + n],
        max(CANDIDATE_POOL, skip + top + 1),
        mask=_class_mask(model, word_class),
    )
    current = tokens.words[i].lower()
    kept = [(w, p) for w, p in zip(words, probs, strict=True) if w != current][skip : skip + top]
    if not kept:
        return tokens
    weights = np.array([p for _, p in kept])
    new = kept[int(rng.choice(len(kept), p=weights / weights.sum()))][0]
    return tokens.replace(i, copy_case(new, tokens.words[i]))


def _plain_context(tokens: Tokens, i: int) -> tuple[list[str], int]:
    """The lowercased words without tags, and the position of word ``i`` among them."""
    plain, pos = [], -1
    for j, word in enumerate(tokens.words):
        if j == i:
            pos = len(plain)
        if not tokens.is_markup(j):
            plain.append(word.lower())
    return plain, pos


# --- EDA edits ---------------------------------------------------------------------------------


@register_op("word_swap", kind="text", random=True, bounds={"where": WHERE})
def word_swap(tokens: Tokens, where: str = "any", *, rng: np.random.Generator) -> Tokens:
    """Exchange two distinct random editable words (not punctuation) of region ``where``
    (``"any"``, ``"between"`` the first two spans, ``"outside"``); needs two of them."""
    tokens = _check_tokens(tokens, "word_swap")
    chosen = _in(tokens, _wordlike(tokens), where)
    if len(chosen) < 2:
        return tokens
    a, b = rng.choice(len(chosen), size=2, replace=False)
    return tokens.swap(chosen[int(a)], chosen[int(b)])


@register_op("word_delete", kind="text", random=True, bounds={"where": WHERE})
def word_delete(tokens: Tokens, where: str = "any", *, rng: np.random.Generator) -> Tokens:
    """Delete a random editable word (not punctuation) of region ``where``.

    Acts only when at least ``MIN_WORDS_AFTER_DELETE`` (3) editable non-punctuation words
    (of any region) remain afterwards, so a sentence is never cut down to its entities alone.
    """
    tokens = _check_tokens(tokens, "word_delete")
    wordlike = _wordlike(tokens)
    chosen = _in(tokens, wordlike, where)
    if len(wordlike) <= MIN_WORDS_AFTER_DELETE or not chosen:
        return tokens
    return tokens.delete(_pick(rng, chosen))


@register_op("word_insert", kind="text", random=True, bounds={"where": WHERE},
             file_check=registered_lm_only("word_insert"))
def word_insert(tokens: Tokens, lm: str, where: str = "any", *,
                rng: np.random.Generator) -> Tokens:
    """Insert an alphabetic word drawn from the model's continuation unigram distribution.

    The gap is drawn uniformly among those next to an editable non-punctuation word, in
    region ``where`` (between the first two spans or outside them), never inside a span and
    never before the first word (which keeps its capital) nor after final closing
    punctuation.
    """
    tokens = _check_tokens(tokens, "word_insert")
    model = get_language_model(lm)
    wordlike = set(_wordlike(tokens))
    inside = _gaps_inside_spans(tokens)
    n = len(tokens)
    gaps = [
        g
        for g in range(1, n + 1)
        if g not in inside
        and (g - 1 in wordlike or g in wordlike)
        and not (g == n and tokens.words[-1] in CLOSING_PUNCTUATION)
        and (where == "any" or _gap_region(tokens, g) == where)
    ]
    mask = _class_mask(model, "alpha")
    if not gaps or not mask.any():
        return tokens
    gap = _pick(rng, gaps)
    return tokens.insert(gap, model.sample_unigram(rng, mask=mask)[0])


def _gaps_inside_spans(tokens: Tokens) -> set[int]:
    """Gaps ``g`` (before word ``g``) inside a span, in time linear in the words (a set per
    span was quadratic on nested spans)."""
    change = [0] * (len(tokens) + 2)
    for _, start, stop in tokens.spans():
        change[start + 1] += 1
        change[stop + 1] -= 1
    inside, level = set(), 0
    for gap in range(len(tokens) + 1):
        level += change[gap]
        if level:
            inside.add(gap)
    return inside


# --- destructive TFs -------------------------------------------------------------------------


@register_op("shuffle_words", kind="text", random=True)
def shuffle_words(tokens: Tokens, *, rng: np.random.Generator) -> Tokens:
    """Shuffle all editable words (punctuation included) among the editable positions."""
    tokens = _check_tokens(tokens, "shuffle_words")
    chosen = tokens.editable()
    if len(chosen) < 2:
        return tokens
    words = list(tokens.words)
    for i, j in zip(chosen, rng.permutation(chosen), strict=True):
        words[i] = tokens.words[int(j)]
    return Tokens(tuple(words), tokens.spaces, tokens.lead)


@register_op(
    "random_words",
    kind="text",
    random=True,
    bounds={"fraction": (0.0, 1.0)},
    file_check=registered_lm_only("random_words"),
)
def random_words(
    tokens: Tokens, lm: str, fraction: float = 0.5, *, rng: np.random.Generator
) -> Tokens:
    """Replace ``round(fraction * n)`` of the ``n`` editable words by uniform vocabulary words.

    Positions are drawn without replacement among all editable words (punctuation
    included); each new word is uniform over the model's vocabulary (specials excluded).
    """
    tokens = _check_tokens(tokens, "random_words")
    model = get_language_model(lm)
    chosen = tokens.editable()
    count = math.floor(fraction * len(chosen) + 0.5)
    vocab = model.vocab[3:]
    if count == 0 or not vocab:
        return tokens
    for i in rng.choice(chosen, size=count, replace=False):
        tokens = tokens.replace(int(i), vocab[int(rng.integers(len(vocab)))])
    return tokens
