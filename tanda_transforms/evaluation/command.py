"""``tanda evaluate``: run the end-model comparison from the command line.

The same options drive ``docs/experiments/end_model.py`` (which adds the report). Results are
printed as a table and, with ``--out``, appended to a JSON file as one run record::

    {"dataset": "mnist", "runs": [{"date": ..., "config": {...}, "conditions": {...}}, ...]}

Each condition entry holds the per-seed scores under ``accuracy`` (the record's ``metric``:
test accuracy in %, or for ``semeval`` the official macro-F1 in %), their mean and sample
standard deviation, and the wall times; ``skipped`` says which conditions did not run and why. With
``--select-on-validation`` (:mod:`~tanda_transforms.evaluation.selection`) each condition's
settings are chosen on a validation split first, and ``selection`` holds the protocol's sizes,
every candidate's validation accuracies and the choices; the accuracies are then those of the
chosen settings. Which datasets exist, their defaults and their reader options come from the
records of :mod:`~tanda_transforms.evaluation.datasets`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from tanda_transforms.evaluation.datasets import dataset_record, load_task
from tanda_transforms.evaluation.options import (  # re-exported: they used to live here
    POLICY_CONDITIONS,
    add_evaluate_parser,
    add_run_arguments,
)
from tanda_transforms.evaluation.report import (
    append_record,
    format_selection,
    format_table,
    machine_info,
    policy_info,
)
from tanda_transforms.evaluation.runs import run_conditions
from tanda_transforms.evaluation.selection import (
    ValidationProtocol,
    parse_grid,
    select_and_test,
)
from tanda_transforms.evaluation.tasks import Task
from tanda_transforms.evaluation.training import (
    EvalConfig,
    RunRecord,
    summarize,
)
from tanda_transforms.policy import PolicyNotFoundError, gallery_names

__all__ = [
    "add_evaluate_parser",
    "add_run_arguments",
    "append_record",
    "config_from_args",
    "evaluate_task",
    "format_table",
    "machine_info",
    "protocol_from_args",
    "resolve_policies",
    "run_evaluate",
]

POLICY_SUFFIX = {"tanda_mf": "mf", "tanda_lstm": "lstm"}


def protocol_from_args(args: argparse.Namespace) -> ValidationProtocol | None:
    """The :class:`ValidationProtocol` of parsed options, ``None`` without selection."""
    if not args.select_on_validation:
        if args.grid or args.val_size or args.val_fraction or args.select_seeds:
            raise ValueError("--grid, --val-size, --val-fraction and --select-seeds need "
                             "--select-on-validation")
        return None
    grids = dict(parse_grid(spec) for spec in args.grid)
    return ValidationProtocol(args.val_size, args.val_fraction,
                              tuple(args.select_seeds) if args.select_seeds else None, grids)


def _reader_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options of the dataset's reader that were given (the reader's defaults else)."""
    names = [option.name for option in dataset_record(args.dataset).options]
    options = {name: getattr(args, name, None) for name in names}
    return {name: value for name, value in options.items() if value is not None}


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    """The :class:`EvalConfig` of parsed :func:`add_run_arguments` options."""
    if getattr(args, "export_unlabeled", None) and dataset_record(args.dataset).trainer != \
            "images":
        raise ValueError(f"--export-unlabeled writes images; {args.dataset}'s pool is "
                         f"sentences (learn on them with tanda learn --data {args.data})")
    overrides = {
        key: getattr(args, key)
        for key in ("epochs", "label_fraction", "batch_size", "lr", "model", "width", "blocks",
                    "threads", "policy_p", "policy_max_kl")
        if getattr(args, key) is not None
    }
    return EvalConfig.for_dataset(
        args.dataset,
        seeds=tuple(args.seeds),
        device=args.device,
        num_workers=args.workers,
        seq_len=args.seq_len,
        with_basic=args.with_basic,
        policy_frame=args.policy_frame,
        render=args.rendering,
        basic_border=args.basic_border,
        basic_pad=args.basic_pad,
        basic_flip=args.basic_flip,
        clean_epochs=args.clean_epochs,
        consistency_weight=args.consistency_weight,
        consistency_passes=args.consistency_passes,
        unlabeled_batch_size=args.unlabeled_batch_size,
        consistency_target=args.consistency_target,
        **overrides,
    )


