"""Morphology ops: erosion, dilation (grey, over an odd square).

Each is registered here with its bounds, its per-image numpy kernel
(:mod:`tanda_transforms.functional.morphology`, ``cv2.erode`` / ``cv2.dilate``) and its
batched torch kernel (:mod:`tanda_transforms.batched.photometric.morphology`), through
``register_op(..., batched=...)`` as a user's op.

Examples
--------
>>> import numpy as np
>>> erosion(np.array([[9, 9, 1]], np.uint8)).tolist()
[[9, 1, 1]]
"""

from __future__ import annotations

import numpy as np

from tanda_transforms import functional as F
from tanda_transforms.batched import photometric as T
from tanda_transforms.batched.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["dilation", "erosion"]


@register_op("erosion", kind="photometric", bounds={"size": (1, 63)},
             batched=PhotometricKernel.of(T.erosion))
def erosion(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey erosion with a square ``size`` x ``size`` kernel."""
    return F.erosion(img, size)


@register_op("dilation", kind="photometric", bounds={"size": (1, 63)},
             batched=PhotometricKernel.of(T.dilation))
def dilation(img: np.ndarray, size: int = 3) -> np.ndarray:
    """Grey dilation with a square ``size`` x ``size`` kernel."""
    return F.dilation(img, size)
