"""A sampled TF sequence as an object, and its rendering with one resampling per geometric run.

A policy call draws a :class:`SampledSequence`: the TF indices, a seed per step (for the TFs
with a random part), whether the policy's ``p`` let it apply at all, and the offset of the
optional context frame. :meth:`SampledSequence.compile` turns it, for one image size, into a
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
from collections.abc import Sequence

import numpy as np

from tanda_transforms import targets
from tanda_transforms.functional import AffineWarp, DenseWarp, check_image
from tanda_transforms.functional.composition import compose_run
from tanda_transforms.tfs import TF, TFLibrary

__all__ = ["SampledSequence", "CompiledSequence"]

Warp = AffineWarp | DenseWarp


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


class _Step:
    """One TF of a sequence, with its warp built (geometric) or its seed kept (photometric)."""

    __slots__ = ("tf", "seed", "warp")

    def __init__(self, tf: TF, seed: int, shape: tuple[int, int]) -> None:
        self.tf, self.seed = tf, seed
        self.warp = tf.warp(shape, self.rng()) if tf.kind == "geometric" else None

    def rng(self) -> np.random.Generator | None:
        return np.random.default_rng(self.seed) if self.tf.random else None


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
        frame = _frame_warp(sequence.frame_shift, self.shape)
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

    def intermediates(self, img: np.ndarray) -> list[np.ndarray]:
        """``[x_0, x_1, ..., x_L]``: the image after each step, rendered as :meth:`apply`
        renders the whole sequence (``x_t`` resamples the current geometric run once).

        Examples
        --------
        >>> from tanda_transforms import TF, TFLibrary
        >>> lib = TFLibrary([TF("rotate", degrees=5), TF("rotate", degrees=-5)])
        >>> xs = SampledSequence((0, 1), (0, 0)).compile(lib, (6, 6)).intermediates(
        ...     np.eye(6, dtype=np.uint8) * 200)
        >>> len(xs), bool((xs[2] == xs[0]).all())
        (3, True)
        """
        self._check(img)
        states, base, run = [img], img, []
        for step in self._steps:
            if step.warp is None:
                base, run = step.tf(states[-1], step.rng()), []
                states.append(base)
                continue
            # the run so far composed as apply composes it (a composed dense map sampled
            # again would differ from the direct chain by interpolation)
            run.append(step.warp)
            states.append(compose_run(run).apply(base))
        return states

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


def _frame_warp(shift: tuple[int, int], shape: tuple[int, int]) -> list[Warp]:
    """The frame's random crop as a warp (a whole-pixel shift), or nothing."""
    if shift == (0, 0):
        return []
    dy, dx = shift
    return [AffineWarp(np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]]), shape)]


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
