"""The names and options of an evaluation, free of torch: ``tanda evaluate --help`` is instant.

The conditions, the default selection grids and the argparse options that name them live
here; which datasets exist, their defaults and reader options come from the records of
:mod:`~tanda_transforms.evaluation.datasets` (also free of torch).
:mod:`~tanda_transforms.evaluation.augment`, :mod:`~tanda_transforms.evaluation.selection`
and :mod:`~tanda_transforms.evaluation.command` use them from here (and re-export them).

Examples
--------
>>> import argparse
>>> from tanda_transforms.evaluation.options import add_run_arguments
>>> parser = argparse.ArgumentParser()
>>> add_run_arguments(parser)
>>> args = parser.parse_args(["--dataset", "mnist", "--data", "/data/mnist"])
>>> args.conditions[:3], args.consistency_target
(['none', 'basic', 'heuristic'], 'pairs')
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tanda_transforms.evaluation.datasets import DATASETS, RECORDS

__all__ = [
    "BASIC_BORDERS",
    "BASIC_PAD",
    "CONDITIONS",
    "CONSISTENCY_TARGETS",
    "DEFAULT_GRIDS",
    "POLICY_CONDITIONS",
    "RENDERINGS",
    "TORCHVISION_CONDITIONS",
    "TORCHVISION_KNOBS",
    "add_evaluate_parser",
    "add_run_arguments",
]

Grid = dict[str, list[Any]]

#: Every condition, in the order tables list them.
CONDITIONS: tuple[str, ...] = (
    "none",
    "basic",
    "heuristic",
    "tanda_mf",
    "tanda_lstm",
    "randaugment",
    "trivialaugment",
    "autoaugment",
)
#: Conditions that need a learned policy file.
POLICY_CONDITIONS: tuple[str, ...] = ("tanda_mf", "tanda_lstm")
TORCHVISION_CONDITIONS: tuple[str, ...] = ("randaugment", "trivialaugment", "autoaugment")
#: The knobs ``tv_options`` may set, per torchvision condition.
TORCHVISION_KNOBS: dict[str, tuple[str, ...]] = {
    "randaugment": ("num_ops", "magnitude", "p"),
    "trivialaugment": ("p",),
    "autoaugment": ("p",),
}
#: The basic crop: pixels padded on each side, and how.
BASIC_PAD = 4
BASIC_BORDERS: tuple[str, ...] = ("zero", "reflect")
#: How a policy condition renders: one resampling per geometric run, or the old way.
RENDERINGS: tuple[str, ...] = ("fused", "step")
#: How the consistency term compares copies (``tanda_transforms.consistency.TARGETS``).
CONSISTENCY_TARGETS: tuple[str, ...] = ("pairs", "detached")
_POLICY_GRID: Grid = {"p": [0.5, 1.0], "frame": [0, 2]}
_APPLY_SHARE: Grid = {"p": [0.25, 0.5, 0.75, 1.0]}
#: The grids used when ``--grid`` names none for a condition: four candidates each.
DEFAULT_GRIDS: dict[str, Grid] = {
    "none": {},
    "basic": {"pad": [2, 4], "border": ["zero", "reflect"]},
    "heuristic": _POLICY_GRID,
    "tanda_mf": _POLICY_GRID,
    "tanda_lstm": _POLICY_GRID,
    "randaugment": {"num_ops": [1, 2], "magnitude": [5, 9]},
    "trivialaugment": _APPLY_SHARE,
    "autoaugment": _APPLY_SHARE,
}


def add_run_arguments(
    parser: argparse.ArgumentParser, *, require_dataset: bool = True, require_data: bool = True
) -> None:
    """Add the options of an evaluation run (dataset, budget, conditions, policies...).

    Parameters
    ----------
    parser
        The parser to extend.
    require_dataset, require_data
        Whether ``--dataset`` and ``--data`` are required (a script may supply defaults).
    """
    parser.add_argument(
        "--dataset", choices=DATASETS, required=require_dataset,
        help="which task: " + "; ".join(f"{r.name}: {r.description}" for r in RECORDS.values()),
    )
    parser.add_argument(
        "--data", required=require_data, metavar="ROOT",
        help="the dataset's folder: " + "; ".join(f"{r.name}: {r.data_help}"
                                                  for r in RECORDS.values()),
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], metavar="S",
                        help="one run per seed, the same for every condition")
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS),
                        metavar="C", help=f"conditions to run, from: {' '.join(CONDITIONS)}")
    parser.add_argument("--epochs", type=int, help="training epochs (default: per dataset, 30)")
    parser.add_argument("--label-fraction", type=float,
                        help="labeled share of the pool (default: " + ", ".join(
                            f"{r.name} {r.defaults['label_fraction']}" for r in RECORDS.values())
                        + ")")
    parser.add_argument("--batch-size", type=int, help="training batch size")
    parser.add_argument("--lr", type=float, help="peak learning rate (cosine decay to 0)")
    parser.add_argument("--model", choices=("cnn", "resnet"), help="end model")
    parser.add_argument("--width", type=int, help="channels of the model's first stage")
    parser.add_argument("--blocks", type=int, help="conv blocks (cnn) or blocks per stage")
    parser.add_argument("--seq-len", type=int, default=10, metavar="L",
                        help="L of the heuristic baseline when no policy file gives it")
    parser.add_argument("--with-basic", action="store_true",
                        help="apply the basic pad-crop(-flip) before every other condition "
                        "(default: each condition alone)")
    parser.add_argument("--policy-p", type=float, metavar="P",
                        help="probability that a policy condition transforms an image (or "
                        "sentence); default 1.0, semeval 0.5")
    parser.add_argument("--policy-frame", type=int, default=0, metavar="PX",
                        help="policy conditions: context frame (random shift) in pixels")
    parser.add_argument("--policy-max-kl", type=float, default=None, metavar="NATS",
                        help="learned conditions: apply a label-aware policy without the TFs "
                        "whose mean label-term penalty is above NATS (default: all its TFs)")
    parser.add_argument("--rendering", choices=("fused", "step"), default="fused",
                        help="policy conditions: one resampling per geometric run (fused) or "
                        "the old step-by-step rendering (for the ablation)")
    parser.add_argument("--basic-border", choices=("zero", "reflect"), default="zero",
                        help="padding of basic (alone or with --with-basic)")
    parser.add_argument("--basic-pad", type=int, default=4, metavar="PX",
                        help="pixels basic pads on each side (its crop moves up to this)")
    parser.add_argument("--basic-flip", action=argparse.BooleanOptionalAction,
                        help="whether basic flips left-right (default: as the dataset's "
                        "record says: " + ", ".join(f"{r.name} {'yes' if r.flip else 'no'}"
                                                    for r in RECORDS.values()) + ")")
    parser.add_argument("--clean-epochs", type=int, default=0, metavar="N",
                        help="train the last N epochs without augmentation")
    parser.add_argument("--consistency-weight", type=float, default=0.0, metavar="W",
                        help="semi-supervised: add W x a consistency term on the unlabeled "
                        "rest of the pool, made with each condition's own augmentation "
                        "(none: no term); 0 (default) is off")
    parser.add_argument("--consistency-passes", type=int, default=2, metavar="N",
                        help="transformed copies per unlabeled image (pairs: >= 2)")
    parser.add_argument("--unlabeled-batch-size", type=int, metavar="B",
                        help="unlabeled images per training step (default: --batch-size)")
    parser.add_argument("--consistency-target", choices=CONSISTENCY_TARGETS, default="pairs",
                        help="pairs: squared distance between the copies' softmax outputs "
                        "(the reference's term); detached: KL from the prediction on the "
                        "untransformed image, without gradient")
    parser.add_argument("--policies", metavar="DIR",
                        help="folder with <dataset>_mf.tanda and <dataset>_lstm.tanda")
    parser.add_argument("--policy-mf", metavar="PATH",
                        help="policy of tanda_mf (a .tanda file or gallery name)")
    parser.add_argument("--policy-lstm", metavar="PATH",
                        help="policy of tanda_lstm (a .tanda file or gallery name)")
    parser.add_argument("--workers", type=int, default=0,
                        help="DataLoader workers running the augmentation (0: main process)")
    parser.add_argument("--threads", type=int,
                        help="torch CPU threads during training (default: torch's own; "
                        "semeval 1)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--test-limit", type=int, metavar="N",
                        help="test on a fixed stratified subset of N test items (default: all)")
    _add_reader_arguments(parser)
    _add_selection_arguments(parser)
    parser.add_argument("--export-unlabeled", metavar="NPY",
                        help="write the training pool's images (no labels) to this .npy, the "
                        "only data a policy may be learned on, and exit (mias: the training "
                        "patients' patches of this --split-seed)")
    parser.add_argument("--smoke", action="store_true",
                        help="mark the results as a smoke run (never rendered as results)")


def _add_reader_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per reader option of the records; its help says what it does per dataset."""
    options: dict[str, list[tuple[str, Any]]] = {}
    for record in RECORDS.values():
        for option in record.options:
            options.setdefault(option.name, []).append((record.name, option))
    for uses in options.values():
        first = uses[0][1]
        parser.add_argument(
            first.flag, type=first.type, choices=first.choices, metavar=None if first.choices
            else first.name.split("_")[-1].upper(),
            help="; ".join(f"{name}: {option.help}" for name, option in uses),
        )


