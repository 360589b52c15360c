"""Input validation and dtype helpers shared by the per-image image ops (the warps of
:mod:`tanda_transforms.functional`, the numpy kernels of :mod:`tanda_transforms.ops`).

Every op in :mod:`tanda_transforms.functional` accepts images of shape ``H x W`` or
``H x W x C`` (any ``C >= 1``) with dtype ``uint8`` (0..255), ``uint16`` (0..65535) or
``float32`` (values in [0, 1]).  Nothing is silently cast: anything else raises.

Integer results are rounded to the nearest integer with :func:`numpy.rint` (ties go to
the even neighbour) and then clipped to the dtype range; ``float32`` results are clipped
to [0, 1].
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import cv2
import numpy as np

__all__ = [
    "SUPPORTED_DTYPES",
    "check_image",
    "value_max",
    "to_float32",
    "from_float32",
    "float32_into",
    "apply_cv2",
    "apply_lut",
    "check_real",
    "check_int",
    "check_seed",
    "make_rng",
]

_VALUE_MAX = {
    np.dtype(np.uint8): 255.0,
    np.dtype(np.uint16): 65535.0,
    np.dtype(np.float32): 1.0,
}

#: The image dtypes every op accepts.
SUPPORTED_DTYPES: tuple[np.dtype, ...] = tuple(_VALUE_MAX)

_DTYPE_NAMES = "uint8, uint16 or float32"

#: cv2 functions reliably handle at most this many channels per call.
_CV2_MAX_CHANNELS = 4

#: uint16 images with more values than this are looked up in row blocks of about this many
#: values (see apply_lut), so the index copy np.take makes stays small.
_LUT_CHUNK = 1 << 16


def check_image(img: object, name: str = "img") -> None:
    """Validate an image argument; raise if it is not a supported image.

    Parameters
    ----------
    img : object
        The value to check.  Must be a ``numpy.ndarray`` of shape ``H x W`` or
        ``H x W x C`` (``H, W, C >= 1``) and dtype uint8, uint16 or float32.
    name : str
        Name used in error messages.

    Raises
    ------
    TypeError
        If ``img`` is not an ndarray or has an unsupported dtype.
    ValueError
        If ``img`` has the wrong number of dimensions or an empty axis.

    Examples
    --------
    >>> check_image(np.zeros((4, 4, 3), np.uint8)) is None
    True
    """
    if not isinstance(img, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy.ndarray of shape H x W or H x W x C, "
            f"got {type(img).__name__}"
        )
    if img.dtype not in _VALUE_MAX:
        raise TypeError(
            f"{name} must have dtype {_DTYPE_NAMES} (float32 in [0, 1]), got {img.dtype}; "
            "convert explicitly, e.g. img.astype(np.float32)"
        )
    if img.ndim not in (2, 3):
        raise ValueError(
            f"{name} must have 2 dimensions (H x W) or 3 (H x W x C), "
            f"got {img.ndim} dimensions with shape {img.shape}"
        )
    if 0 in img.shape:
        raise ValueError(f"{name} must not have an empty axis, got shape {img.shape}")


def value_max(dtype: np.dtype | type) -> float:
    """Return the value that represents "full intensity" for an image dtype.

    Parameters
    ----------
    dtype : numpy dtype or type
        One of uint8, uint16, float32.

    Returns
    -------
    float
        255.0, 65535.0 or 1.0.

    Examples
    --------
    >>> value_max(np.uint8), value_max(np.uint16), value_max(np.float32)
    (255.0, 65535.0, 1.0)
    """
    try:
        key = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be {_DTYPE_NAMES}, got {dtype!r}") from exc
    if key not in _VALUE_MAX:
        raise TypeError(f"dtype must be {_DTYPE_NAMES}, got {key}")
    return _VALUE_MAX[key]


def to_float32(img: np.ndarray) -> np.ndarray:
    """Return a new float32 copy of ``img`` scaled to [0, 1].

    Parameters
    ----------
    img : np.ndarray
        A valid image (see :func:`check_image`).

    Returns
    -------
    np.ndarray
        float32 array of the same shape; ``img / value_max(img.dtype)``.

    Examples
    --------
    >>> to_float32(np.array([[0, 255]], np.uint8))
    array([[0., 1.]], dtype=float32)
    """
    check_image(img)
    out = img.astype(np.float32)  # always a copy
    vmax = value_max(img.dtype)
    if vmax != 1.0:
        np.divide(out, np.float32(vmax), out=out)
    return out


def from_float32(x: np.ndarray, dtype: np.dtype | type) -> np.ndarray:
    """Convert a float32 array on the [0, 1] scale to an image of ``dtype``.

    Integer dtypes are rounded with :func:`numpy.rint` (half to even) and clipped to the
    dtype range; float32 is clipped to [0, 1].  Always returns a new array.

    Parameters
    ----------
    x : np.ndarray
        float32 array (any shape) on the [0, 1] scale.
    dtype : numpy dtype or type
        Target dtype: uint8, uint16 or float32.

    Returns
    -------
    np.ndarray
        New array of ``dtype`` with the shape of ``x``.

    Examples
    --------
    >>> from_float32(np.array([0.0, 0.5, 1.2], np.float32), np.uint8)
    array([  0, 128, 255], dtype=uint8)
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float32:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x must be a float32 numpy.ndarray, got {got}")
    vmax = value_max(dtype)
    if vmax == 1.0:
        return np.clip(x, 0.0, 1.0)
    y = np.multiply(x, np.float32(vmax))
    np.rint(y, out=y)
    np.clip(y, 0.0, vmax, out=y)
    return y.astype(dtype)


