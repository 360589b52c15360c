#!/bin/sh
# CIFAR-10 10 %, 60 epochs (ResNet-8), under the validation protocol (issue 26): each
# condition's settings are chosen on 2,000 validation images drawn from the pool outside seed
# 0's 5,000 labeled ones, then each choice is trained and tested once per seed 0, 1, 2.
# Fixed before any run, the same for every condition: every augmentation composes after the
# basic crop and flip (after_basic=1, at the harness's basic: pad 4, zero border), as CIFAR-10
# pipelines do; the grids are small (two or three candidates) to fit 2 CPU cores: basic's
# border, RandAugment's magnitude (N = 2), TrivialAugment's p, the learned policy's p.
# tanda_lstm is the gallery `cifar10` policy. One condition per invocation (each appends a
# record); about 9.4 CPU-minutes per 60-epoch run (19 wall-minutes with four side by side).
# 2026-12-06 ran every line but the last; 2026-12-07 the last, with
# OUT=docs/experiments/results_cifar10_validated_ta.json.
set -e
OUT=${OUT:-docs/experiments/results_cifar10_validated.json}
run() {
    python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
        --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
        --policy-lstm tanda_transforms/gallery/cifar10.tanda --out "$OUT" "$@"
}
run --conditions none
run --conditions basic --grid "basic:pad=4;border=zero,reflect"
run --conditions tanda_lstm --grid "tanda_lstm:p=0.3,0.5,1;after_basic=1"
run --conditions randaugment --grid "randaugment:num_ops=2;magnitude=5,9;after_basic=1"
run --conditions trivialaugment --grid "trivialaugment:p=0.5,1;after_basic=1"
