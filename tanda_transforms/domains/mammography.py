"""Domain-specific transformation functions for mammograms.

The paper's strongest result (Ratner et al. 2017, DDSM mammograms) came from adding
domain-specific TFs to generic ones. Two are registered here, as ops TFs can name:

``lesion_transplant(pool, max_degrees=180.0, scale_range=0.2)``
    Takes a lesion from a :class:`LesionPool`, rotates, scales and (with probability 1/2)
    mirrors it, and stitches it into the image at a random place inside the breast with
    Poisson blending (:func:`~tanda_transforms.domains.poisson.poisson_blend`). Registered as
    *photometric*: no pixel moves, so masks, boxes and keypoints are left as they are; in
    particular a lesion mask is **not** updated with the transplanted lesion.

``mammo_exposure(contrast=1.0, brightness=0.0)``
    A change of exposure and detector (or film) response, with both arguments bounded to what
    an imaging chain with automatic exposure control produces (see :func:`mammo_exposure`).

Pools: a TF stores only a string naming its pool, so policy files stay plain data and
loading a policy never loads a pool. The string is either a name registered in this process
with :func:`register_lesion_pool`, or the path of a ``.npz`` file written by
:meth:`LesionPool.save` (read with ``allow_pickle=False``, validated, cached by path).
A policy file (or a serialised Albumentations pipeline) may only name registered pools: a
``.npz`` path in it is refused when it loads unless a pool is registered under that very
string, since a file from elsewhere must not make this process read ``../`` or absolute paths
of its choosing. To use such a policy, register the pool file you trust under the path the
policy names (``register_lesion_pool(path, LesionPool.load(path))``, or ``--lesion-pool
PATH`` on the command line); to share one, build its TFs with a plain pool name.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TFLibrary
>>> from tanda_transforms.domains import LesionPool, register_lesion_pool
>>> from tanda_transforms.domains import domain_mammography_tfs
>>> yy, xx = np.mgrid[-12:13, -12:13]
>>> blob = (80 + 120 * np.exp(-(yy**2 + xx**2) / 40.0)).astype(np.uint8)
>>> register_lesion_pool("doc-pool", LesionPool([blob], [yy**2 + xx**2 <= 36]), replace=True)
>>> lib = TFLibrary.pack("mammography") + domain_mammography_tfs("doc-pool")
>>> len(lib), lib[-7]
(31, lesion_transplant(pool='doc-pool'))
>>> breast = np.full((128, 96), 90, np.uint8)
>>> out = lib[-7](breast, np.random.default_rng(0))
>>> out.dtype, bool((out != breast).any())
(dtype('uint8'), True)

The code lives in one module per concern: :mod:`~tanda_transforms.domains.exposure`,
:mod:`~tanda_transforms.domains.lesion_pool` (pools, their files and the registry) and
:mod:`~tanda_transforms.domains.transplant` (the blend and its placement); this module
names them all and builds the domain library (:func:`domain_mammography_tfs`).
"""

from __future__ import annotations

from tanda_transforms.domains.exposure import BRIGHTNESS_BOUNDS, CONTRAST_BOUNDS, mammo_exposure
from tanda_transforms.domains.lesion_pool import (
    LesionPool,
    LesionPoolError,
    LesionPoolNotFoundError,
    clear_lesion_pool_cache,
    get_lesion_pool,
    register_lesion_pool,
    registered_lesion_pools,
    unregister_lesion_pool,
)
from tanda_transforms.domains.transplant import lesion_transplant
from tanda_transforms.tfs import TF

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
    "register_lesion_pool",
    "registered_lesion_pools",
    "unregister_lesion_pool",
]


def domain_mammography_tfs(pool: str) -> list[TF]:
    """The domain-specific TFs: three lesion transplants and four bounded exposure changes.

    The transplants differ in size range (0.2, 0.5) and blending (Poisson, superposed), so a
    learned policy can tell which keep mammograms realistic.

    ``TFLibrary.pack("mammography") + domain_mammography_tfs(pool)`` is the library of the
    paper's DDSM experiment with our generic TFs. Building the TFs does not load the pool.

    Parameters
    ----------
    pool : str
        A registered pool name or a pool ``.npz`` path (see :func:`get_lesion_pool`).

    Examples
    --------
    >>> [repr(tf) for tf in domain_mammography_tfs("mias")][:2]
    ["lesion_transplant(pool='mias')", "lesion_transplant(pool='mias', scale_range=0.5)"]
    """
    if not isinstance(pool, str) or not pool:
        raise TypeError(f"pool must be a non-empty str, got {pool!r}")
    low_c, high_c = CONTRAST_BOUNDS
    low_b, high_b = BRIGHTNESS_BOUNDS
    return [
        TF("lesion_transplant", pool=pool),
        TF("lesion_transplant", pool=pool, scale_range=0.5),
        TF("lesion_transplant", pool=pool, blend="superpose"),
        TF("mammo_exposure", contrast=low_c),
        TF("mammo_exposure", contrast=high_c),
        TF("mammo_exposure", brightness=low_b),
        TF("mammo_exposure", brightness=high_b),
    ]
