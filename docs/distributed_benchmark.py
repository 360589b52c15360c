"""Throughput of learning at 1 and N processes, measured in the same run (docs/distributed.md).

Run ``python docs/distributed_benchmark.py`` (CPU, gloo; 1 and 2 processes, 1 thread each)
or, on a GPU machine, ``python docs/distributed_benchmark.py --device cuda --procs 1 2 4 8``
(NCCL, one GPU per process). For each process count ``torchrun --standalone`` runs this file
as the worker; every process learns an LSTM policy on the MNIST sample shipped with the
package at ``--batch`` images per process (the global batch grows with the processes), and
rank 0 times the steps after ``--warmup``. Counts are measured in alternating ``--rounds``
and the median is kept, so a machine shared with other jobs slows all counts alike; the
printed ratios, not the absolute numbers, are the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(args: argparse.Namespace) -> None:
    """One rank: learn ``warmup + steps`` steps; rank 0 prints the timed steps as JSON."""
    import torch

    from tanda_transforms.data import load_data
    from tanda_transforms.learn import learn_policy

    torch.set_num_threads(args.threads)
    images, _ = load_data(None, "auto", "train", None, None)
    marks: list[float] = []
    policy = learn_policy(images, "mnist", steps=args.warmup + args.steps, batch_size=args.batch,
                          seed=0, device=args.device, progress=False,
                          callback=lambda _learner: marks.append(time.perf_counter()))
    if os.environ.get("RANK", "0") == "0":
        world = policy.metadata["training"]["world_size"]
        seconds = marks[-1] - marks[args.warmup - 1]
        print(json.dumps({"world_size": world, "seconds": seconds, "steps": args.steps,
                          "images": args.steps * args.batch * world}))


def measure(procs: int, args: argparse.Namespace) -> dict:
    """Start ``procs`` processes with torchrun; returns rank 0's timing."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={procs}", __file__, "--worker", "--device", args.device,
               "--batch", str(args.batch), "--steps", str(args.steps), "--warmup",
               str(args.warmup), "--threads", str(args.threads)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=16, help="images per process and step")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    runs: dict[int, list[dict]] = {n: [] for n in args.procs}
    for _ in range(args.rounds):
        for n in args.procs:
            runs[n].append(measure(n, args))
    print(f"device {args.device}, batch {args.batch} per process, {args.steps} timed steps, "
          f"{args.rounds} rounds, {args.threads} thread(s) per process, {os.cpu_count()} cores")
    base = None
    for n in args.procs:
        steps_s = statistics.median(r["steps"] / r["seconds"] for r in runs[n])
        images_s = statistics.median(r["images"] / r["seconds"] for r in runs[n])
        base = base or (steps_s, images_s)
        print(f"{n} process(es): {steps_s:.2f} steps/s, {images_s:.1f} images/s; vs "
              f"{args.procs[0]}: steps x{steps_s / base[0]:.2f}, images x{images_s / base[1]:.2f}")


if __name__ == "__main__":
    main()
