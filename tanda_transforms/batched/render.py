"""Render a batch of sampled sequences, one per sample, with the per-image path's stages.

The batch is walked step by step. At each step the samples that drew a geometric TF add its
warp to their pending run; the samples that drew a photometric TF first resample their
pending run (once, for all of them together: :func:`~tanda_transforms.batched.geometric.
source_grid` then one ``grid_sample``), then go through the op's kernel, grouped by op
(one call per op and step, arguments per sample). After the last step (and the context frame's
shift, a last geometric step) every pending run is resampled. Integer batches are rounded to
their levels after every stage, as the per-image path stores each stage in the input's dtype.

Photometric ops without a batched kernel run per sample on the CPU with numpy (warning once
per op); geometric ops need no kernel (their warps are built once per size by their numpy
builder) unless they have a random part (see :mod:`tanda_transforms.batched.geometric`).

Examples
--------
>>> import torch
>>> from tanda_transforms import TF, TFLibrary
>>> renderer = Renderer(TFLibrary([TF("hflip"), TF("invert")]))
>>> x = torch.tensor([[[[0.0, 0.5, 1.0]]]])
>>> gen = torch.Generator().manual_seed(0)
>>> renderer.render(x, torch.tensor([[0, 1]]), torch.float32, gen).flatten().tolist()
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from tanda_transforms.batched import geometric as geo
from tanda_transforms.functional import AffineWarp, DenseWarp
from tanda_transforms.ops.kernel import PhotometricKernel, value_max
from tanda_transforms.registry import get_op
from tanda_transforms.sequence import SampledBatch
from tanda_transforms.tfs import TF, TFLibrary

__all__ = ["DrawnWarps", "Renderer", "batched_renderer", "numpy_warp", "value_max"]

Tensor = torch.Tensor
_WARNED: set[str] = set()


def quantise(x: Tensor, dtype: torch.dtype) -> Tensor:
    """Round float ``x`` in [0, 1] to the levels of ``dtype`` (unchanged for float32)."""
    if dtype == torch.float32:
        return x
    vmax = torch.tensor(value_max(dtype), device=x.device)  # a true division, as numpy's k / 255
    return x.mul(vmax).round_().div_(vmax)


class _PhotometricOp:
    """One photometric op of a library: its kernel (or None) and its TFs' argument table."""

    def __init__(self, op: str, tfs: list[tuple[int, TF]], kernel: PhotometricKernel | None,
                 size: int):
        self.op, self.kernel = op, kernel
        # an op that returns its input (identity) is skipped: no gather, no copy, no write
        self.returns_input = kernel is not None and kernel.returns_input
        self.tfs = dict(tfs)  # library index -> TF
        self.table = _argument_table(tfs, size) if kernel is not None else None

    def args(self, indices: np.ndarray, device: torch.device) -> dict[str, Tensor]:
        """Each sample's arguments (float64 ``[n]`` on ``device``) from its TF index
        (gathered on the host: numpy's fancy indexing costs a fraction of torch's)."""
        return {name: torch.from_numpy(column[indices]).to(device)
                for name, column in self.table.items()}


def _argument_table(tfs: list[tuple[int, TF]], size: int) -> dict[str, np.ndarray] | None:
    """``{arg: [size] float64}`` (numpy): the arguments of the op's TFs at their library
    index (defaults filled in; NaN elsewhere); None when an argument is not a number (such
    TFs run per sample)."""
    values = {index: tf.arguments for index, tf in tfs}
    names = sorted({name for v in values.values() for name in v})
    table = {}
    for name in names:
        column = [v.get(name) for v in values.values()]
        if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in column):
            return None
        table[name] = np.full(size, np.nan)
        table[name][list(values)] = column  # float64, as the TFs hold them
    return table


