"""LearnConfig: every hyperparameter of :func:`~tanda_transforms.learn.learn_policy`.

Kept apart from :mod:`tanda_transforms.learn` and free of torch, so that ``tanda learn``
checks its options (``--set`` included) and answers ``--help`` before torch is imported.
``tanda_transforms.learn.LearnConfig`` is this class.

Examples
--------
>>> from tanda_transforms._learn_config import LearnConfig
>>> LearnConfig(steps=30).for_generator("lstm").g_lr
0.0003
"""

from __future__ import annotations

import dataclasses
import math
import numbers

from tanda_transforms._limits import MAX_HIDDEN_SIZE, MAX_SEQ_LEN
from tanda_transforms.generator_kinds import generator_kind

__all__ = ["ADDED_FIELDS", "D_NORMS", "LearnConfig", "DIVERSITY_SPACES", "RENDER_MODES"]

#: Fields added after configs were first recorded (in checkpoints and policy metadata), with
#: the value a record that lacks them was made under (``d_kernel``: the 5 x 5 discriminator
#: before 2026-12-06; ``d_norm``: its groups of 4 channels, until the second change that day;
#: the label fields only act with labels; ``size``: images read whole).
ADDED_FIELDS = {"size": None, "d_kernel": 5, "d_norm": "group", "label_weight": 1.0,
                "label_steps": 200}
DIVERSITY_SPACES = ("pixels", "features")
D_NORMS = ("layer", "group")  # ConvDiscriminator(norm=...)
RENDER_MODES = ("auto", "batched", "per_image")
# int fields and their upper bound (None: none); float fields, each a finite number
_COUNT_FIELDS = {
    "seq_len": MAX_SEQ_LEN,
    "batch_size": None,
    "seqs_per_point": None,
    "hidden_size": MAX_HIDDEN_SIZE,
    "d_kernel": None,
    "log_every": None,
    "checkpoint_every": None,
    "label_steps": None,
}
_NUMBER_FIELDS = ("gamma", "alpha", "eps", "d_lr", "g_lr", "entropy_weight", "epochs",
                  "label_weight", "apply_p")


