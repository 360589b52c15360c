#!/bin/sh
# CIFAR-10 10 %, 60 epochs (issue 26): more seeds, on one machine, for the best learned
# condition (the LSTM over RandAugment's ops at M 5, L 2, after the reflect crop and flip, p
# 0.5: validated_ra_pack.sh with MAGNITUDES=5) and the free conditions closest to it
# (RandAugment N 2 M 5 after the same crop: validated_cifar10_reflect.sh; the crop and flip
# alone, pad 4 reflect: validated_cifar10.sh), each at the setting validation chose, as
# one-candidate grids on selection seed 0's split: nothing is chosen again. Seeds 3 and 4,
# both conditions on one machine (the harness repeats a seed exactly on one machine only; the
# seeds 0-2 of results_cifar10_validated_reflect.json and results_cifar10_validated_ra_pack_M5.json
# were computed on one other host, both conditions alike). A CIFAR-10 run takes 7-8 minutes
# here, so the crop alone (CONDITIONS=all) is left out by default. `tanda compare
# A:randaugment+OUT:randaugment B:tanda_lstm+OUT:tanda_lstm` pairs the five seeds.
set -e
OUT=${OUT:-docs/experiments/results_cifar10_more_seeds.json}
SEEDS=${SEEDS:-3 4}
P=docs/experiments/policies
run() {
    # shellcheck disable=SC2086
    python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
        --epochs 60 --seeds $SEEDS --select-seeds 0 --threads 1 --device cpu \
        --select-on-validation --basic-pad 4 --basic-border reflect --out "$OUT" "$@"
}
run --conditions randaugment --grid "randaugment:num_ops=2;magnitude=5;after_basic=1"
run --conditions tanda_lstm --policy-lstm $P/cifar10_randaugment_M5_lstm_L2.tanda \
    --grid "tanda_lstm:p=0.5;after_basic=1"
if [ "${CONDITIONS:-}" = all ]; then
    run --conditions basic --grid "basic:pad=4;border=reflect"
fi
