"""Helpers shared by the affine and dense warps.

Argument checks (shapes, interpolation, border, fill, points), the border value of a fill,
the 4-channel fast path of cv2 warps, read-only cached arrays, affine matrices and their
inverses, and the cached coordinate grids that dense maps are built on.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from tanda_transforms._validate import apply_cv2, check_int, check_real, value_max

_INTERPOLATIONS = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}
_BORDERS = {
    "reflect": cv2.BORDER_REFLECT_101,
    "constant": cv2.BORDER_CONSTANT,
    "edge": cv2.BORDER_REPLICATE,
}


def _check_shape(shape: object) -> tuple[int, int]:
    if not isinstance(shape, tuple | list) or len(shape) < 2:
        raise TypeError(f"shape must be a tuple (H, W) or (H, W, C), got {shape!r}")
    h = check_int(shape[0], "shape[0] (height)", low=1)
    w = check_int(shape[1], "shape[1] (width)", low=1)
    return h, w


def _check_apply_args(interpolation: str, border: str, fill: float) -> tuple[int, int, float]:
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {sorted(_INTERPOLATIONS)}, got {interpolation!r}"
        )
    if border not in _BORDERS:
        raise ValueError(f"border must be one of {sorted(_BORDERS)}, got {border!r}")
    if not (type(fill) is float and 0.0 <= fill <= 1.0):  # fast path for the usual float
        fill = check_real(fill, "fill", low=0.0, high=1.0)
    return _INTERPOLATIONS[interpolation], _BORDERS[border], fill


def _border_value(fill: float, dtype: np.dtype) -> tuple[float, float, float, float]:
    vmax = value_max(dtype)
    # round() on a float rounds half to even, like numpy.rint
    value = fill * vmax if vmax == 1.0 else float(round(fill * vmax))
    return (value, value, value, value)


#: 3-channel uint8 / uint16 images with at least this many pixels are warped as 4-channel
#: images: cv2's 4-channel bilinear kernels are about a third faster than its 3-channel
#: ones at 224 x 224 even with the two conversions, and channels are independent, so the
#: result is identical.  Below this size the conversions cost more than they save.
_RGBA_MIN_PIXELS = 64 * 64
_RGBA_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


def _run_warp(func, img: np.ndarray) -> np.ndarray:
    """``apply_cv2(func, img)``, warping large 3-channel integer images as 4-channel."""
    if (
        img.ndim == 3
        and img.shape[2] == 3
        and img.dtype in _RGBA_DTYPES
        and img.shape[0] * img.shape[1] >= _RGBA_MIN_PIXELS
    ):
        rgba = cv2.cvtColor(img, cv2.COLOR_RGB2RGBA)
        return cv2.cvtColor(func(rgba), cv2.COLOR_RGBA2RGB)
    return apply_cv2(func, img)


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mark arrays read-only (they are cached and shared) and return them."""
    for a in arrays:
        a.flags.writeable = False
    return arrays


#: Bilinear affine warps of images with at least this many pixels pad the image instead of
#: letting cv2 handle the border per pixel (see AffineWarp.apply); below, it does not pay.
_PAD_MIN_PIXELS = 64 * 64

def _pad_fits(h: int, w: int, margin: int) -> bool:
    """Whether padding an H x W image by ``margin`` on every side is worth it: at most half
    the longer side, and at most about four times the image's pixels (a square margin on a
    thin image, 100,000 x 1, would otherwise be billions of pixels)."""
    return margin <= max(h, w) // 2 + 2 and (h + 2 * margin) * (w + 2 * margin) <= 4 * (
        h + 2
    ) * (w + 2)


#: Deterministic warps are cached per (shape, arguments): affine matrices are tiny; dense
#: maps cost 8 bytes per pixel, so only images up to this many pixels are cached.
_WARP_CACHE_SIZE = 64
_DENSE_CACHE_MAX_PIXELS = 512 * 512


def _affine_arrays(
    a: float, b: float, c: float, d: float, e: float, f: float
) -> tuple[np.ndarray, np.ndarray]:
    """Read-only forward matrix ``[[a, b, c], [d, e, f]]`` and its inverse (2 x 3).

    Raises ValueError if an entry is not finite or the matrix is not invertible.
    """
    if not all(map(math.isfinite, (a, b, c, d, e, f))):
        raise ValueError("matrix must contain only finite values")
    det = a * e - b * d
    if abs(det) < 1e-12:
        raise ValueError("matrix must be invertible")
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    inverse = [[ia, ib, -(ia * c + ib * f)], [id_, ie, -(id_ * c + ie * f)]]
    return _frozen(np.array([[a, b, c], [d, e, f]]), np.array(inverse))


def _check_points(points: object) -> np.ndarray:
    if not isinstance(points, np.ndarray):
        raise TypeError(
            f"points must be a numpy.ndarray of shape N x 2, got {type(points).__name__}"
        )
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape N x 2 of (x, y), got shape {points.shape}")
    if points.dtype.kind not in "iuf":
        raise TypeError(f"points must be a real numeric array, got dtype {points.dtype}")
    return points.astype(np.float64)


def _cacheable(h: int, w: int) -> bool:
    """Whether H x W dense maps and grids are small enough to cache (see above)."""
    return h * w <= _DENSE_CACHE_MAX_PIXELS


def _base_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Read-only float32 destination coordinates ``(xs, ys)``, to broadcast against H x W.

    Full H x W grids for images up to ``_DENSE_CACHE_MAX_PIXELS`` (cached, as the swirl
    maps are: adding a cached grid is faster than broadcasting on small images); above,
    a 1 x W row and an H x 1 column (cached, tiny).  Element-wise arithmetic gives the
    same values either way; large images never keep 8 bytes per pixel of grids.
    """
    if _cacheable(h, w):
        return _full_grid(h, w)
    return _grid_vectors(h, w)


@functools.lru_cache(maxsize=16)
def _full_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return _frozen(xs, ys)


@functools.lru_cache(maxsize=16)
def _grid_vectors(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    xs = np.arange(w, dtype=np.float32)[np.newaxis, :]
    ys = np.arange(h, dtype=np.float32)[:, np.newaxis]
    return _frozen(xs, ys)


def _centre(h: int, w: int) -> tuple[float, float]:
    return (w - 1) / 2.0, (h - 1) / 2.0


def _check_same_shape(img: np.ndarray, shape: tuple[int, int]) -> None:
    if img.shape[:2] != tuple(shape):
        raise ValueError(
            f"img has height x width {img.shape[:2]} but the warp was built for {tuple(shape)}"
        )
