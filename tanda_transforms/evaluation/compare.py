"""Paired comparison of conditions from results files (``tanda compare``).

Runs of the harness with the same seed share the labeled subset, the model's initialisation and
the batch order, whatever the condition. So two conditions run on the same seeds are compared
best seed by seed: the per-seed differences take the split's and the initialisation's luck out
of the comparison, which the spread of each condition's own accuracies keeps in.

A condition is named ``PATH:CONDITION`` (every record of the results file ``PATH`` that ran
``CONDITION``, merged by seed: e.g. a validation run of seed 0 and a later test run of seeds 1
and 2) or ``PATH:CONDITION:K`` / ``PATH:CONDITION:K,J,...`` (only those records, counting
from 0). All of a file's records are merged only when they ran the condition the same way:
the same end-model settings and the same setting chosen on validation; records named explicitly are
merged as named, and the comparison notes where they differ (a validation run records its
choice under ``selection``, the test runs after it in their settings). Their policy files may
differ (a label-aware policy is learned per seed, from that seed's labels); the comparison
says how many there were. ``A+B`` merges the entries ``A`` and ``B`` (e.g. the same condition
from the results file of seeds 0-2 and from that of more seeds), if they ran it the same way
(so a path itself cannot hold ``+``).

Examples
--------
>>> reference = Entry("a:none", "mnist", {0: 95.0, 1: 96.0, 2: 95.5}, {})
>>> other = Entry("b:tanda_lstm", "mnist", {0: 95.5, 1: 96.5, 2: 95.3}, {})
>>> print(format_comparison([reference, other]))  # doctest: +NORMALIZE_WHITESPACE
reference: a:none  95.50 ± 0.50 (seeds 0, 1, 2)
condition       mean ± std     paired difference  per seed              above
b:tanda_lstm    95.77 ± 0.64   +0.27 ± 0.40       +0.50, +0.50, -0.20   2 of 3
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tanda_transforms.evaluation.training import summarize

__all__ = ["Entry", "Paired", "format_comparison", "paired", "read_entry"]

#: Config fields that do not change what a run measures (how many seeds, where it ran).
_RUN_ONLY = frozenset({"seeds", "device", "threads", "num_workers", "eval_batch_size"})
#: Machine facts of a record that can change a seed's result: a run is exact on one machine,
#: not across machines (another host build, other vector kernels, other library versions).
_MACHINE = ("platform", "cpu", "cpu_capability", "torch", "numpy", "opencv", "gpu")


@dataclass(frozen=True)
class Entry:
    """One condition's test accuracies by seed, read from results files.

    ``config`` is the end model's setting the accuracies were measured with (the record's
    config without the fields that only say how the run ran), ``chosen`` the setting chosen
    for the condition on validation (None without selection), ``policies`` the hashes (or
    paths) of the policy files its records used, ``machine`` the machine facts of its first
    record (:data:`_MACHINE`), ``notes`` what merging its records found.
    """

    label: str
    dataset: str
    by_seed: dict[int, float]
    config: dict[str, Any]
    chosen: dict[str, Any] | None = None
    policies: frozenset[str] = frozenset()
    machine: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Paired:
    """Per-seed differences ``other - reference`` on the seeds both ran."""

    seeds: list[int]
    differences: list[float]

    @property
    def mean(self) -> float:
        return summarize(self.differences)[0]

    @property
    def std(self) -> float:
        return summarize(self.differences)[1]

    @property
    def above(self) -> int:
        """Seeds on which the other condition scored higher."""
        return sum(d > 0 for d in self.differences)


def paired(reference: Entry, other: Entry) -> Paired:
    """The paired differences of ``other`` against ``reference``.

    Raises
    ------
    ValueError
        When the two share no seed, or are of different datasets.
    """
    if reference.dataset != other.dataset:
        raise ValueError(f"{other.label} is a {other.dataset} result, {reference.label} a "
                         f"{reference.dataset} one: nothing to pair")
    seeds = sorted(set(reference.by_seed) & set(other.by_seed))
    if not seeds:
        raise ValueError(f"{other.label} (seeds {_seeds(other)}) and {reference.label} (seeds "
                         f"{_seeds(reference)}) share no seed")
    return Paired(seeds, [other.by_seed[s] - reference.by_seed[s] for s in seeds])


def read_entry(spec: str) -> Entry:
    """The entry ``spec`` names: ``PATH:CONDITION``, ``PATH:CONDITION:K,J,...``, or such parts
    joined by ``+`` (see the module docstring).

    Raises
    ------
    ValueError
        For a spec without a condition, a file that is not a results file, a condition or
        record it does not hold, or records that ran the condition in different ways.
    OSError
        When the file cannot be read.
    """
    parts = [_read_part(part) for part in spec.split("+")]
    return _joined(spec, parts) if len(parts) > 1 else parts[0]


def _read_part(spec: str) -> Entry:
    """The entry of one ``PATH:CONDITION[:RECORDS]``."""
    path, condition, indices = _parse_spec(spec)
    data = json.loads(Path(path).read_text())
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        raise ValueError(f"{path} is not a results file of `tanda evaluate` (no 'runs' list)")
    for index in indices or ():
        if not 0 <= index < len(runs):
            raise ValueError(f"{path} has {len(runs)} records (0 to {len(runs) - 1}), not {index}")
    named = list(enumerate(runs)) if indices is None else [(i, runs[i]) for i in indices]
    held = [(i, r) for i, r in named
            if isinstance(r, dict) and isinstance(r.get("conditions"), dict)
            and condition in r["conditions"]]
    missing = [] if indices is None else sorted(set(indices) - {i for i, _ in held})
    if missing or not held:
        where = f"record {missing[0]} of {path}" if missing else path
        raise ValueError(f"{where} holds no result of condition {condition!r}")
    return _merged(spec, condition, held, strict=indices is None)


def _joined(label: str, parts: list[Entry]) -> Entry:
    """Entries of one condition from several files, merged by seed (later parts replace)."""
    first, *rest = parts
    by_seed, notes = dict(first.by_seed), list(first.notes)
    for part in rest:
        differs = (f"dataset {first.dataset!r} vs {part.dataset!r}"
                   if part.dataset != first.dataset else
                   _ran_differently(first.config, first.chosen, part.config, part.chosen))
        if differs:
            raise ValueError(f"{part.label} ran differently from {first.label} ({differs}): "
                             "only entries run alike are joined with +")
        notes += part.notes
        _add_seeds(by_seed, part.by_seed, part.label, notes)
        other_machine = _machine_difference(first.machine, part.machine)
        if other_machine:
            notes.append(f"{part.label} ran on another machine than {first.label}: "
                         f"{other_machine}")
    policies = frozenset().union(*(p.policies for p in parts))
    return Entry(label, first.dataset, by_seed, first.config, first.chosen, policies,
                 first.machine, tuple(notes))


def _parse_spec(spec: str) -> tuple[str, str, list[int] | None]:
    """``(path, condition, record indices or None)`` of ``PATH:CONDITION[:K[,J...]]``."""
    head, _, last = spec.rpartition(":")
    indices = None
    if ":" in head and all(part.isdigit() for part in last.split(",")):
        indices = [int(part) for part in last.split(",")]
        head, _, last = head.rpartition(":")
    if not head or not last:
        raise ValueError(f"name a condition as PATH:CONDITION or PATH:CONDITION:RECORDS, "
                         f"got {spec!r}")
    return head, last, indices


def _merged(label: str, condition: str, held: list[tuple[int, Mapping[str, Any]]],
            strict: bool) -> Entry:
    """One entry from the records ``held`` (index, record) that ran ``condition``; with
    ``strict``, only if they ran it the same way as the first, else their differences are
    noted."""
    first, head = held[0]
    config, chosen, machine = _run_of(head), _chosen(head, condition), _machine(head)
    by_seed: dict[int, float] = {}
    policies: set[str] = set()
    notes: list[str] = []
    for index, record in held:
        other_machine = _machine_difference(machine, _machine(record))
        if other_machine:
            notes.append(f"record {index} ran on another machine than record {first}: "
                         f"{other_machine}")
        differs = _ran_differently(config, chosen, _run_of(record),
                                   _chosen(record, condition))
        if differs and strict:
            path = label.rpartition(":")[0]
            raise ValueError(f"records {first} and {index} ran {condition!r} differently "
                             f"({differs}): name the records to merge, e.g. "
                             f"{path}:{condition}:{first},{index}")
        if differs:
            notes.append(f"record {index} differs from record {first}: {differs}")
        policy = (record.get("policies") or {}).get(condition) or {}
        if policy.get("sha256") or policy.get("path"):
            policies.add(str(policy.get("sha256") or policy.get("path")))
        _add_seeds(by_seed, _accuracies(record["conditions"][condition], label, index),
                   f"record {index}", notes)
    return Entry(label, str(head.get("dataset")), by_seed, config, chosen, frozenset(policies),
                 machine, tuple(notes))


def _run_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's end-model settings, without the fields that only say how it ran."""
    return {k: v for k, v in (record.get("config") or {}).items() if k not in _RUN_ONLY}


