#!/bin/sh
# Issue 27: the label weight chosen on a validation split (SemEval-2010 Task 8, 10 % labels).
# Candidates: label_weight 1, 10, 30, seed 0's policies (learned from seed 0's 801 labels, the
# other 7,199 training sentences unlabeled; mean-field over the 13-TF semeval pack, p 0.5).
# Validation: 1,000 sentences from the pool outside seed 0's labeled subset. The chosen weight's
# policies of seeds 1 and 2 come from `semeval_labels.py --seeds 1 2 --label-weight W`.
# 2026-12-07, with the label classifier's position features (f921837):
#   P=/tmp/semeval_pos OUT=docs/experiments/results_semeval_weight_positions.json sh ...
set -e
P=${P:-/tmp/semeval_labels}
for w in 1 10 30; do
    f=$P/semeval_labels_w${w}_mf_s0.tanda
    [ "$w" = 1 ] && f=$P/semeval_labels_mf_s0.tanda  # weight 1: semeval_labels.py's default name
    [ -f "$f" ] || python docs/experiments/semeval_labels.py --out-dir "$P" --seeds 0 \
        --label-weight "$w" --learn-only
done
python -m tanda_transforms.cli evaluate --dataset semeval --data ../shared/data/semeval2010-task8 \
    --seeds 0 --conditions tanda_mf --select-on-validation \
    --grid "tanda_mf:policy=$P/semeval_labels_mf_s0.tanda,$P/semeval_labels_w10_mf_s0.tanda,$P/semeval_labels_w30_mf_s0.tanda;p=0.5" \
    --out "${OUT:-docs/experiments/results_semeval_weight.json}"
