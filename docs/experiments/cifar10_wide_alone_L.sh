#!/bin/sh
# Issue 26 ("a learned policy over `wide`, with L chosen on validation, has no excuse to lose
# to TrivialAugment"): cifar10_wide_alone.sh's policy and protocol, the policy applied at
# L = 1 and 2 TFs per image (the `seq_len` knob; learned at L = 10, so its LSTM's first one
# or two steps) at p 1, as TrivialAugment (one op, p 1 chosen in cifar10_ta_alone.sh) and
# RandAugment (N ops) apply theirs. Two candidates only (2 CPU cores, one session); the
# L = 10 candidates are in results_cifar10_wide_alone.json, and the policy's overall choice
# is the best validation score over the four, a rule fixed before these runs.
set -e
GRID="tanda_lstm:seq_len=1,2;p=1;frame=0;after_basic=0" \
OUT="${OUT:-docs/experiments/results_cifar10_wide_alone_L.json}" \
    sh docs/experiments/cifar10_wide_alone.sh
