"""End-model evaluation of augmentation policies (the paper's section 5 protocol).

This module is the public entry point; the code lives in :mod:`tanda_transforms.evaluation`.
Train an end model on a labeled subset with each augmentation condition and compare test
accuracies over several seeds; ``tanda evaluate`` (:func:`add_evaluate_parser`,
:func:`run_evaluate`) and ``docs/experiments/end_model.py`` drive it.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms.evaluate import build_subset, make_augment
>>> augment = make_augment("basic", "cifar10", seed=0)
>>> augment(np.zeros((32, 32, 3), np.uint8)).shape
(32, 32, 3)
>>> x, y = build_subset(np.zeros((1000, 2, 2), np.uint8), np.arange(1000) % 10, 0.01, seed=0)
>>> np.bincount(y).tolist()
[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
"""

import sys

from tanda_transforms.evaluation import *  # noqa: F403
from tanda_transforms.evaluation import __all__  # noqa: F401
from tanda_transforms.evaluation.command import main

if __name__ == "__main__":
    sys.exit(main())
