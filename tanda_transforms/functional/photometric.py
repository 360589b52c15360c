"""Photometric (pixel-value) image operations.

All ops accept uint8, uint16 or float32 (in [0, 1]) images of shape H x W or H x W x C
and return a new array of the same shape and dtype.  Arithmetic runs in float32 on the
[0, 1] scale; integer results are rounded with :func:`numpy.rint` (half to even) and
clipped to the dtype range, float32 results are clipped to [0, 1].  Point-wise ops on
integer images are evaluated once per level into a look-up table (256 entries for
uint8, 65536 for uint16).

The enhancement ops (:func:`brightness`, :func:`contrast`, :func:`saturation`,
:func:`sharpen`) follow the semantics of ``PIL.ImageEnhance``: they blend the image with
a "degenerate" version (black, mean grey, greyscale, smoothed) by ``factor``, where 1
returns the image unchanged, 0 returns the degenerate image and factors above 1
extrapolate.  Greyscale uses the ITU-R 601-2 luma weights (0.299, 0.587, 0.114) as PIL
does.

Alpha: an H x W x 4 image is RGBA.  Every op here changes its three colour channels only and
returns the alpha channel unchanged (so brightening never makes a picture translucent).
The colour ops (:func:`saturation`, :func:`hue_shift`) are identities on one-channel images
(H x W or H x W x 1), as torchvision's are: a grey image has no hue or saturation to change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import cv2
import numpy as np

from ._strips import row_strips
from ._validate import (
    apply_cv2,
    apply_lut,
    check_image,
    check_int,
    check_real,
    float32_into,
    from_float32,
    make_rng,
    to_float32,
    value_max,
)

__all__ = [
    "brightness",
    "contrast",
    "saturation",
    "hue_shift",
    "gamma",
    "gaussian_blur",
    "sharpen",
    "gaussian_noise",
    "cutout",
    "equalize",
    "autocontrast",
    "posterize",
    "solarize",
    "invert",
]

_LUMA = (0.299, 0.587, 0.114)
_FLOAT_EQUALIZE_BINS = 4096

# PIL's ImageFilter.SMOOTH kernel, used as the degenerate image of sharpen().
_SMOOTH_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)


# --------------------------------------------------------------------------- helpers


@functools.lru_cache(maxsize=2)
def _levels(dtype: np.dtype) -> np.ndarray:
    """Read-only float32 values of every level of an integer dtype on the [0, 1] scale."""
    vmax = value_max(dtype)
    levels = np.arange(int(vmax) + 1, dtype=np.float32)
    levels /= np.float32(vmax)
    levels.flags.writeable = False
    return levels


def _lut(dtype: np.dtype, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The look-up table of ``fn`` (float32 [0, 1] -> float32, in place) for a dtype."""
    return from_float32(fn(_levels(dtype).copy()), dtype)


