#!/bin/sh
# Does the lean default discriminator keep the gallery `mnist` recipe's end-model result?
# The recipe of policies/mnist/recipe.sh (LSTM, L = 10, 10,000 unlabeled MNIST training digits,
# d_lr 1e-5), learned with the current default D (width 16, 3 x 3, one norm group) and with the
# former one (d_width=32, d_kernel=5, d_norm=group: the gallery policy's own network), then the
# MNIST 1 % end model with each policy at the gallery policy's validation-chosen setting
# (p 0.5, frame 0; docs/results.md), test seeds 0 1 2.
# Usage: sh docs/experiments/discriminator_end_model.sh SEED [current|former] [OUT_DIR]
# Learning seed 0 of the former D is the gallery policy itself (docs/results.md's 96.64 row).
# Seed 0 of the current D was instead chosen among the four candidates on validation digits
# (--select-on-validation, as validated_mnist.sh does): it chose p 0.5, frame 0 as well.
set -e
SEED=${1:-1}
VARIANT=${2:-current}
OUT=${3:-/tmp}
if [ "$VARIANT" = former ]; then D="--set d_width=32 --set d_kernel=5 --set d_norm=group"; else D=""; fi
python -m tanda_transforms.cli learn --data ../shared/data/mnist --reader mnist --split train \
    --limit 10000 --tfs mnist --generator lstm --seq-len 10 --seed "$SEED" --threads 1 \
    --no-progress --set d_lr=1e-5 $D --policy-p 0.5 --policy-frame 2 \
    --out "$OUT/mnist_${VARIANT}_s$SEED.tanda"
python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
    --seeds 0 1 2 --conditions tanda_lstm --policy-lstm "$OUT/mnist_${VARIANT}_s$SEED.tanda" \
    --threads 1 --device cpu --policy-p 0.5 --policy-frame 0 \
    --out docs/experiments/results_mnist_discriminator.json
