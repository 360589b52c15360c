"""Does the lean default discriminator learn as good a policy as the former one?

Learns LSTM policies (L = 10, batch 32) on unlabeled MNIST digits with the paper's 25-TF MNIST
pack plus the 5 misspecified TFs (invert, brightness x4, heavy noise, zoom x3, rotate 180), as
docs/experiments/misspecified_mnist.py does, with each discriminator for each seed:
``former`` (``d_width=32, d_kernel=5, d_norm="group"``, the default until 2026-12-06),
``lean_group`` (width 16, 3 x 3 kernels, still grouped norm: the first change that day) and
``current`` (the defaults: the lean network with one norm group per image). Prints the
misspecified TFs' share (uniform: 5/30 = 16.7 %; lower is better), the total variation
distance between each variant's policy and the former one's, and, as the yardstick, the
distance between two seeds of one variant (how far apart two equally good runs land).

    python docs/experiments/discriminator_quality.py [--data ../shared/data/mnist]
        [--n 4000] [--steps 200] [--seeds 0 1] [--threads 1]
        [--variants current] [--previous docs/experiments/discriminator_quality.json]

``--previous FILE`` takes the runs of the variants not in ``--variants`` from an earlier
``--json`` file (same ``--n``, ``--steps`` and seeds), so a new variant is compared without
learning the others again.

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
VARIANTS = {
    "former": {"d_width": 32, "d_kernel": 5, "d_norm": "group"},  # default until 2026-12-06
    "lean_group": {"d_norm": "group"},  # the lean network's first version, that day
    "current": {},
}


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
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--previous", type=Path, help="runs of the other variants")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.data.exists():
        images = load_mnist(args.data, "train")[0][: args.n]
    else:
        images = load_mnist_sample()[0][: args.n]
    runs = previous_runs(args.previous, args.seeds)
    runs.update({(name, seed): learn(images, seed, args.steps, VARIANTS[name])
                 for seed in args.seeds for name in args.variants})
    print(f"{len(images)} digits, {args.steps} steps, LSTM, L = 10, {args.threads} thread(s)")
    report(runs, args.seeds)
    if args.json:
        args.json.write_text(json.dumps({f"{k[0]}_{k[1]}": v for k, v in runs.items()}, indent=1))


def previous_runs(path: Path | None, seeds: list[int]) -> dict:
    """The runs ``path`` holds for ``seeds`` (keys ``variant_seed``), or none."""
    if path is None:
        return {}
    saved = json.loads(path.read_text())
    return {(name, seed): saved[f"{name}_{seed}"] for name in VARIANTS for seed in seeds
            if f"{name}_{seed}" in saved}


def report(runs: dict, seeds: list[int]) -> None:
    print(f"{'D':>10} {'seed':>4} {'misspecified':>12} {'D share':>8} {'wall s':>7} {'D acc':>6}")
    for (name, seed), run in sorted(runs.items(), key=lambda kv: list(VARIANTS).index(kv[0][0])):
        print(f"{name:>10} {seed:>4} {run['misspecified_share']:12.1%} "
              f"{run['discriminator_share']:8.0%} {run['wall_s']:7.1f} {run['final_d_acc']:6.2f}")
    names = [name for name in VARIANTS if all((name, seed) in runs for seed in seeds)]
    for name in names[1:]:
        for seed in seeds:
            tv = total_variation(runs[names[0], seed]["probabilities"],
                                 runs[name, seed]["probabilities"])
            print(f"TV({names[0]}, {name}), seed {seed}: {tv:.3f}")
    for a, b in zip(seeds, seeds[1:], strict=False):
        for name in names:
            tv = total_variation(runs[name, a]["probabilities"], runs[name, b]["probabilities"])
            print(f"TV({name} seed {a}, {name} seed {b}): {tv:.3f} (the seed-to-seed yardstick)")


if __name__ == "__main__":
    main()
