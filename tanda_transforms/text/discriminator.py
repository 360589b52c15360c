"""The default text discriminator: word embeddings and a small CNN over tokens.

Sentences reach it as ``N x T`` token ids (0 pads, :class:`~tanda_transforms.text.learn.
Vocabulary`). Word embeddings feed 1-D convolutions of widths 3 and 5 (word trigrams and
5-grams: where an unnatural swap, a shuffled phrase or a random word shows), LeakyReLU(0.2),
then a max and a mean over the real positions, and a linear logit. A CNN rather than a
BiLSTM: on CPUs it scores the ``(L + 1) x M`` sentences of a learning step several times
faster, and local word order is what text TFs break.

Any ``nn.Module`` mapping ``N x T`` int64 ids to ``N`` logits can be passed to
:func:`~tanda_transforms.learn_policy` instead (with ``diversity="features"`` it also needs
a ``diversity_features`` method).

Examples
--------
>>> import torch
>>> d = TextDiscriminator(vocab_size=10, width=4)
>>> d(torch.tensor([[2, 3, 4, 0], [5, 0, 0, 0]])).shape
torch.Size([2])
"""

from __future__ import annotations

import torch
from torch import nn

from tanda_transforms.text.vocabulary import PAD

__all__ = ["TextDiscriminator"]


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
    """

    def __init__(self, vocab_size: int, width: int = 32, embed_dim: int = 64,
                 outputs: int = 1) -> None:
        super().__init__()
        if vocab_size < 2 or width < 1 or embed_dim < 1 or outputs < 1:
            raise ValueError(f"vocab_size must be >= 2 and width, embed_dim, outputs >= 1, got "
                             f"{vocab_size}, {width}, {embed_dim}, {outputs}")
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.convs = nn.ModuleList(
            nn.Conv1d(embed_dim, 2 * width, k, padding=k // 2) for k in (3, 5)
        )
        self.activation = nn.LeakyReLU(0.2)
        self.logit = nn.Linear(4 * len(self.convs) * width, outputs)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if ids.dtype != torch.int64 or ids.ndim != 2:
            raise TypeError(f"TextDiscriminator takes N x T int64 token ids, got "
                            f"{ids.dtype} of shape {tuple(ids.shape)}")
        real = (ids != PAD).unsqueeze(1)  # N x 1 x T
        x = self.embed(ids).transpose(1, 2)  # N x E x T
        pooled = []
        for conv in self.convs:
            h = self.activation(conv(x))
            pooled.append(h.masked_fill(~real, float("-inf")).amax(2).clamp_min(-1e4))
            pooled.append((h * real).sum(2) / real.sum(2).clamp_min(1))
        out = self.logit(torch.cat(pooled, 1))
        return out.squeeze(-1) if out.shape[-1] == 1 else out

    def diversity_features(self, ids: torch.Tensor) -> torch.Tensor:
        """The word embeddings, ``N x T x E``: the space in which
        ``LearnConfig(diversity="features")`` measures how far a sequence moved a sentence.

        Examples
        --------
        >>> TextDiscriminator(6, embed_dim=3).diversity_features(torch.ones(2, 4).long()).shape
        torch.Size([2, 4, 3])
        """
        return self.embed(ids)