class Renderer:
    """Applies per-sample TF sequences of one library to batches (see the module docstring).

    Parameters
    ----------
    library
        The TFs that actions index.
    kernels
        Photometric kernels by op name; default: the built-in ones and those registered with
        ``register_op(..., batched=...)``.
    """

    def __init__(self, library: TFLibrary, kernels: Mapping[str, PhotometricKernel] | None = None):
        self.library = library
        by_op: dict[str, list[tuple[int, TF]]] = {}
        for index, tf in enumerate(library):
            if tf.kind != "geometric":
                by_op.setdefault(tf.op, []).append((index, tf))
        self.ops = {
            op: _PhotometricOp(op, tfs, _kernel_of(op) if kernels is None else kernels.get(op),
                               len(library))
            for op, tfs in by_op.items()
        }
        self._tables: dict[tuple[tuple[int, int], torch.device], _WarpTables] = {}

    @property
    def all_batched(self) -> bool:
        """Whether every photometric op has a batched kernel taking its TFs' arguments (else
        those run per sample with numpy)."""
        return all(op.kernel is not None and op.table is not None for op in self.ops.values())

    def render(
        self,
        x: Tensor,
        actions: Tensor,
        dtype: torch.dtype,
        generator: torch.Generator,
        frame_shift: Tensor | None = None,
        overwrite: bool = False,
        mask: Tensor | None = None,
        drawn: DrawnWarps | None = None,
    ) -> Tensor:
        """Apply ``actions[i]`` to ``x[i]`` for every sample (a new tensor, or ``x`` itself
        with ``overwrite``).

        Parameters
        ----------
        x
            ``[n, C, H, W]`` float32 in [0, 1] (quantised to ``dtype``'s levels).
        actions
            ``[n, L]`` TF indices (any device).
        dtype
            The caller's dtype: integer batches are rounded to its levels after every stage.
        generator
            Draws the random parts of TFs, on ``x``'s device.
        frame_shift
            ``[n, 2]`` whole-pixel shifts ``(dy, dx)`` after the TFs, or None.
        overwrite
            Render in ``x`` itself (for callers that own it) instead of a copy.
        mask
            Optional ``[n, K, H, W]`` float32 labels, moved in place with the geometric runs
            (nearest neighbour, the same grids); photometric TFs leave it alone.
        drawn
            Optional :class:`DrawnWarps` that records the random geometric TFs' draws
            (``x``'s rows are its samples), for the targets that follow the images.
        """
        state = _Walk(self, x if overwrite else x.clone(), dtype, generator, mask, drawn)
        for column in actions.cpu().numpy().T:
            state.step(column)
        if frame_shift is not None:
            state.runs.add(np.arange(len(x)), geo.frame_steps(frame_shift.to(x.device)))
        state.flush(state.runs.pending)
        return state.x

    def intermediates(
        self, x: Tensor, actions: Tensor, dtype: torch.dtype, generator: torch.Generator,
        out: Tensor | None = None,
    ) -> Tensor:
        """``[L + 1, n, C, H, W]``: every sample after each of its steps, ``x_0`` first, as
        :meth:`~tanda_transforms.sequence.CompiledSequence.intermediates` renders one image
        (``x_t`` resamples the current geometric run once). For the learner, which passes
        ``out`` (a tensor of that shape, x's dtype and device) to have them written there
        instead of into new memory.
        """
        shape = (actions.shape[1] + 1, *x.shape)
        if out is None:
            out = torch.empty(shape, dtype=x.dtype, device=x.device)
        elif out.shape != shape or out.dtype != x.dtype or out.device != x.device:
            raise ValueError(f"out must be a {x.dtype} tensor of shape {shape} on {x.device}, "
                             f"got {out.dtype} {tuple(out.shape)} on {out.device}")
        out[0] = x
        state = _Walk(self, x.clone(), dtype, generator)
        for t, column in enumerate(actions.cpu().numpy().T, start=1):
            state.step(column)
            state.snapshot(out[t])
        return out

    def render_batch(self, x: Tensor, batch: SampledBatch, dtype: torch.dtype,
                     generator: torch.Generator, mask: Tensor | None = None,
                     record: bool = False) -> DrawnWarps | None:
        """Render a :class:`~tanda_transforms.sequence.SampledBatch` in place: the samples
        ``p`` let through, each with its actions and frame shift; the others are left alone.

        ``x`` (``[B, C, H, W]`` float32) and ``mask`` (optional ``[B, K, H, W]`` float32
        labels) are the caller's and change in place; ``dtype``, ``generator``: as for
        :meth:`render`. With ``record``, returns the :class:`DrawnWarps` of the random
        geometric TFs (indexed by batch row), for targets; else None.

        Examples
        --------
        >>> from tanda_transforms import TF, TFLibrary
        >>> x = torch.tensor([[[[0.0, 1.0]]], [[[0.0, 1.0]]]])
        >>> batch = SampledBatch(torch.tensor([[0], [0]]), torch.tensor([True, False]))
        >>> _ = Renderer(TFLibrary([TF("hflip")])).render_batch(
        ...     x, batch, torch.float32, torch.Generator())
        >>> x.flatten().tolist()
        [1.0, 0.0, 0.0, 1.0]
        """
        rows = batch.rows
        shape = (int(x.shape[-2]), int(x.shape[-1]))
        drawn = DrawnWarps(rows.tolist(), shape) if record else None
        frame = None if batch.frame_shifts is None else batch.frame_shifts[rows]
        if len(rows) == len(x):
            self.render(x, batch.actions, dtype, generator, frame, overwrite=True, mask=mask,
                        drawn=drawn)
        elif len(rows):
            chosen = rows.to(x.device)
            mine = None if mask is None else mask[chosen]
            x[chosen] = self.render(x[chosen], batch.actions[rows], dtype, generator, frame,
                                    overwrite=True, mask=mine, drawn=drawn)
            if mask is not None:
                mask[chosen] = mine
        return drawn

    def tables(self, shape: tuple[int, int], device: torch.device) -> _WarpTables:
        """The warps of the library's geometric TFs without a random part, for ``shape``."""
        key = (shape, device)
        if key not in self._tables:
            self._tables[key] = _WarpTables(self.library, list(self.ops), shape, device)
        return self._tables[key]


