"""``TANDAPolicy.batched()``: a policy as a ``torch.nn.Module`` over batches, one sequence per
sample, on any device.

Examples
--------
>>> import torch
>>> from tanda_transforms import TANDAPolicy
>>> augment = TANDAPolicy("cifar10", seq_len=3).batched(seed=0)
>>> x = torch.rand(8, 3, 32, 32)
>>> y = augment(x)
>>> y.shape, y.dtype, len(augment.last_sequences)
(torch.Size([8, 3, 32, 32]), torch.float32, 8)
>>> torch.equal(augment.manual_seed(0)(x), y)   # the same seed, the same draws
True
"""

from __future__ import annotations

import torch
from torch import nn

from tanda_transforms.batched.boxes import (
    check_boxes,
    check_keypoints,
    move_boxes,
    move_keypoints,
)
from tanda_transforms.batched.render import Renderer, value_max
from tanda_transforms.seeding import derive_seed, process_key, stream_seed
from tanda_transforms.sequence import SampledBatch, SequencePolicy

__all__ = ["BatchedPolicy"]

Tensor = torch.Tensor
_DTYPES = (torch.uint8, torch.uint16, torch.float32)
_CHANNELS = (1, 3, 4)


class _Streams:
    """One process's generators: sequences on the sampler's device, TF draws on the data's."""

    def __init__(self, seed: int, key: tuple) -> None:
        self.key, self.seed = key, seed
        self._generators: dict[torch.device, torch.Generator] = {}

    def on(self, device: torch.device) -> torch.Generator:
        if device not in self._generators:
            # one stream per device, derived from the seed (CPU and CUDA cannot share one)
            key = 0 if device.type == "cpu" else 1 + (device.index or 0)
            seed = self.seed if key == 0 else derive_seed(self.seed, key)
            self._generators[device] = torch.Generator(device).manual_seed(seed % 2**63)
        return self._generators[device]


def _stream_key() -> tuple:
    rank = torch.distributed.get_rank() if _distributed() else 0
    return (*process_key(), rank)


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


