"""Text TF packs: lists of TFs over the text ops, each naming a registered language model.

- :func:`semeval_pack` (13 TFs): the paper's conditional word swap ``lm_swap`` for relation
  sentences, between the two entities and outside them, on content and function words, near
  the top of the model's distribution (``top=5``) and further down (``top=20, skip=5``); two
  swaps of any word anywhere; and the three EDA edits.
- :func:`relation_pack` (7 TFs): the ``semeval`` pack's edits restricted to the words
  outside the two entities and the text between them: ``lm_swap`` on content and function
  words, near and far, and the three EDA edits, all ``where="outside"``. In relation
  sentences the words between the entities carry the relation ("made *of*", "caused *by*"):
  an edit there keeps a sentence natural, so a discriminator lets it pass, but can change
  its label (docs/results.md measured it).
- :func:`eda_pack` (3 TFs): ``word_swap``, ``word_delete``, ``word_insert``.
- :func:`destructive_text_tfs` (2 TFs): ``shuffle_words`` and ``random_words(fraction=0.5)``,
  to check that learning suppresses TFs that destroy sentences.

Examples
--------
>>> from tanda_transforms.text import NGramLM, register_language_model
>>> key = register_language_model(NGramLM.fit(["A cat sat.", "A dog ran."]))
>>> [len(TEXT_PACKS[name](key)) for name in ("semeval", "relation", "eda")]
[13, 7, 3]
>>> len(destructive_text_tfs(key))
2
>>> semeval_pack(key)[0]  # doctest: +ELLIPSIS
lm_swap(lm='ngram-...', where='between', word_class='content', top=5, skip=0)
"""

from __future__ import annotations

from collections.abc import Callable

from tanda_transforms.tfs import TF

__all__ = ["semeval_pack", "relation_pack", "eda_pack", "destructive_text_tfs", "TEXT_PACKS"]

NEAR = {"top": 5, "skip": 0}
FAR = {"top": 20, "skip": 5}


def semeval_pack(lm: str) -> list[TF]:
    """Word swaps by region, word class and depth, plus the EDA edits (13 TFs)."""
    tfs = [
        TF("lm_swap", lm=lm, where=where, word_class=word_class, **depth)
        for where in ("between", "outside")
        for word_class in ("content", "function")
        for depth in (NEAR, FAR)
    ]
    tfs += [TF("lm_swap", lm=lm, where="any", word_class="any", **depth) for depth in (NEAR, FAR)]
    return tfs + eda_pack(lm)


def relation_pack(lm: str) -> list[TF]:
    """The ``semeval`` pack's edits outside the two entities and the words between them
    (7 TFs)."""
    tfs = [
        TF("lm_swap", lm=lm, where="outside", word_class=word_class, **depth)
        for word_class in ("content", "function")
        for depth in (NEAR, FAR)
    ]
    return tfs + [TF("word_swap", where="outside"), TF("word_delete", where="outside"),
                  TF("word_insert", lm=lm, where="outside")]


def eda_pack(lm: str) -> list[TF]:
    """The EDA edits, one word each: swap, delete, insert (3 TFs)."""
    return [TF("word_swap"), TF("word_delete"), TF("word_insert", lm=lm)]


def destructive_text_tfs(lm: str) -> list[TF]:
    """TFs that destroy a sentence: shuffle its words, replace half of them at random."""
    return [TF("shuffle_words"), TF("random_words", lm=lm, fraction=0.5)]


#: Pack name -> function of a registered language model key returning a fresh list of TFs.
TEXT_PACKS: dict[str, Callable[[str], list[TF]]] = {
    "semeval": semeval_pack,
    "relation": relation_pack,
    "eda": eda_pack,
}
