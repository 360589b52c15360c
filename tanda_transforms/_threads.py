"""How many torch threads the learner gets when the user does not say: one per idle core.

The learner's networks are small: with every core busy elsewhere, torch's default (one thread
per core) oversubscribes them and a step slows several-fold (docs/learning.md: the demo's 40
steps took 43-54 s with 2 threads vs 17-27 s with 1 on a 2-core machine running two other
jobs; on a quiet machine 2 threads were the faster). So the default follows the load.
"""

from __future__ import annotations

import os

__all__ = ["idle_cores", "learning_threads"]


def idle_cores() -> float | None:
    """Cores this process may use minus the 1-minute load average, or ``None`` if unknown.

    Examples
    --------
    >>> idle = idle_cores()
    >>> idle is None or idle <= (os.cpu_count() or 1)
    True
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows, or no load average
        return None
    return cores - load


def learning_threads(requested: int | None, default: int, idle: float | None) -> int:
    """Threads to learn with: ``requested`` if given, else ``default`` capped by the idle cores.

    Parameters
    ----------
    requested
        What the user asked for (``--threads``), or ``None``.
    default
        torch's own choice (``torch.get_num_threads()``).
    idle
        :func:`idle_cores`; ``None`` (unknown) keeps ``default``.

    Examples
    --------
    >>> learning_threads(None, default=2, idle=1.9)   # a quiet 2-core machine
    2
    >>> learning_threads(None, default=2, idle=-0.8)  # two other jobs on 2 cores
    1
    >>> learning_threads(3, default=2, idle=-0.8)
    3
    """
    if requested is not None:
        return requested
    if idle is None:
        return default
    return max(1, min(default, round(idle)))
