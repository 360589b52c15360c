"""End-model comparison of augmentation conditions (the paper's Table 1 protocol), and its report.

Run every condition for one dataset, print a table and append the results to
``docs/experiments/results_<dataset>.json``::

    python docs/experiments/end_model.py --dataset mnist --seeds 0 1 2 --epochs 30 \\
        --policies policies/            # mnist_mf.tanda, mnist_lstm.tanda (else: skipped)

Render ``docs/results.md`` and ``docs/results.png`` from the results files (no training)::

    python docs/experiments/end_model.py --render

Conditions: none, basic, heuristic, tanda_mf, tanda_lstm, randaugment, trivialaugment,
autoaugment (see ``tanda_transforms/evaluation/augment.py``); each is applied alone unless
``--with-basic``. A policy condition whose file is missing is skipped with a note. Policies
must be learned on the training pool only, e.g.::

    python docs/experiments/end_model.py --dataset mias --export-unlabeled /tmp/mias_train.npy
    tanda learn --data /tmp/mias_train.npy --tfs mammography --generator mean_field \\
        --out policies/mias_mf.tanda

Do not use a policy that saw test data: for ``mias`` that rules out policies learned on all
322 films (e.g. a gallery policy learned on every mini-MIAS film) and lesion-transplant TFs
whose lesion pool includes test patients; learn on ``--export-unlabeled`` output instead.

Semi-supervised (issue 16): ``--consistency-weight W`` adds W x a consistency term on the
unlabeled rest of the pool, made with each condition's own augmentation
(``tanda_transforms/evaluation/semi.py``); such runs are never merged with supervised ones::

    python docs/experiments/end_model.py --dataset cifar10 --seeds 0 1 2 --with-basic \
        --policies docs/experiments/policies/ --consistency-weight 0.05 \
        --consistency-passes 2 --unlabeled-batch-size 64 --consistency-target pairs

Validation protocol (issue 26): ``--select-on-validation`` chooses every condition's settings
on a validation split of the training pool and tests each choice once per seed
(``tanda_transforms/evaluation/selection.py``); ``--render-validated FILE`` prints such runs
as a markdown table with every candidate's validation score (``validated_mnist.sh``)::

    python docs/experiments/end_model.py --render-validated \
        docs/experiments/results_mnist_validated.json

``--smoke`` marks a run as a smoke test: its results go to /tmp/tanda_smoke/ unless ``--out``
says otherwise and ``--render`` never shows them. Needs the dataset files (see
../shared/data/README.md); matplotlib for the plot.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tanda_transforms.evaluation.augment import CONDITIONS
from tanda_transforms.evaluation.command import add_run_arguments, run_evaluate
from tanda_transforms.evaluation.datasets import DATASETS, RECORDS

HERE = Path(__file__).resolve().parent
DOCS = HERE.parent
DATA = HERE.parents[2] / "shared" / "data"
SMOKE_DIR = Path("/tmp/tanda_smoke")

#: Settings that must match for runs to be merged into one table.
SAME_SETTINGS = ("label_fraction", "epochs", "batch_size", "lr", "seeds", "model", "width",
                 "blocks", "with_basic", "seq_len", "weight_decay", "momentum", "policy_p",
                 "policy_frame", "render", "basic_border", "basic_pad", "basic_flip",
                 "clean_epochs", "consistency_weight", "consistency_passes",
                 "unlabeled_batch_size", "consistency_target")
#: Settings that only matter when the consistency term is on (weight above 0).
CONSISTENCY_SETTINGS = ("consistency_passes", "unlabeled_batch_size", "consistency_target")


# --- running ----------------------------------------------------------------------------------


def _register_mias_pool(dataset: str) -> None:
    """The mias policies name their lesion pool file (see mias_policies.py); a policy file may
    only name registered pools, so register the one this repository's script writes."""
    pool = "docs/experiments/policies/mias_train_pool.npz"
    if dataset == "mias" and Path(pool).is_file():
        from tanda_transforms.domains import LesionPool, register_lesion_pool

        register_lesion_pool(pool, LesionPool.load(pool), replace=True)


def run(args: argparse.Namespace) -> int:
    """One evaluation through the harness (``tanda evaluate``), results appended here."""
    if args.data is None:
        folder = RECORDS[args.dataset].data_folder
        if folder is None:
            print(f"--data is required for --dataset {args.dataset}", file=sys.stderr)
            return 2
        args.data = str(DATA / folder)
    if args.smoke:
        print("=" * 72 + "\nSMOKE RUN: timings and plumbing only; these are not results.\n"
              + "=" * 72)
    _register_mias_pool(args.dataset)
    default_out = (SMOKE_DIR if args.smoke else HERE) / f"results_{args.dataset}.json"
    return run_evaluate(args, default_out=default_out)