def float32_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write ``from_float32(x, out.dtype)`` into ``out``, using ``x`` as scratch space.

    The same values as :func:`from_float32` without its two temporaries (the scaled
    product and the cast): for callers that own ``x`` (it is overwritten) and have the
    destination, e.g. rows of a preallocated result.  Returns ``out``.

    Examples
    --------
    >>> float32_into(np.array([0.0, 0.5, 1.2], np.float32), np.empty(3, np.uint8))
    array([  0, 128, 255], dtype=uint8)
    """
    vmax = value_max(out.dtype)
    if vmax == 1.0:
        return np.clip(x, 0.0, 1.0, out=out)
    np.multiply(x, np.float32(vmax), out=x)
    np.rint(x, out=x)
    np.clip(x, 0.0, vmax, out=x)
    np.copyto(out, x, casting="unsafe")  # integral values in range: the cast is exact
    return out


def apply_cv2(func: Callable[[np.ndarray], np.ndarray], img: np.ndarray) -> np.ndarray:
    """Run a per-pixel-neighbourhood cv2 function on an image with any channel count.

    cv2 drops a trailing channel axis of size 1 and many of its functions accept at
    most 4 channels.  This helper calls ``func`` on a 2-D array or on contiguous chunks
    of at most 4 channels, then restores the original layout.

    Parameters
    ----------
    img : np.ndarray
        A valid image (see :func:`check_image`).
    func : callable
        ``func(chunk) -> array`` where ``chunk`` is ``H x W`` or ``H x W x k`` with
        ``2 <= k <= 4``; it must return an array with the same number of channels.

    Returns
    -------
    np.ndarray
        The result with the same number of dimensions and channels as ``img``.

    Examples
    --------
    >>> import cv2
    >>> apply_cv2(lambda a: cv2.flip(a, 1), np.zeros((2, 3, 6), np.uint8)).shape
    (2, 3, 6)
    """
    if img.ndim == 2:
        return func(np.ascontiguousarray(img))
    channels = img.shape[2]
    if channels == 1:
        return func(np.ascontiguousarray(img[:, :, 0]))[:, :, np.newaxis]
    if channels <= _CV2_MAX_CHANNELS:
        out = func(np.ascontiguousarray(img))
        return out.reshape(out.shape[:2] + (channels,))
    parts = []
    for start in range(0, channels, _CV2_MAX_CHANNELS):
        chunk = img[:, :, start : start + _CV2_MAX_CHANNELS]
        parts.append(apply_cv2(func, chunk))
    return np.concatenate(parts, axis=2)


def apply_lut(img: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Map every value of an integer image through a look-up table.

    Parameters
    ----------
    img : np.ndarray
        uint8 or uint16 image.
    lut : np.ndarray
        1-D table with ``value_max(img.dtype) + 1`` entries of ``img.dtype``.

    Returns
    -------
    np.ndarray
        New array ``lut[img]`` with the shape and dtype of ``img``.

    Examples
    --------
    >>> apply_lut(np.array([[0, 1]], np.uint8), 255 - np.arange(256, dtype=np.uint8))
    array([[255, 254]], dtype=uint8)
    """
    if img.dtype == np.uint8:
        size = 256
    elif img.dtype == np.uint16:
        size = 65536
    else:
        raise TypeError(f"apply_lut needs a uint8 or uint16 image, got {img.dtype}")
    if lut.shape != (size,) or lut.dtype != img.dtype:
        raise ValueError(
            f"lut must have shape ({size},) and dtype {img.dtype}, "
            f"got shape {lut.shape} and dtype {lut.dtype}"
        )
    if size == 256:
        # cv2.LUT is an exact table look-up like np.take, about twice as fast.  A 2-D
        # contiguous view (rows x values) works for any channel count.
        flat = np.ascontiguousarray(img).reshape(img.shape[0], -1)
        return cv2.LUT(flat, lut).reshape(img.shape)
    if img.size <= _LUT_CHUNK:
        return np.take(lut, img)
    # np.take first converts the uint16 indices to intp, 8 bytes per value: 4x the image
    # (lut[img] does not, but is up to 4x slower at 1 MP).  Taking blocks of rows into the
    # output bounds that copy by the block (at least one row) and is faster than one big
    # take.  uint16 indices always lie inside the 65536-entry table, so mode="clip"
    # changes nothing; it avoids the output buffer that the default mode="raise" makes.
    out = np.empty(img.shape, lut.dtype)
    rows = max(1, _LUT_CHUNK // (img.size // img.shape[0]))
    for start in range(0, img.shape[0], rows):
        block = slice(start, start + rows)
        np.take(lut, img[block], out=out[block], mode="clip")
    return out


def check_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Check that ``value`` is a finite real number within optional bounds.

    Returns the value as a Python float.  Raises TypeError for non-numbers (including
    bool) and ValueError for NaN, infinity or a value out of range.

    Examples
    --------
    >>> check_real(2, "factor", low=0)
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out}")
    if low is not None and (out < low or (out == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {out}")
    if high is not None and (out > high or (out == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"{name} must be {op} {high}, got {out}")
    return out


def check_int(
    value: object, name: str, *, low: int | None = None, high: int | None = None
) -> int:
    """Check that ``value`` is an integer (not bool) within optional inclusive bounds.

    Examples
    --------
    >>> check_int(3, "size", low=1)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    out = int(value)
    if low is not None and out < low:
        raise ValueError(f"{name} must be >= {low}, got {out}")
    if high is not None and out > high:
        raise ValueError(f"{name} must be <= {high}, got {out}")
    return out


def check_seed(seed: object) -> None:
    """Check that ``seed`` is an int or a ``numpy.random.Generator``.

    Examples
    --------
    >>> check_seed(0) is None
    True
    """
    if isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"seed must be an int or a numpy.random.Generator, got {type(seed).__name__}"
        )
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative int, got {int(seed)}")


def make_rng(seed: int | np.random.Generator) -> np.random.Generator:
    """Return ``seed`` itself if it is a Generator, else ``np.random.default_rng(seed)``.

    Examples
    --------
    >>> make_rng(0).random() == make_rng(0).random()
    True
    """
    check_seed(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(int(seed))
