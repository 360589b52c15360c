"""Batched torch kernels for the photometric ops of the built-in op table.

Each op of :mod:`tanda_transforms.ops` whose kind is photometric has a function here that
applies it to a group of ``n`` samples at once, ``x`` of shape ``[n, C, H, W]`` (float32 in
[0, 1], on any device), with one argument value per sample (a float32 tensor ``[n]``, or a
Python number for all of them). Each reproduces the math of the per-image numpy / OpenCV op in
:mod:`tanda_transforms.functional` for float32 input: PIL ``ImageEnhance`` blends, the ITU-R
601-2 luma, OpenCV's HSV model, reflect-101 borders, the alpha of RGBA images carried
unchanged. :data:`KERNELS` wraps them in the
:class:`~tanda_transforms.batched.PhotometricKernel` contract that the batched renderer calls.

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

The kernels are split by family, as the per-image ops of
:mod:`tanda_transforms.functional.photometric`: :mod:`.enhance` (brightness, contrast,
saturation, hue_shift, gamma), :mod:`.filters` (gaussian_blur, sharpen, gaussian_noise, cutout),
:mod:`.levels` (equalize, autocontrast, posterize, solarize, invert) and :mod:`.morphology`
(erosion, dilation); ``_common`` holds the argument shaping, divisions, identity handling and
alpha carry they share, and this module the :data:`KERNELS` table.

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

from collections.abc import Callable

from .._kernel import ApplyFn, PhotometricKernel
from . import enhance, filters, levels, morphology
from ._common import Tensor, _check_batch, _value_max
from .enhance import brightness, contrast, gamma, hue_shift, saturation
from .filters import (
    cutout,
    draw_cutout,
    draw_gaussian_noise,
    gaussian_blur,
    gaussian_noise,
    sharpen,
)
from .levels import autocontrast, equalize, invert, posterize, solarize
from .morphology import dilation, erosion

__all__ = [
    "KERNELS",
    *sorted([*enhance.__all__, *filters.__all__, *levels.__all__, *morphology.__all__]),
]


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
