#!/bin/sh
# MNIST 1 %, validation protocol (issue 26), the end model trained for 60 epochs instead of 30:
# does a longer training change the ranking of the crop, the free policies after it and the
# learned policy after it? Same split, seeds and selection seed as validated_mnist.sh; basic's
# default grid; every other condition composed after the crop that basic chose at 30 epochs
# (pad 2, reflect) with the same four-candidate grids as validated_mnist_after_crop.sh. The
# number of epochs is then one more knob chosen on validation, for every condition alike: each
# condition's choice is taken over its 30-epoch and 60-epoch records (docs/results.md).
set -e
OUT=${OUT:-docs/experiments/results_mnist_validated_60_epochs.json}
run() {
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --epochs 60 --seeds 0 1 2 --policy-lstm mnist --threads 1 --device cpu \
        --select-on-validation --basic-pad 2 --basic-border reflect --out "$OUT" "$@"
}
run --conditions none
run --conditions basic
run --conditions tanda_lstm --grid "tanda_lstm:p=0.5,1;frame=0,2;after_basic=1"
run --conditions trivialaugment --grid "trivialaugment:p=0.25,0.5,0.75,1;after_basic=1"
run --conditions randaugment --grid "randaugment:num_ops=1,2;magnitude=5,9;after_basic=1"
