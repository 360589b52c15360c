"""Batched policies: one TF sequence per sample of a ``[B, C, H, W]`` tensor, on any device.

:meth:`TANDAPolicy.batched() <tanda_transforms.TANDAPolicy.batched>` returns a
:class:`BatchedPolicy`; :class:`PhotometricKernel` and :class:`WarpKernel` are the contracts of
the batched torch kernels that ``register_op(..., batched=...)`` takes for a photometric op and
for a random geometric op (see :mod:`tanda_transforms.ops.kernel`).

Examples
--------
>>> import torch
>>> from tanda_transforms import TANDAPolicy
>>> augment = TANDAPolicy("mnist", seq_len=4).batched(seed=0)
>>> out = augment(torch.zeros(64, 1, 28, 28, dtype=torch.uint8))
>>> out.dtype, out.shape
(torch.uint8, torch.Size([64, 1, 28, 28]))
"""

from tanda_transforms.batched.module import BatchedPolicy
from tanda_transforms.ops.kernel import PhotometricKernel, WarpKernel

__all__ = ["BatchedPolicy", "PhotometricKernel", "WarpKernel"]
