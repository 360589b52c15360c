"""Mammography patches from mini-MIAS, split by patient, for the end-model harness.

Task: **abnormal vs normal** patches (default), not benign vs malignant. The paper's DDSM task
was a tumour classification, but mini-MIAS is far smaller: 322 films of 161 patients, with
119 located abnormalities (69 benign rows, 54 malignant, a few without a location). A
patient-level test quarter would hold about 30 lesions for benign vs malignant, so one lesion
moves accuracy by about 3 points and seed-to-seed noise would swamp any augmentation effect;
and malignancy is barely visible in a 64 x 64 patch of a film downsampled to 400 um pixels.
Abnormal vs normal uses every located lesion plus all 207 normal films, keeps the classes
roughly balanced and is learnable by a small CNN. ``task="malignancy"`` (benign 0 vs
malignant 1, lesion patches only) is available for completeness; neither is comparable to the
paper's DDSM numbers (another dataset, another task, no domain-specific TFs by default).

Patches (``context`` x ``context`` pixels of the full 1024 x 1024 film, resized to
``patch_size`` with area averaging):

* abnormal (label 1): centred on each located abnormality (Info.txt centre, rows counted from
  the bottom), plus ``per_lesion - 1`` copies with the centre moved by up to
  ``jitter * context`` pixels in each direction;
* normal (label 0): ``per_normal_film`` random centres in the breast region of each normal
  film (the largest bright connected component, Otsu threshold on an 8x reduced film; centres
  at least a quarter window away from the air around the breast, when such exist). The
  pectoral muscle counts as breast here.

Windows that would cross the film's edge are moved inside it (no black borders, which would
otherwise mark lesions near the edge).

Patients: films come in pairs, mdb001/mdb002 being one patient's left and right breast, so
patient = (number + 1) // 2. :func:`split_by_patient` puts each patient wholly in train or in
test, stratified by whether the patient has an abnormal patch. Policies for this task must be
learned on the training patches only (:attr:`PatchSet.images` of the train split).
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

import cv2
import numpy as np

from tanda_transforms.data import load_mias
from tanda_transforms.evaluation.subsets import held_out_groups
from tanda_transforms.evaluation.tasks import Task

__all__ = [
    "MIAS_TASKS", "PatchSet", "mias_patches", "patient_of", "read_mias_task", "split_by_patient"
]

MIAS_TASKS: dict[str, tuple[str, ...]] = {
    "abnormal": ("normal", "abnormal"),
    "malignancy": ("benign", "malignant"),
}
_COARSE = 8


def patient_of(ref: str) -> int:
    """Patient number of a film: mdb001 and mdb002 are patient 1, mdb003/mdb004 patient 2.

    Examples
    --------
    >>> [patient_of(r) for r in ("mdb001", "mdb002", "mdb003", "mdb322")]
    [1, 1, 2, 161]
    """
    match = re.fullmatch(r"mdb(\d+)", ref)
    if match is None:
        raise ValueError(f"not a mini-MIAS reference: {ref!r}")
    return (int(match.group(1)) + 1) // 2


@dataclasses.dataclass
class PatchSet:
    """Patches with labels and the film each came from.

    Attributes
    ----------
    images
        ``N x S x S`` ``uint8``.
    labels
        ``N`` ``int64`` class indices into ``classes``.
    refs
        Film reference of each patch (``"mdb001"``...).
    classes
        Class names, e.g. ``("normal", "abnormal")``.
    """

    images: np.ndarray
    labels: np.ndarray
    refs: list[str]
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def patients(self) -> np.ndarray:
        """Patient number of each patch (:func:`patient_of`)."""
        return np.array([patient_of(r) for r in self.refs], dtype=np.int64)

    def subset(self, mask: np.ndarray) -> PatchSet:
        """The patches where ``mask`` is true (or at the given indices)."""
        keep = np.asarray(mask)
        return PatchSet(
            self.images[keep].copy(),
            self.labels[keep].copy(),
            [r for r, k in zip(self.refs, _as_bool(keep, len(self)), strict=True) if k],
            self.classes,
        )


def _as_bool(keep: np.ndarray, n: int) -> np.ndarray:
    if keep.dtype == bool:
        return keep
    out = np.zeros(n, bool)
    out[keep] = True
    return out


def _crop(film: np.ndarray, row: int, col: int, context: int, size: int) -> np.ndarray:
    """``context`` x ``context`` window around (row, col), resized to ``size``.

    The window is moved inside the film where it would cross the film's edge, so no patch
    carries an artificial black border (which, as lesions lie near the edge more often than
    random tissue centres, would be a shortcut to the label). Only a film smaller than the
    window is zero-padded.
    """
    height, width = film.shape
    top = min(max(row - context // 2, 0), max(height - context, 0))
    left = min(max(col - context // 2, 0), max(width - context, 0))
    window = film[top : top + context, left : left + context]
    if window.shape != (context, context):
        out = np.zeros((context, context), film.dtype)
        out[: window.shape[0], : window.shape[1]] = window
        window = out
    if context == size:
        return np.ascontiguousarray(window)
    return cv2.resize(window, (size, size), interpolation=cv2.INTER_AREA)


def _breast_centres(film: np.ndarray, context: int) -> np.ndarray:
    """Candidate (row, col) centres on the coarse grid, in full-resolution pixels."""
    height, width = film.shape
    coarse = cv2.resize(
        film,
        (max(width // _COARSE, 1), max(height // _COARSE, 1)),
        interpolation=cv2.INTER_AREA,
    )
    if coarse.max() > coarse.min():
        _, mask = cv2.threshold(coarse, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    else:
        mask = np.ones_like(coarse)
    count, components, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count > 1:
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        mask = (components == largest).astype(np.uint8)
    # Centres at least a quarter window from the background (air); the film's own edge is
    # not background (the chest wall side of a film is tissue up to the edge).
    side = max(context // (2 * _COARSE), 1)
    inside = cv2.erode(mask, np.ones((side, side), np.uint8), borderValue=1)
    rows, cols = np.nonzero(inside if inside.any() else mask)
    if rows.size == 0:
        rows, cols = np.array([coarse.shape[0] // 2]), np.array([coarse.shape[1] // 2])
    return np.stack([rows, cols], axis=1) * _COARSE + _COARSE // 2


def _lesion_label(task: str, severity: str | None) -> int | None:
    if task == "abnormal":
        return 1
    return {"B": 0, "M": 1}.get(severity or "")


def mias_patches(
    root: str | os.PathLike,
    *,
    task: str = "abnormal",
    patch_size: int = 64,
    context: int = 128,
    per_lesion: int = 4,
    per_normal_film: int = 2,
    jitter: float = 0.125,
    seed: int = 0,
) -> PatchSet:
    """Cut labeled patches out of the mini-MIAS films (see the module docstring).

    Parameters
    ----------
    root
        mini-MIAS folder (``Info.txt`` and ``png/mdbNNN.png``; see :func:`load_mias`).
    task
        ``"abnormal"`` (normal 0 vs abnormal 1) or ``"malignancy"`` (benign 0 vs malignant 1).
    patch_size
        Side of the returned patches.
    context
        Side of the window cut from the film, in film pixels (128 = 25.6 mm at 200 um).
    per_lesion
        Patches per located abnormality (the first one centred, the others jittered).
    per_normal_film
        Random breast-tissue patches per normal film (``abnormal`` task only).
    jitter
        Largest centre shift of the jittered lesion patches, as a fraction of ``context``.
    seed
        Seed of the jitter and of the normal-patch centres.

    Returns
    -------
    PatchSet
        Patches in film order.
    """
    if task not in MIAS_TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {sorted(MIAS_TASKS)}")
    for name, value in (("patch_size", patch_size), ("context", context)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(per_lesion, int) or per_lesion < 1 or per_normal_film < 0:
        raise ValueError("per_lesion must be >= 1 and per_normal_film >= 0")
    films = load_mias(root)
    rng = np.random.default_rng(seed)
    images: list[np.ndarray] = []
    labels: list[int] = []
    refs: list[str] = []
    shift = int(round(jitter * context))
    for index, record in enumerate(films.records):
        if task == "malignancy" and not record.abnormalities:
            continue
        film = films[index]["image"]
        if record.abnormalities:
            for abnormality in record.abnormalities:
                centre = abnormality.center(film.shape[0])
                label = _lesion_label(task, abnormality.severity)
                if centre is None or abnormality.radius is None or label is None:
                    continue
                for k in range(per_lesion):
                    dy, dx = (0, 0) if k == 0 else rng.integers(-shift, shift + 1, size=2)
                    images.append(
                        _crop(film, centre[0] + int(dy), centre[1] + int(dx), context, patch_size)
                    )
                    labels.append(label)
                    refs.append(record.ref)
        elif task == "abnormal" and per_normal_film:
            centres = _breast_centres(film, context)
            for row, col in centres[rng.integers(0, len(centres), size=per_normal_film)]:
                dy, dx = rng.integers(-(_COARSE // 2), _COARSE // 2, size=2)
                images.append(_crop(film, int(row + dy), int(col + dx), context, patch_size))
                labels.append(0)
                refs.append(record.ref)
    if not images:
        raise ValueError(f"no {task} patches found in {os.fspath(root)!r}")
    return PatchSet(
        np.stack(images), np.asarray(labels, np.int64), refs, MIAS_TASKS[task]
    )


def split_by_patient(
    patches: PatchSet, test_fraction: float = 0.25, seed: int = 0
) -> tuple[PatchSet, PatchSet]:
    """Split patches so that every patient is wholly in train or wholly in test.

    Patients are stratified by their largest label (for ``abnormal``: whether they have an
    abnormal patch); within each stratum ``round(test_fraction * n)`` patients, at least one
    when the stratum has two or more, go to test.

    Parameters
    ----------
    patches
        From :func:`mias_patches`.
    test_fraction
        Share of the patients in the test split, in ``(0, 1)``.
    seed
        Seed of the patient shuffle.

    Returns
    -------
    tuple of PatchSet
        ``(train, test)``.

    Examples
    --------
    >>> ps = PatchSet(np.zeros((6, 4, 4), np.uint8), np.array([1, 1, 0, 0, 1, 0]),
    ...               ["mdb001", "mdb002", "mdb003", "mdb005", "mdb007", "mdb009"],
    ...               ("normal", "abnormal"))
    >>> train, test = split_by_patient(ps, 0.5, seed=0)
    >>> a, b = set(train.patients.tolist()), set(test.patients.tolist())
    >>> sorted(a | b), a & b
    ([1, 2, 3, 4, 5], set())
    """
    try:
        in_test = held_out_groups(patches.labels, patches.patients, test_fraction, seed)
    except ValueError as err:
        raise ValueError(f"test_fraction: {err}") from None
    return patches.subset(~in_test), patches.subset(in_test)


def read_mias_task(
    root: str | os.PathLike,
    *,
    mias_task: str = "abnormal",
    split_seed: int = 0,
    test_fraction: float = 0.25,
    **patch_options: Any,
) -> Task:
    """The mini-MIAS evaluation task: patches of the training patients, then the test patients'.

    Parameters
    ----------
    root
        The mini-MIAS folder.
    mias_task
        ``"abnormal"`` or ``"malignancy"``.
    split_seed, test_fraction
        Seed and share of the patient split (:func:`split_by_patient`).
    **patch_options
        Options of :func:`mias_patches`.

    Returns
    -------
    Task
        Its ``groups`` are the pool's patients, so a validation split keeps patients whole.
    """
    patches = mias_patches(root, task=mias_task, **patch_options)
    train, test = split_by_patient(patches, test_fraction=test_fraction, seed=split_seed)
    classes = patches.classes
    description = (
        f"mini-MIAS {classes[0]} vs {classes[1]} patches "
        f"({train.images.shape[1]} x {train.images.shape[2]}), split by patient"
    )
    info = dict(
        mias_task=mias_task,
        split_seed=split_seed,
        test_fraction=test_fraction,
        patch_options=patch_options,
        train_patients=len(set(train.patients.tolist())),
        test_patients=len(set(test.patients.tolist())),
        train_class_counts=np.bincount(train.labels, minlength=2).tolist(),
        test_class_counts=np.bincount(test.labels, minlength=2).tolist(),
    )
    return Task("mias", train.images, train.labels, test.images, test.labels, classes,
                description, info, groups=train.patients)
