#!/usr/bin/env bash
# Reproduces tanda_transforms/gallery/cifar10.tanda and its model card from CIFAR-10.
# Run from the repository root: bash policies/cifar10/recipe.sh  (DATA=... to point elsewhere)
# 313 steps of batch 32 draw 10,016 random training images (of 50,000): one pass over 10,000.
set -euo pipefail
DATA=${DATA:-../shared/data/cifar10}
tanda learn --data "$DATA" --reader cifar10 --split train --steps 313 --tfs cifar10 \
    --generator lstm --seq-len 10 --seed 0 --threads 1 --no-progress --policy-p 0.3 \
    --out tanda_transforms/gallery/cifar10.tanda
python policies/make_card.py cifar10 --data "$DATA" --reader cifar10 \
    --note "The paper's 33 CIFAR-10 TFs, learned adversarially on unlabeled CIFAR-10 training images (313 steps of 32 random images). Trained on the JPEG copy of CIFAR-10 described in ../shared/data/README.md (quality 75), not the official binary release."
