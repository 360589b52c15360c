"""Word ids for the text models: one :class:`Vocabulary` for the discriminator of
:mod:`~tanda_transforms.text.learn` and the relation classifier of
:mod:`~tanda_transforms.evaluation.relation` (no torch).

Id 0 pads and id 1 stands for every word not in the vocabulary; the words get ids from 2 on,
most frequent first (ties: first seen) or simply in order of first sight.

Examples
--------
>>> vocab = Vocabulary.build([("the", "cat"), ("the", "dog")])
>>> len(vocab), vocab.encode(("the", "dog", "emu"))
(5, [2, 4, 1])
>>> Vocabulary.build([("b", "a", "a")], order="first_seen").words
('<pad>', '<unk>', 'b', 'a')
>>> vocab.encode_padded([("the",), ("cat", "emu", "the")]).tolist()
[[2, 0, 0], [3, 1, 2]]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["PAD", "UNK", "PAD_WORD", "UNK_WORD", "Vocabulary"]

#: The ids of padding and of any word outside the vocabulary.
PAD, UNK = 0, 1
PAD_WORD, UNK_WORD = "<pad>", "<unk>"
_ORDERS = ("frequency", "first_seen")


class Vocabulary:
    """Word -> id, with ``<pad>`` at 0 and ``<unk>`` at 1; unknown words map to ``<unk>``.

    Parameters
    ----------
    words
        The words, in id order from 2 (no repeats; not ``<pad>`` or ``<unk>``).
    """

    def __init__(self, words: Sequence[str]) -> None:
        self.words: tuple[str, ...] = (PAD_WORD, UNK_WORD, *words)
        self.index = {w: i for i, w in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError("Vocabulary: repeated words (or <pad>/<unk> among them)")

    @classmethod
    def build(cls, sentences: Iterable[Sequence[str]], min_count: int = 1,
              order: str = "frequency") -> Vocabulary:
        """Every word seen at least ``min_count`` times in ``sentences`` (word sequences).

        ``order``: ``"frequency"`` (most frequent first, ties: first seen) or
        ``"first_seen"``.
        """
        if order not in _ORDERS:
            raise ValueError(f"order must be one of {_ORDERS}, got {order!r}")
        counts = Counter(w for words in sentences for w in words)
        ranked = counts.most_common() if order == "frequency" else counts.items()
        return cls([w for w, c in ranked if c >= min_count and w not in (PAD_WORD, UNK_WORD)])

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, words: Sequence[str]) -> list[int]:
        """Ids of ``words`` (``<unk>`` for those not in the vocabulary)."""
        return [self.index.get(w, UNK) for w in words]

    def encode_padded(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """``N x T`` int64 ids of word sequences, padded with 0 to the longest (T >= 1)."""
        longest = max((len(words) for words in sentences), default=1)
        out = np.zeros((len(sentences), max(longest, 1)), np.int64)
        for row, words in zip(out, sentences, strict=True):
            row[: len(words)] = self.encode(words)
        return out
