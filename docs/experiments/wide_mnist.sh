#!/bin/sh
# MNIST 1 %: the `wide` pack learned by `tanda learn` at its defaults (LSTM, L = 10, 1 epoch,
# on the first 10,000 training digits, no labels), tuned by `tanda tune` at its defaults on
# the 600 labeled digits of seed 0 (chose p 0.3, frame 0 on its 120-digit validation share),
# then tested with seeds 0, 1, 2 as the tuner saved it and as learning saved it (p 1, frame 0).
set -e
OUT=${OUT:-docs/experiments/results_mnist_wide.json}
P=${POLICY:-docs/experiments/policies/mnist_wide_lstm_tuned.tanda}
for recipe in "0.3 0" "1.0 0"; do
    set -- $recipe
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --seeds 0 1 2 --conditions tanda_lstm --policy-lstm "$P" --policy-p "$1" \
        --policy-frame "$2" --threads 1 --device cpu --out "$OUT"
done
