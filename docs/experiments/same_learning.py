"""Does a change to the learning step learn the same? 20 steps on the shipped MNIST digits.

    PYTHONPATH=<checkout A> python docs/experiments/same_learning.py run a.json
    PYTHONPATH=<checkout B> python docs/experiments/same_learning.py run b.json
    python docs/experiments/same_learning.py compare a.json b.json

``run`` learns four short runs (LSTM, seq_len 5, batch 16, 20 steps, seed 0, 1 torch thread,
``log_every=1``): the MNIST pack on the 500 shipped digits
(:func:`tanda_transforms.data.load_mnist_sample`) with the default pixel diversity, with
``diversity="features"``, with the label term (the digits' labels), and on 200 of the digits as
RGB uint16 (every value times 257); each per image (``render="per_image"``) and, the first
also with the batched renderer (``render="batched"``). It writes every step's history and the
learned TF probabilities. ``compare`` prints, per run, the largest difference of the TF
probabilities and of each history field (relative to the field's largest value).

Used for the roll-out held in the data's dtype (2026-12-06): every difference 0 against main
on a 2-core CPU (bit-identical histories and probabilities).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

RUNS = {
    "pixels": {},
    "features": {"diversity": "features"},
    "labels": {"labels": True},
    "rgb_uint16": {},
    "batched": {"render": "batched"},
}


def run(path: str) -> None:
    from tanda_transforms.data import load_mnist_sample
    from tanda_transforms.learn import learn_policy

    torch.set_num_threads(1)
    images, labels = load_mnist_sample()
    out = {}
    for name, options in RUNS.items():
        options = dict(options)
        data = images
        if name == "rgb_uint16":
            data = np.repeat(images[:200, ..., None], 3, -1).astype(np.uint16) * 257
        if options.pop("labels", False):
            options["labels"] = labels
        options.setdefault("render", "per_image")
        policy = learn_policy(data, "mnist", seq_len=5, steps=20, batch_size=16, seed=0,
                              progress=False, log_every=1, **options)
        probs = policy.sampler.tf_probabilities(seq_len=5,
                                                generator=torch.Generator().manual_seed(0))
        out[name] = {"probs": probs.tolist(),
                     "history": policy.metadata["training"]["history"]}
    with open(path, "w", encoding="utf-8") as file:
        json.dump(out, file)


def compare(first: str, second: str) -> None:
    with open(first, encoding="utf-8") as a, open(second, encoding="utf-8") as b:
        runs_a, runs_b = json.load(a), json.load(b)
    for name, a in runs_a.items():
        b = runs_b[name]
        worst = {"probs": float(np.abs(np.array(a["probs"]) - np.array(b["probs"])).max())}
        for key, values in a["history"].items():
            va, vb = np.array(values, float), np.array(b["history"][key], float)
            worst[key] = float(np.abs(va - vb).max() / (np.abs(va).max() + 1e-12))
        print(f"{name:>10}: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["run", "compare"])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    if args.what == "run":
        run(args.paths[0])
    else:
        compare(*args.paths[:2])


if __name__ == "__main__":
    main()
