"""Sequence samplers: the TANDA generator's interface.

A sampler draws ``n`` sequences of ``seq_len`` TF indices in ``[0, n_tfs)`` with their
per-step log-probabilities. Two kinds, as in the paper:

- :class:`MeanFieldSampler`: one categorical over the TFs, i.i.d. per step. With all logits zero
  it is uniform: the paper's "heuristic" baseline (random composition of the same TFs).
- :class:`RecurrentSampler`: an LSTM (or GRU) fed the previous action, so it can learn which
  TF should follow which (e.g. never two big rotations in a row).

Every sampler takes a ``torch.Generator`` so sampling is reproducible, and is described by
plain data (:meth:`SequenceSampler.config`) plus its ``state_dict``. The kinds, and how a
config becomes a sampler again, are registered in :mod:`tanda_transforms.generator_kinds`.

Examples
--------
>>> import torch
>>> from tanda_transforms.generators import MeanFieldSampler, RecurrentSampler
>>> g = torch.Generator().manual_seed(0)
>>> actions, log_probs = RecurrentSampler(5).sample(3, 4, generator=g)
>>> actions.shape, log_probs.shape
(torch.Size([3, 4]), torch.Size([3, 4]))
>>> MeanFieldSampler(4).tf_probabilities().tolist()
[0.25, 0.25, 0.25, 0.25]
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tanda_transforms._limits import MAX_HIDDEN_SIZE

__all__ = [
    "SequenceSampler",
    "MeanFieldSampler",
    "RecurrentSampler",
    "MAX_HIDDEN_SIZE",
]


def _check_counts(n: int, seq_len: int) -> None:
    for name, value in (("n", n), ("seq_len", seq_len)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


class SequenceSampler(nn.Module):
    """Base class: subclasses define :meth:`step_logits` and :meth:`config`."""

    kind: str = ""
    #: Whether :meth:`tf_probabilities` is exact (else estimated by sampling).
    exact_probabilities: bool = False

    def __init__(self, n_tfs: int) -> None:
        super().__init__()
        if not isinstance(n_tfs, int) or n_tfs < 1:
            raise ValueError(f"n_tfs must be a positive int, got {n_tfs!r}")
        self.n_tfs = n_tfs

    def config(self) -> dict[str, Any]:
        """Plain data that, with ``state_dict``, rebuilds this sampler."""
        raise NotImplementedError

    def log_prob(self, actions: torch.Tensor) -> torch.Tensor:
        """Per-step log-probabilities (``n x L``) of given action sequences (``n x L``)."""
        logits = self.sequence_logits(actions)
        return torch.log_softmax(logits, -1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)

    def sequence_logits(self, actions: torch.Tensor) -> torch.Tensor:
        """Logits ``n x L x K`` for each step of given sequences (teacher forcing)."""
        raise NotImplementedError

    def entropy(self, actions: torch.Tensor) -> torch.Tensor:
        """Entropy ``n x L`` of each step's distribution along given sequences."""
        log_p = torch.log_softmax(self.sequence_logits(actions), -1)
        return -(log_p.exp() * log_p).sum(-1)

    def sample(
        self, n: int, seq_len: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``n`` sequences of ``seq_len`` actions; returns (actions, log-probs), ``n x L``.

        Log-probabilities carry gradients when autograd is on (for REINFORCE).
        """
        raise NotImplementedError

    @torch.no_grad()
    def draw(
        self, n: int, seq_len: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Draw ``n`` sequences of ``seq_len`` actions (``n x L``), without log-probabilities
        or gradients: the same distribution as :meth:`sample`. The built-in samplers draw by
        inverse CDF (one uniform number per action, several times cheaper than
        ``torch.multinomial`` on CPUs; not the same stream as :meth:`sample`); by default,
        :meth:`sample`'s actions. For batched policies.

        Examples
        --------
        >>> import torch
        >>> s = MeanFieldSampler(3, logits=[0.0, 100.0, 0.0])
        >>> s.draw(2, 3, generator=torch.Generator().manual_seed(0)).tolist()
        [[1, 1, 1], [1, 1, 1]]
        """
        return self.sample(n, seq_len, generator)[0]

    @torch.no_grad()
    def tf_probabilities(
        self, seq_len: int = 10, n: int = 4096, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """How often each TF is chosen per step (estimated by sampling where not exact)."""
        actions, _ = self.sample(n, seq_len, generator=generator)
        counts = torch.bincount(actions.flatten().cpu(), minlength=self.n_tfs)
        return counts.double() / counts.sum()

    def _device(self) -> torch.device:
        return next(self.parameters()).device


def _draw(logits: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    probs = torch.softmax(logits.detach().float(), -1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def _inverse_cdf(logits: torch.Tensor, draws: int, generator: torch.Generator | None
                 ) -> torch.Tensor:
    """``draws`` actions from the categorical of ``logits`` ``[K]`` (or one per row of
    ``[n, K]``, ``draws = n``): the first index whose cumulative probability exceeds a
    uniform number (zero-probability TFs are never drawn)."""
    cdf = torch.softmax(logits.detach().double(), -1).cumsum_(-1)
    shape = (draws,) if cdf.ndim == 1 else (draws, 1)
    u = torch.rand(shape, generator=generator, dtype=torch.float64, device=cdf.device)
    actions = torch.searchsorted(cdf, u.mul_(cdf[..., -1:]), right=True)
    return actions.clamp_(max=cdf.shape[-1] - 1).reshape(draws)


class MeanFieldSampler(SequenceSampler):
    """One categorical over the TFs, drawn independently at every step.

    Parameters
    ----------
    n_tfs
        Number of TFs (K).
    logits
        Optional initial logits (length K); zeros (uniform) by default.

    Examples
    --------
    >>> import torch
    >>> s = MeanFieldSampler(3, logits=[0.0, 0.0, 100.0])
    >>> s.sample(2, 3, generator=torch.Generator().manual_seed(0))[0].tolist()
    [[2, 2, 2], [2, 2, 2]]
    """

    kind = "mean_field"
    exact_probabilities = True

    def __init__(self, n_tfs: int, logits: list[float] | None = None) -> None:
        super().__init__(n_tfs)
        init = torch.zeros(n_tfs) if logits is None else torch.as_tensor(logits, dtype=torch.float)
        if init.shape != (n_tfs,):
            raise ValueError(f"logits must have length n_tfs={n_tfs}, got {tuple(init.shape)}")
        self.logits = nn.Parameter(init.clone())

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_tfs": self.n_tfs}

    def sequence_logits(self, actions: torch.Tensor) -> torch.Tensor:
        return self.logits.expand(*actions.shape, self.n_tfs)

    def sample(self, n, seq_len, generator=None):
        _check_counts(n, seq_len)
        logits = self.logits.expand(n * seq_len, self.n_tfs)
        actions = _draw(logits, generator).view(n, seq_len)
        return actions, self.log_prob(actions)

    @torch.no_grad()
    def draw(self, n, seq_len, generator=None):
        _check_counts(n, seq_len)
        return _inverse_cdf(self.logits, n * seq_len, generator).view(n, seq_len)

    @torch.no_grad()
    def tf_probabilities(self, seq_len=10, n=4096, generator=None):
        """Exact: the softmax of the logits."""
        return torch.softmax(self.logits.double(), -1).cpu()


class RecurrentSampler(SequenceSampler):
    """A state-based generator: an LSTM or GRU whose input is the previous action.

    Parameters
    ----------
    n_tfs
        Number of TFs (K).
    hidden_size
        Width of the recurrent state.
    cell
        ``"lstm"`` (the paper's choice) or ``"gru"``.

    Examples
    --------
    >>> import torch
    >>> s = RecurrentSampler(4, hidden_size=8)
    >>> a, lp = s.sample(2, 5, generator=torch.Generator().manual_seed(1))
    >>> torch.allclose(lp, s.log_prob(a))
    True
    """

    def __init__(self, n_tfs: int, hidden_size: int = 64, cell: str = "lstm") -> None:
        super().__init__(n_tfs)
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}.get(cell)
        if rnn is None:
            raise ValueError(f"cell must be 'lstm' or 'gru', got {cell!r}")
        self.kind = cell
        self.hidden_size = hidden_size
        self.embed = nn.Embedding(n_tfs + 1, hidden_size)  # index n_tfs is the start token
        self.rnn = rnn(hidden_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, n_tfs)

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_tfs": self.n_tfs, "hidden_size": self.hidden_size}

    def _start(self, n: int) -> torch.Tensor:
        return torch.full((n, 1), self.n_tfs, dtype=torch.long, device=self._device())

    def sequence_logits(self, actions: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([self._start(actions.shape[0]), actions[:, :-1]], dim=1)
        out, _ = self.rnn(self.embed(inputs))
        return self.head(out)

    def sample(self, n, seq_len, generator=None):
        """Drawn step by step without autograd, then scored in one pass over the sequences
        (the same log-probabilities: a step's input is the action drawn before it), whose
        backward costs a fraction of one through ``seq_len`` single-step graphs."""
        _check_counts(n, seq_len)
        actions = self._unroll(n, seq_len, lambda z: _draw(z, generator))
        log_p = torch.log_softmax(self.sequence_logits(actions), -1)
        return actions, log_p.gather(-1, actions[..., None])[..., 0]

    def draw(self, n, seq_len, generator=None):
        _check_counts(n, seq_len)
        return self._unroll(n, seq_len, lambda z: _inverse_cdf(z, n, generator))

    @torch.no_grad()
    def _unroll(self, n: int, seq_len: int, pick) -> torch.Tensor:
        """``n x seq_len`` actions, each drawn by ``pick(logits)`` of its step and fed back
        as the next step's input."""
        prev, state, actions = self._start(n), None, []
        for _ in range(seq_len):
            out, state = self.rnn(self.embed(prev), state)
            actions.append(pick(self.head(out[:, 0])))
            prev = actions[-1][:, None]
        return torch.stack(actions, 1)
