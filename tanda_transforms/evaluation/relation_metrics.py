"""The official score of SemEval-2010 Task 8, as its Perl scorer (v1.2) computes it.

The official score is the scorer's "(9+1)-WAY EVALUATION TAKING DIRECTIONALITY INTO ACCOUNT":
the macro-averaged F1 over the nine relations, ``Other`` excluded. For each relation ``r``
that occurs in the gold labels:

* ``correct``: sentences of gold relation ``r`` predicted with ``r`` *and* the right direction;
* ``wrong_direction``: sentences of gold relation ``r`` predicted ``r`` in the other direction
  (they count as wrong, for precision and recall alike);
* ``proposed``: the other predictions of relation ``r`` (``correct`` plus those whose gold is
  another relation or ``Other``), so ``proposed + wrong_direction`` is every prediction of
  relation ``r`` in either direction;
* ``P = correct / (proposed + wrong_direction)`` (0 when ``proposed`` is 0),
  ``R = correct / actual``, ``F1 = 2PR / (P + R)`` (0 when ``P + R`` is 0).

The macro averages divide by the number of relations present in the gold labels (nine for
the real test set); a relation predicted but absent from the gold labels enters no average.
All scores are in percent, as the scorer prints them. Unlike the scorer, a prediction is
needed for every sentence (no skipped ids).

Examples
--------
>>> gold = ["Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)", "Other"]
>>> pred = ["Cause-Effect(e1,e2)", "Cause-Effect(e1,e2)", "Cause-Effect(e1,e2)"]
>>> round(official_macro_f1(gold, pred), 2)  # P = 1/3, R = 1/2 for the one relation present
40.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from tanda_transforms.data.semeval import RELATION_LABELS, RELATIONS, undirected

__all__ = ["RelationReport", "RelationScore", "official_macro_f1", "relation_report"]

_LABELS = frozenset(RELATION_LABELS)


@dataclass(frozen=True)
class RelationScore:
    """Precision, recall and F1 of one relation in the official (directional) evaluation.

    Attributes
    ----------
    relation
        ``"Other"`` or one of the nine relations (no direction).
    correct, proposed, wrong_direction, actual
        The counts defined in the module doc (``wrong_direction`` is 0 for ``Other``).
    precision, recall, f1
        In percent.
    """

    relation: str
    correct: int
    proposed: int
    wrong_direction: int
    actual: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class RelationReport:
    """The official evaluation of a set of predictions.

    Attributes
    ----------
    scores
        One :class:`RelationScore` per relation present in the gold labels, ``Other`` first,
        then the relations in :data:`~tanda_transforms.data.semeval.RELATIONS` order.
    macro_precision, macro_recall, macro_f1
        Means over the relations other than ``Other`` (``macro_f1`` is the official score).
    micro_precision, micro_recall, micro_f1
        From the counts summed over the relations other than ``Other``.
    accuracy
        Share of sentences whose 19-way label is exactly right, ``Other`` included.
    """

    scores: tuple[RelationScore, ...]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    micro_precision: float
    micro_recall: float
    micro_f1: float
    accuracy: float

    def as_dict(self) -> dict[str, float]:
        """The averages and each relation's F1 (``f1/<relation>``), for a results file."""
        summary = {
            name: getattr(self, name)
            for name in ("macro_precision", "macro_recall", "macro_f1", "micro_precision",
                         "micro_recall", "micro_f1", "accuracy")
        }
        summary.update({f"f1/{s.relation}": s.f1 for s in self.scores})
        return summary

    def format(self) -> str:
        """A plain-text table in the spirit of the scorer's per-relation lines.

        Examples
        --------
        >>> print(relation_report(["Other", "Message-Topic(e1,e2)"],
        ...                       ["Other", "Message-Topic(e1,e2)"]).format())
        relation             correct proposed xdir actual      P      R     F1
        Other                      1        1    0      1 100.00 100.00 100.00
        Message-Topic              1        1    0      1 100.00 100.00 100.00
        macro (excl. Other)                               100.00 100.00 100.00
        micro (excl. Other)                               100.00 100.00 100.00
        accuracy 100.00
        """
        rows = [f"{'relation':<20} {'correct':>7} {'proposed':>8} {'xdir':>4} {'actual':>6} "
                f"{'P':>6} {'R':>6} {'F1':>6}"]
        for s in self.scores:
            rows.append(f"{s.relation:<20} {s.correct:>7} {s.proposed:>8} {s.wrong_direction:>4} "
                        f"{s.actual:>6} {s.precision:6.2f} {s.recall:6.2f} {s.f1:6.2f}")
        for kind in ("macro", "micro"):
            p, r, f1 = (getattr(self, f"{kind}_{name}") for name in ("precision", "recall", "f1"))
            rows.append(f"{kind + ' (excl. Other)':<49} {p:6.2f} {r:6.2f} {f1:6.2f}")
        rows.append(f"accuracy {self.accuracy:.2f}")
        return "\n".join(rows)


