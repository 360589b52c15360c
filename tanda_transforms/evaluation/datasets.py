"""One record per end-model dataset: what the harness, ``tanda evaluate`` and the scripts read.

A :class:`DatasetRecord` says everything the evaluation needs to know about a dataset: how to
read it (its reader and the reader's options), the TF pack of the heuristic baseline, whether
the ``basic`` condition flips, the default end model and budget, the folder under
``../shared/data`` holding it, the metric, the validation split's default size and the paper's
reference numbers (if any), and for a dataset that is not images its end model (``trainer``),
the conditions that apply and its selection grids. Adding a dataset means writing its reader
(a function returning a :class:`~tanda_transforms.evaluation.tasks.Task`) and adding one
record to :data:`RECORDS`.

``mnist``
    Pool: the 60,000 MNIST training digits (1 % of them, 600, are labeled per seed);
    test: the 10,000 test digits.
``cifar10``
    Pool: the 50,000 CIFAR-10 training images (10 %, 5,000, labeled per seed); test: the
    10,000 test images.
``mias``
    mini-MIAS patches (see :mod:`tanda_transforms.evaluation.mias`), split by patient: every
    training patch is labeled; test: the held-out patients' patches. Validation holds out
    whole training patients.
``folder``
    A user's folder of labeled images, one sub-folder per class (see
    :mod:`tanda_transforms.evaluation.folder`).
``semeval``
    SemEval-2010 Task 8 (text): pool the 8,000 training sentences (10 %, 801, labeled per
    seed), test the 2,717 test sentences; the relation CNN of
    :mod:`tanda_transforms.evaluation.relation`, scored by the official macro-F1. Its epochs
    follow :func:`~tanda_transforms.evaluation.relation.default_epochs` (the same optimiser
    steps at every label fraction) unless ``--epochs`` says otherwise.

The learning rates of the defaults were picked once per dataset, for all conditions, on
validation data from the training side only (seed 0, conditions none and basic): MNIST on
3,000 pool digits outside the labeled subset (lr 0.05 did not fit the 600 digits: final
training loss 0.9; 0.02 did best), CIFAR-10 on 2,250 pool images (10 epochs; 0.02, 0.05 and
0.1 within noise of each other), mini-MIAS on held-out training patients (0.02). The test
sets took no part. ``folder`` takes MNIST's small CNN and learning rate (a start, not a tuned
choice); with ``--select-on-validation`` they stay fixed while the conditions' knobs are chosen.

Examples
--------
>>> RECORDS["mnist"].pack, RECORDS["mnist"].flip, RECORDS["mnist"].defaults["lr"]
('mnist', False, 0.02)
>>> dataset_record("svhn")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: unknown dataset 'svhn'; expected one of ('mnist', 'cifar10', 'mias', ...)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

from tanda_transforms.data import CIFAR10_CLASSES, load_cifar10, load_mnist
from tanda_transforms.evaluation.folder import COLOR_MODES, read_folder_task
from tanda_transforms.evaluation.mias import MIAS_TASKS, read_mias_task
from tanda_transforms.evaluation.relation_task import read_semeval_task
from tanda_transforms.evaluation.tasks import Task, limit_test, train_test_reader

__all__ = [
    "DATASETS", "RECORDS", "DatasetRecord", "ReaderOption", "dataset_record", "load_task"
]


@dataclasses.dataclass(frozen=True)
class ReaderOption:
    """An option of a dataset's reader, offered on the command line as ``--name-with-dashes``.

    Attributes
    ----------
    name
        The reader's keyword (``split_seed`` -> ``--split-seed``).
    help
        What it does for this dataset (with the reader's default).
    type
        Converts the command-line text.
    choices
        The allowed values, or ``None``.

    Not given on the command line, an option is not passed: the reader's default holds.
    """

    name: str
    help: str
    type: Callable[[str], Any] = str
    choices: tuple[Any, ...] | None = None

    @property
    def flag(self) -> str:
        """The command-line flag."""
        return "--" + self.name.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class DatasetRecord:
    """What the evaluation knows about one dataset.

    Attributes
    ----------
    name
        The name ``--dataset`` takes.
    title
        Heading in reports.
    description
        One line for help texts (and the task, unless the reader writes its own).
    reader
        ``reader(root, **options)`` -> :class:`~tanda_transforms.evaluation.tasks.Task`.
    options
        The reader's options that ``tanda evaluate`` offers (:class:`ReaderOption`).
    pack
        TF pack of the heuristic baseline when no policy file gives the TFs (``None``: the
        heuristic needs a policy file, e.g. text TFs built on a language model of the data).
    flip
        Whether ``basic`` flips left-right (not for digits, which are not mirror symmetric).
    defaults
        :class:`~tanda_transforms.evaluation.training.EvalConfig` defaults: label fraction,
        budget, model, learning rate.
    data_folder
        Folder under ``../shared/data`` (``None``: the user names one).
    data_help
        What ``--data`` is for this dataset.
    metric
        What the harness reports.
    val_size
        Default number of validation items drawn from the pool outside the labeled subset
        (when the label fraction is below 1).
    val_fraction
        Default share of the pool held out for validation when every pool item is labeled
        (whole groups, e.g. patients, where the task has groups).
    reference
        The paper's numbers (``setting``, ``values``: condition -> %), or ``None``.
    trainer
        The end model's training: ``"images"``
        (:func:`~tanda_transforms.evaluation.training.fit`, arrays of images) or
        ``"relations"`` (:func:`~tanda_transforms.evaluation.relation.fit_relations`,
        labelled sentences); :data:`~tanda_transforms.evaluation.runs.TRAINERS` maps the name.
    conditions
        The conditions that apply (``None``: all of
        :data:`~tanda_transforms.evaluation.options.CONDITIONS`); the others are skipped.
    grids
        Selection grids that replace the default ones for this dataset (e.g. no ``frame``
        for sentences).
    """

    name: str
    title: str
    description: str
    reader: Callable[..., Task]
    pack: str | None
    flip: bool
    defaults: Mapping[str, Any]
    data_folder: str | None
    data_help: str
    options: tuple[ReaderOption, ...] = ()
    metric: str = "accuracy"
    val_size: int = 2000
    val_fraction: float = 0.2
    reference: Mapping[str, Any] | None = None
    trainer: str = "images"
    conditions: tuple[str, ...] | None = None
    grids: Mapping[str, Mapping[str, list[Any]]] = dataclasses.field(default_factory=dict)


_SPLIT_SEED = ReaderOption("split_seed", "seed of the stratified test split (default 0)", int)
_SMALL_CNN = dict(batch_size=32, lr=0.02, model="cnn", width=32, blocks=2, epochs=30)

#: Every dataset of the end-model harness, by name.
RECORDS: dict[str, DatasetRecord] = {
    record.name: record
    for record in (
        DatasetRecord(
            name="mnist", title="MNIST", description="MNIST digits, 10 classes",
            reader=train_test_reader(load_mnist, tuple(str(d) for d in range(10))),
            pack="mnist", flip=False, data_folder="mnist",
            data_help="the four MNIST IDX files",
            defaults=dict(_SMALL_CNN, label_fraction=0.01),
            reference={
                "setting": "MNIST, 1 % of the labels",
                "values": {"none": 90.2, "basic": 95.3, "heuristic": 95.9, "tanda_mf": 96.5,
                           "tanda_lstm": 96.7},
            },
        ),
        DatasetRecord(
            name="cifar10", title="CIFAR-10", description="CIFAR-10, 10 classes",
            reader=train_test_reader(load_cifar10, CIFAR10_CLASSES),
            pack="cifar10", flip=True, data_folder="cifar10",
            data_help="the CIFAR-10 tar or its python batches",
            defaults=dict(label_fraction=0.1, epochs=30, batch_size=64, lr=0.05,
                          model="resnet", width=16, blocks=1),
            reference={
                "setting": "CIFAR-10, 10 % of the labels",
                "values": {"none": 66.0, "basic": 73.1, "heuristic": 77.5, "tanda_mf": 79.8,
                           "tanda_lstm": 81.5},
            },
        ),
        DatasetRecord(
            name="mias", title="Mammography (mini-MIAS)",
            description="mini-MIAS patches, normal vs abnormal (or benign vs malignant), "
            "split by patient",
            reader=read_mias_task,
            options=(
                ReaderOption("mias_task", "normal vs abnormal patches, or benign vs malignant "
                             "lesions (default abnormal)", choices=tuple(MIAS_TASKS)),
                ReaderOption("split_seed", "seed of the patient split (default 0)", int),
                ReaderOption("test_fraction", "share of the patients in the test split "
                             "(default 0.25)", float),
            ),
            pack="mammography", flip=True, data_folder="mini-mias",
            data_help="the mini-MIAS folder (Info.txt and the .pgm films)",
            defaults=dict(label_fraction=1.0, epochs=30, batch_size=32, lr=0.02, model="cnn",
                          width=16, blocks=4),
            reference={
                "setting": "DDSM with domain-specific TFs (not the same data or task as ours)",
                "values": {"none": 57.6, "basic": 58.8, "heuristic": 53.7, "tanda_mf": 59.9,
                           "tanda_lstm": 62.7},
            },
        ),
        DatasetRecord(
            name="folder", title="Image folder",
            description="your images: one sub-folder per class (or train/ and test/ holding "
            "them)",
            reader=read_folder_task,
            options=(
                _SPLIT_SEED,
                ReaderOption("test_fraction", "share of the images in the stratified test "
                             "split when there are no train/ and test/ folders (default 0.2)",
                             float),
                ReaderOption("image_size", "resize every image to N x N (default: images "
                             "must share one size)", int),
                ReaderOption("color", "auto keeps grayscale when every image is grayscale, "
                             "else converts all to RGB (default auto)", choices=COLOR_MODES),
            ),
            pack="cifar10", flip=False, data_folder=None,
            data_help="a folder with one sub-folder of images per class",
            defaults=dict(_SMALL_CNN, label_fraction=1.0),
        ),
        DatasetRecord(
            name="semeval", title="SemEval-2010 Task 8",
            description="SemEval-2010 Task 8 relation classification, 19 labels, official "
            "macro-F1",
            reader=read_semeval_task,
            pack=None, flip=False, data_folder="semeval2010-task8",
            data_help="the SemEval-2010 Task 8 release (its tar archive, or a folder holding "
            "it or its extracted files)",
            defaults=dict(label_fraction=0.1, epochs=None, batch_size=50, lr=1e-3,
                          model="relation_cnn", threads=1, policy_p=0.5),
            metric="macro_f1", val_size=1000, trainer="relations",
            conditions=("none", "heuristic", "tanda_mf", "tanda_lstm"),
            grids={c: {"p": [0.25, 0.5, 0.75, 1.0]}
                   for c in ("heuristic", "tanda_mf", "tanda_lstm")},
        ),
    )
}
#: The dataset names, in the order tables list them.
DATASETS: tuple[str, ...] = tuple(RECORDS)


def dataset_record(name: str) -> DatasetRecord:
    """The record of dataset ``name`` (a clear error for an unknown name)."""
    if name not in RECORDS:
        raise ValueError(f"unknown dataset {name!r}; expected one of {DATASETS}")
    return RECORDS[name]


def load_task(
    dataset: str,
    root: str | os.PathLike,
    *,
    test_limit: int | None = None,
    **options: Any,
) -> Task:
    """Load a task's training pool and test set with its record's reader.

    Parameters
    ----------
    dataset
        A name from :data:`DATASETS`.
    root
        The dataset's folder (MNIST IDX files; the CIFAR-10 tar or batches; mini-MIAS; your
        image folder).
    test_limit
        Keep only a fixed, stratified subset of this many test items (to save time); all by
        default.
    **options
        The reader's options (``mias``: ``mias_task``, ``split_seed``, ``test_fraction`` and
        the options of :func:`~tanda_transforms.evaluation.mias.mias_patches`; ``folder``:
        ``split_seed``, ``test_fraction``, ``image_size``, ``color``).

    Returns
    -------
    Task
    """
    record = dataset_record(dataset)
    task = record.reader(root, **options)
    task.dataset = record.name
    task.description = task.description or record.description
    task.info = {"root": os.fspath(root), **task.info}
    if test_limit is not None:
        task.test_images, task.test_labels = limit_test(
            task.test_images, task.test_labels, test_limit
        )
        task.info["test_limit"] = test_limit
    task.info.update(n_pool=len(task.train_labels), n_test=len(task.test_labels))
    return task