def _policy_exists(path: str) -> bool:
    return os.path.isfile(path) or path in gallery_names()


def _folder_policy(policies_dir: str | None, dataset: str, condition: str) -> str | None:
    """``policies_dir/<dataset>_{mf,lstm}.tanda`` for a policy condition (``None`` without a
    folder)."""
    if policies_dir is None:
        return None
    return os.path.join(policies_dir, f"{dataset}_{POLICY_SUFFIX[condition]}.tanda")


def resolve_policies(
    dataset: str,
    conditions: Sequence[str],
    policies_dir: str | None = None,
    explicit: Mapping[str, str | None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Policy files of the policy conditions, and the conditions to skip (with the reason).

    An explicit path wins over ``policies_dir/<dataset>_{mf,lstm}.tanda``. A policy condition
    whose file does not exist is skipped. The heuristic draws from the TFs and ``L`` of a
    policy: the first found (``mf``, then ``lstm``) among the policy conditions run, else the
    other conditions' files, given ones before ``policies_dir``'s (so ``--conditions heuristic
    --policy-lstm P`` is the control of ``P``); without any policy file, the dataset's pack.

    Examples
    --------
    >>> paths, skipped = resolve_policies("mnist", ["heuristic", "tanda_mf"], "/nowhere")
    >>> paths, skipped
    ({}, {'tanda_mf': 'no policy file: /nowhere/mnist_mf.tanda'})
    >>> resolve_policies("mnist", ["heuristic", "tanda_mf"], explicit={"tanda_mf": "example"})[0]
    {'tanda_mf': 'example', 'heuristic': 'example'}
    >>> resolve_policies("mnist", ["heuristic"], explicit={"tanda_lstm": "example"})[0]
    {'heuristic': 'example'}
    """
    explicit = dict(explicit or {})
    paths: dict[str, str] = {}
    skipped: dict[str, str] = {}
    given: list[str] = []  # existing files of the policy conditions not run, given ones
    in_folder: list[str] = []  # ... and those found in policies_dir
    for condition in POLICY_CONDITIONS:
        path = explicit.get(condition) or _folder_policy(policies_dir, dataset, condition)
        if condition not in conditions:
            if path is not None and _policy_exists(path):
                (given if explicit.get(condition) else in_folder).append(path)
        elif path is None:
            skipped[condition] = "no policy given (--policies DIR or --policy-mf/--policy-lstm)"
        elif not _policy_exists(path):
            skipped[condition] = f"no policy file: {path}"
        else:
            paths[condition] = path
    sources = [*paths.values(), *given, *in_folder]
    if "heuristic" in conditions and sources:
        paths["heuristic"] = sources[0]
    elif "heuristic" in conditions and dataset_record(dataset).pack is None:
        skipped["heuristic"] = (f"{dataset}'s TFs come from a policy file (none given: "
                                "--policies DIR or --policy-mf/--policy-lstm)")
    return paths, skipped


def evaluate_task(
    task: Task,
    conditions: Sequence[str],
    config: EvalConfig,
    policy_paths: Mapping[str, str] | None = None,
    *,
    skipped: Mapping[str, str] | None = None,
    smoke: bool = False,
    log: Callable[[str], None] = print,
    protocol: ValidationProtocol | None = None,
) -> dict[str, Any]:
    """Run the conditions on a task and return the results record (see the module doc).

    With ``protocol``, every condition's setting is first chosen on validation
    (:func:`~tanda_transforms.evaluation.selection.select_and_test`) and the record holds the
    whole tuning under ``"selection"``.
    """
    policy_paths = dict(policy_paths or {})
    runs: list[RunRecord] = []

    def on_select(record: RunRecord) -> None:
        log(f"  select seed {record.seed} {record.condition:<18s} validation "
            f"{record.accuracy:6.2f} %  ({record.wall_seconds:.1f} s)")

    def on_run(record: RunRecord) -> None:
        runs.append(record)
        epoch = float(np.mean(record.epoch_seconds))
        cpu = float(np.mean(record.epoch_cpu_seconds))
        log(
            f"  seed {record.seed} {record.condition:<15s} {record.accuracy:6.2f} %  "
            f"({record.wall_seconds:.1f} s; per epoch {epoch:.2f} s wall, {cpu:.2f} s CPU; "
            f"test {record.test_seconds:.1f} s)"
        )

    started = time.perf_counter()
    selection = None
    if protocol is None:
        run_conditions(task.train_images, task.train_labels, task.test_images, task.test_labels,
                       conditions, config, policy_paths, n_classes=len(task.classes),
                       on_run=on_run)
    else:
        _, selection = select_and_test(task, conditions, config, protocol, policy_paths,
                                       on_select=on_select, on_run=on_run)
    results: dict[str, Any] = {}
    for condition in conditions:
        mine = [r for r in runs if r.condition == condition]
        accuracies = [r.accuracy for r in mine]
        mean, std = summarize(accuracies)
        results[condition] = {
            "accuracy": [round(a, 4) for a in accuracies],
            "seeds": [r.seed for r in mine],
            "mean": round(mean, 4),
            "std": round(std, 4),
            "wall_seconds": [round(r.wall_seconds, 2) for r in mine],
            "epoch_seconds_mean": round(
                float(np.mean([np.mean(r.epoch_seconds) for r in mine])), 3
            ),
            "epoch_cpu_seconds_mean": round(
                float(np.mean([np.mean(r.epoch_cpu_seconds) for r in mine])), 3
            ),
            "augment_seconds": [
                None if r.augment_seconds is None else round(r.augment_seconds, 2) for r in mine
            ],
            "test_seconds": [round(r.test_seconds, 2) for r in mine],
            "final_loss": [round(r.final_loss, 4) for r in mine],
            "final_consistency": [
                None if r.final_consistency is None else round(r.final_consistency, 6)
                for r in mine
            ],
        }
    n_labeled = (
        len(task.train_labels)
        if config.label_fraction >= 1
        else int(round(config.label_fraction * len(task.train_labels)))
    )
    if selection is not None:  # the labeled subset the final runs trained on
        n_labeled = next(iter(selection["split_sizes"].values()))["labeled"]
    record = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "smoke": smoke,
        "dataset": task.dataset,
        "metric": dataset_record(task.dataset).metric,
        "task": task.description,
        "classes": list(task.classes),
        "n_pool": len(task.train_labels),
        "n_labeled": n_labeled,
        "n_test": len(task.test_labels),
        "task_info": task.info,
        "config": dataclasses.asdict(config),
        "machine": machine_info(config.device, config.threads),
        "policies": {c: policy_info(p) for c, p in policy_paths.items()},
        "skipped": dict(skipped or {}),
        "total_seconds": round(time.perf_counter() - started, 1),
        "conditions": results,
    }
    if selection is not None:
        record["selection"] = selection
    return record


def _grid_policies(protocol: ValidationProtocol | None) -> dict[str, str]:
    """The first ``policy`` of each policy condition's grid (it stands in for ``--policy-*``)."""
    if protocol is None:
        return {}
    return {c: protocol.grids[c]["policy"][0] for c in POLICY_CONDITIONS
            if "policy" in protocol.grids.get(c, {})}


def prepare(args: argparse.Namespace, log: Callable[[str], None] = print):
    """Load the task and resolve policies for parsed options; ``None`` task after an export.

    Returns ``(task, config, policy_paths, plan)``; ``plan`` holds the conditions to run, the
    skipped ones and the validation protocol (``None`` without ``--select-on-validation``).
    """
    config = config_from_args(args)
    protocol = protocol_from_args(args)
    task = load_task(args.dataset, args.data, test_limit=args.test_limit,
                     **_reader_options(args))
    if args.export_unlabeled:
        np.save(args.export_unlabeled, task.train_images)
        log(f"wrote {len(task.train_images)} unlabeled training images "
            f"{task.train_images.shape[1:]} to {args.export_unlabeled}")
        return None, config, {}, {}
    explicit = {"tanda_mf": args.policy_mf, "tanda_lstm": args.policy_lstm}
    for condition, path in _grid_policies(protocol).items():
        explicit[condition] = explicit[condition] or path
    paths, skipped = resolve_policies(args.dataset, args.conditions, args.policies, explicit)
    applicable = dataset_record(args.dataset).conditions or args.conditions
    for condition in args.conditions:
        if condition not in applicable:
            skipped[condition] = f"not a condition of {args.dataset} ({', '.join(applicable)})"
    for condition, reason in skipped.items():
        log(f"note: skipping {condition}: {reason}")
    conditions = [c for c in args.conditions if c not in skipped]
    heuristic = paths.get("heuristic")
    if heuristic is not None:
        log(f"note: heuristic draws uniformly from the TFs and L of {heuristic}")
    return task, config, paths, {"conditions": conditions, "skipped": skipped,
                                 "protocol": protocol}


def run_evaluate(
    args: argparse.Namespace,
    *,
    default_out: str | os.PathLike | None = None,
    log: Callable[[str], None] = print,
) -> int:
    """``tanda evaluate``: run, print the table, append the record to ``--out``.

    Parameters
    ----------
    args
        Parsed :func:`add_run_arguments` options and ``out``.
    default_out
        Results file when ``args.out`` is not set (``None``: print only).
    log
        Where progress and the table go.

    Returns
    -------
    int
        0 after a run or an export; 1 when every condition was skipped.
    """
    task, config, paths, plan = prepare(args, log)
    if task is None:
        return 0
    if not plan["conditions"]:
        print("nothing to run: every requested condition was skipped", file=sys.stderr)
        return 1
    protocol = plan["protocol"]
    images = dataset_record(args.dataset).trainer == "images"
    log(f"{task.description}: pool {len(task.train_labels)}, labeled fraction "
        f"{config.label_fraction}, test {len(task.test_labels)}; model {config.model}"
        + (f" (width {config.width}, blocks {config.blocks})" if images else "")
        + f", {config.epochs or 'its default'} epochs, seeds "
        f"{list(config.seeds)}, conditions {plan['conditions']}"
        + ("; settings chosen on validation" if protocol else ""))
    if config.consistency_weight:
        log(f"semi-supervised: consistency term ({config.consistency_target}) weight "
            f"{config.consistency_weight} on the unlabeled rest of the pool")
    record = evaluate_task(task, plan["conditions"], config, paths, skipped=plan["skipped"],
                           smoke=args.smoke, log=log, protocol=protocol)
    log(format_table(record))
    if protocol is not None:
        log(format_selection(record))
    out = getattr(args, "out", None) or default_out
    if out:
        append_record(out, record)
        log(f"appended the results to {out}")
    sys.stdout.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``evaluate`` on its own (``python -m tanda_transforms.evaluation``)."""
    parser = argparse.ArgumentParser(prog="tanda")
    sub = parser.add_subparsers(dest="command", required=True)
    add_evaluate_parser(sub)
    args = parser.parse_args(["evaluate", *(sys.argv[1:] if argv is None else argv)])
    try:
        return run_evaluate(args)
    except (OSError, PolicyNotFoundError, ValueError) as err:
        print(f"tanda: error: {err}", file=sys.stderr)
        return 2
