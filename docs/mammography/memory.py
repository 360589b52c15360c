"""Peak memory of mammography TFs on a 4000 x 3000 uint16 image (24 MB), in fresh processes.

Run ``python docs/mammography/memory.py`` (about 30 s; ``--per-op`` adds one fresh process per
TF of the mammography pack and the domain TFs, about two more minutes). The lesion pool is cut
from mini-MIAS (``--mias``, default ``/work/shared/data/mini-mias``) if it is there, else a
synthetic one is used; ``--pool file.npz`` takes a saved pool.

Each measurement runs in a new Python process: imports, makes the image (without large
temporaries), warms the TFs up on a small image, then applies the TFs to the big one and
reports, relative to the image's 24 MB:

* ``tracemalloc``: the peak of Python / numpy allocations (cv2 results are numpy arrays, so
  they count; cv2's and SuperLU's internal buffers do not) above what was allocated before;
* ``rss``: the peak resident set size (``ru_maxrss``; on Linux read as ``VmHWM`` after
  resetting the high-water mark through ``/proc/self/clear_refs``, because a spawned
  process's ``ru_maxrss`` also remembers its parent's peak) minus the resident size
  before: everything, including native buffers.

Both include the output image itself (one image) and, for a sequence, the previous step's
output while the next step runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

HEIGHT, WIDTH = 4000, 3000
DEFAULT_MIAS = "/work/shared/data/mini-mias"


def sequence_specs(pool: str) -> list[dict]:
    """The 10-TF sequence: six generic TFs of the mammography pack (the first of each op
    named below), two lesion transplants and two exposure changes, interleaved."""
    from tanda_transforms import TFLibrary
    from tanda_transforms.domains import domain_mammography_tfs

    first = {}
    for tf in TFLibrary.pack("mammography"):
        first.setdefault(tf.op, tf.to_dict())
    transplant, _, superposed, _, contrast_up, _, brighter = [
        tf.to_dict() for tf in domain_mammography_tfs(pool)
    ]
    return [
        first["rotate"],
        first["elastic"],
        transplant,
        first["contrast"],
        contrast_up,
        first["sharpen"],
        superposed,
        first["gamma"],
        first["gaussian_noise"],
        brighter,
    ]


# --------------------------------------------------------------------------- child side


def make_image(height: int = HEIGHT, width: int = WIDTH, seed: int = 0) -> np.ndarray:
    """A synthetic uint16 mammogram built at low resolution and resized (no big temporaries)."""
    import cv2

    rng = np.random.default_rng(seed)
    small_h, small_w = height // 16, width // 16
    yy, xx = np.mgrid[0:small_h, 0:small_w]
    tissue = ((xx / (0.75 * small_w)) ** 2 + ((yy - small_h / 2) / (0.45 * small_h)) ** 2) <= 1
    texture = cv2.GaussianBlur(rng.random((small_h, small_w)), (0, 0), 2.0)
    texture = (texture - texture.min()) / np.ptp(texture)
    levels = np.where(tissue, 0.3 + 0.4 * texture, 0.01) * 65535
    small = np.rint(levels).astype(np.uint16)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def _status_bytes(field: str) -> int | None:
    """``VmRSS`` (resident now) or ``VmHWM`` (its peak) of this process, from /proc."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_rss_bytes() -> int:
    """Peak RSS of this address space. ``ru_maxrss`` also counts, after ``exec``, the peak of
    the process that spawned us (Linux keeps it in the signal struct), so prefer ``VmHWM``,
    which is the same counter for the current address space alone."""
    hwm = _status_bytes("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def child(specs: list[dict], pool: str) -> dict:
    import tanda_transforms.domains  # noqa: F401  (registers the domain ops)
    from tanda_transforms import TANDAPolicy, TFLibrary
    from tanda_transforms.domains import get_lesion_pool

    get_lesion_pool(pool)  # load (and cache) the pool before measuring
    library = TFLibrary(specs)
    policy = TANDAPolicy(library, seq_len=len(specs), seed=0)
    order = list(range(len(specs)))
    policy.apply_sequence(make_image(256, 192), order, seed=1)  # warm-up: lazy imports, caches
    image = make_image()
    rss_before = _status_bytes("VmRSS") or _peak_rss_bytes()
    reset = _reset_peak_rss()
    tracemalloc.start()
    start = time.perf_counter()
    out = policy.apply_sequence(image, order, seed=0)
    seconds = time.perf_counter() - start
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_rss = _peak_rss_bytes()
    assert out.dtype == image.dtype and out.shape == image.shape
    return {
        "tfs": library.names,
        "image_bytes": image.nbytes,
        "tracemalloc_peak": traced_peak,
        "rss_delta": peak_rss - rss_before,
        "peak_reset": reset,
        "seconds": seconds,
    }


# --------------------------------------------------------------------------- parent side


def measure(specs: list[dict], pool: str) -> dict:
    """Run ``specs`` in a fresh process and return its report."""
    cmd = [sys.executable, __file__, "--child", json.dumps(specs), "--pool", pool]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def build_pool(args: argparse.Namespace, folder: Path) -> str:
    from tanda_transforms.domains import LesionPool

    if args.pool:
        return args.pool
    path = folder / "pool.npz"
    if Path(args.mias).is_dir():
        pool = LesionPool.from_mias(args.mias)
        print(f"pool: {len(pool)} lesions cut from mini-MIAS ({args.mias})")
    else:
        rng = np.random.default_rng(0)
        patches, masks = [], []
        for radius in (12, 30, 60, 120):
            half = int(radius * 1.5) + 2
            yy, xx = np.mgrid[-half : half + 1, -half : half + 1]
            r2 = yy**2 + xx**2
            patch = 0.45 + 0.3 * np.exp(-r2 / radius**2) + 0.02 * rng.random(r2.shape)
            patches.append(np.rint(patch * 255).astype(np.uint8))
            masks.append(r2 <= radius**2)
        pool = LesionPool(patches, masks)
        print("pool: 4 synthetic lesions (mini-MIAS not found)")
    pool.save(path)
    return str(path)


def ratio(report: dict, key: str) -> str:
    return f"{report[key] / report['image_bytes']:5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mias", default=DEFAULT_MIAS)
    parser.add_argument("--pool", default=None)
    parser.add_argument("--per-op", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(json.loads(args.child), args.pool)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        pool = build_pool(args, Path(tmp))
        try:
            version = subprocess.run(
                ["git", "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                cwd=Path(__file__).parent,
                check=True,
            ).stdout.strip()
            print(f"code: git {version}")
        except (OSError, subprocess.CalledProcessError):
            pass
        mb = HEIGHT * WIDTH * 2 / 1e6
        print(
            f"image: {HEIGHT} x {WIDTH} uint16 = {mb:.0f} MB; figures are peak extra memory / image"
        )
        report = measure(sequence_specs(pool), pool)
        if not report["peak_reset"]:
            print("(could not reset the RSS high-water mark: rss figures may be low)")
        names = ", ".join(report["tfs"]).replace(pool, "POOL")
        print(f"\n10-TF sequence: {names}")
        print(
            f"  tracemalloc peak {ratio(report, 'tracemalloc_peak')} x image, "
            f"ru_maxrss delta {ratio(report, 'rss_delta')} x image, {report['seconds']:.1f} s"
        )
        if not args.per_op:
            return
        from tanda_transforms import TFLibrary
        from tanda_transforms.domains import domain_mammography_tfs

        library = TFLibrary.pack("mammography") + domain_mammography_tfs(pool)
        print(f"\n{'TF (alone)':48s} tracemalloc   rss    seconds")
        for tf in library:
            one = measure([tf.to_dict()], pool)
            name = repr(tf).replace(repr(pool), "POOL")
            print(
                f"{name:48s} {ratio(one, 'tracemalloc_peak')}      "
                f"{ratio(one, 'rss_delta')}   {one['seconds']:6.2f}"
            )


if __name__ == "__main__":
    main()
