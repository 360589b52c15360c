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

from tanda_transforms.domains.mammography import (
    BRIGHTNESS_BOUNDS,
    CONTRAST_BOUNDS,
    LesionPool,
    LesionPoolError,
    LesionPoolNotFoundError,
    clear_lesion_pool_cache,
    domain_mammography_tfs,
    get_lesion_pool,
    lesion_transplant,
    mammo_exposure,
    register_lesion_pool,
    registered_lesion_pools,
    unregister_lesion_pool,
)
from tanda_transforms.domains.poisson import poisson_blend

__all__ = [
    "BRIGHTNESS_BOUNDS",
    "CONTRAST_BOUNDS",
    "LesionPool",
    "LesionPoolError",
    "LesionPoolNotFoundError",
    "clear_lesion_pool_cache",
    "domain_mammography_tfs",
    "get_lesion_pool",
    "lesion_transplant",
    "mammo_exposure",
    "poisson_blend",
    "register_lesion_pool",
    "registered_lesion_pools",
    "unregister_lesion_pool",
]
