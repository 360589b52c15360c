#!/bin/sh
# MNIST 1 % (issue 27's image task): the label-aware wide-pack policy against the
# realism-only one, both applied at learning's saved default (p 0.5, frame 0, fixed before
# these runs), seeds 0, 1, 2. Learn the label-aware policy first:
#   python docs/experiments/mnist_labels.py --out docs/experiments/policies/mnist_wide_lstm_labels.tanda
set -e
P=docs/experiments/policies
for name in mnist_wide_lstm mnist_wide_lstm_labels; do
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --seeds 0 1 2 --conditions tanda_lstm --policy-lstm $P/$name.tanda --policy-p 0.5 \
        --policy-frame 0 --threads 1 --device cpu --out docs/experiments/results_${name}_p05.json
done
