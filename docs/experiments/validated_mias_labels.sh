#!/bin/sh
# mini-MIAS: policies learned with the labels the end model has (issue 27), under the
# validation protocol of validated_mias.sh (same split, seeds and selection seed). Learning
# (mias_policies.py --with-labels, which also writes the lesion pool) reads the labels of the
# selection split's training patients only. Four candidates each, as the realism-only rows:
#   sh validated_mias_labels.sh [mf]: mias_mf.tanda's settings (d_lr 1e-5) plus the label term
#     at weight 1 or 10 (mias_mf_labels.tanda, mias_mf_labels_w10.tanda) x p 0.5 x after the
#     crop or alone (the realism-only row: d_lr 1e-5 or 1e-4 x the same two);
#     FIRST=1 runs the first record instead: weight 1 alone (two candidates);
#   sh validated_mias_labels.sh lstm: the LSTM at d_lr 1e-5 or 1e-4 with the term at the weight
#     the mean-field row chose (1) (mias_lstm_labels.tanda, mias_lstm_labels_dlr1e-4.tanda)
#     x p 0.5 x after the crop or alone, as the realism-only LSTM row.
set -e
OUT=${OUT:-docs/experiments/results_mias_validated_labels.json}
P=docs/experiments/policies
learn() {  # file, then mias_policies.py's options
    FILE=$1; shift
    [ -f "$P/$FILE" ] || python docs/experiments/mias_policies.py --with-labels "$@"
}
if [ "${1:-mf}" = lstm ]; then
    learn mias_lstm_labels.tanda --generators lstm
    learn mias_lstm_labels_dlr1e-4.tanda --generators lstm --d-lr 1e-4 --suffix _dlr1e-4
    CONDITION=tanda_lstm
    POLICIES=$P/mias_lstm_labels.tanda,$P/mias_lstm_labels_dlr1e-4.tanda
else
    learn mias_mf_labels.tanda --generators mean_field
    learn mias_mf_labels_w10.tanda --generators mean_field --label-weight 10
    CONDITION=tanda_mf
    POLICIES=$P/mias_mf_labels.tanda
    [ -n "$FIRST" ] || POLICIES="$POLICIES,$P/mias_mf_labels_w10.tanda"
fi
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --out "$OUT" --conditions $CONDITION \
    --grid "$CONDITION:policy=$POLICIES;p=0.5;after_basic=0,1"
