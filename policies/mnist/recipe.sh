#!/usr/bin/env bash
# Reproduces tanda_transforms/gallery/mnist.tanda and its model card from the MNIST files.
# Run from the repository root: bash policies/mnist/recipe.sh  (DATA=... to point elsewhere)
# d_lr=1e-5 was LearnConfig's default when this policy was learned and measured.
set -euo pipefail
DATA=${DATA:-../shared/data/mnist}
tanda learn --data "$DATA" --reader mnist --split train --limit 10000 --tfs mnist \
    --generator lstm --seq-len 10 --seed 0 --threads 1 --no-progress \
    --set d_lr=1e-5 --policy-p 0.5 --policy-frame 2 \
    --out tanda_transforms/gallery/mnist.tanda
python policies/make_card.py mnist --data "$DATA" --reader mnist \
    --note "The paper's 25 MNIST TFs, learned adversarially on 10,000 unlabeled MNIST training digits (one pass)."
