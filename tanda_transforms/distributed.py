"""Learning on several processes and machines with ``torch.distributed`` (``torchrun``).

:func:`~tanda_transforms.learn.learn_policy` calls :func:`join` first: where the process
group's environment is present (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``,
as ``torchrun`` sets them) or a group is already initialised, the :class:`Ranks` it returns
connects the learner to the others; elsewhere it is one process (rank 0 of 1) whose methods
change nothing, so a single process learns exactly as without this module.

Under a group every rank

* draws the same global batch of ``batch_size x world_size`` images from a stream shared by
  all ranks and keeps its own disjoint part (``[rank::world_size]``, as ``DistributedSampler``
  deals out an epoch);
* samples sequences and TF randomness from its own streams, seeded from ``(seed, rank)``;
* updates the discriminator under ``DistributedDataParallel`` and averages the generator's
  gradients across ranks (``all_reduce``) before its optimiser steps, so the weights stay
  identical on every rank;
* logs the means over ranks. Rank 0 alone writes checkpoints and shows the progress bar.

See docs/distributed.md for launching and measurements.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
from typing import Any

import numpy as np
import torch
from torch import distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["Ranks", "join", "group_environment", "is_main_process"]

#: the variables ``torchrun`` sets that ``init_process_group("env://")`` needs
ENV_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
BACKENDS = ("gloo", "nccl")


def group_environment() -> bool:
    """Whether this process was started as one rank of a group (``torchrun`` or alike).

    Examples
    --------
    >>> import os
    >>> group_environment() == all(name in os.environ for name in ENV_VARIABLES)
    True
    """
    return all(name in os.environ for name in ENV_VARIABLES)


def is_main_process() -> bool:
    """True outside a group and on rank 0: the process that writes files and prints."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return os.environ.get("RANK", "0") == "0"


class _DistributedDiscriminator(DistributedDataParallel):
    """DDP that keeps the wrapped discriminator's interface and its checkpoint keys."""

    def diversity_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.module.diversity_features(x)

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state: dict[str, Any], strict: bool = True, assign: bool = False):
        return self.module.load_state_dict(state, strict=strict, assign=assign)


