"""Colour ops, one home each: saturation, hue_shift (identities on grey images).

Each op's per-image numpy kernel, its batched torch kernel (``*_batch``, the same math on
``[n, C, H, W]`` float tensors with one argument value per sample) and its bounds, registered
below with ``register_op(..., batched=...)`` as a user's op. Neither has a random part.

Per image: saturation blends RGB with its ITU-R 601-2 luma (``PIL.ImageEnhance.Color``; uint8
through ``cv2.transform``'s fixed point), hue_shift rotates the hue in OpenCV's HSV model.
Batched: the same, the uint8 fixed point included, and the hue as one float32 formula per
channel, with OpenCV's own arithmetic redone on the half-level ties of integer images.

Examples
--------
>>> import numpy as np, torch
>>> hue_shift(np.array([[[255, 0, 0]]], np.uint8), 1 / 3).tolist()
[[[0, 255, 0]]]
>>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
>>> (hue_shift_batch(red, 1 / 3, torch.uint8) * 255).round().flatten().tolist()
[0.0, 255.0, 0.0]
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import torch

from tanda_transforms._validate import (
    check_image,
    check_real,
    from_float32,
    to_float32,
)
from tanda_transforms.ops._numpy_common import (
    _LUMA,
    _carry_alpha,
    _check_factor,
    _grey,
    _is_grey,
    _require_rgb,
)
from tanda_transforms.ops._torch_common import (
    PerSample,
    Tensor,
    _argument,
    _colour_op,
    _equals,
    _ieee_float32_matmuls,
    _integer_levels,
    _is_integer,
    _keep_where,
    _luma,
    _per_sample,
)
from tanda_transforms.ops._torch_common import (
    value_max as _batch_value_max,
)
from tanda_transforms.ops.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["hue_shift", "hue_shift_batch", "saturation", "saturation_batch"]

# --- per-image kernels (numpy) ----------------------------------------------------------------

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


# --- batched kernels (torch) ------------------------------------------------------------------

_FLT_EPSILON = 1.1920929e-07  # C's FLT_EPSILON, which OpenCV's RGB -> HSV adds to denominators


def _saturation_uint8(x: Tensor, factor: Tensor) -> Tensor:
    """uint8 saturation as the per-image op's ``cv2.transform``: 10-bit fixed point.

    Each output level is ``floor((sum_j round(1024 m_ij) k_j + 512) / 1024)`` clipped to
    0..255, with ``m = factor I + (1 - factor) luma`` (float64, then float32) and ``k`` the
    input levels. OpenCV takes this path while every ``|m_ij| < 32``, i.e. for factors in
    the op's bounds [0, 10]. All sums are integers below 2**24, so float32 is exact.
    """
    n, _, h, w = x.shape
    levels = _integer_levels(x, torch.uint8).reshape(n, 3, h * w)
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
def saturation_batch(x: Tensor, factor: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Blend RGB with its luma (PIL ``ImageEnhance.Color``); grey images are unchanged.

    uint8 images take the per-image op's fixed-point ``cv2.transform`` path.

    Examples
    --------
    >>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
    >>> saturation_batch(red, 0.0).flatten().tolist()
    [0.29899999499320984, 0.29899999499320984, 0.29899999499320984]
    """
    factor = _per_sample(factor, x)
    if dtype == torch.uint8:
        out = _saturation_uint8(x, factor)
    else:
        grey = _luma(x)
        out = torch.sub(x, grey).mul_(factor).add_(grey).clamp_(0.0, 1.0)
    return _keep_where(_equals(factor, 1.0), x, out)


