"""Morphology ops, one home each: erosion, dilation (grey, over an odd flat square).

Each op's per-image numpy kernel, its batched torch kernel (``*_batch``) and its bounds,
registered below with ``register_op(..., batched=...)`` as a user's op.

Per image: ``cv2.erode`` / ``cv2.dilate``; with a flat kernel the border handling does not
matter (pixels outside the image are ignored, which equals any mirroring or edge-repeating
border for min/max filters). Batched: the same, separable and with logarithmically many
elementwise ops; every channel is filtered, alpha too, and samples are grouped by distinct
size.

Examples
--------
>>> import numpy as np
>>> erosion(np.array([[9, 9, 1]], np.uint8)).tolist()
[[9, 1, 1]]
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tanda_transforms._validate import apply_cv2, check_image, check_int
from tanda_transforms.ops._torch_common import PerSample, Tensor, _by_group
from tanda_transforms.ops.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["dilation", "dilation_batch", "erosion", "erosion_batch"]

# --- per-image kernels (numpy) ----------------------------------------------------------------

def _kernel(size: object) -> np.ndarray | None:
    size = check_int(size, "size", low=1)
    if size % 2 == 0:
        raise ValueError(f"size must be odd, got {size}")
    if size == 1:
        return None
    return np.ones((size, size), np.uint8)


def _morphology(img: np.ndarray, size: int, cv2_op) -> np.ndarray:
    check_image(img)
    kernel = _kernel(size)
    if kernel is None:
        return img.copy()
    return apply_cv2(lambda chunk: cv2_op(chunk, kernel), img)


def erosion(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey erosion: minimum over a ``size x size`` square around each pixel.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C (channels independent).
    size : int
        Odd side length >= 1; 1 is the identity.

    Examples
    --------
    >>> erosion(np.array([[5, 1, 5, 5]], np.uint8)).tolist()
    [[1, 1, 1, 5]]
    """
    return _morphology(img, size, cv2.erode)


def dilation(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey dilation: maximum over a ``size x size`` square around each pixel.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C (channels independent).
    size : int
        Odd side length >= 1; 1 is the identity.

    Examples
    --------
    >>> dilation(np.array([[0, 9, 0, 0]], np.uint8)).tolist()
    [[9, 9, 9, 0]]
    """
    return _morphology(img, size, cv2.dilate)


# --- batched kernels (torch) ------------------------------------------------------------------

def _max_filter(x: Tensor, size: float) -> Tensor:
    """Maximum over a ``size`` x ``size`` square, pixels outside the image ignored (as
    ``cv2.dilate``'s default border); separable, as a row then a column max."""
    return _extreme_filter(x, size, torch.maximum, float("-inf"))


def _min_filter(x: Tensor, size: float) -> Tensor:
    """Minimum over a ``size`` x ``size`` square (``cv2.erode``'s default border), exactly."""
    return _extreme_filter(x, size, torch.minimum, float("inf"))


def _extreme_filter(x: Tensor, size: float, extreme: Callable, outside: float) -> Tensor:
    size = int(size)
    if size % 2 == 0:
        raise ValueError(f"size must be odd, got {size}")
    if size == 1:
        return x.clone()
    if size == 3 and min(x.shape[2:]) >= 2:
        return _extreme3(_extreme3(x, 3, extreme), 2, extreme)
    rows = _window_extreme(x, size, 3, extreme, outside)
    return _window_extreme(rows, size, 2, extreme, outside)


def _extreme3(x: Tensor, dim: int, extreme: Callable) -> Tensor:
    """Centred extreme of width 3 along ``dim`` (length >= 2), outside ignored: the
    extremes of neighbouring pairs, then of neighbouring pair extremes (no padding)."""
    length = x.shape[dim]
    pairs = extreme(x.narrow(dim, 0, length - 1), x.narrow(dim, 1, length - 1))
    out = torch.empty_like(x)
    out.narrow(dim, 0, 1).copy_(pairs.narrow(dim, 0, 1))
    out.narrow(dim, length - 1, 1).copy_(pairs.narrow(dim, length - 2, 1))
    if length > 2:
        extreme(pairs.narrow(dim, 0, length - 2), pairs.narrow(dim, 1, length - 2),
                out=out.narrow(dim, 1, length - 2))  # fmt: skip
    return out


def _window_extreme(x: Tensor, size: int, dim: int, extreme: Callable, outside: float) -> Tensor:
    """Centred running extreme of odd width ``size`` along ``dim`` (2 or 3), outside ignored.

    The input is padded with ``outside`` (-inf for a maximum) and the window doubled
    (extreme of a value and the one ``width`` further) up to the largest power of two within
    ``size``, then combined once more: ``log2(size) + 1`` elementwise ops, not ``size - 1``.
    """
    half = size // 2
    padding = (half, half, 0, 0) if dim == 3 else (0, 0, half, half)
    out = F.pad(x, padding, value=outside)
    width = 1  # out[i] is the extreme of padded[i : i + width]
    while 2 * width <= size:
        out = _with_shifted(out, width, dim, extreme)
        width *= 2
    if width < size:
        out = _with_shifted(out, size - width, dim, extreme)
    return out


def _with_shifted(x: Tensor, shift: int, dim: int, extreme: Callable) -> Tensor:
    length = x.shape[dim] - shift
    return extreme(x.narrow(dim, 0, length), x.narrow(dim, shift, length))


def dilation_batch(x: Tensor, size: PerSample = 3) -> Tensor:
    """Grey dilation: maximum over an odd ``size`` x ``size`` square (every channel, alpha too).

    Samples are grouped by distinct size (one host sync per call).

    Examples
    --------
    >>> dilation_batch(torch.tensor([0.0, 0.5, 0.0, 0.0]).reshape(1, 1, 1, 4)).flatten().tolist()
    [0.5, 0.5, 0.5, 0.0]
    """
    return _by_group(x, size, _max_filter)


def erosion_batch(x: Tensor, size: PerSample = 3) -> Tensor:
    """Grey erosion: minimum over an odd ``size`` x ``size`` square (every channel, alpha too).

    Examples
    --------
    >>> erosion_batch(torch.tensor([0.5, 0.25, 0.5, 0.5]).reshape(1, 1, 1, 4)).flatten().tolist()
    [0.25, 0.25, 0.25, 0.5]
    """
    return _by_group(x, size, _min_filter)


# --- registration -----------------------------------------------------------------------------

register_op("erosion", kind="photometric", bounds={"size": (1, 63)},
            batched=PhotometricKernel.of(erosion_batch))(erosion)
register_op("dilation", kind="photometric", bounds={"size": (1, 63)},
            batched=PhotometricKernel.of(dilation_batch))(dilation)
