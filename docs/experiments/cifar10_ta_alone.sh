#!/bin/sh
# Issue 26, "wide + tune beats TrivialAugment", in the frame where a user adds only the
# augmentation (no crop or flip before it): CIFAR-10 10 %, 60 epochs (ResNet-8), under the
# validation protocol of validated_cifar10.sh (2,000 validation images outside seed 0's
# 5,000 labeled ones; TrivialAugment's p chosen there among 0.5 and 1, as after the crop;
# then the choice trained and tested once per seed 0, 1, 2). The comparison is the `wide`
# policy used alone as `tanda tune --epochs 120` saved it (p 0.5, frame 0:
# cifar10_wide_default.sh, 64.26 +- 0.86) and none (57.95 +- 0.49).
set -e
python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
    --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --conditions trivialaugment --grid "trivialaugment:p=0.5,1;after_basic=0" \
    --out "${OUT:-docs/experiments/results_cifar10_ta_alone.json}"