class BatchedPolicy(nn.Module):
    """A :class:`~tanda_transforms.TANDAPolicy` over batches ``[B, C, H, W]``, per sample.

    Made by :meth:`TANDAPolicy.batched <tanda_transforms.TANDAPolicy.batched>`. Each sample
    draws its own sequence from the policy's sampler, its own ``p`` verdict and context-frame
    shift, and its own random parts of TFs; the rendering is the per-image path's (one
    resampling per geometric run, reflect-101 past the edge), in torch on the batch's device.

    Parameters
    ----------
    policy
        The policy (its sampler, TFs, ``seq_len``, ``p`` and ``frame`` are read at each call,
        so changing ``policy.p`` between epochs works here too).
    seed
        Seed of this module's streams (``None``: the policy's seed). Each DataLoader worker
        and each distributed rank gets its own stream from it (rank 0 and the main process
        use it as it is). When both are ``None``, every call draws from torch's default
        generator (``torch.manual_seed`` controls it, as for torchvision's transforms).

    Attributes
    ----------
    last_sample : SampledBatch or None
        What the last call drew (see :class:`~tanda_transforms.sequence.SampledBatch`);
        ``last_actions``, ``last_applied`` and ``last_frame_shifts`` are its fields.
    """

    def __init__(self, policy: SequencePolicy, seed: int | None = None) -> None:
        super().__init__()
        self.policy = policy
        self.renderer = Renderer(policy.library)
        self.seed = policy.seed if seed is None else seed
        self._streams: _Streams | None = None
        self.last_sample: SampledBatch | None = None

    @property
    def last_actions(self) -> Tensor | None:
        """``[B, L]`` TF indices drawn by the last call."""
        return None if self.last_sample is None else self.last_sample.actions

    @property
    def last_applied(self) -> Tensor | None:
        """``[B]`` bool: which samples ``p`` let through (the others came back unchanged)."""
        return None if self.last_sample is None else self.last_sample.applied

    @property
    def last_frame_shifts(self) -> Tensor | None:
        """``[B, 2]`` whole-pixel context-frame shifts ``(dy, dx)`` of the last call (None
        for a policy without a frame)."""
        return None if self.last_sample is None else self.last_sample.frame_shifts

    def manual_seed(self, seed: int | None) -> BatchedPolicy:
        """Restart the streams from ``seed`` (``None``: every call from torch's default
        generator)."""
        self.seed, self._streams = seed, None
        return self

    @property
    def last_sequences(self) -> list[list[str]] | None:
        """Names of the TFs the last call applied to each sample (``[]`` where ``p`` skipped)."""
        if self.last_actions is None:
            return None
        applied = self.last_applied.tolist()
        return [self.policy.names(row) if keep else []
                for row, keep in zip(self.last_actions.tolist(), applied, strict=True)]

    def forward(
        self, x: Tensor, mask: Tensor | None = None, boxes: list[Tensor] | None = None,
        keypoints: list[Tensor] | None = None,
    ) -> Tensor | tuple:
        """Augment ``x`` ``[B, C, H, W]`` (uint8, uint16 or float32 in [0, 1]), per sample.

        Returns a new tensor of the same dtype, shape and device; with targets, the tuple of
        the images then the targets given, in the order ``masks, boxes, keypoints`` (e.g.
        ``(images, masks)`` or ``(images, masks, boxes)``). ``mask`` (``[B, H, W]`` or
        ``[B, K, H, W]`` labels: bool, integer or float32, on ``x``'s device) is moved by
        each sample's geometric TFs (nearest neighbour, as the per-image path moves a
        ``tv_tensors.Mask``); ``boxes`` (a list of ``B`` entries, each a
        ``tv_tensors.BoundingBoxes`` or a float XYXY tensor ``[k, 4]``) and ``keypoints``
        (``B`` entries, each a ``tv_tensors.KeyPoints`` or a float ``(x, y)`` tensor
        ``[k, 2]``) as the per-image path moves ``BoundingBoxes`` and ``KeyPoints`` (see
        :mod:`tanda_transforms.batched.boxes`). Not differentiable: a tensor that requires
        grad is refused (pass ``x.detach()``).

        Examples
        --------
        >>> import torch
        >>> from tanda_transforms import TANDAPolicy
        >>> augment = TANDAPolicy("cifar10", seq_len=2).batched(seed=0)
        >>> images, masks = augment(torch.rand(4, 3, 8, 8), torch.zeros(4, 8, 8, dtype=torch.long))
        >>> masks.shape, masks.dtype
        (torch.Size([4, 8, 8]), torch.int64)
        """
        _check_batch(x)
        labels = None if mask is None else _mask_as_float(mask, x)
        shape = (int(x.shape[-2]), int(x.shape[-1]))
        boxes = None if boxes is None else check_boxes(boxes, len(x), shape)
        keypoints = None if keypoints is None else check_keypoints(keypoints, len(x), shape)
        if not len(x):  # an empty batch: nothing to draw or render, empty results back
            self._record_empty()
            return _empty_results(x, mask, boxes, keypoints)
        streams = self._current_streams()
        batch = self.policy.sample_batch(len(x), streams.on(self.policy.sampler_device),
                                         streams.on(torch.device("cpu")))
        self.last_sample = batch
        # the whole batch in float (a new tensor; exact for every level of uint8 and uint16),
        # so that skipped samples come back unchanged and uint16 needs no integer indexing
        out = x.clone() if x.dtype == torch.float32 else x.float() / value_max(x.dtype)
        # rendered in place into out and labels (made here, outside inference mode, so they
        # stay ordinary tensors): inference mode spares the call's temporaries autograd's
        # bookkeeping, 6-8 % of a call at 32 px
        with torch.inference_mode():
            points = boxes is not None or keypoints is not None
            drawn = self.renderer.render_batch(out, batch, x.dtype, streams.on(x.device),
                                               mask=labels, record=points)
        images = _to_dtype(out, x.dtype)
        results = [] if labels is None else [labels.round().to(mask.dtype).reshape(mask.shape)]
        if points:  # the samples' warps on the host, for the targets moved there
            library, applied = self.policy.library, batch.applied.tolist()
            warps = [batch.sample_warps(i, library, shape, drawn) if keep else None
                     for i, keep in enumerate(applied)]
            if boxes is not None:
                results.append(move_boxes(boxes, warps, shape))
            if keypoints is not None:
                results.append(move_keypoints(keypoints, warps))
        return (images, *results) if results else images

    def _record_empty(self) -> None:
        """The ``last_*`` attributes of a call on an empty batch."""
        self.last_sample = SampledBatch.empty(self.policy.seq_len, bool(self.policy.frame))

    def _current_streams(self) -> _Streams:
        key = _stream_key()
        if self.seed is None:  # torchvision's convention: every call from torch's generator
            seed, rank = int(torch.randint(0, 2**62, (1,)).item()), key[-1]
            return _Streams(derive_seed(seed, rank) if rank else seed, key)
        if self._streams is None or self._streams.key != key:
            seed, rank = stream_seed(self.seed), key[-1]
            self._streams = _Streams(derive_seed(seed, rank) if rank else seed, key)
        return self._streams

    def extra_repr(self) -> str:
        return f"tfs={len(self.policy.library)}, seq_len={self.policy.seq_len}, p={self.policy.p}"


