"""What the learner needs to know about sentences (the text half of the learner's data).

:class:`~tanda_transforms.learn.Learner` is one learner for images and text; this module is
the text side of its data interface (see :mod:`tanda_transforms._learn_images`). A learning
step turns every intermediate sentence ``x_0 .. x_L`` into token ids (lowercased words and
the markup tags, ``N x T``, padded with 0) for the discriminator.

The diversity term ``d(x_0, x_t)`` needs a space in which sentences have coordinates:

- ``diversity="pixels"`` (the default; for text: the tokens themselves): each token id as a
  fixed random vector (seeded, never trained), so ``d`` grows with the number of positions
  whose word changed; a sequence that leaves the sentence as it was pays ``alpha / eps``;
- ``diversity="features"``: the discriminator's word embeddings (learned), as for images
  its first-layer features.

Examples
--------
>>> import torch
>>> from tanda_transforms import TF, TFLibrary
>>> data = TextData(["A <e1>cat</e1> sat .", "A dog ran ."], TFLibrary([TF("word_swap")]),
...                 torch.device("cpu"))
>>> len(data), data.describe()["data_shape"]
(2, [2])
>>> data.encode(data.batch([1])).tolist()
[[2, 8, 9, 7]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import nn

from tanda_transforms._learn_config import LearnConfig
from tanda_transforms._learn_images import Streams, check_probe
from tanda_transforms.text.apply import as_tokens, intermediates
from tanda_transforms.text.discriminator import TextDiscriminator
from tanda_transforms.text.lm import NGramLM, register_language_model
from tanda_transforms.text.packs import TEXT_PACKS
from tanda_transforms.text.tokens import Tokens, is_opening_tag
from tanda_transforms.text.vocabulary import PAD, UNK, Vocabulary
from tanda_transforms.tfs import TFLibrary

__all__ = ["TextData", "Vocabulary", "as_sentences", "text_library"]

_TOKEN_SPACE_DIM = 16
#: The label term's default text classifier measures positions from this many tag names.
MAX_SPAN_TAGS = 4


def as_sentences(data: Any) -> list[Tokens]:
    """Sentences from ``data``: an iterable of str, token lists or :class:`Tokens`, or of
    ``(sentence, label)`` items (the label is ignored).

    Raises
    ------
    TypeError
        For an item that is none of these, naming its index.
    ValueError
        For no sentences, or a sentence without words.
    """
    if isinstance(data, str):
        raise TypeError("learning needs many sentences: pass a list of str, not one str")
    sentences = [_one_sentence(item, i) for i, item in enumerate(data)]
    if not sentences:
        raise ValueError("no sentences to learn from")
    return sentences


def _one_sentence(item: Any, index: int) -> Tokens:
    if isinstance(item, Tokens):
        tokens = item
    else:
        if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
            item = item[0]  # (sentence, label)
        try:
            tokens, _ = as_tokens(item)
        except (TypeError, ValueError) as err:
            raise type(err)(f"sentence {index}: {err}") from None
    if not tokens.words:
        raise ValueError(f"sentence {index} has no words")
    return tokens


def text_library(pack: str, sentences: Sequence[Tokens], *, order: int = 3) -> TFLibrary:
    """The text pack ``pack`` on an n-gram language model fit on ``sentences`` (registered,
    so the TFs can name it; a policy saved with them carries it).

    Examples
    --------
    >>> text_library("eda", ["a cat sat", "a dog ran"]).names[0]
    'word_swap()'
    """
    if pack not in TEXT_PACKS:
        raise KeyError(f"unknown text pack {pack!r}; text packs: {sorted(TEXT_PACKS)}")
    key = register_language_model(NGramLM.fit(sentences, order=order))
    return TFLibrary(TEXT_PACKS[pack](key))


def opening_tag_ids(vocabulary: Vocabulary) -> tuple[int, ...]:
    """Ids of the vocabulary's opening markup tags, by name, at most :data:`MAX_SPAN_TAGS`.

    Examples
    --------
    >>> opening_tag_ids(Vocabulary(["a", "</e1>", "<e2>", "<e1>"]))
    (5, 4)
    """
    tags = sorted(w for w in vocabulary.words[UNK + 1 :] if is_opening_tag(w))  # not <pad>, <unk>
    return tuple(vocabulary.index[w] for w in tags[:MAX_SPAN_TAGS])


def _lower_words(sentences: Iterable[Tokens]) -> list[list[str]]:
    """Each sentence's lowercased words and tags (what the discriminator reads)."""
    return [[word.lower() for word in tokens.words] for tokens in sentences]


