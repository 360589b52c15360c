#!/bin/sh
# CIFAR-10 10 %, 60 epochs (ResNet-8), validation protocol (issue 26): every augmentation
# composed after the crop and flip that basic's own selection chose (pad 4, reflect border:
# validation 71.25 against zero 69.10 in results_cifar10_validated.json). Same split, seeds and
# selection seed as validated_cifar10.sh, and equal grids of two candidates per condition
# (that script gave the learned policy three): the learned policy's p (0.3 and 0.5; p 1 scored
# 64.45 on validation there), TrivialAugment's p (0.5, 1), RandAugment's magnitude (N = 2;
# M 5, 9). tanda_lstm is the gallery `cifar10` policy. One condition per invocation, each
# appending a record; about 10 CPU-minutes per 60-epoch run, five runs per condition.
set -e
OUT=${OUT:-docs/experiments/results_cifar10_validated_reflect.json}
run() {
    python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
        --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
        --basic-pad 4 --basic-border reflect \
        --policy-lstm tanda_transforms/gallery/cifar10.tanda --out "$OUT" "$@"
}
case "${1:-all}" in
    tanda_lstm|all) run --conditions tanda_lstm --grid "tanda_lstm:p=0.3,0.5;after_basic=1" ;;
esac
case "${1:-all}" in
    trivialaugment|all) run --conditions trivialaugment --grid "trivialaugment:p=0.5,1;after_basic=1" ;;
esac
case "${1:-all}" in
    randaugment|all) run --conditions randaugment --grid "randaugment:num_ops=2;magnitude=5,9;after_basic=1" ;;
esac
