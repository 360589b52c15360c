"""``tanda evaluate``: run the end-model comparison from the command line.

The same options drive ``docs/experiments/end_model.py`` (which adds the report). Results are
printed as a table and, with ``--out``, appended to a JSON file as one run record::

    {"dataset": "mnist", "runs": [{"date": ..., "config": {...}, "conditions": {...}}, ...]}

Each condition entry holds the per-seed accuracies, their mean and sample standard deviation,
and the wall times; ``skipped`` says which conditions did not run and why.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tanda_transforms._atomic import write_atomic
from tanda_transforms.evaluation.augment import POLICY_CONDITIONS
from tanda_transforms.evaluation.options import add_evaluate_parser, add_run_arguments
from tanda_transforms.evaluation.tasks import Task, load_task
from tanda_transforms.evaluation.training import (
    EvalConfig,
    RunRecord,
    resolve_device,
    run_conditions,
    summarize,
)
from tanda_transforms.policy import PolicyNotFoundError, TANDAPolicy, gallery_names

__all__ = [
    "add_evaluate_parser",
    "add_run_arguments",
    "append_record",
    "config_from_args",
    "evaluate_task",
    "format_table",
    "machine_info",
    "resolve_policies",
    "run_evaluate",
]

POLICY_SUFFIX = {"tanda_mf": "mf", "tanda_lstm": "lstm"}


def config_from_args(args: argparse.Namespace) -> EvalConfig:
    """The :class:`EvalConfig` of parsed :func:`add_run_arguments` options."""
    overrides = {
        key: getattr(args, key)
        for key in ("epochs", "label_fraction", "batch_size", "lr", "model", "width", "blocks")
        if getattr(args, key) is not None
    }
    return EvalConfig.for_dataset(
        args.dataset,
        seeds=tuple(args.seeds),
        device=args.device,
        num_workers=args.workers,
        seq_len=args.seq_len,
        with_basic=args.with_basic,
        policy_p=args.policy_p,
        policy_frame=args.policy_frame,
        render=args.rendering,
        basic_border=args.basic_border,
        clean_epochs=args.clean_epochs,
        threads=args.threads,
        consistency_weight=args.consistency_weight,
        consistency_passes=args.consistency_passes,
        unlabeled_batch_size=args.unlabeled_batch_size,
        consistency_target=args.consistency_target,
        **overrides,
    )


def _policy_exists(path: str) -> bool:
    return os.path.isfile(path) or path in gallery_names()


def resolve_policies(
    dataset: str,
    conditions: Sequence[str],
    policies_dir: str | None = None,
    explicit: Mapping[str, str | None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Policy files of the policy conditions, and the conditions to skip (with the reason).

    An explicit path wins over ``policies_dir/<dataset>_{mf,lstm}.tanda``. A policy condition
    whose file does not exist is skipped. The heuristic gets the first policy found (``mf``,
    then ``lstm``) so it draws from the same TFs and ``L``.

    Examples
    --------
    >>> paths, skipped = resolve_policies("mnist", ["heuristic", "tanda_mf"], "/nowhere")
    >>> paths, skipped
    ({}, {'tanda_mf': 'no policy file: /nowhere/mnist_mf.tanda'})
    >>> resolve_policies("mnist", ["heuristic", "tanda_mf"], explicit={"tanda_mf": "example"})[0]
    {'tanda_mf': 'example', 'heuristic': 'example'}
    """
    explicit = dict(explicit or {})
    paths: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for condition in POLICY_CONDITIONS:
        if condition not in conditions:
            continue
        path = explicit.get(condition)
        if path is None and policies_dir is not None:
            path = os.path.join(policies_dir, f"{dataset}_{POLICY_SUFFIX[condition]}.tanda")
        if path is None:
            skipped[condition] = "no policy given (--policies DIR or --policy-mf/--policy-lstm)"
        elif not _policy_exists(path):
            skipped[condition] = f"no policy file: {path}"
        else:
            paths[condition] = path
    if "heuristic" in conditions and paths:
        paths["heuristic"] = next(iter(paths.values()))
    return paths, skipped


def policy_info(path: str) -> dict[str, Any]:
    """What a results file records about a policy: where, its hash, generator, TFs and L."""
    policy = TANDAPolicy.load(path)
    info: dict[str, Any] = {"path": path}
    if os.path.isfile(path):
        info["sha256"] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    else:
        info["gallery"] = True
    training = policy.metadata.get("training", {})
    info.update(
        generator=policy.sampler.config().get("kind"),
        seq_len=policy.seq_len,
        n_tfs=len(policy.library),
        learned=bool(training),
        description=policy.metadata.get("description"),
    )
    return info


