"""End model for SemEval-2010 Task 8: a CNN with position features (Zeng et al. 2014).

The classifier of Zeng et al. (2014) and Nguyen & Grishman (2015), sized for one CPU thread:

* the sentence is tokenised with :func:`~tanda_transforms.text.tokenize`; the markup tags
  ``<e1>``, ``</e1>``, ``<e2>``, ``</e2>`` are dropped from the word sequence but give every
  word its relative distance to each nominal (0 inside it, ``i - first`` before it,
  ``i - last`` after it), clipped to +-60;
* the words are lowercased and looked up in a vocabulary of every word of the training
  sentences (:class:`~tanda_transforms.text.vocabulary.Vocabulary`, most frequent first, min
  count 1, plus ``<pad>`` and ``<unk>``); embeddings are learned from a
  random start (no pretrained vectors are available offline);
* each word is its word embedding and two position embeddings, concatenated; convolutions of
  widths 3, 4 and 5 (zero padded, so every window touching a word counts), ReLU, max-pooling
  over the sentence, dropout 0.5 and a linear layer to the 19 labels of
  :data:`~tanda_transforms.data.semeval.RELATION_LABELS`;
* Adam (its lazy sparse variant for the word embedding), cross-entropy, mini-batches of
  :data:`BATCH_SIZE` in a seeded order; the model after the last epoch is tested with the
  official score (:func:`~.relation_metrics.official_macro_f1`).

Augmentation is applied on the fly: every epoch each training sentence is passed through
``augment`` (a markup sentence in, a markup sentence out) and tokenised again. The
vocabulary comes from the original training sentences only, so words an augmentation
brings in map to ``<unk>``.

Budget (:func:`default_epochs`): the full 8,000 sentences train for :data:`FULL_EPOCHS` = 12
epochs (1,920 steps of 50 sentences); a smaller training set trains for more epochs so that it
gets the same number of steps (10 % of the data: 120 epochs), up to :data:`MAX_EPOCH_FACTOR`
times 12 epochs.
"""

from __future__ import annotations

import contextlib
import copy
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from tanda_transforms.data.semeval import RELATION_LABELS, MarkupError, RelationExample
from tanda_transforms.evaluation.augment import Identity
from tanda_transforms.evaluation.relation_metrics import relation_report
from tanda_transforms.evaluation.relation_task import examples_of
from tanda_transforms.evaluation.subsets import stratified_indices
from tanda_transforms.evaluation.training import TrainResult
from tanda_transforms.seeding import reseed
from tanda_transforms.text.tokens import Tokens, is_tag, tokenize
from tanda_transforms.text.vocabulary import Vocabulary

__all__ = [
    "BATCH_SIZE",
    "FULL_EPOCHS",
    "MAX_DISTANCE",
    "MAX_EPOCH_FACTOR",
    "EncodedSentence",
    "RelationCNN",
    "Vocabulary",
    "default_epochs",
    "fit_relations",
    "encode_sentence",
    "entity_positions",
    "label_subset",
    "train_relation_classifier",
]

#: Relative distances to a nominal are clipped to ``[-MAX_DISTANCE, MAX_DISTANCE]``.
MAX_DISTANCE = 60
#: Sentences per optimiser step.
BATCH_SIZE = 50
#: Epochs on the full 8,000 training sentences.
FULL_EPOCHS = 12
#: A smaller training set gets at most this many times :data:`FULL_EPOCHS` epochs.
MAX_EPOCH_FACTOR = 10
#: Size of the full training set, the reference of :func:`default_epochs`.
FULL_TRAIN_SIZE = 8000
#: The end model's name in the ``semeval`` record's defaults (``EvalConfig.model``).
MODEL = "relation_cnn"

Augment = Callable[[str], str]


# --- subsets and budget -------------------------------------------------------------------


