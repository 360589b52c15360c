"""Throughput of ``policy.batched()`` against kornia on the same batch, and learning cost.

Run ``python docs/benchmark_batched.py`` (a few minutes; needs ``pip install ".[bench]"``,
a benchmark-only extra, not a dependency). One process, ``--threads`` torch threads (default 1),
one float32 batch of ``--batch`` (256) RGB images at 32 and 224 px. For each sequence length L
(2 and 10) it times, in alternating rounds, on the same batch:

- ``TANDAPolicy("cifar10", seq_len=L).batched()``: the uniform policy over the 33 CIFAR-10
  TFs (the paper's heuristic baseline; a learned sampler costs the same), one sequence per
  sample;
- ``TANDAPolicy("wide", MeanFieldSampler(69, op_balanced_logits(...)), seq_len=L).batched()``:
  TrivialAugment-Wide's 14 ops (RandAugment's own operations, 12 of them shared with kornia's
  RandAugment: kornia has invert and solarize_add, the wide pack identity), every op family
  drawn with probability 1/14 at every step, as kornia's RandAugment draws its 15 ops equally;
  the same ops per image as the kornia row it is compared with (``--packs`` picks the rows);
- kornia ``RandAugment(n=L, m=10)``;
- a kornia ``AugmentationSequential`` of L ops drawn from nine CIFAR-like random ops
  (rotation, scale, shear, flip, brightness, contrast, saturation, hue, elastic),
  ``random_apply=L``, every op with its own parameters per sample;

Each is called three times first (kornia's first calls of an op are slower: lazy set-up),
then timed in alternating rounds, at least ``--rounds`` (5) of them and until each transform
has run for ``--seconds`` (5) in all: at 32 px some hundreds of rounds. (Thirty rounds, a
third of a second per transform at 32 px, kept kornia's slow first calls in the figure and
were noisy: 1.4 to 1.9 against RandAugment at L = 2 on one morning, 1.2 to 1.3 over 300.)
It prints images/s and the ratio of each TANDA row to each kornia row, twice: as
throughput (all images over all the time of the rounds, what a training loop sees) and as
the median of the rounds. kornia
draws its ops per call (every sample of a call gets the same ones), so its call times are
bimodal (a call that draws hue or elastic costs 3 to 5 times one that does not) and the median
of a few rounds depends on which ops those rounds drew; the throughput over many rounds does
much less. kornia's draws come from torch's global generator, seeded (``torch.manual_seed(0)``)
so that a run is repeatable. Only the ratios measured in the same run mean something on a
shared machine.

``--learning DATA`` measures instead the cost of learning a CIFAR-10 policy (LSTM, L = 10,
batch 32, 5 sequences per image) from the first 10,000 images of DATA (e.g. the CIFAR-10 tar
of ``../shared/data``): ``--learn-steps`` steps per rendering path (``render="per_image"`` and
``"batched"``), alternating, then the time of one pass (313 steps) extrapolated from the
median step time; ``--full-pass`` also times a whole ``learn_policy`` pass with its default
rendering (``render="auto"``: batched on CUDA, and on CPUs for images up to 32 x 32 pixels).

``--per-image`` compares instead with the same policy called image by image (uint8 numpy
arrays and float tensors, as in DataLoader workers), the batch a quarter as large above 64 px.

``--device cuda`` runs the throughput table on a GPU (see docs/benchmark.md for the command).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.generators import MeanFieldSampler
from tanda_transforms.tfs import TFLibrary, op_balanced_logits

SIZES = (32, 224)
LENGTHS = (2, 10)
PACKS = ("cifar10", "wide")
WARM_UP_CALLS = 3  # kornia's first calls of each op are slower (lazy set-up)


def tanda_policy(pack: str, length: int) -> TANDAPolicy:
    """The benchmark's TANDA policy over ``pack``: uniform over its TFs, except the wide and
    randaugment packs, drawn op by op (each op family equally, as kornia's RandAugment)."""
    library = TFLibrary.pack(pack)
    if pack not in ("wide", "randaugment"):
        return TANDAPolicy(library, seq_len=length)
    sampler = MeanFieldSampler(len(library), logits=op_balanced_logits(library))
    return TANDAPolicy(library, sampler, seq_len=length)


def kornia_candidates(length: int) -> dict:
    """kornia's RandAugment(n=L) and an AugmentationSequential of L random ops."""
    import kornia.augmentation as K
    from kornia.augmentation.auto import RandAugment

    ops = [
        K.RandomRotation(5.0, p=1.0),
        K.RandomAffine(0.0, scale=(0.75, 1.25), p=1.0),
        K.RandomAffine(0.0, shear=(-14.0, 14.0), p=1.0),
        K.RandomHorizontalFlip(p=1.0),
        K.RandomBrightness((0.5, 1.5), p=1.0),
        K.RandomContrast((0.5, 1.5), p=1.0),
        K.RandomSaturation((0.5, 1.5), p=1.0),
        K.RandomHue((-0.25, 0.25), p=1.0),
        K.RandomElasticTransform(p=1.0),
    ]
    return {
        f"kornia RandAugment(n={length})": RandAugment(n=length, m=10),
        f"kornia Sequential({length} ops)": K.AugmentationSequential(*ops, random_apply=length),
    }


def time_call(fn, x: torch.Tensor, device: torch.device) -> float:
    """Seconds for one call on ``x`` (synchronised on CUDA)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        fn(x)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def alternating_rounds(candidates: dict, x: torch.Tensor, device: torch.device, rounds: int,
                       seconds: float) -> dict[str, list[float]]:
    """Seconds per call of each candidate, in alternating rounds: at least ``rounds``, and
    until every candidate has been timed for ``seconds`` in all."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    while (len(times[next(iter(times))]) < rounds
           or min(sum(t) for t in times.values()) < seconds):
        for name, fn in candidates.items():
            times[name].append(time_call(fn, x, device))
    return times