def _add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    grids = "; ".join(f"{c}: {' x '.join(f'{k} {v}' for k, v in g.items()) or 'nothing'}"
                      for c, g in DEFAULT_GRIDS.items())
    parser.add_argument(
        "--select-on-validation", action="store_true",
        help="choose every condition's settings (policy p and frame, RandAugment N and M, "
        "TrivialAugment's p, the crop's padding...) on a validation split of the training "
        "pool, then test each choice once per seed (off: every condition runs with the "
        "options given, as before)",
    )
    parser.add_argument("--val-size", type=int, metavar="N",
                        help="validation items drawn from the pool outside the labeled subset "
                        "(default: " + ", ".join(f"{r.name} {r.val_size}"
                                                 for r in RECORDS.values()
                                                 if r.defaults["label_fraction"] < 1) + ")")
    parser.add_argument("--val-fraction", type=float, metavar="F",
                        help="share of the pool held out for validation when every item is "
                        "labeled (mias: whole training patients; default 0.2)")
    parser.add_argument("--select-seeds", type=int, nargs="+", metavar="S",
                        help="seeds of the selection runs (default: the first of --seeds)")
    parser.add_argument("--grid", action="append", default=[], metavar="SPEC",
                        help="a condition's candidates, 'condition:knob=v1,v2;knob=v3' (e.g. "
                        "'randaugment:num_ops=1,2,3;magnitude=5,9'); repeat per condition. "
                        f"Defaults: {grids}")


