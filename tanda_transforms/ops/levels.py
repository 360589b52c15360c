"""Level ops: equalize, autocontrast, posterize, solarize, invert, and identity.

Each is registered here with its bounds, its per-image numpy kernel
(:mod:`tanda_transforms.functional.photometric.levels`) and its batched torch kernel
(:mod:`tanda_transforms.batched.photometric.levels`), through ``register_op(...,
batched=...)`` as a user's op. None has a random part. ``identity`` (TrivialAugment's and
RandAugment's no-op) has both kernels here.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.registry import get_op
>>> get_op("invert").fn(np.arange(4, dtype=np.uint8).reshape(2, 2))[0].tolist()
[255, 254]
"""

from __future__ import annotations

import numpy as np
import torch

from tanda_transforms import functional as F
from tanda_transforms.batched import photometric as T
from tanda_transforms.batched.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

__all__ = ["identity"]

register_op("equalize", kind="photometric",
            batched=PhotometricKernel.of(T.equalize, takes_dtype=True))(F.equalize)
register_op("autocontrast", kind="photometric",
            batched=PhotometricKernel.of(T.autocontrast, takes_dtype=True))(F.autocontrast)
register_op("posterize", kind="photometric", bounds={"bits": (1, 16)},
            batched=PhotometricKernel.of(T.posterize, takes_dtype=True))(F.posterize)
register_op("solarize", kind="photometric", bounds={"threshold": (0, 1)},
            batched=PhotometricKernel.of(T.solarize, takes_dtype=True))(F.solarize)
register_op("invert", kind="photometric", batched=PhotometricKernel.of(T.invert))(F.invert)


def _identity_kernel(x: torch.Tensor) -> torch.Tensor:
    """Batched identity: a new tensor equal to ``x`` (the kernel contract forbids aliasing)."""
    return x.clone()


@register_op("identity", kind="photometric", batched=PhotometricKernel.of(_identity_kernel))
def identity(img: np.ndarray) -> np.ndarray:
    """Return a copy of the image (TrivialAugment's and RandAugment's no-op, as a TF)."""
    F.check_image(img)
    return img.copy()