# --- report -----------------------------------------------------------------------------------


#: Settings that runs made before they existed had (policies were rendered step by step).
OLD_DEFAULTS = {"policy_p": 1.0, "policy_frame": 0, "render": "step", "basic_border": "zero",
                "basic_pad": 4, "basic_flip": None, "clean_epochs": 0, "consistency_weight": 0.0}


def _settings(run_record: dict[str, Any]) -> tuple:
    config = {**OLD_DEFAULTS, **run_record["config"]}
    if not config["consistency_weight"]:  # term off: its other settings changed nothing
        config.update(dict.fromkeys(CONSISTENCY_SETTINGS))
    info = run_record.get("task_info", {})
    return (
        *(json.dumps(config.get(k)) for k in SAME_SETTINGS),
        info.get("test_limit"),
        info.get("mias_task"),
        info.get("split_seed"),
    )


def select_runs(path: Path, include_smoke: bool = False) -> dict[str, Any] | None:
    """The latest run of a results file, with conditions missing from it taken from earlier
    runs with the same settings (so conditions run in separate invocations share one table).
    Returns a merged record, or ``None`` if the file has no usable run."""
    runs = json.loads(path.read_text())["runs"]
    runs = [r for r in runs if include_smoke or not r.get("smoke")]
    if not runs:
        return None
    latest = runs[-1]
    merged = dict(latest)
    merged["conditions"] = {}
    merged["dates"] = []
    merged["policies"] = {}
    for earlier in reversed(runs):
        if _settings(earlier) != _settings(latest):
            continue
        used = False
        for name, entry in earlier["conditions"].items():
            if name not in merged["conditions"]:
                merged["conditions"][name] = entry
                used = True
                if name in earlier.get("policies", {}):
                    merged["policies"][name] = earlier["policies"][name]
        if used:
            merged["dates"].append(earlier["date"])
            if "heuristic" in earlier["conditions"] and "heuristic" in earlier.get("policies", {}):
                merged["policies"].setdefault("heuristic", earlier["policies"]["heuristic"])
    order = [c for c in CONDITIONS if c in merged["conditions"]]
    merged["conditions"] = {c: merged["conditions"][c] for c in order}
    return merged


