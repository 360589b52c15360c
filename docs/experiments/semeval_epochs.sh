#!/bin/sh
# Issue 27: how long the label-aware SemEval policy learns, chosen on a validation split.
# Candidates: the weight-10 label-aware mean-field policy of seed 0 (position-aware label
# classifier) learned for 2 epochs (the setting of every earlier row) and for 4, the two
# learned side by side. The harness's --select-on-validation scores each at p 0.5 on 1,000
# validation sentences outside seed 0's labeled subset, then tests the chosen one once on
# seed 0. The chosen length's policies of seeds 1 and 2 would come from
# `semeval_labels.py --seeds 1 2 --label-weight 10 --epochs E --out-dir P/eE --learn-only`.
set -e
P=${P:-/tmp/semeval_epochs}
for e in 2 4; do
    [ -f "$P/e$e/semeval_labels_w10_mf_s0.tanda" ] || python docs/experiments/semeval_labels.py \
        --out-dir "$P/e$e" --seeds 0 --label-weight 10 --epochs "$e" --learn-only &
done
wait
python -m tanda_transforms.cli evaluate --dataset semeval --data ../shared/data/semeval2010-task8 \
    --seeds 0 --conditions tanda_mf --select-on-validation --threads 1 \
    --grid "tanda_mf:policy=$P/e2/semeval_labels_w10_mf_s0.tanda,$P/e4/semeval_labels_w10_mf_s0.tanda;p=0.5" \
    --out "${OUT:-docs/experiments/results_semeval_epochs.json}"
