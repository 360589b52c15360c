#!/bin/sh
# CIFAR-10 10 %: the recipe a user without our experience follows (issue 26): the `wide` pack
# learned by `tanda learn` at its defaults (LSTM, L = 10, one pass over the first 10,000
# training images, no labels), tuned by `tanda tune` at its defaults on a stratified 10 % of
# the training set (seed 0; 20 % of it held out), then tested with seeds 0, 1, 2 as tuned,
# after the basic crop and flip like every row of validated_cifar10.sh (a one-candidate
# grid: nothing chosen on the protocol's validation images).
set -e
P=${POLICIES:-docs/experiments/policies}
[ -f $P/cifar10_wide_lstm.tanda ] || python -m tanda_transforms.cli learn \
    --data ../shared/data/cifar10/cifar10-jpeg.tar --limit 10000 --tfs wide --threads 1 \
    --seed 0 --out $P/cifar10_wide_lstm.tanda
[ -f $P/cifar10_wide_lstm_tuned.tanda ] || python -m tanda_transforms.cli tune \
    $P/cifar10_wide_lstm.tanda --data ../shared/data/cifar10 --label-fraction 0.1 \
    --threads 1 --out $P/cifar10_wide_lstm_tuned.tanda
set -- $(python -c "
from tanda_transforms import TANDAPolicy
p = TANDAPolicy.load('$P/cifar10_wide_lstm_tuned.tanda'); print(p.p, p.frame)")
python docs/experiments/end_model.py --dataset cifar10 --data ../shared/data/cifar10 \
    --epochs 60 --seeds 0 1 2 --threads 1 --device cpu --select-on-validation \
    --conditions tanda_lstm \
    --grid "tanda_lstm:policy=$P/cifar10_wide_lstm_tuned.tanda;p=$1;frame=$2;after_basic=1" \
    --out "${OUT:-docs/experiments/results_cifar10_wide.json}"