def _check_labels(gold: Sequence[str], pred: Sequence[str]) -> None:
    if isinstance(gold, str) or isinstance(pred, str):
        raise TypeError("gold and pred must be sequences of labels, not one string")
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    if not gold:
        raise ValueError("no labels to score")
    for name, labels in (("gold", gold), ("pred", pred)):
        for index, label in enumerate(labels):
            if label not in _LABELS:
                raise ValueError(
                    f"{name}[{index}] = {label!r} is not a SemEval-2010 Task 8 label; expected "
                    f"'Other' or a relation with its direction, e.g. 'Cause-Effect(e1,e2)'"
                )


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _percent(part: int, whole: int) -> float:
    return 0.0 if whole == 0 else 100.0 * part / whole


def relation_report(gold: Sequence[str], pred: Sequence[str]) -> RelationReport:
    """Score ``pred`` against ``gold`` as the official SemEval-2010 Task 8 scorer does.

    Parameters
    ----------
    gold, pred
        One label of :data:`~tanda_transforms.data.semeval.RELATION_LABELS` per sentence, in
        the same order.

    Returns
    -------
    RelationReport
        Per-relation P/R/F1 and the averages, in percent (see the module doc).

    Raises
    ------
    ValueError
        If the lengths differ, there is nothing to score, a label is not one of the 19, or
        the gold labels hold no relation other than ``Other`` (no macro average exists).

    Examples
    --------
    >>> report = relation_report(["Component-Whole(e1,e2)", "Other"],
    ...                          ["Component-Whole(e2,e1)", "Other"])
    >>> s = report.scores[1]
    >>> s.relation, s.correct, s.proposed, s.wrong_direction, s.f1, report.accuracy
    ('Component-Whole', 0, 0, 1, 0.0, 50.0)
    """
    _check_labels(gold, pred)
    actual: Counter[str] = Counter()
    proposed: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    wrong_direction: Counter[str] = Counter()
    for truth, guess in zip(gold, pred, strict=True):
        relation, guessed = undirected(truth), undirected(guess)
        actual[relation] += 1
        if guess != truth and guessed == relation:
            wrong_direction[relation] += 1  # the scorer's WRONG_DIR column
            continue
        proposed[guessed] += 1
        correct[relation] += guess == truth
    present = [r for r in ("Other", *RELATIONS) if actual[r]]
    scores = []
    for r in present:
        # the scorer tests proposed (not proposed + wrong_direction) for 0
        precision = _percent(correct[r], proposed[r] + wrong_direction[r]) if proposed[r] else 0.0
        recall = _percent(correct[r], actual[r])
        scores.append(RelationScore(r, correct[r], proposed[r], wrong_direction[r], actual[r],
                                    precision, recall, _f1(precision, recall)))
    relations = [s for s in scores if s.relation != "Other"]
    if not relations:
        raise ValueError("the gold labels hold no relation other than 'Other': no macro average")
    micro_correct = sum(s.correct for s in relations)
    micro_p = _percent(micro_correct, sum(s.proposed + s.wrong_direction for s in relations))
    micro_r = _percent(micro_correct, sum(s.actual for s in relations))
    return RelationReport(
        scores=tuple(scores),
        macro_precision=sum(s.precision for s in relations) / len(relations),
        macro_recall=sum(s.recall for s in relations) / len(relations),
        macro_f1=sum(s.f1 for s in relations) / len(relations),
        micro_precision=micro_p,
        micro_recall=micro_r,
        micro_f1=_f1(micro_p, micro_r),
        accuracy=_percent(sum(t == p for t, p in zip(gold, pred, strict=True)), len(gold)),
    )


def official_macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """The official SemEval-2010 Task 8 score: directional (9+1)-way macro-F1, in percent.

    See the module doc for the definition and :func:`relation_report` for the parameters
    and errors.

    Examples
    --------
    >>> official_macro_f1(["Other", "Entity-Origin(e1,e2)"], ["Other", "Entity-Origin(e1,e2)"])
    100.0
    """
    return relation_report(gold, pred).macro_f1