class _WarpTables:
    """Every non-random geometric TF's warp for one image size, stacked for gathering
    (``inverse[k]`` for affine TFs, ``displacement[dense_row[k]]`` for dense ones), and how
    a step handles each TF: ``group[k]`` indexes ``groups``, ``("affine", None)``,
    ``("dense", None)``, then ``("random", k)`` per random geometric TF, then
    ``("photometric", op)`` per op (numpy, host-side: a step's bookkeeping is small)."""

    def __init__(self, library: TFLibrary, ops: list[str], shape: tuple[int, int],
                 device: torch.device):
        k = len(library)
        self.inverse = torch.eye(3, device=device).repeat(k, 1, 1)
        self.dense_row = np.full(k, -1, dtype=np.int64)
        random = [i for i, tf in enumerate(library) if tf.kind == "geometric" and tf.random]
        self.groups: list[tuple[str, object]] = [("affine", None), ("dense", None)]
        self.groups += [("random", i) for i in random]
        self.first_photometric = len(self.groups)
        self.groups += [("photometric", op) for op in ops]
        self.group = np.empty(k, dtype=np.int64)
        fields = []
        for index, tf in enumerate(library):
            if tf.kind != "geometric":
                self.group[index] = self.first_photometric + ops.index(tf.op)
            elif tf.random:
                self.group[index] = 2 + random.index(index)
            else:
                warp = geo.warp_of(tf, shape, device)
                if isinstance(warp, geo.AffineSteps):
                    self.group[index], self.inverse[index] = 0, warp.inverse[0]
                else:
                    self.group[index], self.dense_row[index] = 1, len(fields)
                    fields.append(warp.displacement[0])
        self.displacement = torch.stack(fields) if fields else None


