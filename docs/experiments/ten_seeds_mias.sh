#!/bin/sh
# mini-MIAS (issue 26): ten seeds for the best learned condition (the label-aware mean-field
# policy after the crop) and the two free conditions closest to it (TrivialAugment after the
# crop, the crop alone), at the settings validation chose (validated_mias.sh,
# validated_mias_labels.sh), as one-candidate grids on selection seed 0's split: nothing is
# chosen again. All ten seeds on one machine (seeds 0-4 are rerun: the harness is
# deterministic on one machine, not across machines, and a paired difference needs both
# conditions of a seed from the same one); `tanda compare OUT:trivialaugment OUT:tanda_mf
# OUT:basic` pairs them seed by seed. Needs the lesion pool first:
# python docs/experiments/mias_policies.py --pool-only
set -e
OUT=${OUT:-docs/experiments/results_mias_ten_seeds.json}
SEEDS=${SEEDS:-0 1 2 3 4 5 6 7 8 9}
P=docs/experiments/policies
run() {
    # shellcheck disable=SC2086
    python docs/experiments/end_model.py --dataset mias --seeds $SEEDS --select-seeds 0 \
        --threads 1 --device cpu --select-on-validation --out "$OUT" "$@"
}
run --conditions tanda_mf --grid "tanda_mf:policy=$P/mias_mf_labels.tanda;p=0.5;after_basic=1"
run --conditions trivialaugment --grid "trivialaugment:p=0.5;after_basic=1"
run --conditions basic --grid "basic:pad=4;border=zero"
