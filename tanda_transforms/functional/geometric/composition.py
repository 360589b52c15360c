"""Composing warps, so that a run of geometric TFs resamples the image once.

Applying ``rotate(2.5)`` then ``rotate(-2.5)`` as two bilinear warps blurs the image twice
for a net identity; composing them first gives one warp (here the exact identity) and one
resampling. :func:`compose_warps` returns the warp that applies ``first`` and then
``second``:

* two :class:`AffineWarp` compose into one affine matrix (``M2 @ M1``);
* anything with a :class:`DenseWarp` composes coordinate maps: for every output pixel the
  source position is ``first^-1(second^-1(p))``, where a dense map is sampled bilinearly
  and extended past the image with its edge displacement.

Affine entries within 1e-9 of an integer are snapped to it, so chains that cancel (flip
twice, +5 then -5 degrees) compose to an exact index map, which :meth:`AffineWarp.apply`
copies or flips without interpolating.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.functional import rotate_warp
>>> net = compose_warps(rotate_warp((5, 5), 2.5), rotate_warp((5, 5), -2.5))
>>> net.matrix.tolist()
[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np

from ._common import _affine_arrays, _base_grid, _frozen
from ._remap import remap
from .affine import AffineWarp
from .dense import DenseWarp

__all__ = ["compose_warps", "compose_run", "Warp"]

Warp = AffineWarp | DenseWarp

_SNAP = 1e-9


def compose_warps(first: Warp, second: Warp) -> Warp:
    """The warp that applies ``first``, then ``second``, with one resampling.

    Parameters
    ----------
    first, second
        Warps built for the same ``(H, W)``.

    Returns
    -------
    AffineWarp or DenseWarp
        Affine when both are affine, dense otherwise.

    Examples
    --------
    >>> from tanda_transforms.functional import hflip_warp
    >>> twice = compose_warps(hflip_warp((3, 4)), hflip_warp((3, 4)))
    >>> twice.matrix.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    return compose_run([first, second])


def compose_run(warps: Sequence[Warp]) -> Warp:
    """The warp that applies ``warps`` in order, with one resampling.

    Consecutive affine warps are multiplied into one matrix first; what is left is composed
    as one H x W x 2 map of source positions, pulled back through the warps from the last
    to the first (one ``cv2.transform`` per affine, one ``cv2.remap`` per dense warp).

    Examples
    --------
    >>> from tanda_transforms.functional import rotate_warp, zoom_warp
    >>> run = compose_run([rotate_warp((4, 4), 90.0), zoom_warp((4, 4), 1.0)])
    >>> run.matrix.round(6).tolist()
    [[0.0, 1.0, 0.0], [-1.0, 0.0, 3.0]]
    """
    warps = list(warps)
    if not warps:
        raise ValueError("compose_run needs at least one warp")
    for warp in warps:
        if not isinstance(warp, AffineWarp | DenseWarp):
            raise TypeError(f"warps must be AffineWarp or DenseWarp, got {type(warp).__name__}")
        if tuple(warp.shape) != tuple(warps[0].shape):
            raise ValueError(f"warps of different shapes: {warps[0].shape} and {warp.shape}")
    merged = _merge_affine(warps)
    if len(merged) == 1:
        return merged[0]
    xy = _source_positions(merged[-1])
    for warp in reversed(merged[:-1]):
        xy = _pull_back(warp, xy)
    return _dense_from_positions(xy)


def _merge_affine(warps: list[Warp]) -> list[Warp]:
    merged: list[Warp] = []
    for warp in warps:
        if merged and isinstance(warp, AffineWarp) and isinstance(merged[-1], AffineWarp):
            merged[-1] = _compose_affine(merged[-1], warp)
        else:
            merged.append(warp)
    return merged


def _compose_affine(first: AffineWarp, second: AffineWarp) -> AffineWarp:
    # second @ first on 2 x 3 matrices (plain floats: cheaper than numpy at this size)
    (a1, b1, c1), (d1, e1, f1) = first.matrix.tolist()
    (a2, b2, c2), (d2, e2, f2) = second.matrix.tolist()
    entries = (
        a2 * a1 + b2 * d1, a2 * b1 + b2 * e1, a2 * c1 + b2 * f1 + c2,
        d2 * a1 + e2 * d1, d2 * b1 + e2 * e1, d2 * c1 + e2 * f1 + f2,
    )
    return AffineWarp._from_arrays(_affine_arrays(*map(_snap, entries)), first.shape)


def _snap(value: float) -> float:
    """``value`` rounded to an integer when within 1e-9 of one (+ 0.0: no negative zero)."""
    nearest = round(value)
    return float(nearest) + 0.0 if abs(value - nearest) < _SNAP else value


@functools.lru_cache(maxsize=16)
def _grid2(h: int, w: int) -> np.ndarray:
    """Read-only H x W x 2 float32 pixel positions ``(x, y)``."""
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return _frozen(np.dstack([xs, ys]))[0]


def _source_positions(warp: Warp) -> np.ndarray:
    """H x W x 2 float32: where ``warp`` samples its source for every output pixel."""
    if isinstance(warp, AffineWarp):
        return cv2.transform(_grid2(*warp.shape), warp.inverse)
    if warp._xy is not None:
        return warp._xy.copy()
    return np.dstack([warp.map_x, warp.map_y])


def _pull_back(warp: Warp, xy: np.ndarray) -> np.ndarray:
    """Source positions of ``warp`` at the positions ``xy`` (H x W x 2 float32)."""
    if isinstance(warp, AffineWarp):
        return cv2.transform(xy, warp.inverse)
    # a dense warp's displacement, sampled bilinearly and extended past the image by its edge
    disp = remap(_displacement(warp), xy, None, cv2.INTER_LINEAR, cv2.BORDER_REPLICATE)
    disp += xy
    return disp


def _displacement(warp: DenseWarp) -> np.ndarray:
    if warp._disp2 is None:
        xs, ys = _base_grid(*warp.shape)
        warp._disp2 = np.dstack([warp.map_x - xs, warp.map_y - ys])
    return warp._disp2


def _dense_from_positions(xy: np.ndarray) -> DenseWarp:
    warp = DenseWarp(np.ascontiguousarray(xy[..., 0]), np.ascontiguousarray(xy[..., 1]))
    warp._xy = xy
    return warp