class _Walk:
    """The state of one :meth:`Renderer.render`: the images and every sample's pending run."""

    def __init__(self, renderer: Renderer, x: Tensor, dtype: torch.dtype, gen: torch.Generator,
                 mask: Tensor | None = None, drawn: DrawnWarps | None = None):
        self.renderer, self.x, self.dtype, self.generator = renderer, x, dtype, gen
        self.mask, self.drawn, self.t = mask, drawn, 0
        self.shape = (int(x.shape[-2]), int(x.shape[-1]))
        self.tables = renderer.tables(self.shape, x.device)
        self.runs = geo.PendingRuns(len(x), self.shape, x.device, self.tables.displacement)

    def step(self, actions: np.ndarray) -> None:
        """Apply one column of actions (``[n]`` TF indices): resample the runs of the samples
        that drew a photometric TF, extend the others' runs, then one kernel call per op."""
        tables = self.tables
        groups = tables.group[actions]
        self.flush((groups >= tables.first_photometric) & self.runs.pending)
        order = np.argsort(groups, kind="stable")
        counts = np.bincount(groups, minlength=len(tables.groups))
        ends = np.cumsum(counts)
        photometric = []
        for group in np.flatnonzero(counts):
            rows = order[ends[group] - counts[group]:ends[group]]
            kind, what = tables.groups[group]
            if kind != "photometric":
                self._apply_group(kind, what, rows, actions[rows])
            elif not self.renderer.ops[what].returns_input:
                photometric.append((what, rows))
        if photometric:
            self._photometric(photometric, actions)
        self.t += 1

    def _apply_group(self, kind: str, what: object, rows: np.ndarray, indices: np.ndarray
                     ) -> None:
        """The samples ``rows`` drew the TFs ``indices``, all of one geometric group of the
        tables."""
        device = self.x.device
        if kind == "affine":
            at = torch.from_numpy(indices).to(device)
            self.runs.add(rows, geo.AffineSteps(self.tables.inverse.index_select(0, at)))
        elif kind == "dense":
            self.runs.add_table(rows, self.tables.dense_row[indices])
        else:
            tf = self.renderer.library[what]
            steps = geo.random_warps(tf, len(rows), self.shape, self.generator, device)
            self.runs.add(rows, steps)
            if self.drawn is not None:
                self.drawn.add(self.t, rows, steps)

    def flush(self, which: np.ndarray) -> None:
        """Resample the pending runs of the samples ``which`` (a bool mask), once each."""
        chosen = np.flatnonzero(which)
        if not len(chosen):
            return
        rows = torch.from_numpy(chosen).to(self.x.device)
        grid = self.runs.grid(chosen, consume=True)
        _put_rows(self.x, chosen, self._resampled(rows, grid))
        if self.mask is not None:
            _put_rows(self.mask, chosen,
                      geo.resample(self.mask.index_select(0, rows), grid, mode="nearest"))

    def snapshot(self, out: Tensor | None = None) -> Tensor:
        """Every sample's image as it stands (in ``out`` if given): pending runs resampled,
        nothing consumed."""
        out = self.x.clone() if out is None else out.copy_(self.x)
        chosen = np.flatnonzero(self.runs.pending)
        if len(chosen):
            rows = torch.from_numpy(chosen).to(self.x.device)
            _put_rows(out, chosen, self._resampled(rows, self.runs.grid(chosen, consume=False)))
        return out

    def _resampled(self, rows: Tensor, grid: Tensor) -> Tensor:
        """The images ``rows`` read at ``grid``, rounded to the caller's levels."""
        return quantise(geo.resample(self.x.index_select(0, rows), grid), self.dtype)

    def _photometric(self, groups: list[tuple[str, np.ndarray]], actions: np.ndarray) -> None:
        """One kernel call per op of ``groups`` (``(op, rows)``, each sample in one): the
        images of all of them gathered at once (one ``index_select`` a step instead of one an
        op), each op's samples a contiguous slice of them."""
        rows = np.concatenate([op_rows for _, op_rows in groups])
        images = self.x.index_select(0, torch.from_numpy(rows).to(self.x.device))
        start = 0
        for op, op_rows in groups:
            mine = images[start:start + len(op_rows)]
            start += len(op_rows)
            out = self._kernel_output(self.renderer.ops[op], mine, actions[op_rows])
            _put_rows(self.x, op_rows, quantise(out, self.dtype))

    def _kernel_output(self, entry: _PhotometricOp, images: Tensor, indices: np.ndarray
                       ) -> Tensor:
        """The op's result on ``images``, whose samples drew its TFs ``indices``."""
        if entry.kernel is None or entry.table is None:
            return _per_sample(entry, images, indices, self.dtype, self.generator)
        args = entry.args(indices, self.x.device)
        draws = {}
        if entry.kernel.draw is not None:
            draws = entry.kernel.draw(len(images), tuple(images.shape[1:]), args, self.generator)
        return _checked(entry.op, entry.kernel.apply(images, args, draws, self.dtype), images)


