"""Tables of the recipe ablation (docs/experiments/ablation.sh) for docs/results.md.

Reads ``docs/experiments/ablation/<dataset>_<variant>.json`` (the harness's results files) and
prints one markdown table per dataset: a row per variant and condition, test accuracy mean ±
sample std over the seeds, the seeds' values, and the difference to ``none`` and ``basic``
in units of their std. Only measured numbers; nothing is trained here.

    python docs/experiments/ablation_table.py [mnist cifar10]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from end_model import select_runs  # noqa: E402

#: Variants in table order, and what each one changes (see ablation.sh).
VARIANTS = {
    "reference": "conditions no policy setting changes",
    "step_p1": "policies alone, every image, step-by-step rendering (as before)",
    "fused_p1": "policies alone, every image, fused rendering",
    "fused_p05": "policies alone, p = 0.5, fused",
    "fused_p05_frame": "policies alone, p = 0.5, frame 2 px, fused",
    "fused_p05_clean": "policies alone, p = 0.5, last 3 epochs clean, fused",
    "basic_reflect": "basic with reflect padding",
    "recipe": "after basic (reflect padding), p = 0.5, fused",
    "recipe_step": "after basic (reflect padding), p = 0.5, step-by-step rendering",
    "dlr_p05": "the d_lr=1e-4 LSTM alone, p = 0.5, fused",
    # GPU runs (docs/experiments/device_runs.py), compared with their own reference only
    "gpu_reference": "GPU, 20 epochs: conditions no policy setting changes",
    "gpu_fused_p05": "GPU, 20 epochs: default-learned LSTM alone, p = 0.5",
    "gpu_dlr_p05": "GPU, 20 epochs: d_lr=1e-4 LSTM alone, p = 0.5",
    "gpu_dlr_p05_frame2": "GPU, 20 epochs: d_lr=1e-4 LSTM alone, p = 0.5, frame 2 px",
    "gpu_dlr_recipe": "GPU, 20 epochs: d_lr=1e-4 LSTM after basic (reflect), p = 0.5",
    "gpu_recipe": "GPU, 20 epochs: heuristic, RandAugment, TrivialAugment after basic "
                  "(reflect), p = 0.5",
    "gpu_dlr_p03": "GPU, 20 epochs: d_lr=1e-4 LSTM alone, p = 0.3",
    "gpu_dlr_feat_p05": "GPU, 20 epochs: d_lr=1e-4 + feature-space diversity LSTM, p = 0.5",
    "gpu_mf_dlr_p05": "GPU, 20 epochs: d_lr=1e-4 mean-field policy alone, p = 0.5",
    "gpu60_reference": "GPU, 60 epochs: conditions no policy setting changes",
    "gpu60_dlr_p05": "GPU, 60 epochs: heuristic and d_lr=1e-4 LSTM alone, p = 0.5",
    "gpu60_dlr_recipe_p03": "GPU, 60 epochs: d_lr=1e-4 LSTM after basic (reflect), p = 0.3",
    "gpu60_mf_recipe": "GPU, 60 epochs: d_lr=1e-4 mean-field after basic (reflect), p = 0.5",
    "cpu60_reference": "CPU, 60 epochs: none, and basic (zero padding, the harness default)",
    "cpu60_gallery_recipe": "CPU, 60 epochs: gallery cifar10 after basic (reflect), p = 0.3",
    "gpu60_dlr_recipe": "GPU, 60 epochs: d_lr=1e-4 LSTM after basic (reflect), p = 0.5",
    # semi-supervised (issue 16): the recipe plus a consistency term on the unlabeled rest
    "semi_pairs_w005": "recipe + consistency, pairs form, weight 0.05, 2 copies, 32 "
                       "unlabeled per step (the reference's ls_term 0.1, 1 pass)",
    "semi_pairs_w075": "recipe + consistency, pairs form, weight 0.75, 4 copies (the "
                       "reference's ls_term 0.5, 3 passes)",
    "semi_detached_w1": "recipe + consistency, detached KL form (UDA-like), weight 1, 1 copy",
    "cpu60_semi_pairs_w005": "CPU, 60 epochs: recipe (gallery cifar10 after basic, p = 0.3; "
                             "RandAugment, TrivialAugment after basic) + consistency, pairs "
                             "form, weight 0.05, 2 copies, 16 unlabeled per step",
}


def reference_of(variant: str) -> str:
    """The variant whose none/basic a variant is compared with (GPU runs with GPU runs)."""
    for prefix in ("gpu60_", "gpu_", "cpu60_"):
        if variant.startswith(prefix):
            return prefix + "reference"
    return "reference"


def rows(dataset: str) -> list[tuple[str, str, list[float]]]:
    out = []
    for variant in VARIANTS:
        path = HERE / "ablation" / f"{dataset}_{variant}.json"
        if not path.exists():
            continue
        record = select_runs(path)
        if record is None:
            continue
        for condition, entry in record["conditions"].items():
            out.append((variant, condition, list(entry["accuracy"])))
    return out


def _stats(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
    return mean, var**0.5


#: Table titles per reference group (variants are compared within their group only).
GROUPS = {
    "reference": "2-core CPU, harness defaults",
    "gpu_reference": "one H200 GPU (docs/experiments/device_runs.py), 20 epochs",
    "gpu60_reference": "one H200 GPU (docs/experiments/device_runs.py), 60 epochs",
    "cpu60_reference": "2-core CPU, 60 epochs, the shipped gallery file",
}


def table(dataset: str) -> str:
    """One markdown table per reference group that has runs, then the variants' legend."""
    data = rows(dataset)
    refs = {(variant, c): _stats(v) for variant, c, v in data if variant.endswith("reference")}
    lines = []
    for group, title in GROUPS.items():
        mine = [row for row in data if reference_of(row[0]) == group]
        if mine:
            lines += [f"### {dataset}: {title}", "", *_group_rows(mine, refs), ""]
    used = {variant for variant, _, _ in data}
    lines.append("Variants: " + "; ".join(f"`{k}` = {v}" for k, v in VARIANTS.items()
                                          if k in used) + ".")
    return "\n".join(lines)


def _group_rows(data: list[tuple[str, str, list[float]]],
                refs: dict[tuple[str, str], tuple[float, float]]) -> list[str]:
    lines = [
        "| variant | condition | mean ± std | per seed | vs none | vs basic |",
        "|---|---|---:|---|---:|---:|",
    ]
    for variant, condition, values in data:
        mean, std = _stats(values)
        cells = []
        for ref in ("none", "basic"):
            key = (reference_of(variant), ref)
            if key in refs and not variant.endswith("reference"):
                cells.append(f"{mean - refs[key][0]:+.2f}")
            else:
                cells.append("")
        seeds = ", ".join(f"{v:.2f}" for v in values)
        lines.append(
            f"| {variant} | {condition} | {mean:.2f} ± {std:.2f} | {seeds} | {cells[0]} | "
            f"{cells[1]} |"
        )
    return lines


def main(argv: list[str]) -> int:
    for dataset in argv or ["mnist", "cifar10", "mias"]:
        print(table(dataset))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
