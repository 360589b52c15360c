"""Where a policy name points: a file, or a policy shipped in the gallery (no torch).

Kept apart from :mod:`tanda_transforms.policy` so that the ``tanda`` command can refuse a
policy that does not exist before it imports torch. ``TANDAPolicy.load`` resolves names here.

Examples
--------
>>> from tanda_transforms._gallery import gallery_names, resolve_policy
>>> "example" in gallery_names()
True
>>> resolve_policy("no/such/policy.tanda")
Traceback (most recent call last):
    ...
tanda_transforms.policy.PolicyNotFoundError: no policy file at 'no/such/policy.tanda' and ...
"""

from __future__ import annotations

import os
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importlib.resources.abc is Python >= 3.11; only an annotation here
    from importlib.resources.abc import Traversable

__all__ = ["PolicyNotFoundError", "gallery_names", "resolve_policy"]


class PolicyNotFoundError(FileNotFoundError):
    """Neither a policy file at that path nor a gallery policy of that name exists."""


PolicyNotFoundError.__module__ = "tanda_transforms.policy"  # its public home, as before


def gallery_names() -> list[str]:
    """Names of the policies shipped with the package (``TANDAPolicy.load(name)``)."""
    folder = resources.files("tanda_transforms") / "gallery"
    return sorted(p.name[: -len(".tanda")] for p in folder.iterdir() if p.name.endswith(".tanda"))


def resolve_policy(name_or_path: str | os.PathLike) -> str | os.PathLike | Traversable:
    """The file a policy name points to: the path itself if a file (or other non-directory)
    is there, else the gallery's. A directory is never a policy: one named like a gallery
    policy is passed over for the gallery's, any other is refused.

    Raises
    ------
    TypeError
        If ``name_or_path`` is not a string or path.
    PolicyNotFoundError
        If there is no file at that path and no gallery policy of that name.
    IsADirectoryError
        If the path is a directory and no gallery policy has that name
        (``TANDAPolicy.load`` turns it into a ``PolicyFileError``).
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(f"expected a path or a gallery name, got {type(name_or_path).__name__}")
    name = os.fspath(name_or_path)
    is_dir = os.path.isdir(name_or_path)
    if os.path.lexists(name_or_path) and not is_dir:
        return name_or_path  # a file (or a FIFO, a socket: read_bytes refuses those)
    if isinstance(name, str) and name in gallery_names():
        return resources.files("tanda_transforms") / "gallery" / f"{name}.tanda"
    if is_dir:
        raise IsADirectoryError(
            f"{name!r} is a directory, not a policy file (and no gallery policy has that "
            f"name; gallery policies: {gallery_names()})"
        )
    raise PolicyNotFoundError(
        f"no policy file at {name!r} and no gallery policy of that name; "
        f"gallery policies: {gallery_names()}"
    )
