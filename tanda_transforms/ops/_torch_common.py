"""Helpers shared by the batched (torch) photometric kernels of the op families: the value
range of each input dtype, per-sample argument shaping (``[n, 1, 1, 1]`` float32, or ``[n]``
with float64 kept), exact IEEE divisions and TF32-free CUDA products, the identity argument's
exact copy, the alpha carry and grey identity of the colour ops, the ITU-R 601-2 luma, and
grouping samples by a distinct
argument value (for ops whose kernel size depends on it).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator

import numpy as np
import torch

from tanda_transforms.ops._numpy_common import _LUMA  # ITU-R 601-2, one definition

Tensor = torch.Tensor
PerSample = Tensor | float

_VALUE_MAX: dict[torch.dtype, float] = {torch.uint8: 255.0, torch.float32: 1.0}
if hasattr(torch, "uint16"):  # torch >= 2.3
    _VALUE_MAX[torch.uint16] = 65535.0


def value_max(dtype: torch.dtype) -> float:
    """The largest value of ``dtype``'s images (255, 65535, or 1.0 for float32).

    Raises
    ------
    ValueError
        For any other dtype.

    Examples
    --------
    >>> value_max(torch.uint8)
    255.0
    """
    try:
        return _VALUE_MAX[dtype]
    except KeyError:
        message = f"dtype must be torch.uint8, torch.uint16 or torch.float32, got {dtype}"
        raise ValueError(message) from None


def _is_integer(dtype: torch.dtype) -> bool:
    return value_max(dtype) != 1.0


def _per_sample(value: PerSample, x: Tensor) -> Tensor:
    """A per-sample argument as a float32 ``[n, 1, 1, 1]`` tensor on ``x``'s device."""
    value = torch.as_tensor(value, dtype=torch.float32, device=x.device)
    if value.ndim == 1 and len(value) == x.shape[0]:
        return value.view(-1, 1, 1, 1)
    return value.expand(x.shape[0]).reshape(-1, 1, 1, 1)


def _argument(value: PerSample, x: Tensor) -> Tensor:
    """A per-sample argument as a ``[n]`` tensor on ``x``'s device, float64 kept as float64.

    For the few ops that compute with the argument in double precision, as the per-image
    op does with the TF's Python float (hue's degrees, a blur's kernel, integer roundings).
    """
    value = torch.as_tensor(value, device=x.device)
    if value.dtype != torch.float64:
        value = value.to(torch.float32)
    return value.expand(x.shape[0])


def _scaled_argument(value: Tensor, scale: float) -> Tensor:
    """``value * scale`` in float64, the product the per-image op rounds to a whole number.

    A float32 ``value`` (the kernel contract) is the TF's Python float rounded, which moves
    the product by up to ``2**-24`` of itself; a product that close to an integer or a half
    is taken to be on it, where Python's product of a short decimal lands (``0.3 * 15`` is
    exactly 4.5). float64 values are used as they are.
    """
    product = value.double() * scale
    if value.dtype == torch.float64:
        return product
    grid = torch.round(product * 2.0) / 2.0
    close = (product - grid).abs() <= product.abs() * 2.0**-23
    return torch.where(close, grid, product)


def _integer_levels(x: Tensor, dtype: torch.dtype) -> Tensor:
    """The integer levels (float32) of an image of an integer ``dtype`` given on [0, 1]."""
    return (x * value_max(dtype)).round_()


def _divide(numerator: Tensor | float, denominator: Tensor | float) -> Tensor:
    """``numerator / denominator`` as one IEEE division, like numpy's.

    torch computes ``scalar / tensor`` (and, on CUDA, ``tensor / scalar``) as a product with
    the reciprocal, which can be one unit in the last place off; two tensors are divided.
    """
    like = numerator if isinstance(numerator, Tensor) else denominator
    numerator = torch.as_tensor(numerator, dtype=like.dtype, device=like.device)
    denominator = torch.as_tensor(denominator, dtype=like.dtype, device=like.device)
    return numerator / denominator


def _equals(value: Tensor, constant: float) -> Tensor | np.ndarray:
    """Which samples' argument ``value`` (``[n]`` or ``[n, 1, 1, 1]``) is ``constant``: a
    host bool array ``[n]`` for CPU tensors (numpy's comparison of a few values costs a
    fraction of a torch op), else a bool tensor on the device, without a sync."""
    if value.device.type == "cpu" and not value.requires_grad:
        return value.numpy().reshape(-1) == constant
    return value == constant


