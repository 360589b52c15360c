"""Geometric image operations built on two small warp objects.

Every geometric op is "build a warp, then apply it", so that targets (masks, boxes,
keypoints) can later follow the image exactly:

* :class:`AffineWarp` holds a forward 2 x 3 matrix mapping source ``(x, y)`` to
  destination ``(x, y)`` and is applied with ``cv2.warpAffine``.
* :class:`DenseWarp` holds inverse maps (for every destination pixel, its source
  coordinates) and is applied with ``cv2.remap``.

Coordinates: pixel ``(col, row)`` has its centre at ``(x, y) = (col, row)``; ``x`` grows
to the right and ``y`` downwards.  Rotation, zoom, shear and swirl act about the image
centre ``((W - 1) / 2, (H - 1) / 2)``.

Border modes: ``"reflect"`` mirrors without repeating the edge pixel (``numpy.pad`` /
``torch`` "reflect", ``cv2.BORDER_REFLECT_101``), ``"edge"`` repeats the edge pixel and
``"constant"`` fills with ``fill``, a fraction of the dtype range in [0, 1].

Builders of deterministic warps (rotate, zoom, shear, swirl, ...) cache what they compute
per (shape, arguments), so warps built alike share arrays; shared arrays are read-only
(``AffineWarp.matrix``, swirl ``map_x`` / ``map_y``).
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from ._strips import row_strips
from ._validate import (
    apply_cv2,
    check_image,
    check_int,
    check_real,
    make_rng,
    value_max,
)

__all__ = [
    "AffineWarp",
    "DenseWarp",
    "rotate_warp",
    "zoom_warp",
    "shear_warp",
    "translate_warp",
    "hflip_warp",
    "vflip_warp",
    "swirl_warp",
    "elastic_warp",
    "pad_and_crop_warp",
    "hflip",
    "vflip",
    "elastic",
]

_INTERPOLATIONS = {"bilinear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}
_BORDERS = {
    "reflect": cv2.BORDER_REFLECT_101,
    "constant": cv2.BORDER_CONSTANT,
    "edge": cv2.BORDER_REPLICATE,
}


# --------------------------------------------------------------------------- helpers


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

#: ... and at most this many (4 Mpx): the padded copy costs 1.1x to 1.5x the image at 2.5
#: to 10 degrees of rotation, and above a few megapixels memory matters more than the
#: speed-up (on 4000 x 3000 uint16 none for rotate and shear, 1.6x for zoom(0.9)).
_PAD_MAX_PIXELS = 1 << 22

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


def _about_centre_arrays(
    a: float, b: float, d: float, e: float, h: int, w: int
) -> tuple[np.ndarray, np.ndarray]:
    """Arrays of the linear map ``[[a, b], [d, e]]`` applied about the image centre."""
    cx, cy = _centre(h, w)
    return _affine_arrays(a, b, cx - (a * cx + b * cy), d, e, cy - (d * cx + e * cy))


@functools.lru_cache(maxsize=_WARP_CACHE_SIZE)
def _padded_inverse(inverse_bytes: bytes, h: int, w: int) -> tuple[int, np.ndarray | None]:
    """Margin to pad an H x W image by so that a bilinear warp with this inverse matrix
    samples only inside the padded image, and the inverse matrix for the padded image.

    The margin is 0 (no padding) when every sample is already inside, or when padding
    would more than double the image.
    """
    (a, b, c), (d, e, f) = np.frombuffer(inverse_bytes).reshape(2, 3).tolist()
    xs = [a * x + b * y + c for x in (0, w - 1) for y in (0, h - 1)]
    ys = [d * x + e * y + f for x in (0, w - 1) for y in (0, h - 1)]
    reach = max(-min(xs), -min(ys), max(xs) - (w - 1), max(ys) - (h - 1))
    if reach <= 0:
        return 0, None
    margin = math.ceil(reach) + 2  # + the bilinear neighbour and rounding slack
    if margin > max(h, w) // 2 + 2:
        return 0, None
    shifted = np.array([[a, b, c + margin], [d, e, f + margin]])
    shifted.flags.writeable = False
    return margin, shifted


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


def _base_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Read-only float32 destination coordinates ``(xs, ys)``, to broadcast against H x W.

    Full H x W grids for images up to ``_DENSE_CACHE_MAX_PIXELS`` (cached, as the swirl
    maps are: adding a cached grid is faster than broadcasting on small images); above,
    a 1 x W row and an H x 1 column (cached, tiny).  Element-wise arithmetic gives the
    same values either way; large images never keep 8 bytes per pixel of grids.
    """
    if h * w <= _DENSE_CACHE_MAX_PIXELS:
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