def label_subset(
    examples: Sequence[RelationExample], fraction: float, seed: int
) -> list[RelationExample]:
    """A seeded subset holding ``fraction`` of the examples, stratified by label.

    Each of the 19 labels keeps its share (largest-remainder rounding, so the total is
    ``round(fraction * N)``; see :func:`~tanda_transforms.evaluation.subsets.stratified_indices`),
    and the examples stay in their original order.

    Examples
    --------
    >>> pool = [RelationExample(i, "<e1>a</e1> <e2>b</e2>",
    ...                         "Other" if i % 4 else "Cause-Effect(e1,e2)") for i in range(40)]
    >>> subset = label_subset(pool, 0.25, seed=0)
    >>> len(subset), sum(ex.label == "Other" for ex in subset)
    (10, 8)
    >>> [ex.id for ex in subset] == sorted(ex.id for ex in subset)
    True
    """
    if not examples:
        raise ValueError("label_subset: no examples to draw from")
    labels = np.array([ex.label_index for ex in examples])
    return [examples[i] for i in stratified_indices(labels, fraction, seed)]


def default_epochs(n_train: int) -> int:
    """Epochs for ``n_train`` training sentences: as many optimiser steps as the full set gets.

    ``epochs = min(ceil(FULL_EPOCHS * 8000 / n_train), MAX_EPOCH_FACTOR * FULL_EPOCHS)``, at
    least :data:`FULL_EPOCHS`. The full 8,000 sentences get 12 epochs of 160 steps (1,920
    steps); 10 % of them (800) get 120 epochs of 16 steps, the same 1,920 steps and about the
    same time (:func:`label_subset` of 10 % holds 801: it keeps one sentence of the label with
    a single training example, so 17 steps an epoch); sets under 10 % are capped at 120
    epochs (fewer steps).

    How it was chosen (the unaugmented model, seed 0, 1,000 training sentences held out as
    validation; the test set took no part): on the other 7,000 the validation macro-F1
    levelled off at 76-77 after about 10 epochs and stayed there to epoch 24; on 800 of them
    it levelled off at 51-53 after about 30 epochs and stayed there to epoch 100. Equal steps
    thus costs the unaugmented model nothing and leaves augmented runs, which converge more
    slowly, room to profit.

    Examples
    --------
    >>> default_epochs(8000), default_epochs(800), default_epochs(4000), default_epochs(40)
    (12, 120, 24, 120)
    """
    if isinstance(n_train, bool) or not isinstance(n_train, int) or n_train < 1:
        raise ValueError(f"n_train must be a positive int, got {n_train!r}")
    scaled = math.ceil(FULL_EPOCHS * FULL_TRAIN_SIZE / n_train)
    return max(FULL_EPOCHS, min(scaled, MAX_EPOCH_FACTOR * FULL_EPOCHS))


# --- from sentences to indices --------------------------------------------------------------


@dataclass(frozen=True)
class EncodedSentence:
    """A sentence as the model reads it.

    Attributes
    ----------
    words
        Lowercased words without the markup tags.
    to_e1, to_e2
        Each word's relative distance to the first and the second nominal, clipped.
    """

    words: tuple[str, ...]
    to_e1: tuple[int, ...]
    to_e2: tuple[int, ...]


def entity_positions(tokens: Tokens, source: str = "") -> dict[str, tuple[int, int]]:
    """Where ``e1`` and ``e2`` lie among the words without tags: ``{name: (first, stop)}``.

    ``first`` is the index of the nominal's first word and ``stop`` one past its last, both
    counted in :meth:`Tokens.plain_words`.

    Raises
    ------
    MarkupError
        If ``e1`` or ``e2`` is not marked exactly once; the message quotes ``source`` (the
        sentence) when given.

    Examples
    --------
    >>> entity_positions(tokenize("The <e1>big company</e1> makes <e2>chairs</e2>."))
    {'e1': (1, 3), 'e2': (4, 5)}
    """
    plain_before = np.cumsum([0] + [not is_tag(w) for w in tokens.words]).tolist()
    found: dict[str, tuple[int, int]] = {}
    for name, open_index, close_index in tokens.spans():
        if name not in ("e1", "e2"):
            continue
        if name in found:
            raise MarkupError(f"<{name}> is marked more than once in {source or tokens.text()!r}")
        found[name] = (plain_before[open_index], plain_before[close_index])
    for name in ("e1", "e2"):
        if name not in found:
            raise MarkupError(
                f"no <{name}>...</{name}> nominal in {source or tokens.text()!r}; the sentence "
                "must keep its markup"
            )
    return found


