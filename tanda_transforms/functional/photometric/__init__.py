"""Photometric (pixel-value) image operations, per image (numpy).

All ops accept uint8, uint16 or float32 (in [0, 1]) images of shape H x W or H x W x C
and return a new array of the same shape and dtype.  Arithmetic runs in float32 on the
[0, 1] scale; integer results are rounded with :func:`numpy.rint` (half to even) and
clipped to the dtype range, float32 results are clipped to [0, 1].  Point-wise ops on
integer images are evaluated once per level into a look-up table (256 entries for
uint8, 65536 for uint16).

The enhancement ops (:func:`brightness`, :func:`contrast`, :func:`saturation`,
:func:`sharpen`) follow the semantics of ``PIL.ImageEnhance``: they blend the image with
a "degenerate" version (black, mean grey, greyscale, smoothed) by ``factor``, where 1
returns the image unchanged, 0 returns the degenerate image and factors above 1
extrapolate.  Greyscale uses the ITU-R 601-2 luma weights (0.299, 0.587, 0.114) as PIL
does.

Alpha: an H x W x 4 image is RGBA.  Every op here changes its three colour channels only and
returns the alpha channel unchanged (so brightening never makes a picture translucent).
The colour ops (:func:`saturation`, :func:`hue_shift`) are identities on one-channel images
(H x W or H x W x 1), as torchvision's are: a grey image has no hue or saturation to change.

Each op lives in its family's module of :mod:`tanda_transforms.ops.photometric` beside its
batched torch kernel, bounds and draw: :mod:`~tanda_transforms.ops.photometric.enhance`
(brightness, contrast, gamma), :mod:`~tanda_transforms.ops.photometric.colour` (saturation,
hue_shift), :mod:`~tanda_transforms.ops.photometric.filters` (gaussian_blur, sharpen,
gaussian_noise, cutout) and :mod:`~tanda_transforms.ops.photometric.levels` (equalize,
autocontrast, posterize, solarize, invert); ``enhance``, ``colour``, ``filters`` and
``levels`` here are those modules.

Examples
--------
>>> import numpy as np
>>> invert(np.array([[0, 255]], np.uint8)).tolist()
[[255, 0]]
"""

from tanda_transforms.ops.photometric import (  # noqa: F401  (the family modules)
    colour,
    enhance,
    filters,
    levels,
)
from tanda_transforms.ops.photometric.colour import hue_shift, saturation
from tanda_transforms.ops.photometric.enhance import brightness, contrast, gamma
from tanda_transforms.ops.photometric.filters import (
    cutout,
    gaussian_blur,
    gaussian_noise,
    sharpen,
)
from tanda_transforms.ops.photometric.levels import (
    autocontrast,
    equalize,
    invert,
    posterize,
    solarize,
)

__all__ = [
    "brightness", "contrast", "saturation", "hue_shift", "gamma",
    "gaussian_blur", "sharpen", "gaussian_noise", "cutout",
    "equalize", "autocontrast", "posterize", "solarize", "invert",
]
