"""Bounding boxes and keypoints of a batched call, moved per sample as the per-image path
moves them.

Each sample's boxes and keypoints go through that sample's geometric TFs, in order, then its
context-frame shift: the per-image path's :func:`~tanda_transforms.targets.warp_boxes` (a box
becomes the bounding box of its warped outline, clipped to the image) and
:func:`~tanda_transforms.targets.warp_keypoints`, on the very warps the batch was rendered
with (:meth:`SampledBatch.sample_warps
<tanda_transforms.sequence.SampledBatch.sample_warps>`: the TFs' own numpy warps, and for
random geometric TFs, elastic and pad and crop, the fields and shifts the call drew on the
device, brought to the host). Boxes are few, so this runs on the CPU, per sample, like the
per-image path.

Boxes are a list with one entry per sample: a ``tv_tensors.BoundingBoxes`` (XYXY, XYWH or
CXCYWH, ``canvas_size`` the batch's ``(H, W)``) or a plain float tensor ``[k, 4]`` taken as
XYXY pixels; each comes back of its own type, format, dtype and device. Keypoints likewise:
a ``tv_tensors.KeyPoints`` ``[k, 2]`` or a plain float tensor ``[k, 2]`` of ``(x, y)`` pixel
positions (not clipped, as :func:`~tanda_transforms.targets.warp_keypoints`).

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

__all__ = ["check_boxes", "check_keypoints", "move_boxes", "move_keypoints"]

Tensor = torch.Tensor
Box = Tensor  # a tv_tensors.BoundingBoxes or a plain [k, 4] tensor
Points = Tensor  # a tv_tensors.KeyPoints or a plain [k, 2] tensor
_KEYPOINTS = getattr(tv_tensors, "KeyPoints", None)  # torchvision >= 0.23


def check_boxes(boxes: object, n: int, shape: tuple[int, int]) -> list[Box]:
    """``boxes`` as a list of ``n`` box tensors for images of ``shape``, or a clear error."""
    return _check_per_sample(boxes, "boxes", n, shape, (4, tv_tensors.BoundingBoxes,
                                                        "float XYXY boxes"))


def check_keypoints(keypoints: object, n: int, shape: tuple[int, int]) -> list[Points]:
    """``keypoints`` as a list of ``n`` ``[k, 2]`` tensors for images of ``shape``, or a
    clear error."""
    return _check_per_sample(keypoints, "keypoints", n, shape, (2, _KEYPOINTS,
                                                                "float (x, y) positions"))


def _check_per_sample(items: object, name: str, n: int, shape: tuple[int, int],
                      kind: tuple[int, type | None, str]) -> list[Tensor]:
    """One ``[k, width]`` tensor per sample: ``tv_type`` on the images' canvas, or plain
    float (``plain`` says what a plain tensor holds); finite."""
    width, tv_type, plain = kind
    tv_name = getattr(tv_type, "__name__", "")
    if not isinstance(items, Sequence) or isinstance(items, Tensor):
        raise TypeError(f"{name} must be a list with one [k, {width}] tensor or {tv_name} per "
                        f"sample, got {type(items).__name__}")
    if len(items) != n:
        raise ValueError(f"{name} must have one entry per sample ({n}), got {len(items)}")
    for i, item in enumerate(items):
        if not isinstance(item, Tensor) or item.ndim != 2 or item.shape[-1] != width:
            got = tuple(item.shape) if isinstance(item, Tensor) else type(item).__name__
            raise ValueError(f"{name}[{i}] must be a [k, {width}] tensor, got {got}")
        if tv_type is not None and isinstance(item, tv_type):
            if tuple(item.canvas_size) != tuple(shape):
                raise ValueError(f"{name}[{i}] has canvas_size {tuple(item.canvas_size)} but "
                                 f"the images are {tuple(shape)}")
        elif not item.dtype.is_floating_point:
            raise TypeError(f"{name}[{i}]: plain tensors must be {plain}, got {item.dtype} "
                            f"(wrap integer {name} in tv_tensors.{tv_name})")
        if item.dtype.is_floating_point and not bool(torch.isfinite(item).all()):
            raise ValueError(f"{name}[{i}] must be finite, got NaN or inf")
    return list(items)


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


def move_keypoints(keypoints: list[Points], warps: list[list | None]) -> list[Points]:
    """Each sample's keypoints through its warps (``warps[i]`` as for :func:`move_boxes`).

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> points = torch.tensor([[0.0, 1.0]])
    >>> flip = TF("hflip").warp((4, 8))
    >>> [p.tolist() for p in move_keypoints([points, points], [[flip], None])]
    [[[7.0, 1.0]], [[0.0, 1.0]]]
    """
    return [points.clone() if sample_warps is None
            else targets.warp_keypoints(points, sample_warps)
            for points, sample_warps in zip(keypoints, warps, strict=True)]
