"""An evaluation task as arrays (a training pool, a test set, class names), and readers' helpers.

Which datasets exist, and how each is read, is said by one record per dataset in
:mod:`tanda_transforms.evaluation.datasets` (:func:`~tanda_transforms.evaluation.datasets.load_task`
reads one). This module holds what every reader returns, :class:`Task`, and the reader of the
datasets that come as a training and a test split (MNIST, CIFAR-10).

The pool is also the only data a TANDA policy may be learned on (without its labels):
:attr:`Task.train_images`. Test images never take part in learning.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tanda_transforms.evaluation.subsets import stratified_indices

__all__ = ["Task", "limit_test", "train_test_reader"]


@dataclasses.dataclass
class Task:
    """Arrays of one evaluation task.

    Attributes
    ----------
    dataset
        The dataset's record name (``"mnist"``, ``"cifar10"``, ``"mias"``, ``"folder"``...).
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
    groups
        Group of each pool item whose items must stay together when a validation set is held
        out (mini-MIAS: the patient); ``None``: items are independent.
    """

    dataset: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    classes: tuple[str, ...]
    description: str
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    groups: np.ndarray | None = None


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


def train_test_reader(
    loader: Callable[[str | os.PathLike, str], tuple[np.ndarray, np.ndarray]],
    classes: Sequence[str],
) -> Callable[..., Task]:
    """A reader of a dataset stored as a ``"train"`` and a ``"test"`` split.

    Parameters
    ----------
    loader
        ``loader(root, split)`` returns the split's images and labels (e.g.
        :func:`~tanda_transforms.data.load_mnist`).
    classes
        Class names, indexed by label.

    Returns
    -------
    callable
        ``reader(root)`` -> :class:`Task` (pool: the training split; ``dataset`` and
        ``description`` are left empty for the dataset's record to fill in).

    Examples
    --------
    >>> def toy(root, split):
    ...     return np.zeros((4, 2, 2), np.uint8), np.array([0, 1, 0, 1])
    >>> task = train_test_reader(toy, ("a", "b"))("/data")
    >>> task.train_images.shape, task.classes
    ((4, 2, 2), ('a', 'b'))
    """

    def read(root: str | os.PathLike) -> Task:
        train_x, train_y = loader(root, "train")
        test_x, test_y = loader(root, "test")
        return Task("", train_x, train_y, test_x, test_y, tuple(classes), "")

    return read
