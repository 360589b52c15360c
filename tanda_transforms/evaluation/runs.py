"""Runs of the harness: every condition (or named augmentation) once per seed, paired.

For each seed (outer loop, so a stopped run still holds complete paired comparisons) the
labeled subset is drawn once and every augmentation is trained on it from the same
initialisation and batch order (:func:`~tanda_transforms.evaluation.training.fit`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tanda_transforms.evaluation.augment import CONDITIONS, make_augment
from tanda_transforms.evaluation.datasets import dataset_record
from tanda_transforms.evaluation.relation import fit_relations
from tanda_transforms.evaluation.semi import split_pool
from tanda_transforms.evaluation.training import Augment, EvalConfig, RunRecord, TrainResult, fit

__all__ = ["TRAINERS", "run_augments", "run_conditions"]

#: A dataset record's ``trainer`` -> the function that trains and scores its end model once
#: (``fit``'s arguments; the result's ``accuracy`` is the record's metric).
TRAINERS: dict[str, Callable[..., TrainResult]] = {"images": fit, "relations": fit_relations}


def run_conditions(
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    conditions: Sequence[str],
    config: EvalConfig,
    policy_paths: Mapping[str, Any] | None = None,
    *,
    n_classes: int | None = None,
    on_run: Callable[[RunRecord], None] | None = None,
) -> dict[str, list[float]]:
    """Train and test every condition for every seed of ``config``.

    For each seed (outer loop, so a stopped run still holds complete paired comparisons) a
    stratified labeled subset of ``config.label_fraction`` of the training pool is drawn, then
    every condition is trained on that subset from the same initialisation and batch order.
    With ``config.consistency_weight > 0`` the rest of the pool is the unlabeled set of the
    consistency term (so ``label_fraction`` must be below 1).

    Parameters
    ----------
    train_x, train_y
        The training pool (its labeled subset is drawn per seed).
    test_x, test_y
        The test set.
    conditions
        Names from :data:`~tanda_transforms.evaluation.augment.CONDITIONS`.
    config
        The evaluation settings.
    policy_paths
        Condition -> policy file (or gallery name), needed by ``tanda_mf`` and ``tanda_lstm``;
        a ``"heuristic"`` entry makes the heuristic use that policy's TFs and length.
    n_classes
        Number of classes (default: largest label + 1).
    on_run
        Called with a :class:`RunRecord` after each run (e.g. to print or save progress).

    Returns
    -------
    dict
        Condition -> test accuracies (percent), one per seed, in ``config.seeds`` order.

    Raises
    ------
    ValueError
        An unknown condition, or a policy condition without a policy path.
    PolicyNotFoundError
        A policy file that does not exist (checked for all conditions before any training).
    """
    policy_paths = dict(policy_paths or {})
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f"unknown conditions {unknown}; expected names from {CONDITIONS}")
    # Build every augmentation once up front: a missing policy fails before hours of training.
    augments = {
        c: make_augment(
            c,
            config.dataset,
            policy_paths.get(c),
            config.seq_len,
            seed=0,
            with_basic=config.with_basic,
            recipe=config.recipe,
        )
        for c in conditions
    }
    if n_classes is None:
        n_classes = int(max(np.max(train_y), np.max(test_y))) + 1

    def split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return split_pool(train_x, train_y, config.label_fraction, seed,
                          unlabeled=config.consistency_weight > 0)

    return run_augments(split, test_x, test_y, augments, config, n_classes=n_classes,
                        on_run=on_run)


def run_augments(
    split: Callable[[int], tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    test_x: np.ndarray,
    test_y: np.ndarray,
    augments: Mapping[str, Augment],
    config: EvalConfig,
    *,
    n_classes: int,
    seeds: Sequence[int] | None = None,
    on_run: Callable[[RunRecord], None] | None = None,
) -> dict[str, list[float]]:
    """Train every named augmentation once per seed on ``split(seed)`` and test it, with the
    end model of the dataset's record (:data:`TRAINERS`).

    Parameters
    ----------
    split
        ``split(seed)`` -> the labeled images, their labels and the unlabeled images of the
        consistency term (``None`` without it).
    test_x, test_y
        Where each trained model is scored (the test set, or a validation set).
    augments
        Name -> augmentation.
    config
        The evaluation settings.
    n_classes
        Number of classes.
    seeds
        The seeds (default ``config.seeds``); seeds are the outer loop.
    on_run
        Called with a :class:`RunRecord` after each run.

    Returns
    -------
    dict
        Name -> accuracies (percent), one per seed.
    """
    results: dict[str, list[float]] = {name: [] for name in augments}
    train = TRAINERS[dataset_record(config.dataset).trainer]
    for seed in config.seeds if seeds is None else seeds:
        sub_x, sub_y, rest_x = split(seed)
        for name, augment in augments.items():
            started = time.perf_counter()
            result = train(
                sub_x, sub_y, test_x, test_y, augment, config, seed,
                n_classes=n_classes, unlabeled_x=rest_x,
            )
            results[name].append(result.accuracy)
            if on_run is not None:
                wall_seconds = time.perf_counter() - started
                on_run(RunRecord(name, seed, wall_seconds=wall_seconds,
                                 **dataclasses.asdict(result)))
    return results