def machine_info(device: str, threads: int | None = None) -> dict[str, Any]:
    """Machine facts for the results: CPU, cores, threads, versions, device."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    resolved = resolve_device(device)
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores_available": len(affinity(0)) if affinity else os.cpu_count(),
        "torch_threads": threads or torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "device": str(resolved),
        "gpu": torch.cuda.get_device_name(resolved) if resolved.type == "cuda" else None,
    }


def evaluate_task(
    task: Task,
    conditions: Sequence[str],
    config: EvalConfig,
    policy_paths: Mapping[str, str] | None = None,
    *,
    skipped: Mapping[str, str] | None = None,
    smoke: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the conditions on a task and return the results record (see the module doc)."""
    policy_paths = dict(policy_paths or {})
    runs: list[RunRecord] = []

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
    run_conditions(
        task.train_images,
        task.train_labels,
        task.test_images,
        task.test_labels,
        conditions,
        config,
        policy_paths,
        n_classes=len(task.classes),
        on_run=on_run,
    )
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
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "smoke": smoke,
        "dataset": task.dataset,
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


def format_table(record: Mapping[str, Any]) -> str:
    """The results of a record as a plain-text table (times: wall; CPU where recorded).

    Examples
    --------
    >>> record = {"conditions": {"none": {"accuracy": [90.0, 92.0], "mean": 91.0, "std": 1.414,
    ...           "wall_seconds": [10.0, 12.0], "epoch_seconds_mean": 0.5}}, "skipped": {}}
    >>> print(format_table(record))  # doctest: +NORMALIZE_WHITESPACE
    condition        mean ± std        per seed          wall s  s/epoch  CPU s/epoch
    none             91.00 ± 1.41      90.00, 92.00        22.0     0.50            -
    """
    lines = [
        f"{'condition':<16s} {'mean ± std':<17s} {'per seed':<17s} {'wall s':>7s} {'s/epoch':>8s}"
        f" {'CPU s/epoch':>12s}"
    ]
    for name, entry in record["conditions"].items():
        per_seed = ", ".join(f"{a:.2f}" for a in entry["accuracy"])
        mean_std = f"{entry['mean']:.2f} ± {entry['std']:.2f}"
        cpu = entry.get("epoch_cpu_seconds_mean")
        lines.append(
            f"{name:<16s} {mean_std:<17s} {per_seed:<17s} {sum(entry['wall_seconds']):7.1f} "
            f"{entry['epoch_seconds_mean']:8.2f} {'-' if cpu is None else f'{cpu:.2f}':>12s}"
        )
    for name, reason in record.get("skipped", {}).items():
        lines.append(f"{name:<16s} skipped: {reason}")
    return "\n".join(lines)


def append_record(path: str | os.PathLike, record: Mapping[str, Any]) -> None:
    """Append a run record to a results JSON file (created if missing)."""
    path = Path(path)
    data: dict[str, Any] = {"dataset": record["dataset"], "runs": []}
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("dataset") != record["dataset"] or not isinstance(data.get("runs"), list):
            raise ValueError(f"{path} holds results of another dataset or is not a results file")
    data["runs"].append(dict(record))
    write_atomic(path, (json.dumps(data, indent=1) + "\n").encode())


def prepare(args: argparse.Namespace, log: Callable[[str], None] = print):
    """Load the task and resolve policies for parsed options; ``None`` task after an export."""
    config = config_from_args(args)
    task = load_task(
        args.dataset,
        args.data,
        test_limit=args.test_limit,
        mias_task=args.mias_task,
        split_seed=args.split_seed,
    )
    if args.export_unlabeled:
        np.save(args.export_unlabeled, task.train_images)
        log(f"wrote {len(task.train_images)} unlabeled training images "
            f"{task.train_images.shape[1:]} to {args.export_unlabeled}")
        return None, config, {}, {}
    paths, skipped = resolve_policies(
        args.dataset,
        args.conditions,
        args.policies,
        {"tanda_mf": args.policy_mf, "tanda_lstm": args.policy_lstm},
    )
    for condition, reason in skipped.items():
        log(f"note: skipping {condition}: {reason}")
    conditions = [c for c in args.conditions if c not in skipped]
    heuristic = paths.get("heuristic")
    if heuristic is not None:
        log(f"note: heuristic draws uniformly from the TFs and L of {heuristic}")
    return task, config, paths, {"conditions": conditions, "skipped": skipped}


def run_evaluate(args: argparse.Namespace) -> int:
    """``tanda evaluate``: run, print the table, append the record to ``--out``."""
    task, config, paths, plan = prepare(args)
    if task is None:
        return 0
    if not plan["conditions"]:
        print("nothing to run: every requested condition was skipped", file=sys.stderr)
        return 1
    print(f"{task.description}: pool {len(task.train_labels)}, test {len(task.test_labels)}; "
          f"{config.epochs} epochs, seeds {list(config.seeds)}, model {config.model}")
    record = evaluate_task(
        task, plan["conditions"], config, paths, skipped=plan["skipped"], smoke=args.smoke
    )
    print(format_table(record))
    if args.out:
        append_record(args.out, record)
        print(f"appended the results to {args.out}")
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
