#!/bin/sh
# mini-MIAS, seeds 3 and 4 for every condition at the setting validation chose for it
# (validated_mias.sh, its heuristic rerun over the policies' 31 TFs, validated_mias_labels.sh):
# each a one-candidate grid, so the split and the training are those of the protocol (20 % of
# the training patients held out) and nothing is chosen again. After mias_policies.py
# --pool-only (and --with-labels --generators mean_field for the label-aware file).
set -e
OUT=${OUT:-docs/experiments/results_mias_validated_seeds34.json}
P=docs/experiments/policies
run() {
    python docs/experiments/end_model.py --dataset mias --seeds 3 4 --select-seeds 0 \
        --threads 1 --device cpu --select-on-validation --out "$OUT" "$@"
}
run --conditions none
run --conditions basic --grid "basic:pad=4;border=zero"
run --conditions trivialaugment --grid "trivialaugment:p=0.5;after_basic=1"
run --conditions randaugment --grid "randaugment:num_ops=2;magnitude=5;after_basic=0"
run --conditions heuristic --policy-lstm $P/mias_lstm.tanda --grid "heuristic:p=0.3;after_basic=1"
run --conditions tanda_lstm --grid "tanda_lstm:policy=$P/mias_lstm_dlr1e-4.tanda;p=0.5;after_basic=1"
run --conditions tanda_mf --grid "tanda_mf:policy=$P/mias_mf.tanda;p=0.5;after_basic=1"
run --conditions tanda_mf --grid "tanda_mf:policy=$P/mias_mf_labels.tanda;p=0.5;after_basic=1"
