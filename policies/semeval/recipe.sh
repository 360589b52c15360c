#!/usr/bin/env bash
# Reproduces tanda_transforms/gallery/semeval.tanda and its model card from SemEval-2010 Task 8.
# Run from the repository root: bash policies/semeval/recipe.sh  (DATA=... to point elsewhere)
# The gallery file is the LSTM policy of the SemEval experiment (docs/results.md), learned on
# the 8,000 training sentences without labels: 2 epochs (500 steps of 32), L = 3,
# d_lr = 1e-3, eps = 1e-3, seed 0, one thread; saved with p = 0.5.
set -euo pipefail
DATA=${DATA:-../shared/data/semeval2010-task8/SemEval2010_task8_all_data.tar.gz}
OUT=$(mktemp -d)
python docs/experiments/semeval_policies.py --data "$DATA" --out-dir "$OUT" --generators lstm \
    --threads 1
cp "$OUT/semeval_lstm.tanda" tanda_transforms/gallery/semeval.tanda
python policies/make_card.py semeval --data "$DATA" --reader semeval \
    --note "The semeval text pack (10 conditional word swaps from a trigram language model of the training sentences, by region and word class, near or far down its ranking, plus 3 EDA-style edits), learned adversarially with an LSTM generator on the 8,000 SemEval-2010 Task 8 training sentences (no labels). Entity spans (<e1>, <e2>) are never edited. The language model travels inside the file. On the relation CNN of docs/results.md, see the text section there for what it does to macro-F1."
