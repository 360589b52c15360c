"""SemEval-2010 Task 8 as a harness task: the reader of the ``semeval`` dataset record.

The pool and the test set are the release's 8,000 training and 2,717 test sentences as
numpy object arrays of :class:`~tanda_transforms.data.semeval.RelationExample` (so the
harness draws labeled subsets, validation splits and test limits with the same stratified
index functions as for images), labelled by
:attr:`~tanda_transforms.data.semeval.RelationExample.label_index`; the 19 classes are
:data:`~tanda_transforms.data.semeval.RELATION_LABELS`. The end model that trains on them is
:func:`~tanda_transforms.evaluation.relation.fit_relations`. No torch here: the records and
``tanda evaluate --help`` read this module.

Examples
--------
>>> from tanda_transforms.data.semeval import RelationExample
>>> pool = examples_array([RelationExample(1, "<e1>a</e1> <e2>b</e2>", "Other")])
>>> pool.dtype, pool.shape, pool[0].id
(dtype('O'), (1,), 1)
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tanda_transforms.data.semeval import (
    RELATION_LABELS,
    SEMEVAL_FILES,
    RelationExample,
    load_semeval,
)
from tanda_transforms.evaluation.tasks import Task

__all__ = ["examples_array", "examples_of", "read_semeval_task", "release_path"]


def examples_array(examples: Sequence[RelationExample]) -> np.ndarray:
    """A 1-D object array holding the examples (what :class:`Task` holds as "images")."""
    out = np.empty(len(examples), dtype=object)
    for i, example in enumerate(examples):
        out[i] = example
    return out


def examples_of(items: np.ndarray | Sequence[RelationExample], name: str
                ) -> list[RelationExample]:
    """The examples of an array made by :func:`examples_array` (checked), as a list."""
    examples = list(items)
    for example in examples:
        if not isinstance(example, RelationExample):
            raise TypeError(f"{name} must hold RelationExample items (the semeval task), got "
                            f"{type(example).__name__}")
    return examples


def release_path(root: str | os.PathLike) -> Path:
    """Where :func:`~tanda_transforms.data.semeval.load_semeval` reads the release from
    ``root``: ``root`` itself, or the one tar archive in a folder without the extracted
    files (``../shared/data/semeval2010-task8`` holds only the archive)."""
    root = Path(root)
    if not root.is_dir() or any(root.rglob(SEMEVAL_FILES["train"])):
        return root
    archives = sorted(p for p in root.iterdir() if p.is_file() and tarfile.is_tarfile(p))
    if len(archives) != 1:
        raise FileNotFoundError(f"{root}: expected the SemEval-2010 Task 8 release, extracted "
                                f"({SEMEVAL_FILES['train']} below it) or as one tar archive; "
                                f"found {len(archives)} archives")
    return archives[0]


def read_semeval_task(root: str | os.PathLike) -> Task:
    """The training sentences as the pool, the test sentences as the test set."""
    path = release_path(root)
    train, test = load_semeval(path, "train"), load_semeval(path, "test")
    return Task(
        "", examples_array(train), np.array([ex.label_index for ex in train], np.int64),
        examples_array(test), np.array([ex.label_index for ex in test], np.int64),
        tuple(RELATION_LABELS), "", info={"release": path.name},
    )