class TextData:
    """Sentences, and how a learning step turns them into the discriminator's input."""

    renderer = None  # sentences are edited one by one (images may have a batched renderer)

    def __init__(self, data: Any, library: TFLibrary, device: torch.device) -> None:
        self.sentences = as_sentences(data)
        self.library, self.device = library, device
        self.vocabulary = Vocabulary.build(_lower_words(self.sentences), order="first_seen")
        gen = torch.Generator().manual_seed(0)
        self._token_space = torch.randn(len(self.vocabulary), _TOKEN_SPACE_DIM,
                                        generator=gen).to(device)
        self._token_space[PAD] = 0

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(self, indices: Sequence[int]) -> list[Tokens]:
        return [self.sentences[i] for i in indices]

    def batch_repeat(self, real: list[Tokens], n: int) -> list[Tokens]:
        """Each sentence of a batch ``n`` times in a row (one per sequence)."""
        return [tokens for tokens in real for _ in range(n)]

    def describe(self) -> dict[str, Any]:
        return {"data_shape": [len(self.sentences)], "data_dtype": "text",
                "vocab_size": len(self.vocabulary)}

    default_d_width = 32  # LearnConfig.d_width=None

    def default_discriminator(self, config: LearnConfig) -> nn.Module:
        return TextDiscriminator(len(self.vocabulary), config.d_width)

    def default_classifier(self, width: int, classes: int) -> nn.Module:
        """The discriminator's network with ``classes`` outputs and position features: each
        word's distance to every opening tag of the sentences (``<e1>``, ``<e2>``...), up to
        :data:`MAX_SPAN_TAGS` tag names in name order."""
        return TextDiscriminator(len(self.vocabulary), width, outputs=classes,
                                 span_tags=opening_tag_ids(self.vocabulary))

    def encode(self, real: list[Tokens]) -> torch.Tensor:
        """Sentences as D takes them, without TFs: ``N x T`` token ids on the device."""
        return self._ids(real).to(self.device)

    def _ids(self, sentences: Sequence[Tokens]) -> torch.Tensor:
        """``N x T`` int64 ids of the sentences' lowercased words and tags, padded with 0."""
        return torch.from_numpy(self.vocabulary.encode_padded(_lower_words(sentences)))

    def prepare(self, disc: nn.Module, default: bool) -> nn.Module:
        return disc.to(self.device)

    def to_discriminator(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def diversity_space(self, x: torch.Tensor, disc: nn.Module, diversity: str) -> torch.Tensor:
        """Where ``d(x_0, x_t)`` is measured: fixed random token vectors, or D's embeddings."""
        if diversity == "pixels":
            return self._token_space[x]
        with torch.no_grad():
            return disc.diversity_features(x)

    def check(self, disc: nn.Module, diversity: str) -> None:
        """Run D and the diversity measure once on two one-word sentences."""
        probe = torch.full((2, 1), UNK, dtype=torch.int64, device=self.device)
        check_probe(self, disc, diversity, probe, "sentences (N x T int64 token ids)",
                    "a discriminator with embeddings of at least 2 values")

    def roll_out(self, real: list[Tokens], actions: torch.Tensor, streams: Streams) -> torch.Tensor:
        """Apply each sequence to its sentence: ``[L + 1, M, T]`` token ids on the device,
        ``x_0`` first, padded to the longest sentence of the step."""
        actions_np = actions.cpu().numpy()
        seeds = streams.np_rng.integers(0, 2**63, size=actions_np.shape)
        per_sequence = [
            intermediates(self.library, a, s, tokens)
            for tokens, a, s in zip(real, actions_np.tolist(), seeds.tolist(), strict=True)
        ]
        steps = [list(step) for step in zip(*per_sequence, strict=True)]
        ids = self._ids([t for step in steps for t in step])
        return ids.view(len(steps), len(real), -1).to(self.device)
