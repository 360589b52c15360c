"""Lazy public names for a package: each imported from its module on first use.

Importing torch takes seconds; a package whose ``__init__`` imported its modules eagerly would
make ``tanda --help`` (and ``tanda evaluate --help``) wait for it.

Examples
--------
>>> namespace = {"__name__": "tanda_transforms"}
>>> getattr_, dir_ = lazy_exports(namespace, {"idle_cores": "_threads"})
>>> getattr_("idle_cores").__name__, "idle_cores" in namespace, dir_()
('idle_cores', True, ['__name__', 'idle_cores'])
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(namespace: dict[str, Any], exports: dict[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` serving ``exports`` (name -> submodule).

    ``namespace`` is the package's ``globals()``; a name, once imported, is stored there, so
    later lookups do not come back here.
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
