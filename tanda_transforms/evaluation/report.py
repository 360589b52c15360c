"""What a results record holds besides the accuracies, and how it is shown and stored.

A results file is ``{"dataset": ..., "runs": [record, ...]}``; :func:`append_record` adds one
record (see :mod:`tanda_transforms.evaluation.command`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from tanda_transforms._atomic import write_atomic
from tanda_transforms.evaluation.training import resolve_device
from tanda_transforms.policy import TANDAPolicy

__all__ = ["append_record", "format_selection", "format_table", "machine_info", "policy_info"]


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
        # the vector kernels torch picked: hosts of one CPU name can differ here, and a seed's
        # accuracy repeats exactly on one machine only (tanda compare notes such pairs)
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cores_available": len(affinity(0)) if affinity else os.cpu_count(),
        "torch_threads": threads or torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "device": str(resolved),
        "gpu": torch.cuda.get_device_name(resolved) if resolved.type == "cuda" else None,
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


def format_selection(record: Mapping[str, Any]) -> str:
    """Each condition's chosen setting and its validation score, as lines of text.

    Examples
    --------
    >>> record = {"selection": {"candidates": {"randaugment": [
    ...     {"settings": {"num_ops": 1}, "val_mean": 90.0},
    ...     {"settings": {"num_ops": 2}, "val_mean": 91.5}]},
    ...     "chosen": {"randaugment": {"num_ops": 2}}}}
    >>> print(format_selection(record))
    chosen on validation:
      randaugment      num_ops=2 (validation 91.50 %, best of 2)
    """
    selection = record.get("selection")
    if not selection:
        return ""
    lines = ["chosen on validation:"]
    for condition, chosen in selection["chosen"].items():
        entries = selection["candidates"][condition]
        best = max(e["val_mean"] for e in entries)
        knobs = ", ".join(f"{k}={v}" for k, v in chosen.items()) or "(nothing to tune)"
        lines.append(f"  {condition:<16s} {knobs} (validation {best:.2f} %, best of "
                     f"{len(entries)})")
    return "\n".join(lines)
