#!/bin/sh
# MNIST 1 %, 60 epochs (issue 26): ten seeds for the best learned condition and the free
# conditions closest to it, each at the setting validation chose for it in
# validated_mnist_60_epochs.sh and validated_ra_pack.sh (one-candidate grids; --select-seeds 0
# keeps selection seed 0's split, so each condition repeats its seed-0 validation run, then
# trains and tests seeds 0-9). Nothing is chosen again. Added 2026-12-07 to measure the
# learned policy's paired margin over TrivialAugment on ten seeds, all on one machine (seeds
# 0-2 are rerun: the harness is deterministic on one machine, not across machines, and a
# paired difference needs both conditions of a seed from the same one). Compare with
# `tanda compare OUT:trivialaugment OUT:tanda_lstm OUT:basic OUT:randaugment`.
set -e
OUT=${OUT:-docs/experiments/results_mnist_60_ten_seeds.json}
SEEDS=${SEEDS:-0 1 2 3 4 5 6 7 8 9}
run() {
    # shellcheck disable=SC2086
    python -m tanda_transforms.cli evaluate --dataset mnist --data ../shared/data/mnist \
        --epochs 60 --seeds $SEEDS --select-seeds 0 --threads 1 --device cpu \
        --select-on-validation --basic-pad 2 --basic-border reflect --out "$OUT" "$@"
}
run --conditions trivialaugment --grid "trivialaugment:p=0.25;after_basic=1"
run --conditions tanda_lstm --policy-lstm docs/experiments/policies/mnist_randaugment_lstm_L2.tanda \
    --grid "tanda_lstm:p=1;frame=0;after_basic=1"
run --conditions basic --grid "basic:pad=2;border=reflect"
run --conditions randaugment --grid "randaugment:num_ops=1;magnitude=9;after_basic=1"
