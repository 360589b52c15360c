#!/bin/sh
# mini-MIAS: the mean-field policy learned with the labels the end model has (issue 27), under
# the validation protocol of validated_mias.sh (same split, seeds and selection seed). First
#   python docs/experiments/mias_policies.py --with-labels --generators mean_field
# (it writes the lesion pool and mias_mf_labels.tanda: the committed mias_mf.tanda's settings,
# d_lr 1e-5, plus the label term at weight 1 over the selection split's training patients).
# Candidates: p 0.5 x after the crop or alone (the realism-only mias_mf.tanda row chose
# after the crop, p 0.5, among these two and the d_lr 1e-4 file's two).
set -e
OUT=${OUT:-docs/experiments/results_mias_validated_labels.json}
P=docs/experiments/policies
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --out "$OUT" --conditions tanda_mf \
    --grid "tanda_mf:policy=$P/mias_mf_labels.tanda;p=0.5;after_basic=0,1"
