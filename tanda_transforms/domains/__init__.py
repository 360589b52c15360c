"""Domain-specific TFs. Importing this package registers their ops.

``import tanda_transforms.domains`` is all that is needed before building TFs (or loading
policy files) that name ``lesion_transplant`` or ``mammo_exposure``.

Examples
--------
>>> import tanda_transforms.domains
>>> from tanda_transforms import available_ops
>>> {"lesion_transplant", "mammo_exposure"} <= set(available_ops())
True
"""

from tanda_transforms.domains import mammography
from tanda_transforms.domains.mammography import *  # noqa: F403
from tanda_transforms.domains.poisson import poisson_blend

__all__ = [*mammography.__all__, "poisson_blend"]