def _chosen(record: Mapping[str, Any], condition: str) -> Any:
    """What a record chose for ``condition`` on validation (None without selection)."""
    return ((record.get("selection") or {}).get("chosen") or {}).get(condition)


def _machine(record: Mapping[str, Any]) -> dict[str, Any]:
    facts = record.get("machine")
    facts = facts if isinstance(facts, Mapping) else {}
    return {key: facts[key] for key in _MACHINE if key in facts}


def _machine_difference(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> str:
    """How two records' machines differ, on the facts both recorded."""
    a, b = a or {}, b or {}
    return _difference({k: a[k] for k in a if k in b}, {k: b[k] for k in b if k in a})


def _add_seeds(by_seed: dict[int, float], new: Mapping[int, float], source: str,
               notes: list[str]) -> None:
    """Add ``new`` accuracies to ``by_seed``; a seed already there with another value is
    replaced, and ``notes`` says so."""
    for seed, accuracy in new.items():
        if seed in by_seed and by_seed[seed] != accuracy:
            notes.append(f"{source} replaces seed {seed}'s {by_seed[seed]:.2f} with "
                         f"{accuracy:.2f}")
        by_seed[seed] = accuracy


def _accuracies(result: Any, label: str, index: int) -> dict[int, float]:
    """``{seed: accuracy}`` of one record's result of a condition, checked."""
    seeds = result.get("seeds") if isinstance(result, Mapping) else None
    accuracy = result.get("accuracy") if isinstance(result, Mapping) else None
    if not (isinstance(seeds, list) and isinstance(accuracy, list)
            and len(seeds) == len(accuracy)):
        raise ValueError(f"{label}: record {index} has no 'seeds' and 'accuracy' lists of "
                         "one length")
    out = {}
    for seed, value in zip(seeds, accuracy, strict=True):
        if (isinstance(seed, bool) or not isinstance(seed, int) or isinstance(value, bool)
                or not isinstance(value, int | float) or not math.isfinite(value)):
            raise ValueError(f"{label}: record {index} holds seed {seed!r} with accuracy "
                             f"{value!r}; expected an integer seed and a finite number")
        out[seed] = float(value)
    return out


def _ran_differently(config_a: Mapping[str, Any], chosen_a: Any, config_b: Mapping[str, Any],
                     chosen_b: Any) -> str:
    """How two runs of a condition differ (end-model settings, then the chosen setting), or
    ``""``. A setting one record lacks counts as None there: an option added later."""
    differs = _difference(config_a, config_b)
    if not differs and chosen_a != chosen_b:
        differs = f"chosen {chosen_a!r} vs {chosen_b!r}"
    return differs


def _difference(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """The fields on which two settings differ, as ``key a vs b`` items (a missing field
    counts as None)."""
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k} {a.get(k)!r} vs {b.get(k)!r}" for k in keys)


def format_comparison(entries: Sequence[Entry]) -> str:
    """The first entry as the reference, then each other one's mean ± std and its paired
    difference (mean ± std of the per-seed differences, on the seeds both ran), with a note
    for each end-model setting that differs from the reference's."""
    reference, *others = entries
    mean, std = summarize(list(reference.by_seed.values()))
    lines = [f"reference: {reference.label}  {mean:.2f} ± {std:.2f} (seeds {_seeds(reference)})"]
    rows = [["condition", "mean ± std", "paired difference", "per seed", "above"]]
    notes = [f"note: {reference.label}: {note}" for note in reference.notes]
    for entry in others:
        pair = paired(reference, entry)
        mean, std = summarize(list(entry.by_seed.values()))
        rows.append([entry.label, f"{mean:.2f} ± {std:.2f}", f"{pair.mean:+.2f} ± {pair.std:.2f}",
                     ", ".join(f"{d:+.2f}" for d in pair.differences),
                     _above(pair)])
        if set(pair.seeds) != set(entry.by_seed) | set(reference.by_seed):
            notes.append(f"note: {entry.label} is paired on seeds "
                         f"{', '.join(map(str, pair.seeds))} only")
        differs = _difference(reference.config, entry.config)
        if differs:
            notes.append(f"note: {entry.label} ran the end model differently: {differs}")
        notes += [f"note: {entry.label}: {note}" for note in entry.notes]
        other_machine = _machine_difference(reference.machine, entry.machine)
        if other_machine:
            notes.append(f"note: {entry.label} ran on another machine than the reference "
                         f"({other_machine}): a seed's result is exact on one machine only")
        if len(entry.policies) > 1:
            notes.append(f"note: {entry.label} used {len(entry.policies)} policy files")
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines += ["   ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)),
                          row[-1]]).rstrip() for row in rows]
    return "\n".join(lines + notes)


def _above(pair: Paired) -> str:
    """``"k of n"``, with the ties (a difference of exactly 0) if any."""
    ties = sum(d == 0 for d in pair.differences)
    text = f"{pair.above} of {len(pair.seeds)}"
    return text + (f", {ties} tie{'s' if ties > 1 else ''}" if ties else "")


def _seeds(entry: Entry) -> str:
    return ", ".join(str(s) for s in sorted(entry.by_seed))

