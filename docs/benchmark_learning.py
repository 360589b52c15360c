"""Where a learning step's time goes, and one pass with the former and the current defaults.

    python docs/benchmark_learning.py [--data ../shared/data/cifar10] [--n 2000] [--threads 2]

One process, CIFAR-10 training images (the first ``--n``), the LSTM generator, L = 10, batch
32 x 5 sequences per image, ``render="auto"``:

1. The discriminator's share of a step at 32 px and at 224 px (the images upscaled, bicubic):
   a learner with the current defaults takes one warm-up step, then ``--share-steps`` steps;
   printed: seconds per step and the share of each part (the learner's own timers, over the
   wall time of the steps; the rest is sampling and batching). The former defaults'
   (``d_width=32, d_kernel=5, d_norm="group"``) share is printed at 32 px, and at 224 px
   with ``--former-224`` (a step then takes minutes on 2 cores).
2. One pass over the ``--n`` images at 32 px (``ceil(n / 32)`` steps) with the former and the
   current defaults, stepped alternately in this process so that both see the same load;
   printed: each pass's seconds, the ratio, the pass over 10,000 images extrapolated, and the
   load average beside them (the machine is shared: only the ratio is comparable between runs).

On CUDA the parts' timers do not synchronise the device (the shares are then indicative; the
pass times are not affected: every step reads its losses back).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.data import load_cifar10
from tanda_transforms.learn import LearnConfig, Learner

HERE = Path(__file__).resolve().parent
FORMER = {"d_width": 32, "d_kernel": 5, "d_norm": "group"}  # the default D until 2026-12-06
BATCH = 32


def learner(images: np.ndarray, device: torch.device, **overrides) -> Learner:
    config = LearnConfig(seq_len=10, batch_size=BATCH, steps=10**6, **overrides)
    return Learner(images, TANDAPolicy("cifar10").library, "lstm", config, 0, device)


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def step_shares(images: np.ndarray, device: torch.device, steps: int, name: str,
                overrides: dict) -> None:
    """One warm-up step, then ``steps`` timed ones; print s/step and each part's share."""
    run = learner(images, device, **overrides)
    run.step()
    run.timing = dict.fromkeys(run.timing, 0.0)
    started = time.perf_counter()
    for _ in range(steps):
        run.step()
    wall = time.perf_counter() - started
    parts = ", ".join(f"{part} {seconds / wall:4.0%}" for part, seconds in run.timing.items())
    print(f"{images.shape[1]:>4} px {name:>8}: {wall / steps:7.2f} s/step; {parts}  ({load()})")


def one_pass(images: np.ndarray, device: torch.device) -> None:
    """Step the former and the current defaults alternately through one pass each."""
    runs = {"former": learner(images, device, **FORMER), "current": learner(images, device)}
    seconds = dict.fromkeys(runs, 0.0)
    for run in runs.values():
        run.step()  # warm-up, not counted
    steps = math.ceil(len(images) / BATCH)
    print(f"one pass over {len(images)} images at 32 px ({steps} steps each, alternating; "
          f"{load()} at the start)")
    for _ in range(steps):
        for name, run in runs.items():
            started = time.perf_counter()
            run.step()
            seconds[name] += time.perf_counter() - started
    for name, total in seconds.items():
        per_10k = total * 10_000 / len(images) / 60
        print(f"  {name:>8}: {total:7.1f} s, 10,000 images ~ {per_10k:5.2f} min")
    print(f"  former / current: x{seconds['former'] / seconds['current']:.2f} ({load()} at the "
          f"end)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[1] / "shared/data/cifar10")
    parser.add_argument("--n", type=int, default=2000, help="images of the timed pass")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--share-steps", type=int, default=3)
    parser.add_argument("--former-224", action="store_true")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    images = load_cifar10(args.data, "train")[0][: max(args.n, 64)]
    print(f"{torch.get_num_threads()} torch thread(s), device {device}; LSTM, L = 10, batch "
          f"{BATCH} x 5 sequences")
    large = np.stack([cv2.resize(x, (224, 224), interpolation=cv2.INTER_CUBIC)
                      for x in images[:64]])
    step_shares(images[:64], device, args.share_steps, "former", FORMER)
    step_shares(images[:64], device, args.share_steps, "current", {})
    if args.former_224:
        step_shares(large, device, 1, "former", FORMER)
    step_shares(large, device, args.share_steps, "current", {})
    one_pass(images[: args.n], device)


if __name__ == "__main__":
    main()