def _distances(length: int, first: int, stop: int, clip: int) -> tuple[int, ...]:
    """Distance of each word to the span ``[first, stop)``: 0 inside, signed outside."""
    last = max(stop - 1, first)
    out = []
    for i in range(length):
        d = i - first if i < first else (i - last if i > last else 0)
        out.append(max(-clip, min(clip, d)))
    return tuple(out)


def encode_sentence(sentence: str, max_distance: int = MAX_DISTANCE) -> EncodedSentence:
    """Tokenise a markup sentence into lowercased words and distances to ``e1`` and ``e2``.

    Raises
    ------
    MarkupError
        If the sentence does not mark ``e1`` and ``e2`` exactly once each.
    ValueError
        If the tags are not well formed (from :func:`~tanda_transforms.text.tokenize`).

    Examples
    --------
    >>> enc = encode_sentence("The <e1>company</e1> makes plastic <e2>chairs</e2>.")
    >>> enc.words
    ('the', 'company', 'makes', 'plastic', 'chairs', '.')
    >>> enc.to_e1, enc.to_e2
    ((-1, 0, 1, 2, 3, 4), (-4, -3, -2, -1, 0, 1))
    """
    try:
        tokens = tokenize(sentence)
    except ValueError as error:
        raise MarkupError(f"malformed markup in {sentence!r}: {error}") from None
    spans = entity_positions(tokens, sentence)
    words = tuple(w.lower() for w in tokens.plain_words())
    return EncodedSentence(
        words,
        _distances(len(words), *spans["e1"], max_distance),
        _distances(len(words), *spans["e2"], max_distance),
    )


# --- the model ------------------------------------------------------------------------------


