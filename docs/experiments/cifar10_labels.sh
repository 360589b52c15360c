#!/bin/sh
# Issue 27 on CIFAR-10: the label term over RandAugment's ops at M 5 (the op space of
# `MAGNITUDES=5 sh validated_ra_pack.sh cifar10`), learned exactly as that realism-only policy
# (`tanda learn` defaults, LSTM, L = 2, seed 0, the 50,000 training images, one pass) plus the
# labels of the validation protocol's selection split (seed 0's 5,000 labeled images; the
# 2,000 validation images and the rest given as unlabeled, -1), label_weight 1 (the default,
# fixed before the run), saved untuned (--no-tune). Prints what the term pushed down and each
# op's share (compare `tanda show` of cifar10_randaugment_M5_lstm_L2.tanda).
set -e
P=${POLICIES:-docs/experiments/policies}
LABELS=${LABELS:-/tmp/cifar10_labels_seed0.npy}
python -c "
import sys
import numpy as np
from tanda_transforms.evaluation.datasets import dataset_record, load_task
from tanda_transforms.evaluation.selection import protocol_labels
task, record = load_task('cifar10', '../shared/data/cifar10'), dataset_record('cifar10')
np.save(sys.argv[1], protocol_labels(task.train_labels, 0.1, 0, val_size=record.val_size,
                                     val_fraction=record.val_fraction))
" "$LABELS"
python -m tanda_transforms.cli learn --data ../shared/data/cifar10/cifar10-jpeg.tar \
    --tfs $P/randaugment_M5.json --seq-len 2 --threads 1 --seed 0 --no-progress \
    --labels "$LABELS" --no-tune --out $P/cifar10_randaugment_M5_lstm_L2_labels.tanda
python -c "
import sys
from tanda_transforms import TANDAPolicy
from tanda_transforms.show import label_lines
policy = TANDAPolicy.load(sys.argv[1])
print('\n'.join(label_lines(policy.metadata['training']['labels'], top=23)))
" $P/cifar10_randaugment_M5_lstm_L2_labels.tanda
