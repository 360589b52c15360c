"""Applying a sampled TF sequence to a sentence: what a text policy's call does.

A sentence comes as a ``str`` (markup such as ``<e1>...</e1>`` marks protected spans) or as
a list (or tuple) of tokens in which the tags are tokens of their own; the policy returns
the same type. Each step's TF draws its random part from a generator seeded with that
step's seed (:class:`~tanda_transforms.sequence.SampledSequence`), so a sequence replays
exactly.

Examples
--------
>>> from tanda_transforms import TF, TFLibrary
>>> from tanda_transforms.sequence import SampledSequence
>>> library = TFLibrary([TF("word_swap")])
>>> out = apply_to_sentence(library, SampledSequence((0,), (3,)), "<e1>Cats</e1> chase red mice")
>>> out.startswith("<e1>Cats</e1>"), sorted(out.split()[1:]) == ["chase", "mice", "red"]
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tanda_transforms import limits
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.text.tokens import Tokens, tokenize
from tanda_transforms.tfs import TFLibrary

__all__ = ["apply_to_sentence", "as_tokens", "intermediates", "one_sentence"]


def as_tokens(sentence: Any) -> tuple[Tokens, Callable[[Tokens], Any]]:
    """``sentence`` as :class:`Tokens`, and the function that turns tokens back into its type.

    Raises
    ------
    TypeError
        For anything but a str, or a list or tuple of str.
    ValueError
        For a sentence longer than ``tanda_transforms.limits.MAX_SENTENCE_CHARS``.

    Examples
    --------
    >>> tokens, back = as_tokens(["A", "<e1>", "cat", "</e1>"])
    >>> tokens.protected(), back(tokens)
    ((False, True, True, True), ['A', '<e1>', 'cat', '</e1>'])
    """
    if isinstance(sentence, str):
        limits.check_sentence(len(sentence))
        return tokenize(sentence), Tokens.text
    if isinstance(sentence, list | tuple) and all(isinstance(w, str) for w in sentence):
        limits.check_sentence(sum(len(w) + 1 for w in sentence))
        kind = type(sentence)
        return Tokens.from_list(sentence), lambda tokens: kind(tokens.to_list())
    raise TypeError(
        f"a text policy takes a sentence: a str, or a list or tuple of str tokens; got "
        f"{type(sentence).__name__}"
    )


def one_sentence(inputs: tuple) -> Any:
    """The one sentence of a policy call (a text policy takes exactly one input)."""
    if len(inputs) != 1:
        raise TypeError(f"a text policy takes one sentence per call, got {len(inputs)} inputs")
    return inputs[0]


def intermediates(library: TFLibrary, actions: Sequence[int], seeds: Sequence[int],
                  tokens: Tokens) -> list[Tokens]:
    """``[x_0, x_1, ..., x_L]``: the sentence before and after each step."""
    states = [tokens]
    for action, seed in zip(actions, seeds, strict=True):
        states.append(library[action](states[-1], np.random.default_rng(seed)))
    return states


def apply_to_sentence(library: TFLibrary, sequence: SampledSequence, sentence: Any) -> Any:
    """``sentence`` after every step of ``sequence`` (unchanged if ``p`` skipped it)."""
    tokens, back = as_tokens(sentence)
    if not sequence.applied:
        return sentence
    return back(intermediates(library, sequence.actions, sequence.step_seeds, tokens)[-1])
