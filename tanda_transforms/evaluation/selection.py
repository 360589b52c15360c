"""Choosing every condition's settings on validation data, then testing each choice once.

The protocol (``tanda evaluate --select-on-validation``):

1. **Validation split**, per seed, from the training pool only, disjoint from the labeled
   subset and from the unlabeled set of the consistency term (:func:`protocol_split`):

   * label fraction below 1 (MNIST 1 %, CIFAR-10 10 %): the labeled subset is the one the
     harness draws without selection (the same images for the same seed); ``val_size`` items
     (default from the dataset's record, 2,000) are a seeded, stratified draw from the rest
     of the pool; the unlabeled set is what remains;
   * every pool item labeled (mini-MIAS, a folder): ``val_fraction`` (default 0.2) of the
     pool is held out, as whole groups where the task has them (mini-MIAS: training
     *patients*, so no patient is in both), stratified; the labeled subset is the rest.
     The final runs train on that same rest (the chosen setting is exactly the one that was
     validated; nothing is retrained on the validation items).

2. **Selection**: every candidate setting of every condition (its grid, :data:`DEFAULT_GRIDS`
   or ``--grid``) is trained on the labeled subset of each selection seed (default: the first
   run seed) and scored on that seed's validation split. The candidate with the highest mean
   validation accuracy wins (ties: the first in grid order). The knobs: ``p``, ``frame`` and
   ``seq_len`` (L: the policy applied at that many TFs, a learned generator's first L steps)
   of the policy conditions (and ``policy`` where several files are given: generator or
   recipe variants, or L learned), the learned conditions' ``max_kl`` (a label-aware
   policy without the TFs whose mean label-term penalty is above that many nats,
   :func:`~tanda_transforms.exclude.drop_label_changing`; ``none``: all TFs),
   RandAugment's ``num_ops`` (N) and ``magnitude`` (M),
   TrivialAugment's and AutoAugment's ``p`` (the share of images they transform), the basic
   crop's ``pad`` and ``border``, and for every condition but ``none`` and ``basic``
   ``after_basic`` (compose it after the basic crop, or alone). The default grids give every tuned
   condition the same budget of four candidates; ``none`` has nothing to tune.

3. **Test**: each condition's chosen setting is trained once per run seed on that seed's
   labeled subset and tested; the test set is read once per final configuration and never
   by the selection.

Every candidate's validation scores and the choice go into the results record
(:func:`selection_record`).

Examples
--------
>>> parse_grid("randaugment:num_ops=1,2;magnitude=5,9")
('randaugment', {'num_ops': [1, 2], 'magnitude': [5, 9]})
>>> [c["num_ops"] for c in candidates({"num_ops": [1, 2], "magnitude": [9]})]
[1, 2]
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tanda_transforms.evaluation.augment import BASIC_BORDERS, make_augment
from tanda_transforms.evaluation.datasets import dataset_record
from tanda_transforms.evaluation.options import (  # DEFAULT_GRIDS re-exported
    CONDITIONS,
    DEFAULT_GRIDS,
    POLICY_CONDITIONS,
    Grid,
)
from tanda_transforms.evaluation.runs import run_augments
from tanda_transforms.evaluation.subsets import held_out_groups, stratified_indices
from tanda_transforms.evaluation.tasks import Task
from tanda_transforms.evaluation.training import EvalConfig, RunRecord
from tanda_transforms.exclude import check_max_kl
from tanda_transforms.seeding import derive_seed

__all__ = [
    "DEFAULT_GRIDS",
    "KNOBS",
    "ValidationProtocol",
    "build_candidate",
    "candidates",
    "parse_grid",
    "protocol_labels",
    "protocol_split",
    "select_and_test",
]



def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes"):
        return True
    if text.lower() in ("0", "false", "no"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _max_kl(text: str) -> float | None:
    """A label filter's threshold in nats, or ``none`` (no filter)."""
    if text.lower() == "none":
        return None
    return check_max_kl(float(text))


def _border(text: str) -> str:
    if text not in BASIC_BORDERS:
        raise ValueError(f"expected one of {BASIC_BORDERS}, got {text!r}")
    return text


