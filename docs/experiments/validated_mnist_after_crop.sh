#!/bin/sh
# MNIST 1 %, validation protocol (issue 26), every augmentation composed after the crop that
# basic's own selection chose (pad 2, reflect border; results_mnist_validated.json). Same
# split, seeds and selection seed as validated_mnist.sh; same four-candidate grids with
# after_basic=1. Every candidate's validation score is deterministic on the CPU, so a
# condition's choice over both records (alone and after the crop, eight candidates) is the
# choice one eight-candidate grid would have made: docs/results.md makes it that way.
set -e
OUT=${OUT:-docs/experiments/results_mnist_validated_after_crop.json}
run() {
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --seeds 0 1 2 --policy-lstm mnist --threads 1 --device cpu --select-on-validation \
        --basic-pad 2 --basic-border reflect --out "$OUT" "$@"
}
run --conditions tanda_lstm --grid "tanda_lstm:p=0.5,1;frame=0,2;after_basic=1"
run --conditions randaugment --grid "randaugment:num_ops=1,2;magnitude=5,9;after_basic=1"
run --conditions trivialaugment --grid "trivialaugment:p=0.25,0.5,0.75,1;after_basic=1"
run --conditions heuristic --grid "heuristic:p=0.5,1;frame=0,2;after_basic=1"