def _centred_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read-only float32 offsets ``(dx, dy)`` from the image centre and their length
    ``rho`` (H x W); ``dx``, ``dy`` broadcast like :func:`_base_grid`'s.  Cached up to
    ``_DENSE_CACHE_MAX_PIXELS`` only."""
    if h * w <= _DENSE_CACHE_MAX_PIXELS:
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


def _centre(h: int, w: int) -> tuple[float, float]:
    return (w - 1) / 2.0, (h - 1) / 2.0


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


# --------------------------------------------------------------------------- warps


class AffineWarp:
    """An affine warp given by its forward 2 x 3 matrix.

    Parameters
    ----------
    matrix : np.ndarray
        2 x 3 float matrix mapping source ``(x, y, 1)`` to destination ``(x, y)``.
        The warp keeps a read-only float64 copy as ``warp.matrix``.
    shape : tuple of int
        ``(H, W)`` of the images the warp is applied to (output has the same size).

    Examples
    --------
    >>> w = AffineWarp(np.array([[1.0, 0, 2], [0, 1, 0]]), (4, 4))
    >>> w.map_points(np.array([[1.0, 1.0]]))
    array([[3., 1.]])
    """

    def __init__(self, matrix: np.ndarray, shape: tuple[int, int]) -> None:
        if not isinstance(matrix, np.ndarray):
            raise TypeError(
                f"matrix must be a numpy.ndarray of shape 2 x 3, got {type(matrix).__name__}"
            )
        if matrix.shape != (2, 3):
            raise ValueError(f"matrix must have shape (2, 3), got {matrix.shape}")
        (a, b, c), (d, e, f) = matrix.astype(np.float64).tolist()
        arrays = _affine_arrays(a, b, c, d, e, f)  # checks finite and invertible
        self.shape: tuple[int, int] = _check_shape(shape)
        self.matrix: np.ndarray = arrays[0]  # read-only
        self._inverse = arrays[1]

    @classmethod
    def _from_arrays(
        cls, arrays: tuple[np.ndarray, np.ndarray], shape: tuple[int, int]
    ) -> AffineWarp:
        """A warp from already checked, read-only ``(matrix, inverse)`` arrays."""
        warp = cls.__new__(cls)
        warp.matrix, warp._inverse = arrays
        warp.shape = shape
        return warp

    def __repr__(self) -> str:
        return f"AffineWarp(matrix={self.matrix.tolist()}, shape={self.shape})"

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
        >>> AffineWarp(np.eye(2, 3), (2, 2)).apply(np.eye(2, dtype=np.uint8)).tolist()
        [[1, 0], [0, 1]]
        """
        check_image(img)
        _check_same_shape(img, self.shape)
        flags, border_mode, fill = _check_apply_args(interpolation, border, fill)
        h, w = self.shape
        flip = _exact_flip(self.matrix, h, w)
        if flip is not None:  # identity or mirror: an exact copy, whatever the interpolation
            return img.copy() if flip == _NO_FLIP else apply_cv2(lambda a: cv2.flip(a, flip), img)
        value = _border_value(fill, img.dtype)
        inverse = self._inverse
        flags |= cv2.WARP_INVERSE_MAP
        margin = 0
        if (
            flags == cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
            and border_mode != cv2.BORDER_CONSTANT
            and _PAD_MIN_PIXELS <= h * w <= _PAD_MAX_PIXELS
        ):
            margin, shifted = _padded_inverse(inverse.tobytes(), h, w)
            if margin:
                inverse = shifted

        if margin:
            # Pad once with the border mode, then warp with every sample inside the padded
            # image: at 224 x 224 cv2's per-pixel border handling makes the warp 1.2x
            # (rotate 5) to 2.4x (zoom 0.75) slower.  The samples are the same, shifted by
            # the margin; cv2 computes their float32 positions from the shifted matrix, so
            # results can differ from an unpadded warp by rounding (one uint8 level).
            def warp(chunk: np.ndarray) -> np.ndarray:
                padded = cv2.copyMakeBorder(chunk, margin, margin, margin, margin, border_mode)
                return cv2.warpAffine(
                    padded, inverse, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT
                )

        else:

            def warp(chunk: np.ndarray) -> np.ndarray:
                return cv2.warpAffine(
                    chunk, inverse, (w, h), flags=flags, borderMode=border_mode, borderValue=value
                )

        return _run_warp(warp, img)

    def map_points(self, points: np.ndarray) -> np.ndarray:
        """Return where source points ``(x, y)`` (N x 2) land in the output (float64).

        Examples
        --------
        >>> rotate_warp((3, 3), 90).map_points(np.array([[2.0, 1.0]])).round(6)
        array([[1., 0.]])
        """
        pts = _check_points(points)
        return pts @ self.matrix[:, :2].T + self.matrix[:, 2]


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
                return cv2.remap(padded, padded_xy, None, flags, borderMode=cv2.BORDER_CONSTANT)

        elif margin:
            # As in AffineWarp.apply: pad once rather than cv2's per-pixel border path.
            def warp(chunk: np.ndarray) -> np.ndarray:
                padded = cv2.copyMakeBorder(chunk, margin, margin, margin, margin, border_mode)
                return cv2.remap(
                    padded, padded_x, padded_y, flags, borderMode=cv2.BORDER_CONSTANT
                )

        elif self._xy is not None:  # one 2-channel map: the maps of a composed warp

            def warp(chunk: np.ndarray) -> np.ndarray:
                return cv2.remap(
                    chunk, self._xy, None, flags, borderMode=border_mode, borderValue=value
                )

        else:

            def warp(chunk: np.ndarray) -> np.ndarray:
                return cv2.remap(
                    chunk, map_x, map_y, flags, borderMode=border_mode, borderValue=value
                )

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
            if reach <= 0 or margin > max(h, w) // 2 + 2:
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