class DrawnWarps(Mapping):
    """The random geometric TFs' warps one render drew: ``drawn[(sample, step)]`` is the
    per-image path's numpy warp of that draw (built when read), for the targets that follow
    the images (:meth:`SampledBatch.sample_warps
    <tanda_transforms.sequence.SampledBatch.sample_warps>`).

    Parameters
    ----------
    samples
        The sample (batch row) of each row the render walked.
    shape
        ``(H, W)`` of the images.
    """

    def __init__(self, samples: Sequence[int], shape: tuple[int, int]) -> None:
        self.samples, self.shape = list(samples), shape
        self._steps: dict[tuple[int, int], tuple[geo.Steps, int]] = {}

    def add(self, step: int, rows: np.ndarray, steps: geo.Steps) -> None:
        """Record the draws ``steps`` of the render's rows ``rows`` at ``step``."""
        for j, row in enumerate(rows.tolist()):
            self._steps[(self.samples[row], step)] = (steps, j)

    def __getitem__(self, key: tuple[int, int]) -> AffineWarp | DenseWarp:
        steps, j = self._steps[key]
        return numpy_warp(steps, j, self.shape)

    def __iter__(self):
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)


def numpy_warp(steps: geo.Steps, i: int, shape: tuple[int, int]) -> AffineWarp | DenseWarp:
    """Sample ``i`` of batched warps as the per-image path's numpy warp.

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> warp = numpy_warp(geo.warp_of(TF("hflip"), (2, 3), torch.device("cpu")), 0, (2, 3))
    >>> warp.map_points(np.array([[0.0, 0.0]])).tolist()
    [[2.0, 0.0]]
    """
    if isinstance(steps, geo.AffineSteps):
        forward = np.linalg.inv(steps.inverse[i].detach().cpu().double().numpy())
        return AffineWarp(forward[:2], shape)
    displacement = steps.displacement[i].detach().cpu().numpy()
    h, w = shape
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return DenseWarp(xs + displacement[0], ys + displacement[1])


def _checked(op: str, out: object, images: Tensor) -> Tensor:
    """A kernel's result, if it is a float32 tensor of the input's shape and device."""
    if (not isinstance(out, torch.Tensor) or out.dtype != torch.float32
            or out.shape != images.shape or out.device != images.device):
        got = (f"{out.dtype} {tuple(out.shape)} on {out.device}" if isinstance(out, torch.Tensor)
               else type(out).__name__)
        raise TypeError(f"the batched kernel of op {op!r} must return a float32 tensor "
                        f"{tuple(images.shape)} on {images.device}, got {got}")
    return out


