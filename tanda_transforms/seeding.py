"""Seeds of the random streams that transforms own, per process and DataLoader worker.

A transform that owns its random stream (:class:`~tanda_transforms.TANDAPolicy`, the
evaluation harness's conditions) starts it from :func:`stream_seed` and starts it again
whenever :func:`process_key` changes: in a forked process or a DataLoader worker the stream
mixes the seed with ``torch.initial_seed()``, which the DataLoader makes different for every
worker and every epoch, so workers never repeat each other.

Examples
--------
>>> stream_seed(7)  # in the main process a seed is used as it is
7
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

__all__ = ["derive_seed", "process_key", "reseed", "stream_seed"]


def process_key() -> tuple[int, int | None]:
    """``(process id, DataLoader worker id or None)``: a stream is restarted when it changes."""
    info = torch.utils.data.get_worker_info()
    return os.getpid(), None if info is None else info.id


def stream_seed(seed: int | None) -> int:
    """Seed for this process: ``seed``, mixed with the worker's torch seed in a worker.

    ``None`` (outside workers) draws a seed from torch's global generator, so
    ``torch.manual_seed`` controls it; in a worker ``None`` mixes as 0.
    """
    if torch.utils.data.get_worker_info() is not None:
        entropy = [0 if seed is None else seed, torch.initial_seed()]
        return int(np.random.SeedSequence(entropy).generate_state(2, np.uint32).view(np.uint64)[0])
    if seed is None:
        return int(torch.randint(0, 2**62, (1,)).item())
    return seed


def derive_seed(seed: int, *keys: int) -> int:
    """A seed for a sub-stream of ``seed`` named by ``keys`` (32 bits, independent streams).

    Examples
    --------
    >>> derive_seed(0, 1) == derive_seed(0, 1) != derive_seed(0, 2)
    True
    """
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1, np.uint32)[0])


def reseed(transform: Any, seed: int) -> Any:
    """Restart ``transform``'s random stream from ``seed`` if it has one (``manual_seed``).

    Parameters
    ----------
    transform
        A callable that may own a random stream (a :class:`~tanda_transforms.TANDAPolicy`, an
        evaluation condition); those without ``manual_seed`` are left as they are.
    seed
        The new seed.

    Returns
    -------
    object
        ``transform`` itself.
    """
    method = getattr(transform, "manual_seed", None)
    if callable(method):
        method(int(seed))
    return transform
