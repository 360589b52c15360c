"""Batched filter and noise kernels: gaussian_blur, sharpen, gaussian_noise, cutout.

OpenCV's Gaussian blur with reflect-101 borders, PIL's SMOOTH-based sharpening, additive
Gaussian noise and the cutout square, as :mod:`tanda_transforms.functional.photometric.filters`
computes them per image; the two random ops take what their draw (in
:mod:`tanda_transforms.ops.filters`) drew.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._common import (
    PerSample,
    Tensor,
    _argument,
    _by_group,
    _carry_alpha,
    _divide,
    _equals,
    _ieee_float32_convolutions,
    _is_integer,
    _keep_where,
    _per_sample,
    _scaled_argument,
    value_max,
)

__all__ = ["cutout", "gaussian_blur", "gaussian_noise", "gaussian_smooth", "sharpen"]

# PIL's ImageFilter.SMOOTH, the degenerate image of sharpen (float32 division as numpy's)
_SMOOTH_KERNEL = torch.tensor([[1, 1, 1], [1, 5, 1], [1, 1, 1]], dtype=torch.float32) / 13


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


def gaussian_smooth(x: Tensor, sigma: float) -> Tensor:
    """OpenCV's ``GaussianBlur`` of every plane of ``x`` ``[n, c, H, W]`` (any values, not
    clipped): kernel radius ``max(1, int(4 sigma + 0.5))``, reflect-101 borders of any width;
    ``sigma = 0`` copies. Shared by the blur and by elastic deformation's noise fields.

    Examples
    --------
    >>> gaussian_smooth(torch.full((1, 2, 5, 5), -0.5), 1.0).sub(-0.5).abs().max().item() < 1e-6
    True
    """
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
    return planes.reshape(n, c, h, w)


def _blur_one_sigma(x: Tensor, sigma: float) -> Tensor:
    return gaussian_smooth(x, sigma).clamp_(0.0, 1.0)


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
    return _keep_where(_equals(factor, 1.0), x, out)


@_carry_alpha
def gaussian_noise(x: Tensor, std: PerSample, noise: Tensor) -> Tensor:
    """Add ``std * noise`` (``noise`` standard normal, as drawn), then clip to [0, 1].

    Examples
    --------
    >>> gaussian_noise(torch.zeros(1, 1, 1, 2), 0.5, torch.tensor([[[[1.0, -1.0]]]])).tolist()
    [[[[0.5, 0.0]]]]
    """
    return torch.mul(noise.to(x.device), _per_sample(std, x)).add_(x).clamp_(0.0, 1.0)


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
        vmax = value_max(dtype)
        level = torch.round(_scaled_argument(_argument(fill, x), vmax))
        fill = _divide(level, vmax).float().reshape(-1, 1, 1, 1)
    else:
        fill = _per_sample(fill, x)
    # x * 0 + fill inside, x * 1 + 0 outside: exact, without torch.where (slow on the CPU)
    filled = inside * fill
    return torch.addcmul(filled, x, inside.neg_().add_(1.0))
