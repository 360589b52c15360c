"""Labeled subsets: a seeded, class-stratified fraction of a training set.

The paper's low-label settings (MNIST with 1 % of the labels, CIFAR-10 with 10 %) are drawn
here. Each class keeps its share of the data (largest-remainder rounding, so the total is
exactly ``round(fraction * N)``), and the draw inside each class is seeded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["build_subset", "held_out_groups", "stratified_indices"]


def _check_fraction(fraction: float) -> float:
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    return float(fraction)


def stratified_indices(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Indices of a class-stratified random subset holding ``fraction`` of the items.

    Class ``c`` with ``n_c`` items gets ``floor(fraction * n_c)`` of them, and the items still
    missing to reach ``round(fraction * N)`` go to the classes with the largest remainders
    (ties: the lower class). A class that would get none but has items gets one, so every
    class is represented (the total can then exceed ``round(fraction * N)`` by the number of
    such classes; this only happens for tiny data).

    Parameters
    ----------
    labels
        ``N`` integer class labels.
    fraction
        Share of the items to keep, in ``(0, 1]``.
    seed
        Seed of the draw inside each class (``numpy.random.default_rng``).

    Returns
    -------
    numpy.ndarray
        Sorted ``int64`` indices into ``labels``.

    Examples
    --------
    >>> labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    >>> idx = stratified_indices(labels, 0.1, seed=0)
    >>> len(idx), np.bincount(labels[idx]).tolist()
    (10, [5, 3, 2])
    >>> bool((idx == stratified_indices(labels, 0.1, seed=0)).all())
    True
    """
    fraction = _check_fraction(fraction)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    classes, counts = np.unique(labels, return_counts=True)
    exact = fraction * counts
    quota = np.floor(exact).astype(np.int64)
    missing = int(round(fraction * len(labels))) - int(quota.sum())
    if missing > 0:
        order = np.lexsort((np.arange(len(classes)), -(exact - quota)))
        quota[order[:missing]] += 1
    quota = np.minimum(np.maximum(quota, 1), counts)
    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(labels == c), size=int(q), replace=False)
        for c, q in zip(classes, quota, strict=True)
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def build_subset(
    images: np.ndarray, labels: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """A class-stratified, seeded subset of a labeled set (see :func:`stratified_indices`).

    Parameters
    ----------
    images
        ``N x H x W`` or ``N x H x W x C`` images.
    labels
        ``N`` integer labels.
    fraction
        Share of the items to keep, in ``(0, 1]``; e.g. ``0.01`` for MNIST-1 % (600 digits).
    seed
        Seed of the draw.

    Returns
    -------
    tuple of numpy.ndarray
        The subset's images and labels (copies, in the original order).

    Examples
    --------
    >>> x = np.zeros((100, 4, 4), np.uint8)
    >>> y = np.arange(100) % 4
    >>> sx, sy = build_subset(x, y, 0.2, seed=1)
    >>> sx.shape, np.bincount(sy).tolist()
    ((20, 4, 4), [5, 5, 5, 5])
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    idx = stratified_indices(labels, fraction, seed)
    return images[idx].copy(), labels[idx].copy()


def held_out_groups(
    labels: np.ndarray, groups: np.ndarray, fraction: float, seed: int
) -> np.ndarray:
    """Which items belong to a seeded, stratified draw of whole groups (e.g. patients).

    Groups are stratified by their largest label; within each stratum
    ``round(fraction * n)`` groups, at least one when the stratum has two or more (and never
    all of them), are held out.

    Parameters
    ----------
    labels
        ``N`` integer labels.
    groups
        ``N`` group ids (items of one group are held out together).
    fraction
        Share of the groups to hold out, in ``(0, 1)``.
    seed
        Seed of the group shuffle.

    Returns
    -------
    numpy.ndarray
        ``N`` booleans: ``True`` for the items of a held-out group.

    Examples
    --------
    >>> labels = np.array([0, 0, 1, 1, 0, 1, 0, 0])
    >>> groups = np.array([1, 1, 2, 2, 3, 4, 5, 6])
    >>> mask = held_out_groups(labels, groups, 0.5, seed=0)
    >>> sorted(set(groups[mask].tolist()) & set(groups[~mask].tolist()))
    []
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be in (0, 1), got {fraction!r}")
    labels, groups = np.asarray(labels), np.asarray(groups)
    if labels.shape != groups.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and groups {groups.shape} must be 1-D, alike")
    rng = np.random.default_rng(seed)
    held_out: list = []
    ids = np.unique(groups)
    top_label = np.array([labels[groups == g].max() for g in ids])
    for label in np.unique(top_label):
        stratum = rng.permutation(ids[top_label == label])
        n_out = int(round(fraction * len(stratum)))
        if len(stratum) >= 2:
            n_out = min(max(n_out, 1), len(stratum) - 1)
        held_out.extend(stratum[:n_out].tolist())
    return np.isin(groups, held_out)
