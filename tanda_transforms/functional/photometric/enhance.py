"""Enhancement ops, as ``PIL.ImageEnhance`` (brightness, contrast, saturation) and the
colour-wheel and power-law ops (hue_shift, gamma).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

from .._validate import apply_lut, check_image, check_real, from_float32, to_float32, value_max
from ._common import (
    _LUMA,
    _carry_alpha,
    _check_factor,
    _grey,
    _is_grey,
    _lut,
    _pointwise,
    _require_rgb,
)

__all__ = ["brightness", "contrast", "saturation", "hue_shift", "gamma"]


@_carry_alpha
def brightness(img: np.ndarray, factor: float) -> np.ndarray:
    """Scale intensities by ``factor`` (blend with black, PIL ``ImageEnhance.Brightness``).

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    factor : float
        >= 0; 1 is the identity, 0 gives black.

    Examples
    --------
    >>> brightness(np.array([[100, 200]], np.uint8), 1.5).tolist()
    [[150, 255]]
    """
    check_image(img)
    factor = _check_factor(factor)
    if factor == 1:
        return img.copy()
    if img.dtype == np.float32:
        return _pointwise(img, functools.partial(_scale, factor=factor))
    return apply_lut(img, _brightness_lut(img.dtype, factor))


def _scale(x: np.ndarray, factor: float) -> np.ndarray:
    x *= np.float32(factor)
    return x


@functools.lru_cache(maxsize=64)
def _brightness_lut(dtype: np.dtype, factor: float) -> np.ndarray:
    """Read-only brightness table: it depends on the factor only, so it is cached."""
    lut = _lut(dtype, functools.partial(_scale, factor=factor))
    lut.flags.writeable = False
    return lut


def _mean_luminance(img: np.ndarray) -> float:
    """Mean grey level on the [0, 1] scale (luma for RGB, else mean of all channels).

    ``cv2.mean`` accumulates in double precision like ``np.mean(dtype=float64)`` and
    is about a hundred times faster.
    """
    if img.ndim == 3 and img.shape[2] == 3:
        r, g, b, _ = cv2.mean(np.ascontiguousarray(img))
        mean = r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]
    else:
        # all values count equally: the mean of a 2-D rows x values view
        mean = cv2.mean(np.ascontiguousarray(img).reshape(img.shape[0], -1))[0]
    return mean / value_max(img.dtype)


@_carry_alpha
def contrast(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the mean luminance as a constant grey (PIL ``ImageEnhance.Contrast``).

    The grey level is the mean ITU-R 601-2 luma for RGB images, the mean of the channel
    for one channel and the mean over all channels otherwise.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    factor : float
        >= 0; 1 is the identity, 0 gives uniform grey.

    Examples
    --------
    >>> contrast(np.array([[0, 100]], np.uint8), 0.0).tolist()
    [[50, 50]]
    """
    check_image(img)
    factor = _check_factor(factor)
    if factor == 1:
        return img.copy()
    mean = np.float32(_mean_luminance(img))

    def fn(x: np.ndarray) -> np.ndarray:
        x -= mean
        x *= np.float32(factor)
        x += mean
        return x

    return _pointwise(img, fn)


