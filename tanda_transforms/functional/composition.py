"""Composing warps (moved to :mod:`tanda_transforms.functional.geometric.composition`, beside
the warps whose internals it composes; this module keeps the old import path).

Examples
--------
>>> from tanda_transforms.functional.composition import compose_run
>>> compose_run.__module__
'tanda_transforms.functional.geometric.composition'
"""

from tanda_transforms.functional.geometric.composition import Warp, compose_run, compose_warps

__all__ = ["compose_warps", "compose_run", "Warp"]
