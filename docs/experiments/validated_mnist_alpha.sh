#!/bin/sh
# Does asking for more change pay on MNIST? (issue 26.) The LSTM over RandAugment's ops plus the
# `mnist` pack's own TFs (`EXTRA=mnist sh docs/experiments/validated_ra_pack.sh mnist`, learned
# at LearnConfig's alpha 1e-3) learned again at alpha 5e-3 and 2e-2 (the weight of the
# generator's cost for sequences that change an image little, alpha / (d(x_0, x_t) + eps)),
# then the three files as one grid of the validation protocol: policy x p 0.5, 1 x frame 0, 2,
# composed after the chosen pad-2 reflect crop, 60 epochs; twelve candidates (TrivialAugment and
# RandAugment had eight each, alone and after the crop), the test read once for the choice.
# Run validated_ra_pack.sh with EXTRA=mnist first (it writes the op space and the alpha 1e-3 file).
set -e
P=${POLICIES:-docs/experiments/policies}
BASE=$P/mnist_randaugment_plus_mnist_lstm_L2
[ -f "$BASE.tanda" ] || { echo "run: EXTRA=mnist sh docs/experiments/validated_ra_pack.sh mnist" >&2; exit 2; }
for A in 0.005 0.02; do
    [ -f "${BASE}_alpha$A.tanda" ] || python -m tanda_transforms.cli learn \
        --data ../shared/data/mnist --tfs "$P/randaugment_plus_mnist.json" --seq-len 2 \
        --threads 1 --seed 0 --no-progress --set alpha=$A --out "${BASE}_alpha$A.tanda"
done
python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist --epochs 60 \
    --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --basic-pad 2 --basic-border reflect --conditions tanda_lstm \
    --grid "tanda_lstm:policy=$BASE.tanda,${BASE}_alpha0.005.tanda,${BASE}_alpha0.02.tanda;p=0.5,1;frame=0,2;after_basic=1" \
    --out ${OUT:-docs/experiments/results_mnist_validated_ra_pack_plus_mnist_alpha.json}
