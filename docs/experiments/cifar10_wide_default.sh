#!/bin/sh
# Issue 26, "a policy saved by learn_policy at its defaults and used as saved is never below
# none": CIFAR-10 10 %, 60 epochs. The policy is cifar10_wide_lstm.tanda (wide_cifar10.sh:
# `tanda learn --tfs wide` at its defaults on the first 10,000 training images, no labels,
# saved with p 0.5, frame 0), used as saved: p 0.5, frame 0, alone (no crop or flip before
# it, as a user who adds only the policy). Same seeds, labeled subsets, initialisations and
# batch order as the validated protocol's final runs (a fixed setting: nothing is chosen, so
# no validation run); its `none` row (57.95 +- 0.49, results_cifar10_validated.json) is the
# comparison.
set -e
P=${POLICIES:-docs/experiments/policies}
python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
    --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --conditions tanda_lstm \
    --policy-lstm $P/cifar10_wide_lstm.tanda --policy-p 0.5 --policy-frame 0 \
    --out "${OUT:-docs/experiments/results_cifar10_wide_default.json}"
