#!/bin/sh
# Issue 26 on CIFAR-10 10 % (60 epochs, ResNet-8), validation protocol: the `wide` policy
# learned at the defaults (cifar10_wide_lstm.tanda, no labels; the L 2, p 1 choice of
# cifar10_wide_alone_L.sh when used alone) composed after the crop and flip that basic's
# validation chose (pad 4, reflect border; validated_cifar10_reflect.sh), applied at its
# LSTM's first L = 1 or 2 steps, p 1: as TrivialAugment applies one op and RandAugment N = 2,
# to every image. Two candidates (about 8 CPU-minutes per run, five runs), fixed before any
# run; RandAugment after the same crop is the row to beat (72.07 +- 0.57, validation 72.50).
set -e
P=${POLICIES:-docs/experiments/policies}
python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
    --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --basic-pad 4 --basic-border reflect \
    --conditions tanda_lstm --policy-lstm $P/cifar10_wide_lstm.tanda \
    --grid "tanda_lstm:seq_len=1,2;p=1;frame=0;after_basic=1" \
    --out "${OUT:-docs/experiments/results_cifar10_wide_after_crop.json}"
