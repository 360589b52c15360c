#!/bin/sh
# mini-MIAS: the mean-field policy learned with the labels the end model has (issue 27), under
# the validation protocol of validated_mias.sh (same split, seeds and selection seed). It
# learns (if absent) mias_mf_labels.tanda and mias_mf_labels_w10.tanda: the committed
# mias_mf.tanda's settings (d_lr 1e-5) plus the label term at weight 1 and 10, from the
# labels of the selection split's training patients only (mias_policies.py --with-labels;
# it also writes the lesion pool). Candidates: weight 1 or 10 x p 0.5 x after the crop or
# alone: four, as the realism-only tanda_mf row had (d_lr 1e-5 or 1e-4 x the same two).
# FIRST=1 runs the first record instead: weight 1 alone (two candidates).
set -e
OUT=${OUT:-docs/experiments/results_mias_validated_labels.json}
P=docs/experiments/policies
for W in 1 10; do
    NAME=mias_mf_labels$( [ "$W" = 1 ] || echo "_w$W" ).tanda
    [ -f "$P/$NAME" ] || python docs/experiments/mias_policies.py --with-labels \
        --generators mean_field --label-weight "$W"
done
POLICIES=$P/mias_mf_labels.tanda
[ -n "$FIRST" ] || POLICIES="$POLICIES,$P/mias_mf_labels_w10.tanda"
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --out "$OUT" --conditions tanda_mf \
    --grid "tanda_mf:policy=$POLICIES;p=0.5;after_basic=0,1"
