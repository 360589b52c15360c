#!/usr/bin/env bash
# The recipe ablation of docs/results.md: one factor at a time, 3 seeds, on MNIST 1 % or
# CIFAR-10 10 % (the harness's tasks). Each variant appends to docs/experiments/ablation/
# <dataset>_<variant>.json; render the tables with python docs/experiments/ablation_table.py.
# Run from the repository root:  bash docs/experiments/ablation.sh mnist [VARIANT ...]
set -euo pipefail
dataset=$1; shift
case $dataset in
  mnist) budget=() ;;
  cifar10) budget=(--epochs 20) ;;
  mias) budget=() ;;  # policies: docs/experiments/mias_policies.py
  *) echo "dataset must be mnist, cifar10 or mias" >&2; exit 2 ;;
esac
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(reference step_p1 fused_p1 fused_p05 fused_p05_frame
                                        fused_p05_clean basic_reflect recipe recipe_step)
run() {  # run VARIANT CONDITIONS... -- OPTIONS...   ($CONDITIONS, if set, replaces CONDITIONS)
  local name=$1; shift
  local conditions=()
  while [ "$1" != "--" ]; do conditions+=("$1"); shift; done; shift
  if [ -n "${CONDITIONS:-}" ]; then read -r -a conditions <<< "$CONDITIONS"; fi
  python docs/experiments/end_model.py --dataset "$dataset" --seeds 0 1 2 --threads 1 \
    "${budget[@]}" --policies docs/experiments/policies --conditions "${conditions[@]}" \
    --out "docs/experiments/ablation/${dataset}_${name}.json" "$@"
}
for v in "${variants[@]}"; do
  case $v in
    # conditions that no policy setting changes
    reference) run reference none basic randaugment trivialaugment -- ;;
    # rendering and p, policies alone
    step_p1) run step_p1 heuristic tanda_lstm -- --rendering step ;;
    fused_p1) run fused_p1 heuristic tanda_lstm -- ;;
    fused_p05) run fused_p05 heuristic tanda_lstm -- --policy-p 0.5 ;;
    fused_p05_frame) run fused_p05_frame heuristic tanda_lstm -- --policy-p 0.5 --policy-frame 2 ;;
    fused_p05_clean) run fused_p05_clean tanda_lstm -- --policy-p 0.5 --clean-epochs 3 ;;
    # composed after the basic crop (reflect padding) and flip
    basic_reflect) run basic_reflect basic -- --basic-border reflect ;;
    recipe) run recipe heuristic tanda_lstm randaugment trivialaugment -- --with-basic \
              --basic-border reflect --policy-p 0.5 ;;
    recipe_step) run recipe_step tanda_lstm -- --with-basic --basic-border reflect \
                   --policy-p 0.5 --rendering step ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
done
