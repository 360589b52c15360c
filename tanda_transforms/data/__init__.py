"""Readers for the datasets used with ``tanda_transforms``.

Every reader works from files on disk in the dataset's usual distribution format and needs no
network access:

* MNIST: IDX files, gzipped or not (:func:`read_idx`, :func:`load_mnist`), plus a small sample
  of real training digits shipped inside the package (:func:`load_mnist_sample`).
* CIFAR-10: the official python batches, a tar of ``split/<class>/*.jpg|png``, or the same tree
  extracted to a folder (:func:`load_cifar10`).
* Any folder of images, 8 or 16 bit (:func:`load_image_folder`); used by ``tanda learn --data``.
* mini-MIAS mammograms with their ``Info.txt`` ground truth (:func:`parse_mias_info`,
  :func:`lesion_mask`, :func:`load_mias`).
* SemEval-2010 Task 8 relation sentences, read from the release archive
  (:func:`load_semeval`, :class:`RelationExample`, :data:`RELATION_LABELS`).
* Any of these, by reader name or guessed from the path, as one array (:func:`load_data`,
  :func:`guess_reader`): what ``tanda learn --data`` reads.

Images are returned as numpy arrays in ``H x W`` (grayscale) or ``H x W x C`` (colour, RGB
channel order) layout, labels as ``int64`` arrays.

The readers live in one module per dataset (``mnist``, ``cifar``, ``folder``, ``mias``), the
dispatch among them in ``readers``; import them from here, which re-exports every public name.
"""

from .cifar import CIFAR10_CLASSES, load_cifar10
from .folder import IMAGE_EXTENSIONS, image_files, load_image_folder, read_image
from .mias import (
    MIAS_KINDS,
    MiasAbnormality,
    MiasDataset,
    MiasRecord,
    lesion_mask,
    load_mias,
    parse_mias_info,
)
from .mnist import load_mnist, load_mnist_sample, read_idx
from .readers import READERS, DataReadError, describe_data, guess_reader, load_data
from .semeval import (
    RELATION_LABELS,
    RELATIONS,
    MarkupError,
    RelationExample,
    SemEvalFormatError,
    check_markup,
    load_semeval,
    parse_semeval,
)

__all__ = [
    "CIFAR10_CLASSES",
    "DataReadError",
    "IMAGE_EXTENSIONS",
    "MIAS_KINDS",
    "MarkupError",
    "MiasAbnormality",
    "MiasDataset",
    "MiasRecord",
    "READERS",
    "RELATIONS",
    "RELATION_LABELS",
    "RelationExample",
    "SemEvalFormatError",
    "check_markup",
    "describe_data",
    "guess_reader",
    "image_files",
    "lesion_mask",
    "load_cifar10",
    "load_data",
    "load_image_folder",
    "load_mias",
    "load_mnist",
    "load_mnist_sample",
    "load_semeval",
    "parse_mias_info",
    "parse_semeval",
    "read_idx",
    "read_image",
]