def _pointwise(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``fn`` (float32 [0, 1] -> float32) to every value.

    Integer images go through a look-up table built from every level; float32 images
    are transformed directly and clipped to [0, 1].
    """
    if img.dtype == np.float32:
        out = fn(img.copy())
        return np.clip(out, 0.0, 1.0, out=out)
    return apply_lut(img, _lut(img.dtype, fn))


def _channels(img: np.ndarray) -> int:
    return 1 if img.ndim == 2 else img.shape[2]


def _per_channel(img: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``fn`` (2-D channel -> new 2-D channel) to each channel separately."""
    if img.ndim == 2:
        return fn(img)
    out = np.empty_like(img)
    for c in range(img.shape[2]):
        out[:, :, c] = fn(img[:, :, c])
    return out


def _require_rgb(img: np.ndarray, op: str) -> None:
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(
            f"{op} is a colour op and needs a grey (H x W or H x W x 1), RGB (H x W x 3) or "
            f"RGBA (H x W x 4) image, got shape {img.shape}"
        )


def _is_grey(img: np.ndarray) -> bool:
    return img.ndim == 2 or img.shape[2] == 1


def _carry_alpha(op: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Wrap ``op(img, ...)`` so that on RGBA input it sees RGB and the alpha is kept.

    The wrapped op gets a contiguous H x W x 3 copy of the colour channels; its result is
    stacked with the untouched alpha channel.  Other layouts go to ``op`` unchanged.
    """

    @functools.wraps(op)
    def wrapper(img: np.ndarray, *args, **kwargs) -> np.ndarray:
        if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 4):
            return op(img, *args, **kwargs)
        check_image(img)
        colour = op(np.ascontiguousarray(img[:, :, :3]), *args, **kwargs)
        out = np.empty(img.shape, img.dtype)
        out[:, :, :3] = colour
        out[:, :, 3] = img[:, :, 3]
        return out

    return wrapper


def _grey(x: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of a float32 H x W x 3 array (float32 H x W)."""
    grey = x[:, :, 0] * np.float32(_LUMA[0])
    grey += x[:, :, 1] * np.float32(_LUMA[1])
    grey += x[:, :, 2] * np.float32(_LUMA[2])
    return grey


def _check_factor(factor: float) -> float:
    return check_real(factor, "factor", low=0.0)


# --------------------------------------------------------------------------- enhance


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


# --------------------------------------------------------------------------- filters


@_carry_alpha
def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with standard deviation ``sigma`` pixels.

    The kernel is truncated at ``4 * sigma`` (as ``scipy.ndimage.gaussian_filter``)
    and the border is mirrored without repeating the edge pixel (scipy "mirror",
    ``cv2.BORDER_REFLECT_101``).  The filtering runs in float32.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    sigma : float
        >= 0; 0 is the identity.

    Examples
    --------
    >>> gaussian_blur(np.full((5, 5), 7, np.uint8), 1.0)[2].tolist()
    [7, 7, 7, 7, 7]
    """
    check_image(img)
    sigma = check_real(sigma, "sigma", low=0.0)
    if sigma == 0:
        return img.copy()
    radius = max(1, int(4.0 * sigma + 0.5))
    ksize = (2 * radius + 1, 2 * radius + 1)

    def blur(chunk: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(
            chunk, ksize, sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101
        )

    # cv2's 8-bit Gaussian uses low-precision fixed-point weights (errors above one
    # level), so integer images are blurred in float32 and rounded once.  Large images go
    # in row strips with a halo of the kernel radius (see _strips): the same values.
    h, w = img.shape[:2]
    out = np.empty(img.shape, img.dtype)
    for lo, start, stop, hi in row_strips(h, w, radius):
        blurred = apply_cv2(blur, to_float32(img[lo:hi]))
        float32_into(blurred[start - lo : stop - lo], out[start:stop])
    return out


@_carry_alpha
def sharpen(img: np.ndarray, factor: float) -> np.ndarray:
    """Blend between a smoothed image and the original (PIL ``ImageEnhance.Sharpness``).

    The degenerate image is PIL's ``ImageFilter.SMOOTH`` (3 x 3 kernel
    ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13``) with the one-pixel border left
    unfiltered, as PIL does; so border pixels never change.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    factor : float
        >= 0; 1 is the identity, 0 gives the smoothed image, > 1 sharpens.

    Examples
    --------
    >>> sharpen(np.zeros((3, 3), np.uint8), 2.0).shape
    (3, 3)
    """
    check_image(img)
    factor = _check_factor(factor)
    h, w = img.shape[:2]
    if factor == 1 or h < 3 or w < 3:
        return img.copy()

    def smooth(chunk: np.ndarray) -> np.ndarray:
        return cv2.filter2D(chunk, -1, _SMOOTH_KERNEL, borderType=cv2.BORDER_REFLECT_101)

    out = np.empty(img.shape, img.dtype)
    # Large images go in row strips with a one-row halo (see _strips): the same values.
    for lo, start, stop, hi in row_strips(h, w, 1):
        x = to_float32(img[lo:hi])
        degenerate = apply_cv2(smooth, x)
        # out = degenerate + factor * (x - degenerate), in place in x and only where the
        # filter applies: not on the image's first and last rows and columns.  Whole rows
        # are blended (contiguous, faster) and their first and last values put back.
        top, bottom = max(start, 1) - lo, min(stop, h - 1) - lo
        if top < bottom:
            rows, smoothed = x[top:bottom], degenerate[top:bottom]
            first, last = rows[:, 0].copy(), rows[:, -1].copy()
            rows -= smoothed
            rows *= np.float32(factor)
            rows += smoothed
            rows[:, 0], rows[:, -1] = first, last
        del degenerate
        float32_into(x[start - lo : stop - lo], out[start:stop])
    return out


@_carry_alpha
def gaussian_noise(img: np.ndarray, std: float, *, seed: int | np.random.Generator) -> np.ndarray:
    """Add zero-mean Gaussian noise, then clip to the range.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    std : float
        >= 0, standard deviation as a fraction of the dtype range.
    seed : int or numpy.random.Generator
        Source of the noise (float32 standard normals of ``img.shape``).

    Examples
    --------
    >>> a = gaussian_noise(np.zeros((4, 4), np.float32), 0.1, seed=0)
    >>> bool((a == gaussian_noise(np.zeros((4, 4), np.float32), 0.1, seed=0)).all())
    True
    """
    check_image(img)
    std = check_real(std, "std", low=0.0)
    rng = make_rng(seed)
    out = np.empty(img.shape, img.dtype)
    # Large images go in row strips; the noise is drawn strip after strip, which gives the
    # same numbers as one draw of img.shape (the generator's stream is sequential).
    for _, start, stop, _ in row_strips(img.shape[0], img.shape[1], 0):
        x = to_float32(img[start:stop])
        noise = rng.standard_normal(x.shape, dtype=np.float32)
        noise *= np.float32(std)
        x += noise
        del noise
        float32_into(x, out[start:stop])
    return out


@_carry_alpha
def cutout(
    img: np.ndarray, top: int, left: int, height: int, width: int, *, fill: float = 0.0
) -> np.ndarray:
    """Fill a rectangle with a constant; the part outside the image is ignored.

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    top, left : int
        Row and column of the rectangle's top-left corner (may be negative).
    height, width : int
        >= 0, size of the rectangle in pixels.
    fill : float
        Value in [0, 1] as a fraction of the dtype range (rounded for integers).

    Examples
    --------
    >>> cutout(np.ones((3, 3), np.uint8), -1, 1, 2, 5).tolist()
    [[1, 0, 0], [1, 1, 1], [1, 1, 1]]
    """
    check_image(img)
    top = check_int(top, "top")
    left = check_int(left, "left")
    height = check_int(height, "height", low=0)
    width = check_int(width, "width", low=0)
    fill = check_real(fill, "fill", low=0.0, high=1.0)
    out = img.copy()
    h, w = img.shape[:2]
    r0, r1 = max(top, 0), min(top + height, h)
    c0, c1 = max(left, 0), min(left + width, w)
    if r1 > r0 and c1 > c0:
        vmax = value_max(img.dtype)
        out[r0:r1, c0:c1] = fill if vmax == 1.0 else np.rint(fill * vmax)
    return out


# --------------------------------------------------------------------------- histogram


def _equalize_lut(hist: np.ndarray) -> np.ndarray | None:
    """PIL-style equalisation table over ``len(hist)`` levels, or None for identity.

    ``lut[i] = floor(cdf_before(i) / step + 1/2)`` with
    ``step = (total - count of the highest occupied level) / levels``, clipped to the
    top level.  Unlike PIL, ``step`` is not rounded down to an integer, so small
    images are equalised too instead of being saturated or left unchanged.
    """
    levels = len(hist)
    occupied = np.flatnonzero(hist)
    if len(occupied) <= 1:
        return None
    total = int(hist.sum())
    step = (total - int(hist[occupied[-1]])) / levels
    cdf_before = np.concatenate([[0], np.cumsum(hist)[:-1]]).astype(np.float64)
    lut = np.floor(cdf_before / step + 0.5)
    return np.minimum(lut, levels - 1)


@_carry_alpha
def equalize(img: np.ndarray) -> np.ndarray:
    """Histogram equalisation of each channel separately (PIL ``ImageOps.equalize``).

    uint8 uses 256 bins, uint16 65536 bins; float32 values are binned into 4096 bins
    and each value is replaced by its bin's equalised level ``k / 4095``.  A channel
    with a single value is left unchanged.  See ``_equalize_lut`` for the one
    deliberate difference from PIL (non-integer step), which only matters for small
    images.

    Examples
    --------
    >>> equalize(np.array([[0, 0, 1, 2]], np.uint8)).tolist()
    [[0, 0, 171, 255]]
    """
    check_image(img)
    if img.dtype == np.float32:
        bins = _FLOAT_EQUALIZE_BINS

        def channel_fn(ch: np.ndarray) -> np.ndarray:
            idx = np.clip(ch * np.float32(bins), 0, bins - 1).astype(np.uint16)
            lut = _equalize_lut(np.bincount(idx.ravel(), minlength=bins))
            if lut is None:
                return ch.copy()
            table = (lut / (bins - 1)).astype(np.float32)
            return np.take(table, idx)

    else:
        levels = int(value_max(img.dtype)) + 1

        def channel_fn(ch: np.ndarray) -> np.ndarray:
            lut = _equalize_lut(np.bincount(ch.ravel(), minlength=levels))
            if lut is None:
                return ch.copy()
            return apply_lut(ch, lut.astype(img.dtype))

    return _per_channel(img, channel_fn)


@_carry_alpha
def autocontrast(img: np.ndarray) -> np.ndarray:
    """Stretch each channel's min..max to the full range; constant channels unchanged.

    Examples
    --------
    >>> autocontrast(np.array([[10, 20, 30]], np.uint8)).tolist()
    [[0, 128, 255]]
    """
    check_image(img)
    vmax = value_max(img.dtype)

    def channel_fn(ch: np.ndarray) -> np.ndarray:
        lo, hi = float(ch.min()), float(ch.max())
        if hi <= lo:
            return ch.copy()
        if img.dtype == np.float32:
            out = ch - np.float32(lo)
            out *= np.float32(1.0 / (hi - lo))
            return np.clip(out, 0.0, 1.0, out=out)
        levels = np.arange(int(vmax) + 1, dtype=np.float64)
        lut = np.clip(np.rint((levels - lo) * (vmax / (hi - lo))), 0, vmax)
        return apply_lut(ch, lut.astype(img.dtype))

    return _per_channel(img, channel_fn)


# --------------------------------------------------------------------------- bit ops


@_carry_alpha
def posterize(img: np.ndarray, bits: int) -> np.ndarray:
    """Keep the top ``bits`` bits of every value (PIL ``ImageOps.posterize``).

    uint8 takes ``bits`` in 1..8 and uint16 in 1..16 (all bits: identity).  float32
    takes 1..16 and is quantised to ``2 ** bits`` levels the same way an integer image
    would be: ``floor(x * 2 ** bits) / 2 ** bits`` (1.0 maps to ``1 - 2 ** -bits``).

    Examples
    --------
    >>> posterize(np.array([[255, 100]], np.uint8), 2).tolist()
    [[192, 64]]
    """
    check_image(img)
    max_bits = 8 if img.dtype == np.uint8 else 16
    bits = check_int(bits, "bits", low=1, high=max_bits)
    if img.dtype == np.float32:
        levels = np.float32(2**bits)
        out = img * levels
        np.floor(out, out=out)
        np.clip(out, 0, levels - 1, out=out)
        out /= levels
        return out
    shift = max_bits - bits
    mask = img.dtype.type(((1 << max_bits) - 1) >> shift << shift)
    return np.bitwise_and(img, mask)


@_carry_alpha
def solarize(img: np.ndarray, threshold: float) -> np.ndarray:
    """Invert every value ``>= threshold`` (PIL ``ImageOps.solarize``).

    Parameters
    ----------
    img : np.ndarray
        uint8, uint16 or float32 image, H x W or H x W x C.
    threshold : float
        Fraction of the range in [0, 1].  For integer dtypes the level threshold is
        ``ceil(threshold * max)`` (so ``k / 255`` on uint8 means PIL's ``threshold=k``).

    Examples
    --------
    >>> solarize(np.array([[10, 200]], np.uint8), 0.5).tolist()
    [[10, 55]]
    """
    check_image(img)
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0)
    vmax = value_max(img.dtype)
    if img.dtype == np.float32:
        out = img.copy()
        mask = out >= np.float32(threshold)
        np.subtract(np.float32(1), out, out=out, where=mask)
        return out
    level = int(np.ceil(threshold * vmax - 1e-6))
    lut = np.arange(int(vmax) + 1, dtype=img.dtype)
    lut[level:] = vmax - lut[level:]
    return apply_lut(img, lut)


@_carry_alpha
def invert(img: np.ndarray) -> np.ndarray:
    """Return ``max - img`` (PIL ``ImageOps.invert``).

    Examples
    --------
    >>> invert(np.array([[0, 255]], np.uint8)).tolist()
    [[255, 0]]
    """
    check_image(img)
    return np.subtract(img.dtype.type(value_max(img.dtype)), img)
