"""Random draws written once for both paths: a ``numpy.random.Generator`` or a ``torch.Generator``.

An op's random part is one draw function, ``draw(n, shape, args, generator)``: the per-image
path calls it with the policy's numpy generator and ``n = 1``, the batched path with the
batch's torch generator and ``n`` samples (the ``draw`` of its
:class:`~tanda_transforms.ops.kernel.WarpKernel` or
:class:`~tanda_transforms.ops.kernel.PhotometricKernel`). Written with these helpers, which
return a numpy array for a numpy generator and a tensor on the generator's device for a torch
one, the function is the same for both; the two streams differ, the distribution does not.

Examples
--------
>>> import numpy as np, torch
>>> integers(np.random.default_rng(0), 0, 5, (1, 2)).shape
(1, 2)
>>> integers(torch.Generator().manual_seed(0), 0, 5, (3, 2)).shape
torch.Size([3, 2])
"""

from __future__ import annotations

from typing import Union

import numpy as np
import torch

__all__ = ["Generator", "integers", "normal", "uniform"]

Generator = Union[np.random.Generator, torch.Generator]  # noqa: UP007 (a runtime alias)
Size = tuple[int, ...]


def integers(generator: Generator, low: int, high: int, size: Size) -> np.ndarray | torch.Tensor:
    """Integers uniform in ``[low, high)``: int64 numpy ``Generator.integers`` or
    ``torch.randint``."""
    if isinstance(generator, np.random.Generator):
        return generator.integers(low, high, size=size)
    return torch.randint(low, high, size, generator=_torch(generator), device=generator.device)


def uniform(generator: Generator, size: Size, low: float = 0.0, high: float = 1.0
            ) -> np.ndarray | torch.Tensor:
    """float32 values uniform in ``[low, high)``: ``[0, 1)`` draws times ``high - low`` plus
    ``low``, each step rounded in float32."""
    if isinstance(generator, np.random.Generator):
        values = generator.random(size, dtype=np.float32)
        values *= np.float32(high - low)
        values += np.float32(low)
        return values
    values = torch.rand(size, generator=_torch(generator), device=generator.device)
    return values.mul_(high - low).add_(low)


def normal(generator: Generator, size: Size) -> np.ndarray | torch.Tensor:
    """float32 standard normal values."""
    if isinstance(generator, np.random.Generator):
        return generator.standard_normal(size, dtype=np.float32)
    return torch.randn(size, generator=_torch(generator), device=generator.device,
                       dtype=torch.float32)


def _torch(generator: object) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise TypeError("generator must be a numpy.random.Generator or a torch.Generator, "
                        f"got {type(generator).__name__}")
    return generator
