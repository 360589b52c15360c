"""Conversions between the image types a transform meets and the numpy H x W (x C) arrays the
ops work on. Every path keeps dtype, shape and value range; anything the ops cannot take
exactly raises a clear error instead of being cast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import PIL.Image
import torch
from torchvision import tv_tensors

__all__ = ["apply_to_image", "check_float_range", "check_image_input"]

_TORCH_DTYPES = (torch.uint8, torch.uint16, torch.float32)
_PIL_MODES = ("L", "RGB", "RGBA", "I;16")


def check_float_range(array: np.ndarray, what: str) -> None:
    """Float images must hold values in [0, 1]: the ops would otherwise clip them."""
    if array.dtype == np.float32 and array.size:
        low, high = float(array.min()), float(array.max())
        if not (0.0 <= low and high <= 1.0):
            raise ValueError(
                f"{what}: float32 images must have values in [0, 1], got [{low:.4g}, {high:.4g}]; "
                "apply normalisation after the TANDA policy, not before"
            )


def check_image_input(img, what: str) -> None:
    """Raise the error :func:`apply_to_image` would raise for ``img``, without converting it
    (so a call that ``p`` skips still refuses what a transformed call would refuse)."""
    if isinstance(img, PIL.Image.Image):
        _check_pil_mode(img)
    elif isinstance(img, torch.Tensor):
        _check_tensor(img)
        if img.dtype == torch.float32 and img.numel():
            low, high = float(img.min()), float(img.max())
            if not (0.0 <= low and high <= 1.0):
                check_float_range(np.array([low, high], np.float32), what)
    elif isinstance(img, np.ndarray):
        from tanda_transforms.functional import check_image

        check_image(img)
        check_float_range(img, what)
    else:
        apply_to_image(img, lambda a: a)  # raises the TypeError naming the accepted types


def _check_pil_mode(img: PIL.Image.Image) -> None:
    if img.mode not in _PIL_MODES:
        raise TypeError(
            f"PIL image mode {img.mode!r} is not supported; expected one of {_PIL_MODES} "
            "(convert with img.convert('RGB') or 'L')"
        )


def _check_tensor(img: torch.Tensor) -> None:
    if img.dtype not in _TORCH_DTYPES:
        raise TypeError(
            f"tensor images must be uint8, uint16 or float32 (values in [0, 1]), got {img.dtype}"
        )
    if img.ndim < 3:
        raise ValueError(
            f"tensor images are C x H x W (or ... x C x H x W), got shape {tuple(img.shape)}"
        )


def _pil_apply(img: PIL.Image.Image, fn: Callable[[np.ndarray], np.ndarray]) -> PIL.Image.Image:
    _check_pil_mode(img)
    out = PIL.Image.fromarray(fn(np.asarray(img)))
    if out.mode != img.mode:  # cannot happen for the modes above: ops keep dtype and shape
        raise RuntimeError(f"PIL mode changed from {img.mode} to {out.mode}")
    return out


def _tensor_apply(img: torch.Tensor, fn: Callable[[np.ndarray], np.ndarray]) -> torch.Tensor:
    _check_tensor(img)
    flat = img.detach().cpu().reshape(-1, *img.shape[-3:])
    outs = [fn(np.ascontiguousarray(one.permute(1, 2, 0).numpy())) for one in flat]
    out = torch.from_numpy(np.stack(outs)).permute(0, 3, 1, 2).reshape(img.shape)
    out = out.to(img.device).contiguous()
    return tv_tensors.wrap(out, like=img) if isinstance(img, tv_tensors.TVTensor) else out


def apply_to_image(img, fn: Callable[[np.ndarray], np.ndarray]):
    """Apply ``fn`` (numpy H x W x C -> same) to a PIL image, tensor or numpy array.

    Tensors are C x H x W, or batched ... x C x H x W where every image gets the same ``fn``
    (as torchvision's transforms do). The result has the input's type, dtype and shape.
    """
    if isinstance(img, PIL.Image.Image):
        return _pil_apply(img, fn)
    if isinstance(img, torch.Tensor):
        return _tensor_apply(img, fn)
    if isinstance(img, np.ndarray):
        return fn(img)
    raise TypeError(
        "expected a PIL image, a torch tensor (C x H x W) or a numpy array (H x W or H x W x C), "
        f"got {type(img).__name__}"
    )
