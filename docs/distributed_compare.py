"""Is a policy learned on 2 ranks at batch B/2 the same as one learned on 1 rank at batch B?

Run ``python docs/distributed_compare.py`` (CPU, gloo, about 10 minutes on 2 cores). For each
generator (mean-field, LSTM) and seed, ``torchrun --standalone`` learns a policy on the MNIST
sample shipped with the package, over the MNIST pack plus three planted destructive TFs
(invert, brightness x8, Gaussian noise 0.5), once with 1 process at ``--batch`` images and once
with 2 processes at ``--batch / 2`` each (the same global batch). Compared (docs/distributed.md):

- the share of the planted destructive TFs in each learned policy (uniform would be 3/28):
  both set-ups should push it well below uniform;
- the per-TF probability profiles, averaged over seeds: largest and mean difference between
  the 1- and 2-process means, next to the seed-to-seed standard deviation of one TF within a
  set-up (the noise floor), and their correlation.

Exact equality is not expected: the ranks draw from their own streams, so a 2-rank run sees
other images, sequences and noise than a 1-rank run of the same seed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def planted_tfs() -> list:
    """The MNIST pack plus three TFs that destroy digits (the last three entries)."""
    from tanda_transforms import TF
    from tanda_transforms.tfs import mnist_pack

    destructive = [TF("invert"), TF("brightness", factor=8.0), TF("gaussian_noise", std=0.5)]
    return mnist_pack() + destructive


def worker(args: argparse.Namespace) -> None:
    """One rank: learn and let rank 0 save the policy to ``args.out``."""
    import torch

    from tanda_transforms.data import load_data
    from tanda_transforms.learn import learn_policy

    torch.set_num_threads(1)
    images, _ = load_data(None, "auto", "train", None, None)
    policy = learn_policy(images, planted_tfs(), generator=args.generator, steps=args.steps,
                          batch_size=args.batch, seed=args.seed, seq_len=args.seq_len,
                          d_lr=args.d_lr, g_lr=args.g_lr, progress=False)
    if os.environ.get("RANK", "0") == "0":
        policy.save(args.out)


def learn(procs: int, generator: str, seed: int, args: argparse.Namespace, out: Path) -> list:
    """Learn with ``procs`` processes (global batch ``args.batch``); TF probabilities."""
    import torch

    from tanda_transforms import TANDAPolicy

    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={procs}", __file__, "--worker", "--generator", generator,
               "--seed", str(seed), "--batch", str(args.batch // procs), "--steps",
               str(args.steps), "--seq-len", str(args.seq_len), "--d-lr", str(args.d_lr),
               "--g-lr", str(args.g_lr), "--out", str(out)]
    subprocess.run(command, env={**os.environ, "PYTHONPATH": path}, check=True,
                   capture_output=True, text=True)
    policy = TANDAPolicy.load(out)
    assert policy.metadata["training"]["world_size"] == procs
    probs = policy.sampler.tf_probabilities(args.seq_len, n=20000,
                                            generator=torch.Generator().manual_seed(0))
    return probs.tolist()


def compare(runs: dict[int, list[list[float]]]) -> dict:
    """Destructive shares and profile differences between the 1- and 2-process runs."""
    import numpy as np

    one, two = (np.array(runs[n]) for n in (1, 2))
    mean_one, mean_two = one.mean(0), two.mean(0)
    return {
        "destructive_share_1": one[:, -3:].sum(1).round(4).tolist(),
        "destructive_share_2": two[:, -3:].sum(1).round(4).tolist(),
        "uniform_share": round(3 / one.shape[1], 4),
        "max_abs_diff_of_means": round(float(np.abs(mean_one - mean_two).max()), 4),
        "mean_abs_diff_of_means": round(float(np.abs(mean_one - mean_two).mean()), 4),
        "max_seed_sd_1": round(float(one.std(0, ddof=1).max()), 4),
        "max_seed_sd_2": round(float(two.std(0, ddof=1).max()), 4),
        "correlation": round(float(np.corrcoef(mean_one, mean_two)[0, 1]), 3),
        "top4_1": np.argsort(-mean_one)[:4].tolist(),
        "top4_2": np.argsort(-mean_two)[:4].tolist(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generators", nargs="+", default=["mean_field", "lstm"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch", type=int, default=16, help="global batch (even)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seq-len", type=int, default=5)
    parser.add_argument("--d-lr", type=float, default=1e-3)
    parser.add_argument("--g-lr", type=float, default=1e-2)
    parser.add_argument("--out", help="write the comparison as JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generator", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    result = {"config": {k: v for k, v in vars(args).items() if k not in ("worker", "out")}}
    with tempfile.TemporaryDirectory() as tmp:
        for generator in args.generators:
            runs: dict[int, list[list[float]]] = {1: [], 2: []}
            for seed in args.seeds:
                for procs in (1, 2):
                    out = Path(tmp) / f"{generator}_{seed}_{procs}.tanda"
                    runs[procs].append(learn(procs, generator, seed, args, out))
            result[generator] = compare(runs)
            print(generator, json.dumps(result[generator]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
