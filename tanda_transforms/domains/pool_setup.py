"""Lesion pools for the ``tanda`` command's ``--lesion-pool`` option (show, apply, evaluate).

A policy with ``lesion_transplant`` TFs (the ``ddsm`` gallery policy) names the pool its TFs
draw lesions from; the command reads the pool the user gives (a mini-MIAS folder or a ``.npz``
written by :meth:`~tanda_transforms.domains.LesionPool.save`), registers it under those
names, and stops before the first image when a pool is missing, pointing to
:data:`LESION_POOL_GUIDE` (where to get mini-MIAS, its layout, and how to build a pool from
one's own images). Mistakes raise :class:`~tanda_transforms.domains.LesionPoolError` or
:class:`~tanda_transforms.domains.LesionPoolNotFoundError`, which the command reports in one
line.

Examples
--------
>>> from tanda_transforms import TANDAPolicy
>>> from tanda_transforms.domains.pool_setup import pool_names
>>> pool_names(TANDAPolicy.load("ddsm")), pool_names(TANDAPolicy.load("example"))
(['mini-mias'], [])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tanda_transforms.domains.lesion_pool import (
    LESION_POOL_GUIDE,
    LesionPool,
    LesionPoolError,
    LesionPoolNotFoundError,
    get_lesion_pool,
    register_lesion_pool,
)

__all__ = [
    "LESION_POOL_GUIDE",
    "missing_pool_message",
    "pool_names",
    "prepare_pools",
    "prepare_pools_of",
    "read_pool",
    "register_pool_file",
    "training_size",
]

def pool_names(policy) -> list[str]:
    """The lesion pools the policy's ``lesion_transplant`` TFs name."""
    return sorted({dict(tf.args)["pool"] for tf in policy.library if tf.op == "lesion_transplant"})


def read_pool(path: str | Path, size: int | None) -> LesionPool:
    """A pool from a ``.npz`` (:meth:`LesionPool.save`) or a mini-MIAS folder read at ``size``."""
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".npz":
        return LesionPool.load(path)
    if path.is_dir():
        return LesionPool.from_mias(path, size=size)
    raise LesionPoolError(f"--lesion-pool {path}: expected a mini-MIAS folder or a .npz file "
                          "(written by LesionPool.save)")


def training_size(policy) -> int | None:
    """The side of the images the policy was learned on, if its metadata records it."""
    shape = (policy.metadata.get("training") or {}).get("data_shape")
    return int(shape[1]) if isinstance(shape, list) and len(shape) >= 3 else None


def register_pool_file(path: str | None) -> LesionPool | None:
    """Read a ``.npz`` ``--lesion-pool`` and register it under its path; the pool, or ``None``.

    Done before the policy loads: a policy file may name a pool file only if a pool is
    registered under that very path (see :mod:`tanda_transforms.domains.mammography`).
    A mini-MIAS folder is read later, at the policy's training size.
    """
    if path is None or not path.lower().endswith(".npz"):
        return None
    pool = read_pool(path, None)
    register_lesion_pool(path, pool, replace=True)
    return pool


def _register_under(names: Sequence[str], pool: LesionPool) -> None:
    for pool_name in names:
        if not pool_name.endswith(".npz"):  # a .npz name is registered (or refused) by path
            register_lesion_pool(pool_name, pool, replace=True)


def missing_pool_message(policy_name: str, pool_name: str) -> str:
    """What to do when ``policy_name`` needs the pool ``pool_name`` and none is given.

    Examples
    --------
    >>> print(missing_pool_message("ddsm", "mini-mias"))  # doctest: +ELLIPSIS
    policy 'ddsm' transplants lesions from the pool 'mini-mias', which is not available here: ...
    """
    return (f"policy {policy_name!r} transplants lesions from the pool {pool_name!r}, which is "
            "not available here: pass --lesion-pool PATH, a mini-MIAS folder (Info.txt and the "
            "mdbNNN images, from http://peipa.essex.ac.uk/info/mias.html) or a .npz written by "
            "LesionPool.save (a pool can be cut from your own images and masks); the steps are "
            f"in {LESION_POOL_GUIDE}")


def prepare_pools(policy, policy_name: str, lesion_pool: str | None, pool_size: int | None,
                  pool: LesionPool | None = None) -> str | None:
    """Register ``lesion_pool`` under the policy's pool names; fail early if one is missing.

    ``pool`` is the pool :func:`register_pool_file` already read, if any. Checked before the
    first image, so a missing pool stops the command at once, whatever TF sequence would have
    been drawn. Returns the line to print about the pool used, if one was given.
    """
    names = pool_names(policy)
    line = None
    if lesion_pool is not None:
        if not names:
            raise LesionPoolError(f"--lesion-pool: policy {policy_name!r} has no "
                                  "lesion_transplant TF, so it needs no pool")
        if pool is None:
            pool = read_pool(lesion_pool, pool_size or training_size(policy))
        line = (f"lesion pool: {len(pool)} lesions from {lesion_pool}, as "
                f"{', '.join(repr(n) for n in names)}")
        _register_under(names, pool)
    for pool_name in names:
        try:
            get_lesion_pool(pool_name)
        except LesionPoolNotFoundError:
            raise LesionPoolNotFoundError(missing_pool_message(policy_name, pool_name)) from None
    return line


def prepare_pools_of(policies: Sequence, lesion_pool: str, pool_size: int | None,
                     pool: LesionPool | None = None) -> None:
    """``--lesion-pool`` for several policies (``tanda evaluate``): registered under every
    pool name their TFs use (``pool``: the ``.npz`` :func:`register_pool_file` read, if any).
    """
    names = sorted({n for policy in policies for n in pool_names(policy)})
    if not names and pool is None:
        raise LesionPoolError("--lesion-pool: no policy of this evaluation has a "
                              "lesion_transplant TF, so none needs a pool")
    if names:
        if pool is None:
            size = pool_size or next(
                (s for s in map(training_size, policies) if s is not None), None)
            pool = read_pool(lesion_pool, size)
        _register_under(names, pool)
