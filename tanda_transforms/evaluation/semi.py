"""Semi-supervised end models: the unlabeled rest of the pool in a consistency term.

With :attr:`EvalConfig.consistency_weight <tanda_transforms.evaluation.EvalConfig>` above 0,
every training step of :func:`~tanda_transforms.evaluation.fit` also draws
``unlabeled_batch_size`` images from the training pool minus the labeled subset (a fresh,
seeded draw each step), makes ``consistency_passes`` copies of each with the condition's own
augmentation, and adds ``consistency_weight`` times
:func:`~tanda_transforms.consistency.consistency_term` of those copies (form
``consistency_target``: ``"pairs"`` or ``"detached"``) to the cross-entropy. Every condition is
thus compared inside the same semi-supervised recipe:

``none``
    No term: identical copies would give zero with the ResNet, and only the dropout noise of
    the CNN otherwise (a different method, the Pi-model). ``none`` stays the supervised
    baseline, trained exactly as without the option.
``basic``
    Copies from the pad-crop(-flip).
``heuristic``, ``tanda_*``, torchvision conditions
    Copies from the condition (after basic with ``with_basic``).

The reference (HazyResearch/tanda, ``train_end_model``) differs in three ways: its unlabeled
images come from the whole training set with the labeled batch appended, its first copy is the
basic pad-crop and the other ``ls_term_n_passes`` the policy's, and its term is
``(copies - 1) / 2`` times ours (see :mod:`tanda_transforms.consistency`; its ``ls_term`` 0.1
with one pass is a weight of 0.05 here). Here the labeled images carry the supervised loss
only and every copy comes from the condition, so a condition's term measures that condition.

The unlabeled augmentation is a copy of the condition reseeded from the run's seed, so the
labeled batches are the same with and without the term; it runs in the main process (workers
serve the labeled loader only). The last ``clean_epochs`` epochs drop the term with the
augmentation. Each copy is its own forward pass in training mode (batch-norm statistics per
copy, as the reference), so a step costs about ``1 + passes * unlabeled_batch_size /
batch_size`` supervised steps, plus the augmentation of the copies.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from tanda_transforms.consistency import TARGETS, check_settings, consistency_term
from tanda_transforms.evaluation.augment import Identity
from tanda_transforms.evaluation.batches import augmented_batch, batch_tensor, check_images
from tanda_transforms.evaluation.subsets import stratified_indices
from tanda_transforms.seeding import derive_seed, reseed

__all__ = ["UnlabeledConsistency", "check_config", "make_consistency", "split_pool"]

Augment = Callable[[np.ndarray], np.ndarray]


def check_config(weight: Any, passes: Any, batch_size: Any, target: Any) -> None:
    """Check the consistency settings of an :class:`EvalConfig` (``ValueError`` naming them).

    Examples
    --------
    >>> check_config(0.5, 1, 32, "pairs")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: consistency_passes must be an int >= 2 for target 'pairs' (...), got 1
    """
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not (
        math.isfinite(weight) and weight >= 0
    ):
        raise ValueError(f"consistency_weight must be a number >= 0 (0: off), got {weight!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"unlabeled_batch_size must be a positive int, got {batch_size!r}")
    if target not in TARGETS:
        raise ValueError(f"consistency_target must be one of {TARGETS}, got {target!r}")
    try:
        check_settings(passes, target)
    except ValueError as err:
        raise ValueError(f"consistency_{err}") from None


def split_pool(
    images: np.ndarray, labels: np.ndarray, fraction: float, seed: int, *, unlabeled: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The labeled subset of a seed and, when ``unlabeled``, the rest of the pool's images.

    The subset is the one :func:`~tanda_transforms.evaluation.build_subset` draws.

    Examples
    --------
    >>> x, y = np.arange(20, dtype=np.uint8).reshape(20, 1, 1), np.arange(20) % 2
    >>> sub_x, sub_y, rest = split_pool(x, y, 0.25, seed=0, unlabeled=True)
    >>> len(sub_x), len(rest), sorted(np.concatenate([sub_x, rest]).ravel()) == list(range(20))
    (5, 15, True)
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if fraction >= 1:
        if unlabeled:
            raise ValueError(
                "consistency training needs unlabeled images: label_fraction must be < 1 "
                "(the rest of the pool is the unlabeled set)"
            )
        return images, labels, None
    picked = stratified_indices(labels, fraction, seed)
    rest = np.delete(images, picked, axis=0) if unlabeled else None
    return images[picked].copy(), labels[picked].copy(), rest


class UnlabeledConsistency:
    """Per training step: ``weight`` times the consistency term of a fresh unlabeled batch.

    Parameters
    ----------
    pool
        Unlabeled ``uint8`` images, laid out as the training images.
    augment
        The condition's augmentation; a copy reseeded from ``seed`` is used.
    config
        An :class:`~tanda_transforms.evaluation.EvalConfig` (its ``consistency_*`` and
        ``unlabeled_batch_size`` settings).
    seed
        The run's seed: the unlabeled draws and the copies' stream derive from it.
    prepare
        ``uint8`` batch ``B x C x H x W`` on the CPU -> model input (device, normalisation).

    Attributes
    ----------
    steps
        Terms computed so far.
    last_epoch_mean
        Mean term (unweighted) of the last epoch that used it; ``None`` before.
    """

    def __init__(
        self,
        pool: np.ndarray,
        augment: Augment,
        config: Any,
        seed: int,
        prepare: Callable[[torch.Tensor], torch.Tensor],
    ) -> None:
        self.pool, self.prepare = pool, prepare
        self.augment = reseed(copy.deepcopy(augment), derive_seed(seed, 1))
        self.rng = np.random.default_rng(derive_seed(seed, 2))
        self.weight, self.passes = float(config.consistency_weight), config.consistency_passes
        self.batch_size = min(config.unlabeled_batch_size, len(pool))
        self.detached = config.consistency_target == "detached"
        self.steps = 0
        self.last_epoch_mean: float | None = None
        self._values: list[torch.Tensor] = []

    def __call__(self, model: nn.Module) -> torch.Tensor:
        """The weighted term for this step (a scalar with gradient to ``model``)."""
        picked = self.rng.choice(len(self.pool), size=self.batch_size, replace=False)
        images = self.pool[np.sort(picked)]
        copies = [augmented_batch(self.augment, images) for _ in range(self.passes)]
        original = batch_tensor(images) if self.detached else None
        term = consistency_term(model, copies, original=original, preprocess=self.prepare)
        self.steps += 1
        self._values.append(term.detach())
        return self.weight * term

    def end_epoch(self) -> None:
        """Close an epoch: :attr:`last_epoch_mean` becomes its mean term (if it had any)."""
        if self._values:
            self.last_epoch_mean = float(torch.stack(self._values).mean())
            self._values = []


def make_consistency(
    config: Any,
    augment: Augment,
    unlabeled_x: np.ndarray | None,
    train_x: np.ndarray,
    seed: int,
    prepare: Callable[[torch.Tensor], torch.Tensor],
) -> UnlabeledConsistency | None:
    """The term of a run, or ``None`` when it is off (weight 0, or the ``none`` condition).

    Raises
    ------
    ValueError
        A weight above 0 without unlabeled images, or unlabeled images of another shape than
        the training images.
    """
    if config.consistency_weight == 0 or isinstance(augment, Identity):
        return None
    if unlabeled_x is None:
        raise ValueError("consistency_weight > 0 needs unlabeled images (unlabeled_x)")
    check_images(unlabeled_x, "unlabeled")
    if unlabeled_x.shape[1:] != train_x.shape[1:]:
        raise ValueError(
            f"unlabeled images {unlabeled_x.shape[1:]} but train images {train_x.shape[1:]}"
        )
    return UnlabeledConsistency(unlabeled_x, augment, config, seed, prepare)
