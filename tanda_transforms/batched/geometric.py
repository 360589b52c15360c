"""Geometric TFs on batches: per-sample warps as tensors, composed and resampled once per run.

A geometric step of one sample is either **affine**, kept as its inverse 3 x 3 matrix
(output pixel ``(x, y)`` -> source pixel), or **dense**, kept as a displacement field
``[2, H, W]`` (source = pixel + displacement), the same two forms as the per-image
:class:`~tanda_transforms.functional.AffineWarp` and
:class:`~tanda_transforms.functional.DenseWarp`. Warps of TFs without a random part
(rotate, zoom, shear, translate, flips, swirl, and user ops) are built once per image size by
the TF's own numpy builder and moved to the device; random ops with a batched kernel (elastic
deformation, pad-and-crop, a user's :class:`~tanda_transforms.ops.kernel.WarpKernel`
registered with ``register_op(..., batched=...)``) draw per sample on the device; other
random ops build their warp per sample with numpy.

:class:`PendingRuns` keeps every sample's run as it grows and pulls the output grid back
through it, as :func:`~tanda_transforms.functional.composition.compose_run` does;
:func:`resample` reads the image there once, bilinearly, reflecting past the edge
(reflect-101, as the per-image path).

Examples
--------
>>> import torch
>>> from tanda_transforms import TF
>>> warp = warp_of(TF("hflip"), (2, 3), torch.device("cpu"))
>>> (warp.inverse[0] + 0.0).tolist()  # + 0.0: no negative zeros
[[-1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from tanda_transforms.functional import AffineWarp, DenseWarp
from tanda_transforms.ops.photometric.filters import gaussian_smooth
from tanda_transforms.tfs import TF

__all__ = [
    "AffineSteps", "DenseSteps", "PendingRuns", "elastic_steps",
    "random_warps", "resample", "smooth_fields", "translations", "warp_of",
]

Tensor = torch.Tensor


@dataclasses.dataclass
class AffineSteps:
    """Affine warps of ``n`` samples: ``inverse`` is ``[n, 3, 3]`` float32 (output -> source)."""

    inverse: Tensor


@dataclasses.dataclass
class DenseSteps:
    """Dense warps of ``n`` samples: ``displacement`` is ``[n, 2, H, W]`` float32 (x, then y)."""

    displacement: Tensor


Steps = AffineSteps | DenseSteps
_EYE = torch.eye(3)


@functools.lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int, device: torch.device) -> Tensor:
    """``[2, H, W]`` float32 pixel positions, the x plane then the y plane (cached: do not
    modify)."""
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float32, device=device),
        torch.arange(w, dtype=torch.float32, device=device),
        indexing="ij",
    )
    return torch.stack([xs, ys])


def from_numpy_warp(warp: AffineWarp | DenseWarp, device: torch.device) -> Steps:
    """One numpy warp as a batch of one."""
    if isinstance(warp, AffineWarp):
        inverse = np.vstack([warp.inverse, [0.0, 0.0, 1.0]])
        return AffineSteps(torch.tensor(inverse, dtype=torch.float32, device=device)[None])
    h, w = warp.shape
    grid = _pixel_grid(h, w, torch.device("cpu"))
    maps = torch.from_numpy(np.stack([warp.map_x, warp.map_y]))
    return DenseSteps((maps - grid)[None].to(device))


def warp_of(tf: TF, shape: tuple[int, int], device: torch.device) -> Steps:
    """The warp of a geometric TF without a random part, for images of ``shape`` (H, W)."""
    return from_numpy_warp(tf.warp(shape), device)


# --- random geometric TFs, drawn per sample on the device ------------------------------------


def smooth_fields(noise: Tensor, sigma: float) -> Tensor:
    """Gaussian-smooth ``[n, k, H, W]`` fields as the per-image elastic does (OpenCV's kernel,
    reflect-101; ``sigma = 0``: a copy).

    Examples
    --------
    >>> smooth_fields(torch.ones(1, 2, 9, 9), 1.0).sub(1).abs().max().item() < 1e-6
    True
    """
    return gaussian_smooth(noise, sigma)


def elastic_steps(noise: Tensor, alpha: float, sigma: float) -> DenseSteps:
    """Elastic warps from drawn noise (see :func:`tanda_transforms.functional.elastic_warp`)."""
    return DenseSteps(smooth_fields(noise, sigma).mul_(alpha))


def translations(tx: Tensor, ty: Tensor) -> AffineSteps:
    """Inverse matrices of translations by ``(tx, ty)`` pixels (``[n]`` each)."""
    inverse = torch.eye(3, device=tx.device).repeat(len(tx), 1, 1)
    inverse[:, 0, 2], inverse[:, 1, 2] = -tx.float(), -ty.float()
    return AffineSteps(inverse)


def random_warps(
    tf: TF, n: int, shape: tuple[int, int], generator: torch.Generator, device: torch.device
) -> Steps:
    """``n`` draws of a random geometric TF: its registered
    :class:`~tanda_transforms.ops.kernel.WarpKernel` (``draw``, then ``warps``), else its
    numpy warp builder per sample."""
    kernel = tf.spec.batched
    if kernel is not None:
        args = tf.arguments
        return _checked_steps(tf, kernel.warps(kernel.draw(n, shape, args, generator), shape,
                                               args), n, shape)
    seeds = torch.randint(0, 2**62, (n,), generator=generator, device=generator.device).tolist()
    warps = [from_numpy_warp(tf.warp(shape, np.random.default_rng(s)), device) for s in seeds]
    return concat(warps, shape)


def _checked_steps(tf: TF, steps: object, n: int, shape: tuple[int, int]) -> Steps:
    """A warp kernel's result, if it is ``n`` affine or dense warps of ``shape``."""
    if isinstance(steps, AffineSteps) and tuple(steps.inverse.shape) == (n, 3, 3):
        return steps
    if isinstance(steps, DenseSteps) and tuple(steps.displacement.shape) == (n, 2, *shape):
        return steps
    raise TypeError(f"the batched kernel of {tf!r} must return AffineSteps [{n}, 3, 3] or "
                    f"DenseSteps [{n}, 2, {shape[0]}, {shape[1]}], got {steps!r:.120}")


