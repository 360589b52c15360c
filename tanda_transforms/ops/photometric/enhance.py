"""Enhancement ops, one home each: brightness, contrast, gamma.

Each op's per-image numpy kernel, its batched torch kernel (``*_batch``, the same math on
``[n, C, H, W]`` float tensors with one argument value per sample) and its bounds, registered
below with ``register_op(..., batched=...)`` as a user's op. None has a random part.

Per image: ``PIL.ImageEnhance`` blends (brightness with black, contrast with the mean grey
level: the ITU-R 601-2 luma of RGB) and the power law (gamma). Batched: the same; contrast's
mean grey is summed in float64 over integer levels as ``cv2.mean`` does.

Examples
--------
>>> import numpy as np, torch
>>> brightness(np.full((1, 2), 100, np.uint8), 1.5).tolist()
[[150, 150]]
>>> brightness_batch(torch.full((1, 1, 1, 2), 100 / 255), torch.tensor([1.5])).mul(255).round()
tensor([[[[150., 150.]]]])
"""

from __future__ import annotations

import functools
import operator

import cv2
import numpy as np
import torch

from tanda_transforms._validate import (
    apply_lut,
    check_image,
    check_real,
    value_max,
)
from tanda_transforms.ops._numpy_common import (
    _LUMA,
    _carry_alpha,
    _check_factor,
    _lut,
    _pointwise,
)
from tanda_transforms.ops._torch_common import (
    PerSample,
    Tensor,
    _carry_alpha_batch,
    _divide,
    _equals,
    _integer_levels,
    _is_integer,
    _keep_where,
    _per_sample,
)
from tanda_transforms.ops._torch_common import (
    value_max as _batch_value_max,
)
from tanda_transforms.ops.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["brightness", "brightness_batch", "contrast", "contrast_batch", "gamma", "gamma_batch"]

# --- per-image kernels (numpy) ----------------------------------------------------------------

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


# --- batched kernels (torch) ------------------------------------------------------------------



@_carry_alpha_batch
def brightness_batch(x: Tensor, factor: PerSample) -> Tensor:
    """Scale intensities by ``factor`` (PIL ``ImageEnhance.Brightness``), clipped to [0, 1].

    Examples
    --------
    >>> brightness_batch(torch.full((2, 3, 1, 1), 0.8), torch.tensor([0.5, 2.0]))[:, 0].flatten()
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
    if _is_integer(dtype) and count * _batch_value_max(dtype) < 2**24:
        # float32 sums of integer levels below 2**24 are exact (a float64 sum on the CPU
        # casts the image first, some 30 times slower)
        sums = _integer_levels(x, dtype).sum(dim=dims).double()
    elif _is_integer(dtype):
        sums = _integer_levels(x, dtype).sum(dim=dims, dtype=torch.float64)
    else:
        # float32 images: torch's float32 sum is a pairwise (cascade) sum, within a few
        # units in the last place of cv2.mean's float64 sum
        sums = x.sum(dim=dims).double()
    # a few float64 values: on the CPU in numpy (the same IEEE operations, without torch's
    # per-op cost); elsewhere in torch, on the device
    host = sums.device.type == "cpu" and not sums.requires_grad
    values, divide = (sums.numpy(), operator.truediv) if host else (sums, _divide)
    if x.shape[1] == 3:
        channel_means = divide(values, pixels)
        mean = channel_means[:, 0] * _LUMA[0] + channel_means[:, 1] * _LUMA[1]
        mean = mean + channel_means[:, 2] * _LUMA[2]
    else:
        mean = divide(values, count)
    mean = divide(mean, _batch_value_max(dtype))
    mean = torch.from_numpy(mean.astype(np.float32)) if host else mean.to(torch.float32)
    return mean.reshape(-1, 1, 1, 1)


@_carry_alpha_batch
def contrast_batch(x: Tensor, factor: PerSample, dtype: torch.dtype = torch.float32) -> Tensor:
    """Blend with the mean grey level as a constant (PIL ``ImageEnhance.Contrast``).

    The grey level is the mean luma for RGB, the mean of all values otherwise.

    Examples
    --------
    >>> x = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2)
    >>> contrast_batch(x, 0.5).flatten().tolist()
    [0.25, 0.75]
    """
    factor = _per_sample(factor, x)
    mean = _mean_grey(x, dtype)
    out = torch.sub(x, mean).mul_(factor).add_(mean).clamp_(0.0, 1.0)
    return _keep_where(_equals(factor, 1.0), x, out)


@_carry_alpha_batch
def gamma_batch(x: Tensor, gamma: PerSample) -> Tensor:
    """Power-law transfer ``x ** gamma``.

    Examples
    --------
    >>> gamma_batch(torch.full((1, 1, 1, 1), 0.25), 0.5).item()
    0.5
    """
    exponent = _per_sample(gamma, x)
    return _keep_where(_equals(exponent, 1.0), x, torch.pow(x, exponent).clamp_(0.0, 1.0))


# --- registration -----------------------------------------------------------------------------

register_op("brightness", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(brightness_batch))(brightness)
register_op("contrast", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(contrast_batch, takes_dtype=True))(contrast)
register_op("gamma", kind="photometric", bounds={"gamma": (0.1, 10)},
            batched=PhotometricKernel.of(gamma_batch))(gamma)
