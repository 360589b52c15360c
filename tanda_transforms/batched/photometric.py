"""Batched torch kernels for the photometric ops of the built-in op table.

Each op of :mod:`tanda_transforms.ops` whose kind is photometric has a function here that
applies it to a group of ``n`` samples at once, ``x`` of shape ``[n, C, H, W]`` (float32 in
[0, 1], on any device), with one argument value per sample (a float32 tensor ``[n]``, or a
Python number for all of them). Each reproduces the math of the per-image numpy / OpenCV op in
:mod:`tanda_transforms.functional` for float32 input: PIL ``ImageEnhance`` blends, the ITU-R
601-2 luma, OpenCV's HSV model, reflect-101 borders, the alpha of RGBA images carried
unchanged. :data:`KERNELS` wraps them in the :class:`~._kernel.PhotometricKernel` contract
that the batched renderer calls.

They are written for throughput (``docs/benchmark_photometric_kernels.py`` times them): float32
over images, float64 only on per-sample scalars (and on the few half-level ties of
hue_shift's integer path); in-place ops after one allocation; no ``torch.where`` or boolean
mask arithmetic over images (on the CPU both cost some ten elementwise ops, a mispredicted
branch per value: selections are 0/1 float masks or min/max); the identity argument's exact
copy costs nothing unless a sample has it. Exactness: float32 results within 1e-6 of the
per-image op, 1e-5 for gaussian_blur, sharpen (a separable box sum) and hue_shift (one
float32 formula per channel, not OpenCV's FMA code); integer results exact for the
integer-math ops, within one level on at most 1 % of the values for the others (see
``tests/test_batched_photometric.py``).

Integer images reach a kernel as float multiples of ``1 / value_max(dtype)`` and its result is
rounded back by the renderer; ops whose integer version is not "the float op, rounded"
(posterize's bit mask, solarize's level threshold, equalize's and autocontrast's level tables,
cutout's rounded fill, hue on OpenCV's 0..255 scale) read ``dtype`` to do what the per-image
integer op does.

Examples
--------
>>> import torch
>>> from tanda_transforms.batched.photometric import KERNELS, brightness
>>> x = torch.full((2, 1, 2, 2), 0.5)
>>> brightness(x, torch.tensor([0.5, 1.5]))[:, 0, 0, 0].tolist()
[0.25, 0.75]
>>> out = KERNELS["invert"].apply(x, {}, {}, torch.uint8)
>>> out[:, 0, 0, 0].tolist()
[0.5, 0.5]
>>> kernel = KERNELS["gaussian_noise"]
>>> draws = kernel.draw(2, (1, 2, 2), {}, torch.Generator().manual_seed(0))
>>> kernel.apply(x, {"std": torch.tensor([0.0, 0.1])}, draws, torch.float32).shape
torch.Size([2, 1, 2, 2])
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

from ._kernel import ApplyFn, PhotometricKernel

__all__ = [
    "KERNELS",
    "autocontrast",
    "brightness",
    "contrast",
    "cutout",
    "dilation",
    "draw_cutout",
    "draw_gaussian_noise",
    "equalize",
    "erosion",
    "gamma",
    "gaussian_blur",
    "gaussian_noise",
    "hue_shift",
    "invert",
    "posterize",
    "saturation",
    "sharpen",
    "solarize",
]

Tensor = torch.Tensor
PerSample = Tensor | float

_LUMA = (0.299, 0.587, 0.114)  # ITU-R 601-2, as functional.photometric._common._LUMA
_VALUE_MAX: dict[torch.dtype, float] = {torch.uint8: 255.0, torch.float32: 1.0}
if hasattr(torch, "uint16"):  # torch >= 2.3
    _VALUE_MAX[torch.uint16] = 65535.0

_FLT_EPSILON = 1.1920929e-07  # C's FLT_EPSILON, which OpenCV's RGB -> HSV adds to denominators
_FLOAT_EQUALIZE_BINS = 4096  # as functional.photometric.levels
_LEVEL_TABLE_VALUES = 1 << 22  # rows x levels of the per-channel tables built at once
# PIL's ImageFilter.SMOOTH, the degenerate image of sharpen (float32 division as numpy's)
_SMOOTH_KERNEL = torch.tensor([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=torch.float32) / 13


# --- helpers ----------------------------------------------------------------------------------


def _value_max(dtype: torch.dtype) -> float:
    try:
        return _VALUE_MAX[dtype]
    except KeyError:
        message = f"dtype must be torch.uint8, torch.uint16 or torch.float32, got {dtype}"
        raise ValueError(message) from None


def _is_integer(dtype: torch.dtype) -> bool:
    return _value_max(dtype) != 1.0


def _per_sample(value: PerSample, x: Tensor) -> Tensor:
    """A per-sample argument as a float32 ``[n, 1, 1, 1]`` tensor on ``x``'s device."""
    value = torch.as_tensor(value, dtype=torch.float32, device=x.device)
    if value.ndim == 1 and len(value) == x.shape[0]:
        return value.view(-1, 1, 1, 1)
    return value.expand(x.shape[0]).reshape(-1, 1, 1, 1)


