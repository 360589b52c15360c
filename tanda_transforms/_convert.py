"""Conversions between the image types a transform meets and the numpy H x W (x C) arrays the
ops work on. Every path keeps dtype, shape and value range; anything the ops cannot take
exactly raises a clear error instead of being cast.

float64 images (tensors and arrays, values in [0, 1], as ``torchvision`` accepts them) are
rendered in float32, the ops' float type, and returned as float64: the output differs from
a float64 computation by float32 rounding (at most 6e-8 on [0, 1]), which no augmentation
can tell. ``tv_tensors.Video`` and batched tensors ``... x C x H x W`` get the one sequence
on every frame or image; an empty batch (a zero leading dimension) comes back empty.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import PIL.Image
import torch
from torchvision import tv_tensors

__all__ = ["apply_to_image", "check_float_range", "check_image_input", "image_layout"]

_TORCH_DTYPES = (torch.uint8, torch.uint16, torch.float32, torch.float64)
_NUMPY_FLOAT64 = np.dtype(np.float64)
_NUMPY_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.float32, np.float64))
_PIL_MODES = ("L", "RGB", "RGBA", "I;16")
_PIL_CHANNELS = {"L": 1, "RGB": 3, "RGBA": 4, "I;16": 1}


def check_float_range(array: np.ndarray, what: str) -> None:
    """Float images must hold values in [0, 1]: the ops would otherwise clip them."""
    if array.dtype.kind == "f" and array.size:
        low, high = float(array.min()), float(array.max())
        if not (0.0 <= low and high <= 1.0):  # NaN fails both
            raise ValueError(
                f"{what}: {array.dtype} images must have values in [0, 1], got [{low:.4g}, "
                f"{high:.4g}]; "
                "apply normalisation after the TANDA policy, not before"
            )


def check_image_input(img, what: str) -> tuple[int, int, int]:
    """Raise the error :func:`apply_to_image` would raise for ``img``, without converting it;
    return its ``(H, W, channels)``.

    Examples
    --------
    >>> check_image_input(np.zeros((4, 5, 3), np.uint8), "policy")
    (4, 5, 3)
    """
    if isinstance(img, PIL.Image.Image):
        _check_pil_mode(img)
        if 0 in img.size:
            raise ValueError(f"{what}: the PIL image is empty ({img.size[0]} x {img.size[1]})")
        return img.size[1], img.size[0], _PIL_CHANNELS[img.mode]
    if isinstance(img, torch.Tensor):
        _check_tensor(img)
        if img.dtype.is_floating_point and img.numel():
            low, high = torch.aminmax(img.detach())
            dtype = np.float32 if img.dtype == torch.float32 else np.float64
            check_float_range(np.array([low.item(), high.item()], dtype), what)
        return int(img.shape[-2]), int(img.shape[-1]), int(img.shape[-3])
    if isinstance(img, np.ndarray):
        from tanda_transforms.functional import check_image

        if img.dtype not in _NUMPY_DTYPES:
            raise TypeError(f"{what}: numpy images must be uint8, uint16, float32 or float64 "
                            f"(floats in [0, 1]), got {img.dtype}")
        check_image(_as_float32_view(img))
        check_float_range(img, what)
        return img.shape[0], img.shape[1], 1 if img.ndim == 2 else img.shape[2]
    apply_to_image(img, lambda a: a)  # raises the TypeError naming the accepted types
    raise AssertionError("unreachable")  # pragma: no cover


def image_layout(img) -> tuple[int, ...]:
    """A small shape with ``img``'s channel layout (``(8, 8)`` or ``(8, 8, C)``), for probes."""
    if isinstance(img, np.ndarray):
        return (8, 8) if img.ndim == 2 else (8, 8, img.shape[2])
    if isinstance(img, PIL.Image.Image):
        channels = _PIL_CHANNELS[img.mode]
        return (8, 8) if channels == 1 else (8, 8, channels)
    return (8, 8, int(img.shape[-3]))


def _as_float32_view(img: np.ndarray) -> np.ndarray:
    """A float64 array as an empty float32 stand-in of its shape, for the shape checks."""
    if img.dtype == _NUMPY_FLOAT64:
        return np.empty(img.shape, np.float32)
    return img


def _check_pil_mode(img: PIL.Image.Image) -> None:
    if img.mode not in _PIL_MODES:
        raise TypeError(
            f"PIL image mode {img.mode!r} is not supported; expected one of {_PIL_MODES} "
            "(convert with img.convert('RGB') or 'L')"
        )


def _check_tensor(img: torch.Tensor) -> None:
    if img.dtype not in _TORCH_DTYPES:
        raise TypeError(
            "tensor images must be uint8, uint16, float32 or float64 (values in [0, 1]), "
            f"got {img.dtype}"
        )
    if img.ndim < 3:
        raise ValueError(
            f"tensor images are C x H x W (or ... x C x H x W), got shape {tuple(img.shape)}"
        )
    if 0 in img.shape[-3:]:
        raise ValueError(
            f"tensor images need C, H and W of at least 1, got shape {tuple(img.shape)} "
            "(an empty batch, zero in a leading dimension, is fine)"
        )


def _float64_safe(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``fn`` for float64 arrays too: rendered in float32, returned as float64."""

    def wrapped(array: np.ndarray) -> np.ndarray:
        if array.dtype != _NUMPY_FLOAT64:
            return fn(array)
        return fn(array.astype(np.float32)).astype(np.float64)

    return wrapped


def _pil_apply(img: PIL.Image.Image, fn: Callable[[np.ndarray], np.ndarray]) -> PIL.Image.Image:
    _check_pil_mode(img)
    out = PIL.Image.fromarray(fn(np.asarray(img)))
    if out.mode != img.mode:  # cannot happen for the modes above: ops keep dtype and shape
        raise RuntimeError(f"PIL mode changed from {img.mode} to {out.mode}")
    return out


def _tensor_apply(img: torch.Tensor, fn: Callable[[np.ndarray], np.ndarray]) -> torch.Tensor:
    _check_tensor(img)
    flat = img.detach().cpu().reshape(-1, *img.shape[-3:])
    if len(flat):
        outs = [fn(np.ascontiguousarray(one.permute(1, 2, 0).numpy())) for one in flat]
        out = torch.from_numpy(np.stack(outs)).permute(0, 3, 1, 2).reshape(img.shape)
    else:  # an empty batch: nothing to render, a new empty tensor back
        out = img.detach().cpu().clone()
    out = out.to(img.device).contiguous()
    return tv_tensors.wrap(out, like=img) if isinstance(img, tv_tensors.TVTensor) else out


def apply_to_image(img, fn: Callable[[np.ndarray], np.ndarray]):
    """Apply ``fn`` (numpy H x W x C -> same) to a PIL image, tensor or numpy array.

    Tensors are C x H x W, or batched ... x C x H x W (``tv_tensors.Video`` included) where
    every image gets the same ``fn`` (as torchvision's transforms do). The result has the
    input's type, dtype and shape; float64 is rendered in float32 (see the module docstring).
    """
    if isinstance(img, PIL.Image.Image):
        return _pil_apply(img, fn)
    if isinstance(img, torch.Tensor):
        return _tensor_apply(img, _float64_safe(fn))
    if isinstance(img, np.ndarray):
        return _float64_safe(fn)(img)
    raise TypeError(
        "expected a PIL image, a torch tensor (C x H x W) or a numpy array (H x W or H x W x C), "
        f"got {type(img).__name__}"
    )
