"""Time of each batched photometric kernel per call, on one float32 RGB group.

Run ``OMP_NUM_THREADS=1 python docs/benchmark_photometric_kernels.py`` (about a minute). For
each op of :data:`tanda_transforms.batched.photometric.KERNELS`, group sizes ``--n`` (8, 64)
and image sizes ``--sizes`` (32, 224), it calls ``KERNELS[op].apply`` on random images with
per-sample float64 arguments cycled from the built-in packs' TFs of that op (as the batched
renderer passes them; ``FALLBACK`` if no pack has it), and prints the median of
``--reps`` calls in ms. ``--ops`` restricts the ops, ``--dtype uint8`` times the integer path.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from tanda_transforms.batched.photometric import KERNELS
from tanda_transforms.registry import get_op
from tanda_transforms.tfs import cifar10_pack, mammography_pack, misspecified_tfs, mnist_pack

# arguments of ops that no pack has and that have no default
FALLBACK = {
    "posterize": [{"bits": b} for b in (2, 4, 6, 8)],
    "solarize": [{"threshold": t} for t in (0.25, 0.5, 0.75)],
    "sharpen": [{"factor": f} for f in (0.5, 1.5, 2.0)],
}


def _cases(op: str) -> list[dict]:
    params = get_op(op).parameters
    tfs = (*cifar10_pack(), *mnist_pack(), *mammography_pack(), *misspecified_tfs())
    cases = [dict(tf.args) for tf in tfs if tf.op == op] or FALLBACK.get(op, [{}])
    return [{name: c.get(name, p.default) for name, p in params.items()} for c in cases]


def _args(op: str, n: int) -> dict[str, torch.Tensor]:
    cases = _cases(op)
    cases = [cases[i % len(cases)] for i in range(n)]
    if not cases[0]:
        return {}
    return {k: torch.tensor([c[k] for c in cases], dtype=torch.float64) for k in cases[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 224])
    parser.add_argument("--ops", nargs="+", default=sorted(KERNELS))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--dtype", choices=["float32", "uint8"], default="float32")
    args = parser.parse_args()
    torch.set_num_threads(1)
    dtype = getattr(torch, args.dtype)
    columns = [(n, s) for s in args.sizes for n in args.n]
    print(f"{'op':16}" + "".join(f"{f'n={n} {s}px':>14}" for n, s in columns) + "   (ms/call)")
    generator = torch.Generator().manual_seed(0)
    for op in args.ops:
        kernel = KERNELS[op]
        row = f"{op:16}"
        for n, size in columns:
            x = torch.rand(n, 3, size, size, generator=generator)
            if dtype == torch.uint8:
                x = torch.round(x * 255) / 255
            a = _args(op, n)
            draws = {} if kernel.draw is None else kernel.draw(n, (3, size, size), a, generator)
            reps = args.reps if size <= 64 else max(2, args.reps // 2)
            times = []
            for _ in range(reps + 1):
                start = time.perf_counter()
                kernel.apply(x, a, draws, dtype)
                times.append(time.perf_counter() - start)
            row += f"{statistics.median(times[1:]) * 1e3:14.3f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