def _keep_where(identity: Tensor | np.ndarray, x: Tensor, out: Tensor) -> Tensor:
    """``out`` (modified in place), with the samples where ``identity`` (bool, ``[n]`` or
    ``[n, 1, 1, 1]``, a tensor or, for CPU tensors, a host array) holds copied from ``x``.

    The per-image ops return an exact copy for their identity argument (factor 1, shift 0),
    where the blend formula would round. On the CPU, where ``torch.where`` over an image
    costs some ten elementwise ops (a branch per value), the samples are found with one host
    check and copied; elsewhere one ``where`` into ``out``, without a sync.
    """
    if out.device.type != "cpu":
        mask = torch.as_tensor(identity, device=out.device).view(-1, *([1] * (out.ndim - 1)))
        return torch.where(mask, x, out, out=out)
    host = identity.reshape(-1)
    host = host if isinstance(host, np.ndarray) else host.numpy()
    if not host.any():
        return out
    if host.all():
        return out.copy_(x)
    index = torch.from_numpy(np.flatnonzero(host))
    return out.index_copy_(0, index, x.index_select(0, index))


def check_batch(x: Tensor) -> None:
    """Raise ValueError unless ``x`` is a float32 tensor ``[n, C, H, W]`` (a kernel's input)."""
    if not isinstance(x, Tensor) or x.ndim != 4 or x.dtype != torch.float32:
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a float32 tensor [n, C, H, W], got {got}")


def _carry_alpha_batch(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap ``op(x, ...)`` so that on 4-channel (RGBA) input it sees RGB and alpha is kept."""

    @functools.wraps(op)
    def wrapper(x: Tensor, *args, **kwargs) -> Tensor:
        if x.shape[1] != 4:
            return op(x, *args, **kwargs)
        colour = op(x[:, :3], *args, **kwargs)
        return torch.cat([colour, x[:, 3:]], dim=1)

    return wrapper


def _colour_op(op: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Wrap an RGB-only ``op``: identity on grey (C = 1), alpha carried on RGBA (C = 4)."""
    carried = _carry_alpha_batch(op)

    @functools.wraps(op)
    def wrapper(x: Tensor, *args, **kwargs) -> Tensor:
        channels = x.shape[1]
        if channels == 1:
            return x.clone()
        if channels not in (3, 4):
            raise ValueError(
                f"{op.__name__.removesuffix('_batch')} is a colour op and needs 1 (grey), "
                f"3 (RGB) or 4 (RGBA) channels, got {channels}"
            )
        return carried(x, *args, **kwargs)

    return wrapper


def _luma(x: Tensor) -> Tensor:
    """ITU-R 601-2 luma ``[n, 1, H, W]`` of RGB ``[n, 3, H, W]``, summed in numpy's order."""
    grey = x[:, 0:1] * _LUMA[0]
    term = x[:, 1:2] * _LUMA[1]
    grey += term
    torch.mul(x[:, 2:3], _LUMA[2], out=term)
    return grey.add_(term)


def _groups(values: Tensor) -> Iterator[tuple[float, Tensor | None]]:
    """``(value, indices)`` for each distinct per-sample value (indices None: all samples).

    For ops whose kernel size depends on the argument; one host sync for the whole group.
    """
    distinct = torch.unique(values)
    if distinct.numel() == 1:
        yield float(distinct[0]), None
        return
    for value in distinct.tolist():
        yield value, torch.nonzero(values == value).squeeze(1)


def _by_group(x: Tensor, values: PerSample, fn: Callable[[Tensor, float], Tensor]) -> Tensor:
    """Apply ``fn(samples, value)`` to the samples of each distinct per-sample value."""
    values = _argument(values, x)
    out = None
    for value, index in _groups(values):
        if index is None:
            return fn(x, value)
        if out is None:
            out = torch.empty_like(x)
        out.index_copy_(0, index, fn(x.index_select(0, index), value))
    return out


@contextlib.contextmanager
def _ieee_float32_convolutions(device: torch.device) -> Iterator[None]:
    """Turn off cuDNN's TF32 convolutions (on by default in torch: 10-bit mantissas, errors
    near 1e-3) for convolutions that must match the float32 per-image ops."""
    if device.type != "cuda":
        yield
        return
    previous = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32 = previous


@contextlib.contextmanager
def _ieee_float32_matmuls(device: torch.device) -> Iterator[None]:
    """Turn off TF32 matrix products on CUDA (off by default, unless a user turned it on)."""
    if device.type != "cuda":
        yield
        return
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