def _argument(value: PerSample, x: Tensor) -> Tensor:
    """A per-sample argument as a ``[n]`` tensor on ``x``'s device, float64 kept as float64.

    For the few ops that compute with the argument in double precision, as the per-image
    op does with the TF's Python float (hue's degrees, a blur's kernel, integer roundings).
    """
    value = torch.as_tensor(value, device=x.device)
    if value.dtype != torch.float64:
        value = value.to(torch.float32)
    return value.expand(x.shape[0])


def _scaled_argument(value: Tensor, scale: float) -> Tensor:
    """``value * scale`` in float64, the product the per-image op rounds to a whole number.

    A float32 ``value`` (the kernel contract) is the TF's Python float rounded, which moves
    the product by up to ``2**-24`` of itself; a product that close to an integer or a half
    is taken to be on it, where Python's product of a short decimal lands (``0.3 * 15`` is
    exactly 4.5). float64 values are used as they are.
    """
    product = value.double() * scale
    if value.dtype == torch.float64:
        return product
    grid = torch.round(product * 2.0) / 2.0
    close = (product - grid).abs() <= product.abs() * 2.0**-23
    return torch.where(close, grid, product)


def _levels(x: Tensor, dtype: torch.dtype) -> Tensor:
    """The integer levels (float32) of an image of an integer ``dtype`` given on [0, 1]."""
    return (x * _value_max(dtype)).round_()


def _divide(numerator: Tensor | float, denominator: Tensor | float) -> Tensor:
    """``numerator / denominator`` as one IEEE division, like numpy's.

    torch computes ``scalar / tensor`` (and, on CUDA, ``tensor / scalar``) as a product with
    the reciprocal, which can be one unit in the last place off; two tensors are divided.
    """
    like = numerator if isinstance(numerator, Tensor) else denominator
    numerator = torch.as_tensor(numerator, dtype=like.dtype, device=like.device)
    denominator = torch.as_tensor(denominator, dtype=like.dtype, device=like.device)
    return numerator / denominator


def _keep_where(identity: Tensor, x: Tensor, out: Tensor) -> Tensor:
    """``out`` (modified in place), with the samples where ``identity`` (bool, ``[n]`` or
    ``[n, 1, 1, 1]``) holds copied from ``x``.

    The per-image ops return an exact copy for their identity argument (factor 1, shift 0),
    where the blend formula would round. On the CPU, where ``torch.where`` over an image
    costs some ten elementwise ops (a branch per value), the samples are found with one host
    check and copied; elsewhere one ``where`` into ``out``, without a sync.
    """
    identity = identity.reshape(-1)
    if out.device.type != "cpu":
        mask = identity.view(-1, *([1] * (out.ndim - 1)))
        return torch.where(mask, x, out, out=out)
    if not bool(identity.any()):
        return out
    if bool(identity.all()):
        return out.copy_(x)
    index = torch.nonzero(identity).squeeze(1)
    return out.index_copy_(0, index, x.index_select(0, index))


def _check_batch(x: Tensor) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4 or x.dtype != torch.float32:
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a float32 tensor [n, C, H, W], got {got}")


