"""Level ops, one home each: equalize, autocontrast, posterize, solarize, invert, identity.

Each op's per-image numpy kernel, its batched torch kernel (``*_batch``, the same math on
``[n, C, H, W]`` float tensors with one argument value per sample) and its bounds, registered
below with ``register_op(..., batched=...)`` as a user's op. None has a random part.

Per image: PIL's ``ImageOps`` (equalize with an unrounded step, autocontrast, posterize,
solarize, invert) through look-up tables for integer images. Batched: per-channel level
tables built in blocks of rows (uint16 has 65536 levels), posterize's bit mask, solarize's
level threshold; each reads the input ``dtype`` to do what the per-image integer op does.
``identity`` is TrivialAugment's and RandAugment's no-op, as a TF.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.registry import get_op
>>> get_op("invert").fn(np.arange(4, dtype=np.uint8).reshape(2, 2))[0].tolist()
[255, 254]
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

from tanda_transforms._validate import apply_lut, check_image, check_int, check_real, value_max
from tanda_transforms.ops._numpy_common import _carry_alpha, _per_channel
from tanda_transforms.ops._torch_common import (
    PerSample,
    Tensor,
    _argument,
    _carry_alpha_batch,
    _divide,
    _integer_levels,
    _is_integer,
    _keep_where,
    _per_sample,
    _scaled_argument,
)
from tanda_transforms.ops._torch_common import (
    value_max as _batch_value_max,
)
from tanda_transforms.ops.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["autocontrast", "autocontrast_batch", "equalize", "equalize_batch", "identity",
           "invert", "invert_batch", "posterize", "posterize_batch", "solarize",
           "solarize_batch"]

# --- per-image kernels (numpy) ----------------------------------------------------------------

# float32 values go into 256 bins, as torchvision's and kornia's equalize count float images
# (their bin edges differ a little: trunc(v * 255.999), trunc(v * 255)): trunc(v * 256), 1.0 in
# the top bin, so that k / 255 lands in bin k and a float image of uint8 levels is equalised
# exactly as its uint8 version
_FLOAT_EQUALIZE_BINS = 256


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

    uint8 uses 256 bins, uint16 65536 bins; float32 values are binned into 256 bins,
    ``trunc(v * 256)`` (1.0 in the top bin; torchvision and kornia count float images in
    256 bins too), and each value is replaced by its bin's equalised level ``k / 255``: a float
    image of uint8 levels is equalised as its uint8 version.  A channel with a single value
    is left unchanged.  See ``_equalize_lut`` for the one
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


# --- batched kernels (torch) ------------------------------------------------------------------

_LEVEL_TABLE_VALUES = 1 << 22  # rows x levels of the per-channel tables built at once


def _in_row_blocks(index: Tensor, levels: int, fn: Callable[[Tensor], Tensor]) -> Tensor:
    """``fn(rows)`` (float32 ``[r, P]``) over blocks of the rows of ``index`` (``[rows, P]``
    int64 in ``0..levels-1``), so that per-level arrays of a block (``[r, levels]``) stay
    under ``_LEVEL_TABLE_VALUES`` values (uint16 has 65536 levels)."""
    rows = index.shape[0]
    block = max(1, _LEVEL_TABLE_VALUES // levels)
    if rows <= block:
        return fn(index)
    out = torch.empty(index.shape, dtype=torch.float32, device=index.device)
    for start in range(0, rows, block):
        out[start : start + block] = fn(index[start : start + block])
    return out


def _equalized(planes: Tensor, high: Tensor, levels: int, integer: bool) -> Tensor:
    """PIL-style equalised level of each value (``_equalize_lut`` above)
    divided by the top level, float32 ``[rows, P]``, for rows ``planes`` whose largest values
    are ``high`` (``[rows, 1]``); rows of one level (no value below the top level) are kept
    as they are.

    ``lut[k] = floor(below(k) / step + 1/2)``, ``step = below(top occupied level) / levels``
    (the count of all values but the top level's), in float64 as numpy. With fewer levels
    than values per row, a table per row is built and looked up; else (uint16, images of
    fewer values than levels) the formula is evaluated at each value.

    ``below`` comes from one int32 histogram of the rows, each row's counts one level up
    (level ``k`` of row ``r`` counted at ``r * (levels + 1) + k + 1``), so that its
    cumulative sum, in place, holds ``below(k)`` at ``r * (levels + 1) + k`` (no subtraction
    of the counts over the whole histogram). The index is built in float32 (exact: a block
    has at most ``_LEVEL_TABLE_VALUES`` <= 2**24 of them). A row of one level is the row
    with nothing below its top level (``step`` 0).
    """
    rows, values = planes.shape
    if integer:  # levels of an integer image given on [0, 1]
        level = torch.mul(planes, levels - 1).round_()
        top = torch.mul(high, levels - 1).round_()
    else:  # float32 bins, truncated as astype
        level = _float_bin(planes, levels)
        top = _float_bin(high, levels)
    width = levels + 1
    row = _row_starts(rows, width, planes.device)
    at = level.add_(row).view(-1).int()  # r * width + k
    # int32 counts (a quarter of bincount's int64 histogram to clear, fill and sum), each
    # added through a view that starts one entry in: level k lands at r * width + k + 1
    hist = torch.zeros(rows * width, dtype=torch.int32, device=planes.device)
    one = torch.ones((), dtype=torch.int32, device=planes.device)
    hist[1:].index_add_(0, at, one.expand(at.shape))
    below = hist.view(rows, width).cumsum_(dim=1)
    top_at = top.add_(row).view(-1).int()
    below_top = below.view(-1).index_select(0, top_at)
    step = _divide(below_top.double(), levels).unsqueeze(1)  # 0 for rows of one level
    if levels <= values:
        table = below.double().div_(step).add_(0.5).floor_().clamp_(max=levels - 1)
        table = _divide(table, levels - 1).float()
        out = table.view(-1).index_select(0, at).view(rows, values)
    else:
        counts = below.view(-1).index_select(0, at).view(rows, values).double()
        equalized = counts.div_(step).add_(0.5).floor_().clamp_(max=levels - 1)
        out = _divide(equalized, levels - 1).float()
    return _keep_where(below_top == 0, planes, out)


@functools.lru_cache(maxsize=16)
def _row_starts(rows: int, width: int, device: torch.device) -> Tensor:
    """``[rows, 1]`` float32: ``r * width``, the first histogram entry of each row (cached:
    do not modify)."""
    return torch.arange(rows, dtype=torch.float32, device=device).mul_(width).unsqueeze(1)


def _float_bin(values: Tensor, levels: int) -> Tensor:
    """The equalize bin of float32 values, ``trunc(clip(v * levels, 0, levels - 1))``."""
    return torch.mul(values, levels).clamp_(0, levels - 1).floor_()


@_carry_alpha_batch
def equalize_batch(x: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Histogram equalisation of each channel (PIL ``ImageOps.equalize``, unrounded step).

    Integer images use one bin per level; float32 values go into 256 bins and become their
    bin's level ``k / 255``, as in the per-image op. A channel with a single level is unchanged.

    Examples
    --------
    >>> x = torch.tensor([0, 0, 1, 2]).reshape(1, 1, 1, 4) / 255
    >>> (equalize_batch(x, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 0.0, 171.0, 255.0]
    """
    n, c, h, w = x.shape
    planes = x.reshape(n * c, h * w).contiguous()  # rows of contiguous values (flattened)
    integer = _is_integer(dtype)
    levels = int(_batch_value_max(dtype)) + 1 if integer else _FLOAT_EQUALIZE_BINS
    high = planes.amax(dim=1, keepdim=True)
    rows = planes.shape[0]
    block = max(1, _LEVEL_TABLE_VALUES // levels)
    if rows <= block:
        return _equalized(planes, high, levels, integer).reshape(n, c, h, w)
    out = torch.empty_like(planes)
    for start in range(0, rows, block):
        part = slice(start, start + block)
        out[part] = _equalized(planes[part], high[part], levels, integer)
    return out.reshape(n, c, h, w)


def _autocontrast_levels(index: Tensor, levels: int) -> Tensor:
    """Each value's level ``clip(rint((k - low) * vmax / (high - low)), 0, vmax) / vmax``
    (float32 ``[rows, P]``), through a float64 table per row as the per-image op's."""
    low = index.amin(dim=1, keepdim=True)
    high = index.amax(dim=1, keepdim=True)
    # constant rows: the identity table, k / vmax (the level's float, as the input's)
    constant = low == high
    low = low.masked_fill(constant, 0)
    high = high.masked_fill(constant, levels - 1)
    return _autocontrast_tables(low, high, levels).gather(1, index)


def _autocontrast_tables(low: Tensor, high: Tensor, levels: int) -> Tensor:
    """Level tables ``clip(rint((k - low) * vmax / (high - low)), 0, vmax) / vmax``, float32."""
    vmax = levels - 1
    k = torch.arange(levels, dtype=torch.float64, device=low.device)
    gain = _divide(float(vmax), high.double() - low.double())
    stretched = torch.round((k - low.double()) * gain)
    return _divide(stretched.clamp_(0, vmax), vmax).float()


@_carry_alpha_batch
def autocontrast_batch(x: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Stretch each channel's min..max to [0, 1]; constant channels are unchanged.

    Integer images go through the per-image op's rounded level table.

    Examples
    --------
    >>> x = torch.tensor([10, 20, 30]).reshape(1, 1, 1, 3) / 255
    >>> (autocontrast_batch(x, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 128.0, 255.0]
    """
    n, c, h, w = x.shape
    planes = x.reshape(n * c, h * w)
    if _is_integer(dtype):
        levels = int(_batch_value_max(dtype)) + 1
        index = _integer_levels(planes, dtype).long()
        out = _in_row_blocks(index, levels, lambda rows: _autocontrast_levels(rows, levels))
        return out.reshape(n, c, h, w)
    low = planes.amin(dim=1, keepdim=True)
    high = planes.amax(dim=1, keepdim=True)
    constant = low == high
    # constant rows: (x - 0) * 1, the row itself (no torch.where over the image)
    scale = _divide(1.0, high.double() - low.double()).float().masked_fill_(constant, 1.0)
    low = low.masked_fill(constant, 0.0)
    out = torch.sub(planes, low).mul_(scale).clamp_(0.0, 1.0)
    return out.reshape(n, c, h, w)


@_carry_alpha_batch
def posterize_batch(x: Tensor, bits: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Keep the top ``bits`` bits (PIL ``ImageOps.posterize``).

    Integer images mask their levels (uint8 takes 1..8 bits, uint16 1..16); float32 becomes
    ``floor(x * 2**bits) / 2**bits``, with 1.0 going to ``1 - 2**-bits``.

    Raises
    ------
    ValueError
        If a uint8 sample has more than 8 bits (as the per-image op; one host sync).

    Examples
    --------
    >>> x = torch.tensor([255, 100]).reshape(1, 1, 1, 2) / 255
    >>> (posterize_batch(x, 2, torch.uint8) * 255).round().flatten().tolist()
    [192.0, 64.0]
    """
    bits = _per_sample(bits, x)
    if _is_integer(dtype):
        depth = 8 if dtype == torch.uint8 else 16
        if depth == 8 and bool((bits > depth).any()):
            raise ValueError(f"posterize: bits must be <= 8 for uint8, got {bits.flatten()}")
        step = torch.exp2(depth - bits)  # powers of two: the products below are exact
        kept = _integer_levels(x, dtype).mul_(1.0 / step).floor_().mul_(step)
        return kept.div_(_batch_value_max(dtype))
    levels = torch.exp2(bits)
    return torch.mul(x, levels).floor_().clamp_(max=levels - 1).mul_(1.0 / levels)


def _level_threshold(threshold: Tensor, vmax: float) -> Tensor:
    """Integer solarize threshold ``ceil(threshold * vmax - 1e-6)`` as the per-image op
    (float64 ``[n, 1, 1, 1]``; so ``k / vmax`` means level ``k``)."""
    return torch.ceil(_scaled_argument(threshold, vmax) - 1e-6).reshape(-1, 1, 1, 1)


@_carry_alpha_batch
def solarize_batch(x: Tensor, threshold: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Invert every value at or above ``threshold`` (PIL ``ImageOps.solarize``).

    Integer images compare levels with ``ceil(threshold * vmax)``.

    Examples
    --------
    >>> x = torch.tensor([10, 200]).reshape(1, 1, 1, 2) / 255
    >>> (solarize_batch(x, 0.5, torch.uint8) * 255).round().flatten().tolist()
    [10.0, 55.0]
    """
    if _is_integer(dtype):
        # level k >= T exactly where x (k / vmax, a level's float) >= (T - 1/2) / vmax
        vmax = _batch_value_max(dtype)
        level = _level_threshold(_argument(threshold, x), vmax)
        threshold = _divide(level - 0.5, vmax).float()
    else:
        threshold = _per_sample(threshold, x)
    # x + (1 - 2x) is 1 - x (exact for x >= 1/2, within one rounding below), x + 0 is x:
    # arithmetic with a 0/1 float mask, as torch.where and boolean masks are slow on the CPU
    mask = torch.ge(x, threshold, out=torch.empty_like(x))
    return torch.addcmul(x, torch.mul(x, -2.0).add_(1.0), mask, out=mask)


@_carry_alpha_batch
def invert_batch(x: Tensor) -> Tensor:
    """Return ``1 - x`` (PIL ``ImageOps.invert``).

    Examples
    --------
    >>> invert_batch(torch.tensor([0.0, 0.25]).reshape(1, 1, 1, 2)).flatten().tolist()
    [1.0, 0.75]
    """
    return 1.0 - x


# --- registration -----------------------------------------------------------------------------

register_op("equalize", kind="photometric",
            batched=PhotometricKernel.of(equalize_batch, takes_dtype=True))(equalize)
register_op("autocontrast", kind="photometric",
            batched=PhotometricKernel.of(autocontrast_batch, takes_dtype=True))(autocontrast)
register_op("posterize", kind="photometric", bounds={"bits": (1, 16)},
            batched=PhotometricKernel.of(posterize_batch, takes_dtype=True))(posterize)
register_op("solarize", kind="photometric", bounds={"threshold": (0, 1)},
            batched=PhotometricKernel.of(solarize_batch, takes_dtype=True))(solarize)
register_op("invert", kind="photometric", batched=PhotometricKernel.of(invert_batch))(invert)


def _identity_batch(x: torch.Tensor) -> torch.Tensor:
    """Batched identity: a new tensor equal to ``x`` (the kernel contract forbids aliasing)."""
    return x.clone()


@register_op("identity", kind="photometric",
             batched=PhotometricKernel.of(_identity_batch, returns_input=True))
def identity(img: np.ndarray) -> np.ndarray:
    """Return a copy of the image (TrivialAugment's and RandAugment's no-op, as a TF)."""
    check_image(img)
    return img.copy()