class RelationCNN(nn.Module):
    """Word + two position embeddings, convolutions of several widths, max-pool, linear.

    Parameters
    ----------
    vocab_size
        Rows of the word embedding (index 0 is padding).
    n_labels
        Output classes (19 for SemEval-2010 Task 8).
    word_dim, position_dim
        Embedding sizes.
    filters, widths
        Filters per convolution and the convolution widths.
    max_distance
        Distances are in ``[-max_distance, max_distance]``.
    dropout
        Dropout on the pooled features.

    Examples
    --------
    >>> net = RelationCNN(vocab_size=10, n_labels=19, filters=4)
    >>> words = torch.tensor([[2, 3, 4], [5, 0, 0]])
    >>> d = torch.tensor([[-1, 0, 1], [0, 0, 0]])
    >>> net(words, d, d, torch.tensor([3, 1])).shape
    torch.Size([2, 19])
    """

    def __init__(
        self,
        vocab_size: int,
        n_labels: int = len(RELATION_LABELS),
        *,
        word_dim: int = 100,
        position_dim: int = 10,
        filters: int = 100,
        widths: Sequence[int] = (3, 4, 5),
        max_distance: int = MAX_DISTANCE,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.max_distance = max_distance
        self.word = nn.Embedding(vocab_size, word_dim, padding_idx=0, sparse=True)
        self.to_e1 = nn.Embedding(2 * max_distance + 2, position_dim, padding_idx=0)
        self.to_e2 = nn.Embedding(2 * max_distance + 2, position_dim, padding_idx=0)
        for table in (self.word, self.to_e1, self.to_e2):
            nn.init.uniform_(table.weight, -0.25, 0.25)  # Kim (2014)'s random init
            with torch.no_grad():
                table.weight[0].zero_()
        channels = word_dim + 2 * position_dim
        self.widths = tuple(int(w) for w in widths)
        self.convs = nn.ModuleList(nn.Conv1d(channels, filters, w, padding=w - 1)
                                   for w in self.widths)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(self.widths), n_labels)

    def forward(
        self, words: torch.Tensor, to_e1: torch.Tensor, to_e2: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Logits ``B x n_labels`` from ``B x L`` word indices, distances and ``B`` lengths.

        Distances are raw (clipped here); positions at or beyond a sentence's length are
        padding and ignored.
        """
        valid = torch.arange(words.shape[1]) < lengths[:, None]

        def position(d: torch.Tensor) -> torch.Tensor:
            index = d.clamp(-self.max_distance, self.max_distance) + self.max_distance + 1
            return torch.where(valid, index, torch.zeros_like(index))

        x = torch.cat(
            [self.word(words), self.to_e1(position(to_e1)), self.to_e2(position(to_e2))], dim=2
        ).transpose(1, 2)
        pooled = []
        for width, conv in zip(self.widths, self.convs, strict=True):
            h = torch.relu(conv(x))  # B x F x (L + width - 1): every window touching a word
            keep = torch.arange(h.shape[2]) < (lengths + width - 1)[:, None]
            pooled.append(h.masked_fill(~keep[:, None, :], float("-inf")).amax(dim=2))
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


# --- training -------------------------------------------------------------------------------


def _batch(encoded: Sequence[EncodedSentence], vocab: Vocabulary, rows: Sequence[int]) -> tuple[
    torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor
]:
    """Padded ``words, to_e1, to_e2, lengths`` tensors of the sentences ``rows``."""
    chosen = [encoded[i] for i in rows]
    lengths = [max(len(e.words), 1) for e in chosen]
    width = max(lengths)
    words = torch.zeros(len(chosen), width, dtype=torch.long)
    to_e1 = torch.zeros_like(words)
    to_e2 = torch.zeros_like(words)
    for row, e in enumerate(chosen):
        n = len(e.words)
        words[row, :n] = torch.tensor(vocab.encode(e.words), dtype=torch.long)
        to_e1[row, :n] = torch.tensor(e.to_e1, dtype=torch.long)
        to_e2[row, :n] = torch.tensor(e.to_e2, dtype=torch.long)
    return words, to_e1, to_e2, torch.tensor(lengths)


def _augmented(augment: Augment, example: RelationExample) -> EncodedSentence:
    """``augment``'s sentence for ``example``, encoded; errors name both sentences."""
    sentence = augment(example.sentence)
    if not isinstance(sentence, str):
        raise TypeError(
            f"augment must return a str (the sentence with its markup), got "
            f"{type(sentence).__name__} for sentence {example.id}"
        )
    try:
        return encode_sentence(sentence)
    except MarkupError as error:
        raise MarkupError(
            f"augment broke the <e1>/<e2> markup of sentence {example.id}: {error}; "
            f"the input was {example.sentence!r}"
        ) from None


def _predict(
    model: RelationCNN, encoded: Sequence[EncodedSentence], vocab: Vocabulary, batch_size: int
) -> list[str]:
    model.eval()
    predicted: list[str] = []
    with torch.no_grad():
        for start in range(0, len(encoded), batch_size):
            logits = model(*_batch(encoded, vocab, range(start, min(start + batch_size,
                                                                     len(encoded)))))
            predicted += [RELATION_LABELS[i] for i in logits.argmax(1).tolist()]
    return predicted


def _optimisers(model: RelationCNN, lr: float) -> list[torch.optim.Optimizer]:
    """Adam for the dense weights, its lazy sparse form for the word embedding.

    The word embedding's gradient is sparse (only the batch's words), and only those rows
    and their moments are updated ("lazy" Adam: a row's momentum does not move it while its
    word is absent). With a 20,000-word vocabulary this saves about a third of a step.
    """
    dense = [p for name, p in model.named_parameters() if not name.startswith("word.")]
    return [torch.optim.Adam(dense, lr=lr), torch.optim.SparseAdam([model.word.weight], lr=lr)]


@contextlib.contextmanager
def _seeded(seed: int, threads: int | None) -> Iterator[None]:
    """Seed torch, numpy and ``random`` (and set torch's threads); restore all afterwards."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    threads_before = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        random.seed(seed)
        if threads is not None:
            torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(threads_before)
            np.random.set_state(numpy_state)
            random.setstate(python_state)


def _check_examples(examples: Sequence[RelationExample], name: str) -> None:
    if not examples:
        raise ValueError(f"{name}: no examples")
    for ex in examples:
        if not isinstance(ex, RelationExample):
            raise TypeError(f"{name} must hold RelationExample, got {type(ex).__name__}")


def train_relation_classifier(
    train: Sequence[RelationExample],
    test: Sequence[RelationExample],
    *,
    augment: Augment | None = None,
    epochs: int | None = None,
    seed: int = 0,
    threads: int | None = 1,
    batch_size: int = BATCH_SIZE,
    lr: float = 1e-3,
    valid: Sequence[RelationExample] | None = None,
    model_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train a fresh :class:`RelationCNN` on ``train`` and score it on ``test``.

    Parameters
    ----------
    train, test
        Labelled sentences (:func:`~tanda_transforms.data.semeval.load_semeval`); ``test`` is
        never augmented and takes no part in training.
    augment
        Markup sentence in, markup sentence out; applied anew to every training sentence in
        every epoch. A copy is used, reseeded with ``seed`` when it has ``manual_seed`` (a
        :class:`~tanda_transforms.TANDAPolicy`), so the caller's object is left as it was.
        ``None``: no augmentation.
    epochs
        Passes over ``train``; ``None``: :func:`default_epochs` of ``len(train)``.
    seed
        Seed of the initialisation, the batch order (a :class:`torch.Generator`), dropout and
        the augmentation (torch, numpy and ``random`` are seeded, then restored).
    threads
        torch CPU threads during the run (restored afterwards); ``None`` leaves torch's setting.
    batch_size, lr
        Adam's mini-batch size and learning rate.
    valid
        Optional held-out sentences (from the training side): their official macro-F1 after
        every epoch is returned as ``valid_f1`` (to pick a budget without the test set).
    model_options
        Extra keyword arguments of :class:`RelationCNN` (e.g. ``{"filters": 50}``).

    Returns
    -------
    dict
        ``macro_f1`` (official score, %), ``accuracy`` (19-way, %), ``f1`` (per relation, %),
        ``epochs``, ``steps``, ``batch_size``, ``lr``, ``n_train``, ``n_test``, ``vocab_size``,
        ``seed``, ``threads``, ``augmented``, ``final_loss`` (mean cross-entropy of the last epoch),
        ``wall_seconds`` (the whole call), ``train_seconds``, ``augment_seconds`` (inside
        ``augment``), ``test_seconds``, and ``valid_f1`` when ``valid`` is given.

    Raises
    ------
    MarkupError
        If a sentence (or an augmented one) does not mark ``e1`` and ``e2`` exactly once.
    ValueError
        If ``train`` or ``test`` is empty or a setting is out of range.

    Examples
    --------
    >>> train = [RelationExample(i, f"the <e1>{a}</e1> holds the <e2>{b}</e2>", label)
    ...          for i, (a, b, label) in enumerate([("box", "toy", "Content-Container(e2,e1)"),
    ...                                            ("cat", "mat", "Other")] * 5)]
    >>> result = train_relation_classifier(train, train, epochs=1, seed=0)
    >>> isinstance(result["macro_f1"], float), result["steps"]
    (True, 1)
    """
    started = time.perf_counter()
    _check_examples(train, "train")
    _check_examples(test, "test")
    epochs = default_epochs(len(train)) if epochs is None else epochs
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    with _seeded(seed, threads):
        if augment is not None:
            augment = reseed(copy.deepcopy(augment), seed)
        clean = [encode_sentence(ex.sentence) for ex in train]
        vocab = Vocabulary.build([e.words for e in clean])
        labels = torch.tensor([ex.label_index for ex in train])
        model = RelationCNN(len(vocab), len(RELATION_LABELS), **(model_options or {}))
        optimisers = _optimisers(model, lr)
        generator = torch.Generator().manual_seed(seed)
        valid_encoded = [encode_sentence(ex.sentence) for ex in valid] if valid else None
        valid_f1: list[float] = []
        augment_seconds, steps, final_loss = 0.0, 0, float("nan")
        for _ in range(epochs):
            encoded = clean
            if augment is not None:
                tick = time.perf_counter()
                encoded = [_augmented(augment, ex) for ex in train]
                augment_seconds += time.perf_counter() - tick
            model.train()
            losses = []
            for rows in torch.randperm(len(train), generator=generator).split(batch_size):
                loss = nn.functional.cross_entropy(model(*_batch(encoded, vocab, rows.tolist())),
                                                   labels[rows])
                for optimiser in optimisers:
                    optimiser.zero_grad(set_to_none=True)
                loss.backward()
                for optimiser in optimisers:
                    optimiser.step()
                losses.append(loss.item())
                steps += 1
            final_loss = float(np.mean(losses))
            if not math.isfinite(final_loss):
                raise FloatingPointError(f"training loss is {final_loss} (lr {lr} too high?)")
            if valid_encoded is not None:
                assert valid is not None
                predicted = _predict(model, valid_encoded, vocab, 500)
                valid_f1.append(relation_report([ex.label for ex in valid], predicted).macro_f1)
        train_seconds = time.perf_counter() - started
        tick = time.perf_counter()
        predicted = _predict(model, [encode_sentence(ex.sentence) for ex in test], vocab, 500)
        report = relation_report([ex.label for ex in test], predicted)
        test_seconds = time.perf_counter() - tick
    result: dict[str, Any] = {
        "macro_f1": report.macro_f1,
        "accuracy": report.accuracy,
        "f1": {s.relation: s.f1 for s in report.scores},
        "epochs": epochs,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "n_train": len(train),
        "n_test": len(test),
        "vocab_size": len(vocab),
        "seed": seed,
        "threads": torch.get_num_threads() if threads is None else threads,
        "augmented": augment is not None,
        "final_loss": final_loss,
        "wall_seconds": time.perf_counter() - started,
        "train_seconds": train_seconds,
        "augment_seconds": augment_seconds,
        "test_seconds": test_seconds,
    }
    if valid is not None:
        result["valid_f1"] = valid_f1
    return result


def fit_relations(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    augment: Augment,
    config: Any,
    seed: int,
    *,
    n_classes: int | None = None,
    unlabeled_x: np.ndarray | None = None,
) -> TrainResult:
    """The harness's end model for the ``semeval`` record: :func:`train_relation_classifier`
    with the arguments of :func:`~tanda_transforms.evaluation.training.fit`.

    ``train_x`` and ``test_x`` hold :class:`RelationExample` items
    (:mod:`~tanda_transforms.evaluation.relation_task`); their labels are the examples' own.
    ``config`` (an :class:`~tanda_transforms.evaluation.training.EvalConfig`) gives the
    epochs (``None``: :func:`default_epochs`), batch size, learning rate and threads; the
    result's ``accuracy`` is the official macro-F1 (the record's metric).
    """
    if config.model != MODEL or unlabeled_x is not None:
        raise ValueError(f"the relation task trains the {MODEL!r} end model, supervised only "
                         f"(got model {config.model!r}"
                         + (", a consistency term)" if unlabeled_x is not None else ")"))
    train, test = examples_of(train_x, "train_x"), examples_of(test_x, "test_x")
    cpu_started = time.process_time()
    result = train_relation_classifier(
        train, test, augment=None if isinstance(augment, Identity) else augment,
        epochs=config.epochs, seed=seed, threads=config.threads, batch_size=config.batch_size,
        lr=config.lr)
    epochs, cpu = result["epochs"], time.process_time() - cpu_started
    return TrainResult(  # per-epoch times: the run's mean (the classifier times the whole run)
        accuracy=result["macro_f1"],
        epoch_seconds=[result["train_seconds"] / epochs] * epochs,
        epoch_cpu_seconds=[cpu / epochs] * epochs,
        augment_seconds=result["augment_seconds"],
        test_seconds=result["test_seconds"],
        final_loss=result["final_loss"],
    )

