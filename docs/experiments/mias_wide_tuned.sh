#!/bin/sh
# Issue 26: mini-MIAS with the recipe a user without our experience follows: the wide pack
# learned at learn_policy's defaults (mias_wide_default.sh), then `tune_policy` at its
# defaults on the training patients' labeled patches; tested as tuned (p and frame from the
# file), in the validation protocol's split (the same final runs as validated_mias.sh's rows;
# a one-candidate grid: nothing is chosen on the protocol's validation patients).
set -e
P=docs/experiments/policies
[ -f $P/mias_wide_lstm_tuned.tanda ] || python docs/experiments/mias_policies.py --tune-wide
set -- $(python -c "
from tanda_transforms import TANDAPolicy
p = TANDAPolicy.load('$P/mias_wide_lstm_tuned.tanda'); print(p.p, p.frame)")
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --conditions tanda_lstm \
    --grid "tanda_lstm:policy=$P/mias_wide_lstm_tuned.tanda;p=$1;frame=$2" \
    --out "${OUT:-docs/experiments/results_mias_wide_tuned.json}"
