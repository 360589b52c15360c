"""Limits on the work a policy file may ask for, checked when it loads.

A policy file is small, but what it declares decides the cost of using it: a mean-field
sampler over 10,000 TFs with ``seq_len`` 1,000 fits in 580 KB and its first call would
allocate 10 GB; an LSTM with a 4,096-wide state and ``seq_len`` 1,000 takes minutes a
call. Loading refuses, with :class:`PolicyLimitError`, a file whose sampler exceeds these
limits, before anything it sizes is allocated. They are module attributes a caller may
raise (or set to ``None`` to switch off) to load a policy they trust, as Pillow's
``Image.MAX_IMAGE_PIXELS``::

    import tanda_transforms.limits
    tanda_transforms.limits.MAX_DRAW_WORK = 10**12

The defaults are far above the policies this package learns (an LSTM of width 64 over 25
TFs, ``seq_len`` 10: 0.09 G multiply-adds and 0.26 MB of logits a block) and above every gallery
policy. A policy draws its sequences ``DRAW_BLOCK`` at a time (the first call draws a
block), so the costs are those of one block:

* :data:`MAX_DRAW_BYTES`: the logits a block of draws holds, ``block x seq_len x n_tfs``
  float32 values (default 256 MiB: ``seq_len x n_tfs`` up to 262,144);
* :data:`MAX_DRAW_WORK`: multiply-adds of the recurrent sampler over a block (default
  5e10, about 7 s on one core measured at ~7 G multiply-adds/s; an LSTM of width 1,024,
  100 TFs, ``seq_len`` 10 is 2.2e10, 3.1 s);
* :data:`MAX_HIDDEN_SIZE`: the recurrent state's width (default 1,024: 34 MB of LSTM
  weights).

One limit bounds the work of a text policy's call, whatever file it came from:
:data:`MAX_SENTENCE_CHARS` (default 100,000 characters, tags and spaces included; a call
is linear in the sentence: measured 1.8 s on one million characters and 2.2 s on 10,000
nested tags before this limit, so ~0.2 s at the limit). A longer sentence raises
``ValueError`` naming the limit.

Examples
--------
>>> draw_cost({"kind": "lstm", "n_tfs": 25, "hidden_size": 64}, seq_len=10)
(256000, 88046080)
>>> check_draw({"kind": "mean_field", "n_tfs": 10_000}, seq_len=1000)
Traceback (most recent call last):
...
tanda_transforms.limits.PolicyLimitError: drawing 256 sequences of this policy would hold \
10240000000 bytes of logits (seq_len 1000 x 10000 TFs), above tanda_transforms.limits.\
MAX_DRAW_BYTES = 268435456; raise that limit to load a policy you trust
"""

from __future__ import annotations

from typing import Any

from tanda_transforms.generator_kinds import generator_kind
from tanda_transforms.policy_file import PolicyFileError

__all__ = [
    "PolicyLimitError",
    "MAX_DRAW_BYTES",
    "MAX_DRAW_WORK",
    "MAX_HIDDEN_SIZE",
    "MAX_SENTENCE_CHARS",
    "DRAW_BLOCK",
    "draw_cost",
    "check_draw",
    "check_sentence",
]

MAX_DRAW_BYTES: int | None = 256 * 2**20
MAX_DRAW_WORK: int | None = 5 * 10**10
MAX_HIDDEN_SIZE: int | None = 1024
MAX_SENTENCE_CHARS: int | None = 100_000
#: Sequences a policy draws at a time (``TANDAPolicy``'s default ``block_size``).
DRAW_BLOCK = 256

class PolicyLimitError(PolicyFileError):
    """A policy file asks for more work than :mod:`tanda_transforms.limits` allows."""


def draw_cost(config: dict[str, Any], seq_len: int, block: int = DRAW_BLOCK) -> tuple[int, int]:
    """``(bytes of logits, multiply-adds)`` of drawing ``block`` sequences from a sampler
    described by ``config`` (:meth:`SequenceSampler.config` output); the work of one action
    is its kind's ``step_work`` (:mod:`tanda_transforms.generator_kinds`)."""
    step_work = generator_kind(config["kind"]).step_work(config)
    return block * seq_len * config["n_tfs"] * 4, block * seq_len * step_work


def _well_formed(config: Any) -> bool:
    """A registered kind's keys, every value but the kind a plain int."""
    try:
        kind = generator_kind(config["kind"])
    except (KeyError, TypeError, ValueError):
        return False
    sizes = [config[key] for key in kind.config_keys() - {"kind"} if key in config]
    return set(config) == kind.config_keys() and all(
        isinstance(v, int) and not isinstance(v, bool) for v in sizes)


def check_draw(config: dict[str, Any], seq_len: int) -> None:
    """Raise :class:`PolicyLimitError` if drawing from this sampler exceeds the limits.

    A config that is not well formed (an unregistered kind, other keys, a size that is not
    an int) passes: building the sampler refuses it."""
    if not _well_formed(config):
        return
    hidden = config.get("hidden_size")
    if MAX_HIDDEN_SIZE is not None and isinstance(hidden, int) and hidden > MAX_HIDDEN_SIZE:
        raise PolicyLimitError(
            f"the policy's recurrent sampler is {hidden} wide, above "
            f"tanda_transforms.limits.MAX_HIDDEN_SIZE = {MAX_HIDDEN_SIZE}; {_RAISE}"
        )
    nbytes, work = draw_cost(config, seq_len)
    if MAX_DRAW_BYTES is not None and nbytes > MAX_DRAW_BYTES:
        raise PolicyLimitError(
            f"drawing {DRAW_BLOCK} sequences of this policy would hold {nbytes} bytes of "
            f"logits (seq_len {seq_len} x {config['n_tfs']} TFs), above "
            f"tanda_transforms.limits.MAX_DRAW_BYTES = {MAX_DRAW_BYTES}; {_RAISE}"
        )
    if MAX_DRAW_WORK is not None and work > MAX_DRAW_WORK:
        raise PolicyLimitError(
            f"drawing {DRAW_BLOCK} sequences of this policy takes {work:.3g} multiply-adds "
            f"(seq_len {seq_len}, {config['kind']} of width {hidden}), above "
            f"tanda_transforms.limits.MAX_DRAW_WORK = {MAX_DRAW_WORK:.3g}; {_RAISE}"
        )


def check_sentence(n_chars: int) -> None:
    """Raise ``ValueError`` if a sentence of ``n_chars`` characters exceeds the limit."""
    if MAX_SENTENCE_CHARS is not None and n_chars > MAX_SENTENCE_CHARS:
        raise ValueError(
            f"a sentence of {n_chars} characters is longer than a text policy takes "
            f"(tanda_transforms.limits.MAX_SENTENCE_CHARS = {MAX_SENTENCE_CHARS}); split it "
            f"or raise that limit"
        )


_RAISE = "raise that limit to load a policy you trust"
