"""SemEval-2010 Task 8 with augmentation policies: the relation CNN's official macro-F1.

Trains the end model of ``tanda_transforms/evaluation/relation.py`` (a CNN with position
features) on a label-stratified share of the 8,000 training sentences under each augmentation
condition, and scores it on the 2,717 test sentences with the official SemEval-2010 Task 8
score (directional macro-F1 over the nine relations, ``Other`` excluded)::

    python docs/experiments/semeval.py --fractions 0.1 1.0 --seeds 0 1 2 \\
        --conditions none eda heuristic tanda_mf tanda_lstm \\
        --policy eda=policies/semeval_eda.tanda --policy heuristic=... \\
        --policy tanda_mf=... --policy tanda_lstm=... --p 0.5 --out results_semeval.json

    python docs/experiments/semeval.py --table --out results_semeval.json

Protocol:

* for a given seed every condition trains on the same subset (``label_subset(train,
  fraction, seed)``) from the same initialisation in the same batch order; only the
  augmentation differs (a paired comparison);
* ``none`` trains on the sentences as they are; every other condition is a policy file
  (``--policy NAME=PATH``) loaded with ``TANDAPolicy.load(path, seed=seed)`` and called on
  every training sentence in every epoch (markup sentence in, markup sentence out); ``--p``
  sets the policy's probability of changing a sentence at all. A condition without a
  ``--policy`` is skipped with a note;
* epochs follow :func:`~tanda_transforms.evaluation.relation.default_epochs` (12 on all
  8,000 sentences; 120 on 10 %: the same 1,920 optimiser steps) unless ``--epochs`` is given;
* the model after the last epoch is tested; nothing is tuned on the test set.

``--out`` is rewritten after every run, so a killed job keeps what it finished; started
again with the same file it skips the runs already there (same condition, fraction, seed,
``p``, epochs and policy file contents). ``--table`` prints condition x fraction, mean +- std
(over seeds) of the macro-F1, without training.

Policies must be learned on training sentences only (never on the test file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from tanda_transforms._atomic import write_atomic
from tanda_transforms.data.semeval import RelationExample, load_semeval
from tanda_transforms.evaluation.relation import (
    default_epochs,
    label_subset,
    train_relation_classifier,
)

HERE = Path(__file__).resolve().parent
DATA = (HERE.parents[2] / "shared" / "data" / "semeval2010-task8"
        / "SemEval2010_task8_all_data.tar.gz")
CONDITIONS = ("none", "eda", "heuristic", "tanda_mf", "tanda_lstm")
SMOKE = {"train": 400, "test": 300, "epochs": 2}

Augment = Callable[[str], str]
#: Makes a condition's augmentation for a seed (``None``: no augmentation).
AugmentFactory = Callable[[int], Augment | None]


# --- conditions -------------------------------------------------------------------------------


def parse_policies(items: Sequence[str]) -> dict[str, Path]:
    """``["NAME=PATH", ...]`` -> ``{NAME: PATH}``; each file must exist."""
    policies: dict[str, Path] = {}
    for item in items:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise SystemExit(f"--policy expects NAME=PATH, got {item!r}")
        if name == "none":
            raise SystemExit("--policy: 'none' is the unaugmented condition and takes no policy")
        if not Path(path).is_file():
            raise SystemExit(f"--policy {name}: no file at {path}")
        policies[name] = Path(path)
    return policies


def policy_factory(path: Path, p: float | None) -> AugmentFactory:
    """Load the policy file for a seed (and set its ``p`` if given)."""

    def make(seed: int) -> Augment:
        from tanda_transforms import TANDAPolicy

        policy = TANDAPolicy.load(path, seed=seed)
        if p is not None:
            policy.p = p
        return policy

    return make


def file_digest(path: Path) -> str:
    """sha256 of a file, so a changed policy file is not mistaken for one already run."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- results file -----------------------------------------------------------------------------


def read_results(path: Path) -> dict[str, Any]:
    """The results file, or an empty one."""
    if not path.is_file():
        return {"task": "semeval2010-task8", "runs": []}
    results = json.loads(path.read_text())
    if not isinstance(results, dict) or not isinstance(results.get("runs"), list):
        raise SystemExit(f"{path}: not a results file of this script (no 'runs' list)")
    return results


def run_key(record: dict[str, Any]) -> tuple:
    """What makes two runs the same (for resuming)."""
    return (record["condition"], float(record["fraction"]), int(record["seed"]),
            record.get("p"), int(record["epochs"]), record.get("policy_sha256"),
            record.get("smoke", False))