_NO_FLIP = 2  # not a cv2.flip code (those are 1, 0 and -1)


def _exact_flip(matrix: np.ndarray, h: int, w: int) -> int | None:
    """The cv2.flip code when ``matrix`` maps pixels exactly onto pixels by an identity or a
    mirror (``_NO_FLIP`` for the identity), else None."""
    (a, b, c), (d, e, f) = matrix.tolist()
    if b != 0.0 or d != 0.0 or abs(a) != 1.0 or abs(e) != 1.0:
        return None
    if c != (0.0 if a > 0 else w - 1.0) or f != (0.0 if e > 0 else h - 1.0):
        return None
    return {(1.0, 1.0): _NO_FLIP, (-1.0, 1.0): 1, (1.0, -1.0): 0, (-1.0, -1.0): -1}[(a, e)]


def _check_same_shape(img: np.ndarray, shape: tuple[int, int]) -> None:
    if img.shape[:2] != tuple(shape):
        raise ValueError(
            f"img has height x width {img.shape[:2]} but the warp was built for {tuple(shape)}"
        )


# --------------------------------------------------------------------------- builders


def rotate_warp(shape: tuple[int, ...], degrees: float) -> AffineWarp:
    """Rotation about the centre; positive ``degrees`` is counter-clockwise as displayed.

    Examples
    --------
    >>> rotate_warp((5, 5), 90).map_points(np.array([[4.0, 2.0]])).round(6)
    array([[2., 0.]])
    """
    h, w = _check_shape(shape)
    degrees = check_real(degrees, "degrees")
    return AffineWarp._from_arrays(_rotate_arrays(h, w, degrees), (h, w))


@functools.lru_cache(maxsize=_WARP_CACHE_SIZE)
def _rotate_arrays(h: int, w: int, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    turns = degrees / 90.0
    if turns == round(turns):  # exact matrices for multiples of 90 degrees
        cos, sin = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][int(round(turns)) % 4]
    else:
        rad = math.radians(degrees)
        cos, sin = math.cos(rad), math.sin(rad)
    # y points down, so counter-clockwise on screen is (x, y) -> (x cos + y sin, -x sin + y cos)
    return _about_centre_arrays(cos, sin, -sin, cos, h, w)


def zoom_warp(shape: tuple[int, ...], factor: float) -> AffineWarp:
    """Scaling about the centre; ``factor > 1`` magnifies the content.

    Examples
    --------
    >>> zoom_warp((5, 5), 2.0).map_points(np.array([[3.0, 2.0]]))
    array([[4., 2.]])
    """
    h, w = _check_shape(shape)
    factor = check_real(factor, "factor", low=0.0, low_inclusive=False)
    return AffineWarp._from_arrays(_zoom_arrays(h, w, factor), (h, w))


@functools.lru_cache(maxsize=_WARP_CACHE_SIZE)
def _zoom_arrays(h: int, w: int, factor: float) -> tuple[np.ndarray, np.ndarray]:
    return _about_centre_arrays(factor, 0.0, 0.0, factor, h, w)


def shear_warp(shape: tuple[int, ...], factor: float, axis: str = "x") -> AffineWarp:
    """Shear about the centre: ``x' = x + factor * (y - cy)`` (``axis="y"``: swap roles).

    Examples
    --------
    >>> shear_warp((5, 5), 0.5).map_points(np.array([[2.0, 4.0]]))
    array([[3., 4.]])
    """
    h, w = _check_shape(shape)
    factor = check_real(factor, "factor")
    if axis != "x" and axis != "y":
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    return AffineWarp._from_arrays(_shear_arrays(h, w, factor, axis), (h, w))