RandomKernel = Callable[[int, tuple[int, int], dict, torch.Generator], Steps]


def __getattr__(name: str) -> Any:
    """``RANDOM_KERNELS``: op name -> ``fn(n, (H, W), args, generator) -> Steps``, for every
    registered random geometric op with a batched kernel (read from the registry)."""
    if name != "RANDOM_KERNELS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from tanda_transforms.registry import available_ops, get_op

    specs = [get_op(op) for op in available_ops()]
    return {spec.name: _draw_then_warps(spec.batched) for spec in specs
            if spec.kind == "geometric" and spec.batched is not None}


def _draw_then_warps(kernel: Any) -> RandomKernel:
    def random_kernel(n: int, shape: tuple[int, int], args: dict, generator: torch.Generator):
        return kernel.warps(kernel.draw(n, shape, args, generator), shape, args)

    return random_kernel


def concat(parts: list[Steps], shape: tuple[int, int]) -> Steps:
    """Stack warps of ``shape``; if they mix kinds, the affine ones become dense fields.

    Examples
    --------
    >>> shift = translations(torch.tensor([1.0]), torch.tensor([0.0]))
    >>> both = concat([shift, DenseSteps(torch.zeros(1, 2, 2, 3))], (2, 3))
    >>> both.displacement.shape, both.displacement[0, 0, 0].tolist()
    (torch.Size([2, 2, 2, 3]), [-1.0, -1.0, -1.0])
    """
    if all(isinstance(p, AffineSteps) for p in parts):
        return AffineSteps(torch.cat([p.inverse for p in parts]))
    return DenseSteps(torch.cat([_as_dense(p, shape) for p in parts]))


def _as_dense(steps: Steps, shape: tuple[int, int]) -> Tensor:
    """``[n, 2, H, W]`` displacements of warps (affine ones: source position - pixel)."""
    if isinstance(steps, DenseSteps):
        return steps.displacement
    grid = _pixel_grid(*shape, steps.inverse.device)
    return _apply_affine(steps.inverse, grid[None]) - grid


# --- composition and resampling ---------------------------------------------------------------