def _consistency_line(config: dict[str, Any]) -> list[str]:
    """The report's line on the semi-supervised term (none when it was off)."""
    if not config.get("consistency_weight"):
        return []
    return [
        f"- Semi-supervised: consistency term (target {config['consistency_target']}, "
        f"weight {config['consistency_weight']}, passes {config['consistency_passes']}, "
        f"{config['unlabeled_batch_size']} unlabeled images per step from the rest of the "
        "pool, copies made with each condition's augmentation; none: no term)."
    ]


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def render_markdown(records: dict[str, dict[str, Any]]) -> str:
    """``docs/results.md`` from merged records (dataset -> record); only measured numbers."""
    smoke = any(r.get("smoke") for r in records.values())
    lines = ["# End-model results", ""]
    if smoke:
        lines += ["**SMOKE RUN: these numbers test the plumbing, they are not results.**", ""]
    lines += [
        "Generated by `python docs/experiments/end_model.py --render` from "
        "`docs/experiments/results_<dataset>.json`. The *ours* columns hold only what those runs "
        "measured: test accuracy in %, mean ± sample standard deviation over the seeds (the same "
        "seeds for every condition; each seed fixes the labeled subset, the initialisation and "
        "the batch order). The *paper* column is Ratner et al. 2017, Table 1 (ResNet-56 end "
        "models on CIFAR-10, trained far longer than ours, so compare the ordering of the "
        "conditions, not the absolute numbers).",
        "",
        "Conditions: `none`; `basic` = zero-pad 4 px + random crop (+ horizontal flip for "
        "CIFAR-10 and mammography); `heuristic` = uniform random sequences of the TANDA TFs "
        "(same TFs and L as the learned policies); `tanda_mf` / `tanda_lstm` = learned "
        "policies; `randaugment`, `trivialaugment`, `autoaugment` (CIFAR-10 policy) from "
        "torchvision with default settings.",
        "",
    ]
    for dataset, record in records.items():
        config, machine, info = record["config"], record["machine"], record.get("task_info", {})
        paper = RECORDS[dataset].reference or {"setting": "", "values": {}}
        lines += [f"## {RECORDS[dataset].title}", ""]
        lines += [
            f"- Task: {record['task']}; {record['n_labeled']} labeled training items "
            f"(label fraction {config['label_fraction']}, pool {record['n_pool']}), "
            f"{record['n_test']} test items"
            + (" (fixed stratified subset of the test set)" if info.get("test_limit") else "")
            + ".",
            f"- End model: `{config['model']}` (width {config['width']}, blocks "
            f"{config['blocks']}), {config['epochs']} epochs, batch {config['batch_size']}, "
            f"SGD lr {config['lr']} (cosine), weight decay {config['weight_decay']}.",
            f"- Seeds: {config['seeds']}. Augmentations "
            + ("composed with basic (basic first)." if config["with_basic"]
               else "applied alone (not composed with basic)."),
            *_consistency_line(config),
            f"- Machine: {machine['cpu'] or machine['platform']}, {machine['cores_available']} "
            f"cores available, {machine['torch_threads']} torch threads, device "
            f"{machine['device']}{' (' + machine['gpu'] + ')' if machine.get('gpu') else ''}; "
            f"torch {machine['torch']}. Run(s): {', '.join(record['dates'])}.",
        ]
        if dataset == "mias":
            lines.append(
                f"- Patient split: {info.get('train_patients')} train / "
                f"{info.get('test_patients')} test patients (split seed "
                f"{info.get('split_seed')}); patch classes train {info.get('train_class_counts')}"
                f", test {info.get('test_class_counts')}. Paper column: {paper['setting']}."
            )
        for name, pol in record.get("policies", {}).items():
            lines.append(
                f"- Policy of `{name}`: `{pol['path']}` ({pol.get('generator')}, L = "
                f"{pol.get('seq_len')}, {pol.get('n_tfs')} TFs"
                + (f", sha256 {pol['sha256'][:12]}" if pol.get("sha256") else "")
                + ")."
            )
        for name, reason in record.get("skipped", {}).items():
            if name not in record["conditions"]:
                lines.append(f"- `{name}` not run: {reason}.")
        lines += [
            "",
            "| condition | ours: mean ± std | n | per seed | wall time (s) | paper |",
            "|---|---:|---:|---|---:|---:|",
        ]
        names = list(record["conditions"]) + [
            c for c in paper["values"] if c not in record["conditions"]
        ]
        for name in names:
            entry = record["conditions"].get(name)
            paper_value = _fmt(paper["values"].get(name))
            if entry is None:
                lines.append(f"| {name} | not run | | | | {paper_value} |")
                continue
            per_seed = ", ".join(f"{a:.2f}" for a in entry["accuracy"])
            lines.append(
                f"| {name} | {entry['mean']:.2f} ± {entry['std']:.2f} | {len(entry['accuracy'])} "
                f"| {per_seed} | {sum(entry['wall_seconds']):.0f} | {paper_value} |"
            )
        lines.append("")
    lines += [
        "![End-model accuracy per condition, ours beside the paper's](results.png)",
        "",
        "## Conclusions",
        "",
        "<!-- CONCLUSIONS: to be written by the maintainer from the measured numbers above. -->",
        "",
        "*To be written.*",
        "",
    ]
    return "\n".join(lines)


