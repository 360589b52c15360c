"""End-model evaluation: does an augmentation policy help a classifier trained on few labels?

The paper's protocol (Ratner et al. 2017, section 5): train an end model on a small labeled
subset with each augmentation condition and compare test accuracies, over several seeds.

* :mod:`~tanda_transforms.evaluation.datasets`: one record per dataset (reader, TF pack,
  flips, default model and budget, data folder, metric) and :func:`load_task`;
* :mod:`~tanda_transforms.evaluation.subsets`: seeded, class-stratified labeled subsets;
* :mod:`~tanda_transforms.evaluation.augment`: the conditions (none, basic, heuristic,
  tanda_mf, tanda_lstm, randaugment, trivialaugment, autoaugment);
* :mod:`~tanda_transforms.evaluation.models`: small end models for 2 CPU cores;
* :mod:`~tanda_transforms.evaluation.training`: :class:`EvalConfig`, :func:`fit`,
  :func:`train_and_test`; :mod:`~tanda_transforms.evaluation.runs`: :func:`run_conditions`;
* :mod:`~tanda_transforms.evaluation.selection`: the validation protocol (every condition's
  settings chosen on a validation split, then tested once per seed);
* :mod:`~tanda_transforms.evaluation.semi`: the optional consistency term on the unlabeled
  rest of the pool (semi-supervised end models);
* :mod:`~tanda_transforms.evaluation.batches`: how images flow from numpy to the model;
* :mod:`~tanda_transforms.evaluation.mias`: mini-MIAS patches split by patient;
* :mod:`~tanda_transforms.evaluation.tasks`: a task as arrays;
  :mod:`~tanda_transforms.evaluation.folder`: a user's folder of labeled images as a task;
* :mod:`~tanda_transforms.evaluation.relation` and
  :mod:`~tanda_transforms.evaluation.relation_metrics`: the text task, SemEval-2010 Task 8
  relation classification (a CNN with position features, the official macro-F1), run by
  ``docs/experiments/semeval.py``;
* :mod:`~tanda_transforms.evaluation.command`: ``tanda evaluate``, which
  ``python -m tanda_transforms.evaluation`` also runs.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.evaluation import build_subset, make_augment
>>> augment = make_augment("basic", "cifar10", seed=0)
>>> augment(np.zeros((32, 32, 3), np.uint8)).shape
(32, 32, 3)
>>> x, y = build_subset(np.zeros((1000, 2, 2), np.uint8), np.arange(1000) % 10, 0.01, seed=0)
>>> np.bincount(y).tolist()
[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
"""

from tanda_transforms.evaluation.augment import (
    CONDITIONS,
    POLICY_CONDITIONS,
    make_augment,
)
from tanda_transforms.evaluation.command import add_evaluate_parser, run_evaluate
from tanda_transforms.evaluation.datasets import (
    DATASETS,
    RECORDS,
    DatasetRecord,
    dataset_record,
    load_task,
)
from tanda_transforms.evaluation.mias import PatchSet, mias_patches, patient_of, split_by_patient
from tanda_transforms.evaluation.runs import run_conditions
from tanda_transforms.evaluation.selection import ValidationProtocol, select_and_test
from tanda_transforms.evaluation.subsets import build_subset, stratified_indices
from tanda_transforms.evaluation.tasks import Task
from tanda_transforms.evaluation.training import (
    EvalConfig,
    TrainResult,
    fit,
    summarize,
    train_and_test,
)

__all__ = [
    "CONDITIONS",
    "DATASETS",
    "POLICY_CONDITIONS",
    "RECORDS",
    "DatasetRecord",
    "EvalConfig",
    "PatchSet",
    "Task",
    "TrainResult",
    "add_evaluate_parser",
    "ValidationProtocol",
    "build_subset",
    "dataset_record",
    "fit",
    "load_task",
    "make_augment",
    "mias_patches",
    "patient_of",
    "run_conditions",
    "run_evaluate",
    "select_and_test",
    "split_by_patient",
    "stratified_indices",
    "summarize",
    "train_and_test",
]
