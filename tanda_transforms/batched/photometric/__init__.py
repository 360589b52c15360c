"""Batched torch kernels of the built-in photometric ops (a library of torch functions).

Each photometric op of :mod:`tanda_transforms.ops` has a function here that applies it to a
group of ``n`` samples at once, ``x`` of shape ``[n, C, H, W]`` (float32 in [0, 1], on any
device), with one argument value per sample (a float32 tensor ``[n]``, or a Python number for
all of them). Each reproduces the math of the per-image numpy / OpenCV op in
:mod:`tanda_transforms.functional` for float32 input: PIL ``ImageEnhance`` blends, the ITU-R
601-2 luma, OpenCV's HSV model, reflect-101 borders, the alpha of RGBA images carried
unchanged. The op's family module in :mod:`tanda_transforms.ops` registers it, wrapped in the
:class:`~tanda_transforms.batched.kernel.PhotometricKernel` contract, with
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

The kernels are split by family, as the per-image ops of
:mod:`tanda_transforms.functional.photometric`: :mod:`.enhance` (brightness, contrast,
saturation, hue_shift, gamma), :mod:`.filters` (gaussian_blur, sharpen, gaussian_noise, cutout),
:mod:`.levels` (equalize, autocontrast, posterize, solarize, invert) and :mod:`.morphology`
(erosion, dilation); ``_common`` holds the argument shaping, divisions, identity handling and
alpha carry they share.

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

from ._common import check_batch, value_max
from .enhance import brightness, contrast, gamma, hue_shift, saturation
from .filters import cutout, gaussian_blur, gaussian_noise, gaussian_smooth, sharpen
from .levels import autocontrast, equalize, invert, posterize, solarize
from .morphology import dilation, erosion

__all__ = [
    "KERNELS", "autocontrast", "brightness", "check_batch", "contrast", "cutout", "dilation",
    "equalize", "erosion", "gamma", "gaussian_blur", "gaussian_noise", "gaussian_smooth",
    "hue_shift", "invert", "posterize", "saturation", "sharpen", "solarize", "value_max",
]


#: the draws that moved to their op's family module (tanda_transforms.ops.filters)
_MOVED_DRAWS = {"draw_cutout": "cutout", "draw_gaussian_noise": "gaussian_noise"}


def __getattr__(name: str) -> Any:
    """``KERNELS``: op name -> batched kernel, for every registered photometric op whose
    kernel is a function of this package (the built-in ones), read from the registry; and
    the old names of the random ops' draws."""
    from tanda_transforms.registry import available_ops, get_op

    if name in _MOVED_DRAWS:
        return get_op(_MOVED_DRAWS[name]).batched.draw
    if name != "KERNELS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    kernels = {}
    for op in available_ops():
        kernel = get_op(op).batched
        fn = getattr(getattr(kernel, "apply", None), "fn", None)
        if getattr(fn, "__module__", "").startswith(__name__):
            kernels[op] = kernel
    return kernels
