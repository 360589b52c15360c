#!/bin/sh
# MNIST 1 % under the validation protocol (issue 26 item 1): every condition's settings are
# chosen on 2,000 validation digits from the pool outside the labeled subset (selection seed 0,
# the default grids of tanda_transforms/evaluation/selection.py: four candidates per tuned
# condition), then each choice is trained and tested once per seed 0, 1, 2.
# One condition per invocation (selection is per condition, so this equals one joint run and
# keeps finished conditions if the machine is stopped); each appends one record.
# tanda_lstm is the gallery `mnist` policy (LSTM, L = 10, learned on 10,000 MNIST training
# digits); heuristic draws uniformly from its TFs and L.
set -e
OUT=docs/experiments/results_mnist_validated.json
for condition in none basic tanda_lstm trivialaugment randaugment heuristic; do
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --seeds 0 1 2 --conditions "$condition" --policy-lstm mnist --threads 1 --device cpu \
        --select-on-validation --out "$OUT"
done
