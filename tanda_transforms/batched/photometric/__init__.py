"""Batched torch kernels of the built-in photometric ops, under their op names.

Each photometric op's torch kernel lives in its family's module of :mod:`tanda_transforms.ops`
(as ``<op>_batch``, beside the op's numpy kernel, bounds and draw); this module gathers them
under the op's name. Each applies its op to a group of ``n`` samples at once, ``x`` of shape
``[n, C, H, W]`` (float32 in [0, 1], on any device), with one argument value per sample (a
float32 tensor ``[n]``, or a Python number for all of them). Each reproduces the math of the
per-image numpy / OpenCV op in :mod:`tanda_transforms.functional` for float32 input: PIL
``ImageEnhance`` blends, the ITU-R 601-2 luma, OpenCV's HSV model, reflect-101 borders, the
alpha of RGBA images carried unchanged. The family module registers it, wrapped in the
:class:`~tanda_transforms.ops.kernel.PhotometricKernel` contract, with
``register_op(..., batched=...)`` as any user op; :data:`KERNELS` reads them back from the
registry.

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

The families: :mod:`~tanda_transforms.ops.photometric.enhance` (brightness, contrast, gamma),
:mod:`~tanda_transforms.ops.photometric.colour` (saturation, hue_shift),
:mod:`~tanda_transforms.ops.photometric.filters` (gaussian_blur, sharpen, gaussian_noise,
cutout), :mod:`~tanda_transforms.ops.photometric.levels` (equalize, autocontrast, posterize,
solarize, invert) and :mod:`~tanda_transforms.ops.morphology` (erosion, dilation);
``enhance``, ``colour``, ``filters``, ``levels`` and ``morphology`` here are those modules.

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

from typing import Any

from tanda_transforms.ops import morphology  # noqa: F401  (the family modules)
from tanda_transforms.ops.kernel import check_batch, value_max
from tanda_transforms.ops.morphology import dilation_batch as dilation
from tanda_transforms.ops.morphology import erosion_batch as erosion
from tanda_transforms.ops.photometric import colour, enhance, filters, levels  # noqa: F401
from tanda_transforms.ops.photometric.colour import hue_shift_batch as hue_shift
from tanda_transforms.ops.photometric.colour import saturation_batch as saturation
from tanda_transforms.ops.photometric.enhance import brightness_batch as brightness
from tanda_transforms.ops.photometric.enhance import contrast_batch as contrast
from tanda_transforms.ops.photometric.enhance import gamma_batch as gamma
from tanda_transforms.ops.photometric.filters import cutout_batch as cutout
from tanda_transforms.ops.photometric.filters import (
    draw_cutout,
    draw_gaussian_noise,
    gaussian_smooth,
)
from tanda_transforms.ops.photometric.filters import gaussian_blur_batch as gaussian_blur
from tanda_transforms.ops.photometric.filters import gaussian_noise_batch as gaussian_noise
from tanda_transforms.ops.photometric.filters import sharpen_batch as sharpen
from tanda_transforms.ops.photometric.levels import autocontrast_batch as autocontrast
from tanda_transforms.ops.photometric.levels import equalize_batch as equalize
from tanda_transforms.ops.photometric.levels import invert_batch as invert
from tanda_transforms.ops.photometric.levels import posterize_batch as posterize
from tanda_transforms.ops.photometric.levels import solarize_batch as solarize

__all__ = [
    "KERNELS", "autocontrast", "brightness", "check_batch", "contrast", "cutout", "dilation",
    "draw_cutout", "draw_gaussian_noise", "equalize", "erosion", "gamma", "gaussian_blur",
    "gaussian_noise", "gaussian_smooth", "hue_shift", "invert", "posterize", "saturation",
    "sharpen", "solarize", "value_max",
]

_KERNEL_FUNCTIONS = (
    autocontrast, brightness, contrast, cutout, dilation, equalize, erosion, gamma,
    gaussian_blur, gaussian_noise, hue_shift, invert, posterize, saturation, sharpen, solarize,
)


def __getattr__(name: str) -> Any:
    """``KERNELS``: op name -> batched kernel, for every registered op whose kernel calls one
    of the torch functions above (the built-in photometric ops), read from the registry."""
    if name != "KERNELS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tanda_transforms.registry import available_ops, get_op

    kernels = {}
    for op in available_ops():
        kernel = get_op(op).batched
        if getattr(getattr(kernel, "apply", None), "fn", None) in _KERNEL_FUNCTIONS:
            kernels[op] = kernel
    return kernels