def throughput(args: argparse.Namespace) -> None:
    device = torch.device(args.device)
    torch.manual_seed(0)  # kornia's draws
    print(f"batch {args.batch} float32 RGB, at least {args.rounds} rounds and {args.seconds} s "
          f"per transform, {torch.get_num_threads()} thread(s), device {device}")
    print(f"{'size':>5} {'L':>3}  {'transform':34} {'img/s':>10} {'median img/s':>12}  "
          "ratios TANDA row / kornia row: throughput (median)")
    for size in args.sizes:
        x = torch.rand(args.batch, 3, size, size, generator=torch.Generator().manual_seed(0))
        x = x.to(device)
        for length in args.lengths:
            ours = {f"TANDA {pack} batched (L={length})":
                    tanda_policy(pack, length).batched(seed=0) for pack in args.packs}
            candidates = {**ours, **kornia_candidates(length)}
            candidates = {name: fn.to(device) for name, fn in candidates.items()}
            for fn in candidates.values():  # warm-up (caches, lazy inits, CUDA kernels)
                for _ in range(WARM_UP_CALLS):
                    time_call(fn, x, device)
            times = alternating_rounds(candidates, x, device, args.rounds, args.seconds)
            rates = {name: args.batch * len(t) / sum(t) for name, t in times.items()}
            medians = {name: args.batch / statistics.median(t) for name, t in times.items()}
            theirs = [name for name in candidates if name not in ours]
            for name, rate in rates.items():
                ratios = "" if name not in ours else "  ".join(
                    f"/ {other.split('(')[0].split()[-1]}: x{rate / rates[other]:.2f} "
                    f"(x{medians[name] / medians[other]:.2f})" for other in theirs)
                print(f"{size:>5} {length:>3}  {name:34} {rate:>10.0f} {medians[name]:>12.0f}  "
                      f"{ratios}")
            print(f"{'':10}load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def versus_per_image(args: argparse.Namespace) -> None:
    """The batched policy against the same policy called image by image (uint8 numpy and
    float tensors, as a DataLoader worker would), images/s, same process."""
    import numpy as np

    print(f"{'size':>5} {'L':>3}  per-image uint8 numpy | per-image float tensor | "
          "batched float32 | batched uint8")
    for size in args.sizes:
        n = args.batch if size <= 64 else max(1, args.batch // 4)
        x = torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(0))
        x8 = (x * 255).round().to(torch.uint8)
        arrays = [np.ascontiguousarray(a) for a in x8.permute(0, 2, 3, 1).numpy()]
        for length in args.lengths:
            policy = TANDAPolicy("cifar10", seq_len=length, seed=0)
            augment = policy.batched(seed=0)
            candidates = [(_each, policy, arrays), (_each, policy, list(x)), (augment, x),
                          (augment, x8)]
            rates = []
            for fn, *inputs in candidates:
                fn(*inputs)  # warm-up
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    fn(*inputs)
                    times.append(time.perf_counter() - start)
                rates.append(n / statistics.median(times))
            print(f"{size:>5} {length:>3}  " + " | ".join(f"{r:,.0f}" for r in rates))


def _each(transform, images: list) -> list:
    return [transform(image) for image in images]


def learning(args: argparse.Namespace) -> None:
    from tanda_transforms.data import load_data
    from tanda_transforms.learn import LearnConfig, Learner, learn_policy

    images, _ = load_data(args.learning, "auto", "train", None, None)
    images = images[:10_000]
    device = torch.device(args.device)
    learners = {
        render: Learner(images, TANDAPolicy("cifar10").library, "lstm",
                        LearnConfig(render=render, steps=313), seed=0, device=device)
        for render in ("per_image", "batched")
    }
    times: dict[str, list[float]] = {render: [] for render in learners}
    for learner in learners.values():
        learner.step()  # warm-up
    for _ in range(args.learn_steps):
        for render, learner in learners.items():
            start = time.perf_counter()
            learner.step()
            times[render].append(time.perf_counter() - start)
    print(f"CIFAR-10 LSTM policy, {len(images)} images {images.shape[1:]}, L = 10, batch 32 x 5 "
          f"sequences, {torch.get_num_threads()} thread(s), device {device}")
    medians = {render: statistics.median(t) for render, t in times.items()}
    for render, median in medians.items():
        ratio = medians["per_image"] / median
        timing = learners[render].timing
        tfs = timing["tfs"] / sum(timing.values())
        print(f"{render:>9}: {median * 1000:7.1f} ms/step ({tfs:.0%} rendering the TFs), one "
              f"pass (313 steps) ~ {median * 313 / 60:5.1f} min; per_image / this x{ratio:.2f}")
    if args.full_pass:  # what learn_policy does by default here (render="auto")
        start = time.perf_counter()
        policy = learn_policy(images, "cifar10", generator="lstm", epochs=1.0, seed=1,
                              device=device, progress=False)
        print(f"a whole pass with learn_policy (render auto: "
              f"{policy.metadata['training']['config']['render']}, {device}): "
              f"{(time.perf_counter() - start) / 60:.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="throughput table: time each transform at least this long")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--lengths", type=int, nargs="+", default=list(LENGTHS))
    parser.add_argument("--packs", nargs="+", default=list(PACKS),
                        help="throughput table: the TANDA rows, one per TF pack")
    parser.add_argument("--learning", metavar="DATA", help="measure learning cost on DATA")
    parser.add_argument("--learn-steps", type=int, default=10)
    parser.add_argument("--full-pass", action="store_true")
    parser.add_argument("--per-image", action="store_true",
                        help="compare with the same policy called image by image instead")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.learning:
        learning(args)
    elif args.per_image:
        versus_per_image(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
