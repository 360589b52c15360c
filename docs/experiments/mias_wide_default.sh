#!/bin/sh
# Issue 26: mini-MIAS with the policy a user following the defaults gets: the wide pack learned
# by learn_policy at its defaults on the training patients' unlabeled patches (one pass: 21
# steps of 32 over 668 patches; saved with p 0.5), used as saved (p 0.5, frame 0). Run in the
# validation protocol's split, so the final runs train on the same 514 patches outside the
# validation patients as validated_mias.sh's rows; a one-candidate grid: nothing is chosen.
set -e
python docs/experiments/mias_policies.py --wide-defaults
python docs/experiments/end_model.py --dataset mias --seeds 0 1 2 --threads 1 --device cpu \
    --select-on-validation --conditions tanda_lstm \
    --grid "tanda_lstm:policy=docs/experiments/policies/mias_wide_lstm.tanda;p=0.5;frame=0" \
    --out "${OUT:-docs/experiments/results_mias_wide_default.json}"
