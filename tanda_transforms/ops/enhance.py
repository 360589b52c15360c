"""Enhancement ops: brightness, contrast, saturation, hue_shift, gamma.

Each is registered here with its bounds, its per-image numpy kernel
(:mod:`tanda_transforms.functional.photometric.enhance`) and its batched torch kernel
(:mod:`tanda_transforms.batched.photometric.enhance`), through ``register_op(...,
batched=...)`` as a user's op. None has a random part.

Examples
--------
>>> from tanda_transforms.registry import get_op
>>> get_op("contrast").bounds["factor"].describe()
'in [0, 10]'
"""

from __future__ import annotations

from tanda_transforms import functional as F
from tanda_transforms.batched import photometric as T
from tanda_transforms.batched.kernel import PhotometricKernel
from tanda_transforms.registry import register_op

register_op("brightness", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(T.brightness))(F.brightness)
register_op("contrast", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(T.contrast, takes_dtype=True))(F.contrast)
register_op("saturation", kind="photometric", bounds={"factor": (0, 10)},
            batched=PhotometricKernel.of(T.saturation, takes_dtype=True))(F.saturation)
register_op("hue_shift", kind="photometric", bounds={"shift": (-0.5, 0.5)},
            batched=PhotometricKernel.of(T.hue_shift, takes_dtype=True))(F.hue_shift)
register_op("gamma", kind="photometric", bounds={"gamma": (0.1, 10)},
            batched=PhotometricKernel.of(T.gamma))(F.gamma)
