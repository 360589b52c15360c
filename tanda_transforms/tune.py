"""Choose how a policy is applied (``p``, ``frame``, ``seq_len``) on the user's labeled data.

A learned policy says *which* TF sequences keep the data realistic; how often to apply it and
whether to add a context frame decides whether it pays (on held-out image data the same
policy scored 80.12 at p = 1, frame 0, below no augmentation, and 82.00 at p = 0.3; see
docs/your-data.md). :func:`tune_policy` makes that choice on a validation split of labeled
data, never on a test set:

1. a seeded, class-stratified share of the labeled images (``val_fraction``) is held out;
2. for every candidate ``(p, frame, L)`` of the grids, and ``p = 0`` (no augmentation) always, a
   short proxy training (:func:`tanda_transforms.evaluation.training.fit`: a fresh small CNN
   per run, the same initialisation and batch order for every candidate of a seed) trains on
   the rest with the policy applied that way and is scored on the held-out images;
3. the candidate with the best mean validation accuracy over the seeds wins; ties go to the
   earlier candidate (``p = 0`` first, then smaller ``p``, smaller ``frame``, smaller ``L``),
   so a tuned policy is never chosen below no augmentation on validation.

``L`` (``seq_len_grid``) is how many TFs a call applies: the generator samples sequences of
any length (a recurrent one step after step), so a policy learned with L = 10 can be applied
with L = 2; by default only the policy's own L is tried. The returned policy is a copy with
the chosen ``p``, ``frame`` and ``seq_len`` (all saved in its file) and
``metadata["tuning"]``: every candidate's validation accuracies, the split, the budget, the
number of proxy runs and their wall time. Cost: ``(1 + len(p_grid without 0) *
len(frame_grid) * len(seq_len_grid)) * len(seeds)`` proxy trainings of ``epochs`` epochs.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TANDAPolicy
>>> rng = np.random.default_rng(0)
>>> images = rng.integers(0, 256, (40, 8, 8), dtype=np.uint8)
>>> labels = np.arange(40) % 2
>>> tuned = tune_policy(TANDAPolicy("mnist", seq_len=2), images, labels,
...                     p_grid=(0.0, 0.5), frame_grid=(0,), epochs=1, threads=1)
>>> (tuned.p, tuned.frame) in {(0.0, 0), (0.5, 0)}, tuned.metadata["tuning"]["proxy_runs"]
(True, 2)
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tanda_transforms._limits import MAX_SEQ_LEN
from tanda_transforms._policy_header import MAX_FRAME
from tanda_transforms.evaluation.augment import Chain
from tanda_transforms.evaluation.subsets import stratified_indices
from tanda_transforms.evaluation.training import EvalConfig, fit
from tanda_transforms.policy import TANDAPolicy

__all__ = ["P_GRID", "FRAME_GRID", "PROXY_EPOCHS", "check_data", "check_inputs", "proxy_config",
           "tune_policy"]

#: Default candidates for ``p`` (0, no augmentation, is always tried).
P_GRID: tuple[float, ...] = (0.0, 0.3, 0.5, 1.0)
#: Default candidates for ``frame`` (pixels).
FRAME_GRID: tuple[int, ...] = (0, 2)
#: Default epochs of a proxy training.
PROXY_EPOCHS = 15

Progress = Callable[[dict[str, Any]], None]


@dataclasses.dataclass(frozen=True)
class Setting:
    """How a policy is applied: ``p``, ``frame`` (pixels) and ``seq_len`` (L)."""

    p: float
    frame: int
    seq_len: int

    def as_dict(self) -> dict[str, Any]:
        """``{"p": ..., "frame": ..., "seq_len": ...}`` (JSON, as saved in the metadata)."""
        return dataclasses.asdict(self)


def proxy_config(epochs: int = PROXY_EPOCHS, *, threads: int | None = None,
                 device: str = "auto", **overrides: Any) -> EvalConfig:
    """The end-model settings of a proxy training: the MNIST harness's small CNN and SGD.

    ``dataset`` only names the harness's defaults; :func:`fit` does not read it, so any
    image size and channel count trains. ``overrides`` go to :class:`EvalConfig`.

    Examples
    --------
    >>> proxy_config(5, threads=1).epochs, proxy_config().model
    (5, 'cnn')
    """
    settings = dict(label_fraction=1.0, epochs=epochs, batch_size=32, lr=0.02, model="cnn",
                    width=32, blocks=2, threads=threads, device=device)
    return EvalConfig(dataset="mnist", **{**settings, **overrides})


def tune_policy(
    policy: TANDAPolicy,
    images: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    *,
    p_grid: Sequence[float] = P_GRID,
    frame_grid: Sequence[int] = FRAME_GRID,
    seq_len_grid: Sequence[int] | None = None,
    val_fraction: float = 0.2,
    seeds: Sequence[int] = (0,),
    split_seed: int = 0,
    epochs: int = PROXY_EPOCHS,
    threads: int | None = None,
    device: str = "auto",
    config: EvalConfig | None = None,
    progress: Progress | None = None,
    base: Callable[[np.ndarray], np.ndarray] | None = None,
) -> TANDAPolicy:
    """A copy of ``policy`` applied as proxy trainings on a validation split prefer.

    Parameters
    ----------
    policy
        An image policy (learned or uniform); it is not modified.
    images
        Labeled images, ``uint8`` ``N x H x W`` or ``N x H x W x C``.
    labels
        ``N`` integer class labels ``0..K-1``; every class needs two images or more.
    p_grid, frame_grid, seq_len_grid
        Candidate values; ``p = 0`` (no augmentation, one run whatever the frame and L) is
        added when missing. ``frame`` is in pixels; ``seq_len_grid`` ``None``: the policy's L.
    val_fraction
        Share of the images held out for validation (stratified by class, drawn with
        ``split_seed``).
    seeds
        Seeds of the proxy trainings (initialisation, batch order, augmentation); every
        candidate runs with each, and is scored by its mean validation accuracy.
    epochs, threads, device
        Budget and where the proxies train (ignored when ``config`` is given).
    config
        Full proxy settings (:func:`proxy_config` by default).
    progress
        Called after every proxy run with a dict (``run``, ``runs``, ``p``, ``frame``,
        ``seq_len``, ``seed``, ``val_accuracy``, ``seconds``).
    base
        What your training applies before the policy (``uint8`` image in and out, e.g.
        ``PadCropFlip(4)`` of :mod:`tanda_transforms.evaluation`, the crop and flip of a
        CIFAR pipeline): every proxy run, the ``p = 0`` one included, applies it first, so
        the policy is tuned where it will run. A copy per run, reseeded from the run's seed
        when it has ``manual_seed``.

    Returns
    -------
    TANDAPolicy
        The copy, with ``metadata["tuning"]`` recording every candidate's scores and the cost.

    Raises
    ------
    TypeError
        If ``images`` is not a ``uint8`` array or ``policy`` not a :class:`TANDAPolicy`.
    ValueError
        If the labels, grids or fraction are malformed, or ``policy`` is a text policy.
    """
    lengths = (policy.seq_len,) if seq_len_grid is None else seq_len_grid
    labels, candidates, seeds = check_inputs(policy, images, labels, p_grid=p_grid,
                                             frame_grid=frame_grid, seq_len_grid=lengths,
                                             seeds=seeds, val_fraction=val_fraction)
    config = proxy_config(epochs, threads=threads, device=device) if config is None else config
    data = _Split.of(images, labels, val_fraction, split_seed)
    started = time.perf_counter()
    scores = _score(policy, candidates, seeds, data, config, progress, base)
    means = [round(float(np.mean(s)), 6) for s in scores]
    best = max(range(len(candidates)), key=lambda k: (means[k], -k))  # ties: the earlier
    record = {
        "chosen": candidates[best].as_dict(),
        "previous": Setting(policy.p, policy.frame, policy.seq_len).as_dict(),
        "candidates": [{**c.as_dict(), "val_accuracy": s, "mean": round(m, 4)}
                       for c, s, m in zip(candidates, scores, means, strict=True)],
        "val_fraction": val_fraction, "split_seed": split_seed, "seeds": list(seeds),
        "n_train": len(data.train_y), "n_val": len(data.val_y), "epochs": config.epochs,
        "model": config.model, "base": None if base is None else repr(base),
        "proxy_runs": len(candidates) * len(seeds),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return _applied(policy, candidates[best], tuning=record)


@dataclasses.dataclass(frozen=True)
class _Split:
    """The proxies' training and validation images and labels, and the number of classes."""

    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    n_classes: int

    @classmethod
    def of(cls, images: np.ndarray, labels: np.ndarray, val_fraction: float, seed: int
           ) -> _Split:
        """A stratified ``val_fraction`` held out, drawn with ``seed``."""
        val = stratified_indices(labels, val_fraction, seed)
        train = np.setdiff1d(np.arange(len(labels)), val)
        if len(np.unique(labels[train])) < len(np.unique(labels)):
            raise ValueError("val_fraction leaves a class without training images; lower it")
        return cls(images[train], labels[train], images[val], labels[val],
                   int(labels.max()) + 1)