def run_grid(
    train: list[RelationExample],
    test: list[RelationExample],
    conditions: dict[str, tuple[AugmentFactory | None, dict[str, Any]]],
    fractions: Sequence[float],
    seeds: Sequence[int],
    out: Path,
    *,
    epochs: int | None = None,
    threads: int | None = 1,
    smoke: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train every (fraction, seed, condition) not yet in ``out``; rewrite ``out`` after each.

    Parameters
    ----------
    conditions
        ``{name: (factory, info)}``: ``factory(seed)`` makes the augmentation (``None``
        factory: no augmentation); ``info`` (e.g. the policy path, its digest, ``p``) is
        stored with each run and, with the condition, fraction, seed and epochs, identifies it.
    """
    results = read_results(out)
    done = {run_key(r) for r in results["runs"]}
    for fraction in fractions:
        for seed in seeds:
            subset = label_subset(train, fraction, seed)
            n_epochs = default_epochs(len(subset)) if epochs is None else epochs
            for name, (factory, info) in conditions.items():
                record: dict[str, Any] = {"condition": name, "fraction": fraction, "seed": seed,
                                          "epochs": n_epochs, "smoke": smoke, **info}
                if run_key(record) in done:
                    log(f"skip {name} fraction {fraction} seed {seed}: already in {out}")
                    continue
                augment = None if factory is None else factory(seed)
                result = train_relation_classifier(subset, test, augment=augment,
                                                   epochs=n_epochs, seed=seed, threads=threads)
                record.update(result)
                record["date"] = time.strftime("%Y-%m-%d %H:%M:%S")
                results["runs"].append(record)
                done.add(run_key(record))
                write_atomic(out, (json.dumps(results, indent=1) + "\n").encode())
                log(f"{name:>10} fraction {fraction:<5} seed {seed}: macro-F1 "
                    f"{result['macro_f1']:.2f}, accuracy {result['accuracy']:.2f} "
                    f"({result['n_train']} sentences, {n_epochs} epochs, "
                    f"{result['wall_seconds']:.0f} s)")
    return results


# --- table ------------------------------------------------------------------------------------


def _row_name(record: dict[str, Any]) -> str:
    p = record.get("p")
    return record["condition"] if p is None else f"{record['condition']} (p={p:g})"


def format_table(results: dict[str, Any], include_smoke: bool = False) -> str:
    """Markdown table: a row per condition (and ``p``), a column per fraction, mean +- std.

    Runs that differ only in the seed are pooled; the std is over seeds (sample std, ``n - 1``).

    Examples
    --------
    >>> runs = [{"condition": "none", "fraction": 0.1, "seed": s, "epochs": 120,
    ...          "macro_f1": f} for s, f in ((0, 50.0), (1, 52.0))]
    >>> print(format_table({"runs": runs}))
    | condition | 10 % |
    | --- | --- |
    | none | 51.00 ± 1.41 (2 seeds) |
    """
    runs = [r for r in results["runs"] if include_smoke or not r.get("smoke")]
    if not runs:
        return "(no runs)"
    fractions = sorted({float(r["fraction"]) for r in runs})
    order = {c: i for i, c in enumerate(CONDITIONS)}
    rows = sorted({_row_name(r): r["condition"] for r in runs}.items(),
                  key=lambda item: (order.get(item[1], len(order)), item[0]))
    lines = ["| condition | " + " | ".join(f"{100 * f:g} %" for f in fractions) + " |",
             "| --- |" + " --- |" * len(fractions)]
    for row, _ in rows:
        cells = []
        for fraction in fractions:
            scores = [r["macro_f1"] for r in runs
                      if _row_name(r) == row and float(r["fraction"]) == fraction]
            if not scores:
                cells.append("")
            elif len(scores) == 1:
                cells.append(f"{scores[0]:.2f} (1 seed)")
            else:
                cells.append(f"{statistics.mean(scores):.2f} ± {statistics.stdev(scores):.2f} "
                             f"({len(scores)} seeds)")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_paired(results: dict[str, Any], baseline: str = "none") -> str:
    """Markdown table of paired differences: per seed, a condition's macro-F1 minus the
    ``baseline`` run's on the same subset (same fraction and seed); mean +- std over seeds.

    Examples
    --------
    >>> runs = [{"condition": c, "fraction": 0.1, "seed": s, "macro_f1": f}
    ...         for c, s, f in (("none", 0, 50.0), ("none", 1, 54.0),
    ...                         ("eda", 0, 51.0), ("eda", 1, 56.0))]
    >>> print(format_paired({"runs": runs}))
    | condition - none | 10 % |
    | --- | --- |
    | eda | +1.50 ± 0.71 (2 seeds) |
    """
    runs = [r for r in results["runs"] if not r.get("smoke")]
    base = {(float(r["fraction"]), r["seed"]): r["macro_f1"] for r in runs
            if r["condition"] == baseline}
    fractions = sorted({f for f, _ in base})
    order = {c: i for i, c in enumerate(CONDITIONS)}
    names = sorted({_row_name(r) for r in runs if r["condition"] != baseline},
                   key=lambda name: (order.get(name.split(" ")[0], len(order)), name))
    lines = [f"| condition - {baseline} | " + " | ".join(f"{100 * f:g} %" for f in fractions)
             + " |", "| --- |" + " --- |" * len(fractions)]
    for name in names:
        cells = []
        for fraction in fractions:
            diffs = [r["macro_f1"] - base[(fraction, r["seed"])] for r in runs
                     if _row_name(r) == name and float(r["fraction"]) == fraction
                     and (fraction, r["seed"]) in base]
            if len(diffs) < 2:
                cells.append(f"{diffs[0]:+.2f} (1 seed)" if diffs else "")
            else:
                cells.append(f"{statistics.mean(diffs):+.2f} ± {statistics.stdev(diffs):.2f} "
                             f"({len(diffs)} seeds)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- command line -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA,
                        help="the release archive (or an extracted folder); default: %(default)s")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0],
                        help="shares of the training sentences to train on (label-stratified)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS),
                        help="none, or names given with --policy")
    parser.add_argument("--policy", action="append", default=[], metavar="NAME=PATH",
                        help="policy file of a condition (repeat for each)")
    parser.add_argument("--p", type=float, default=None,
                        help="probability a sentence is augmented (sets policy.p; default: "
                             "as saved in each policy file)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of every run (default: the rule of default_epochs)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", type=Path, default=HERE / "results_semeval.json",
                        help="results file, rewritten after every run (default: %(default)s)")
    parser.add_argument("--table", action="store_true",
                        help="print the table of --out and exit (no training)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"plumbing check: {SMOKE['train']} training and {SMOKE['test']} "
                             f"test sentences, {SMOKE['epochs']} epochs; runs marked smoke")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.table:
        results = read_results(args.out)
        print(format_table(results, include_smoke=args.smoke))
        for baseline in ("none", "heuristic", "heuristic_rel"):
            if any(r["condition"] == baseline for r in results["runs"]):
                print()
                print(format_paired(results, baseline))
        return 0
    if any(not 0 < f <= 1 for f in args.fractions):
        raise SystemExit(f"--fractions must be in (0, 1], got {args.fractions}")
    if args.p is not None and not 0 <= args.p <= 1:
        raise SystemExit(f"--p must be in [0, 1], got {args.p}")
    torch.set_num_threads(args.threads)
    policies = parse_policies(args.policy)
    conditions: dict[str, tuple[AugmentFactory | None, dict[str, Any]]] = {}
    for name in args.conditions:
        if name == "none":
            conditions[name] = (None, {})
        elif name in policies:
            path = policies[name]
            info = {"policy": str(path), "policy_sha256": file_digest(path), "p": args.p}
            conditions[name] = (policy_factory(path, args.p), info)
        else:
            print(f"note: no --policy {name}=PATH given; condition {name} skipped",
                  file=sys.stderr)
    if not conditions:
        print("nothing to run", file=sys.stderr)
        return 1
    train, test = load_semeval(args.data, "train"), load_semeval(args.data, "test")
    epochs = args.epochs
    if args.smoke:
        train, test = label_subset(train, SMOKE["train"] / len(train), 0), test[: SMOKE["test"]]
        epochs = epochs or SMOKE["epochs"]
    print(f"SemEval-2010 Task 8: {len(train)} training, {len(test)} test sentences; "
          f"fractions {args.fractions}, seeds {args.seeds}, conditions {list(conditions)}")
    results = run_grid(train, test, conditions, args.fractions, args.seeds, args.out,
                       epochs=epochs, threads=args.threads, smoke=args.smoke)
    print(format_table(results, include_smoke=args.smoke))
    return 0


if __name__ == "__main__":
    sys.exit(main())
