#!/bin/sh
# mini-MIAS under the validation protocol (issue 26): each condition's settings are chosen on
# 20 % of the training patients (selection seed 0), then each choice is trained and tested
# once per seed 0, 1, 2. basic gets 8 candidates, every other tuned condition 4.
# The committed mias policies name their lesion pool: write it first with
#   python docs/experiments/mias_policies.py --pool-only
set -e
OUT=${OUT:-docs/experiments/results_mias_validated.json}
P=docs/experiments/policies
run() {
    python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
        --select-on-validation --out "$OUT" "$@"
}
run --conditions none
run --conditions basic --grid "basic:pad=2,4,6,8;border=zero,reflect"
run --conditions trivialaugment --grid "trivialaugment:p=0.5,1;after_basic=0,1"
run --conditions randaugment --grid "randaugment:num_ops=2;magnitude=5,9;after_basic=0,1"
run --conditions tanda_lstm --grid "tanda_lstm:policy=$P/mias_lstm.tanda,$P/mias_lstm_dlr1e-4.tanda;p=0.5;after_basic=0,1"
run --conditions heuristic --policy-lstm $P/mias_lstm.tanda --grid "heuristic:p=0.3,0.5;after_basic=0,1"
run --conditions tanda_mf --grid "tanda_mf:policy=$P/mias_mf.tanda,$P/mias_mf_dlr1e-4.tanda;p=0.5;after_basic=0,1"
