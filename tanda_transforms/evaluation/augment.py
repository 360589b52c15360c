"""The augmentation conditions compared by the end-model harness.

Every condition is a callable: a numpy ``uint8`` image ``H x W`` or ``H x W x C`` in, an image
of the same shape and dtype out. Each owns its random stream, seeded, so a run is reproducible
and independent of torch's global generator:

``none``
    The image unchanged.
``basic``
    Zero-pad 4 px on each side, crop back to the original size at a random offset, and (when
    the dataset's record says so: CIFAR-10 and mammography, as in the paper; not MNIST, whose
    digits are not mirror symmetric) flip horizontally with probability 1/2.
``heuristic``
    Uniform random sequences of the TANDA TFs: ``TANDAPolicy(pack, seq_len=L)``, the paper's
    heuristic baseline. With ``policy_path`` it takes that policy's TFs and ``L``, so the
    baseline draws from exactly the learned policy's action space.
``tanda_mf``, ``tanda_lstm``
    A learned policy, loaded from ``policy_path`` (a ``.tanda`` file or a gallery name).
``randaugment``, ``trivialaugment``, ``autoaugment``
    torchvision's ``RandAugment()``, ``TrivialAugmentWide()`` and
    ``AutoAugment(AutoAugmentPolicy.CIFAR10)`` with their default settings (or RandAugment's
    ``num_ops`` / ``magnitude`` and, for each, a probability ``p`` of applying it, given as
    ``tv_options``), applied to the
    ``uint8`` tensor. torchvision accepts 1-channel tensors, so MNIST and mammograms are fed as
    they are (no 3-channel copy): the colour ops (``Color`` = saturation, and hue) are then
    identities, all other ops act on the single channel. The CIFAR-10 AutoAugment policy is
    used for every dataset (it is the policy the issue names; on MNIST it includes ``Invert``).

Sentences (the ``semeval`` record): ``none``, ``heuristic`` (it takes a policy file's TFs,
which are built on a language model of the data) and the policy conditions apply; a policy
is called on a markup sentence and returns one. ``none`` is :class:`Identity`, which the
relation end model trains without (no re-encoding per epoch).

Composition with ``basic``: each condition is applied alone by default. With
``with_basic=True`` the basic pad-crop(-flip) runs first and the condition after it (the
order of torchvision's and AutoAugment's reference CIFAR recipes: crop and flip, then the
policy). ``with_basic`` has no effect on ``none`` and ``basic``.

Streams in DataLoader workers: in a worker the stream mixes the seed with
``torch.initial_seed()``, which the DataLoader makes different for every worker and every
epoch, so workers never repeat each other (:mod:`tanda_transforms.seeding`, as
``TANDAPolicy``).

Examples
--------
>>> import numpy as np
>>> image = np.zeros((28, 28), np.uint8)
>>> augment = make_augment("basic", "mnist", seed=0)
>>> augment(image).shape, augment(image).dtype
((28, 28), dtype('uint8'))
>>> rgb = np.zeros((32, 32, 3), np.uint8)
>>> make_augment("randaugment", "cifar10", seed=1)(rgb).shape
(32, 32, 3)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torchvision.transforms import v2

from tanda_transforms.evaluation.datasets import dataset_record
from tanda_transforms.evaluation.options import (  # re-exported: they used to live here
    BASIC_BORDERS,
    BASIC_PAD,
    CONDITIONS,
    POLICY_CONDITIONS,
    RENDERINGS,
    TORCHVISION_CONDITIONS,
    TORCHVISION_KNOBS,
)
from tanda_transforms.exclude import check_max_kl, drop_label_changing
from tanda_transforms.policy import PolicyNotFoundError, TANDAPolicy, check_seq_len
from tanda_transforms.seeding import derive_seed, process_key, reseed, stream_seed
from tanda_transforms.sequence import SampledSequence

__all__ = [
    "CONDITIONS",
    "POLICY_CONDITIONS",
    "TORCHVISION_CONDITIONS",
    "Chain",
    "Identity",
    "PadCropFlip",
    "PolicyRecipe",
    "StepByStepPolicy",
    "TorchvisionAugment",
    "make_augment",
    "reseed",
]

Augment = Callable[[np.ndarray], np.ndarray]

class _Seeded:
    """A numpy random stream per process (and per DataLoader worker), started from ``seed``."""

    def __init__(self, seed: int = 0) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> _Seeded:
        """Restart the stream from ``seed``."""
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = int(seed)
        self._rng: np.random.Generator | None = None
        self._key: tuple[int, int | None] | None = None
        return self

    @property
    def rng(self) -> np.random.Generator:
        key = process_key()
        if self._rng is None or self._key != key:
            self._rng, self._key = np.random.default_rng(stream_seed(self.seed)), key
        return self._rng

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_rng": None, "_key": None}


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim not in (2, 3):
        what = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        shape = getattr(image, "shape", None)
        raise TypeError(f"expected a uint8 numpy image H x W (x C), got {what} {shape}")
    return image


class Identity:
    """The ``none`` condition: returns the image itself."""

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return _check_image(image)

    def manual_seed(self, seed: int) -> Identity:
        return self

    def __repr__(self) -> str:
        return "Identity()"


class PadCropFlip(_Seeded):
    """Pad ``pad`` pixels, crop a random window of the original size, maybe flip.

    Parameters
    ----------
    pad
        Pixels of padding on each side (the crop moves the image by up to ``pad``).
    flip
        Also flip left-right with probability 1/2.
    seed
        Seed of the stream.
    border
        ``"zero"`` (torchvision's ``RandomCrop(padding=4)``, the paper's basic) or
        ``"reflect"`` (the padding mirrors the image, so a policy that runs after it never
        sees, rotates or zooms an invented black border).

    Examples
    --------
    >>> crop = PadCropFlip(pad=2, flip=False, seed=0)
    >>> out = crop(np.full((6, 6), 255, np.uint8))
    >>> out.shape, int(out.sum()) <= 255 * 36
    ((6, 6), True)
    """

    def __init__(
        self, pad: int = BASIC_PAD, flip: bool = True, seed: int = 0, border: str = "zero"
    ) -> None:
        if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
            raise ValueError(f"pad must be a non-negative int, got {pad!r}")
        if border not in BASIC_BORDERS:
            raise ValueError(f"border must be one of {BASIC_BORDERS}, got {border!r}")
        self.pad, self.flip, self.border = pad, bool(flip), border
        super().__init__(seed)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        image = _check_image(image)
        rng, pad = self.rng, self.pad
        height, width = image.shape[:2]
        dy, dx = (int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
        if self.border == "reflect":
            widths = [(pad, pad), (pad, pad)] + [(0, 0)] * (image.ndim - 2)
            out = np.pad(image, widths, mode="reflect")[dy : dy + height, dx : dx + width]
            return self._maybe_flip(np.ascontiguousarray(out), rng)
        out = np.zeros_like(image)
        # Source window [dy - pad, dy - pad + height) of the unpadded image, clipped.
        top, left = dy - pad, dx - pad
        src_rows = slice(max(top, 0), min(top + height, height))
        src_cols = slice(max(left, 0), min(left + width, width))
        dst_rows = slice(src_rows.start - top, src_rows.stop - top)
        dst_cols = slice(src_cols.start - left, src_cols.stop - left)
        out[dst_rows, dst_cols] = image[src_rows, src_cols]
        return self._maybe_flip(out, rng)

    def _maybe_flip(self, out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.flip and rng.random() < 0.5:
            out = np.ascontiguousarray(out[:, ::-1])
        return out

    def __repr__(self) -> str:
        return (
            f"PadCropFlip(pad={self.pad}, flip={self.flip}, seed={self.seed}, "
            f"border={self.border!r})"
        )


class StepByStepPolicy:
    """A policy rendered the old way, every TF resampling on its own (for the ablation only).

    Draws exactly what ``policy`` draws (``p``, frame shift included) and applies the TFs
    one after the other; the frame's shift is one more resampling at the end.
    """

    def __init__(self, policy: TANDAPolicy) -> None:
        self.policy = policy

    def __call__(self, image: np.ndarray) -> np.ndarray:
        sample = self.policy.sample()
        if not sample.applied:
            return image
        for action, seed in zip(sample.actions, sample.step_seeds, strict=True):
            image = self.policy.library[action](image, np.random.default_rng(seed))
        if sample.frame_shift != (0, 0):
            single = SampledSequence((), (), True, sample.frame_shift)
            image = self.policy.compile(single, image.shape).apply(image)
        return image

    def manual_seed(self, seed: int) -> StepByStepPolicy:
        self.policy.manual_seed(seed)
        return self

    def __repr__(self) -> str:
        return f"StepByStepPolicy({self.policy!r})"


def _torchvision_transform(name: str, num_ops: int | None, magnitude: int | None) -> v2.Transform:
    if name == "randaugment":
        ops = {} if num_ops is None else {"num_ops": num_ops}
        return v2.RandAugment(**ops, **({} if magnitude is None else {"magnitude": magnitude}))
    if num_ops is not None or magnitude is not None:
        raise ValueError(f"{name}: num_ops and magnitude are RandAugment's knobs only")
    if name == "trivialaugment":
        return v2.TrivialAugmentWide()
    if name == "autoaugment":
        return v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10)
    raise ValueError(f"not a torchvision condition: {name!r}; expected {TORCHVISION_CONDITIONS}")


class TorchvisionAugment(_Seeded):
    """A torchvision v2 auto-augmentation on a numpy ``uint8`` image, with its own stream.

    torchvision draws from torch's global CPU generator; here each call seeds it from this
    object's stream and restores its state afterwards, so the global generator is left
    untouched and the sequence of outputs depends only on ``seed``.

    Parameters
    ----------
    name
        ``"randaugment"``, ``"trivialaugment"`` or ``"autoaugment"`` (CIFAR-10 policy).
    seed
        Seed of the stream.
    p
        Probability of augmenting an image (1: always, torchvision's behaviour; below 1 one
        more draw per image from the stream decides).
    num_ops, magnitude
        RandAugment's ``N`` and ``M`` (``None``: torchvision's defaults, 2 and 9).

    Examples
    --------
    >>> t = TorchvisionAugment("trivialaugment", seed=0)
    >>> img = np.arange(64, dtype=np.uint8).reshape(8, 8)
    >>> bool((t(img) == TorchvisionAugment("trivialaugment", seed=0)(img)).all())
    True
    """

    def __init__(
        self,
        name: str,
        seed: int = 0,
        *,
        p: float = 1.0,
        num_ops: int | None = None,
        magnitude: int | None = None,
    ) -> None:
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
            raise ValueError(f"p must be a number in [0, 1], got {p!r}")
        self.name, self.p = name, float(p)
        self.transform = _torchvision_transform(name, num_ops, magnitude)
        super().__init__(seed)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        image = _check_image(image)
        if image.ndim == 3 and image.shape[2] not in (1, 3):
            raise ValueError(f"{self.name}: expected 1 or 3 channels, got {image.shape[2]}")
        if self.p < 1 and self.rng.random() >= self.p:
            return image
        tensor = torch.from_numpy(np.ascontiguousarray(image))
        tensor = tensor[None] if image.ndim == 2 else tensor.permute(2, 0, 1)
        # Seed torch's CPU generator for this call, then put its state back (about 4 us;
        # torch.manual_seed / fork_rng cost about 150 us, as much as the augmentation).
        generator = torch.default_generator
        saved = generator.get_state()
        try:
            generator.manual_seed(int(self.rng.integers(0, 2**63)))
            out = self.transform(tensor)
        finally:
            generator.set_state(saved)
        out = out[0] if image.ndim == 2 else out.permute(1, 2, 0)
        return np.ascontiguousarray(out.numpy())

    def __repr__(self) -> str:
        return f"TorchvisionAugment({self.name!r}, seed={self.seed}, p={self.p})"


class Chain:
    """Apply augmentations in order (e.g. basic, then a policy)."""

    def __init__(self, *steps: Augment) -> None:
        self.steps = steps

    def __call__(self, image: np.ndarray) -> np.ndarray:
        for step in self.steps:
            image = step(image)
        return image

    def manual_seed(self, seed: int) -> Chain:
        """Reseed every step (step ``k`` gets a seed derived from ``seed`` and ``k``)."""
        for k, step in enumerate(self.steps):
            reseed(step, derive_seed(seed, k))
        return self

    def __repr__(self) -> str:
        return f"Chain({', '.join(map(repr, self.steps))})"


def _load_policy(condition: str, policy_path: str | os.PathLike, seed: int) -> TANDAPolicy:
    try:
        return TANDAPolicy.load(policy_path, seed=seed)
    except PolicyNotFoundError as err:
        raise PolicyNotFoundError(
            f"condition {condition!r}: policy file not found: {os.fspath(policy_path)!r} "
            f"({err})"
        ) from None


def make_augment(
    condition: str,
    dataset: str,
    policy_path: str | os.PathLike | None = None,
    seq_len: int = 10,
    *,
    seed: int = 0,
    with_basic: bool = False,
    recipe: PolicyRecipe | None = None,
    tv_options: Mapping[str, Any] | None = None,
) -> Augment:
    """The augmentation callable of one condition (see the module docstring).

    Parameters
    ----------
    condition
        One of :data:`CONDITIONS`.
    dataset
        A dataset name (:data:`~tanda_transforms.evaluation.datasets.DATASETS`): its record
        gives the TF pack of ``heuristic`` and whether ``basic`` flips.
    policy_path
        ``.tanda`` file (or gallery name) of ``tanda_mf`` / ``tanda_lstm`` (required there).
        For ``heuristic`` it is optional: when given, the heuristic uses that policy's TFs and
        sequence length with a uniform sampler. Ignored by the other conditions.
    seq_len
        ``L`` of the heuristic baseline when no ``policy_path`` is given.
    seed
        Seed of the condition's random stream.
    with_basic
        Run the basic pad-crop(-flip) before the condition.
    recipe
        How the policy conditions (``heuristic``, ``tanda_*``) are applied and how ``basic``
        pads (default :class:`PolicyRecipe`: every image, no frame, fused, zero padding of
        4 px).
    tv_options
        Knobs of a torchvision condition (:data:`TORCHVISION_KNOBS`: RandAugment's
        ``num_ops`` and ``magnitude``, and ``p``); defaults: torchvision's, ``p`` 1.

    Returns
    -------
    callable
        ``uint8`` image ``H x W (x C)`` in, same shape and dtype out. It has a
        ``manual_seed(seed)`` method.

    Raises
    ------
    ValueError
        Unknown condition or dataset, or a policy condition without ``policy_path``.
    PolicyNotFoundError
        (a ``FileNotFoundError``) if ``policy_path`` is neither a file nor a gallery name.

    Examples
    --------
    >>> aug = make_augment("heuristic", "mnist", seq_len=2, seed=0)
    >>> aug(np.zeros((28, 28), np.uint8)).shape
    (28, 28)
    >>> make_augment("tanda_mf", "mnist", policy_path="no/such.tanda")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tanda_transforms.policy.PolicyNotFoundError: condition 'tanda_mf': policy file not found: ...
    """
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")
    record = dataset_record(dataset)
    if condition not in (record.conditions or CONDITIONS) or (
            with_basic and "basic" not in (record.conditions or CONDITIONS)):
        raise ValueError(f"{dataset} has no condition {'basic' if with_basic else condition!r}"
                         f"; its conditions: {record.conditions}")
    recipe = recipe or PolicyRecipe()
    tv_options = dict(tv_options or {})
    if tv_options and set(tv_options) - set(TORCHVISION_KNOBS.get(condition, ())):
        raise ValueError(f"{condition}: tv_options {sorted(tv_options)} are not its knobs; "
                         f"torchvision conditions take {TORCHVISION_KNOBS}")
    flip = record.flip if recipe.basic_flip is None else recipe.basic_flip
    augment: Any
    if condition == "none":
        return Identity()
    if condition == "basic":
        return PadCropFlip(recipe.basic_pad, flip, seed=seed, border=recipe.basic_border)
    if condition == "heuristic":
        if policy_path is not None:
            learned = _load_policy(condition, policy_path, seed)
            augment = TANDAPolicy(learned.library, seq_len=learned.seq_len, seed=seed)
        elif record.pack is None:
            raise ValueError(f"heuristic on {dataset} needs a policy file to take the TFs from "
                             "(its TFs are built on the data; policy_path)")
        else:
            augment = TANDAPolicy(record.pack, seq_len=seq_len, seed=seed)
        # uniform sequences have no label-term record: max_kl is the learned conditions'
        augment = dataclasses.replace(recipe, max_kl=None).apply_to(augment)
    elif condition in POLICY_CONDITIONS:
        if policy_path is None:
            raise ValueError(f"condition {condition!r} needs a policy file (policy_path)")
        augment = recipe.apply_to(_load_policy(condition, policy_path, seed))
    else:
        augment = TorchvisionAugment(condition, seed=seed, **tv_options)
    if with_basic:
        basic = PadCropFlip(recipe.basic_pad, flip, border=recipe.basic_border)
        augment = Chain(basic, augment)
        augment.manual_seed(seed)
    return augment


@dataclasses.dataclass(frozen=True)
class PolicyRecipe:
    """How the harness applies a TANDA policy (``heuristic``, ``tanda_mf``, ``tanda_lstm``).

    Attributes
    ----------
    p
        The policy's probability of transforming an image (``TANDAPolicy.p``).
    frame
        The policy's context frame in pixels (``TANDAPolicy.frame``).
    render
        ``"fused"`` (one resampling per geometric run, what ``TANDAPolicy`` does) or
        ``"step"`` (every TF resamples on its own: the old rendering, for the ablation).
    basic_border
        Padding of ``basic`` (alone or composed): ``"zero"`` or ``"reflect"``.
    basic_pad
        Pixels ``basic`` pads on each side (its crop moves the image by up to this).
    basic_flip
        Whether ``basic`` flips left-right; ``None``: as the dataset's record says.
    seq_len
        TFs per sequence to apply the policy at (``TANDAPolicy.seq_len``); ``None``: the
        policy's own (a learned generator then draws its first ``seq_len`` steps; a uniform
        or mean-field one the same categorical at each).
    max_kl
        Apply a label-aware policy without the TFs whose mean label-term penalty is above
        this many nats (:func:`~tanda_transforms.exclude.drop_label_changing`); ``None``: all
        its TFs. The learned conditions' (``heuristic`` ignores it).

    Examples
    --------
    >>> PolicyRecipe(p=0.5).apply_to(TANDAPolicy("mnist", seq_len=2)).p
    0.5
    >>> PolicyRecipe(seq_len=1).apply_to(TANDAPolicy("mnist", seq_len=10)).seq_len
    1
    """

    p: float = 1.0
    frame: int = 0
    render: str = "fused"
    basic_border: str = "zero"
    basic_pad: int = BASIC_PAD
    basic_flip: bool | None = None
    seq_len: int | None = None
    max_kl: float | None = None

    def __post_init__(self) -> None:
        if self.seq_len is not None:
            check_seq_len(self.seq_len)
        if self.max_kl is not None:
            check_max_kl(self.max_kl)
        if self.render not in RENDERINGS:
            raise ValueError(f"render must be one of {RENDERINGS}, got {self.render!r}")
        if self.basic_border not in BASIC_BORDERS:
            raise ValueError(f"basic_border must be one of {BASIC_BORDERS}, got "
                             f"{self.basic_border!r}")

    def apply_to(self, policy: TANDAPolicy) -> TANDAPolicy | StepByStepPolicy:
        """``policy`` with this recipe's ``p``, frame and ``seq_len`` (where given), without
        the TFs ``max_kl`` drops (where given), rendered as ``render`` says."""
        if self.max_kl is not None:
            policy = drop_label_changing(policy, self.max_kl)
        policy.p, policy.frame = self.p, self.frame
        if self.seq_len is not None:
            policy.seq_len = self.seq_len
        return policy if self.render == "fused" else StepByStepPolicy(policy)
