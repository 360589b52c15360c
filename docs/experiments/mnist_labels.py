"""MNIST 1 %: a label-aware policy over the `wide` pack against the realism-only one (issue 27).

The realism-only policy is ``policies/mnist_wide_lstm.tanda``: ``tanda learn`` at its
defaults over ``wide`` on the first 10,000 MNIST training digits (LSTM, L = 10, 313 steps,
seed 0). The label-aware policy here is learned on the same 10,000 digits with the same
settings (read from that file's metadata) and seed, plus labels for the digits of seed 0's
1 % labeled subset that fall among them (the harness's ``protocol_split``: about 100 of the
10,000; every other digit, validation digits included, is given as unlabeled, -1), with
the label term at ``label_weight`` (default 1.0, ``LearnConfig``'s default, fixed before
any run)::

    python docs/experiments/mnist_labels.py --data ../shared/data/mnist \\
        --out docs/experiments/policies/mnist_wide_lstm_labels.tanda

It prints the learning time, the label count and the TFs whose probability the label term
changed most against the realism-only policy (``show.tf_probabilities``). The end-model
comparison (both policies at learning's saved default p 0.5, frame 0, fixed before the runs)
is ``docs/experiments/labels_mnist.sh``.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.data import load_mnist
from tanda_transforms.evaluation.datasets import dataset_record
from tanda_transforms.evaluation.selection import protocol_labels
from tanda_transforms.learn import LearnConfig, learn_policy
from tanda_transforms.show import tf_probabilities

HERE = Path(__file__).resolve().parent
REALISM_ONLY = HERE / "policies/mnist_wide_lstm.tanda"
N_DIGITS = 10_000


def partial_labels(labels: np.ndarray, seed: int = 0, fraction: float = 0.01) -> np.ndarray:
    """Labels of the first ``N_DIGITS`` digits: seed's labeled subset kept, the rest -1."""
    kept = protocol_labels(labels, fraction, seed, val_size=dataset_record("mnist").val_size,
                           val_fraction=0.2)
    return kept[:N_DIGITS]


def compare(realism: TANDAPolicy, aware: TANDAPolicy, top: int = 8) -> None:
    """Print the TFs whose sampled share moved most between the two policies."""
    names = realism.library.names
    before = dict(zip(names, tf_probabilities(realism).tolist(), strict=True))
    after = dict(zip(names, tf_probabilities(aware).tolist(), strict=True))
    change = {name: after[name] - before[name] for name in names}
    for name in sorted(change, key=change.get)[:top]:
        print(f"  pushed down: {name:28s} {before[name]:.4f} -> {after[name]:.4f}")
    for name in sorted(change, key=change.get)[-top:][::-1]:
        print(f"  pushed up:   {name:28s} {before[name]:.4f} -> {after[name]:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=HERE.parents[2] / "shared/data/mnist")
    parser.add_argument("--label-weight", type=float, default=LearnConfig.label_weight)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    images, labels = load_mnist(args.data, "train")
    realism = TANDAPolicy.load(REALISM_ONLY)
    training = realism.metadata["training"]
    config = dataclasses.replace(LearnConfig.from_record(training["config"]),
                                 label_weight=args.label_weight)
    kept = partial_labels(labels)
    print(f"{int((kept >= 0).sum())} of {N_DIGITS} digits labeled (seed 0's 1 % subset)")
    aware = learn_policy(images[:N_DIGITS], "wide", generator=training["generator"],
                         seed=training["seed"], config=config, labels=kept, progress=False,
                         tune=False)  # as measured: the saved p 0.5, no tuner
    aware.metadata["data"] = (f"first {N_DIGITS} MNIST training digits, labels for seed 0's "
                              "1 % subset among them")
    aware.metadata["recipe"] = "python docs/experiments/mnist_labels.py"
    aware.save(args.out)
    done = aware.metadata["training"]
    print(f"learned {done['steps']} steps in {done['wall_time_s']} s "
          f"(realism-only: {training['wall_time_s']} s); timing {done['timing_s']}")
    compare(realism, aware)


if __name__ == "__main__":
    main()
