"""How far from uniform a policy gets per learning step (docs/learning.md, "How many steps").

Learns an LSTM policy (the `LearnConfig` defaults, L = 10, the MNIST pack) on the first N of
the 500 MNIST digits shipped with the package, one torch thread, and prints the policy's
distance from uniform (:mod:`tanda_transforms.policy_stats`) at a few steps of the one run:

    python docs/experiments/steps_needed.py --images 500 --batch-size 16 --steps 300
    python docs/experiments/steps_needed.py --images 200 --batch-size 32 --steps 300

Prints one JSON line per checkpoint step: step, passes over the data, KL, top TF / uniform.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from tanda_transforms.data import load_mnist_sample
from tanda_transforms.learn import LearnConfig, learn_policy
from tanda_transforms.policy_stats import sampler_distance
from tanda_transforms.tfs import TFLibrary

MARKS = (10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    images = load_mnist_sample()[0][: args.images]
    started = time.perf_counter()

    def report(learner) -> None:
        step = learner.step_index
        if step in MARKS or step == args.steps:
            d = sampler_distance(learner.sampler, learner.config.seq_len)
            print(json.dumps({"images": len(images), "batch_size": args.batch_size,
                              "seed": args.seed, "step": step,
                              "passes": round(step * args.batch_size / len(images), 1),
                              "kl": round(d.kl, 4), "top_over_uniform": round(d.top / d.uniform, 2),
                              "wall_s": round(time.perf_counter() - started, 1)}), flush=True)

    config = LearnConfig(steps=args.steps, batch_size=args.batch_size)
    learn_policy(images, TFLibrary.pack("mnist"), generator="lstm", config=config,
                 seed=args.seed, progress=False, callback=report)


if __name__ == "__main__":
    main()
