"""What a policy call transforms, and the checks every call makes up front, before any TF runs.

Which inputs are images follows ``torchvision.transforms.v2``'s heuristic, with numpy arrays
counted as plain tensors: an explicit image (``tv_tensors.Image``, ``tv_tensors.Video``, a
PIL image) makes every plain tensor and array in the sample pass through untouched (they are
labels, extra data); without one, the first plain tensor or array is the image and the rest
pass through. ``tv_tensors.Mask``, ``BoundingBoxes`` and ``KeyPoints`` are targets.

:func:`check_call` then checks the whole call, whatever the sampler draws: every image (type,
dtype, value range, no empty side), every channel count against the policy's TFs (a probe of
each photometric TF on a small image of that layout, cached per library), and every target
against the images (a mask of the images' size, boxes and keypoints on their canvas, finite
box coordinates). Errors name what was expected.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.tfs import TFLibrary
>>> needs_transform_list([np.zeros((4, 4), np.uint8), np.arange(3)])
[True, False]
>>> check_call([np.zeros((4, 4, 2), np.uint8)], TFLibrary.pack("cifar10"), "policy")
Traceback (most recent call last):
...
ValueError: policy: 2-channel images cannot go through every TF of this policy: ...
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import PIL.Image
import torch
from torchvision import tv_tensors

from tanda_transforms import _convert
from tanda_transforms.tfs import TFLibrary

__all__ = ["needs_transform_list", "is_target", "check_call"]

_EXPLICIT_IMAGES = (tv_tensors.Image, tv_tensors.Video, PIL.Image.Image)
_PROBE_SIDE = 8


def _is_plain(inpt: Any) -> bool:
    """A plain tensor (not a TVTensor) or a numpy array: an image only when nothing else is."""
    return isinstance(inpt, np.ndarray) or (
        isinstance(inpt, torch.Tensor) and not isinstance(inpt, tv_tensors.TVTensor)
    )


def needs_transform_list(flat_inputs: Sequence[Any]) -> list[bool]:
    """Which of ``flat_inputs`` a call transforms (see the module docstring)."""
    take_plain = not any(isinstance(inpt, _EXPLICIT_IMAGES) for inpt in flat_inputs)
    needs = []
    for inpt in flat_inputs:
        if _is_plain(inpt):
            needs.append(take_plain)
            take_plain = False
        else:
            needs.append(isinstance(inpt, torch.Tensor | PIL.Image.Image))
    return needs


def is_target(inpt: Any) -> bool:
    """A TVTensor that is not an image or video: moved as a target, not rendered."""
    return isinstance(inpt, tv_tensors.TVTensor) and not isinstance(
        inpt, tv_tensors.Image | tv_tensors.Video
    )


def check_call(flat_inputs: Sequence[Any], library: TFLibrary, what: str) -> None:
    """Check everything a call will transform (images and targets), before any TF runs."""
    sizes = set()
    for inpt in flat_inputs:
        if is_target(inpt):
            continue
        h, w, _ = _convert.check_image_input(inpt, what)
        sizes.add((h, w))
        _check_channels(library, _convert.image_layout(inpt), what)
    for inpt in flat_inputs:
        if is_target(inpt):
            _check_target(inpt, sizes, what)


def _check_target(target: Any, sizes: set[tuple[int, int]], what: str) -> None:
    if isinstance(target, tv_tensors.Mask):
        if target.ndim < 2:
            raise ValueError(f"{what}: a Mask is ... x H x W, got shape {tuple(target.shape)}")
        size, name = tuple(int(s) for s in target.shape[-2:]), "Mask of size"
    elif hasattr(target, "canvas_size"):
        size = tuple(int(s) for s in target.canvas_size)
        name = f"{type(target).__name__} on a canvas"
    else:
        raise TypeError(f"{what} transforms images, Mask, BoundingBoxes and KeyPoints; got "
                        f"{type(target).__name__}")
    if sizes and size not in sizes:
        raise ValueError(f"{what}: a {name} {size} cannot follow images of size "
                         f"{' and '.join(map(str, sorted(sizes)))} (H, W): targets must match "
                         "their image")
    if isinstance(target, tv_tensors.BoundingBoxes) and target.is_floating_point():
        bad = ~torch.isfinite(target.as_subclass(torch.Tensor))
        if bool(bad.any()):
            rows = bad.reshape(-1, target.shape[-1]).any(-1)
            raise ValueError(f"{what}: bounding boxes must be finite, got NaN or inf in "
                             f"{int(rows.sum())} of {len(rows)} boxes")


def _check_channels(library: TFLibrary, layout: tuple[int, ...], what: str) -> None:
    problem = _channel_problem(library, layout)
    if problem is not None:
        channels = 1 if len(layout) == 2 else layout[2]
        raise ValueError(f"{what}: {channels}-channel images cannot go through every TF of "
                         f"this policy: {problem}")


@functools.lru_cache(maxsize=512)
def _channel_problem(library: TFLibrary, layout: tuple[int, ...]) -> str | None:
    """Why a photometric TF of ``library`` refuses images of ``layout``, or None.

    A TF counts as refusing the layout only if it fails on it but works on a grey or an RGB
    image of the same size: a failure on every layout is not about channels (the call
    itself will say what it is)."""
    rng = np.random.default_rng(0)
    probe = rng.integers(0, 256, layout, dtype=np.uint8)
    references = [rng.integers(0, 256, shape, dtype=np.uint8)
                  for shape in ((_PROBE_SIDE, _PROBE_SIDE), (_PROBE_SIDE, _PROBE_SIDE, 3))]
    for tf in library:
        if tf.kind != "photometric":
            continue  # a warp moves any number of channels
        error = _probe(tf, probe)
        if error is not None and any(_probe(tf, ref) is None for ref in references):
            return f"{tf!r} refuses them ({error})"
    return None


def _probe(tf, img: np.ndarray) -> str | None:
    try:
        tf(img, np.random.default_rng(0))
    except Exception as error:  # noqa: BLE001 - any failure is the probe's answer
        return f"{type(error).__name__}: {error}"
    return None
