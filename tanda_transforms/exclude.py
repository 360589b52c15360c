"""Policies that never draw some TFs: by hand, or the TFs a label-aware learning found
label-changing (beyond the paper).

:func:`exclude_tfs` returns a copy of a policy whose generator gives the named TFs
probability zero at every step; the other TFs keep their relative probabilities (a
mean-field policy's distribution is renormalised over them; a recurrent one's each step
given the steps before). The copy is an ordinary policy: it saves, loads and batches as any
other, and its metadata lists what was excluded (``metadata["excluded"]``).

:func:`drop_label_changing` excludes the TFs whose mean label-term penalty (the KL of the
label classifier's prediction per application, which ``learn_policy(..., labels=...)``
records in ``metadata["training"]["labels"]``) is above ``max_kl`` nats. Realism and labels
disagree on some TFs: a swap of the word between two entities reads naturally and changes
the relation. The label term lowers such TFs in the generator's cost; excluding them outright
is the hard version of the same evidence, and ``max_kl`` is a setting to choose on validation
(the harness's ``max_kl`` knob).

Examples
--------
>>> import torch
>>> from tanda_transforms import TANDAPolicy
>>> policy = TANDAPolicy("mnist", seq_len=3, seed=0)
>>> kept = exclude_tfs(policy, [0, 1])
>>> kept.sampler.tf_probabilities()[:2].tolist()
[0.0, 0.0]
>>> drawn = kept.sampler.draw(256, 3, torch.Generator().manual_seed(0))
>>> bool((drawn >= 2).all())
True
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from tanda_transforms.generators import MeanFieldSampler, RecurrentSampler
from tanda_transforms.policy import TANDAPolicy

__all__ = ["check_max_kl", "drop_label_changing", "exclude_tfs", "label_changing_tfs"]

#: How far below every drawable logit an excluded TF's logit is put: ``exp(-1000)`` is 0 in
#: float32 and float64, so the TF's probability is exactly zero.
_MARGIN = 1000.0


def exclude_tfs(policy: TANDAPolicy, tfs: Iterable[int | str], reason: str = "by hand"
                ) -> TANDAPolicy:
    """A copy of ``policy`` that never draws ``tfs`` (library indices, or names as
    ``policy.library.names`` gives them).

    Parameters
    ----------
    policy
        A policy with a :class:`~tanda_transforms.generators.MeanFieldSampler` or a
        :class:`~tanda_transforms.generators.RecurrentSampler` (LSTM or GRU).
    tfs
        The TFs to exclude; excluding none returns an unchanged copy.
    reason
        Recorded in the copy's ``metadata["excluded"]``.

    Raises
    ------
    ValueError
        An index out of range, an unknown name, or every TF excluded.
    TypeError
        Another kind of sampler, or an entry that is neither an int nor a str.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> policy = TANDAPolicy("mnist")
    >>> name = policy.library.names[0]
    >>> exclude_tfs(policy, [name]).metadata["excluded"]["tfs"] == [name]
    True
    """
    excluded = _indices(policy, tfs)
    if len(excluded) == len(policy.library):
        raise ValueError(f"cannot exclude every TF of the policy ({len(excluded)} given)")
    sampler = copy.deepcopy(policy.sampler)
    metadata = copy.deepcopy(policy.metadata)
    if excluded:
        _zero_probability(sampler, excluded)
        metadata["excluded"] = _exclusion_record(metadata.get("excluded"), policy.library.names,
                                                 excluded, reason)
    return TANDAPolicy(policy.library, sampler, policy.seq_len, seed=policy.seed,
                       block_size=policy.block_size, metadata=metadata, p=policy.p,
                       frame=policy.frame)


def _exclusion_record(before: Any, names: list[str], excluded: list[int], reason: str
                      ) -> dict[str, Any]:
    """``metadata["excluded"]`` after excluding ``excluded``: the TF names of an earlier
    record that name this policy's TFs (anything else in it is dropped), then these, in
    library order; the reasons joined."""
    record = before if isinstance(before, dict) else {}
    earlier = record.get("tfs") if isinstance(record.get("tfs"), list) else []
    known = set(names)
    tfs = {name for name in earlier if isinstance(name, str) and name in known}
    tfs |= {names[i] for i in excluded}
    reasons = [r for r in (record.get("reason"), reason) if isinstance(r, str) and r]
    return {"tfs": [name for name in names if name in tfs],
            "reason": "; ".join(dict.fromkeys(reasons))}


def label_changing_tfs(policy: TANDAPolicy, max_kl: float) -> list[int]:
    """Indices of the TFs whose mean label-term penalty is above ``max_kl`` (nats).

    TFs the labeled items never drew (no penalty recorded) are not counted as changing.

    Raises
    ------
    ValueError
        ``max_kl`` not a finite number >= 0, or a policy without the label term's record
        (learned without ``labels``) or with one that does not match its TFs.

    Examples
    --------
    See :func:`drop_label_changing`.
    """
    check_max_kl(max_kl)
    penalty = _recorded_penalty(policy)
    return [i for i, value in enumerate(penalty) if value is not None and value > max_kl]


def check_max_kl(value: Any) -> float:
    """``value`` as a label filter's threshold, or ValueError: a finite number >= 0 (nats).

    Examples
    --------
    >>> check_max_kl(0.05)
    0.05
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not 0 <= value < math.inf):
        raise ValueError(f"max_kl must be a finite number >= 0 (nats), got {value!r}")
    return float(value)