def _carry_alpha(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap ``op(x, ...)`` so that on 4-channel (RGBA) input it sees RGB and alpha is kept."""

    @functools.wraps(op)
    def wrapper(x: Tensor, *args, **kwargs) -> Tensor:
        if x.shape[1] != 4:
            return op(x, *args, **kwargs)
        colour = op(x[:, :3], *args, **kwargs)
        return torch.cat([colour, x[:, 3:]], dim=1)

    return wrapper


def _colour_op(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap an RGB-only ``op``: identity on grey (C = 1), alpha carried on RGBA (C = 4)."""
    carried = _carry_alpha(op)

    @functools.wraps(op)
    def wrapper(x: Tensor, *args, **kwargs) -> Tensor:
        channels = x.shape[1]
        if channels == 1:
            return x.clone()
        if channels not in (3, 4):
            raise ValueError(
                f"{op.__name__} is a colour op and needs 1 (grey), 3 (RGB) or 4 (RGBA) "
                f"channels, got {channels}"
            )
        return carried(x, *args, **kwargs)

    return wrapper


def _luma(x: Tensor) -> Tensor:
    """ITU-R 601-2 luma ``[n, 1, H, W]`` of RGB ``[n, 3, H, W]``, summed in numpy's order."""
    grey = x[:, 0:1] * _LUMA[0]
    term = x[:, 1:2] * _LUMA[1]
    grey += term
    torch.mul(x[:, 2:3], _LUMA[2], out=term)
    return grey.add_(term)


def _groups(values: Tensor) -> Iterator[tuple[float, Tensor | None]]:
    """``(value, indices)`` for each distinct per-sample value (indices None: all samples).

    For ops whose kernel size depends on the argument; one host sync for the whole group.
    """
    distinct = torch.unique(values)
    if distinct.numel() == 1:
        yield float(distinct[0]), None
        return
    for value in distinct.tolist():
        yield value, torch.nonzero(values == value).squeeze(1)


def _by_group(x: Tensor, values: PerSample, fn: Callable[[Tensor, float], Tensor]) -> Tensor:
    """Apply ``fn(samples, value)`` to the samples of each distinct per-sample value."""
    values = _argument(values, x)
    out = None
    for value, index in _groups(values):
        if index is None:
            return fn(x, value)
        if out is None:
            out = torch.empty_like(x)
        out.index_copy_(0, index, fn(x.index_select(0, index), value))
    return out


# --- enhancement: brightness, contrast, saturation, hue_shift, gamma --------------------------


@_carry_alpha
def brightness(x: Tensor, factor: PerSample) -> Tensor:
    """Scale intensities by ``factor`` (PIL ``ImageEnhance.Brightness``), clipped to [0, 1].

    Examples
    --------
    >>> brightness(torch.full((2, 3, 1, 1), 0.8), torch.tensor([0.5, 2.0]))[:, 0].flatten()
    tensor([0.4000, 1.0000])
    """
    return (x * _per_sample(factor, x)).clamp_(0.0, 1.0)


def _mean_grey(x: Tensor, dtype: torch.dtype) -> Tensor:
    """Each sample's mean grey level on [0, 1] as float32 ``[n, 1, 1, 1]``.

    Luma of the channel means for RGB, else the mean of all values; summed in float64 (as
    ``cv2.mean``) over the integer levels for integer images, so the float32 mean is the one
    the per-image op uses.
    """
    pixels = x.shape[2] * x.shape[3]
    dims = (2, 3) if x.shape[1] == 3 else (1, 2, 3)
    count = pixels * (1 if x.shape[1] == 3 else x.shape[1])
    if _is_integer(dtype) and count * _value_max(dtype) < 2**24:
        # float32 sums of integer levels below 2**24 are exact (a float64 sum on the CPU
        # casts the image first, some 30 times slower)
        sums = _levels(x, dtype).sum(dim=dims).double()
    elif _is_integer(dtype):
        sums = _levels(x, dtype).sum(dim=dims, dtype=torch.float64)
    else:
        # float32 images: torch's float32 sum is a pairwise (cascade) sum, within a few
        # units in the last place of cv2.mean's float64 sum
        sums = x.sum(dim=dims).double()
    if x.shape[1] == 3:
        channel_means = _divide(sums, pixels)
        mean = channel_means[:, 0] * _LUMA[0] + channel_means[:, 1] * _LUMA[1]
        mean = mean + channel_means[:, 2] * _LUMA[2]
    else:
        mean = _divide(sums, count)
    return _divide(mean, _value_max(dtype)).to(torch.float32).reshape(-1, 1, 1, 1)


@_carry_alpha
def contrast(x: Tensor, factor: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Blend with the mean grey level as a constant (PIL ``ImageEnhance.Contrast``).

    The grey level is the mean luma for RGB, the mean of all values otherwise.

    Examples
    --------
    >>> x = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2)
    >>> contrast(x, 0.5).flatten().tolist()
    [0.25, 0.75]
    """
    factor = _per_sample(factor, x)
    mean = _mean_grey(x, dtype)
    out = torch.sub(x, mean).mul_(factor).add_(mean).clamp_(0.0, 1.0)
    return _keep_where(factor == 1, x, out)


def _saturation_uint8(x: Tensor, factor: Tensor) -> Tensor:
    """uint8 saturation as the per-image op's ``cv2.transform``: 10-bit fixed point.

    Each output level is ``floor((sum_j round(1024 m_ij) k_j + 512) / 1024)`` clipped to
    0..255, with ``m = factor I + (1 - factor) luma`` (float64, then float32) and ``k`` the
    input levels. OpenCV takes this path while every ``|m_ij| < 32``, i.e. for factors in
    the op's bounds [0, 10]. All sums are integers below 2**24, so float32 is exact.
    """
    n, _, h, w = x.shape
    levels = _levels(x, torch.uint8).reshape(n, 3, h * w)
    factor = factor.double().reshape(-1, 1, 1)
    luma = torch.tensor(_LUMA, dtype=torch.float64, device=x.device).reshape(1, 1, 3)
    eye = torch.eye(3, dtype=torch.float64, device=x.device).unsqueeze(0)
    matrix = luma * (1.0 - factor) + eye * factor
    fixed = torch.round(matrix.float() * 1024.0)  # [n, 3, 3] integers
    # one batched matrix product: integer products and sums below 2**24, exact in any order
    # (TF32 off on CUDA, where it would round the levels)
    with _ieee_float32_matmuls(x.device):
        total = torch.bmm(fixed, levels)
    total = total.add_(512.0).mul_(1.0 / 1024.0).floor_().clamp_(0.0, 255.0)
    return total.div_(255.0).reshape(n, 3, h, w)


@_colour_op
def saturation(x: Tensor, factor: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Blend RGB with its luma (PIL ``ImageEnhance.Color``); grey images are unchanged.

    uint8 images take the per-image op's fixed-point ``cv2.transform`` path.

    Examples
    --------
    >>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
    >>> saturation(red, 0.0).flatten().tolist()
    [0.29899999499320984, 0.29899999499320984, 0.29899999499320984]
    """
    factor = _per_sample(factor, x)
    if dtype == torch.uint8:
        out = _saturation_uint8(x, factor)
    else:
        grey = _luma(x)
        out = torch.sub(x, grey).mul_(factor).add_(grey).clamp_(0.0, 1.0)
    return _keep_where(factor == 1, x, out)


def _hue_sixths(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """OpenCV's RGB -> HSV hue in sixths of the circle (``hue / 60``, in [-1, 5]), with the
    value (max) and the spread (max - min) plus ``FLT_EPSILON``, each ``[n, H, W]`` float32.

    The hue is ``(g - b) / spread`` where red is the maximum, ``2 + (b - r) / spread`` where
    green is (and red is not), else ``4 + (r - g) / spread``, the spread plus ``FLT_EPSILON``
    as OpenCV's; the sector is chosen with 0/1 float masks (``torch.where`` and boolean
    masks over an image are slow on the CPU). Red hues are left negative.
    """
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    value = torch.maximum(r, g)
    torch.maximum(value, b, out=value)
    spread = torch.minimum(r, g)
    torch.minimum(spread, b, out=spread)
    torch.sub(value, spread, out=spread).add_(_FLT_EPSILON)
    hue_red = torch.sub(g, b).div_(spread)
    hue_green = torch.sub(b, r).div_(spread).add_(2.0)
    hue = torch.sub(r, g).div_(spread).add_(4.0)  # blue
    is_max = torch.eq(g, value, out=torch.empty_like(value))  # 0/1 float
    hue_green.sub_(hue).mul_(is_max)  # green - blue where green is the max
    hue.add_(hue_green)
    torch.eq(r, value, out=is_max)
    hue_red.sub_(hue).mul_(is_max)
    return hue.add_(hue_red), value, spread


# OpenCV's HSV -> RGB: the entry of (v, p, q, t) each channel takes in each hue sector
_SECTOR_SOURCE = {"r": (0, 2, 1, 1, 3, 0), "g": (3, 0, 0, 2, 1, 1), "b": (1, 1, 3, 0, 0, 2)}


def _fused_multiply_add(a: Tensor, b: Tensor, c: Tensor | float) -> Tensor:
    """float32 ``a * b + c`` rounded once, as an FMA instruction (via float64, where the
    product of two float32 values is exact)."""
    return (a.double() * b.double() + c).float()


def _rgb_to_hsv(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """OpenCV's float RGB -> HSV of pixels ``[P, 3]``: hue in degrees [0, 360), saturation,
    value (max).

    As OpenCV's vectorised code (x86 with FMA): the hue is one fused multiply-add of the
    channel difference, ``60 / spread`` and the sector's offset (360 for negative red hues).
    """
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    value = torch.maximum(torch.maximum(r, g), b)
    spread = value - torch.minimum(torch.minimum(r, g), b)
    sat = spread / (value.abs() + _FLT_EPSILON)
    per_spread = _divide(60.0, spread + _FLT_EPSILON)
    red_max, green_max = value == r, value == g
    difference = torch.where(red_max, g - b, torch.where(green_max, b - r, r - g))
    offset = torch.where(
        red_max,
        torch.where(difference < 0, 360.0, 0.0),
        torch.where(green_max, 120.0, 240.0),
    )
    return _fused_multiply_add(difference, per_spread, offset.double()), sat, value


def _hsv_to_rgb(hue: Tensor, sat: Tensor, value: Tensor) -> Tensor:
    """OpenCV's float HSV -> RGB ``[P, 3]``; any hue >= 0 wraps modulo 360.

    ``v * (1 - s * f)`` has its inner product-difference fused, as OpenCV's FMA code.
    """
    sector_pos = torch.fmod(hue * (6.0 / 360.0), 6.0)
    sector = sector_pos.floor()
    frac = sector_pos - sector
    sector = sector.long().clamp_(0, 5)
    table = torch.stack(
        [
            value,
            value * (1.0 - sat),
            value * _fused_multiply_add(-sat, frac, 1.0),
            value * _fused_multiply_add(-sat, 1.0 - frac, 1.0),
        ]
    )
    channels = []
    for name in ("r", "g", "b"):
        source = torch.tensor(_SECTOR_SOURCE[name], device=hue.device)[sector]
        channels.append(table.gather(0, source.unsqueeze(0))[0])
    rgb = torch.stack(channels, dim=1)
    return torch.where((sat == 0).unsqueeze(1), value.unsqueeze(1), rgb)


# HSV -> RGB: channel c is v - spread * T((offset_c + hue) mod 6), T the trapezoid 0 -> 1 on
# [0, 1], 1 on [1, 3], 1 -> 0 on [3, 4], 0 on [4, 6] (offsets 5, 3, 1 for r, g, b). With the
# hue wrapped to [0, 6) and k = hue + offset - 6 in [-5, 5), T is, without a second modulo,
# clip(max(-2 - k, min(k, 4 - k)), 0, 1).
_CHANNEL_OFFSETS = (5.0 - 6.0, 3.0 - 6.0, 1.0 - 6.0)


@_colour_op
def hue_shift(x: Tensor, shift: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Rotate the hue by ``shift`` of the circle in OpenCV's HSV model; grey is unchanged.

    In float32 throughout, with the HSV -> RGB conversion written as one formula per channel,
    ``v - (max - min) * T((offset + hue) mod 6)`` (``v * s`` of OpenCV's formulas is
    ``(max - min) * v / (v + FLT_EPSILON)``, within ``FLT_EPSILON`` of the spread): within
    1e-6 of the per-image op's cv2 result, not bit-exact (its hue is an FMA in degrees). HSV
    is scale-free but for the value, so uint8 images (which the per-image op converts on
    OpenCV's 0..255 scale) take the same path.

    Examples
    --------
    >>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
    >>> (hue_shift(red, 1 / 3, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 255.0, 0.0]
    """
    shift = _argument(shift, x)
    # the shift in sixths, in [0, 6), from the degrees the per-image op adds (float64 scalars)
    degrees = torch.remainder(shift.double() * 360.0, 360.0)
    sixths = (degrees / 60.0).float()
    hue, value, spread = _hue_sixths(x)
    hue.add_(sixths.view(-1, 1, 1)).remainder_(6.0)
    offsets = torch.tensor(_CHANNEL_OFFSETS, device=x.device).view(1, 3, 1, 1)
    position = torch.add(hue.unsqueeze(1), offsets)  # k, [n, 3, H, W]
    trapezoid = torch.rsub(position, 4.0)
    torch.minimum(position, trapezoid, out=trapezoid)
    torch.maximum(trapezoid, position.add_(2.0).neg_(), out=trapezoid).clamp_(0.0, 1.0)
    out = torch.addcmul(value.unsqueeze(1), trapezoid, spread.unsqueeze(1), value=-1.0,
                        out=trapezoid)  # fmt: skip
    out.clamp_(0.0, 1.0)
    if _is_integer(dtype):
        _redo_half_level_ties(out, x, degrees.float(), dtype)
    return _keep_where(shift == 0, x, out)


_TIE_WIDTH = 1e-3  # of a level: the float32 formula is within 1e-6 of OpenCV's on [0, 1]


def _redo_half_level_ties(out: Tensor, x: Tensor, degrees: Tensor, dtype: torch.dtype) -> None:
    """Recompute in place, with OpenCV's own arithmetic, the pixels of ``out`` that lie on a
    half level of an integer ``dtype``.

    Integer colours give exact half levels often (a 90 degree shift of an odd spread), and
    which way they round is up to the last bit of OpenCV's float32 arithmetic (FMAs in
    degrees), which the float32 formula does not reproduce. Those pixels (a few percent at
    most) go through an emulation of it, in float64 where OpenCV fuses (one host sync).
    """
    n, _, h, w = out.shape
    vmax = _value_max(dtype)
    distance = torch.mul(out, vmax).frac_().sub_(0.5).abs_().amin(dim=1)  # [n, H, W]
    flat = torch.nonzero(distance.view(-1) < _TIE_WIDTH).squeeze(1)
    if flat.numel() == 0:
        return
    sample, pixel = torch.div(flat, h * w, rounding_mode="floor"), flat.remainder(h * w)
    scale = 255.0 if dtype == torch.uint8 else 1.0  # the per-image op's working scale
    colours = x.view(n, 3, h * w)[sample, :, pixel]  # [P, 3]
    if scale != 1.0:
        colours = _levels(colours, dtype)
    hue, sat, value = _rgb_to_hsv(colours)
    exact = _hsv_to_rgb(hue + degrees[sample], sat, value)
    if scale != 1.0:
        exact = _divide(exact, scale)
    out.view(n, 3, h * w)[sample, :, pixel] = exact.clamp_(0.0, 1.0)


@_carry_alpha
def gamma(x: Tensor, gamma: PerSample) -> Tensor:
    """Power-law transfer ``x ** gamma``.

    Examples
    --------
    >>> gamma(torch.full((1, 1, 1, 1), 0.25), 0.5).item()
    0.5
    """
    exponent = _per_sample(gamma, x)
    return _keep_where(exponent == 1, x, torch.pow(x, exponent).clamp_(0.0, 1.0))


# --- filters: gaussian_blur, sharpen, gaussian_noise, cutout ------------------------------------


def _reflect101_index(length: int, radius: int, device: torch.device) -> Tensor:
    """Source indices of ``length`` samples padded by ``radius`` with OpenCV's
    ``BORDER_REFLECT_101`` (mirror without the edge, repeated for radii beyond the length)."""
    index = torch.arange(-radius, length + radius, device=device)
    if length == 1:
        return torch.zeros_like(index)
    period = 2 * (length - 1)
    index = index.remainder(period)
    return torch.where(index >= length, period - index, index)


def _gaussian_weights(sigma: float, radius: int) -> Tensor:
    """OpenCV's Gaussian kernel (``getGaussianKernel``: float64, normalised, then float32)."""
    offsets = torch.arange(-radius, 0, dtype=torch.float64)
    side = torch.exp(offsets * offsets * (-0.5 / (sigma * sigma)))
    scale = _divide(1.0, 2.0 * side.sum() + 1.0)
    weights = torch.cat([side, torch.ones(1, dtype=torch.float64), side.flip(0)]) * scale
    return weights.to(torch.float32)


@contextlib.contextmanager
def _ieee_float32_convolutions(device: torch.device) -> Iterator[None]:
    """Turn off cuDNN's TF32 convolutions (on by default in torch: 10-bit mantissas, errors
    near 1e-3) for convolutions that must match the float32 per-image ops."""
    if device.type != "cuda":
        yield
        return
    previous = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = previous


@contextlib.contextmanager
def _ieee_float32_matmuls(device: torch.device) -> Iterator[None]:
    """Turn off TF32 matrix products on CUDA (off by default, unless a user turned it on)."""
    if device.type != "cuda":
        yield
        return
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous


def _correlate_valid(planes: Tensor, kernel: Tensor) -> Tensor:
    """'Valid' correlation of one-channel ``planes`` ``[m, 1, H, W]`` with a 2-D ``kernel``.

    On CUDA one convolution, cuDNN's TF32 off; elsewhere a weighted sum of shifted views, as
    torch's CPU convolution of one-channel planes is some 25 times slower.
    """
    kernel = kernel.to(device=planes.device, dtype=torch.float32)
    if planes.is_cuda:
        with _ieee_float32_convolutions(planes.device):
            return F.conv2d(planes, kernel.reshape(1, 1, *kernel.shape))
    rows, cols = kernel.shape
    height, width = planes.shape[2] - rows + 1, planes.shape[3] - cols + 1
    out = None
    for (dy, dx), weight in zip(_taps(rows, cols), kernel.flatten().tolist(), strict=True):
        view = planes[:, :, dy : dy + height, dx : dx + width]
        if out is None:
            out = view * weight
        else:
            out.add_(view, alpha=weight)
    return out


def _taps(rows: int, cols: int) -> list[tuple[int, int]]:
    return [(dy, dx) for dy in range(rows) for dx in range(cols)]


def _blur_one_sigma(x: Tensor, sigma: float) -> Tensor:
    if sigma == 0:
        return x.clone()
    radius = max(1, int(4.0 * sigma + 0.5))
    n, c, h, w = x.shape
    weights = _gaussian_weights(sigma, radius)
    planes = x.reshape(n * c, 1, h, w)
    # rows first, then columns, as OpenCV's separable filter
    planes = planes.index_select(3, _reflect101_index(w, radius, x.device))
    planes = _correlate_valid(planes, weights.reshape(1, -1))
    planes = planes.index_select(2, _reflect101_index(h, radius, x.device))
    planes = _correlate_valid(planes, weights.reshape(-1, 1))
    return planes.reshape(n, c, h, w).clamp_(0.0, 1.0)


@_carry_alpha
def gaussian_blur(x: Tensor, sigma: PerSample) -> Tensor:
    """Gaussian blur of ``sigma`` pixels: kernel radius ``max(1, int(4 sigma + 0.5))``,
    reflect-101 border (as the per-image op's ``cv2.GaussianBlur``).

    Samples are grouped by distinct sigma (one host sync per call).

    Examples
    --------
    >>> gaussian_blur(torch.full((2, 1, 5, 5), 0.5), torch.tensor([0.0, 1.0])).amax().item()
    0.5
    """
    return _by_group(x, sigma, _blur_one_sigma)


@_carry_alpha
def sharpen(x: Tensor, factor: PerSample) -> Tensor:
    """Blend with PIL's SMOOTH filter (PIL ``ImageEnhance.Sharpness``); the one-pixel border
    is left as it is, and images under 3 x 3 are unchanged.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 3, 3)
    >>> x[0, 0, 1, 1] = 0.5
    >>> round(sharpen(x, 0.0)[0, 0, 1, 1].item(), 4)
    0.1923
    """
    n, c, h, w = x.shape
    if h < 3 or w < 3:
        return x.clone()
    factor = _per_sample(factor, x)
    inner = x[:, :, 1:-1, 1:-1]
    # SMOOTH = (3 x 3 box sum + 4 centre) / 13, the box sum separable (rows, then columns)
    rows = x[:, :, :, :-2] + x[:, :, :, 1:-1]
    rows += x[:, :, :, 2:]
    smooth = rows[:, :, :-2] + rows[:, :, 1:-1]
    smooth += rows[:, :, 2:]
    smooth.add_(inner, alpha=4.0).div_(13.0)
    out = torch.empty_like(x)
    for edge in ((slice(None), slice(None), 0), (slice(None), slice(None), -1),
                 (slice(None), slice(None), slice(None), 0),
                 (slice(None), slice(None), slice(None), -1)):  # fmt: skip
        out[edge] = x[edge]
    blend = torch.sub(inner, smooth, out=out[:, :, 1:-1, 1:-1])
    blend.mul_(factor).add_(smooth).clamp_(0.0, 1.0)
    return _keep_where(factor == 1, x, out)


def _colour_channels(channels: int) -> int:
    """The channels a carried-alpha op changes: RGB of RGBA, else all."""
    return 3 if channels == 4 else channels


def draw_gaussian_noise(
    n: int, shape: tuple[int, int, int], args: dict[str, Tensor], generator: torch.Generator
) -> dict[str, Tensor]:
    """Standard normal noise ``[n, C', H, W]`` float32 (C' = 3 for RGBA, else C).

    Examples
    --------
    >>> draw_gaussian_noise(2, (4, 5, 6), {}, torch.Generator())["noise"].shape
    torch.Size([2, 3, 5, 6])
    """
    channels, height, width = shape
    size = (n, _colour_channels(channels), height, width)
    noise = torch.randn(size, generator=generator, device=generator.device, dtype=torch.float32)
    return {"noise": noise}


@_carry_alpha
def gaussian_noise(x: Tensor, std: PerSample, noise: Tensor) -> Tensor:
    """Add ``std * noise`` (``noise`` standard normal, as drawn), then clip to [0, 1].

    Examples
    --------
    >>> gaussian_noise(torch.zeros(1, 1, 1, 2), 0.5, torch.tensor([[[[1.0, -1.0]]]])).tolist()
    [[[[0.5, 0.0]]]]
    """
    return torch.mul(noise.to(x.device), _per_sample(std, x)).add_(x).clamp_(0.0, 1.0)


def draw_cutout(
    n: int, shape: tuple[int, int, int], args: dict[str, Tensor], generator: torch.Generator
) -> dict[str, Tensor]:
    """Cutout centres, int64 ``[n]``: ``center_y`` uniform in [0, H), ``center_x`` in [0, W).

    Examples
    --------
    >>> sorted(draw_cutout(3, (1, 8, 8), {}, torch.Generator()))
    ['center_x', 'center_y']
    """
    _, height, width = shape
    device = generator.device
    center_y = torch.randint(0, height, (n,), generator=generator, device=device)
    center_x = torch.randint(0, width, (n,), generator=generator, device=device)
    return {"center_y": center_y, "center_x": center_x}


def _span_mask(centre: Tensor, side: Tensor, length: int) -> Tensor:
    """``[n, length]`` bool: where ``centre - side // 2 <= i < centre - side // 2 + side``."""
    start = (centre - torch.div(side, 2, rounding_mode="floor")).unsqueeze(1)
    index = torch.arange(length, device=centre.device).unsqueeze(0)
    return (index >= start) & (index < start + side.unsqueeze(1))


@_carry_alpha
def cutout(
    x: Tensor,
    center_y: Tensor,
    center_x: Tensor,
    size: PerSample = 0.25,
    fill: PerSample = 0.0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Fill a square of side ``max(1, round(size * min(H, W)))`` centred at the drawn centre.

    ``fill`` is a fraction of the range, rounded to a level for integer ``dtype``.

    Examples
    --------
    >>> x = torch.ones(1, 1, 3, 3)
    >>> cutout(x, torch.tensor([0]), torch.tensor([2]), size=0.5)[0, 0].tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    n, _, h, w = x.shape
    side = torch.round(_scaled_argument(_argument(size, x), min(h, w))).long().clamp_(min=1)
    center_y, center_x = center_y.to(x.device), center_x.to(x.device)
    rows = _span_mask(center_y, side, h).to(x.dtype).view(n, h, 1)
    cols = _span_mask(center_x, side, w).to(x.dtype).view(n, 1, w)
    inside = torch.bmm(rows, cols).view(n, 1, h, w)  # 1 in the square (outer products of 0/1)
    if _is_integer(dtype):
        vmax = _value_max(dtype)
        level = torch.round(_scaled_argument(_argument(fill, x), vmax))
        fill = _divide(level, vmax).float().reshape(-1, 1, 1, 1)
    else:
        fill = _per_sample(fill, x)
    # x * 0 + fill inside, x * 1 + 0 outside: exact, without torch.where (slow on the CPU)
    filled = inside * fill
    return torch.addcmul(filled, x, inside.neg_().add_(1.0))


# --- levels: equalize, autocontrast, posterize, solarize, invert --------------------------------


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
    levels = int(_value_max(dtype)) + 1 if integer else _FLOAT_EQUALIZE_BINS
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
        levels = int(_value_max(dtype)) + 1
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
        return kept.div_(_value_max(dtype))
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
        vmax = _value_max(dtype)
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


# --- morphology: erosion, dilation -------------------------------------------------------------


def _max_filter(x: Tensor, size: float) -> Tensor:
    """Maximum over a ``size`` x ``size`` square, pixels outside the image ignored (as
    ``cv2.dilate``'s default border); separable, as a row then a column max."""
    return _extreme_filter(x, size, torch.maximum, float("-inf"))


def _min_filter(x: Tensor, size: float) -> Tensor:
    """Minimum over a ``size`` x ``size`` square (``cv2.erode``'s default border), exactly."""
    return _extreme_filter(x, size, torch.minimum, float("inf"))


def _extreme_filter(x: Tensor, size: float, extreme: Callable, outside: float) -> Tensor:
    size = int(size)
    if size % 2 == 0:
        raise ValueError(f"size must be odd, got {size}")
    if size == 1:
        return x.clone()
    if size == 3 and min(x.shape[2:]) >= 2:
        return _extreme3(_extreme3(x, 3, extreme), 2, extreme)
    rows = _window_extreme(x, size, 3, extreme, outside)
    return _window_extreme(rows, size, 2, extreme, outside)


def _extreme3(x: Tensor, dim: int, extreme: Callable) -> Tensor:
    """Centred extreme of width 3 along ``dim`` (length >= 2), outside ignored: the
    extremes of neighbouring pairs, then of neighbouring pair extremes (no padding)."""
    length = x.shape[dim]
    pairs = extreme(x.narrow(dim, 0, length - 1), x.narrow(dim, 1, length - 1))
    out = torch.empty_like(x)
    out.narrow(dim, 0, 1).copy_(pairs.narrow(dim, 0, 1))
    out.narrow(dim, length - 1, 1).copy_(pairs.narrow(dim, length - 2, 1))
    if length > 2:
        extreme(pairs.narrow(dim, 0, length - 2), pairs.narrow(dim, 1, length - 2),
                out=out.narrow(dim, 1, length - 2))  # fmt: skip
    return out


def _window_extreme(x: Tensor, size: int, dim: int, extreme: Callable, outside: float) -> Tensor:
    """Centred running extreme of odd width ``size`` along ``dim`` (2 or 3), outside ignored.

    The input is padded with ``outside`` (-inf for a maximum) and the window doubled
    (extreme of a value and the one ``width`` further) up to the largest power of two within
    ``size``, then combined once more: ``log2(size) + 1`` elementwise ops, not ``size - 1``.
    """
    half = size // 2
    padding = (half, half, 0, 0) if dim == 3 else (0, 0, half, half)
    out = F.pad(x, padding, value=outside)
    width = 1  # out[i] is the extreme of padded[i : i + width]
    while 2 * width <= size:
        out = _with_shifted(out, width, dim, extreme)
        width *= 2
    if width < size:
        out = _with_shifted(out, size - width, dim, extreme)
    return out


def _with_shifted(x: Tensor, shift: int, dim: int, extreme: Callable) -> Tensor:
    length = x.shape[dim] - shift
    return extreme(x.narrow(dim, 0, length), x.narrow(dim, shift, length))


def dilation(x: Tensor, size: PerSample = 3) -> Tensor:
    """Grey dilation: maximum over an odd ``size`` x ``size`` square (every channel, alpha too).

    Samples are grouped by distinct size (one host sync per call).

    Examples
    --------
    >>> dilation(torch.tensor([0.0, 0.5, 0.0, 0.0]).reshape(1, 1, 1, 4)).flatten().tolist()
    [0.5, 0.5, 0.5, 0.0]
    """
    return _by_group(x, size, _max_filter)


def erosion(x: Tensor, size: PerSample = 3) -> Tensor:
    """Grey erosion: minimum over an odd ``size`` x ``size`` square (every channel, alpha too).

    Examples
    --------
    >>> erosion(torch.tensor([0.5, 0.25, 0.5, 0.5]).reshape(1, 1, 1, 4)).flatten().tolist()
    [0.25, 0.25, 0.25, 0.5]
    """
    return _by_group(x, size, _min_filter)


# --- the kernel table --------------------------------------------------------------------------


def _contract(op: Callable[..., Tensor], *, takes_dtype: bool = False) -> ApplyFn:
    """``apply(x, args, draws, dtype)`` calling ``op(x, **args, **draws[, dtype=dtype])``."""

    def apply(x: Tensor, args: dict[str, Tensor], draws: dict[str, Tensor], dtype) -> Tensor:
        _check_batch(x)
        _value_max(dtype)
        extra = {"dtype": dtype} if takes_dtype else {}
        return op(x, **args, **draws, **extra)

    apply.__name__ = apply.__qualname__ = f"apply_{op.__name__}"
    apply.__doc__ = f"Batched ``{op.__name__}`` in the kernel contract (see :func:`{op.__name__}`)."
    return apply


#: Op name -> batched kernel, for every photometric op of the built-in table.
KERNELS: dict[str, PhotometricKernel] = {
    "brightness": PhotometricKernel(_contract(brightness)),
    "contrast": PhotometricKernel(_contract(contrast, takes_dtype=True)),
    "saturation": PhotometricKernel(_contract(saturation, takes_dtype=True)),
    "hue_shift": PhotometricKernel(_contract(hue_shift, takes_dtype=True)),
    "gamma": PhotometricKernel(_contract(gamma)),
    "gaussian_blur": PhotometricKernel(_contract(gaussian_blur)),
    "sharpen": PhotometricKernel(_contract(sharpen)),
    "equalize": PhotometricKernel(_contract(equalize, takes_dtype=True)),
    "autocontrast": PhotometricKernel(_contract(autocontrast, takes_dtype=True)),
    "posterize": PhotometricKernel(_contract(posterize, takes_dtype=True)),
    "solarize": PhotometricKernel(_contract(solarize, takes_dtype=True)),
    "invert": PhotometricKernel(_contract(invert)),
    "gaussian_noise": PhotometricKernel(_contract(gaussian_noise), draw_gaussian_noise),
    "cutout": PhotometricKernel(_contract(cutout, takes_dtype=True), draw_cutout),
    "erosion": PhotometricKernel(_contract(erosion)),
    "dilation": PhotometricKernel(_contract(dilation)),
}