def _empty_results(x: Tensor, mask: Tensor | None, boxes: list | None,
                   keypoints: list | None) -> Tensor | tuple:
    """What a call on an empty batch returns: new empty tensors, as a non-empty call would."""
    results = [x.clone()]
    if mask is not None:
        results.append(mask.clone())
    results += [[] for targets in (boxes, keypoints) if targets is not None]
    return tuple(results) if len(results) > 1 else results[0]


def _check_batch(x: object) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"batched policies take a torch.Tensor [B, C, H, W], got {type(x).__name__}"
        )
    if x.ndim != 4:
        raise ValueError(f"expected a batch [B, C, H, W], got shape {tuple(x.shape)}")
    if x.dtype not in _DTYPES:
        raise TypeError(f"expected dtype uint8, uint16 or float32 in [0, 1], got {x.dtype}")
    if x.shape[1] not in _CHANNELS:
        raise ValueError(f"expected 1, 3 or 4 channels, got {x.shape[1]} (shape {tuple(x.shape)})")
    if 0 in x.shape[2:]:
        raise ValueError(f"images need H and W of at least 1, got shape {tuple(x.shape)} (an "
                         "empty batch, B = 0, is fine)")
    if x.requires_grad:
        raise ValueError("batched policies are not differentiable (their TFs are black boxes): "
                         "got a tensor that requires grad; pass x.detach()")
    if x.dtype == torch.float32 and x.numel():
        low, high = torch.aminmax(x)
        if not (bool(low >= 0) and bool(high <= 1)):  # NaN fails both
            raise ValueError(
                f"float32 batches must hold finite values in [0, 1], got [{low.item()}, "
                f"{high.item()}]"
            )


_EXACT_LABELS = 2**24  # every integer up to this is exact in float32


def _mask_as_float(mask: object, x: Tensor) -> Tensor:
    """``[B, K, H, W]`` float32 labels (a new tensor) from a mask that matches ``x``."""
    if not isinstance(mask, torch.Tensor):
        raise TypeError(f"mask must be a torch.Tensor [B, H, W] or [B, K, H, W], got "
                        f"{type(mask).__name__}")
    labels = mask[:, None] if mask.ndim == 3 else mask
    if labels.ndim != 4 or labels.shape[0] != x.shape[0] or labels.shape[2:] != x.shape[2:]:
        raise ValueError(f"mask must be [B, H, W] or [B, K, H, W] matching the images "
                         f"{tuple(x.shape)}, got {tuple(mask.shape)}")
    if mask.device != x.device:
        raise ValueError(f"mask is on {mask.device} but the images are on {x.device}")
    if mask.dtype.is_complex or (mask.dtype.is_floating_point and mask.dtype != torch.float32):
        raise TypeError(f"mask dtype must be bool, an integer type or float32, got {mask.dtype}")
    if not mask.dtype.is_floating_point and mask.dtype != torch.bool and mask.numel():
        low, high = torch.aminmax(mask.to(torch.int64))
        if int(low) < -_EXACT_LABELS or int(high) > _EXACT_LABELS:
            raise ValueError(f"integer mask labels must be in [-2**24, 2**24], got "
                             f"[{int(low)}, {int(high)}]")
    return labels.to(torch.float32, copy=True)


def _to_dtype(x: Tensor, dtype: torch.dtype) -> Tensor:
    if dtype == torch.float32:
        return x
    return x.mul(value_max(dtype)).round_().to(dtype)
