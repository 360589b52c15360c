"""SemEval-2010 Task 8 with augmentation policies, through the end-model harness.

Each label fraction is one ``tanda evaluate --dataset semeval`` run (the ``semeval`` record of
``tanda_transforms/evaluation/datasets.py``: the relation CNN of
``tanda_transforms/evaluation/relation.py`` on a label-stratified share of the 8,000 training
sentences, the official macro-F1 on the 2,717 test sentences, its epochs from
``default_epochs``, policies applied with p = 0.5), appended to ``--out`` in the harness's
results format::

    python docs/experiments/semeval.py --fractions 0.1 1.0 --seeds 0 1 2 \\
        --policy-mf P/semeval_mf.tanda --policy-lstm P/semeval_lstm.tanda

    python docs/experiments/semeval.py --table docs/experiments/results_semeval.json

Every option of ``tanda evaluate`` applies (``--conditions``, ``--policies DIR``,
``--select-on-validation``, ``--policy-p``, ``--epochs``, ``--test-limit``...); ``heuristic``
takes the TFs and L of the first policy given. A plumbing check: ``--smoke --fractions 0.05
--seeds 0 --epochs 2 --test-limit 300``.

``--table FILE`` prints condition x label fraction, mean +- std over seeds of the macro-F1,
and the paired differences to ``none`` (and ``heuristic``), without training. It reads the
harness's files and ``results_semeval.json``, whose runs were made before the harness by this
script's earlier version (one record per run: the same subset, initialisation, batch order,
end model and epochs as the harness uses; its conditions also include ``eda`` and other
policy files named on the command line).

Policies must be learned on training sentences only (never on the test file).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tanda_transforms.evaluation.command import add_run_arguments, run_evaluate
from tanda_transforms.evaluation.datasets import RECORDS
from tanda_transforms.evaluation.options import CONDITIONS

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / RECORDS["semeval"].data_folder
OUT = HERE / "results_semeval_harness.json"


# --- table ------------------------------------------------------------------------------------


def score_rows(results: dict[str, Any], include_smoke: bool = False) -> list[dict[str, Any]]:
    """One row per (condition, fraction, seed) run: ``condition``, ``p``, ``fraction``,
    ``seed``, ``score``, from a harness results file or the pre-harness ``runs`` list.

    Examples
    --------
    >>> harness = {"dataset": "semeval", "runs": [{"config": {"label_fraction": 0.1,
    ...     "policy_p": 0.5}, "conditions": {"none": {"accuracy": [50.0], "seeds": [0]}}}]}
    >>> score_rows(harness)
    [{'condition': 'none', 'p': None, 'fraction': 0.1, 'seed': 0, 'score': 50.0}]
    """
    runs = [r for r in results["runs"] if include_smoke or not r.get("smoke")]
    if "dataset" not in results:  # the pre-harness file: one record per run
        return [{"condition": r["condition"], "p": r.get("p"), "fraction": float(r["fraction"]),
                 "seed": r["seed"], "score": r["macro_f1"]} for r in runs]
    rows = []
    for run in runs:
        for condition, entry in run["conditions"].items():
            p = None if condition == "none" else run["config"]["policy_p"]
            rows += [{"condition": condition, "p": p,
                      "fraction": float(run["config"]["label_fraction"]), "seed": seed,
                      "score": score} for seed, score in zip(entry["seeds"], entry["accuracy"],
                                                             strict=True)]
    return rows


def _row_name(row: dict[str, Any]) -> str:
    return row["condition"] if row["p"] is None else f"{row['condition']} (p={row['p']:g})"


def _cell(values: list[float], sign: str = "") -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:{sign}.2f} (1 seed)"
    return f"{statistics.mean(values):{sign}.2f} ± {statistics.stdev(values):.2f} " \
           f"({len(values)} seeds)"


def _layout(rows: list[dict[str, Any]]) -> tuple[list[float], list[str]]:
    """The fractions, and the row names in condition order (then by name)."""
    order = {c: i for i, c in enumerate(CONDITIONS)}
    names = sorted({_row_name(r): r["condition"] for r in rows}.items(),
                   key=lambda item: (order.get(item[1], len(order)), item[0]))
    return sorted({r["fraction"] for r in rows}), [name for name, _ in names]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table: a row per condition (and ``p``), a column per fraction, mean +- std.

    Examples
    --------
    >>> rows = [{"condition": "none", "p": None, "fraction": 0.1, "seed": s, "score": f}
    ...         for s, f in ((0, 50.0), (1, 52.0))]
    >>> print(format_table(rows))
    | condition | 10 % |
    | --- | --- |
    | none | 51.00 ± 1.41 (2 seeds) |
    """
    if not rows:
        return "(no runs)"
    fractions, names = _layout(rows)
    lines = ["| condition | " + " | ".join(f"{100 * f:g} %" for f in fractions) + " |",
             "| --- |" + " --- |" * len(fractions)]
    for name in names:
        cells = [_cell([r["score"] for r in rows if _row_name(r) == name
                        and r["fraction"] == fraction]) for fraction in fractions]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_paired(rows: list[dict[str, Any]], baseline: str = "none") -> str:
    """Markdown table of paired differences: per seed, a condition's score minus the
    ``baseline`` run's on the same subset (same fraction and seed); mean +- std over seeds.

    Examples
    --------
    >>> rows = [{"condition": c, "p": None, "fraction": 0.1, "seed": s, "score": f}
    ...         for c, s, f in (("none", 0, 50.0), ("none", 1, 54.0),
    ...                         ("eda", 0, 51.0), ("eda", 1, 56.0))]
    >>> print(format_paired(rows))
    | condition - none | 10 % |
    | --- | --- |
    | eda | +1.50 ± 0.71 (2 seeds) |
    """
    base = {(r["fraction"], r["seed"]): r["score"] for r in rows if r["condition"] == baseline}
    fractions, names = _layout([r for r in rows if r["condition"] != baseline])
    fractions = [f for f in fractions if any(key[0] == f for key in base)]
    lines = [f"| condition - {baseline} | " + " | ".join(f"{100 * f:g} %" for f in fractions)
             + " |", "| --- |" + " --- |" * len(fractions)]
    for name in names:
        cells = [_cell([r["score"] - base[(fraction, r["seed"])] for r in rows
                        if _row_name(r) == name and r["fraction"] == fraction
                        and (fraction, r["seed"]) in base], sign="+") for fraction in fractions]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_tables(path: Path, include_smoke: bool = False) -> None:
    rows = score_rows(json.loads(path.read_text()), include_smoke)
    print(format_table(rows))
    for baseline in ("none", "heuristic", "heuristic_rel"):
        if any(r["condition"] == baseline for r in rows):
            print()
            print(format_paired(rows, baseline))


# --- command line -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(parser, require_dataset=False, require_data=False)
    parser.set_defaults(dataset="semeval", data=str(DATA))
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0],
                        help="label fractions, one harness run each (overrides "
                        "--label-fraction)")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="results file the runs are appended to (default: %(default)s)")
    parser.add_argument("--table", type=Path, metavar="JSON",
                        help="print the tables of a results file and exit (no training)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.table:
        print_tables(args.table, include_smoke=args.smoke)
        return 0
    if args.dataset != "semeval":
        raise SystemExit("this script runs the semeval dataset; see end_model.py for images")
    status = 0
    for fraction in args.fractions:
        args.label_fraction = fraction
        status = max(status, run_evaluate(args, default_out=args.out))
    return status


if __name__ == "__main__":
    sys.exit(main())