def drop_label_changing(policy: TANDAPolicy, max_kl: float) -> TANDAPolicy:
    """A copy of ``policy`` without the TFs :func:`label_changing_tfs` finds above ``max_kl``.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> policy = TANDAPolicy("mnist", seq_len=2)
    >>> # the record learn_policy(..., labels=...) writes, made by hand here
    >>> policy.metadata["training"] = {"labels": {
    ...     "tf_penalty": [0.5] + [0.01] * (len(policy.library) - 1),
    ...     "tf_names": policy.library.names}}
    >>> label_changing_tfs(policy, 0.1)
    [0]
    >>> float(drop_label_changing(policy, 0.1).sampler.tf_probabilities()[0])
    0.0
    """
    changing = label_changing_tfs(policy, max_kl)
    return exclude_tfs(policy, changing, reason=f"label term: mean KL per application > "
                                                f"{max_kl:g} nats")


def _recorded_penalty(policy: TANDAPolicy) -> list[float | None]:
    """The label term's per-TF mean penalty, checked against the policy's TFs."""
    training = policy.metadata.get("training")
    labels = training.get("labels") if isinstance(training, dict) else None
    if not isinstance(labels, dict):
        raise ValueError("the policy has no label-term record (metadata['training']['labels']): "
                         "learn it with learn_policy(..., labels=...)")
    penalty, names = labels.get("tf_penalty"), labels.get("tf_names")
    if (not isinstance(penalty, list) or not isinstance(names, list)
            or names != policy.library.names):
        raise ValueError("the policy's label-term record does not match its TFs: expected "
                         f"'tf_penalty' and 'tf_names' for its {len(policy.library)} TFs")
    for value in penalty:
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not math.isfinite(value)):
            raise ValueError(f"the label-term record's tf_penalty must hold finite numbers or "
                             f"null, got {value!r:.40}")
    return penalty


def _indices(policy: TANDAPolicy, tfs: Iterable[int | str]) -> list[int]:
    names = policy.library.names
    position = {name: i for i, name in reversed(list(enumerate(names)))}
    out = set()
    for tf in tfs:
        if isinstance(tf, str):
            if tf not in position:
                raise ValueError(f"unknown TF name {tf!r:.80}; the policy's TFs are named as "
                                 "policy.library.names gives them")
            out.add(position[tf])
        elif isinstance(tf, numbers.Integral) and not isinstance(tf, bool):
            if not 0 <= int(tf) < len(names):
                raise ValueError(f"TF index {tf} out of range for {len(names)} TFs")
            out.add(int(tf))
        else:
            raise TypeError(f"TFs to exclude are indices (int) or names (str), got "
                            f"{type(tf).__name__}")
    return sorted(out)


@torch.no_grad()
def _zero_probability(sampler: Any, excluded: Sequence[int]) -> None:
    """Put the excluded TFs' logits ``_MARGIN`` below the lowest logit any other TF can
    have, in place."""
    if not isinstance(sampler, MeanFieldSampler | RecurrentSampler):
        raise TypeError(f"exclude_tfs supports mean-field and recurrent samplers, got "
                        f"{type(sampler).__name__}")
    device = next(sampler.parameters()).device
    index = torch.tensor(excluded, dtype=torch.long, device=device)
    kept = _kept(sampler.n_tfs, index)
    if isinstance(sampler, MeanFieldSampler):
        sampler.logits[index] = sampler.logits[kept].min() - _MARGIN
        return
    # the head reads the recurrent output, whose entries lie in [-1, 1] (LSTM and GRU): a
    # kept TF's logit is at least its bias minus the sum of its row's |weights|
    head = sampler.head
    floor = (head.bias[kept] - head.weight[kept].abs().sum(1)).min()
    head.weight[index] = 0.0
    head.bias[index] = floor - _MARGIN


def _kept(n: int, excluded: torch.Tensor) -> torch.Tensor:
    keep = torch.ones(n, dtype=torch.bool, device=excluded.device)
    keep[excluded] = False
    return keep