def render_plot(records: dict[str, dict[str, Any]], path: Path) -> None:
    """Grouped bars per dataset: ours (mean, error bar = std) beside the paper's value."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(records), figsize=(5.5 * len(records), 4.2), squeeze=False)
    for ax, (dataset, record) in zip(axes[0], records.items(), strict=True):
        paper = (RECORDS[dataset].reference or {}).get("values", {})
        names = [c for c in CONDITIONS if c in record["conditions"] or c in paper]
        x = range(len(names))
        ours = [record["conditions"].get(c) for c in names]
        ax.bar([i - 0.2 for i in x], [e["mean"] if e else 0 for e in ours], 0.4,
               yerr=[e["std"] if e else 0 for e in ours], capsize=3, label="ours",
               color="tab:blue")
        ax.bar([i + 0.2 for i in x], [paper.get(c, 0) for c in names], 0.4,
               label="paper" + (" (DDSM)" if dataset == "mias" else ""), color="tab:gray",
               hatch="//", alpha=0.6)
        values = [e["mean"] - e["std"] for e in ours if e] + [v for v in paper.values()]
        bottom = max(0, min(values) - 5)
        ax.set_ylim(bottom, 108)
        for i, entry in enumerate(ours):
            if entry is None:
                ax.text(i - 0.2, bottom + 1, "not run", rotation=90, ha="center", va="bottom",
                        fontsize=7, color="tab:blue")
        ax.set_xticks(list(x), names, rotation=35, ha="right", fontsize=8)
        smoke = " — SMOKE" if record.get("smoke") else ""
        ax.set_title(RECORDS[dataset].title + smoke, fontsize=10)
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=8, loc="upper center", ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _knobs(settings: dict[str, Any]) -> str:
    return ", ".join(f"{k} {Path(v).name if k == 'policy' else v}"
                     for k, v in settings.items()) or "—"


def render_validated(path: Path) -> str:
    """A markdown section from a results file of ``--select-on-validation`` runs: each
    condition's test accuracy, its chosen setting and every candidate's validation score."""
    runs = [r for r in json.loads(path.read_text())["runs"]
            if "selection" in r and not r.get("smoke")]
    if not runs:
        raise SystemExit(f"{path}: no run chose its settings on validation")
    first = runs[0]
    sizes = next(iter(first["selection"]["split_sizes"].values()))
    lines = [
        f"Test accuracy (%) of each condition's validation-chosen setting, mean ± sample std "
        f"over seeds {first['config']['seeds']}; {sizes['labeled']} labeled, "
        f"{sizes['validation']} validation and {sizes['unlabeled']} unlabeled pool items per "
        f"seed, {first['n_test']} test items; selection seeds "
        f"{first['selection']['select_seeds']}. From `{path.name}`.",
        "",
        "| condition | test: mean ± std | per seed | chosen setting | validation of every "
        "candidate |",
        "|---|---:|---|---|---|",
    ]
    for run in runs:
        selection = run["selection"]
        for name, entry in run["conditions"].items():
            tried = "; ".join(f"{_knobs(c['settings'])}: {c['val_mean']:.2f}"
                              for c in selection["candidates"][name])
            per_seed = ", ".join(f"{a:.2f}" for a in entry["accuracy"])
            lines.append(f"| {name} | {entry['mean']:.2f} ± {entry['std']:.2f} | {per_seed} | "
                         f"{_knobs(selection['chosen'][name])} | {tried} |")
    return "\n".join(lines) + "\n"


def render(args: argparse.Namespace) -> int:
    results_dir = Path(args.results_dir) if args.results_dir else HERE
    report_dir = Path(args.report_dir) if args.report_dir else DOCS
    records: dict[str, dict[str, Any]] = {}
    for dataset in DATASETS:
        if RECORDS[dataset].trainer != "images":  # text: semeval.py --table
            continue
        path = results_dir / f"results_{dataset}.json"
        if path.exists():
            merged = select_runs(path, include_smoke=args.include_smoke)
            if merged is not None:
                records[dataset] = merged
    if not records:
        print(f"no results to render in {results_dir}")
        return 1
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "results.md").write_text(render_markdown(records))
    render_plot(records, report_dir / "results.png")
    print(f"wrote {report_dir / 'results.md'} and {report_dir / 'results.png'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # --data defaults to ../shared/data/<dataset> next to the repository (see run()).
    add_run_arguments(parser, require_dataset=False, require_data=False)
    parser.add_argument("--out", type=Path,
                        help="results JSON to append to (default: docs/experiments/"
                        "results_<dataset>.json; with --smoke: /tmp/tanda_smoke/)")
    parser.add_argument("--render", action="store_true",
                        help="write docs/results.md and docs/results.png from the results files")
    parser.add_argument("--results-dir", help="--render: where results_<dataset>.json are")
    parser.add_argument("--report-dir", help="--render: where results.md/png go (default docs/)")
    parser.add_argument("--include-smoke", action="store_true",
                        help="--render: include smoke runs (marked SMOKE); for testing only")
    parser.add_argument("--render-validated", type=Path, metavar="JSON",
                        help="print a markdown table of a results file of "
                        "--select-on-validation runs (chosen settings, every candidate)")
    args = parser.parse_args(argv)
    if args.render_validated:
        print(render_validated(args.render_validated), end="")
        return 0
    if args.render:
        if args.include_smoke and args.report_dir is None:
            parser.error("--include-smoke needs --report-dir (smoke runs never go to docs/)")
        return render(args)
    if args.dataset is None:
        parser.error("--dataset is required (or --render)")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
