"""A sampled TF sequence (and a sampled batch) as an object, and its rendering with one
resampling per geometric run.

A policy call draws a :class:`SampledSequence`: the TF indices, a seed per step (for the TFs
with a random part), whether the policy's ``p`` let it apply at all, and the offset of the
optional context frame. A batched call draws a :class:`SampledBatch`, the same per sample
(the random parts of its TFs are drawn while the batch renders, on its device).
:func:`draw_verdicts` is where both draw ``p``'s verdict and the frame's shift.
:meth:`SampledSequence.compile` turns a sequence, for one image size, into a
:class:`CompiledSequence` of stages:

* each maximal run of consecutive geometric TFs becomes **one** warp (their warps composed
  with :func:`~tanda_transforms.functional.composition.compose_run`), so the image is interpolated
  once per run, not once per TF: ten alternating ``rotate(+2.5)`` / ``rotate(-2.5)`` are
  the exact identity instead of ten bilinear blurs;
* each photometric TF is a stage of its own.

The compiled sequence is built once per sample and moves the image and every target: masks
through the composed warps (nearest neighbour), boxes and keypoints through the TFs' own
warps in order (exactly as step-by-step rendering moved them). The learner renders the
intermediate images ``x_0 .. x_L`` it shows the discriminator through the same stages
(:meth:`CompiledSequence.intermediates`), so what the discriminator judged is what users get.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TF, TFLibrary
>>> lib = TFLibrary([TF("rotate", degrees=2.5), TF("rotate", degrees=-2.5), TF("invert")])
>>> seq = SampledSequence(actions=(0, 1, 0, 1), step_seeds=(0, 0, 0, 0))
>>> compiled = seq.compile(lib, (8, 8))
>>> len(compiled.stages)
1
>>> img = np.arange(64, dtype=np.uint8).reshape(8, 8)
>>> bool((compiled.apply(img) == img).all())
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import torch

from tanda_transforms import targets
from tanda_transforms.functional import AffineWarp, DenseWarp, check_image
from tanda_transforms.functional.composition import compose_run
from tanda_transforms.generators import SequenceSampler
from tanda_transforms.tfs import TF, TFLibrary

__all__ = [
    "CompiledSequence", "SampledBatch", "SampledSequence", "SequencePolicy", "draw_verdicts",
    "frame_warps",
]

Warp = AffineWarp | DenseWarp
Tensor = torch.Tensor


class SequencePolicy(Protocol):
    """What the modules that read a policy (batched rendering, pictures, summaries) need of
    it: :class:`~tanda_transforms.TANDAPolicy` is one. Typed against this, they do not
    import ``policy.py``, which imports them (no import circle, not even for annotations).
    """

    library: TFLibrary
    sampler: SequenceSampler
    seq_len: int
    seed: int | None
    p: float
    frame: int
    metadata: dict[str, Any]

    @property
    def sampler_device(self) -> torch.device: ...

    def draw_actions(self, n: int, generator: torch.Generator) -> list[tuple[int, ...]]: ...

    def sample_batch(
        self, n: int, sequences: torch.Generator, verdicts: torch.Generator
    ) -> SampledBatch: ...

    def names(self, actions: Sequence[int]) -> list[str]: ...

    def compile(self, sequence: SampledSequence, shape: Sequence[int]) -> CompiledSequence: ...


def draw_verdicts(
    n: int, p: float, frame: int, generator: np.random.Generator | torch.Generator
) -> tuple[np.ndarray | Tensor, np.ndarray | Tensor | None]:
    """``p``'s verdict and the context frame's shift for ``n`` calls: the one place where
    both the per-image path (a numpy generator) and batched policies (a torch generator)
    draw them.

    Returns ``(applied, shifts)``: ``[n]`` bools (``uniform < p``), then ``[n, 2]`` whole-pixel
    shifts ``(dy, dx)`` in ``[-frame, frame]`` (``None`` when ``frame`` is 0: nothing drawn),
    as numpy arrays or as tensors on the generator's device, after the generator's type.

    Examples
    --------
    >>> applied, shifts = draw_verdicts(3, 1.0, 2, np.random.default_rng(0))
    >>> applied.tolist(), shifts.shape, bool(abs(shifts).max() <= 2)
    ([True, True, True], (3, 2), True)
    >>> applied, shifts = draw_verdicts(2, 0.0, 0, torch.Generator().manual_seed(0))
    >>> applied.tolist(), shifts
    ([False, False], None)
    """
    if isinstance(generator, np.random.Generator):
        uniform = generator.random(n)
        shifts = generator.integers(-frame, frame + 1, size=(n, 2)) if frame else None
        return uniform < p, shifts
    device = generator.device
    uniform = torch.rand(n, generator=generator, device=device)
    shifts = None
    if frame:
        shifts = torch.randint(-frame, frame + 1, (n, 2), generator=generator, device=device)
    return uniform < p, shifts


def frame_warps(shift: Sequence[int], shape: tuple[int, int]) -> list[Warp]:
    """The context frame's shift ``(dy, dx)`` as a warp list: a whole-pixel shift of an image
    of ``shape``, or nothing for ``(0, 0)``.

    Examples
    --------
    >>> frame_warps((0, 0), (4, 4))
    []
    >>> frame_warps((1, -2), (4, 4))[0].map_points(np.array([[0.0, 0.0]])).tolist()
    [[-2.0, 1.0]]
    """
    dy, dx = (int(v) for v in shift)
    if (dy, dx) == (0, 0):
        return []
    return [AffineWarp(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), shape)]


@dataclasses.dataclass(frozen=True)
class SampledSequence:
    """What one policy call applies: plain data, so it can be kept, compared and replayed.

    Parameters
    ----------
    actions
        Indices of the TFs in the policy's library, in order.
    step_seeds
        One seed per step, for the random part of TFs that have one.
    applied
        False when the policy's ``p`` skipped this call (the input is returned unchanged).
    frame_shift
        ``(dy, dx)``: the context frame's random crop, a shift by whole pixels applied after
        the TFs (``(0, 0)``: no frame).

    Examples
    --------
    >>> SampledSequence((3, 1), (7, 8)).actions
    (3, 1)
    """

    actions: tuple[int, ...]
    step_seeds: tuple[int, ...]
    applied: bool = True
    frame_shift: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if len(self.actions) != len(self.step_seeds):
            raise ValueError(
                f"a sequence has one seed per step: {len(self.actions)} actions, "
                f"{len(self.step_seeds)} seeds"
            )

    def compile(self, library: TFLibrary, shape: Sequence[int]) -> CompiledSequence:
        """The stages of this sequence for images of ``shape`` (H, W (, C))."""
        return CompiledSequence(library, self, shape)


@dataclasses.dataclass(frozen=True, eq=False)
class SampledBatch:
    """What one batched call applies, per sample: the batch form of :class:`SampledSequence`.

    Drawn by :meth:`TANDAPolicy.sample_batch <tanda_transforms.TANDAPolicy.sample_batch>`;
    read by the batched renderer and by the targets that follow the images. Host tensors.
    The random parts of TFs are not in it: a batched call draws them while it renders, on the
    batch's device, and the renderer hands the random geometric ones to targets as
    ``drawn`` warps (see :meth:`sample_warps`).

    Parameters
    ----------
    actions
        ``[B, L]`` int64 TF indices into the policy's library.
    applied
        ``[B]`` bool: which samples ``p`` let through (the others come back unchanged).
    frame_shifts
        ``[B, 2]`` int64 whole-pixel context-frame shifts ``(dy, dx)``, or ``None`` for a
        policy without a frame.

    Examples
    --------
    >>> import torch
    >>> batch = SampledBatch(torch.tensor([[0, 1], [1, 1]]), torch.tensor([True, False]))
    >>> len(batch), batch.rows.tolist()
    (2, [0])
    """

    actions: Tensor
    applied: Tensor
    frame_shifts: Tensor | None = None

    def __post_init__(self) -> None:
        n = len(self.actions)
        if self.actions.ndim != 2 or self.applied.shape != (n,):
            raise ValueError(f"a sampled batch has actions [B, L] and applied [B], got "
                             f"{tuple(self.actions.shape)} and {tuple(self.applied.shape)}")
        if self.frame_shifts is not None and self.frame_shifts.shape != (n, 2):
            raise ValueError(f"frame_shifts must be [B, 2] = [{n}, 2], got "
                             f"{tuple(self.frame_shifts.shape)}")

    @classmethod
    def empty(cls, seq_len: int, framed: bool) -> SampledBatch:
        """What a call on an empty batch drew: nothing, in the usual shapes."""
        shifts = torch.empty(0, 2, dtype=torch.long) if framed else None
        return cls(torch.empty(0, seq_len, dtype=torch.long), torch.empty(0, dtype=torch.bool),
                   shifts)

    def __len__(self) -> int:
        return len(self.actions)

    @property
    def rows(self) -> Tensor:
        """``[k]`` int64: the samples that ``p`` let through, in order."""
        return torch.nonzero(self.applied).flatten()

    def sample_warps(self, i: int, library: TFLibrary, shape: tuple[int, int],
                     drawn: Mapping[tuple[int, int], Warp]) -> list[Warp]:
        """Sample ``i``'s geometric warps, in order, as the per-image path's numpy warps:
        each geometric TF's own warp (``drawn[(i, step)]`` for those with a random part,
        what the render drew), then the frame's shift; ``[]`` for a sample ``p`` skipped.

        Examples
        --------
        >>> import torch
        >>> from tanda_transforms import TF, TFLibrary
        >>> lib = TFLibrary([TF("hflip"), TF("invert")])
        >>> batch = SampledBatch(torch.tensor([[1, 0]]), torch.tensor([True]),
        ...                      torch.tensor([[0, 1]]))
        >>> warps = batch.sample_warps(0, lib, (2, 4), drawn={})
        >>> targets.warp_points(np.array([[0.0, 0.0]]), warps).tolist()
        [[4.0, 0.0]]
        """
        if not bool(self.applied[i]):
            return []
        warps = []
        for step, action in enumerate(self.actions[i].tolist()):
            tf = library[action]
            if tf.kind == "geometric":
                warps.append(drawn[(i, step)] if tf.random else tf.warp(shape))
        shift = (0, 0) if self.frame_shifts is None else self.frame_shifts[i].tolist()
        return warps + frame_warps(shift, shape)


class _Step:
    """One TF of a sequence, with its warp built (geometric) or its seed kept (photometric)."""

    __slots__ = ("tf", "seed", "warp")

    def __init__(self, tf: TF, seed: int, shape: tuple[int, int]) -> None:
        self.tf, self.seed = tf, seed
        self.warp = tf.warp(shape, self.rng()) if tf.kind == "geometric" else None

    def rng(self) -> np.random.Generator | None:
        return np.random.default_rng(self.seed) if self.tf.random else None


class _States:
    """The states of :meth:`CompiledSequence.intermediates`: a list, or rows of ``out``."""

    def __init__(self, img: np.ndarray, out: np.ndarray | None, steps: int) -> None:
        if out is not None and (out.shape != (steps + 1, *img.shape) or out.dtype != img.dtype):
            raise ValueError(f"out must be an array of shape {(steps + 1, *img.shape)} and "
                             f"dtype {img.dtype} (one row per state), got {out.shape} {out.dtype}")
        self.out, self.filled = out, 1
        self.result: Any = [img] if out is None else out
        if out is not None:
            out[0] = img
        self.last = img

    def append(self, state: np.ndarray) -> np.ndarray:
        """Keep ``state`` (copied into ``out``; a TF that changed its shape or dtype is
        refused there)."""
        if self.out is not None:
            if state.dtype != self.out.dtype or state.shape != self.out.shape[1:]:
                raise TypeError(f"a TF turned a {self.out.shape[1:]} {self.out.dtype} image "
                                f"into {state.shape} {state.dtype}; the states of a sequence "
                                f"keep the image's shape and dtype")
            self.out[self.filled] = state
            state = self.out[self.filled]
        else:
            self.result.append(state)
        self.filled += 1
        self.last = state
        return state


class CompiledSequence:
    """A sampled sequence built for one image size: its stages, ready to apply.

    Use :meth:`apply` for images, :meth:`warp_mask`, :meth:`warp_boxes` and
    :meth:`map_points` for targets, :meth:`intermediates` for every step's image.

    Parameters
    ----------
    library
        The policy's TFs.
    sequence
        The sampled sequence.
    shape
        ``(H, W)`` or ``(H, W, C)`` of the images it will be applied to.
    """

    def __init__(self, library: TFLibrary, sequence: SampledSequence, shape: Sequence[int]):
        self.shape = (int(shape[0]), int(shape[1]))
        self.sequence = sequence
        steps = [
            _Step(library[a], s, self.shape)
            for a, s in zip(sequence.actions, sequence.step_seeds, strict=True)
        ]
        self._steps = steps
        frame = frame_warps(sequence.frame_shift, self.shape)
        #: every geometric step's own warp, in order, then the frame's shift (points follow)
        self.warps: list[Warp] = [s.warp for s in steps if s.warp is not None] + frame
        #: the stages: a composed warp per geometric run, a TF step per photometric TF
        self.stages: list[Warp | _Step] = _stages(steps, frame)

    # --- images -------------------------------------------------------------------------

    def apply(self, img: np.ndarray) -> np.ndarray:
        """Apply the sequence to a numpy image H x W (x C) of this shape (a new array).

        Examples
        --------
        >>> from tanda_transforms import TF, TFLibrary
        >>> lib = TFLibrary([TF("hflip"), TF("invert")])
        >>> c = SampledSequence((0, 1), (0, 0)).compile(lib, (1, 3))
        >>> c.apply(np.array([[0, 1, 2]], np.uint8)).tolist()
        [[253, 254, 255]]
        """
        self._check(img)
        out = img
        for stage in self.stages:
            out = _apply_stage(stage, out)
        return out.copy() if out is img else out

    def intermediates(self, img: np.ndarray, out: np.ndarray | None = None) -> Any:
        """``[x_0, x_1, ..., x_L]``: the image after each step, rendered as :meth:`apply`
        renders the whole sequence (``x_t`` resamples the current geometric run once).

        With ``out`` (an array ``[L + 1, *img.shape]`` of the image's dtype, e.g. one
        sequence's column of a learner's roll-out) the states are written into it, each as
        soon as it is made, and ``out`` is returned; otherwise a list of new arrays.

        Examples
        --------
        >>> from tanda_transforms import TF, TFLibrary
        >>> lib = TFLibrary([TF("rotate", degrees=5), TF("rotate", degrees=-5)])
        >>> seq = SampledSequence((0, 1), (0, 0)).compile(lib, (6, 6))
        >>> xs = seq.intermediates(np.eye(6, dtype=np.uint8) * 200)
        >>> len(xs), bool((xs[2] == xs[0]).all())
        (3, True)
        >>> into = seq.intermediates(xs[0], out=np.empty((3, 6, 6), np.uint8))
        >>> all(bool((a == b).all()) for a, b in zip(into, xs))
        True
        """
        self._check(img)
        states = _States(img, out, len(self._steps))
        base, run = img, []
        for step in self._steps:
            if step.warp is None:
                base, run = states.append(step.tf(states.last, step.rng())), []
                continue
            # the run so far composed as apply composes it (a composed dense map sampled
            # again would differ from the direct chain by interpolation)
            run.append(step.warp)
            states.append(compose_run(run).apply(base))
        return states.result

    # --- targets ------------------------------------------------------------------------

    def warp_mask(self, mask: np.ndarray) -> np.ndarray:
        """Move a mask H x W (x C) as the image moved: nearest neighbour, dtype kept."""
        return targets.warp_mask(mask, [s for s in self.stages if not isinstance(s, _Step)])

    def map_points(self, points: np.ndarray) -> np.ndarray:
        """Move ``N x 2`` pixel positions ``(x, y)`` as the image moved."""
        return targets.warp_points(points, self.warps)

    def warp_boxes(self, boxes: np.ndarray) -> np.ndarray:
        """Move ``N x 4`` boxes ``(x_min, y_min, x_max, y_max)``, clipped to the image."""
        return targets.warp_boxes(boxes, self.warps, self.shape)

    def _check(self, img: np.ndarray) -> None:
        check_image(img)
        if img.shape[:2] != self.shape:
            raise ValueError(
                f"image is {img.shape[:2]} but the sequence was compiled for {self.shape}"
            )


def _stages(steps: list[_Step], tail: list[Warp]) -> list[Warp | _Step]:
    """Group steps: each run of consecutive warps composes into one; ``tail`` warps last."""
    stages: list[Warp | _Step] = []
    run: list[Warp] = []
    for item in [*steps, *tail]:
        warp = item.warp if isinstance(item, _Step) else item
        if warp is not None:
            run.append(warp)
            continue
        if run:
            stages.append(compose_run(run))
            run = []
        stages.append(item)
    if run:
        stages.append(compose_run(run))
    return stages


def _apply_stage(stage: Warp | _Step, img: np.ndarray) -> np.ndarray:
    if isinstance(stage, _Step):
        return stage.tf(img, stage.rng())
    return stage.apply(img)
