"""Filter and noise ops, one home each: gaussian_blur, sharpen, gaussian_noise, cutout.

Each op's per-image numpy kernel, its batched torch kernel (``*_batch``, the same math on
``[n, C, H, W]`` float tensors with one argument value per sample), its bounds and, for the
two random ops, its draw, registered below with ``register_op(..., batched=...)`` as a user's
op:

- ``cutout``: one draw, :func:`draw_cutout` (the square's centre row, then column), which the
  registered op calls with the policy's numpy generator (``n = 1``) and the batched path with
  its torch one;
- ``gaussian_noise``: :func:`draw_gaussian_noise`'s standard normals for the batched path;
  the per-image kernel draws the same distribution in its own layout (H x W x C, streamed in
  row strips of large images, so a mammogram never holds a second full-size array).

Per image: OpenCV's Gaussian blur (reflect-101), PIL's SMOOTH-based sharpening, additive
Gaussian noise and the cutout rectangle; large images go in row strips (``_strips``: the same
values, bounded memory).

Examples
--------
>>> import numpy as np
>>> out = cutout_op(np.full((4, 4), 9, np.uint8), size=0.5, rng=np.random.default_rng(0))
>>> int((out == 0).sum())
4
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from tanda_transforms._strips import row_strips
from tanda_transforms._validate import (
    apply_cv2,
    check_image,
    check_int,
    check_real,
    float32_into,
    make_rng,
    to_float32,
    value_max,
)
from tanda_transforms.ops import draw
from tanda_transforms.ops._numpy_common import _carry_alpha, _check_factor
from tanda_transforms.ops._torch_common import (
    PerSample,
    Tensor,
    _argument,
    _by_group,
    _carry_alpha_batch,
    _divide,
    _equals,
    _ieee_float32_convolutions,
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

__all__ = ["cutout", "cutout_batch", "cutout_op", "draw_cutout", "draw_gaussian_noise",
           "gaussian_blur", "gaussian_blur_batch", "gaussian_noise", "gaussian_noise_batch",
           "gaussian_noise_op", "gaussian_smooth", "sharpen", "sharpen_batch"]

# --- per-image kernels (numpy) ----------------------------------------------------------------

# PIL's ImageFilter.SMOOTH kernel, used as the degenerate image of sharpen().
_SMOOTH_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / np.float32(13)


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


# --- batched kernels (torch) ------------------------------------------------------------------


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


@_carry_alpha_batch
def gaussian_blur_batch(x: Tensor, sigma: PerSample) -> Tensor:
    """Gaussian blur of ``sigma`` pixels: kernel radius ``max(1, int(4 sigma + 0.5))``,
    reflect-101 border (as the per-image op's ``cv2.GaussianBlur``).

    Samples are grouped by distinct sigma (one host sync per call).

    Examples
    --------
    >>> gaussian_blur_batch(torch.full((2, 1, 5, 5), 0.5), torch.tensor([0.0, 1.0])).amax().item()
    0.5
    """
    return _by_group(x, sigma, _blur_one_sigma)


@_carry_alpha_batch
def sharpen_batch(x: Tensor, factor: PerSample) -> Tensor:
    """Blend with PIL's SMOOTH filter (PIL ``ImageEnhance.Sharpness``); the one-pixel border
    is left as it is, and images under 3 x 3 are unchanged.

    Examples
    --------
    >>> x = torch.zeros(1, 1, 3, 3)
    >>> x[0, 0, 1, 1] = 0.5
    >>> round(sharpen_batch(x, 0.0)[0, 0, 1, 1].item(), 4)
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
    out[:, :, :: h - 1] = x[:, :, :: h - 1]  # the top and bottom rows, one strided copy
    out[:, :, :, :: w - 1] = x[:, :, :, :: w - 1]  # the first and last columns
    blend = torch.sub(inner, smooth, out=out[:, :, 1:-1, 1:-1])
    blend.mul_(factor).add_(smooth).clamp_(0.0, 1.0)
    return _keep_where(_equals(factor, 1.0), x, out)


@_carry_alpha_batch
def gaussian_noise_batch(x: Tensor, std: PerSample, noise: Tensor) -> Tensor:
    """Add ``std * noise`` (``noise`` standard normal, as drawn), then clip to [0, 1].

    Examples
    --------
    >>> gaussian_noise_batch(torch.zeros(1, 1, 1, 2), 0.5, torch.tensor([[[[1.0, -1.0]]]])).tolist()
    [[[[0.5, 0.0]]]]
    """
    return torch.mul(noise.to(x.device), _per_sample(std, x)).add_(x).clamp_(0.0, 1.0)


def _span_mask(centre: Tensor, side: Tensor, length: int) -> Tensor:
    """``[n, length]`` bool: where ``centre - side // 2 <= i < centre - side // 2 + side``."""
    start = (centre - torch.div(side, 2, rounding_mode="floor")).unsqueeze(1)
    index = torch.arange(length, device=centre.device).unsqueeze(0)
    return (index >= start) & (index < start + side.unsqueeze(1))


@_carry_alpha_batch
def cutout_batch(
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
    >>> cutout_batch(x, torch.tensor([0]), torch.tensor([2]), size=0.5)[0, 0].tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    n, _, h, w = x.shape
    side = torch.round(_scaled_argument(_argument(size, x), min(h, w))).long().clamp_(min=1)
    center_y, center_x = center_y.to(x.device), center_x.to(x.device)
    rows = _span_mask(center_y, side, h).to(x.dtype).view(n, h, 1)
    cols = _span_mask(center_x, side, w).to(x.dtype).view(n, 1, w)
    inside = torch.bmm(rows, cols).view(n, 1, h, w)  # 1 in the square (outer products of 0/1)
    if _is_integer(dtype):
        vmax = _batch_value_max(dtype)
        level = torch.round(_scaled_argument(_argument(fill, x), vmax))
        fill = _divide(level, vmax).float().reshape(-1, 1, 1, 1)
    else:
        fill = _per_sample(fill, x)
    # x * 0 + fill inside, x * 1 + 0 outside: exact, without torch.where (slow on the CPU)
    filled = inside * fill
    return torch.addcmul(filled, x, inside.neg_().add_(1.0))


# --- registration -----------------------------------------------------------------------------

register_op("gaussian_blur", kind="photometric", bounds={"sigma": (0, 32)},
            batched=PhotometricKernel.of(gaussian_blur_batch))(gaussian_blur)
register_op("sharpen", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(sharpen_batch))(sharpen)


def draw_gaussian_noise(n: int, shape: tuple[int, int, int], args: dict[str, Any],
                        generator: draw.Generator) -> dict[str, Any]:
    """Standard normal noise ``[n, C', H, W]`` float32 (C' = 3 for RGBA, else C).

    Examples
    --------
    >>> import torch
    >>> draw_gaussian_noise(2, (4, 5, 6), {}, torch.Generator())["noise"].shape
    torch.Size([2, 3, 5, 6])
    """
    channels, height, width = shape
    colour = 3 if channels == 4 else channels  # the alpha channel gets no noise
    return {"noise": draw.normal(generator, (n, colour, height, width))}


@register_op("gaussian_noise", kind="photometric", random=True, bounds={"std": (0, 1)},
             batched=PhotometricKernel.of(gaussian_noise_batch, draw_gaussian_noise))
def gaussian_noise_op(img: np.ndarray, std: float, *, rng) -> np.ndarray:
    """The ``gaussian_noise`` TF: noise of ``std`` (a fraction of the value range)."""
    return gaussian_noise(img, std, seed=rng)


def draw_cutout(n: int, shape: tuple[int, int, int], args: dict[str, Any],
                generator: draw.Generator) -> dict[str, Any]:
    """Cutout centres, int64 ``[n]``: ``center_y`` uniform in [0, H), then ``center_x`` in
    [0, W).

    Examples
    --------
    >>> import torch
    >>> sorted(draw_cutout(3, (1, 8, 8), {}, torch.Generator()))
    ['center_x', 'center_y']
    """
    _, height, width = shape
    center_y = draw.integers(generator, 0, height, (n,))
    center_x = draw.integers(generator, 0, width, (n,))
    return {"center_y": center_y, "center_x": center_x}


@register_op("cutout", kind="photometric", random=True, bounds={"size": (0.01, 1), "fill": (0, 1)},
             batched=PhotometricKernel.of(cutout_batch, draw_cutout, takes_dtype=True))
def cutout_op(img: np.ndarray, size: float = 0.25, fill: float = 0.0, *, rng) -> np.ndarray:
    """The ``cutout`` TF: blank a square of side ``size`` (fraction of the smaller side)
    centred at random."""
    check_image(img)
    h, w = img.shape[:2]
    if not 0 < size <= 1:
        raise ValueError(f"size must be a fraction in (0, 1], got {size!r}")
    side = max(1, int(round(size * min(h, w))))
    centre = draw_cutout(1, (1, h, w), {}, rng)
    cy, cx = int(centre["center_y"][0]), int(centre["center_x"][0])
    return cutout(img, cy - side // 2, cx - side // 2, side, side, fill=fill)
