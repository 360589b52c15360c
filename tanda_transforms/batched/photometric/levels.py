"""Batched level kernels: equalize, autocontrast, posterize, solarize, invert.

Histogram equalisation and autocontrast through per-channel level tables (built in blocks of
rows, for uint16's 65536 levels), the bit mask of posterize, the level threshold of solarize
and inversion, as :mod:`tanda_transforms.functional.photometric.levels` computes them per
image; each reads the input ``dtype`` to do what the per-image integer op does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._common import (
    PerSample,
    Tensor,
    _argument,
    _carry_alpha,
    _divide,
    _is_integer,
    _keep_where,
    _levels,
    _per_sample,
    _scaled_argument,
    value_max,
)

__all__ = ["autocontrast", "equalize", "invert", "posterize", "solarize"]

_FLOAT_EQUALIZE_BINS = 4096  # as functional.photometric.levels
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
    """PIL-style equalised level of each value (``functional.photometric.levels._equalize_lut``)
    divided by the top level, float32 ``[rows, P]``, for rows ``planes`` whose largest values
    are ``high`` (``[rows, 1]``); rows of one level are garbage (the caller keeps them).

    ``lut[k] = floor(below(k) / step + 1/2)``, ``step = below(top occupied level) / levels``
    (the count of all values but the top level's), in float64 as numpy. With fewer levels
    than values per row, a table per row is built and looked up; else (float32's 4096 bins,
    uint16, small images) the formula is evaluated at each value. The levels are counted
    with one index into the rows' concatenated histograms (``row * levels + level``, built in
    float32: exact, as a block has at most ``_LEVEL_TABLE_VALUES`` <= 2**24 of them).
    """
    rows, values = planes.shape
    if integer:  # levels of an integer image given on [0, 1]
        level = torch.mul(planes, levels - 1).round_()
        top = torch.mul(high, levels - 1).round_().long()
    else:  # float32 bins, truncated as astype
        level = _float_bin(planes, levels)
        top = _float_bin(high, levels).long()
    offsets = torch.arange(rows, dtype=torch.float32, device=planes.device).mul_(levels)
    flat = level.add_(offsets.unsqueeze(1)).view(-1).long()
    hist = torch.bincount(flat, minlength=rows * levels).view(rows, levels)
    below = hist.cumsum(dim=1).sub_(hist)
    step = _divide(below.gather(1, top).double(), levels)
    if levels <= values:
        table = torch.floor(below.double() / step + 0.5).clamp_(max=levels - 1)
        table = _divide(table, levels - 1).float()
        return table.view(-1).index_select(0, flat).view(rows, values)
    counts = below.view(-1).index_select(0, flat).view(rows, values).double()
    equalized = torch.floor(counts / step + 0.5).clamp_(max=levels - 1)
    return _divide(equalized, levels - 1).float()


def _float_bin(values: Tensor, levels: int) -> Tensor:
    """The equalize bin of float32 values, ``trunc(clip(v * levels, 0, levels - 1))``."""
    return torch.mul(values, levels).clamp_(0, levels - 1).floor_()


@_carry_alpha
def equalize(x: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Histogram equalisation of each channel (PIL ``ImageOps.equalize``, unrounded step).

    Integer images use one bin per level; float32 values go into 4096 bins and become their
    bin's level ``k / 4095``. A channel with a single level is unchanged.

    Examples
    --------
    >>> x = torch.tensor([0, 0, 1, 2]).reshape(1, 1, 1, 4) / 255
    >>> (equalize(x, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 0.0, 171.0, 255.0]
    """
    n, c, h, w = x.shape
    planes = x.reshape(n * c, h * w)
    integer = _is_integer(dtype)
    levels = int(value_max(dtype)) + 1 if integer else _FLOAT_EQUALIZE_BINS
    low = planes.amin(dim=1, keepdim=True)
    high = planes.amax(dim=1, keepdim=True)
    if integer:
        single = torch.mul(low, levels - 1).round_() == torch.mul(high, levels - 1).round_()
    else:
        single = _float_bin(low, levels) == _float_bin(high, levels)
    rows = planes.shape[0]
    block = max(1, _LEVEL_TABLE_VALUES // levels)
    if rows <= block:
        out = _equalized(planes, high, levels, integer)
    else:
        out = torch.empty_like(planes)
        for start in range(0, rows, block):
            part = slice(start, start + block)
            out[part] = _equalized(planes[part], high[part], levels, integer)
    return _keep_where(single, planes, out).reshape(n, c, h, w)


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


@_carry_alpha
def autocontrast(x: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    """Stretch each channel's min..max to [0, 1]; constant channels are unchanged.

    Integer images go through the per-image op's rounded level table.

    Examples
    --------
    >>> x = torch.tensor([10, 20, 30]).reshape(1, 1, 1, 3) / 255
    >>> (autocontrast(x, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 128.0, 255.0]
    """
    n, c, h, w = x.shape
    planes = x.reshape(n * c, h * w)
    if _is_integer(dtype):
        levels = int(value_max(dtype)) + 1
        index = _levels(planes, dtype).long()
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


@_carry_alpha
def posterize(x: Tensor, bits: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
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
    >>> (posterize(x, 2, torch.uint8) * 255).round().flatten().tolist()
    [192.0, 64.0]
    """
    bits = _per_sample(bits, x)
    if _is_integer(dtype):
        depth = 8 if dtype == torch.uint8 else 16
        if depth == 8 and bool((bits > depth).any()):
            raise ValueError(f"posterize: bits must be <= 8 for uint8, got {bits.flatten()}")
        step = torch.exp2(depth - bits)  # powers of two: the products below are exact
        kept = _levels(x, dtype).mul_(1.0 / step).floor_().mul_(step)
        return kept.div_(value_max(dtype))
    levels = torch.exp2(bits)
    return torch.mul(x, levels).floor_().clamp_(max=levels - 1).mul_(1.0 / levels)


def _level_threshold(threshold: Tensor, vmax: float) -> Tensor:
    """Integer solarize threshold ``ceil(threshold * vmax - 1e-6)`` as the per-image op
    (float64 ``[n, 1, 1, 1]``; so ``k / vmax`` means level ``k``)."""
    return torch.ceil(_scaled_argument(threshold, vmax) - 1e-6).reshape(-1, 1, 1, 1)


@_carry_alpha
def solarize(x: Tensor, threshold: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Invert every value at or above ``threshold`` (PIL ``ImageOps.solarize``).

    Integer images compare levels with ``ceil(threshold * vmax)``.

    Examples
    --------
    >>> x = torch.tensor([10, 200]).reshape(1, 1, 1, 2) / 255
    >>> (solarize(x, 0.5, torch.uint8) * 255).round().flatten().tolist()
    [10.0, 55.0]
    """
    if _is_integer(dtype):
        # level k >= T exactly where x (k / vmax, a level's float) >= (T - 1/2) / vmax
        vmax = value_max(dtype)
        level = _level_threshold(_argument(threshold, x), vmax)
        threshold = _divide(level - 0.5, vmax).float()
    else:
        threshold = _per_sample(threshold, x)
    # x + (1 - 2x) is 1 - x (exact for x >= 1/2, within one rounding below), x + 0 is x:
    # arithmetic with a 0/1 float mask, as torch.where and boolean masks are slow on the CPU
    mask = torch.ge(x, threshold, out=torch.empty_like(x))
    return torch.addcmul(x, torch.mul(x, -2.0).add_(1.0), mask, out=mask)


@_carry_alpha
def invert(x: Tensor) -> Tensor:
    """Return ``1 - x`` (PIL ``ImageOps.invert``).

    Examples
    --------
    >>> invert(torch.tensor([0.0, 0.25]).reshape(1, 1, 1, 2)).flatten().tolist()
    [1.0, 0.75]
    """
    return 1.0 - x
