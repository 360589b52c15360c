"""``cv2.remap`` for images of any size: OpenCV refuses a source or destination side of
32,767 pixels or more (``SHRT_MAX``).

:func:`remap` calls ``cv2.remap`` directly when every side is below that limit (the usual
case, unchanged). Above it, the destination is cut into tiles; each tile's coordinates are
folded into the image by the border rule (``reflect``: mirrored about the edge pixels;
``edge``: clamped; ``constant``: kept, the crop then holds every pixel they touch) and the
tile is remapped from the crop of the source its coordinates reach. Folding before
interpolating gives the samples OpenCV's border modes give: a bilinear sample between a
pixel and its mirror image is the same blend either side of the edge. The source crop of a
tile is at most the tile's reach, so a thin image (100,000 x 1) is warped in memory
proportional to it.

Examples
--------
>>> import numpy as np
>>> img = np.arange(40_000, dtype=np.float32).reshape(40_000, 1)
>>> ys = np.arange(40_000, dtype=np.float32).reshape(-1, 1) - 2
>>> out = remap(img, np.zeros_like(ys), ys, cv2.INTER_LINEAR, cv2.BORDER_REFLECT_101)
>>> out[:3, 0].tolist(), out[-1, 0].item()
([2.0, 1.0, 0.0], 39997.0)
"""

from __future__ import annotations

import math

import cv2
import numpy as np

__all__ = ["remap", "CV_MAX_SIDE"]

#: Sides OpenCV's remap accepts are below this (``SHRT_MAX``).
CV_MAX_SIDE = 32_767
_TILE = 4096  # destination tile side in the large-image path


def remap(
    src: np.ndarray,
    map1: np.ndarray,
    map2: np.ndarray | None,
    flags: int,
    border_mode: int,
    value: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0),
) -> np.ndarray:
    """``cv2.remap(src, map1, map2, flags, borderMode=border_mode, borderValue=value)``,
    also for sides of ``CV_MAX_SIDE`` pixels or more.

    ``map1`` is H x W x 2 (``map2`` None) or H x W x-coordinates with ``map2`` the
    y-coordinates, float32; ``border_mode`` is one of ``cv2.BORDER_REFLECT_101``,
    ``BORDER_REPLICATE``, ``BORDER_CONSTANT``.
    """
    dst_shape = map1.shape[:2]
    if max(*src.shape[:2], *dst_shape) < CV_MAX_SIDE:
        return cv2.remap(src, map1, map2, flags, borderMode=border_mode, borderValue=value)
    out = np.empty(dst_shape + src.shape[2:], src.dtype)
    for rows in range(0, dst_shape[0], _TILE):
        for cols in range(0, dst_shape[1], _TILE):
            tile = (slice(rows, rows + _TILE), slice(cols, cols + _TILE))
            xs, ys = _tile_maps(map1, map2, tile)
            out[tile] = _remap_tile(src, xs, ys, flags, border_mode, value)
    return out


def _tile_maps(
    map1: np.ndarray, map2: np.ndarray | None, tile: tuple[slice, slice]
) -> tuple[np.ndarray, np.ndarray]:
    if map2 is None:
        return map1[tile][..., 0].astype(np.float32), map1[tile][..., 1].astype(np.float32)
    return map1[tile].astype(np.float32), map2[tile].astype(np.float32)


def _remap_tile(
    src: np.ndarray, xs: np.ndarray, ys: np.ndarray, flags: int, border_mode: int, value
) -> np.ndarray:
    """One destination tile (< CV_MAX_SIDE a side), from the crop of ``src`` it reaches."""
    h, w = src.shape[:2]
    if border_mode != cv2.BORDER_CONSTANT:
        xs, ys = _fold(xs, w, border_mode), _fold(ys, h, border_mode)
    x0, x1 = _reach(xs, w)
    y0, y1 = _reach(ys, h)
    if x1 <= x0 or y1 <= y0:  # every sample outside (constant border)
        return _all_fill(src, xs.shape, value)
    if x1 - x0 >= CV_MAX_SIDE or y1 - y0 >= CV_MAX_SIDE:
        return _split(src, xs, ys, flags, border_mode, value)
    xs -= np.float32(x0)
    ys -= np.float32(y0)
    return _remap_small(src[y0:y1, x0:x1], xs, ys, flags, border_mode, value)


def _remap_small(src, xs, ys, flags, border_mode, value) -> np.ndarray:
    # after folding every sample is inside: the crop's own edge is never read past
    mode = border_mode if border_mode == cv2.BORDER_CONSTANT else cv2.BORDER_REPLICATE
    out = cv2.remap(np.ascontiguousarray(src), xs, ys, flags, borderMode=mode, borderValue=value)
    return out.reshape(xs.shape + src.shape[2:])


def _split(src, xs, ys, flags, border_mode, value) -> np.ndarray:
    """A tile whose source reach is too wide for OpenCV: its halves, separately."""
    axis = 0 if xs.shape[0] >= xs.shape[1] else 1
    half = xs.shape[axis] // 2
    if half == 0:
        raise ValueError("a single output pixel reaches more than 32,767 source pixels")
    parts = [
        _remap_tile(src, *(np.split(m, [half], axis=axis)[i] for m in (xs, ys)), flags,
                    border_mode, value)
        for i in (0, 1)
    ]
    return np.concatenate(parts, axis=axis)


def _fold(coords: np.ndarray, size: int, border_mode: int) -> np.ndarray:
    """Coordinates brought inside ``[0, size - 1]`` by the border rule."""
    if size == 1:
        return np.zeros_like(coords)
    top = np.float32(size - 1)
    if border_mode == cv2.BORDER_REPLICATE:
        return np.clip(coords, 0, top, out=coords)
    period = 2 * top  # reflect-101: mirrored about the first and the last pixel
    coords = np.mod(coords, period, out=coords)  # in [0, period)
    return np.minimum(coords, period - coords, out=coords)


def _reach(coords: np.ndarray, size: int) -> tuple[int, int]:
    """The source pixels ``[lo, hi)`` that bilinear samples at ``coords`` read."""
    finite = coords[np.isfinite(coords)]
    if finite.size == 0:
        return 0, 0
    lo = max(0, math.floor(float(finite.min())) - 1)
    hi = min(size, math.floor(float(finite.max())) + 2)
    return lo, hi


def _all_fill(src: np.ndarray, shape: tuple[int, int], value) -> np.ndarray:
    out = np.empty(shape + src.shape[2:], src.dtype)
    channels = src.shape[2] if src.ndim == 3 else 1
    out[...] = np.asarray(value[:channels], dtype=np.float64).astype(src.dtype).reshape(
        (channels,) if src.ndim == 3 else ()
    )
    return out
