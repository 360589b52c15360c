#!/bin/sh
# Issue 26, "wide + tune beats TrivialAugment", alone (no crop or flip before it), with the
# learned policy's p chosen the way TrivialAugment's is in cifar10_ta_alone.sh: CIFAR-10 10 %,
# 60 epochs (ResNet-8), the validation protocol of validated_cifar10.sh, p among 0.5 and 1
# (frame 0) on the 2,000 validation images, then the choice trained and tested once per seed
# 0, 1, 2. The policy is cifar10_wide_lstm.tanda (`tanda learn --tfs wide` at its defaults
# on the first 10,000 training images, no labels; wide_cifar10.sh). GRID and OUT set another
# grid and results file (cifar10_wide_alone_L.sh).
set -e
P=${POLICIES:-docs/experiments/policies}
python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
    --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --conditions tanda_lstm --policy-lstm $P/cifar10_wide_lstm.tanda \
    --grid "${GRID:-tanda_lstm:p=0.5,1;frame=0;after_basic=0}" \
    --out "${OUT:-docs/experiments/results_cifar10_wide_alone.json}"