@dataclasses.dataclass(frozen=True)
class Ranks:
    """This process's place among the learning processes; ``Ranks()`` is one process alone.

    Parameters
    ----------
    rank, world_size
        This process's rank and the number of processes.
    local_rank
        Rank on this machine (picks the GPU).

    Examples
    --------
    >>> alone = Ranks()
    >>> alone.distributed, alone.is_main, alone.stream_seed(7)
    (False, True, 7)
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def stream_seed(self, seed: int) -> int:
        """This rank's seed for sampling and TF randomness: ``seed`` for one process.

        Examples
        --------
        >>> Ranks(0, 2).stream_seed(7) != Ranks(1, 2).stream_seed(7)
        True
        """
        if not self.distributed:
            return seed
        state = np.random.SeedSequence((seed, self.rank)).generate_state(2, np.uint32)
        return int(state.view(np.uint64)[0] >> np.uint64(1))  # torch seeds fit in 63 bits

    def shard(self, global_batch: np.ndarray) -> np.ndarray:
        """This rank's part of a global batch of indices: every ``world_size``-th one.

        Examples
        --------
        >>> Ranks(1, 2).shard(np.arange(6)).tolist()
        [1, 3, 5]
        """
        return global_batch[self.rank :: self.world_size]

    def wrap_discriminator(self, disc: nn.Module, device: torch.device) -> nn.Module:
        """``disc`` under DDP (it broadcasts rank 0's weights); unchanged for one process."""
        if not self.distributed:
            return disc
        device_ids = [device.index] if device.type == "cuda" else None
        return _DistributedDiscriminator(disc, device_ids=device_ids)

    def broadcast_parameters(self, module: nn.Module) -> None:
        """Give every rank rank 0's parameters (they match already when built from one seed)."""
        if self.distributed:
            for tensor in module.state_dict().values():
                dist.broadcast(tensor, src=0)

    def average_gradients(self, module: nn.Module) -> None:
        """Replace each parameter's gradient by its mean over ranks (absent counts as zero).

        One ``all_reduce`` of all gradients flattened together; a parameter without a
        gradient gets the mean too, so that every rank's optimiser sees the same gradients.
        """
        if not self.distributed:
            return
        params = list(module.parameters())
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world_size
        for p, mean in zip(params, flat.split([g.numel() for g in grads]), strict=True):
            p.grad = mean.view_as(p).clone()

    def mean_over_ranks(self, numbers: dict[str, float]) -> dict[str, float]:
        """The mean of each number over the ranks; ``numbers`` itself for one process."""
        if not self.distributed:
            return numbers
        values = torch.tensor(list(numbers.values()), dtype=torch.float64, device=self._device)
        dist.all_reduce(values)
        return dict(zip(numbers, (values / self.world_size).tolist(), strict=True))

    def sum_over_ranks(self, counts: torch.Tensor) -> torch.Tensor:
        """``counts`` summed over the ranks (returned on the CPU)."""
        if not self.distributed:
            return counts
        total = counts.to(self._device)
        dist.all_reduce(total)
        return total.cpu()

    def gather(self, value: Any) -> list[Any]:
        """Every rank's ``value`` (any picklable object), in rank order, on every rank."""
        if not self.distributed:
            return [value]
        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def stream_state(
        self,
        torch_gen: torch.Generator,
        np_rng: np.random.Generator,
        order_rng: np.random.Generator,
    ) -> dict[str, Any]:
        """What a checkpoint needs beyond rank 0's own streams: the world size and, under a
        group, every rank's streams and the shared data-order stream. Every rank calls it."""
        if not self.distributed:
            return {"world_size": 1}
        streams = self.gather({"torch_gen": torch_gen.get_state(),
                               "np_rng": np_rng.bit_generator.state})
        return {"world_size": self.world_size, "rank_streams": streams,
                "order_rng": order_rng.bit_generator.state}

    def load_stream_state(
        self,
        state: dict[str, Any],
        torch_gen: torch.Generator,
        np_rng: np.random.Generator,
        order_rng: np.random.Generator,
    ) -> None:
        """Restore this rank's streams and the data-order stream from :meth:`stream_state`
        (after :meth:`check_world_size`)."""
        if not self.distributed:
            return
        own = state["rank_streams"][self.rank]
        torch_gen.set_state(own["torch_gen"])
        np_rng.bit_generator.state = own["np_rng"]
        order_rng.bit_generator.state = state["order_rng"]

    def check_world_size(self, saved: int) -> None:
        """Refuse a checkpoint made with another number of processes."""
        if saved != self.world_size:
            raise ValueError(
                f"the checkpoint was made by {saved} process(es) and this run has "
                f"{self.world_size}: resume with the same number (torchrun --nproc_per_node "
                f"and --nnodes), since the data order, each rank's random streams and the "
                f"global batch (batch_size x world size) depend on it"
            )

    @property
    def _device(self) -> torch.device:
        """Where collectives run: the current GPU under NCCL, else the CPU."""
        if dist.get_backend() == "nccl":
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")


def default_backend(device: torch.device) -> str:
    """``nccl`` for CUDA devices, ``gloo`` otherwise."""
    return "nccl" if device.type == "cuda" else "gloo"


def join(device: torch.device, backend: str | None = None) -> tuple[Ranks, torch.device]:
    """Join the process group if there is one; returns this process's ranks and device.

    Parameters
    ----------
    device
        The device asked for; under a group a CUDA device becomes ``cuda:LOCAL_RANK``.
    backend
        ``"gloo"`` or ``"nccl"``; default: :func:`default_backend`. Used only when this call
        initialises the group (an already initialised group keeps its own).

    Returns
    -------
    tuple
        ``(Ranks(), device)`` outside a group.

    Notes
    -----
    The group that :func:`join` initialises stays for later calls in the process (destroying
    the default group and creating it again proved fragile under gloo: connections were reset)
    and is destroyed when the process exits.
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} or None, got {backend!r}")
    initialised = dist.is_available() and dist.is_initialized()
    if not initialised and not group_environment():
        return Ranks(), device
    if not dist.is_available():
        raise RuntimeError("the torchrun environment is set but torch.distributed is not "
                           "available in this torch build")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not initialised:
        dist.init_process_group(backend or default_backend(device))
        atexit.register(_destroy_group)
    return Ranks(dist.get_rank(), dist.get_world_size(), local_rank), device


def _destroy_group() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
