"""Does the lean default discriminator learn as good a policy as the former one?

Learns LSTM policies (L = 10, batch 32) on unlabeled MNIST digits with the paper's 25-TF MNIST
pack plus the 5 misspecified TFs (invert, brightness x4, heavy noise, zoom x3, rotate 180), as
docs/experiments/misspecified_mnist.py does, once with the former default discriminator
(``d_width=32, d_kernel=5``) and once with the current defaults, for each seed. Prints the
misspecified TFs' share (uniform: 5/30 = 16.7 %; lower is better), the total variation
distance between the two policies' TF distributions, and, as the yardstick, the distance
between two seeds of the former defaults (how far apart two equally good runs land).

    python docs/experiments/discriminator_quality.py [--data ../shared/data/mnist]
        [--n 4000] [--steps 200] [--seeds 0 1] [--threads 1]

Without the MNIST files it uses the 500 digits shipped with the package.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TFLibrary, learn_policy
from tanda_transforms.data import load_mnist, load_mnist_sample
from tanda_transforms.tfs import misspecified_tfs

HERE = Path(__file__).resolve().parent
FORMER = {"d_width": 32, "d_kernel": 5}  # the default discriminator until 2026-12-06


def learn(images: np.ndarray, seed: int, steps: int, overrides: dict) -> dict:
    library = TFLibrary.pack("mnist") + misspecified_tfs()
    started = time.perf_counter()
    policy = learn_policy(images, library, generator="lstm", seq_len=10, seed=seed, steps=steps,
                          progress=False, **overrides)
    probs = policy.sampler.tf_probabilities(seq_len=10, n=20000,
                                            generator=torch.Generator().manual_seed(0))
    timing = policy.metadata["training"]["timing_s"]
    return {"probabilities": [round(float(p), 5) for p in probs],
            "misspecified_share": float(probs[-len(misspecified_tfs()):].sum()),
            "wall_s": round(time.perf_counter() - started, 1),
            "discriminator_share": timing["discriminator"] / sum(timing.values()),
            "final_d_acc": policy.history["d_acc"][-1]}


def total_variation(p: list[float], q: list[float]) -> float:
    """Half the L1 distance between two distributions over the same TFs.

    Examples
    --------
    >>> total_variation([0.5, 0.5], [1.0, 0.0])
    0.5
    """
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared/data/mnist")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.data.exists():
        images = load_mnist(args.data, "train")[0][: args.n]
    else:
        images = load_mnist_sample()[0][: args.n]
    runs = {(name, seed): learn(images, seed, args.steps, overrides)
            for seed in args.seeds for name, overrides in (("former", FORMER), ("current", {}))}
    print(f"{len(images)} digits, {args.steps} steps, LSTM, L = 10, {args.threads} thread(s)")
    print(f"{'D':>8} {'seed':>4} {'misspecified':>12} {'D share':>8} {'wall s':>7} {'D acc':>6}")
    for (name, seed), run in runs.items():
        print(f"{name:>8} {seed:>4} {run['misspecified_share']:12.1%} "
              f"{run['discriminator_share']:8.0%} {run['wall_s']:7.1f} {run['final_d_acc']:6.2f}")
    for seed in args.seeds:
        tv = total_variation(runs["former", seed]["probabilities"],
                             runs["current", seed]["probabilities"])
        print(f"TV(former, current), seed {seed}: {tv:.3f}")
    for a, b in zip(args.seeds, args.seeds[1:], strict=False):
        for name in ("former", "current"):
            tv = total_variation(runs[name, a]["probabilities"], runs[name, b]["probabilities"])
            print(f"TV({name} seed {a}, {name} seed {b}): {tv:.3f} (the seed-to-seed yardstick)")
    if args.json:
        args.json.write_text(json.dumps({f"{k[0]}_{k[1]}": v for k, v in runs.items()}, indent=1))


if __name__ == "__main__":
    main()
