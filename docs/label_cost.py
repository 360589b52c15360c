"""Learning cost with labels next to without: same data, same TFs, same steps, one thread.

Run ``python docs/label_cost.py`` (two to four minutes on a quiet core). It learns the
default LSTM policy (L = 10, batch 32, 5 sequences per image) on the 500 MNIST digits shipped
with the package over the ``mnist`` pack, realism-only and label-aware (every tenth digit
labeled, the rest -1: 10 % labels), alternating the two ``--rounds`` times, and prints each
run's wall time, the label term's share (the classifier's training once, then its scoring of
every step's ``(L + 1) x M`` images) and the ratio of the fastest runs. ``--text`` does the
same with the ``semeval`` pack on the 8,000 SemEval-2010 Task 8 training sentences (needs
``../shared/data/semeval2010-task8``; 10 % of them labeled).
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import torch

from tanda_transforms.data import load_mnist_sample
from tanda_transforms.learn import learn_policy

SEMEVAL = (Path(__file__).resolve().parents[2] / "shared" / "data" / "semeval2010-task8"
           / "SemEval2010_task8_all_data.tar.gz")


def mnist() -> tuple[np.ndarray, np.ndarray, str]:
    images, labels = load_mnist_sample()
    return images, labels, "mnist"


def semeval() -> tuple[list[str], np.ndarray, str]:
    from tanda_transforms.data.semeval import RELATION_LABELS, load_semeval

    examples = load_semeval(SEMEVAL, "train")
    labels = np.array([RELATION_LABELS.index(e.label) for e in examples])
    return [e.sentence for e in examples], labels, "semeval"


def one_run(data, tfs: str, labels, steps: int) -> tuple[float, float, float]:
    """Wall seconds of learn_policy, the label term's seconds and its classifier fit's."""
    started = time.perf_counter()
    policy = learn_policy(data, tfs, labels=labels, steps=steps, seed=0, progress=False,
                          device="cpu", tune=False)  # learning alone
    wall = time.perf_counter() - started
    record = policy.metadata["training"].get("labels", {})
    term = policy.metadata["training"]["timing_s"].get("labels", 0.0)
    return wall, term, record.get("classifier_fit_s", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--text", action="store_true", help="SemEval sentences, semeval pack")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data, labels, tfs = semeval() if args.text else mnist()
    partial = np.where(np.arange(len(labels)) % 10 == 0, labels, -1)  # 10 % labeled
    print(f"{tfs}: {len(labels)} items, {int((partial >= 0).sum())} labeled, {args.steps} "
          f"steps, 1 thread, {platform.processor() or platform.machine()}")
    walls: dict[str, list[float]] = {"without labels": [], "with labels": []}
    for _ in range(args.rounds):
        for name, given in (("without labels", None), ("with labels", partial)):
            wall, term, fit = one_run(data, tfs, given, args.steps)
            walls[name].append(wall)
            detail = f" (label term {term:.1f} s, of which classifier fit {fit:.1f} s)" if (
                given is not None) else ""
            print(f"  {name}: {wall:.1f} s{detail}", flush=True)
    best = {name: min(times) for name, times in walls.items()}
    print(f"fastest of {args.rounds}: without {best['without labels']:.1f} s, with "
          f"{best['with labels']:.1f} s, ratio {best['with labels'] / best['without labels']:.2f}")


if __name__ == "__main__":
    main()
