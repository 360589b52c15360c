"""Dense warps: :class:`DenseWarp` and the swirl and elastic builders.

A dense warp holds inverse maps (for every destination pixel, its source coordinates) and
is applied with ``cv2.remap``; points are moved by inverting the maps numerically
(:meth:`DenseWarp.map_points`). :func:`swirl_warp` caches its maps per (shape, arguments)
on images up to ``_DENSE_CACHE_MAX_PIXELS``; :func:`elastic_warp` draws its noise in row
strips on large images.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from tanda_transforms._strips import row_strips
from tanda_transforms._validate import check_image, check_int, check_real, make_rng

from ._common import (
    _PAD_MIN_PIXELS,
    _WARP_CACHE_SIZE,
    _base_grid,
    _border_value,
    _cacheable,
    _check_apply_args,
    _check_points,
    _check_same_shape,
    _check_shape,
    _frozen,
    _pad_fits,
    _run_warp,
)
from ._remap import remap

__all__ = ["DenseWarp", "swirl_warp", "elastic_warp", "elastic"]


def _centred_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read-only float32 offsets ``(dx, dy)`` from the image centre and their length
    ``rho`` (H x W); ``dx``, ``dy`` broadcast like :func:`_base_grid`'s.  Cached up to
    ``_DENSE_CACHE_MAX_PIXELS`` only."""
    if _cacheable(h, w):
        return _centred_grid_cached(h, w)
    return _centred(h, w)


