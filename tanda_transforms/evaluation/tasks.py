"""The three evaluation tasks as arrays: a training pool, a test set, class names.

``mnist``
    Pool: the 60,000 MNIST training digits (1 % of them, 600, are labeled per seed);
    test: the 10,000 test digits.
``cifar10``
    Pool: the 50,000 CIFAR-10 training images (10 %, 5,000, labeled per seed); test: the
    10,000 test images.
``mias``
    mini-MIAS patches (see :mod:`tanda_transforms.evaluation.mias`), split by patient: every
    training patch is labeled; test: the held-out patients' patches.

The pool is also the only data a TANDA policy may be learned on (without its labels):
:attr:`Task.train_images`. Test images never take part in learning.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import numpy as np

from tanda_transforms.data import CIFAR10_CLASSES, load_cifar10, load_mnist
from tanda_transforms.evaluation.augment import DATASETS
from tanda_transforms.evaluation.mias import mias_patches, split_by_patient
from tanda_transforms.evaluation.subsets import stratified_indices

__all__ = ["Task", "load_task", "limit_test"]


@dataclasses.dataclass
class Task:
    """Arrays of one evaluation task.

    Attributes
    ----------
    dataset
        ``"mnist"``, ``"cifar10"`` or ``"mias"``.
    train_images, train_labels
        The training pool (labeled subsets are drawn from it).
    test_images, test_labels
        The test set.
    classes
        Class names, indexed by label.
    description
        One line saying what the task is.
    info
        Extra facts for the results file (sizes, split seed, patch settings...).
    """

    dataset: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...]
    description: str
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


def limit_test(images: np.ndarray, labels: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed (seed 0), class-stratified subset of ``limit`` test items (all if fewer).

    Examples
    --------
    >>> x, y = limit_test(np.zeros((100, 2, 2), np.uint8), np.arange(100) % 2, 10)
    >>> len(x), np.bincount(y).tolist()
    (10, [5, 5])
    """
    if limit >= len(labels):
        return images, labels
    idx = stratified_indices(labels, limit / len(labels), seed=0)
    return images[idx], labels[idx]


def load_task(
    dataset: str,
    root: str | os.PathLike,
    *,
    test_limit: int | None = None,
    mias_task: str = "abnormal",
    split_seed: int = 0,
    test_fraction: float = 0.25,
    **patch_options: Any,
) -> Task:
    """Load a task's training pool and test set from the dataset files under ``root``.

    Parameters
    ----------
    dataset
        ``"mnist"``, ``"cifar10"`` or ``"mias"``.
    root
        The dataset's folder (MNIST IDX files; the CIFAR-10 tar or batches; mini-MIAS).
    test_limit
        Keep only a fixed, stratified subset of this many test items (to save time); all by
        default.
    mias_task, split_seed, test_fraction, **patch_options
        ``mias`` only: the task (``"abnormal"`` or ``"malignancy"``), the seed and share of
        the patient split, and options of :func:`~tanda_transforms.evaluation.mias.mias_patches`.

    Returns
    -------
    Task
    """
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {DATASETS}")
    info: dict[str, Any] = {"root": os.fspath(root)}
    if dataset == "mnist":
        train_x, train_y = load_mnist(root, "train")
        test_x, test_y = load_mnist(root, "test")
        classes = tuple(str(d) for d in range(10))
        description = "MNIST digits, 10 classes"
    elif dataset == "cifar10":
        train_x, train_y = load_cifar10(root, "train")
        test_x, test_y = load_cifar10(root, "test")
        classes = CIFAR10_CLASSES
        description = "CIFAR-10, 10 classes"
    else:
        patches = mias_patches(root, task=mias_task, **patch_options)
        train, test = split_by_patient(patches, test_fraction=test_fraction, seed=split_seed)
        train_x, train_y, test_x, test_y = train.images, train.labels, test.images, test.labels
        classes = patches.classes
        description = (
            f"mini-MIAS {classes[0]} vs {classes[1]} patches "
            f"({train_x.shape[1]} x {train_x.shape[2]}), split by patient"
        )
        info.update(
            mias_task=mias_task,
            split_seed=split_seed,
            test_fraction=test_fraction,
            patch_options=patch_options,
            train_patients=len(set(train.patients.tolist())),
            test_patients=len(set(test.patients.tolist())),
            train_class_counts=np.bincount(train_y, minlength=2).tolist(),
            test_class_counts=np.bincount(test_y, minlength=2).tolist(),
        )
    if test_limit is not None:
        test_x, test_y = limit_test(test_x, test_y, test_limit)
        info["test_limit"] = test_limit
    info.update(n_pool=len(train_y), n_test=len(test_y))
    return Task(dataset, train_x, train_y, test_x, test_y, tuple(classes), description, info)
