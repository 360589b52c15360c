"""The names and options of an evaluation, free of torch: ``tanda evaluate --help`` is instant.

The conditions, datasets and per-dataset defaults live here, with the argparse options that
name them; :mod:`~tanda_transforms.evaluation.augment`, :mod:`~tanda_transforms.evaluation.training`
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

__all__ = [
    "CONDITIONS",
    "CONSISTENCY_TARGETS",
    "DATASETS",
    "DEFAULTS",
    "POLICY_CONDITIONS",
    "TORCHVISION_CONDITIONS",
    "add_evaluate_parser",
    "add_run_arguments",
]

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
DATASETS: tuple[str, ...] = ("mnist", "cifar10", "mias")
#: How the consistency term compares copies (``tanda_transforms.consistency.TARGETS``).
CONSISTENCY_TARGETS: tuple[str, ...] = ("pairs", "detached")

#: Per-dataset defaults of :class:`EvalConfig` (the settings of the issue and their budget).
DEFAULTS: dict[str, dict[str, Any]] = {
    "mnist": dict(
        label_fraction=0.01, epochs=30, batch_size=32, lr=0.02, model="cnn", width=32, blocks=2
    ),
    "cifar10": dict(
        label_fraction=0.1, epochs=30, batch_size=64, lr=0.05, model="resnet", width=16, blocks=1
    ),
    "mias": dict(
        label_fraction=1.0, epochs=30, batch_size=32, lr=0.02, model="cnn", width=16, blocks=4
    ),
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
    parser.add_argument("--dataset", choices=DATASETS, required=require_dataset,
                        help="which task")
    parser.add_argument(
        "--data", required=require_data, metavar="ROOT",
        help="the dataset's folder (MNIST IDX files, the CIFAR-10 tar, mini-MIAS)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], metavar="S",
                        help="one run per seed, the same for every condition")
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS),
                        metavar="C", help=f"conditions to run, from: {' '.join(CONDITIONS)}")
    parser.add_argument("--epochs", type=int, help="training epochs (default: per dataset, 30)")
    parser.add_argument("--label-fraction", type=float,
                        help="labeled share of the pool (default: mnist 0.01, cifar10 0.1, mias 1)")
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
    parser.add_argument("--policy-p", type=float, default=1.0, metavar="P",
                        help="probability that a policy condition transforms an image")
    parser.add_argument("--policy-frame", type=int, default=0, metavar="PX",
                        help="policy conditions: context frame (random shift) in pixels")
    parser.add_argument("--rendering", choices=("fused", "step"), default="fused",
                        help="policy conditions: one resampling per geometric run (fused) or "
                        "the old step-by-step rendering (for the ablation)")
    parser.add_argument("--basic-border", choices=("zero", "reflect"), default="zero",
                        help="padding of basic (alone or with --with-basic)")
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
                        help="torch CPU threads during training (default: torch's own)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--test-limit", type=int, metavar="N",
                        help="test on a fixed stratified subset of N test items (default: all)")
    parser.add_argument("--mias-task", choices=("abnormal", "malignancy"), default="abnormal",
                        help="mias: normal vs abnormal patches, or benign vs malignant lesions")
    parser.add_argument("--split-seed", type=int, default=0, help="mias: seed of the patient split")
    parser.add_argument("--export-unlabeled", metavar="NPY",
                        help="write the training pool's images (no labels) to this .npy, the "
                        "only data a policy may be learned on, and exit (mias: the training "
                        "patients' patches of this --split-seed)")
    parser.add_argument("--smoke", action="store_true",
                        help="mark the results as a smoke run (never rendered as results)")


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
        "mini-MIAS patches) once per seed and condition (none, basic, heuristic, tanda_mf, "
        "tanda_lstm, randaugment, trivialaugment, autoaugment) and print the test accuracies. "
        f"Per-dataset defaults: {json.dumps(DEFAULTS)}",
    )
    add_run_arguments(parser)
    parser.add_argument("--out", metavar="JSON", help="append the results record to this file")
    return parser
