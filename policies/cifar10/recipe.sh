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
    --note "The paper's 33 CIFAR-10 TFs, learned adversarially on unlabeled CIFAR-10 training images (313 steps of 32 random images, d_lr=1e-4). Trained on the JPEG copy of CIFAR-10 described in ../shared/data/README.md (quality 75), not the official binary release. Saved with p = 0.3. Use it after a reflect-padded random crop (4 px) and horizontal flip: on CIFAR-10 with 10 % of the labels (ResNet-8, 60 epochs, 3 seeds, docs/results.md) this file gave 70.67 +- 0.30 against 69.34 +- 0.51 for the crop and flip alone. With 20 epochs, composing after the crop and flip hurt (60.94 at p = 0.5, GPU) and the policy alone is only level with the crop and flip (62.81 at p = 0.3 vs 62.87, GPU); alone at 60 epochs it gave 67.95 vs RandAugment 67.84, TrivialAugment 64.91, random composition 65.34 (GPU, an experiment copy of this policy)."
