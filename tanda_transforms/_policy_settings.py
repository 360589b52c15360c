"""What a policy's ``p``, ``frame`` and ``seq_len`` may be: one check each, used by
:class:`~tanda_transforms.TANDAPolicy`'s setters, the command line and the harness (split
from :mod:`tanda_transforms.policy`, which re-exports them).
"""

from __future__ import annotations

from typing import Any

from tanda_transforms._limits import MAX_SEQ_LEN
from tanda_transforms._policy_header import MAX_FRAME

__all__ = ["check_frame", "check_probability", "check_seq_len"]


def check_probability(value: Any) -> float:
    """``value`` as a policy's ``p``, or ValueError: a probability in [0, 1].

    Examples
    --------
    >>> check_probability(1)
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {value!r}")
    return float(value)


def check_frame(value: Any) -> int:
    """``value`` as a policy's ``frame``, or ValueError: an int in [0, MAX_FRAME] (pixels).

    Examples
    --------
    >>> check_frame(4)
    4
    """
    return _int_in(value, "frame", 0, MAX_FRAME, " (pixels)")


def check_seq_len(value: Any) -> int:
    """``value`` as a policy's ``seq_len``, or ValueError: an int in [1, MAX_SEQ_LEN].

    Examples
    --------
    >>> check_seq_len(2)
    2
    """
    return _int_in(value, "seq_len", 1, MAX_SEQ_LEN)


def _int_in(value: Any, name: str, low: int, high: int, unit: str = "") -> int:
    """``value`` if it is an int (not a bool) in ``[low, high]``, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}]{unit}, got {value!r}")
    return value
