"""Affine warps: :class:`AffineWarp`, its builders and the exact flips.

An affine warp holds its forward 2 x 3 matrix and is applied with ``cv2.warpAffine`` (an
identity or mirror is copied or flipped exactly). The builders (:func:`rotate_warp`,
:func:`zoom_warp`, :func:`shear_warp`, :func:`translate_warp`, :func:`hflip_warp`,
:func:`vflip_warp`, :func:`pad_and_crop_warp`) cache their matrices per (shape, arguments).
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from tanda_transforms._validate import apply_cv2, check_image, check_int, check_real

from ._common import (
    _PAD_MIN_PIXELS,
    _WARP_CACHE_SIZE,
    _affine_arrays,
    _border_value,
    _centre,
    _check_apply_args,
    _check_points,
    _check_same_shape,
    _check_shape,
    _pad_fits,
    _run_warp,
)
from ._remap import CV_MAX_SIDE, remap

__all__ = [
    "AffineWarp",
    "rotate_warp",
    "zoom_warp",
    "shear_warp",
    "translate_warp",
    "hflip_warp",
    "vflip_warp",
    "pad_and_crop_warp",
    "hflip",
    "vflip",
]

#: Bilinear affine warps pad the image (see AffineWarp.apply) from _PAD_MIN_PIXELS up to at
#: most this many pixels (4 Mpx): the padded copy costs 1.1x to 1.5x the image at 2.5
#: to 10 degrees of rotation, and above a few megapixels memory matters more than the
#: speed-up (on 4000 x 3000 uint16 none for rotate and shear, 1.6x for zoom(0.9)).
_PAD_MAX_PIXELS = 1 << 22


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
    would cost more than the warp (see ``_pad_fits``).
    """
    (a, b, c), (d, e, f) = np.frombuffer(inverse_bytes).reshape(2, 3).tolist()
    xs = [a * x + b * y + c for x in (0, w - 1) for y in (0, h - 1)]
    ys = [d * x + e * y + f for x in (0, w - 1) for y in (0, h - 1)]
    reach = max(-min(xs), -min(ys), max(xs) - (w - 1), max(ys) - (h - 1))
    if reach <= 0:
        return 0, None
    margin = math.ceil(reach) + 2  # + the bilinear neighbour and rounding slack
    if not _pad_fits(h, w, margin):
        return 0, None
    shifted = np.array([[a, b, c + margin], [d, e, f + margin]])
    shifted.flags.writeable = False
    return margin, shifted


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

    @property
    def inverse(self) -> np.ndarray:
        """The inverse 2 x 3 matrix (destination ``(x, y, 1)`` -> source ``(x, y)``), read-only.

        Examples
        --------
        >>> warp = AffineWarp(np.array([[1.0, 0, 2], [0, 1, 0]]), (4, 4))
        >>> (warp.inverse + 0.0).tolist()  # + 0.0: no negative zeros
        [[1.0, 0.0, -2.0], [0.0, 1.0, 0.0]]
        """
        return self._inverse

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
        if max(h, w) >= CV_MAX_SIDE:  # OpenCV 4's warpAffine refuses such sides
            xs, ys = _inverse_maps(inverse, h, w)
            return _run_warp(lambda chunk: remap(chunk, xs, ys, flags, border_mode, value), img)
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


def _inverse_maps(inverse: np.ndarray, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The source x and y (float32 ``h x w``) of every destination pixel under ``inverse``
    (destination to source, 2 x 3): ``cv2.warpAffine``'s samples as ``remap`` maps.

    Examples
    --------
    >>> xs, ys = _inverse_maps(np.array([[1.0, 0, 2], [0, 1, 0]]), 1, 2)
    >>> xs.tolist(), ys.tolist()
    ([[2.0, 3.0]], [[0.0, 0.0]])
    """
    (a, b, c), (d, e, f) = inverse.tolist()
    y, x = np.arange(h, dtype=np.float64)[:, None], np.arange(w, dtype=np.float64)[None, :]
    xs, ys = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
    # summed in float64 and rounded once, in buffered chunks: no h x w float64 temporaries
    np.add(a * x + c, b * y, out=xs, casting="same_kind")
    np.add(d * x, e * y + f, out=ys, casting="same_kind")
    return xs, ys


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