#: The knobs of each condition, with the type of their values.
#: Each condition's knobs and how to parse them. ``after_basic`` composes a condition after the
#: basic pad-crop(-flip), as ``--with-basic`` does for a whole run, so validation can choose
#: whether the crop comes first.
KNOBS: dict[str, dict[str, Callable[[str], Any]]] = {
    "none": {},
    "basic": {"pad": int, "border": _border, "flip": _flag},
    "heuristic": {"p": float, "frame": int, "seq_len": int, "policy": str,
                   "after_basic": _flag},
    "tanda_mf": {"p": float, "frame": int, "seq_len": int, "policy": str,
                 "max_kl": _max_kl, "after_basic": _flag},
    "tanda_lstm": {"p": float, "frame": int, "seq_len": int, "policy": str,
                  "max_kl": _max_kl, "after_basic": _flag},
    "randaugment": {"num_ops": int, "magnitude": int, "p": float, "after_basic": _flag},
    "trivialaugment": {"p": float, "after_basic": _flag},
    "autoaugment": {"p": float, "after_basic": _flag},
}
def parse_grid(spec: str) -> tuple[str, Grid]:
    """``"condition:knob=v1,v2;knob2=v3"`` -> ``(condition, {knob: [values]})``.

    Examples
    --------
    >>> parse_grid("tanda_lstm:p=0.3,0.5;frame=0,2;policy=a.tanda,b.tanda")[1]["policy"]
    ['a.tanda', 'b.tanda']
    >>> parse_grid("randaugment:n=2")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: grid 'randaugment:n=2': randaugment has no knob 'n'; its knobs: num_ops, ...
    """
    condition, _, body = spec.partition(":")
    if condition not in KNOBS:
        raise ValueError(f"grid {spec!r}: unknown condition {condition!r}; expected one of "
                         f"{CONDITIONS}")
    grid: Grid = {}
    for part in filter(None, body.split(";")):
        knob, equals, values = part.partition("=")
        knob = knob.strip()
        if knob not in KNOBS[condition]:
            raise ValueError(f"grid {spec!r}: {condition} has no knob {knob!r}; its knobs: "
                             f"{', '.join(KNOBS[condition]) or 'none'}")
        if not equals or not values.strip():
            raise ValueError(f"grid {spec!r}: expected {knob}=value[,value...]")
        try:
            grid[knob] = [KNOBS[condition][knob](v.strip()) for v in values.split(",")]
        except ValueError as err:
            raise ValueError(f"grid {spec!r}: {knob}: {err}") from None
    return condition, grid


def candidates(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of a grid's values, in grid order (the last knob varies fastest)."""
    knobs = list(grid)
    return [dict(zip(knobs, values, strict=True)) for values in itertools.product(*grid.values())]


@dataclasses.dataclass
class ValidationProtocol:
    """Settings of the validation protocol (see the module docstring).

    Attributes
    ----------
    val_size
        Validation items drawn from the pool outside the labeled subset (label fraction
        below 1); ``None``: the dataset record's (2,000).
    val_fraction
        Share of the pool held out when every item is labeled; ``None``: the record's (0.2).
    select_seeds
        Seeds of the selection runs; ``None``: the first run seed.
    grids
        Condition -> grid (knob -> values); conditions not named take the dataset record's
        grid (:meth:`resolved`), else :data:`DEFAULT_GRIDS`.
    """

    val_size: int | None = None
    val_fraction: float | None = None
    select_seeds: tuple[int, ...] | None = None
    grids: dict[str, Grid] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.val_size is not None and (not isinstance(self.val_size, int)
                                          or self.val_size < 1):
            raise ValueError(f"val_size must be a positive int, got {self.val_size!r}")
        if self.val_fraction is not None and not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction!r}")
        for condition, grid in self.grids.items():
            unknown = set(grid) - set(KNOBS.get(condition, {}))
            if condition not in KNOBS or unknown:
                raise ValueError(f"grid of {condition!r}: unknown condition or knobs {unknown}")

    def grid(self, condition: str) -> Grid:
        """The grid of ``condition``."""
        return self.grids.get(condition, DEFAULT_GRIDS[condition])

    def resolved(self, dataset: str, seeds: Sequence[int]) -> ValidationProtocol:
        """A copy with the record's defaults (sizes, its own grids) and the first seed
        filled in."""
        record = dataset_record(dataset)
        return dataclasses.replace(
            self,
            val_size=self.val_size or record.val_size,
            val_fraction=self.val_fraction or record.val_fraction,
            select_seeds=tuple(self.select_seeds or seeds[:1]),
            grids={**{c: dict(g) for c, g in record.grids.items()}, **self.grids},
        )


