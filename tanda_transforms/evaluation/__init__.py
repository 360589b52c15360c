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
* :mod:`~tanda_transforms.evaluation.relation_task`,
  :mod:`~tanda_transforms.evaluation.relation` and
  :mod:`~tanda_transforms.evaluation.relation_metrics`: the text task, SemEval-2010 Task 8
  relation classification (its reader, a CNN with position features, the official
  macro-F1): the ``semeval`` record, run by the same harness and ``tanda evaluate`` (the
  record's ``trainer`` and ``metric`` say which end model and score);
* :mod:`~tanda_transforms.evaluation.command`: ``tanda evaluate``, which
  ``python -m tanda_transforms.evaluation`` also runs;
  :mod:`~tanda_transforms.evaluation.compare`: ``tanda compare``, conditions of results files
  side by side, seed by seed (paired differences).

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

from tanda_transforms._lazy import lazy_exports

# Public name -> the module defining it, imported on first use: the modules import torch, and
# ``tanda evaluate --help`` reads only :mod:`~tanda_transforms.evaluation.options` and the
# dataset records.
_EXPORTS = {
    "CONDITIONS": "options",
    "POLICY_CONDITIONS": "options",
    "add_evaluate_parser": "options",
    "DATASETS": "datasets",
    "RECORDS": "datasets",
    "DatasetRecord": "datasets",
    "dataset_record": "datasets",
    "load_task": "datasets",
    "make_augment": "augment",
    "PadCropFlip": "augment",
    "run_evaluate": "command",
    "PatchSet": "mias",
    "mias_patches": "mias",
    "patient_of": "mias",
    "split_by_patient": "mias",
    "run_conditions": "runs",
    "TRAINERS": "runs",
    "ValidationProtocol": "selection",
    "select_and_test": "selection",
    "build_subset": "subsets",
    "stratified_indices": "subsets",
    "Task": "tasks",
    "EvalConfig": "training",
    "TrainResult": "training",
    "fit": "training",
    "summarize": "training",
    "train_and_test": "training",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
