"""policy.batched() throughput with torch's default threads vs one thread, in one process.

    python docs/experiments/batched_threads.py [--rounds 5] [--seconds 3]

The gallery ``cifar10`` policy, batches of 256 uint8 images of 32 x 32 x 3 on the CPU; the two
thread counts alternate round by round, each timed for ``--seconds``, so both see the same
load. Prints the load average, images per second per round and the median ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch

from tanda_transforms import TANDAPolicy


def rate(augment, images: torch.Tensor, seconds: float) -> float:
    augment(images)  # warm up at this thread count
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        augment(images)
        done += len(images)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    default = torch.get_num_threads()
    augment = TANDAPolicy.load("cifar10").batched(seed=0)
    images = torch.randint(0, 256, (256, 3, 32, 32), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    rates: dict[int, list[float]] = {default: [], 1: []}
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        for threads in (default, 1):
            torch.set_num_threads(threads)
            rates[threads].append(round(rate(augment, images, args.seconds)))
    ratios = [one / many for one, many in zip(rates[1], rates[default], strict=True)]
    print(json.dumps({"cores": len(os.sched_getaffinity(0)), "load_before": round(load, 2),
                      "load_after": round(os.getloadavg()[0], 2),
                      f"img_per_s_{default}_threads": rates[default],
                      "img_per_s_1_thread": rates[1],
                      "median_ratio_1_over_default": round(statistics.median(ratios), 2)}))


if __name__ == "__main__":
    main()