def _apply_affine(inverse: Tensor, xy: Tensor) -> Tensor:
    """``inverse`` ``[n, 3, 3]`` applied to planar positions ``xy`` ``[n or 1, 2, H, W]``
    (the x plane, then the y plane): ``c + a x``, then ``+ b y``, both output planes at once.

    Positions are planar wherever they are computed on (the pull-backs through dense warps):
    per-sample coefficients broadcast over whole planes, where over interleaved ``(x, y)``
    pairs torch's CPU kernels would run an innermost axis of 2, 2 to 3 times slower a call
    with the interleaving copy included. Only ``grid_sample`` gets interleaved grids.
    """
    m = inverse[:, :2, :, None, None]  # [n, 2, 3, 1, 1]: rows x then y
    out = torch.addcmul(m[:, :, 2], m[:, :, 0], xy[:, 0:1])
    return out.addcmul_(m[:, :, 1], xy[:, 1:2])


def _affine_grid(inverse: Tensor, h: int, w: int) -> Tensor:
    """``grid_sample`` coordinates ``[n, H, W, 2]`` of pure affine warps.

    Each output coordinate is ``a x + b y + c``: a row term plus a column term, so the grid is
    one broadcast sum (``affine_grid`` multiplies per pixel, several times slower on CPUs),
    written contiguously (into a strided half per coordinate is ~8x slower on CPUs).
    """
    along_x, along_y = _affine_terms(inverse, h, w)
    return torch.add(along_y.transpose(1, 2)[:, :, None, :], along_x.transpose(1, 2)[:, None])


def _planar_affine_grid(inverse: Tensor, h: int, w: int) -> Tensor:
    """:func:`_affine_grid`'s coordinates as planes, ``[n, 2, H, W]`` (the same values)."""
    along_x, along_y = _affine_terms(inverse, h, w)
    return torch.add(along_y[:, :, :, None], along_x[:, :, None, :])


def _affine_terms(inverse: Tensor, h: int, w: int) -> tuple[Tensor, Tensor]:
    """The two terms ``a x`` and ``b y + c`` of pure affine warps' ``grid_sample``
    coordinates (both output coordinates): ``[n, 2, W]`` along the columns, ``[n, 2, H]``
    along the rows; one product of the matrices in ``grid_sample`` units (``S A`` on pixel
    positions) with the columns ``(x, 0, 0)`` and rows ``(0, y, 1)`` side by side."""
    units, basis = _grid_basis(h, w, inverse.device)
    terms = torch.addcmul(units[1], inverse[:, :2], units[0]).matmul(basis)  # [n, 2, W + H]
    return terms[:, :, :w], terms[:, :, w:]


@functools.lru_cache(maxsize=8)
def _grid_basis(h: int, w: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """The units ``[2, 2, 3]``, scale then shift, that take the top rows of pixel matrices
    to ``grid_sample`` units (``A * scale + shift``: rows times ``2 / (size - 1)``, -1 added
    to the constants), and the basis ``[3, W + H]``: the pixel columns ``(x, 0, 0)`` then the
    rows ``(0, y, 1)``."""
    sx, sy = _scale(h, w)
    scale = torch.tensor([[sx], [sy]], device=device)  # [2, 1]
    shift = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]], device=device)
    basis = torch.zeros(3, w + h, device=device)
    basis[0, :w] = torch.arange(w, dtype=torch.float32, device=device)
    basis[1, w:] = torch.arange(h, dtype=torch.float32, device=device)
    basis[2, w:] = 1.0
    return torch.stack([scale.expand(2, 3), shift]), basis


def _pull_back_dense(displacement: Tensor, planar: Tensor) -> Tensor:
    """Source positions ``[n, 2, H, W]`` of dense warps at the planar positions ``planar``
    (``grid_sample`` coordinates): the positions plus their displacement there."""
    disp = F.grid_sample(displacement, _interleaved(planar), mode="bilinear",
                         padding_mode="border", align_corners=True)
    return disp.add_(planar)


def _interleaved(planar: Tensor) -> Tensor:
    """Planar positions ``[n, 2, H, W]`` as a ``grid_sample`` grid ``[n, H, W, 2]``."""
    return planar.permute(0, 2, 3, 1).contiguous()


def _scale(h: int, w: int) -> tuple[float, float]:
    """Pixels -> ``grid_sample`` units along x and y (``align_corners=True``)."""
    return 2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)


