"""Pure functional image operations used by TANDA transformation functions.

Every op takes an image ``img`` of shape ``H x W`` or ``H x W x C`` (any ``C >= 1``)
with dtype uint8 (0..255), uint16 (0..65535) or float32 (values in [0, 1]) and returns
a new array of the same shape and dtype; the input is never modified.  Other types,
dtypes and shapes raise (TypeError / ValueError); nothing is cast silently.  Integer
results are rounded with :func:`numpy.rint` (half to even) and clipped to the dtype
range; float32 results are clipped to [0, 1].  Ops that need randomness take a
required keyword ``seed`` (an int or a ``numpy.random.Generator``).

Geometric ops are built from warp objects (:class:`AffineWarp`, :class:`DenseWarp`)
and ``*_warp`` builders, so that masks, boxes and keypoints can follow an image via
``warp.apply`` and ``warp.map_points``.

The photometric and morphology ops live with their batched torch kernels, bounds and draws
in their op family's module of :mod:`tanda_transforms.ops` (one home per op); this module
gathers their per-image kernels with the warps, as it always has.

Ops written elsewhere (:mod:`tanda_transforms.domains`, your own) check and convert their
inputs with the same public helpers: :func:`check_image`, :func:`check_real`,
:func:`value_max`, :func:`to_float32`, :func:`from_float32` and ``SUPPORTED_DTYPES``.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import functional as F
>>> F.rotate_warp((4, 4), 15.0).apply(np.zeros((4, 4, 3), np.uint8)).shape
(4, 4, 3)
"""

from tanda_transforms._validate import (
    SUPPORTED_DTYPES,
    check_image,
    check_real,
    from_float32,
    to_float32,
    value_max,
)
from tanda_transforms.ops import morphology  # noqa: F401  (the family module, F.morphology)
from tanda_transforms.ops.morphology import dilation, erosion

from . import geometric, photometric
from .geometric import *  # noqa: F403
from .photometric import *  # noqa: F403

__all__ = [
    # validation / dtype helpers (for ops written elsewhere too, e.g. tanda_transforms.domains)
    "SUPPORTED_DTYPES",
    "check_image",
    "check_real",
    "value_max",
    "to_float32",
    "from_float32",
    *geometric.__all__,  # warps, their builders, and hflip / vflip / elastic on images
    *photometric.__all__,
    "erosion",
    "dilation",
]
