"""Level ops, each a look-up table built from the image or the argument: equalize and
autocontrast (from the histogram), posterize, solarize and invert.
"""

from __future__ import annotations

import numpy as np

from .._validate import apply_lut, check_image, check_int, check_real, value_max
from ._common import _carry_alpha, _per_channel

__all__ = ["equalize", "autocontrast", "posterize", "solarize", "invert"]

_FLOAT_EQUALIZE_BINS = 4096


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
