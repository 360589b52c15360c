"""Where a learning step's time goes, and one pass with the former and the current defaults.

    python docs/benchmark_learning.py [--data ../shared/data/cifar10] [--n 2000] [--threads 2]
    python docs/benchmark_learning.py --pass-224 [--share-steps 5] [--threads 2]
    python docs/benchmark_learning.py --render-choice [32 64 96] [--share-steps 15]

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

Beside each step line: the process's peak RSS so far (``resource.getrusage``; the 224 px
current-defaults line runs before any other 224 px one, so its figure is that step's, on top of
the 32 px ones'). ``--pass-224`` measures the 224 px step alone (no 32 px parts, peak RSS then
that run's) and extrapolates one pass over 10,000 images at 224 px (``ceil(10000 / 32)``
steps at the measured seconds per step; the 64 upscaled images are cycled, which costs the
same per step as distinct ones).

``--render-choice`` steps a learner with ``render="per_image"`` and one with ``"batched"``
alternately at each size (the 64 images resized) and prints their seconds per step: where
``render="auto"`` should switch on a CPU (``BATCHED_CPU_PIXELS``).

On CUDA the parts' timers do not synchronise the device (the shares are then indicative; the
pass times are not affected: every step reads its losses back).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
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


def peak_rss() -> str:
    """The peak resident memory of this process so far (Linux reports KiB)."""
    return f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB"


def step_shares(images: np.ndarray, device: torch.device, steps: int, name: str,
                overrides: dict) -> float:
    """One warm-up step, then ``steps`` timed ones; print s/step, each part's share and the
    peak RSS so far; return s/step."""
    run = learner(images, device, **overrides)
    run.step()
    run.timing = dict.fromkeys(run.timing, 0.0)
    started = time.perf_counter()
    for _ in range(steps):
        run.step()
    wall = time.perf_counter() - started
    parts = ", ".join(f"{part} {seconds / wall:4.0%}" for part, seconds in run.timing.items())
    print(f"{images.shape[1]:>4} px {name:>8}: {wall / steps:7.2f} s/step; {parts}; "
          f"{peak_rss()}  ({load()})")
    return wall / steps


def pass_estimate(seconds_per_step: float, images: int = 10_000) -> None:
    """One pass over ``images`` at 224 px, extrapolated from the seconds per step."""
    steps = math.ceil(images / BATCH)
    print(f"one pass over {images:,} images at 224 px ~ {seconds_per_step * steps / 60:.1f} min "
          f"({steps} steps at {seconds_per_step:.2f} s/step, extrapolated); {peak_rss()}")


def alternate(runs: dict[str, Learner], steps: int) -> dict[str, float]:
    """One warm-up step each, then ``steps`` steps of every learner in turn (so all see the
    same load); the seconds each spent."""
    seconds = dict.fromkeys(runs, 0.0)
    for run in runs.values():
        run.step()  # warm-up, not counted
    for _ in range(steps):
        for name, run in runs.items():
            started = time.perf_counter()
            run.step()
            seconds[name] += time.perf_counter() - started
    return seconds


def one_pass(images: np.ndarray, device: torch.device) -> None:
    """Step the former and the current defaults alternately through one pass each."""
    runs = {"former": learner(images, device, **FORMER), "current": learner(images, device)}
    steps = math.ceil(len(images) / BATCH)
    print(f"one pass over {len(images)} images at 32 px ({steps} steps each, alternating; "
          f"{load()} at the start)")
    seconds = alternate(runs, steps)
    for name, total in seconds.items():
        per_10k = total * 10_000 / len(images) / 60
        print(f"  {name:>8}: {total:7.1f} s, 10,000 images ~ {per_10k:5.2f} min")
    print(f"  former / current: x{seconds['former'] / seconds['current']:.2f} ({load()} at the "
          f"end)")


def render_choice(images: np.ndarray, device: torch.device, steps: int,
                  sizes: list[int]) -> None:
    """Per-image against batched rendering, per image size (what ``render="auto"`` picks)."""
    for size in sizes:
        scaled = images if size == images.shape[1] else np.stack(
            [cv2.resize(x, (size, size), interpolation=cv2.INTER_CUBIC) for x in images])
        runs = {mode: learner(scaled, device, render=mode) for mode in ("per_image", "batched")}
        seconds = alternate(runs, steps)
        print(f"{size:>4} px: per_image {seconds['per_image'] / steps * 1000:6.0f} ms/step, "
              f"batched {seconds['batched'] / steps * 1000:6.0f} ms/step, per_image / batched "
              f"x{seconds['per_image'] / seconds['batched']:.2f}  ({load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[1] / "shared/data/cifar10")
    parser.add_argument("--n", type=int, default=2000, help="images of the timed pass")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--share-steps", type=int, default=3)
    parser.add_argument("--former-224", action="store_true")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--pass-224", action="store_true",
                        help="only the 224 px step, and one pass over 10,000 images extrapolated")
    parser.add_argument("--render-choice", type=int, nargs="*", metavar="SIZE",
                        help="only per-image against batched rendering at these sizes "
                             "(default 32 64 96), --share-steps steps each")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    images = load_cifar10(args.data, "train")[0][: max(args.n, 64)]
    print(f"{torch.get_num_threads()} torch thread(s), device {device}; LSTM, L = 10, batch "
          f"{BATCH} x 5 sequences")
    if args.render_choice is not None:
        render_choice(images[:64], device, args.share_steps, args.render_choice or [32, 64, 96])
        return
    large = np.stack([cv2.resize(x, (224, 224), interpolation=cv2.INTER_CUBIC)
                      for x in images[:64]])
    if args.pass_224:
        pass_estimate(step_shares(large, device, args.share_steps, "current", {}))
        return
    step_shares(images[:64], device, args.share_steps, "former", FORMER)
    step_shares(images[:64], device, args.share_steps, "current", {})
    step_shares(large, device, args.share_steps, "current", {})
    if args.former_224:
        step_shares(large, device, 1, "former", FORMER)
    one_pass(images[: args.n], device)


if __name__ == "__main__":
    main()
