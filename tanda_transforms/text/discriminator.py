"""The default text discriminator: word embeddings and a small CNN over tokens.

Sentences reach it as ``N x T`` token ids (0 pads, :class:`~tanda_transforms.text.learn.
Vocabulary`). Word embeddings feed 1-D convolutions of widths 3 and 5 (word trigrams and
5-grams: where an unnatural swap, a shuffled phrase or a random word shows), LeakyReLU(0.2),
then a max and a mean over the real positions, and a linear logit. A CNN rather than a
BiLSTM: on CPUs it scores the ``(L + 1) x M`` sentences of a learning step several times
faster, and local word order is what text TFs break.

With ``span_tags`` (the ids of opening markup tags such as ``<e1>``, ``<e2>``), every word
also gets an embedding of its distance to each tag's first occurrence in its sentence, the
position features of relation classifiers (Zeng et al. 2014): the label term's default text
classifier uses them, so that it can tell the words *between* two entities from the words
around them (where a word sits relative to the entities is what a relation's direction and
type hang on; convolutions of width 5 cannot see it across a long sentence).

Any ``nn.Module`` mapping ``N x T`` int64 ids to ``N`` logits can be passed to
:func:`~tanda_transforms.learn_policy` instead (with ``diversity="features"`` it also needs
a ``diversity_features`` method).

Examples
--------
>>> import torch
>>> d = TextDiscriminator(vocab_size=10, width=4)
>>> d(torch.tensor([[2, 3, 4, 0], [5, 0, 0, 0]])).shape
torch.Size([2])
>>> c = TextDiscriminator(vocab_size=10, width=4, outputs=3, span_tags=(2, 5))
>>> c(torch.tensor([[2, 3, 5, 4], [5, 0, 0, 0]])).shape
torch.Size([2, 3])
"""

from __future__ import annotations

import torch
from torch import nn

from tanda_transforms.text.vocabulary import PAD

__all__ = ["MAX_TAG_DISTANCE", "TextDiscriminator", "tag_distances"]

#: Distances to a tag are clipped to +- this; a sentence without the tag gets its own index.
MAX_TAG_DISTANCE = 30
_POSITION_DIM = 8


def tag_distances(ids: torch.Tensor, tag: int, clip: int = MAX_TAG_DISTANCE) -> torch.Tensor:
    """``N x T`` indices in ``[0, 2 * clip + 1]`` of each word's distance to ``tag``'s first
    occurrence in its row (``clip + i - first``, clipped to ``[0, 2 * clip]``), and
    ``2 * clip + 1`` throughout a row without ``tag``.

    Examples
    --------
    >>> tag_distances(torch.tensor([[4, 7, 9, 7], [4, 4, 4, 4]]), 7, clip=1).tolist()
    [[0, 1, 2, 2], [3, 3, 3, 3]]
    """
    hits = ids == tag
    first = hits.to(torch.int64).argmax(1, keepdim=True)
    steps = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
    out = (steps - first).clamp(-clip, clip) + clip
    return out.masked_fill(~hits.any(1, keepdim=True), 2 * clip + 1)


class TextDiscriminator(nn.Module):
    """Embeddings, convolutions of widths 3 and 5 (``2 * width`` channels each), max and
    mean pooling over the sentence, a linear logit.

    Parameters
    ----------
    vocab_size
        Token ids are in ``[0, vocab_size)``; 0 is padding.
    width
        Half the channels of each convolution (``LearnConfig.d_width``).
    embed_dim
        Size of the word embeddings.
    outputs
        Logits per sentence: 1 (a discriminator, ``N`` logits) or ``K`` classes (a
        classifier, ``N x K``: the label term's default, :mod:`tanda_transforms.labels`).
    span_tags
        Token ids whose first occurrence every word's position is measured from (see
        :func:`tag_distances`; one 8-dimensional embedding per tag); default none.
    """

    def __init__(self, vocab_size: int, width: int = 32, embed_dim: int = 64,
                 outputs: int = 1, span_tags: tuple[int, ...] = ()) -> None:
        super().__init__()
        if vocab_size < 2 or width < 1 or embed_dim < 1 or outputs < 1:
            raise ValueError(f"vocab_size must be >= 2 and width, embed_dim, outputs >= 1, got "
                             f"{vocab_size}, {width}, {embed_dim}, {outputs}")
        if any(not 0 < tag < vocab_size for tag in span_tags):
            raise ValueError(f"span_tags must be token ids in [1, {vocab_size}), got "
                             f"{tuple(span_tags)}")
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.span_tags = tuple(int(tag) for tag in span_tags)
        self.positions = nn.ModuleList(
            nn.Embedding(2 * MAX_TAG_DISTANCE + 2, _POSITION_DIM) for _ in self.span_tags
        )
        channels = embed_dim + _POSITION_DIM * len(self.span_tags)
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, 2 * width, k, padding=k // 2) for k in (3, 5)
        )
        self.activation = nn.LeakyReLU(0.2)
        self.logit = nn.Linear(4 * len(self.convs) * width, outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dtype != torch.int64 or ids.ndim != 2:
            raise TypeError(f"TextDiscriminator takes N x T int64 token ids, got "
                            f"{ids.dtype} of shape {tuple(ids.shape)}")
        real = (ids != PAD).unsqueeze(1)  # N x 1 x T
        x = self._words(ids).transpose(1, 2)  # N x E x T
        pooled = []
        for conv in self.convs:
            h = self.activation(conv(x))
            pooled.append(h.masked_fill(~real, float("-inf")).amax(2).clamp_min(-1e4))
            pooled.append((h * real).sum(2) / real.sum(2).clamp_min(1))
        out = self.logit(torch.cat(pooled, 1))
        return out.squeeze(-1) if out.shape[-1] == 1 else out

    def _words(self, ids: torch.Tensor) -> torch.Tensor:
        """``N x T x E``: each word's embedding, then its distance embedding per span tag."""
        parts = [self.embed(ids)]
        parts += [embed(tag_distances(ids, tag))
                  for tag, embed in zip(self.span_tags, self.positions, strict=True)]
        return torch.cat(parts, 2)

    def diversity_features(self, ids: torch.Tensor) -> torch.Tensor:
        """The word embeddings, ``N x T x E``: the space in which
        ``LearnConfig(diversity="features")`` measures how far a sequence moved a sentence.

        Examples
        --------
        >>> TextDiscriminator(6, embed_dim=3).diversity_features(torch.ones(2, 4).long()).shape
        torch.Size([2, 4, 3])
        """
        return self.embed(ids)