def _centred(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys = _base_grid(h, w)
    dx = xs - np.float32((w - 1) / 2.0)
    dy = ys - np.float32((h - 1) / 2.0)
    return _frozen(dx, dy, np.hypot(dx, dy))


@functools.lru_cache(maxsize=16)
def _centred_grid_cached(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _centred(h, w)


def _sample_bilinear(field: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinearly sample a 2-D field at float coordinates, clamped to the grid."""
    h, w = field.shape
    x = np.clip(x, 0.0, w - 1.0)
    y = np.clip(y, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.intp), max(w - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.intp), max(h - 2, 0))
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = x - x0
    fy = y - y0
    top = field[y0, x0] * (1.0 - fx) + field[y0, x1] * fx
    bottom = field[y1, x0] * (1.0 - fx) + field[y1, x1] * fx
    return top * (1.0 - fy) + bottom * fy


class DenseWarp:
    """A dense warp given by inverse maps (destination pixel -> source coordinates).

    Parameters
    ----------
    map_x, map_y : np.ndarray
        float32 arrays of shape H x W; destination pixel ``(col, row)`` samples the
        source at ``(map_x[row, col], map_y[row, col])``.

    Examples
    --------
    >>> xs, ys = np.meshgrid(np.arange(4, dtype=np.float32), np.arange(3, dtype=np.float32))
    >>> DenseWarp(xs - 1, ys).map_points(np.array([[1.0, 1.0]])).round(3)
    array([[2., 1.]])
    """

    def __init__(self, map_x: np.ndarray, map_y: np.ndarray) -> None:
        for name, m in (("map_x", map_x), ("map_y", map_y)):
            if not isinstance(m, np.ndarray) or m.dtype != np.float32:
                got = m.dtype if isinstance(m, np.ndarray) else type(m).__name__
                raise TypeError(f"{name} must be a float32 numpy.ndarray, got {got}")
            if m.ndim != 2 or 0 in m.shape:
                raise ValueError(f"{name} must be a non-empty H x W array, got shape {m.shape}")
        if map_x.shape != map_y.shape:
            raise ValueError(
                f"map_x and map_y must have the same shape, got {map_x.shape} and {map_y.shape}"
            )
        self.map_x: np.ndarray = np.ascontiguousarray(map_x)
        self.map_y: np.ndarray = np.ascontiguousarray(map_y)
        self.shape: tuple[int, int] = (int(map_x.shape[0]), int(map_x.shape[1]))
        self._fields: tuple[np.ndarray, ...] | None = None
        self._tree = None  # scipy cKDTree of the map values, built on demand
        # (margin, map_x + margin, map_y + margin) for padded warps (see _pad_plan), and
        # the maps it was made for
        self._padded: tuple[int, np.ndarray | None, np.ndarray | None] | None = None
        self._padded_for: tuple[np.ndarray, np.ndarray] | None = None
        # H x W x 2 displacement (map - grid), built on demand by warp composition (and
        # shared by cached swirl warps); and H x W x 2 maps, set by composition, which cv2
        # remaps from in one call
        self._disp2: np.ndarray | None = None
        self._xy: np.ndarray | None = None
        self._xy_padded: tuple[int, np.ndarray | None] | None = None

    def __repr__(self) -> str:
        return f"DenseWarp(shape={self.shape})"

    def apply(
        self,
        img: np.ndarray,
        *,
        interpolation: str = "bilinear",
        border: str = "reflect",
        fill: float = 0.0,
    ) -> np.ndarray:
        """Warp ``img`` (shape ``self.shape``); returns a new array, same shape and dtype.

        Examples
        --------
        >>> int(swirl_warp((4, 4), 0.0).apply(np.ones((4, 4), np.uint8)).sum())
        16
        """
        check_image(img)
        _check_same_shape(img, self.shape)
        flags, border_mode, fill = _check_apply_args(interpolation, border, fill)
        value = _border_value(fill, img.dtype)
        map_x, map_y = self.map_x, self.map_y
        margin = 0
        pads = (
            flags == cv2.INTER_LINEAR
            and border_mode != cv2.BORDER_CONSTANT
            and self.shape[0] * self.shape[1] >= _PAD_MIN_PIXELS
        )
        if (
            pads
            and self._padded is not None
            and self._padded_for[0] is map_x  # the maps were not replaced since
            and self._padded_for[1] is map_y
        ):
            margin, padded_x, padded_y = self._padded
        xy_margin = self._padded_xy()[0] if pads and self._xy is not None else 0

        if xy_margin:  # a composed warp: pad once, as below, with its 2-channel map
            padded_xy = self._padded_xy()[1]

            def warp(chunk: np.ndarray) -> np.ndarray:
                padded = cv2.copyMakeBorder(
                    chunk, xy_margin, xy_margin, xy_margin, xy_margin, border_mode
                )
                return remap(padded, padded_xy, None, flags, cv2.BORDER_CONSTANT)

        elif margin:
            # As in AffineWarp.apply: pad once rather than cv2's per-pixel border path.
            def warp(chunk: np.ndarray) -> np.ndarray:
                padded = cv2.copyMakeBorder(chunk, margin, margin, margin, margin, border_mode)
                return remap(padded, padded_x, padded_y, flags, cv2.BORDER_CONSTANT)

        elif self._xy is not None:  # one 2-channel map: the maps of a composed warp

            def warp(chunk: np.ndarray) -> np.ndarray:
                return remap(chunk, self._xy, None, flags, border_mode, value)

        else:

            def warp(chunk: np.ndarray) -> np.ndarray:
                return remap(chunk, map_x, map_y, flags, border_mode, value)

        return _run_warp(warp, img)

    def _padded_xy(self) -> tuple[int, np.ndarray | None]:
        """``(margin, _xy + margin)`` for a composed warp, computed once (see _pad_plan)."""
        if self._xy_padded is None:
            h, w = self.shape
            xy = self._xy
            # one bound for both axes (a per-axis reduction over the interleaved map is
            # several times slower than the whole warp); at worst the margin is a bit wider
            reach = max(-float(xy.min()), float(xy.max()) - (min(h, w) - 1))
            margin = math.ceil(reach) + 2
            if reach <= 0 or not _pad_fits(h, w, margin):
                self._xy_padded = (0, None)
            else:
                self._xy_padded = (margin, xy + np.float32(margin))
        return self._xy_padded

    def _displacement_fields(self) -> tuple[np.ndarray, ...]:
        """Displacement (map - grid) and its spatial derivatives, computed once."""
        if self._fields is None:
            h, w = self.shape
            xs, ys = _base_grid(h, w)
            dx = self.map_x - xs  # float32, like the maps
            dy = self.map_y - ys
            grads = []
            for field in (dx, dy):
                if h > 1 and w > 1:
                    d_row, d_col = np.gradient(field)
                else:
                    d_row = d_col = np.zeros_like(field)
                grads.extend([d_col, d_row])
            self._fields = (dx, dy, *grads)
        return self._fields

    def map_points(self, points: np.ndarray, *, iterations: int = 20) -> np.ndarray:
        """Return where source points ``(x, y)`` (N x 2) land in the output (float64).

        The inverse maps are inverted numerically: starting from ``dst = src``, Newton
        steps ``dst += J^-1 (src - M(dst))`` with bilinearly sampled maps ``M`` and
        their finite-difference Jacobian ``J`` (a plain fixed-point step
        ``dst += src - M(dst)`` where ``J`` is near-singular).  Points that have not
        converged to 1e-3 pixels are restarted from the output pixel whose map value is
        nearest.  Outside the image the displacement is extended with its edge value.
        Where the warp folds over, one of the pre-images is returned.

        Examples
        --------
        >>> swirl_warp((9, 9), 0.0).map_points(np.array([[2.0, 3.0]])).round(3)
        array([[2., 3.]])
        """
        src = _check_points(points)
        iterations = check_int(iterations, "iterations", low=1)
        best, err = self._newton(src, src.copy(), iterations)
        stuck = np.flatnonzero(err > 1e-3)
        if len(stuck):
            from scipy.spatial import cKDTree

            if self._tree is None:
                self._tree = cKDTree(
                    np.stack([self.map_x.ravel(), self.map_y.ravel()], axis=1).astype(np.float64)
                )
            _, nearest = self._tree.query(src[stuck])
            h, w = self.shape
            start = np.stack([nearest % w, nearest // w], axis=1).astype(np.float64)
            retry, retry_err = self._newton(src[stuck], start, iterations)
            better = retry_err < err[stuck]
            best[stuck[better]] = retry[better]
        return best

    def _residual(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dy = self._displacement_fields()[:2]
        x, y = dst[:, 0], dst[:, 1]
        return (
            src[:, 0] - (x + _sample_bilinear(dx, x, y)),
            src[:, 1] - (y + _sample_bilinear(dy, x, y)),
        )

    def _newton(
        self, src: np.ndarray, dst: np.ndarray, iterations: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Newton iterations for ``M(dst) = src``; returns the best ``dst`` and residual."""
        dxx, dxy, dyx, dyy = self._displacement_fields()[2:]
        best = dst.copy()
        best_err = np.full(len(src), np.inf)
        for i in range(iterations + 1):
            rx, ry = self._residual(src, dst)
            err = np.hypot(rx, ry)
            better = err < best_err
            best[better] = dst[better]
            best_err[better] = err[better]
            if i == iterations or np.all(best_err < 1e-6):
                break
            x, y = dst[:, 0], dst[:, 1]
            a = 1.0 + _sample_bilinear(dxx, x, y)
            b = _sample_bilinear(dxy, x, y)
            c = _sample_bilinear(dyx, x, y)
            d = 1.0 + _sample_bilinear(dyy, x, y)
            det = a * d - b * c
            ok = np.abs(det) > 1e-3
            safe = np.where(ok, det, 1.0)
            step_x = np.where(ok, (d * rx - b * ry) / safe, rx)
            step_y = np.where(ok, (a * ry - c * rx) / safe, ry)
            dst = dst + np.stack([step_x, step_y], axis=1)
        return best, best_err


def swirl_warp(shape: tuple[int, ...], strength: float, radius: float | None = None) -> DenseWarp:
    """Swirl about the centre with scikit-image's ``swirl`` mapping.

    For a destination pixel at polar ``(rho, theta)`` about the centre the source angle
    is ``theta + strength * exp(-rho / (radius * ln 2 / 5))``: the twist is ``strength``
    radians at the centre and has decayed to about 1/1000 at ``rho = radius``.
    ``radius`` defaults to ``min(H, W) / 2``.

    Examples
    --------
    >>> swirl_warp((8, 8), 1.0).map_x.shape
    (8, 8)
    """
    h, w = _check_shape(shape)
    strength = check_real(strength, "strength")
    if radius is None:
        radius = min(h, w) / 2.0
    radius = check_real(radius, "radius", low=0.0, low_inclusive=False)
    if not _cacheable(h, w):
        return DenseWarp(*_swirl_maps(h, w, strength, radius))
    map_x, map_y, padded, disp2 = _swirl_maps_cached(h, w, strength, radius)
    warp = DenseWarp(map_x, map_y)
    warp._padded, warp._padded_for = padded, (warp.map_x, warp.map_y)
    warp._disp2 = disp2
    return warp


@functools.lru_cache(maxsize=_WARP_CACHE_SIZE)
def _swirl_maps_cached(h: int, w: int, strength: float, radius: float) -> tuple[
    np.ndarray, np.ndarray, tuple[int, np.ndarray | None, np.ndarray | None], np.ndarray
]:
    """Read-only swirl maps, their padded version and their H x W x 2 displacement, shared
    by every warp built with these arguments."""
    map_x, map_y = _frozen(*_swirl_maps(h, w, strength, radius))
    xs, ys = _base_grid(h, w)
    (disp2,) = _frozen(np.dstack([map_x - xs, map_y - ys]))
    return map_x, map_y, _pad_plan(map_x, map_y), disp2


def _pad_plan(
    map_x: np.ndarray, map_y: np.ndarray
) -> tuple[int, np.ndarray | None, np.ndarray | None]:
    """``(margin, map_x + margin, map_y + margin)`` (read-only) such that a bilinear remap
    of the image padded by ``margin`` samples only inside it; ``(0, None, None)`` when
    every sample is already inside or padding would cost more than the warp
    (see ``_pad_fits``)."""
    h, w = map_x.shape
    reach = max(
        -float(map_x.min()), -float(map_y.min()),
        float(map_x.max()) - (w - 1), float(map_y.max()) - (h - 1),
    )
    margin = math.ceil(reach) + 2  # + the bilinear neighbour and rounding slack
    if reach <= 0 or not _pad_fits(h, w, margin):
        return 0, None, None
    shift = np.float32(margin)
    return (margin, *_frozen(map_x + shift, map_y + shift))


def _swirl_maps(h: int, w: int, strength: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = _base_grid(h, w)
    dx, dy, rho = _centred_grid(h, w)
    # Rotate each offset from the centre by phi = strength * decay.  Written as a
    # displacement so that where phi is 0 (strength 0, or far out) it is exactly 0.
    scale = np.float32(radius * math.log(2.0) / 5.0)
    phi = np.exp(-rho / scale)
    phi *= np.float32(strength)
    sin = np.sin(phi)
    cos_m1 = np.sin(phi / np.float32(2))
    cos_m1 **= 2
    cos_m1 *= np.float32(-2)  # cos(phi) - 1, without cancellation
    map_x = dx * cos_m1 - dy * sin
    map_x += xs
    map_y = dx * sin + dy * cos_m1
    map_y += ys
    return map_x, map_y


def elastic_warp(
    shape: tuple[int, ...], alpha: float, sigma: float, *, seed: int | np.random.Generator
) -> DenseWarp:
    """Simard-style elastic deformation.

    Two fields of U(-1, 1) float32 noise (drawn from ``np.random.default_rng(seed)`` or
    the given Generator, x field first) are each smoothed with a Gaussian of standard
    deviation ``sigma`` pixels (``sigma = 0``: no smoothing) and multiplied by ``alpha``
    (Simard et al. 2003, and the TANDA reference code): the displacement in pixels is
    ``alpha`` times the smoothed noise, whose RMS is about ``0.58 / (2 sigma sqrt(pi))`` for
    ``sigma >= 1``. The paper's MNIST values (alpha 1 to 1.5, sigma 1) move pixels by a
    fraction of a pixel; Simard's alpha 34, sigma 4 by about 1.4 pixels.

    Examples
    --------
    >>> elastic_warp((8, 8), 2.0, 3.0, seed=0).map_y.dtype
    dtype('float32')
    """
    h, w = _check_shape(shape)
    alpha = check_real(alpha, "alpha", low=0.0)
    sigma = check_real(sigma, "sigma", low=0.0)
    rng = make_rng(seed)
    xs, ys = _base_grid(h, w)  # 1 x W and H x 1 on large images: the maps are all we keep
    maps = []
    for base in (xs, ys):
        field = _smoothed_noise(rng, h, w, sigma)
        field *= np.float32(alpha)
        field += base
        maps.append(field)
    return DenseWarp(maps[0], maps[1])


def _smoothed_noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    """H x W float32 U(-1, 1) noise from ``rng`` smoothed with a Gaussian of ``sigma``
    (kernel truncated at 4 sigma, reflect-101 border; ``sigma = 0``: not smoothed).

    Large images are drawn and smoothed in row strips (see _strips): each strip keeps only
    its raw rows plus the kernel radius on either side, drawn in order from the same
    stream, so the result is the same as drawing and smoothing the whole field at once,
    without a second full-size field.
    """
    radius = max(1, int(4.0 * sigma + 0.5)) if sigma > 0 else 0
    ksize = (2 * radius + 1, 2 * radius + 1)
    strips = row_strips(h, w, radius)
    if len(strips) == 1:
        field = rng.random((h, w), dtype=np.float32)
        field *= 2.0
        field -= 1.0
        if sigma > 0:  # in place (dst): no second field in numpy's memory
            field = cv2.GaussianBlur(
                field,
                ksize,
                sigmaX=sigma,
                sigmaY=sigma,
                borderType=cv2.BORDER_REFLECT_101,
                dst=field,
            )
        return field
    out = np.empty((h, w), np.float32)
    raw, raw_lo = np.empty((0, w), np.float32), 0  # raw noise rows raw_lo : raw_lo + len(raw)
    for lo, start, stop, hi in strips:
        drawn = raw_lo + len(raw)
        if hi > drawn:
            new = rng.random((hi - drawn, w), dtype=np.float32)
            new *= 2.0
            new -= 1.0
            raw = np.concatenate([raw[lo - raw_lo :], new])
        else:
            raw = raw[lo - raw_lo :]
        raw_lo = lo
        smooth = raw
        if sigma > 0:
            smooth = cv2.GaussianBlur(
                raw, ksize, sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101
            )
        out[start:stop] = smooth[start - lo : stop - lo]
    return out


def elastic(
    img: np.ndarray,
    alpha: float,
    sigma: float,
    *,
    seed: int | np.random.Generator,
    interpolation: str = "bilinear",
    border: str = "reflect",
    fill: float = 0.0,
) -> np.ndarray:
    """Simard-style elastic deformation (see :func:`elastic_warp`).

    Examples
    --------
    >>> elastic(np.zeros((8, 8), np.uint8), 1.0, 2.0, seed=0).shape
    (8, 8)
    """
    check_image(img)
    warp = elastic_warp(img.shape, alpha, sigma, seed=seed)
    return warp.apply(img, interpolation=interpolation, border=border, fill=fill)