@_carry_alpha
def saturation(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the greyscale image (PIL ``ImageEnhance.Color``).

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image: RGB (H x W x 3), RGBA (H x W x 4, alpha kept) or
        grey (H x W or H x W x 1, returned unchanged, as torchvision does).
    factor : float
        >= 0; 1 is the identity, 0 gives greyscale.

    Raises
    ------
    ValueError
        If ``img`` has 2 or more than 4 channels.

    Examples
    --------
    >>> saturation(np.array([[[255, 0, 0]]], np.uint8), 0.0).tolist()
    [[[76, 76, 76]]]
    >>> saturation(np.array([[[255, 0, 0, 7]]], np.uint8), 0.0).tolist()  # RGBA
    [[[76, 76, 76, 7]]]
    >>> saturation(np.array([[9, 200]], np.uint8), 0.0).tolist()  # grey: unchanged
    [[9, 200]]
    """
    check_image(img)
    factor = _check_factor(factor)
    if factor == 1 or _is_grey(img):
        return img.copy()
    _require_rgb(img, "saturation")
    if img.dtype == np.uint8:
        # One 3 x 3 colour matrix, out = factor * rgb + (1 - factor) * luma, applied by
        # cv2.transform in fixed point: within one level of the float32 formula below.
        return cv2.transform(np.ascontiguousarray(img), _saturation_matrix(factor))
    x = to_float32(img)
    grey = _grey(x)[:, :, np.newaxis]
    x -= grey
    x *= np.float32(factor)
    x += grey
    return from_float32(x, img.dtype)


@functools.lru_cache(maxsize=64)
def _saturation_matrix(factor: float) -> np.ndarray:
    matrix = np.tile(np.array(_LUMA) * (1.0 - factor), (3, 1))
    matrix[np.diag_indices(3)] += factor
    matrix.flags.writeable = False
    return matrix


@_carry_alpha
def hue_shift(img: np.ndarray, shift: float) -> np.ndarray:
    """Rotate the hue by ``shift`` of the hue circle, keeping HSV saturation and value.

    Computed in float32 HSV maths for every dtype (``cv2.cvtColor`` RGB -> HSV with the
    hue in degrees, a shift of ``360 * shift`` modulo 360, HSV -> RGB).  Grey pixels
    keep their value exactly.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image: RGB (H x W x 3), RGBA (H x W x 4, alpha kept) or
        grey (H x W or H x W x 1, returned unchanged, as torchvision does).
    shift : float
        Fraction of the hue circle in [-0.5, 0.5]; 0 is the identity.

    Raises
    ------
    ValueError
        If ``img`` has 2 or more than 4 channels, or ``shift`` is out of range.

    Examples
    --------
    >>> hue_shift(np.array([[[255, 0, 0]]], np.uint8), 1 / 3).tolist()
    [[[0, 255, 0]]]
    >>> hue_shift(np.array([[[255, 0, 0, 7]]], np.uint8), 1 / 3).tolist()  # RGBA
    [[[0, 255, 0, 7]]]
    """
    check_image(img)
    shift = check_real(shift, "shift", low=-0.5, high=0.5)
    if shift == 0 or _is_grey(img):
        return img.copy()
    _require_rgb(img, "hue_shift")
    # A float32 copy that cv2 works in, in place (uint8 on its 0..255 scale: HSV is
    # scale-free apart from V, so this saves a pass).
    x = img.astype(np.float32) if img.dtype == np.uint8 else to_float32(img)
    x = np.ascontiguousarray(x)
    hsv = cv2.cvtColor(x, cv2.COLOR_RGB2HSV, dst=x)  # in place: H in [0, 360), S in [0, 1]
    # H + shift lies in [0, 720); cv2's HSV -> RGB takes the hue sector modulo 6, so it
    # wraps by itself (pinned by test_hue_shift_matches_colorsys_for_every_dtype).
    cv2.add(hsv, ((360.0 * shift) % 360.0, 0.0, 0.0, 0.0), dst=hsv)
    x = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=hsv)
    if img.dtype == np.uint8:
        # x is in [0, 255] here, so |x| rounded half to even is what from_float32 gives
        return cv2.convertScaleAbs(x)
    return from_float32(x, img.dtype)


@_carry_alpha
def gamma(img: np.ndarray, gamma: float) -> np.ndarray:
    """Power-law transfer ``out = in ** gamma`` on the [0, 1] scale.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    gamma : float
        > 0; 1 is the identity, < 1 brightens, > 1 darkens.

    Examples
    --------
    >>> gamma(np.array([[0, 64, 255]], np.uint8), 0.5).tolist()
    [[0, 128, 255]]
    """
    check_image(img)
    g = check_real(gamma, "gamma", low=0.0, low_inclusive=False)
    if g == 1:
        return img.copy()

    def fn(x: np.ndarray) -> np.ndarray:
        np.power(x, np.float32(g), out=x)
        return x

    return _pointwise(img, fn)
