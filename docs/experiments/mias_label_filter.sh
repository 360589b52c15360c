#!/bin/sh
# Issues 26 and 27 on mini-MIAS: the label-aware mean-field policy of the best mini-MIAS row
# (mias_mf_labels.tanda: label weight 1, p 0.5, after the crop and flip; validated_mias_labels.sh)
# applied without the TFs its label term found label-changing (drop_label_changing, the
# harness's max_kl knob), the threshold chosen on validation as in semeval_label_filter.sh.
# Candidates, fixed before any run from the policy's recorded penalties (not from any score):
# max_kl none (every TF: the row as it stands), 0.15 (the three lesion transplants, hflip and
# the darker mammo_exposure), 0.05 (also brightness 0.9, elastic alpha 200 and gamma 1.25),
# 0.02 (also elastic alpha 100, shear -0.2 and mammo_exposure contrast 0.8); p 0.5, after the
# crop and flip, four candidates as every mini-MIAS row. The validation protocol of
# validated_mias.sh (same split, seeds and selection seed); the choice is tested on seeds 0-2.
# Needs the lesion pool: python docs/experiments/mias_policies.py --pool-only.
set -e
P=docs/experiments/policies
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --out "${OUT:-docs/experiments/results_mias_label_filter.json}" \
    --conditions tanda_mf \
    --grid "tanda_mf:policy=$P/mias_mf_labels.tanda;p=0.5;after_basic=1;max_kl=none,0.15,0.05,0.02"
