"""The label-preservation term: the labels a user has, in the generator's cost (beyond the paper).

A discriminator judges realism only, and realistic is not label-preserving: a word swap
between the two entities of a relation sentence keeps it natural and can change its relation;
a flip turns a 6 into a 9. With ``learn_policy(..., labels=...)`` the labeled items (label
``>= 0``; ``-1`` marks an unlabeled one) train a small classifier before learning (or the
user passes a trained one), and every labeled item's sequences pay, at each step ``t``, for how
far the sequence has moved the classifier's prediction from its prediction on the original::

    c_t += label_weight * KL(p(. | x_0) || p(. | x_t))        (0 at t = 0)

so that ``r_t = c_t - c_(t-1)`` charges each TF for the change it made. Unlabeled items keep
the realism cost alone. The classifier is frozen while the policy learns (trained on the
originals only, it would otherwise learn to ignore what the TFs change).

The term keeps, per TF, the mean of its own step's share ``KL_t - KL_(t-1)`` over the times a
labeled item's sequence applied it: the policy's metadata (``training["labels"]``) records it
with how many items were labeled and the weight, and ``tanda show`` lists the TFs the term
pushed down (:func:`label_lines`).

Examples
--------
>>> labels = check_labels([0, -1, 1, 1], n_items=4)
>>> labels.tolist(), int((labels >= 0).sum())
([0, -1, 1, 1], 3)
>>> label_lines({"labeled": 3, "items": 4, "classes": 2, "weight": 1.0,
...              "classifier": "default", "train_accuracy": 1.0,
...              "tf_penalty": [0.0, 2.5], "tf_names": ["a()", "b()"]})[1]
'  label term pushed down (mean KL per application): b() 2.500, a() 0.000'
"""

from __future__ import annotations

import math
import numbers
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as tnf

from tanda_transforms._learn_steps import eval_mode

__all__ = ["LabelTerm", "check_labels", "label_lines", "label_term", "load_label_state",
           "read_labels"]

UNLABELED = -1
_CLASSIFIER_LR = 1e-3


def check_labels(labels: Any, n_items: int) -> np.ndarray:
    """``labels`` as an int64 array of one label per item, ``-1`` for unlabeled ones.

    Raises
    ------
    TypeError
        For labels that are not integers (floats with a fraction, bools, strings).
    ValueError
        For a length other than ``n_items``, a label below -1, or no labeled item.
    """
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"labels must be integers (-1 for unlabeled items), got dtype "
                        f"{array.dtype}")
    if array.ndim != 1 or len(array) != n_items:
        raise ValueError(f"labels must be one per item: {n_items} values, got shape "
                         f"{array.shape}")
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.mod(array, 1) == 0):
        raise TypeError("labels must be integers (-1 for unlabeled items), got non-integer "
                        "floats")
    array = array.astype(np.int64)
    if np.any(array < UNLABELED):
        raise ValueError(f"labels must be >= 0, or -1 for unlabeled items; got "
                         f"{int(array.min())}")
    if not np.any(array >= 0):
        raise ValueError("labels has no labeled item (all -1): pass labels=None to learn "
                         "from realism alone")
    return array


def label_term(labels: Any, classifier: nn.Module | None, data: Any, n_tfs: int, config: Any,
               seed: int) -> LabelTerm | None:
    """The label-preservation term of a learner with labels (None without), its settings
    from ``config`` (a :class:`~tanda_transforms.learn.LearnConfig`)."""
    if labels is None:
        if classifier is not None:
            raise ValueError("classifier needs labels: one per item, -1 for the unlabeled ones "
                             "(the term applies to the labeled items)")
        return None
    return LabelTerm(labels, data, n_tfs, weight=config.label_weight, steps=config.label_steps,
                     batch_size=config.batch_size, width=config.d_width, seed=seed,
                     classifier=classifier)


def read_labels(path: str | os.PathLike) -> np.ndarray:
    """Labels from a file: a ``.npy`` array (never unpickled) or text, one int per line
    (blank lines skipped); ``-1`` marks an unlabeled item.

    Raises
    ------
    ValueError
        For a line that is not an int (naming it), or an ``.npy`` file that is not one
        integer array of one dimension.
    """
    path = Path(path)
    if path.suffix == ".npy":
        array = np.load(path, allow_pickle=False)
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"{path}: expected a 1-D integer array, got {array.dtype} of "
                             f"shape {array.shape}")
        return array.astype(np.int64)
    values = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                values.append(int(line))
            except ValueError:
                raise ValueError(f"{path}, line {number}: expected an int label (-1 for "
                                 f"unlabeled), got {line.strip()!r:.40}") from None
    return np.asarray(values, np.int64)