def _hue_sixths(x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """OpenCV's RGB -> HSV hue in sixths of the circle (``hue / 60``, in [-1, 5]), with the
    value (max) and the spread (max - min), each ``[n, H, W]`` float32.

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
    torch.sub(value, spread, out=spread)
    denominator = torch.add(spread, _FLT_EPSILON)
    hue_red = torch.sub(g, b).div_(denominator)
    hue_green = torch.sub(b, r).div_(denominator).add_(2.0)
    hue = torch.sub(r, g).div_(denominator).add_(4.0)  # blue
    is_max = torch.eq(g, value, out=torch.empty_like(value))  # 0/1 float
    hue_green.sub_(hue).mul_(is_max)  # green - blue where green is the max
    hue.add_(hue_green)
    torch.eq(r, value, out=is_max)
    hue_red.sub_(hue).mul_(is_max)
    return hue.add_(hue_red), value, spread


# OpenCV's HSV -> RGB: the entry of (v, p, q, t) each channel takes in each hue sector,
# rows r, g, b, columns the sectors 0..5
_SECTOR_SOURCE = np.array([(0, 2, 1, 1, 3, 0), (3, 0, 0, 2, 1, 1), (1, 1, 3, 0, 0, 2)])
_F32 = np.float32


def _fused_multiply_add(a: np.ndarray, b: np.ndarray, c: np.ndarray | float) -> np.ndarray:
    """float32 ``a * b + c`` rounded once, as an FMA instruction (via float64, where the
    product of two float32 values is exact)."""
    return (a.astype(np.float64) * b.astype(np.float64) + c).astype(_F32)


def _rgb_to_hsv(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's float RGB -> HSV of float32 pixels ``[P, 3]``: hue in degrees [0, 360),
    saturation, value (max).

    As OpenCV's vectorised code (x86 with FMA): the hue is one fused multiply-add of the
    channel difference, ``60 / spread`` and the sector's offset (360 for negative red hues).
    numpy, with float32 constants: the same IEEE operations as torch's, without its per-call
    cost on the few pixels this sees.
    """
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    value = np.maximum(np.maximum(r, g), b)
    spread = value - np.minimum(np.minimum(r, g), b)
    sat = spread / (np.abs(value) + _F32(_FLT_EPSILON))
    per_spread = _F32(60.0) / (spread + _F32(_FLT_EPSILON))
    red_max, green_max = value == r, value == g
    difference = np.where(red_max, g - b, np.where(green_max, b - r, r - g))
    offset = np.where(red_max, np.where(difference < 0, 360.0, 0.0),
                      np.where(green_max, 120.0, 240.0))  # fmt: skip
    return _fused_multiply_add(difference, per_spread, offset), sat, value


def _hsv_to_rgb(hue: np.ndarray, sat: np.ndarray, value: np.ndarray) -> np.ndarray:
    """OpenCV's float HSV -> RGB of float32 pixels, ``[P, 3]``; any hue >= 0 wraps modulo
    360.

    ``v * (1 - s * f)`` has its inner product-difference fused, as OpenCV's FMA code.
    """
    sector_pos = np.fmod(hue * _F32(6.0 / 360.0), _F32(6.0))
    sector = np.floor(sector_pos)
    frac = sector_pos - sector
    sector = np.clip(sector.astype(np.int64), 0, 5)
    table = np.stack([
        value,
        value * (_F32(1.0) - sat),
        value * _fused_multiply_add(-sat, frac, 1.0),
        value * _fused_multiply_add(-sat, _F32(1.0) - frac, 1.0),
    ])  # fmt: skip
    rgb = table[_SECTOR_SOURCE[:, sector], np.arange(len(hue))].T  # [P, 3]
    return np.where((sat == 0)[:, None], value[:, None], rgb)


# HSV -> RGB: channel c is v - spread * T((offset_c + hue) mod 6), T the trapezoid 0 -> 1 on
# [0, 1], 1 on [1, 3], 1 -> 0 on [3, 4], 0 on [4, 6] (offsets 5, 3, 1 for r, g, b). T(k) is
# clip(2 - tri(k - 2), 0, 1), tri the distance to the nearest multiple of 6, which is
# 3 - |3 - |y|| for |y| <= 6; so T = clip(|3 - |y|| - 1, 0, 1) with y = k - 2. The hue is in
# [-1, 5] (red hues negative); each channel's shift + offset - 2, taken modulo 6 in [-5, 1)
# (a few values per sample), puts y in [-6, 6]: no modulo over the image. v - spread * T is
# in [min, v] without a clip.
_CHANNEL_OFFSETS = (5.0 - 2.0, 3.0 - 2.0, 1.0 - 2.0)


def _shift_terms(shift: Tensor, device: torch.device) -> tuple[Tensor, Tensor]:
    """The shift's degrees (float64 ``[n]``, as the per-image op adds them) and each
    channel's ``shift + offset - 2`` in sixths, modulo 6 in [-5, 1) (float32
    ``[n, 3, 1, 1]``): in float64, with numpy on the CPU (the same IEEE operations without
    torch's per-op cost), else with torch on the device."""
    host = shift.device.type == "cpu" and not shift.requires_grad
    if host:
        xp, values, offsets = np, shift.numpy().astype(np.float64), np.array(_CHANNEL_OFFSETS)
    else:
        offsets = torch.tensor(_CHANNEL_OFFSETS, dtype=torch.float64, device=device)
        xp, values = torch, shift.double()
    degrees = xp.remainder(values * 360.0, 360.0)
    terms = xp.remainder((degrees / 60.0)[:, None] + offsets + 5.0, 6.0) - 5.0
    if host:
        degrees, terms = torch.from_numpy(degrees), torch.from_numpy(terms)
    return degrees, terms.float().view(-1, 3, 1, 1)


@_colour_op
def hue_shift_batch(x: Tensor, shift: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Rotate the hue by ``shift`` of the circle in OpenCV's HSV model; grey is unchanged.

    In float32 throughout, with the HSV -> RGB conversion written as one formula per channel,
    ``v - (max - min) * T(offset + hue)`` (``v * s`` of OpenCV's formulas is
    ``(max - min) * v / (v + FLT_EPSILON)``, within ``FLT_EPSILON`` of the spread; the
    trapezoid ``T`` of the periodic hue with a triangle wave made of absolute values, no
    modulo): within 1e-6 of the per-image op's cv2 result, not bit-exact (its hue is an FMA
    in degrees). HSV is scale-free but for the value, so uint8 images (which the per-image op
    converts on OpenCV's 0..255 scale) take the same path.

    Examples
    --------
    >>> red = torch.tensor([1.0, 0.0, 0.0]).reshape(1, 3, 1, 1)
    >>> (hue_shift_batch(red, 1 / 3, torch.uint8) * 255).round().flatten().tolist()
    [0.0, 255.0, 0.0]
    """
    shift = _argument(shift, x)
    degrees, terms = _shift_terms(shift, x.device)
    hue, value, spread = _hue_sixths(x)
    y = torch.add(hue.unsqueeze(1), terms)  # [n, 3, H, W], in [-6, 6]
    trapezoid = y.abs_().sub_(3.0).abs_().sub_(1.0).clamp_(0.0, 1.0)  # T
    out = torch.addcmul(value.unsqueeze(1), trapezoid, spread.unsqueeze(1), value=-1.0,
                        out=trapezoid)  # fmt: skip
    if _is_integer(dtype):
        _redo_half_level_ties(out, x, degrees.float(), dtype)
    return _keep_where(_equals(shift, 0.0), x, out)


_TIE_WIDTH = 1e-3  # of a level: the float32 formula is within 1e-6 of OpenCV's on [0, 1]


def _redo_half_level_ties(out: Tensor, x: Tensor, degrees: Tensor, dtype: torch.dtype) -> None:
    """Recompute in place, with OpenCV's own arithmetic, the pixels of ``out`` that lie on a
    half level of an integer ``dtype``.

    Integer colours give exact half levels often (a 90 degree shift of an odd spread), and
    which way they round is up to the last bit of OpenCV's float32 arithmetic (FMAs in
    degrees), which the float32 formula does not reproduce. Those pixels go through an
    emulation of it, in float64 where OpenCV fuses, with numpy on the host (one sync and a
    copy each way on a GPU): they are up to a fifth of the pixels of images that earlier TFs
    left with few levels (learning on CIFAR-10), and on such small arrays numpy costs a
    fraction of torch's per-call overhead (the op 1.65x faster on 16 CIFAR-10 images).
    """
    n, _, h, w = out.shape
    vmax = _batch_value_max(dtype)
    distance = torch.mul(out, vmax).frac_().sub_(0.5).abs_().amin(dim=1)  # [n, H, W]
    flat = torch.nonzero(distance.view(-1) < _TIE_WIDTH).squeeze(1)
    if flat.numel() == 0:
        return
    sample, pixel = torch.div(flat, h * w, rounding_mode="floor"), flat.remainder(h * w)
    colours = x.view(n, 3, h * w)[sample, :, pixel].detach()  # [P, 3]
    if dtype == torch.uint8:  # the per-image op's working scale: 0..255
        colours = _integer_levels(colours, dtype)
    hue, sat, value = _rgb_to_hsv(colours.cpu().numpy())
    exact = _hsv_to_rgb(hue + degrees[sample].cpu().numpy(), sat, value)
    if dtype == torch.uint8:
        exact = exact / _F32(255.0)
    out.view(n, 3, h * w)[sample, :, pixel] = torch.from_numpy(
        np.clip(exact, _F32(0.0), _F32(1.0))).to(out.device)


# --- registration -----------------------------------------------------------------------------

register_op("saturation", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(saturation_batch, takes_dtype=True))(saturation)
register_op("hue_shift", kind="photometric", bounds={"shift": (-0.5, 0.5)},
            batched=PhotometricKernel.of(hue_shift_batch, takes_dtype=True))(hue_shift)
