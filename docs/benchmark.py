"""Throughput: a uniform TANDA policy vs torchvision's RandAugment, image by image.

Run ``python docs/benchmark.py`` (about two to three minutes). Both transforms get the same
PIL RGB images, one at a time, in one process on one thread. For each image size and
sequence length L, ``TANDAPolicy("cifar10", seq_len=L)`` (uniform sampler: the paper's
heuristic baseline over the 33 CIFAR-10 TFs) and ``RandAugment(num_ops=L)`` are timed in
alternating rounds; the table reports the median images/s of the rounds.

Options: ``--rounds`` (default 7), ``--seconds`` (target seconds per timed round, default 1.5),
``--profile`` (cProfile one TANDA configuration and print where its time goes).

``--rendering`` compares instead how a policy renders its sequences: fused (each run of
geometric TFs composed into one warp and resampled once: what ``TANDAPolicy`` does) against
step by step (every TF resamples on its own, as before), the same draws for both, on numpy
uint8 images, for the uniform MNIST and CIFAR-10 packs at L = 10.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import statistics
import time

import cv2
import numpy as np
import PIL.Image
import torch
from torchvision.transforms import v2

from tanda_transforms import TANDAPolicy

SIZES = (32, 224)
LENGTHS = (2, 10)
N_IMAGES = 64


def make_images(size: int, n: int = N_IMAGES, seed: int = 0) -> list[PIL.Image.Image]:
    """Smooth random colour images (noise blurred and upsampled), so ops meet real-ish data."""
    rng = np.random.default_rng(seed)
    images = []
    for _ in range(n):
        small = rng.integers(0, 256, (max(2, size // 4), max(2, size // 4), 3), dtype=np.uint8)
        big = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC)
        noise = rng.integers(-12, 13, big.shape)
        images.append(PIL.Image.fromarray(np.clip(big + noise, 0, 255).astype(np.uint8), "RGB"))
    return images


def run(transform, images: list[PIL.Image.Image], count: int) -> float:
    """Apply ``transform`` to ``count`` images (cycling); return images per second."""
    start = time.perf_counter()
    for i in range(count):
        transform(images[i % len(images)])
    return count / (time.perf_counter() - start)


def calibrate(transform, images, seconds: float) -> int:
    """How many images make a round of about ``seconds`` (after a warm-up)."""
    rate = run(transform, images, 16)
    rate = run(transform, images, max(16, int(rate * 0.25)))
    return max(16, int(rate * seconds))


def bench(size: int, length: int, rounds: int, seconds: float) -> tuple[float, float]:
    images = make_images(size)
    tanda = TANDAPolicy("cifar10", seq_len=length, seed=0)
    randaug = v2.RandAugment(num_ops=length)
    torch.manual_seed(0)
    counts = {name: calibrate(t, images, seconds) for name, t in (("t", tanda), ("r", randaug))}
    tanda_rates, randaug_rates = [], []
    for r in range(rounds):  # alternate, and alternate who goes first, to spread machine noise
        order = [("t", tanda, tanda_rates), ("r", randaug, randaug_rates)]
        for name, transform, rates in order if r % 2 == 0 else order[::-1]:
            rates.append(run(transform, images, counts[name]))
    return statistics.median(tanda_rates), statistics.median(randaug_rates)


RENDER_CASES = (("mnist", 28, 1), ("cifar10", 32, 3), ("cifar10", 224, 3))


def bench_rendering(pack: str, size: int, channels: int, rounds: int, seconds: float):
    """Median images/s of fused and step-by-step rendering of the same uniform policy."""
    from tanda_transforms.evaluation.augment import StepByStepPolicy

    shape = (size, size) if channels == 1 else (size, size, channels)
    images = [np.asarray(img.convert("L" if channels == 1 else "RGB")).reshape(shape)
              for img in make_images(size)]
    fused = TANDAPolicy(pack, seq_len=10, seed=0)
    steps = StepByStepPolicy(TANDAPolicy(pack, seq_len=10, seed=0))
    counts = {name: calibrate(t, images, seconds) for name, t in (("f", fused), ("s", steps))}
    rates: dict[str, list[float]] = {"f": [], "s": []}
    for r in range(rounds):
        order = [("f", fused), ("s", steps)]
        for name, transform in order if r % 2 == 0 else order[::-1]:
            rates[name].append(run(transform, images, counts[name]))
    return statistics.median(rates["f"]), statistics.median(rates["s"])


def main_rendering(rounds: int, seconds: float) -> None:
    print("| pack | size | fused (img/s) | step by step (img/s) | fused / step by step |")
    print("|---|---:|---:|---:|---:|")
    for pack, size, channels in RENDER_CASES:
        fused, steps = bench_rendering(pack, size, channels, rounds, seconds)
        print(f"| {pack} | {size}x{size} | {fused:,.0f} | {steps:,.0f} | {fused / steps:.2f} |",
              flush=True)


def profile(size: int, length: int, count: int = 400) -> None:
    images = make_images(size)
    tanda = TANDAPolicy("cifar10", seq_len=length, seed=0)
    run(tanda, images, 16)
    profiler = cProfile.Profile()
    profiler.enable()
    run(tanda, images, count)
    profiler.disable()
    print(f"\ncProfile: TANDA {size}x{size}, L={length}, {count} images")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--profile", nargs=2, type=int, metavar=("SIZE", "L"))
    parser.add_argument("--rendering", action="store_true",
                        help="fused vs step-by-step rendering instead of vs RandAugment")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    if args.profile:
        profile(*args.profile)
        return
    if args.rendering:
        main_rendering(args.rounds, args.seconds)
        return
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"opencv {cv2.__version__}, numpy {np.__version__}, {platform.machine()}, "
        f"1 thread, {args.rounds} rounds (median)"
    )
    header = "| size | L | TANDA (img/s) | RandAugment (img/s) | TANDA / RandAugment |"
    print(header)
    print("|---:|---:|---:|---:|---:|")
    for size in SIZES:
        for length in LENGTHS:
            tanda, randaug = bench(size, length, args.rounds, args.seconds)
            print(
                f"| {size}x{size} | {length} | {tanda:,.0f} | {randaug:,.0f} | "
                f"{tanda / randaug:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