@dataclasses.dataclass
class LearnConfig:
    """Every hyperparameter of :func:`learn_policy`, with its default.

    Paper values are kept: ``gamma=0.5``, ``batch_size=32``, ``seqs_per_point=5``,
    ``seq_len=10``. Changed or added, and why (measured on 10,000 MNIST digits with the MNIST
    pack plus 5 misspecified TFs, one pass, unless said otherwise; docs/learning.md):

    - ``d_lr=1e-4`` (paper 1e-5; the default here until 2026-12): with one resampling per
      geometric run the discriminator no longer wins at once, and at 1e-5 it learned too
      slowly to steer the generator: the CIFAR-10 LSTM stayed near uniform with strong colour
      shifts. At 1e-4 (CIFAR-10, 313 steps) it preferred flips, small shears and milder
      saturation, and the end model gained: alone at p = 0.5, 20 epochs, 62.44 +- 0.51 vs
      61.50 +- 0.51 at 1e-5 (3 seeds, docs/results.md). The shipped ``mnist`` policy and the
      mini-MIAS experiment policies were learned at 1e-5 (their recipes say so).

    - ``alpha=1e-3``, ``eps=1e-4``: alpha from the paper's range [3e-5, 5e-3]; with
      ``alpha / eps = 10`` a null sequence (rotate 180 twice, flip twice) costs far more than
      any D verdict. With alpha 1e-4 the LSTM collapsed onto rotate(180) chains (identities).
    - ``g_lr`` and ``entropy_weight`` depend on the generator (``None`` picks its kind's
      default, :class:`~tanda_transforms.generator_kinds.GeneratorKind`):
      mean-field 1e-2 and 0.01 (at the paper's 1e-3 its logits barely moved in 313 steps);
      LSTM/GRU 3e-4 and 0.1 (at 1e-3 without an entropy bonus it collapsed within 300 steps
      onto one TF, whichever D found hardest to see: a policy useless for augmentation).
      The entropy bonus (``- entropy_weight * sum_t H(pi_t)`` in the generator loss) is not
      in the paper.
    - ``d_width=None``: the data's default, 16 for images (paper 64; 32 until 2026-12-06)
      and 32 for text (:mod:`tanda_transforms.text`); ``d_kernel=3`` (paper 5; 5 until
      2026-12-06): the image discriminator's kernel size. Together a tenth of the former
      width-32 5x5 network's multiply-adds: D's share of a CIFAR-10 step (L = 10) fell from
      79-83 % to 37-49 % at 32 px (7-10 % at 224 px, with its patch stem) and a pass costs a
      third (x3.02-3.13, docs/benchmark_learning.py). On 4,000 MNIST digits (200 steps, 2 seeds) the
      misspecified TFs kept the same share (0.5 and 0.6 %) and the two networks' policies
      were as far apart as two seeds of one (docs/learning.md, section 3).
      ``d_norm="layer"`` (until the second change of 2026-12-06 ``"group"``: groups of 4
      channels): layers 2-4 normalise each image over all its channels and pixels (one
      group), which on channels-last CPU tensors costs a tenth of the grouped norm (that was
      a third of D's forward pass at 32 px); see :class:`ConvDiscriminator`. Image data only
      (the text discriminator has no norm layers).
      ``d_width=32, d_kernel=5, d_norm="group"`` gives the former network.
    - ``diversity``: where ``d(x_0, x_t)`` is measured, ``"pixels"`` (standardised pixels,
      the default) or ``"features"`` (standardised first-layer activations of D, as the
      reference code's ``--mse_layer 1``; needs a discriminator with a
      ``diversity_features`` method, as :class:`ConvDiscriminator` has). See
      docs/learning.md for what each gave.
    - ``render``: ``"per_image"`` (numpy/OpenCV on the CPU), ``"batched"`` (torch on the
      device, :mod:`tanda_transforms.batched`) or ``"auto"``: batched on CUDA, and on CPUs
      for images of at most 32 x 32 pixels whose ops all have batched kernels (there a step
      was x1.05-1.4 faster batched; from 48 x 48 up OpenCV one image at a time is as fast or
      faster, docs/benchmark.md; until 2026-12-06 ``"auto"`` was per-image on every CPU).
      They draw from different streams: a seed gives another (equally valid) run in each.
    - ``label_weight`` and ``label_steps`` (used only with ``learn_policy(labels=...)``, not in
      the paper): the weight of the label-preservation term in the generator's cost, and the
      steps that train its default classifier on the labeled items
      (:mod:`tanda_transforms.labels`).
    - ``size`` (not in the paper): the learning resolution S. ``None`` (default): images in
      memory are learned from at their own size, which all must share. An int: every image
      is brought to S x S as it is read (shorter side resized to S, then an S x S crop at a
      seeded random position; :mod:`tanda_transforms._stream_items` says why) and the data
      is streamed, so images of any sizes, any number of them, can be learned from. The
      policy applies its TFs at each image's own resolution; docs/learning.md says why a
      policy learned at S transfers.
    - ``apply_p=0.5`` (until 2026-12-06 the learned policy was saved with p = 1): the share of
      calls the *saved* policy transforms (``TANDAPolicy.p``; learning itself ignores it). At
      p = 1 a policy learned at the defaults fell below no augmentation on image data held out
      from the project (80.12 +- 0.63 vs 81.28 +- 0.11); at p 0.3-0.5 it was above
      (81.87-82.00). On 2,000 MNIST validation digits the gallery ``mnist`` policy scored
      96.20 at p 0.5 against 95.50 at p 1; on mini-MIAS and CIFAR-10 every measured p <= 0.5
      was at or above p 1 (docs/your-data.md, docs/results.md). ``tanda tune`` chooses p on
      your labeled data.

    Accepted values (checked when the config is made): the int fields positive, ``seq_len``
    at most 1000 and ``hidden_size`` at most 4096 (the most a policy file holds; larger
    values used to train and then fail to build or load the policy); the float fields
    finite numbers (``alpha=inf`` and other infinities used to be accepted and stopped the
    run at step 0 with a misleading "check the data for NaN"), ``gamma`` in [0, 1],
    ``alpha``, ``eps``, ``d_lr``, ``g_lr`` and ``epochs`` above 0, ``entropy_weight``
    and ``label_weight`` at least 0, ``apply_p`` in [0, 1].
    """

    seq_len: int = 10
    batch_size: int = 32
    seqs_per_point: int = 5
    gamma: float = 0.5
    alpha: float = 1e-3
    eps: float = 1e-4
    d_lr: float = 1e-4
    g_lr: float | None = None
    entropy_weight: float | None = None
    hidden_size: int = 64
    d_width: int | None = None
    d_kernel: int = 3
    d_norm: str = "layer"
    steps: int | None = None
    epochs: float = 1.0
    log_every: int = 10
    checkpoint_every: int = 100
    diversity: str = "pixels"
    render: str = "auto"
    label_weight: float = 1.0
    label_steps: int = 200
    apply_p: float = 0.5
    size: int | None = None

    def __post_init__(self) -> None:
        self._check_counts()
        self._check_finite_numbers()
        for name in ("alpha", "eps", "d_lr", "epochs"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.g_lr is not None and not self.g_lr > 0:
            raise ValueError(f"g_lr must be > 0 or None, got {self.g_lr!r}")
        if self.d_width is not None and (not isinstance(self.d_width, int) or self.d_width < 1):
            raise ValueError(f"d_width must be a positive int or None, got {self.d_width!r}")
        if self.entropy_weight is not None and not self.entropy_weight >= 0:
            raise ValueError(f"entropy_weight must be >= 0 or None, got {self.entropy_weight!r}")
        if not self.label_weight >= 0:
            raise ValueError(f"label_weight must be >= 0, got {self.label_weight!r}")
        for name in ("gamma", "apply_p"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        for name in ("steps", "size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive int or None, got {value!r}")
        if self.diversity not in DIVERSITY_SPACES:
            raise ValueError(f"diversity must be one of {DIVERSITY_SPACES}, got "
                             f"{self.diversity!r}")
        if self.d_norm not in D_NORMS:
            raise ValueError(f"d_norm must be one of {D_NORMS}, got {self.d_norm!r}")
        if self.render not in RENDER_MODES:
            raise ValueError(f"render must be one of {RENDER_MODES}, got {self.render!r}")

    def _check_counts(self) -> None:
        for name, most in _COUNT_FIELDS.items():
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
            if most is not None and value > most:
                raise ValueError(
                    f"{name} must be an int in [1, {most}] (the most a policy holds), got {value!r}"
                )

    def _check_finite_numbers(self) -> None:
        for name in _NUMBER_FIELDS:
            value = getattr(self, name)
            if value is None and name in ("g_lr", "entropy_weight"):
                continue
            if not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")

    @classmethod
    def from_record(cls, record: dict) -> LearnConfig:
        """The config a recorded one (``policy.metadata["training"]["config"]``) was, the
        fields it lacks read as :data:`ADDED_FIELDS`.

        Examples
        --------
        >>> LearnConfig.from_record({"d_width": 32}).d_kernel
        5
        """
        return cls(**{**ADDED_FIELDS, **record})

    def for_data(self, default_d_width: int) -> LearnConfig:
        """This config with ``d_width`` filled in (``None``: the data's default width)."""
        return dataclasses.replace(self, d_width=self.d_width or default_d_width)

    def for_generator(self, generator: str) -> LearnConfig:
        """This config with the generator-dependent defaults (``None`` fields) filled in."""
        kind = generator_kind(generator)  # ValueError naming the registered kinds
        return dataclasses.replace(
            self,
            g_lr=kind.g_lr if self.g_lr is None else self.g_lr,
            entropy_weight=kind.entropy_weight if self.entropy_weight is None
            else self.entropy_weight,
        )