def _per_sample(entry: _PhotometricOp, images: Tensor, indices: Tensor, dtype: torch.dtype,
                generator: torch.Generator) -> Tensor:
    """A photometric op without a batched kernel: numpy, one sample at a time, on the CPU."""
    if entry.op not in _WARNED:
        _WARNED.add(entry.op)
        warnings.warn(
            f"op {entry.op!r} has no batched kernel: batched() applies it per sample with numpy "
            "on the CPU (slow; register one with register_op(..., batched=...))",
            RuntimeWarning, stacklevel=4,
        )
    seeds = torch.randint(0, 2**62, (len(images),), generator=generator,
                          device=generator.device).tolist()
    vmax = value_max(dtype)
    np_dtype = {torch.uint8: np.uint8, torch.uint16: np.uint16}.get(dtype, np.float32)
    out = torch.empty_like(images)
    for i, (index, seed) in enumerate(zip(indices.tolist(), seeds, strict=True)):
        tf = entry.tfs[index]
        img = _to_numpy(images[i], vmax, np_dtype)
        result = tf(img, np.random.default_rng(seed) if tf.random else None)
        out[i] = _from_numpy(result, vmax, images.shape[1]).to(images.device)
    return out


def _to_numpy(img: Tensor, vmax: float, np_dtype: type) -> np.ndarray:
    """``[C, H, W]`` float in [0, 1] -> H x W (x C) numpy in the caller's dtype."""
    arr = img.detach().cpu().permute(1, 2, 0).numpy()
    if vmax != 1.0:
        arr = np.rint(arr * vmax).astype(np_dtype)
    return np.ascontiguousarray(arr[..., 0] if arr.shape[2] == 1 else arr)


def _from_numpy(arr: np.ndarray, vmax: float, channels: int) -> Tensor:
    out = torch.from_numpy(np.asarray(arr, dtype=np.float32) / np.float32(vmax))
    return out.reshape(*out.shape[:2], channels).permute(2, 0, 1)


def _kernel_of(op: str) -> PhotometricKernel | None:
    """The op's batched kernel, as ``register_op(..., batched=...)`` registered it, or None."""
    registered = get_op(op).batched
    return None if registered is None else PhotometricKernel.coerce(registered)


#: The most pixels per image for which ``render="auto"`` renders batched on a CPU: a learning
#: step (LSTM, L = 10, 160 sequences, 2 quiet threads) was x1.05-1.09 faster batched at 32 x 32
#: (CIFAR-10 pack) and x1.19-1.41 at 28 x 28 (MNIST pack, batch 16-32), but x0.92 at 48 x 48,
#: x0.80 at 64 and x0.65 at 96 (docs/benchmark.md; ``benchmark_learning.py --render-choice``).
BATCHED_CPU_PIXELS = 32 * 32


def batched_renderer(mode: str, library: TFLibrary, device: torch.device,
                     image_shape: tuple[int, int] | None = None) -> Renderer | None:
    """The learner's renderer for ``LearnConfig.render``: a :class:`Renderer`, or None for
    the per-image path. ``"auto"``: batched on CUDA; on a CPU batched only for images of at
    most :data:`BATCHED_CPU_PIXELS` pixels (``image_shape``) whose photometric ops all have
    batched kernels; larger images render faster one at a time with OpenCV.

    Examples
    --------
    >>> from tanda_transforms import TFLibrary
    >>> mnist, cpu = TFLibrary.coerce("mnist"), torch.device("cpu")
    >>> batched_renderer("auto", mnist, cpu, (28, 28)) is not None
    True
    >>> batched_renderer("auto", mnist, cpu, (224, 224)) is None
    True
    """
    if mode == "per_image":
        return None
    renderer = Renderer(library)
    if mode == "auto" and torch.device(device).type != "cuda":
        small = image_shape is not None and image_shape[0] * image_shape[1] <= BATCHED_CPU_PIXELS
        if not (small and renderer.all_batched):
            return None
    return renderer


def _put_rows(dest: Tensor, rows: np.ndarray, values: Tensor) -> None:
    """``dest[rows] = values`` (host indices): on CPUs with numpy, which copies whole rows,
    about twice as fast as torch's index_put there."""
    if dest.device.type == "cpu" and not (dest.requires_grad or values.requires_grad):
        dest.numpy()[rows] = values.numpy()
    else:
        dest[torch.from_numpy(rows).to(dest.device)] = values
