"""Train an end model on a labeled set with one augmentation; report test accuracy.

Protocol (the same for every condition, so they are compared under one budget):

* the labeled subset, the weight initialisation and the batch order depend only on the seed,
  so for a given seed every condition sees the same images in the same order from the same
  start; only the augmentation differs (a paired comparison);
* augmentation runs on the fly, per epoch, inside the ``DataLoader`` (``num_workers``
  processes; 0, the default, runs it in the main process and is fully deterministic);
* images are scaled to [0, 1] and standardised per channel with the labeled subset's own mean
  and standard deviation (no test statistics);
* SGD with Nesterov momentum 0.9, weight decay 5e-4, cosine learning-rate decay to 0 over
  all steps, cross-entropy; the model after the last epoch is tested (no early stopping, no
  model selection on the test set);
* optionally semi-supervised: a consistency term on the unlabeled rest of the pool, made with
  the condition's own augmentation (``consistency_weight``; see
  :mod:`~tanda_transforms.evaluation.semi`).

The per-dataset defaults (model, budget, learning rate) are in each dataset's record
(:mod:`tanda_transforms.evaluation.datasets`), which says how they were chosen.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from tanda_transforms.evaluation.augment import (
    BASIC_PAD,
    Identity,
    PolicyRecipe,
)
from tanda_transforms.evaluation.batches import (
    AugmentedImages,
    batch_tensor,
    check_split,
    normaliser,
)
from tanda_transforms.evaluation.datasets import dataset_record
from tanda_transforms.evaluation.models import build_model
from tanda_transforms.evaluation.semi import (
    UnlabeledConsistency,
    check_config,
    make_consistency,
)
from tanda_transforms.seeding import reseed

__all__ = [
    "EvalConfig",
    "RunRecord",
    "TrainResult",
    "fit",
    "resolve_device",
    "summarize",
    "train_and_test",
]

Augment = Callable[[np.ndarray], np.ndarray]

@dataclasses.dataclass
class EvalConfig:
    """Settings of an end-model evaluation.

    Attributes
    ----------
    dataset
        A dataset name (:data:`~tanda_transforms.evaluation.datasets.DATASETS`); its record
        gives the TF pack and whether ``basic`` flips.
    label_fraction
        Share of the training pool that is labeled (drawn per seed, stratified).
    epochs, batch_size, lr
        Training budget and optimiser settings (``epochs`` ``None``: the end model's own
        rule, which only the ``semeval`` record's model has).
    seeds
        One run per seed; the same seeds for every condition.
    model, width, blocks
        End model (see :mod:`tanda_transforms.evaluation.models`).
    device
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    weight_decay, momentum
        SGD settings.
    num_workers
        DataLoader worker processes running the augmentation (0: in the main process).
    seq_len
        ``L`` of the heuristic baseline when no policy file gives it.
    with_basic
        Apply the basic pad-crop(-flip) before every other condition.
    policy_p, policy_frame, policy_max_kl, render, basic_border, basic_pad, basic_flip
        How policies are applied and ``basic`` pads and flips (see
        :class:`~tanda_transforms.evaluation.augment.PolicyRecipe`; ``policy_max_kl`` is
        its ``max_kl``).
    clean_epochs
        The last ``clean_epochs`` epochs train without augmentation (the reference's
        ``p_transform_drop``); 0 keeps augmentation to the end.
    eval_batch_size
        Batch size at test time.
    threads
        torch CPU threads during the run (restored afterwards); ``None`` leaves torch's
        setting. On a small, busy machine 1 thread is often faster than several: tiny
        convolutions gain little from threads and lose much when cores are contended.
    consistency_weight
        Weight of the consistency term on the unlabeled rest of the pool; 0 (default) trains
        on the labeled subset alone (see :mod:`~tanda_transforms.evaluation.semi`).
    consistency_passes, unlabeled_batch_size, consistency_target
        Copies per unlabeled image, unlabeled images per step (``None``: ``batch_size``) and
        the form of the term (``"pairs"``, the reference's, or ``"detached"``).

    Examples
    --------
    >>> EvalConfig.for_dataset("mnist", epochs=2).label_fraction
    0.01
    """

    dataset: str
    label_fraction: float = 1.0
    epochs: int | None = 30
    batch_size: int = 32
    lr: float = 0.02
    seeds: tuple[int, ...] = (0, 1, 2)
    model: str = "cnn"
    device: str = "auto"
    width: int = 32
    blocks: int = 2
    weight_decay: float = 5e-4
    momentum: float = 0.9
    num_workers: int = 0
    seq_len: int = 10
    with_basic: bool = False
    policy_p: float = 1.0
    policy_frame: int = 0
    policy_max_kl: float | None = None
    render: str = "fused"
    basic_border: str = "zero"
    basic_pad: int = BASIC_PAD
    basic_flip: bool | None = None
    clean_epochs: int = 0
    eval_batch_size: int = 500
    threads: int | None = None
    consistency_weight: float = 0.0
    consistency_passes: int = 2
    unlabeled_batch_size: int | None = None
    consistency_target: str = "pairs"

    def __post_init__(self) -> None:
        dataset_record(self.dataset)  # a clear error for an unknown name
        for name in ("epochs", "batch_size", "width", "blocks", "seq_len", "eval_batch_size"):
            value = getattr(self, name)
            if name == "epochs" and value is None and dataset_record(self.dataset).trainer != \
                    "images":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ValueError(f"threads must be a positive int or None, got {self.threads!r}")
        if not isinstance(self.num_workers, int) or self.num_workers < 0:
            raise ValueError(f"num_workers must be a non-negative int, got {self.num_workers!r}")
        if not 0 < self.label_fraction <= 1:
            raise ValueError(f"label_fraction must be in (0, 1], got {self.label_fraction!r}")
        if not self.lr > 0 or not self.weight_decay >= 0 or not 0 <= self.momentum < 1:
            raise ValueError("need lr > 0, weight_decay >= 0 and 0 <= momentum < 1")
        self.seeds = tuple(int(s) for s in self.seeds)
        if not self.seeds or any(s < 0 for s in self.seeds):
            raise ValueError(f"seeds must be non-negative ints, got {self.seeds!r}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if not isinstance(self.clean_epochs, int) or not 0 <= self.clean_epochs <= (
                self.epochs or 0):
            raise ValueError(
                f"clean_epochs must be an int in [0, epochs={self.epochs}], got "
                f"{self.clean_epochs!r}"
            )
        _ = self.recipe  # checks the policy recipe's fields
        if self.unlabeled_batch_size is None:
            self.unlabeled_batch_size = self.batch_size
        check_config(self.consistency_weight, self.consistency_passes,
                     self.unlabeled_batch_size, self.consistency_target)

    @property
    def recipe(self) -> PolicyRecipe:
        """How policies are applied (see :class:`PolicyRecipe`)."""
        return PolicyRecipe(self.policy_p, self.policy_frame, self.render, self.basic_border,
                            self.basic_pad, self.basic_flip, max_kl=self.policy_max_kl)

    @classmethod
    def for_dataset(cls, dataset: str, **overrides: Any) -> EvalConfig:
        """The config with the defaults of ``dataset``'s record, then ``overrides``."""
        return cls(dataset=dataset, **{**dataset_record(dataset).defaults, **overrides})


@dataclasses.dataclass
class TrainResult:
    """What one training run measured.

    Attributes
    ----------
    accuracy
        Test accuracy in percent.
    epoch_seconds
        Wall time of each training epoch (augmentation included).
    epoch_cpu_seconds
        CPU time of this process in each epoch (all its threads; not worker processes): on a
        shared machine a steadier measure of cost than wall time.
    augment_seconds
        Time spent inside the augmentation (main process only; ``None`` with workers).
    test_seconds
        Wall time of the test pass.
    final_loss
        Mean training loss (cross-entropy) of the last epoch.
    final_consistency
        Mean consistency term (unweighted) of the last epoch that used it; ``None`` without.
    """

    accuracy: float
    epoch_seconds: list[float]
    epoch_cpu_seconds: list[float]
    augment_seconds: float | None
    test_seconds: float
    final_loss: float
    final_consistency: float | None = None


@dataclasses.dataclass
class RunRecord:
    """One (condition, seed) run of :func:`run_conditions`."""

    condition: str
    seed: int
    accuracy: float
    wall_seconds: float
    epoch_seconds: list[float]
    epoch_cpu_seconds: list[float]
    augment_seconds: float | None
    test_seconds: float
    final_loss: float
    final_consistency: float | None = None


def resolve_device(device: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names as given."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _evaluate(
    model: nn.Module,
    images: np.ndarray,
    labels: np.ndarray,
    normalise: Callable[[torch.Tensor], torch.Tensor],
    batch_size: int,
    device: torch.device,
) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = batch_tensor(images[start : start + batch_size])
            logits = model(normalise(chunk.to(device)))
            truth = torch.from_numpy(np.asarray(labels[start : start + batch_size])).to(device)
            correct += int((logits.argmax(1) == truth).sum())
    return 100.0 * correct / len(images)


def fit(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    augment: Augment,
    config: EvalConfig,
    seed: int,
    *,
    n_classes: int | None = None,
    unlabeled_x: np.ndarray | None = None,
) -> TrainResult:
    """Train a fresh end model with on-the-fly ``augment`` and test it; see the module doc.

    Parameters
    ----------
    train_x, train_y
        Labeled training images (``uint8``, ``N x H x W`` or ``N x H x W x C``) and labels.
    test_x, test_y
        Test images and labels (never augmented).
    augment
        ``uint8`` image in, same shape and dtype out. A copy is used, reseeded with ``seed``
        when it has ``manual_seed``, so the caller's object is left as it was.
    config
        Budget, optimiser, model and device.
    seed
        Seed of the initialisation, the batch order and the augmentation stream.
    n_classes
        Number of classes (default: largest label + 1).
    unlabeled_x
        Unlabeled images of the consistency term (needed when ``config.consistency_weight``
        is above 0; laid out as ``train_x``).

    Returns
    -------
    TrainResult
        Test accuracy in percent and the timings.
    """
    check_split(train_x, train_y, "train")
    check_split(test_x, test_y, "test")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise ValueError(f"train images {train_x.shape[1:]} but test images {test_x.shape[1:]}")
    train_y = np.asarray(train_y, dtype=np.int64)
    test_y = np.asarray(test_y, dtype=np.int64)
    if n_classes is None:
        n_classes = int(max(train_y.max(), test_y.max())) + 1
    device = resolve_device(config.device)
    augment = reseed(copy.deepcopy(augment), seed)
    channels = 1 if train_x.ndim == 3 else train_x.shape[3]
    cuda = [device.index or 0] if device.type == "cuda" else []
    with _torch_threads(config.threads):
        normalise = normaliser(train_x, device)
        semi = make_consistency(
            config, augment, unlabeled_x, train_x, seed, lambda b: normalise(b.to(device))
        )
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            model = build_model(config.model, channels, n_classes, config.width, config.blocks)
            model = model.to(device, memory_format=torch.channels_last)
            dataset = AugmentedImages(train_x, train_y, augment)
            loader = _loader(dataset, config, seed, device)
            epoch_seconds, epoch_cpu_seconds, final_loss = _train_epochs(
                model, loader, dataset, normalise, config, device, semi
            )
            started = time.perf_counter()
            accuracy = _evaluate(model, test_x, test_y, normalise, config.eval_batch_size, device)
            test_seconds = time.perf_counter() - started
    return TrainResult(
        accuracy=accuracy,
        epoch_seconds=epoch_seconds,
        epoch_cpu_seconds=epoch_cpu_seconds,
        augment_seconds=dataset.augment_seconds if config.num_workers == 0 else None,
        test_seconds=test_seconds,
        final_loss=final_loss,
        final_consistency=None if semi is None else semi.last_epoch_mean,
    )


def _loader(
    dataset: AugmentedImages, config: EvalConfig, seed: int, device: torch.device
) -> DataLoader:
    """Shuffled batches in an order that depends only on ``seed``."""
    return DataLoader(
        dataset,
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
    )


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with torch on ``threads`` threads (``None``: as set), then restore."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _train_epochs(
    model: nn.Module,
    loader: DataLoader,
    dataset: AugmentedImages,
    normalise: Callable[[torch.Tensor], torch.Tensor],
    config: EvalConfig,
    device: torch.device,
    semi: UnlabeledConsistency | None = None,
) -> tuple[list[float], list[float], float]:
    """SGD for ``config.epochs``: wall and CPU seconds per epoch, and the last epoch's loss
    (cross-entropy; ``semi`` adds its term to what is minimised)."""
    optimiser = torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        nesterov=config.momentum > 0,
        weight_decay=config.weight_decay,
    )
    total = config.epochs * len(loader)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
    )
    loss_fn = nn.CrossEntropyLoss()
    epoch_seconds: list[float] = []
    epoch_cpu_seconds: list[float] = []
    final_loss = float("nan")
    for epoch in range(config.epochs):
        if epoch == config.epochs - config.clean_epochs:
            dataset.augment = Identity()  # workers start from this state every epoch
            semi = None  # no augmentation, no consistency term
        started, cpu_started = time.perf_counter(), time.process_time()
        model.train()
        losses = []
        for images, labels in loader:
            images = normalise(images.to(device, non_blocking=True))
            labels = labels.to(device, non_blocking=True)
            loss = loss_fn(model(images), labels)
            losses.append(loss.detach())
            if semi is not None:
                loss = loss + semi(model)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
        final_loss = float(torch.stack(losses).mean())
        if semi is not None:
            semi.end_epoch()
        if not math.isfinite(final_loss):
            raise FloatingPointError(
                f"training loss is {final_loss} (learning rate {config.lr} too high?)"
            )
        epoch_seconds.append(time.perf_counter() - started)
        epoch_cpu_seconds.append(time.process_time() - cpu_started)
    return epoch_seconds, epoch_cpu_seconds, final_loss


def train_and_test(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    augment: Augment,
    config: EvalConfig,
    seed: int,
) -> float:
    """Train an end model with ``augment`` and return its test accuracy in percent.

    See :func:`fit` (which also returns the timings) for the parameters.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 50, (40, 8, 8), dtype=np.uint8)
    >>> y = np.arange(40) % 2
    >>> x[y == 1, :, :4] += 150                     # class 1: bright left half
    >>> config = EvalConfig("mnist", epochs=3, batch_size=8, width=4, device="cpu", threads=1)
    >>> from tanda_transforms.evaluation.augment import Identity
    >>> train_and_test(x, y, x, y, Identity(), config, seed=0) > 90
    True
    """
    return fit(train_x, train_y, test_x, test_y, augment, config, seed).accuracy


def summarize(accuracies: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for a single value).

    Examples
    --------
    >>> summarize([90.0, 92.0, 94.0])
    (92.0, 2.0)
    """
    values = np.asarray(accuracies, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no accuracies to summarize")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), std
