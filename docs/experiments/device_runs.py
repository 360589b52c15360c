"""Run many end-model runs of the CIFAR-10 ablation side by side on one GPU machine.

The harness trains one small ResNet per run; on a GPU each run is bound by its CPU-side
augmentation, so a machine with many cores runs one job per core, all sharing the GPU. A job is
one (variant, condition) with seeds 0 1 2 (one job per seed for the 60-epoch variants), run by
``end_model.py --device cuda --threads 1`` into its own results file; jobs start in the order
of :data:`PLAN`, so a run stopped at its time limit keeps what matters most. The results folder
(per-job JSON and logs) is packed into ``$OUT/results.tar.gz`` every 30 s and at the end (the
device tool brings ``$OUT`` back)::

    python docs/experiments/device_runs.py run --data DIR --results /tmp/res --parallel 16 \\
        --deadline 380

Back on this machine, merge the per-job files into ``docs/experiments/ablation/`` (one file per
variant, read by ``ablation_table.py``)::

    python docs/experiments/device_runs.py merge --results DIR_WITH_JOB_FILES

The variants' names start with ``gpu_``: GPU runs are not bit-identical to CPU runs, so their
reference conditions are run again on the GPU and compared only with each other. The CIFAR-10
tar (89 MB) is over the device tool's 64 MiB: ``cifar10_subset.py`` makes the 8 MB copy that
was sent (unused training images replaced by grey placeholders; used pixels checked equal).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tanda_transforms.evaluation.training import summarize

HERE = Path(__file__).resolve().parent
POLICIES = HERE / "policies"
LSTM = POLICIES / "cifar10_lstm.tanda"
LSTM_DLR = POLICIES / "cifar10_lstm_dlr1e-4.tanda"
LSTM_DLR_FEATURES = POLICIES / "cifar10_lstm_dlr1e-4_features.tanda"
MF_DLR = POLICIES / "cifar10_mf_dlr1e-4.tanda"
SEEDS = (0, 1, 2)
RECIPE = ["--with-basic", "--basic-border", "reflect", "--policy-p", "0.5"]

#: (variant, conditions, end_model.py options), one job per condition. Most important first, and
#: the long 60-epoch jobs early enough to start in the first wave of 16.
PLAN: list[tuple[str, list[str], list[str]]] = [
    ("gpu_reference", ["none", "basic", "randaugment", "trivialaugment"], ["--epochs", "20"]),
    ("gpu_dlr_p05", ["tanda_lstm"], ["--epochs", "20", "--policy-p", "0.5",
                                     "--policy-lstm", str(LSTM_DLR)]),
    ("gpu60_reference", ["none", "basic", "randaugment", "trivialaugment"], ["--epochs", "60"]),
    ("gpu60_dlr_p05", ["heuristic", "tanda_lstm"], ["--epochs", "60", "--policy-p", "0.5",
                                                    "--policy-lstm", str(LSTM_DLR)]),
    ("gpu60_dlr_recipe", ["tanda_lstm"], ["--epochs", "60", *RECIPE,
                                          "--policy-lstm", str(LSTM_DLR)]),
    ("gpu60_dlr_recipe_p03", ["tanda_lstm"], ["--epochs", "60", "--with-basic", "--basic-border",
                                              "reflect", "--policy-p", "0.3",
                                              "--policy-lstm", str(LSTM_DLR)]),
    ("gpu60_mf_recipe", ["tanda_mf"], ["--epochs", "60", *RECIPE, "--policy-mf", str(MF_DLR)]),
    ("gpu_fused_p05", ["heuristic", "tanda_lstm"], ["--epochs", "20", "--policy-p", "0.5",
                                                    "--policy-lstm", str(LSTM)]),
    ("gpu_dlr_recipe", ["tanda_lstm"], ["--epochs", "20", *RECIPE,
                                        "--policy-lstm", str(LSTM_DLR)]),
    ("gpu_dlr_feat_p05", ["tanda_lstm"], ["--epochs", "20", "--policy-p", "0.5",
                                          "--policy-lstm", str(LSTM_DLR_FEATURES)]),
    ("gpu_mf_dlr_p05", ["tanda_mf"], ["--epochs", "20", "--policy-p", "0.5",
                                      "--policy-mf", str(MF_DLR)]),
    ("gpu_recipe", ["heuristic", "randaugment", "trivialaugment"], ["--epochs", "20", *RECIPE]),
    ("gpu_dlr_p03", ["tanda_lstm"], ["--epochs", "20", "--policy-p", "0.3",
                                     "--policy-lstm", str(LSTM_DLR)]),
    ("gpu_dlr_p05_frame2", ["tanda_lstm"], ["--epochs", "20", "--policy-p", "0.5",
                                            "--policy-frame", "2",
                                            "--policy-lstm", str(LSTM_DLR)]),
]


Job = tuple[str, str, list[int], list[str]]


def jobs(plan: list[tuple[str, list[str], list[str]]]) -> list[Job]:
    """(variant, condition, seeds, options) in plan order: one job per condition, and one per
    seed for the long (60-epoch) variants, so that jobs are of similar length."""
    out = []
    for variant, conditions, options in plan:
        split = variant.startswith("gpu60")
        for c in conditions:
            seed_groups = [[s] for s in SEEDS] if split else [list(SEEDS)]
            out += [(variant, c, seeds, options) for seeds in seed_groups]
    return out


def job_command(data: str, out: Path, condition: str, seeds: list[int], options: list[str],
                extra: list[str]) -> list[str]:
    return [sys.executable, str(HERE / "end_model.py"), "--dataset", "cifar10", "--data", data,
            "--seeds", *map(str, seeds), "--threads", "1", "--device", "cuda",
            "--conditions", condition, "--out", str(out), *options, *extra]


def pack(results: Path, target: Path) -> None:
    """Tar the results folder into ``target`` (written aside, then renamed)."""
    tmp = target.with_suffix(".tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(results, arcname="results")
    tmp.replace(target)


def run(args: argparse.Namespace) -> None:
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    target = Path(os.environ.get("OUT", results)) / "results.tar.gz"
    started = time.monotonic()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    def one(job: Job) -> None:
        variant, condition, seeds, options = job
        stem = f"cifar10_{variant}__{condition}__{'-'.join(map(str, seeds))}"
        if time.monotonic() - started > args.deadline:
            (results / f"{stem}.log").write_text("skipped: past the deadline\n")
            return
        cmd = job_command(args.data, results / f"{stem}.json", condition, seeds, options,
                          args.extra)
        with (results / f"{stem}.log").open("w") as log:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
            log.write(f"rc={rc} after {time.monotonic() - started:.0f} s of the whole run\n")

    done = threading.Event()

    def pack_every(seconds: float) -> None:
        while not done.wait(seconds):
            pack(results, target)

    packer = threading.Thread(target=pack_every, args=(args.pack_every,), daemon=True)
    packer.start()
    plan = [v for v in PLAN if not args.only or v[0] in args.only]
    with ThreadPoolExecutor(args.parallel) as pool:
        list(pool.map(one, jobs(plan)))
    done.set()
    print(f"all done in {time.monotonic() - started:.0f} s")
    pack(results, target)


def merge_seeds(records: list[dict]) -> dict:
    """One record from records of the same variant and condition that differ only in seeds."""
    records = sorted(records, key=lambda r: r["config"]["seeds"])
    merged = json.loads(json.dumps(records[0]))
    (name, entry), = merged["conditions"].items()
    for key in ("accuracy", "seeds", "wall_seconds", "augment_seconds", "test_seconds",
                "final_loss", "final_consistency"):
        entry[key] = [v for r in records for v in r["conditions"][name].get(key) or []]
    for key in ("epoch_seconds_mean", "epoch_cpu_seconds_mean"):
        entry[key] = round(statistics.fmean(r["conditions"][name][key] for r in records), 3)
    mean, std = summarize(entry["accuracy"])
    entry["mean"], entry["std"] = round(mean, 4), round(std, 4)
    merged["config"]["seeds"] = entry["seeds"]
    merged["total_seconds"] = round(sum(r["total_seconds"] for r in records), 1)
    return merged


def merge(args: argparse.Namespace) -> None:
    """Write ablation/cifar10_<variant>.json: per condition, the per-seed jobs' records as one."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for path in sorted(Path(args.results).glob("cifar10_*__*__*.json")):
        variant, condition, _ = path.stem[len("cifar10_"):].split("__")
        groups.setdefault((variant, condition), []).extend(json.loads(path.read_text())["runs"])
    by_variant: dict[str, list[dict]] = {}
    for (variant, _), records in groups.items():
        if len(records) == 1 and len(records[0]["config"]["seeds"]) == len(SEEDS):
            by_variant.setdefault(variant, []).append(records[0])
        else:
            by_variant.setdefault(variant, []).append(merge_seeds(records))
    for variant, runs in by_variant.items():
        target = HERE / "ablation" / f"cifar10_{variant}.json"
        target.write_text(json.dumps({"dataset": "cifar10", "runs": runs}, indent=1) + "\n")
        print(f"{target}: {len(runs)} runs")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the plan's jobs side by side")
    r.add_argument("--data", required=True, help="the CIFAR-10 tar or folder")
    r.add_argument("--results", required=True, help="folder for the per-job results files")
    r.add_argument("--parallel", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    r.add_argument("--deadline", type=float, default=float("inf"),
                   help="seconds after which no further job starts")
    r.add_argument("--pack-every", type=float, default=30.0,
                   help="seconds between packings of the results folder")
    r.add_argument("--only", nargs="+", help="run only these variants")
    r.add_argument("extra", nargs="*", help="options passed to every job (after --)")
    m = sub.add_parser("merge", help="merge per-job files into docs/experiments/ablation/")
    m.add_argument("--results", required=True)
    args = parser.parse_args(argv)
    run(args) if args.command == "run" else merge(args)


if __name__ == "__main__":
    main()