@functools.lru_cache(maxsize=_WARP_CACHE_SIZE)
def _shear_arrays(h: int, w: int, factor: float, axis: str) -> tuple[np.ndarray, np.ndarray]:
    if axis == "x":
        return _about_centre_arrays(1.0, factor, 0.0, 1.0, h, w)
    return _about_centre_arrays(1.0, 0.0, factor, 1.0, h, w)


def translate_warp(shape: tuple[int, ...], dx: float, dy: float) -> AffineWarp:
    """Translation by ``dx * W`` pixels right and ``dy * H`` pixels down.

    Examples
    --------
    >>> translate_warp((10, 20), 0.1, -0.5).map_points(np.array([[0.0, 0.0]]))
    array([[ 2., -5.]])
    """
    h, w = _check_shape(shape)
    dx = check_real(dx, "dx")
    dy = check_real(dy, "dy")
    return AffineWarp._from_arrays(_affine_arrays(1.0, 0.0, dx * w, 0.0, 1.0, dy * h), (h, w))


def hflip_warp(shape: tuple[int, ...]) -> AffineWarp:
    """Left-right mirror: ``x' = W - 1 - x``.

    Examples
    --------
    >>> hflip_warp((2, 5)).map_points(np.array([[0.0, 1.0]]))
    array([[4., 1.]])
    """
    h, w = _check_shape(shape)
    return AffineWarp._from_arrays(_affine_arrays(-1.0, 0.0, w - 1.0, 0.0, 1.0, 0.0), (h, w))


def vflip_warp(shape: tuple[int, ...]) -> AffineWarp:
    """Top-bottom mirror: ``y' = H - 1 - y``.

    Examples
    --------
    >>> vflip_warp((5, 2)).map_points(np.array([[1.0, 0.0]]))
    array([[1., 4.]])
    """
    h, w = _check_shape(shape)
    return AffineWarp._from_arrays(_affine_arrays(1.0, 0.0, 0.0, 0.0, -1.0, h - 1.0), (h, w))


def pad_and_crop_warp(
    shape: tuple[int, ...], padding: int, top: int, left: int
) -> AffineWarp:
    """Pad by ``padding`` on every side, then crop H x W at ``(top, left)``.

    Equivalent to a translation by ``(padding - left, padding - top)`` pixels.

    Examples
    --------
    >>> pad_and_crop_warp((8, 8), 2, 0, 4).map_points(np.array([[3.0, 3.0]]))
    array([[1., 5.]])
    """
    h, w = _check_shape(shape)
    padding = check_int(padding, "padding", low=0)
    top = check_int(top, "top", low=0, high=2 * padding)
    left = check_int(left, "left", low=0, high=2 * padding)
    tx, ty = float(padding - left), float(padding - top)
    return AffineWarp._from_arrays(_affine_arrays(1.0, 0.0, tx, 0.0, 1.0, ty), (h, w))


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
    if h * w > _DENSE_CACHE_MAX_PIXELS:
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
    every sample is already inside or padding would more than double the image."""
    h, w = map_x.shape
    reach = max(
        -float(map_x.min()), -float(map_y.min()),
        float(map_x.max()) - (w - 1), float(map_y.max()) - (h - 1),
    )
    margin = math.ceil(reach) + 2  # + the bilinear neighbour and rounding slack
    if reach <= 0 or margin > max(h, w) // 2 + 2:
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


# --------------------------------------------------------------------------- ops


def hflip(img: np.ndarray) -> np.ndarray:
    """Mirror left-right (exact index flip).

    Examples
    --------
    >>> hflip(np.array([[1, 2, 3]], np.uint8)).tolist()
    [[3, 2, 1]]
    """
    check_image(img)
    return apply_cv2(_hflip_chunk, img)


def vflip(img: np.ndarray) -> np.ndarray:
    """Mirror top-bottom (exact index flip).

    Examples
    --------
    >>> vflip(np.array([[1], [2]], np.uint8)).tolist()
    [[2], [1]]
    """
    check_image(img)
    return apply_cv2(_vflip_chunk, img)


# cv2.flip copies rows in C: ~40x faster than numpy's strided copy for hflip.
def _hflip_chunk(chunk: np.ndarray) -> np.ndarray:
    return cv2.flip(chunk, 1)


def _vflip_chunk(chunk: np.ndarray) -> np.ndarray:
    return cv2.flip(chunk, 0)


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