def _score(policy: TANDAPolicy, candidates: list[Setting], seeds: tuple[int, ...],
           data: _Split, config: EvalConfig, progress: Progress | None,
           base: Callable[[np.ndarray], np.ndarray] | None = None) -> list[list[float]]:
    """Validation accuracy of a proxy training per candidate and seed, reporting each run."""
    scores: list[list[float]] = [[] for _ in candidates]
    runs, started = len(candidates) * len(seeds), time.perf_counter()
    for i, (setting, seed) in enumerate((c, s) for c in candidates for s in seeds):
        augment = _applied(policy, setting)
        if base is not None:  # fit reseeds a deep copy of the chain, base included
            augment = Chain(base, augment)
        result = fit(data.train_x, data.train_y, data.val_x, data.val_y, augment, config,
                     seed, n_classes=data.n_classes)
        scores[i // len(seeds)].append(result.accuracy)
        if progress is not None:
            progress({"run": i + 1, "runs": runs, **setting.as_dict(), "seed": seed,
                      "val_accuracy": result.accuracy,
                      "seconds": time.perf_counter() - started})
    return scores


def check_inputs(
    policy: TANDAPolicy, images: np.ndarray, labels: Sequence[int] | np.ndarray, *,
    p_grid: Sequence[float], frame_grid: Sequence[int], seq_len_grid: Sequence[int],
    seeds: Sequence[int], val_fraction: float,
) -> tuple[np.ndarray, list[Setting], tuple[int, ...]]:
    """Check :func:`tune_policy`'s inputs (raising as it does); returns the labels as int64,
    the candidate settings in the order they run, and the seeds.

    Examples
    --------
    >>> labels, candidates, seeds = check_inputs(
    ...     TANDAPolicy("mnist"), np.zeros((4, 6, 6), np.uint8), [0, 1, 0, 1],
    ...     p_grid=(1, 0.5), frame_grid=(2, 0), seq_len_grid=(3,), seeds=(0,),
    ...     val_fraction=0.5)
    >>> [(c.p, c.frame) for c in candidates]
    [(0.0, 0), (0.5, 0), (0.5, 2), (1.0, 0), (1.0, 2)]
    """
    _check_policy(policy)
    labels = check_data(images, labels)
    candidates = _candidates(p_grid, frame_grid, seq_len_grid, policy.seq_len)
    seeds = _check_seeds(seeds)
    _check_fraction(val_fraction)
    return labels, candidates, seeds


def _applied(policy: TANDAPolicy, setting: Setting,
             tuning: dict[str, Any] | None = None) -> TANDAPolicy:
    """A new policy sharing nothing mutable with ``policy``, applied as ``setting`` says."""
    metadata = copy.deepcopy(policy.metadata)
    if tuning is not None:
        metadata["tuning"] = tuning
    return TANDAPolicy(policy.library, copy.deepcopy(policy.sampler), setting.seq_len,
                       seed=policy.seed, block_size=policy.block_size, metadata=metadata,
                       p=setting.p, frame=setting.frame)


def _check_policy(policy: Any) -> None:
    if not isinstance(policy, TANDAPolicy):
        raise TypeError(f"policy must be a TANDAPolicy, got {type(policy).__name__}")
    if policy.library.modality != "image":
        raise ValueError("tune_policy trains an image classifier: it takes image policies, "
                         f"not a {policy.library.modality} policy")


def check_data(images: Any, labels: Any) -> np.ndarray:
    """``labels`` as an int64 array, once images and labels are known to fit together (raises
    as :func:`tune_policy` does)."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        got = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"images must be a uint8 numpy array N x H x W (x C), got {got}")
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must be N x H x W or N x H x W x C, got shape {images.shape}")
    labels = np.asarray(labels)
    if labels.shape != (len(images),) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels must be {len(images)} integers (one per image), got "
                         f"{labels.dtype} {labels.shape}")
    if labels.min() < 0:
        raise ValueError(f"labels must be class indices >= 0, got {int(labels.min())}")
    counts = np.bincount(labels)
    if np.count_nonzero(counts) < 2:
        raise ValueError("labels must hold two classes or more (a classifier is trained)")
    rare = [int(c) for c in np.flatnonzero((counts > 0) & (counts < 2))]
    if rare:
        raise ValueError(f"every class needs 2 or more images (one for validation); "
                         f"classes {rare[:10]} have one")
    return labels.astype(np.int64)


def _candidates(p_grid: Sequence[float], frame_grid: Sequence[int],
                seq_len_grid: Sequence[int], own_seq_len: int) -> list[Setting]:
    """No augmentation first, then every ``p > 0`` with every frame and L, all ascending."""
    ps = sorted({_probability(p) for p in p_grid} - {0.0})
    frames = sorted({_count(f, "frame_grid", 0, MAX_FRAME) for f in frame_grid})
    lengths = sorted({_count(n, "seq_len_grid", 1, MAX_SEQ_LEN) for n in seq_len_grid})
    if not frames or not lengths:
        raise ValueError("frame_grid and seq_len_grid need at least one value each")
    return [Setting(0.0, 0, own_seq_len)] + [
        Setting(p, f, n) for p in ps for f in frames for n in lengths]


def _probability(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"p_grid values must be probabilities in [0, 1], got {p!r}")
    return float(p)


def _count(value: Any, grid: str, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or not least <= value <= most:
        raise ValueError(f"{grid} values must be ints in [{least}, {most}], got {value!r}")
    return int(value)


def _check_seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    seeds = tuple(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0
                        for s in seeds):
        raise ValueError(f"seeds must be one or more ints >= 0, got {seeds!r}")
    return tuple(int(s) for s in seeds)


def _check_fraction(val_fraction: Any) -> None:
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, float | int) \
            or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