class LabelTerm:
    """The classifier and the label cost of a learner's steps.

    Parameters
    ----------
    labels
        One label per item of ``data`` (-1: unlabeled), see :func:`check_labels`.
    data
        The learner's data (:class:`~tanda_transforms._learn_images.ImageData` or
        :class:`~tanda_transforms.text.learn.TextData`): it encodes items as D takes them and
        builds the default classifier.
    n_tfs, weight, steps, batch_size, width
        TFs in the library; ``LearnConfig.label_weight``, ``label_steps``, ``batch_size``
        and ``d_width``.
    seed
        Seeds the default classifier's weights and the order of its training batches.
    classifier
        A trained ``nn.Module`` from items as D takes them to ``N x K`` logits (``K`` more
        than the largest label), used as it is; default: a network like the default D with
        ``K`` outputs, trained on the labeled items for ``steps`` steps.
    """

    def __init__(self, labels: Any, data: Any, n_tfs: int, *, weight: float, steps: int,
                 batch_size: int, width: int, seed: int,
                 classifier: nn.Module | None = None) -> None:
        self.labels = check_labels(labels, len(data))
        self.labeled = np.flatnonzero(self.labels >= 0)
        self.n_classes = int(self.labels.max()) + 1
        self.data, self.weight, self.steps, self.batch_size = data, weight, steps, batch_size
        self.seed, self.given = seed, classifier is not None
        if classifier is None:
            if self.n_classes < 2:
                raise ValueError("the default classifier needs at least 2 classes among the "
                                 f"labeled items, got only class 0 ({len(self.labeled)} items)")
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                classifier = data.default_classifier(width, self.n_classes)
        self.classifier = data.prepare(classifier, default=False)
        self.fitted = self.given
        self.seconds, self.last_kl = 0.0, 0.0  # time in fit and cost; the last step's mean KL
        self.fit_seconds = 0.0
        self.train_accuracy: float | None = None
        self.penalty_sum = np.zeros(n_tfs)
        self.penalty_count = np.zeros(n_tfs, np.int64)
        self._check_outputs()

    def _check_outputs(self) -> None:
        x = self._encode(self.labeled[:2])
        with eval_mode(self.classifier), torch.no_grad():
            out = self.classifier(x)
        if out.ndim != 2 or out.shape[0] != len(x) or out.shape[1] < max(self.n_classes, 2):
            raise ValueError(
                f"the label classifier must map N items to N x K logits with K >= "
                f"{max(self.n_classes, 2)} (more than the largest label); for N = {len(x)} it "
                f"returned shape {tuple(out.shape)}")

    def _encode(self, indices: np.ndarray) -> torch.Tensor:
        return self.data.to_discriminator(self.data.encode(self.data.batch(indices)))

    # --- the classifier -----------------------------------------------------------------

    def fit(self) -> None:
        """Train the default classifier on the labeled items (once; a given one is kept)."""
        if self.fitted:
            return
        started = time.perf_counter()
        opt = torch.optim.Adam(self.classifier.parameters(), lr=_CLASSIFIER_LR)
        rng = np.random.default_rng(self.seed)
        targets = torch.from_numpy(self.labels).to(self.data.device)
        self.classifier.train()
        for _ in range(self.steps):
            pick = rng.choice(self.labeled, min(self.batch_size, len(self.labeled)),
                              replace=False)
            loss = tnf.cross_entropy(self.classifier(self._encode(pick)),
                                     targets[torch.from_numpy(pick).to(targets.device)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.classifier.eval()
        self.fitted = True
        self.train_accuracy = self._accuracy()
        self.fit_seconds = time.perf_counter() - started

    def _accuracy(self) -> float:
        correct = 0
        with torch.no_grad():
            for start in range(0, len(self.labeled), 256):
                pick = self.labeled[start : start + 256]
                predicted = self.classifier(self._encode(pick)).argmax(1).cpu().numpy()
                correct += int((predicted == self.labels[pick]).sum())
        return correct / len(self.labeled)

    # --- the cost of a step -------------------------------------------------------------

    def cost(self, states: Any, items: np.ndarray, actions: torch.Tensor) -> torch.Tensor:
        """``(L + 1) x M`` label cost of a step's roll-out: its ``states`` ``x_0 .. x_L`` as
        D takes them, read one ``t`` at a time, the labeled items' sequences only
        (``states[t, rows]``, :mod:`tanda_transforms._learn_states`); ``items`` the step's
        item indices (each repeated ``M / len(items)`` times in a row, one per sequence),
        ``actions`` the ``M x L`` TFs drawn. Zero for the sequences of unlabeled items.
        Also counts each TF's share of the change."""
        started = time.perf_counter()
        self.fit()
        per_item = len(actions) // len(items)
        mask = np.repeat(self.labels[items] >= 0, per_item)
        out = torch.zeros(len(states), len(actions), device=self.data.device)
        if not mask.any():  # no labeled item in the step: no term (and last_kl 0)
            self.seconds, self.last_kl = self.seconds + time.perf_counter() - started, 0.0
            return out
        chosen = torch.from_numpy(np.flatnonzero(mask)).to(self.data.device)
        with eval_mode(self.classifier), torch.no_grad():
            logits = torch.stack([self.classifier(self.data.to_discriminator(states[t, chosen]))
                                  for t in range(len(states))])
        log_p = tnf.log_softmax(logits.float(), -1)  # (L + 1) x m x K
        kl = (log_p[0].exp() * (log_p[0] - log_p)).sum(-1).clamp_min(0)  # (L + 1) x m
        self._count(kl[1:] - kl[:-1], actions[chosen.to(actions.device)])
        out[:, chosen] = self.weight * kl
        self.last_kl = float(kl[-1].mean())
        self.seconds += time.perf_counter() - started
        return out

    def _count(self, shares: torch.Tensor, actions: torch.Tensor) -> None:
        tfs = actions.T.flatten().cpu().numpy()  # L x m, as shares
        np.add.at(self.penalty_sum, tfs, shares.flatten().double().cpu().numpy())
        np.add.at(self.penalty_count, tfs, 1)

    # --- checkpoints and metadata -------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        return {
            "classifier": self.classifier.state_dict(),
            "fitted": self.fitted,
            "seconds": self.seconds,
            "fit_seconds": self.fit_seconds,
            "train_accuracy": self.train_accuracy,
            "penalty_sum": torch.from_numpy(self.penalty_sum.copy()),
            "penalty_count": torch.from_numpy(self.penalty_count.copy()),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            self.classifier.load_state_dict(state["classifier"])
        except RuntimeError as error:  # missing, unexpected or reshaped weights
            raise ValueError(
                "the checkpoint's label classifier does not fit this run's (saved with another "
                "classifier, or by a version whose default classifier differed: the text one "
                f"reads positions since 2026-12-07); start the run afresh. {error}") from None
        self.fitted, self.train_accuracy = bool(state["fitted"]), state["train_accuracy"]
        self.seconds, self.fit_seconds = float(state["seconds"]), float(state["fit_seconds"])
        self.penalty_sum = state["penalty_sum"].numpy().copy()
        self.penalty_count = state["penalty_count"].numpy().copy()

    def describe(self, ranks: Any, names: list[str]) -> dict[str, Any]:
        """What the policy's ``metadata["training"]["labels"]`` records (all ranks call it:
        the per-TF sums are summed over them)."""
        sums = ranks.sum_over_ranks(torch.from_numpy(self.penalty_sum)).numpy()
        counts = ranks.sum_over_ranks(torch.from_numpy(self.penalty_count)).numpy()
        penalty = [round(float(s / c), 5) if c else None for s, c in zip(sums, counts,
                                                                          strict=True)]
        accuracy = self.train_accuracy
        return {
            "labeled": len(self.labeled),
            "items": len(self.labels),
            "classes": self.n_classes,
            "weight": self.weight,
            "classifier": "given" if self.given else "default",
            "classifier_steps": 0 if self.given else self.steps,
            "train_accuracy": None if accuracy is None else round(accuracy, 4),
            "classifier_fit_s": round(self.fit_seconds, 2),
            "tf_names": list(names),
            "tf_penalty": penalty,
            "tf_applications": [int(c) for c in counts],
        }


def load_label_state(term: LabelTerm | None, state: dict[str, Any] | None) -> None:
    """Restore ``term`` from a checkpoint's ``state["labels"]`` (None: a run without labels);
    ValueError when the checkpoint and the run differ in having labels."""
    if (state is None) != (term is None):
        raise ValueError("checkpoint and run differ in labels: resume with the labels (or "
                         "without them) as the checkpoint was made")
    if term is not None:
        term.load_state_dict(state)


def label_lines(labels: Any, top: int = 5) -> list[str]:
    """``tanda show``'s lines on a policy's label term (``metadata["training"]["labels"]``):
    how many items were labeled, the weight, and the TFs with the highest mean penalty
    (those the term pushed down). Malformed metadata gives a line saying so, never an error."""
    if not isinstance(labels, dict):
        return []
    try:
        head = (f"labels: {int(labels['labeled'])} of {int(labels['items'])} items labeled "
                f"({int(labels['classes'])} classes), label_weight {float(labels['weight'])}, "
                f"classifier {labels['classifier']}")
        accuracy = labels.get("train_accuracy")
        if isinstance(accuracy, numbers.Real):
            head += f" (accuracy on the labeled items {accuracy:.2f})"
        rows = [(float(p), str(n)) for p, n in zip(labels["tf_penalty"], labels["tf_names"],
                                                   strict=True)
                if isinstance(p, numbers.Real) and math.isfinite(p)]
    except (KeyError, TypeError, ValueError):
        return ["labels: (metadata not in the expected form)"]
    rows.sort(key=lambda row: -row[0])
    listed = ", ".join(f"{name} {penalty:.3f}" for penalty, name in rows[:top])
    return [head, f"  label term pushed down (mean KL per application): {listed or '-'}"]