def protocol_split(
    labels: np.ndarray,
    label_fraction: float,
    seed: int,
    *,
    val_size: int,
    val_fraction: float,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the labeled subset, the validation set and the unlabeled rest of a pool.

    See the module docstring. The three are disjoint and cover the pool.

    Examples
    --------
    >>> labels = np.arange(1000) % 10
    >>> lab, val, rest = protocol_split(labels, 0.01, 0, val_size=100, val_fraction=0.2)
    >>> len(lab), len(val), len(rest), np.bincount(labels[val]).tolist() == [10] * 10
    (10, 100, 890, True)
    >>> lab, val, rest = protocol_split(labels, 1.0, 0, val_size=100, val_fraction=0.2)
    >>> len(lab), len(val), len(rest)
    (800, 200, 0)
    """
    labels = np.asarray(labels)
    everything = np.arange(len(labels))
    if label_fraction >= 1:
        if groups is not None:
            held = np.flatnonzero(held_out_groups(labels, groups, val_fraction, seed))
        else:
            held = stratified_indices(labels, val_fraction, derive_seed(seed, 1))
        return np.setdiff1d(everything, held), held, np.array([], np.int64)
    labeled = stratified_indices(labels, label_fraction, seed)
    outside = np.setdiff1d(everything, labeled)
    if val_size >= len(outside):
        raise ValueError(f"val_size {val_size} leaves no unlabeled pool: only {len(outside)} "
                         "items lie outside the labeled subset")
    val = outside[stratified_indices(labels[outside], val_size / len(outside),
                                     derive_seed(seed, 1))]
    return labeled, val, np.setdiff1d(outside, val)


def protocol_labels(
    labels: np.ndarray,
    label_fraction: float,
    seed: int,
    *,
    val_size: int,
    val_fraction: float,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """The pool's ``labels`` on :func:`protocol_split`'s labeled subset, -1 on the rest.

    What a learner may be given as labels in the validation protocol (the validation items'
    labels stay out of learning, so they cannot leak into the candidates they choose among);
    the arguments are :func:`protocol_split`'s.

    Examples
    --------
    >>> labels = np.arange(1000) % 10
    >>> kept = protocol_labels(labels, 0.01, 0, val_size=100, val_fraction=0.2)
    >>> int((kept >= 0).sum()), sorted(set(kept.tolist()))[:2]
    (10, [-1, 0])
    """
    labels = np.asarray(labels)
    labeled, _, _ = protocol_split(labels, label_fraction, seed, val_size=val_size,
                                   val_fraction=val_fraction, groups=groups)
    kept = np.full(len(labels), -1, np.int64)
    kept[labeled] = labels[labeled]
    return kept


def build_candidate(
    condition: str,
    settings: Mapping[str, Any],
    config: EvalConfig,
    policy_path: str | os.PathLike | None = None,
) -> Any:
    """The augmentation of ``condition`` with one candidate's ``settings`` (see :data:`KNOBS`).

    Examples
    --------
    >>> config = EvalConfig("mnist", device="cpu")
    >>> build_candidate("randaugment", {"num_ops": 1, "p": 0.5}, config).p
    0.5
    """
    unknown = set(settings) - set(KNOBS[condition])
    if unknown:
        raise ValueError(f"{condition} has no knobs {sorted(unknown)}")
    settings = dict(settings)
    with_basic = settings.pop("after_basic", config.with_basic)
    recipe_fields = {"p": "p", "frame": "frame", "seq_len": "seq_len", "max_kl": "max_kl",
                     "pad": "basic_pad", "border": "basic_border", "flip": "basic_flip"}
    tv_options: dict[str, Any] = {}
    recipe = config.recipe
    if condition in ("randaugment", "trivialaugment", "autoaugment"):
        tv_options = settings
    else:
        recipe = dataclasses.replace(
            recipe, **{recipe_fields[k]: v for k, v in settings.items() if k != "policy"}
        )
    return make_augment(
        condition, config.dataset, settings.get("policy", policy_path), config.seq_len,
        seed=0, with_basic=with_basic, recipe=recipe, tv_options=tv_options,
    )


def _task_split(task: Task, config: EvalConfig, protocol: ValidationProtocol):
    """``seed`` -> (labeled, validation, unlabeled) index arrays of ``task``'s pool."""
    def split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return protocol_split(task.train_labels, config.label_fraction, seed,
                              val_size=protocol.val_size, val_fraction=protocol.val_fraction,
                              groups=task.groups)
    return split


def select_and_test(
    task: Task,
    conditions: Sequence[str],
    config: EvalConfig,
    protocol: ValidationProtocol,
    policy_paths: Mapping[str, str] | None = None,
    *,
    on_select: Callable[[RunRecord], None] | None = None,
    on_run: Callable[[RunRecord], None] | None = None,
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Choose each condition's setting on validation, then test the choice once per seed.

    Parameters
    ----------
    task
        The task (its test set is only read by the final runs).
    conditions
        Names from :data:`~tanda_transforms.evaluation.augment.CONDITIONS`.
    config
        The training settings; its ``seeds`` are the final runs' seeds.
    protocol
        Validation sizes, selection seeds and grids.
    policy_paths
        Condition -> policy file of the policy conditions (and ``heuristic``'s TFs), used
        where a candidate names no ``policy``.
    on_select, on_run
        Called after each selection run (its condition is ``"<condition>#<k>"``, candidate
        ``k``) and after each final run.

    Returns
    -------
    tuple
        Condition -> test accuracies (one per seed), and the selection record (settings,
        every candidate's validation accuracies, the choices).
    """
    protocol = protocol.resolved(config.dataset, config.seeds)
    policy_paths = dict(policy_paths or {})
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f"unknown conditions {unknown}; expected names from {CONDITIONS}")
    for condition in POLICY_CONDITIONS:
        if condition in conditions and condition not in policy_paths and \
                "policy" not in protocol.grid(condition):
            raise ValueError(f"condition {condition!r} needs a policy file")
    if config.consistency_weight > 0 and config.label_fraction >= 1:
        raise ValueError("consistency training needs unlabeled images: label_fraction must be "
                         "< 1 (the pool outside the labeled subset and the validation set is "
                         "the unlabeled set)")
    grids = {c: candidates(protocol.grid(c)) for c in conditions}
    augments = {
        f"{c}#{k}": build_candidate(c, settings, config, policy_paths.get(c))
        for c in conditions for k, settings in enumerate(grids[c])
    }
    split = _task_split(task, config, protocol)
    x, y, n_classes = task.train_images, task.train_labels, len(task.classes)
    semi = config.consistency_weight > 0
    scores: dict[str, list[float]] = {name: [] for name in augments}
    for seed in protocol.select_seeds:
        labeled, val, rest = split(seed)
        found = run_augments(
            lambda _s, lab=labeled, rest=rest: (x[lab], y[lab], x[rest] if semi else None),
            x[val], y[val], augments, config, n_classes=n_classes, seeds=[seed],
            on_run=on_select,
        )
        for name, accuracies in found.items():
            scores[name].extend(accuracies)
    chosen = {c: _best(c, grids[c], scores) for c in conditions}
    final = {c: augments[f"{c}#{k}"] for c, k in chosen.items()}

    def final_split(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        labeled, _, rest = split(seed)
        return x[labeled], y[labeled], x[rest] if semi else None

    results = run_augments(final_split, task.test_images, task.test_labels, final, config,
                           n_classes=n_classes, on_run=on_run)
    return results, selection_record(protocol, grids, scores, chosen, task, config)


def _best(condition: str, grid: list[dict[str, Any]], scores: Mapping[str, list[float]]) -> int:
    means = [float(np.mean(scores[f"{condition}#{k}"])) for k in range(len(grid))]
    return int(np.argmax(means))  # the first of equal means


def selection_record(
    protocol: ValidationProtocol,
    grids: Mapping[str, list[dict[str, Any]]],
    scores: Mapping[str, list[float]],
    chosen: Mapping[str, int],
    task: Task,
    config: EvalConfig,
) -> dict[str, Any]:
    """What the results file records about the selection: settings, every candidate, choices."""
    sizes = {}
    for seed in protocol.select_seeds or ():
        labeled, val, rest = _task_split(task, config, protocol)(seed)
        sizes[str(seed)] = {"labeled": len(labeled), "validation": len(val),
                            "unlabeled": len(rest)}
    return {
        "protocol": "select-on-validation",
        "val_size": protocol.val_size,
        "val_fraction": protocol.val_fraction,
        "grouped": task.groups is not None,
        "select_seeds": list(protocol.select_seeds or ()),
        "split_sizes": sizes,
        "grids": {c: protocol.grid(c) for c in grids},
        "candidates": {
            c: [
                {"settings": settings,
                 "val_accuracy": [round(a, 4) for a in scores[f"{c}#{k}"]],
                 "val_mean": round(float(np.mean(scores[f"{c}#{k}"])), 4)}
                for k, settings in enumerate(grid)
            ]
            for c, grid in grids.items()
        },
        "chosen": {c: grids[c][k] for c, k in chosen.items()},
    }
