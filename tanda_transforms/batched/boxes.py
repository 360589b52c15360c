"""Bounding boxes of a batched call, moved per sample as the per-image path moves them.

Each sample's boxes go through that sample's geometric TFs, in order, then its context-frame
shift: the per-image path's :func:`~tanda_transforms.targets.warp_boxes` (a box becomes the
bounding box of its warped outline, clipped to the image) on the very warps the batch was
rendered with (:meth:`SampledBatch.sample_warps
<tanda_transforms.sequence.SampledBatch.sample_warps>`: the TFs' own numpy warps, and for
random geometric TFs, elastic and pad and crop, the fields and shifts the call drew on the
device, brought to the host). Boxes are few, so this runs on the CPU, per sample, like the
per-image path.

Boxes are a list with one entry per sample: a ``tv_tensors.BoundingBoxes`` (XYXY, XYWH or
CXCYWH, ``canvas_size`` the batch's ``(H, W)``) or a plain float tensor ``[k, 4]`` taken as
XYXY pixels; each comes back of its own type, format, dtype and device.

Examples
--------
>>> import torch
>>> from tanda_transforms import TF, TANDAPolicy, TFLibrary
>>> augment = TANDAPolicy(TFLibrary([TF("hflip")]), seq_len=1).batched(seed=0)
>>> box = torch.tensor([[0.0, 0.0, 2.0, 1.0]])
>>> images, boxes = augment(torch.rand(2, 1, 4, 8), boxes=[box, box])
>>> boxes[1].tolist()
[[6.0, 0.0, 8.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchvision import tv_tensors

from tanda_transforms import targets

__all__ = ["check_boxes", "move_boxes"]

Tensor = torch.Tensor
Box = Tensor  # a tv_tensors.BoundingBoxes or a plain [k, 4] tensor


def check_boxes(boxes: object, n: int, shape: tuple[int, int]) -> list[Box]:
    """``boxes`` as a list of ``n`` box tensors for images of ``shape``, or a clear error."""
    if not isinstance(boxes, Sequence) or isinstance(boxes, Tensor):
        raise TypeError(f"boxes must be a list with one [k, 4] tensor or BoundingBoxes per "
                        f"sample, got {type(boxes).__name__}")
    if len(boxes) != n:
        raise ValueError(f"boxes must have one entry per sample ({n}), got {len(boxes)}")
    for i, box in enumerate(boxes):
        if not isinstance(box, Tensor) or box.ndim != 2 or box.shape[-1] != 4:
            got = tuple(box.shape) if isinstance(box, Tensor) else type(box).__name__
            raise ValueError(f"boxes[{i}] must be a [k, 4] tensor, got {got}")
        if isinstance(box, tv_tensors.BoundingBoxes):
            if tuple(box.canvas_size) != tuple(shape):
                raise ValueError(f"boxes[{i}] has canvas_size {tuple(box.canvas_size)} but "
                                 f"the images are {tuple(shape)}")
        elif not box.dtype.is_floating_point:
            raise TypeError(f"boxes[{i}]: plain tensors must be float XYXY boxes, got "
                            f"{box.dtype} (wrap integer boxes in tv_tensors.BoundingBoxes)")
        if box.dtype.is_floating_point and not bool(torch.isfinite(box).all()):
            raise ValueError(f"boxes[{i}] must be finite, got NaN or inf")
    return list(boxes)


def move_boxes(boxes: list[Box], warps: list[list | None], shape: tuple[int, int]) -> list[Box]:
    """Each sample's boxes through its warps (``warps[i]``: numpy warps, in order; ``None``
    for a sample ``p`` skipped: its boxes come back as a copy).

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> box = torch.tensor([[0.0, 0.0, 2.0, 1.0]])
    >>> moved = move_boxes([box, box], [[TF("hflip").warp((4, 8))], None], (4, 8))
    >>> [b.tolist() for b in moved]
    [[[6.0, 0.0, 8.0, 1.0]], [[0.0, 0.0, 2.0, 1.0]]]
    """
    out = []
    for box, sample_warps in zip(boxes, warps, strict=True):
        if sample_warps is None:
            out.append(box.clone())
        elif isinstance(box, tv_tensors.BoundingBoxes):
            out.append(targets.warp_bounding_boxes(box, sample_warps))
        else:
            xyxy = targets.warp_boxes(box.detach().cpu().numpy(), sample_warps, shape)
            out.append(torch.from_numpy(xyxy).to(device=box.device, dtype=box.dtype))
    return out
