"""Where learning time goes, and what the discriminator optimisations bought.

1. Profiles ``--steps`` steps of learning on MNIST digits (L = 10, batch 32, 5 sequences per
   point, the MNIST pack) with cProfile and the learner's own timers, and prints the split
   between TF application, discriminator and generator.
2. Compares, in the same process and interleaved, one step's discriminator work done the old
   way (every intermediate x_0..x_L scored, contiguous memory, plus D's update) against the
   current way (x_0 and x_L scores reused from D's own update pass, channels-last memory).

    python docs/experiments/learn_profile.py [--data ../shared/data/mnist] [--steps 20]

Without the data it uses the 500 digits shipped with the package.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TFLibrary
from tanda_transforms.data import load_mnist, load_mnist_sample
from tanda_transforms.discriminators import ConvDiscriminator
from tanda_transforms.learn import LearnConfig, Learner

HERE = Path(__file__).resolve().parent


def profile_steps(images: np.ndarray, steps: int) -> None:
    learner = Learner(images, TFLibrary.pack("mnist"), "lstm", LearnConfig(), 0,
                      torch.device("cpu"))
    learner.step()  # warm-up
    learner.timing = dict.fromkeys(learner.timing, 0.0)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(steps):
        learner.step()
    profiler.disable()
    wall = time.perf_counter() - started
    print(f"{steps} steps: {wall:.1f} s, {wall / steps:.3f} s/step")
    for part, seconds in learner.timing.items():
        print(f"  {part:14s} {seconds:6.1f} s  {100 * seconds / wall:5.1f}%")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(8)


def compare_discriminator(rounds: int = 5) -> None:
    torch.manual_seed(0)
    seq_len, batch, per_point = 10, 32, 5
    states = torch.rand(seq_len + 1, batch * per_point, 1, 28, 28) * 2 - 1
    old, new = ConvDiscriminator(1), ConvDiscriminator(1)
    new.load_state_dict(old.state_dict())
    new = new.to(memory_format=torch.channels_last)

    def old_way():
        with torch.no_grad():
            old(states.flatten(0, 1))
        logits = old(torch.cat([states[0][::per_point], states[-1]]))
        logits.sum().backward()

    def new_way():
        middle = states[1:-1].flatten(0, 1).contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            new(middle)
        both = torch.cat([states[0][::per_point], states[-1]])
        new(both.contiguous(memory_format=torch.channels_last)).sum().backward()

    times = {"old": [], "new": []}
    for _ in range(rounds):
        for name, fn in (("old", old_way), ("new", new_way)):
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    old_s, new_s = np.median(times["old"]), np.median(times["new"])
    print(f"discriminator work per step: old {old_s:.3f} s, new {new_s:.3f} s, "
          f"speed-up {old_s / new_s:.2f}x (median of {rounds} interleaved rounds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared/data/mnist")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    if args.data.exists():
        images = load_mnist(args.data, "train")[0][:10_000]
    else:
        images = load_mnist_sample()[0]
    print(f"torch threads: {torch.get_num_threads()}")
    compare_discriminator()
    profile_steps(images, args.steps)


if __name__ == "__main__":
    main()
