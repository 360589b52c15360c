"""Streamed learning from a folder of mixed-size JPEGs: is memory flat in N, and how fast?

Run ``python docs/benchmark_streaming.py`` (defaults: N = 2,000 and 4N = 8,000 images,
learning size 32, L = 10, one pass each; about 5 to 10 minutes on 2 busy cores). It

1. makes a folder of 4N JPEGs of mixed sizes (shorter side 96 to 320 px, aspect 3:4 to 4:3,
   quality 90): CIFAR-10 training images from ``/work/shared/data/cifar10/cifar10-jpeg.tar``
   upscaled, or smooth synthetic colour images when that file is absent (``--synthetic``
   forces them), and a folder of links to the first N of them;
2. learns one pass over each folder in a fresh child process
   (``learn_policy(folder, "cifar10", size=S, epochs=1)``, DataLoader workers decoding) and
   prints, per run, the images learned from, images/s, the peak RSS of the learning process
   (``getrusage``), the peak of its largest worker, and the peak of all of them together
   (sampled from ``/proc`` every 0.2 s; shared pages are counted once per process, so this
   over-counts), next to what holding the decoded images in memory would take;
3. prints the ratio of the 4N run's peak RSS to the N run's: about 1 when memory is bounded by
   the batch, about 4 for anything that holds the data.

Options: ``--n``, ``--size`` (learning size), ``--seq-len``, ``--batch-size``, ``--workers``,
``--steps`` (stop
each run after this many steps instead of one pass: then both runs read the same number of
images and the ratio says nothing), ``--folder`` (where the images go; default a temporary
folder, removed at the end), ``--threads`` (torch threads, default 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

CIFAR = Path("/work/shared/data/cifar10/cifar10-jpeg.tar")


def source_images(n: int, synthetic: bool, seed: int = 0):
    """``n`` small RGB images: CIFAR-10 training JPEGs in tar order, or synthetic ones."""
    if not synthetic and CIFAR.is_file():
        with tarfile.open(CIFAR) as tar:
            count = 0
            for member in tar:
                if member.isfile() and member.name.startswith("train/"):
                    data = np.frombuffer(tar.extractfile(member).read(), np.uint8)
                    yield cv2.imdecode(data, cv2.IMREAD_COLOR)  # BGR, written back as BGR
                    count += 1
                    if count == n:
                        return
        raise SystemExit(f"{CIFAR} holds fewer than {n} training images")
    rng = np.random.default_rng(seed)
    for _ in range(n):
        small = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        yield cv2.resize(small, (32, 32), interpolation=cv2.INTER_CUBIC)


def make_folder(root: Path, n: int, synthetic: bool, seed: int = 0) -> int:
    """Write ``n`` upscaled JPEGs of mixed sizes under ``root`` (10 sub-folders); return the
    bytes their decoded pixels take."""
    rng = np.random.default_rng(seed)
    pixels = 0
    for i, image in enumerate(source_images(n, synthetic, seed)):
        short = int(rng.integers(96, 321))
        aspect = float(rng.uniform(0.75, 4 / 3))
        h, w = (short, round(short * aspect)) if aspect >= 1 else (round(short / aspect), short)
        big = cv2.resize(image, (w, h), interpolation=cv2.INTER_CUBIC)
        folder = root / f"part{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i:06d}.jpg"), big, [cv2.IMWRITE_JPEG_QUALITY, 90])
        pixels += big.size
    return pixels


def link_first(source: Path, target: Path, n: int) -> None:
    """A folder of links to the first ``n`` images of ``source`` (same sub-folders)."""
    for path in sorted(source.rglob("*.jpg"))[:n]:
        link = target / path.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path)


# --- the child: one learning run --------------------------------------------------------------

def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


class TotalRss:
    """The peak of this process's RSS plus its children's, sampled from /proc."""

    def __init__(self, every: float = 0.2) -> None:
        self.peak_kib, self.every, self._stop = 0, every, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every):
            total = _rss_kib(me) + sum(_rss_kib(c) for c in _children(me))
            self.peak_kib = max(self.peak_kib, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


def child(args: argparse.Namespace) -> None:
    import torch

    from tanda_transforms.learn import learn_policy

    torch.set_num_threads(args.threads)
    total = TotalRss()
    started = time.perf_counter()
    seen = []
    policy = learn_policy(args.child, "cifar10", size=args.size, seq_len=args.seq_len,
                          batch_size=args.batch_size,
                          workers=args.workers, steps=args.steps, seed=0, progress=False,
                          device="cpu", callback=lambda learner: seen.append(learner.images_seen))
    seconds = time.perf_counter() - started
    training = policy.metadata["training"]
    print(json.dumps({
        "images": seen[-1], "steps": training["steps"], "seconds": round(seconds, 1),
        "images_per_s": round(seen[-1] / seconds, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "largest_worker_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
        "total_sampled_mib": total.stop() // 1024, "skipped": training["skipped"],
        "timing_s": training["timing_s"],
    }))


def learn_in_child(folder: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", str(folder), "--size", str(args.size),
               "--seq-len", str(args.seq_len), "--workers", str(args.workers),
               "--batch-size", str(args.batch_size),
               "--threads", str(args.threads)]
    if args.steps:
        command += ["--steps", str(args.steps)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.folder or Path(scratch)
        started = time.perf_counter()
        pixels = make_folder(root / "all", 4 * args.n, args.synthetic)
        link_first(root / "all", root / "first", args.n)
        print(f"made {4 * args.n} JPEGs of mixed sizes in {time.perf_counter() - started:.0f} s "
              f"({'synthetic' if args.synthetic or not CIFAR.is_file() else 'CIFAR-10'} "
              f"upscaled; decoded they take {pixels / 2**20:.0f} MiB, the first "
              f"{args.n} about {pixels / 4 / 2**20:.0f} MiB)", flush=True)
        runs = {}
        for name, n in (("N", args.n), ("4N", 4 * args.n)):
            runs[name] = learn_in_child(root / ("first" if name == "N" else "all"), args)
            print(f"{name} = {n}: {json.dumps(runs[name])}", flush=True)
    print(f"learning size {args.size}, L = {args.seq_len}, batch {args.batch_size}, "
          f"{args.workers} workers, "
          f"{args.threads} torch thread(s)")
    for key in ("peak_rss_mib", "largest_worker_mib", "total_sampled_mib"):
        ratio = runs["4N"][key] / max(runs["N"][key], 1)
        print(f"{key}: N {runs['N'][key]}, 4N {runs['4N'][key]}, ratio 4N / N = {ratio:.2f}")
    print(f"images/s: N {runs['N']['images_per_s']}, 4N {runs['4N']['images_per_s']}")


if __name__ == "__main__":
    main()