def _in_grid_units(inverse: Tensor, h: int, w: int) -> Tensor:
    """Inverse matrices ``[n, 3, 3]`` on pixel positions as matrices on ``grid_sample``
    coordinates, ``S A S^-1`` (``S``: pixels -> [-1, 1])."""
    frame, back = _frames(h, w, inverse.device)
    return frame @ inverse @ back


@functools.lru_cache(maxsize=8)
def _frames(h: int, w: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """``S`` (pixels -> ``grid_sample`` units) and its inverse, ``[3, 3]`` float32."""
    sx, sy = _scale(h, w)
    frame = torch.tensor([[sx, 0.0, -1.0], [0.0, sy, -1.0], [0.0, 0.0, 1.0]],
                         dtype=torch.float64)
    return frame.float().to(device), torch.linalg.inv(frame).float().to(device)


class PendingRuns:
    """Every sample's pending run of warps, composed as it grows.

    Affine warps multiply into one inverse matrix per sample as they arrive (``affine``,
    since the run's last dense warp); a dense warp is kept as a row of a field store with
    the matrix before it (a sample's ``k``-th dense warp in slot ``k``). So a run without
    dense warps costs one matrix per sample, and :meth:`grid` pulls the output grid back
    through the run as :func:`~tanda_transforms.functional.composition.compose_run` does:
    the trailing matrix, then each dense warp (its displacement sampled bilinearly, extended
    by its edge) and the matrix before it, from the last to the first; the samples' last
    dense warps together, then their second to last, and so on (one ``grid_sample`` per
    depth, whatever step each warp came from).

    Parameters
    ----------
    n
        Samples.
    shape
        ``(H, W)``.
    device
        Where the warps live.
    table
        Optional displacement fields ``[k, 2, H, W]`` that :meth:`add_table` refers to by row
        (the non-random dense TFs of a library), copied only when first used.
    """

    #: drawn fields (elastic) per sample kept before those of ended runs are dropped
    COMPACT_AT = 4

    def __init__(self, n: int, shape: tuple[int, int], device: torch.device,
                 table: Tensor | None = None) -> None:
        self.shape, self.device = shape, device
        self.affine = torch.eye(3, device=device).repeat(n, 1, 1)
        self.pending = np.zeros(n, dtype=bool)  # samples with a pending run (host)
        # host flags: an affine warp was multiplied into ``affine`` since its last reset, and
        # into each slot's ``before`` (False: the matrix is exactly the identity)
        self.moved = np.zeros(n, dtype=bool)
        self.before_moved = np.zeros((n, 0), dtype=bool)
        self.count = np.zeros(n, dtype=np.int64)  # dense warps in each pending run (host)
        self.before = torch.empty(n, 0, 3, 3, device=device)  # [n, slots, 3, 3]
        self.field = np.empty((n, 0), dtype=np.int64)  # store rows [n, slots] (host)
        self._fields = _FieldStore(table, shape, device)

    def add(self, rows: np.ndarray, steps: Steps) -> None:
        """Append warps to the runs of the samples ``rows`` (host indices)."""
        rows = np.asarray(rows)
        if isinstance(steps, DenseSteps):
            self._add_dense(rows, self._fields.append(steps.displacement))
            return
        on_device = self._on_device(rows)
        self.affine[on_device] = self.affine.index_select(0, on_device) @ steps.inverse
        self.pending[rows] = self.moved[rows] = True

    def add_table(self, rows: np.ndarray, table_rows: np.ndarray) -> None:
        """Append the table's dense warps ``table_rows`` (host indices) to the runs of the
        samples ``rows``."""
        self._add_dense(rows, self._fields.table_ids(table_rows))

    def _on_device(self, rows: np.ndarray) -> Tensor:
        return torch.from_numpy(rows).to(self.device)

    def _add_dense(self, rows: np.ndarray, ids: np.ndarray) -> None:
        slot = self.count[rows]
        if int(slot.max()) >= self.before.shape[1]:
            self._grow()
        on_device, slot_on = self._on_device(rows), self._on_device(slot)
        self.before[on_device, slot_on] = self.affine.index_select(0, on_device)
        self.field[rows, slot] = ids
        self.before_moved[rows, slot] = self.moved[rows]
        self.affine[on_device] = _EYE.to(self.device)
        self.moved[rows] = False
        self.count[rows] += 1
        self.pending[rows] = True

    def _grow(self) -> None:
        n, slots = self.field.shape
        extra = max(slots, 2)
        self.before = torch.cat([self.before, self.before.new_empty(n, extra, 3, 3)], 1)
        self.field = np.concatenate([self.field, np.empty((n, extra), np.int64)], 1)
        self.before_moved = np.concatenate([self.before_moved, np.zeros((n, extra), bool)], 1)

    def grid(self, chosen: np.ndarray, consume: bool) -> Tensor:
        """``grid_sample`` coordinates ``[m, H, W, 2]`` (``align_corners=True``) of the runs
        of the samples ``chosen`` (host indices); ``consume`` ends those runs."""
        h, w = self.shape
        chosen = np.asarray(chosen)
        on_device = self._on_device(chosen)
        post = self.affine.index_select(0, on_device)
        grid = _affine_grid(post, h, w)
        depth = self.count[chosen]
        touched = np.flatnonzero(depth)
        if len(touched):
            at = self._on_device(touched)
            planar = self._pull_back(chosen[touched], post.index_select(0, at))
            grid[at] = planar.permute(0, 2, 3, 1)
        if consume:
            self.affine[on_device] = _EYE.to(self.device)
            self.pending[chosen] = self.moved[chosen] = False
            self.count[chosen] = 0
            if not self.pending.any():
                self._fields.clear()
            elif self._fields.drawn > self.COMPACT_AT * len(self.count):
                self._compact()
        return grid

    def _compact(self) -> None:
        """Drop the drawn fields of ended runs from the store (else it holds every elastic
        draw of a call until no run is pending)."""
        holders = np.flatnonzero(self.count)
        counts = self.count[holders]
        rows = np.repeat(holders, counts)
        slots = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
        self.field[rows, slots] = self._fields.compact(self.field[rows, slots])

    def _pull_back(self, samples: np.ndarray, post: Tensor) -> Tensor:
        """Source positions ``[m, 2, H, W]`` (planes, ``grid_sample`` units) of the runs of
        ``samples``, each with dense warps: the grids of their trailing matrices ``post``
        pulled back through their dense warps and the matrices before them.

        A dense warp met at the pixels themselves (the last of a run with no affine warp
        after it) is its own source map, as ``compose_run`` takes it: no sampling. Which
        matrices are the identity is known on the host (no affine warp multiplied in), so
        a run whose affine warps cancel (two flips) samples its field at the pixels, which
        is exact up to the rounding of ``grid_sample`` units.
        """
        h, w = self.shape
        depth = self.count[samples]
        for d in range(1, int(depth.max()) + 1):
            mine = np.flatnonzero(depth >= d)
            rows, slot = samples[mine], depth[mine] - d
            on_rows, on_slot = self._on_device(rows), self._on_device(slot)
            fields = self._fields.rows(self.field[rows, slot])
            before = _Matrices(self.before[on_rows, on_slot], self.before_moved[rows, slot])
            if d == 1:  # every sample
                out = _pull_back_last(fields, _Matrices(post, self.moved[samples]), h, w)
                planar = before.apply(out, h, w)
                continue
            at = self._on_device(mine)
            current = planar.index_select(0, at)
            out = _pull_back_dense(fields, current)
            planar[at] = before.apply(out, h, w)
        return planar


@dataclasses.dataclass(frozen=True)
class _Matrices:
    """Pixel-position matrices ``[m, 3, 3]`` and which of them may differ from the identity
    (host bool ``[m]``; False: exactly the identity)."""

    inverse: Tensor
    moved: np.ndarray

    def apply(self, planar: Tensor, h: int, w: int) -> Tensor:
        """The matrices applied to planar ``grid_sample`` coordinates ``[m, 2, H, W]``
        (``planar``, updated in place where only some move; often none does: a run that
        starts or ends with its dense warp)."""
        moving = np.flatnonzero(self.moved)
        if len(moving) == len(planar):
            return _apply_affine(_in_grid_units(self.inverse, h, w), planar)
        if len(moving):
            at = torch.from_numpy(moving).to(planar.device)
            inverse = _in_grid_units(self.inverse.index_select(0, at), h, w)
            planar[at] = _apply_affine(inverse, planar.index_select(0, at))
        return planar


class _FieldStore:
    """The displacement fields ``[k, 2, H, W]`` of the pending dense warps in
    ``grid_sample`` units, one growing tensor (capacity doubled when full), the table's
    fields first."""

    def __init__(self, table: Tensor | None, shape: tuple[int, int], device: torch.device):
        self.table, self.shape, self.device = table, shape, device
        sx, sy = _scale(*shape)
        self.units = torch.tensor([sx, sy], device=device).view(1, 2, 1, 1)
        self.store: Tensor | None = None
        self.used = 0

    def table_ids(self, table_rows: np.ndarray) -> np.ndarray:
        """Store rows of the table's fields (the table is copied in on first use)."""
        if self.store is None:
            self._reserve(0)
        return table_rows

    def append(self, fields: Tensor) -> np.ndarray:
        """Store ``fields`` ``[m, 2, H, W]``; their rows ``[m]`` (host)."""
        self._reserve(len(fields))
        start = self.used
        torch.mul(fields, self.units, out=self.store[start:start + len(fields)])
        self.used += len(fields)
        return np.arange(start, self.used)

    def rows(self, ids: np.ndarray) -> Tensor:
        return self.store.index_select(0, torch.from_numpy(ids).to(self.device))

    @property
    def base(self) -> int:
        """Rows of the table's fields, before the drawn ones."""
        return 0 if self.table is None else len(self.table)

    @property
    def drawn(self) -> int:
        """Drawn fields stored, in use or not."""
        return 0 if self.store is None else self.used - self.base

    def clear(self) -> None:
        """Drop the drawn fields (no run refers to them any more); the table's stay."""
        self.used = 0 if self.store is None else self.base

    def compact(self, ids: np.ndarray) -> np.ndarray:
        """Keep only the drawn fields that ``ids`` (the rows in use, host) refer to, moved
        to the front; returns ``ids`` renumbered."""
        drawn = ids >= self.base
        keep = np.unique(ids[drawn])  # sorted
        self.store[self.base:self.base + len(keep)] = self.rows(keep)
        self.used = self.base + len(keep)
        out = ids.copy()
        out[drawn] = self.base + np.searchsorted(keep, ids[drawn])
        return out

    def _reserve(self, extra: int) -> None:
        if self.store is None:
            base = self.base
            self.store = torch.empty(max(base + extra, 1), 2, *self.shape, device=self.device)
            if base:
                torch.mul(self.table, self.units, out=self.store[:base])
            self.used = base
        elif self.used + extra > len(self.store):
            grown = torch.empty(2 * (self.used + extra), 2, *self.shape, device=self.device)
            grown[:self.used] = self.store[:self.used]
            self.store = grown


def _pull_back_last(fields: Tensor, post: _Matrices, h: int, w: int) -> Tensor:
    """Source positions ``[m, 2, H, W]`` of the runs' last dense warps at the grids of their
    trailing matrices ``post``: sampled where a matrix moves its grid off the pixels, else
    the field at the pixels."""
    moving = np.flatnonzero(post.moved)
    if len(moving) == len(fields):
        return _pull_back_dense(fields, _planar_affine_grid(post.inverse, h, w))
    out = torch.add(_pixel_units(h, w, fields.device), fields)
    if len(moving):
        at = torch.from_numpy(moving).to(fields.device)
        grid = _planar_affine_grid(post.inverse.index_select(0, at), h, w)
        out[at] = _pull_back_dense(fields.index_select(0, at), grid)
    return out


@functools.lru_cache(maxsize=8)
def _pixel_units(h: int, w: int, device: torch.device) -> Tensor:
    """``[2, H, W]``: the pixels in ``grid_sample`` units, as :func:`_planar_affine_grid`
    gives them for the identity (cached: do not modify)."""
    return _planar_affine_grid(torch.eye(3, device=device)[None], h, w)[0]


def resample(images: Tensor, grid: Tensor, mode: str = "bilinear") -> Tensor:
    """Read ``images`` ``[n, C, H, W]`` at ``grid_sample`` coordinates ``grid`` (``mode``
    bilinear, or nearest for masks; reflect-101 past the edge)."""
    return F.grid_sample(images, grid, mode=mode, padding_mode="reflection", align_corners=True)


def frame_steps(shift: Tensor) -> AffineSteps:
    """The context frame's whole-pixel shifts ``[n, 2]`` (dy, dx) as affine warps."""
    return translations(shift[:, 1], shift[:, 0])