def add_evaluate_parser(subparsers: Any, **parser_options: Any) -> argparse.ArgumentParser:
    """Add the ``evaluate`` subcommand to a ``tanda`` subparsers object.

    Parameters
    ----------
    subparsers
        What ``ArgumentParser.add_subparsers`` returned.
    **parser_options
        Passed to ``add_parser`` (e.g. ``formatter_class``).

    Returns
    -------
    argparse.ArgumentParser
        The ``evaluate`` parser; :func:`run_evaluate` runs its parsed arguments.
    """
    parser = subparsers.add_parser(
        "evaluate",
        **parser_options,
        help="train end models with each augmentation condition and compare test accuracy",
        description="Train an end model on a labeled subset (MNIST 1%, CIFAR-10 10%, "
        "mini-MIAS patches, your own folder of labeled images, or SemEval-2010 Task 8 "
        "sentences, scored by macro-F1) once per seed and condition (none, basic, heuristic, "
        "tanda_mf, tanda_lstm, randaugment, trivialaugment, autoaugment; the ones that apply "
        "to the dataset) and print the test scores; with --select-on-validation every "
        "condition's settings are first chosen on a validation split of the training pool. "
        "Per-dataset defaults: "
        + json.dumps({r.name: dict(r.defaults) for r in RECORDS.values()}),
    )
    add_run_arguments(parser)
    parser.add_argument("--out", metavar="JSON", help="append the results record to this file")
    return parser
