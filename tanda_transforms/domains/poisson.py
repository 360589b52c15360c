"""Poisson image blending for one-channel images of any supported dtype.

Poisson blending (Pérez, Gangnet and Blake, "Poisson image editing", SIGGRAPH 2003) pastes
the *gradients* of a source patch into a target image: inside the blend region ``Omega`` the
result ``f`` solves the discrete Poisson equation ``laplace(f) = laplace(g)`` (``g`` the source)
with ``f`` equal to the target on the pixels just outside ``Omega``. The pasted detail keeps
its texture and local contrast while its overall level follows the target, so there is no
visible seam. With ``superpose=True`` the guidance is the sum of both images' gradients
instead, ``laplace(f) = laplace(target) + laplace(g)``: the source's detail is laid over the
target's own (what overlapping tissue does in a projection image, where attenuations add).

``cv2.seamlessClone`` only takes 8-bit 3-channel images; :func:`poisson_blend` takes uint8,
uint16 and float32 (in [0, 1]) one-channel images and returns the target's dtype. Only the
region's bounding box is ever converted to floating point, so blending into a 12-megapixel
image costs one copy of the image (the result) plus memory proportional to the region.

The linear system is solved for the correction ``h = f - g``, which is harmonic inside
``Omega`` and equals ``target - g`` outside: a sparse direct solve (SuperLU) for regions up to
:data:`DIRECT_MAX_PIXELS` unknowns, and above that conjugate gradients preconditioned by a
geometric multigrid V-cycle (weighted Jacobi smoothing, bilinear prolongation, its transpose
as restriction), which needs memory linear in the region and about 10 iterations.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from tanda_transforms.functional import check_image, check_real, value_max

__all__ = ["poisson_blend", "DIRECT_MAX_PIXELS"]

#: Regions with at most this many unknown pixels are solved directly (SuperLU); larger ones
#: with multigrid-preconditioned conjugate gradients (SuperLU's fill-in grows too fast there:
#: about 300 MB for a disc of radius 300 pixels).
DIRECT_MAX_PIXELS = 20_000

_COARSEST_PIXELS = 4_000  # multigrid: solve directly once a level has this few unknowns
_JACOBI_WEIGHT = 0.8  # optimal damping of Jacobi for the 5-point Laplacian
_SWEEPS = 2  # Jacobi sweeps before and after each coarse correction
_RTOL = 1e-10  # relative residual at which conjugate gradients stop
_MAX_ITERATIONS = 200
_SHIFTS = ((0, 1), (0, -1), (1, 0), (-1, 0))


def poisson_blend(
    target: np.ndarray,
    source: np.ndarray,
    mask: np.ndarray,
    top: int,
    left: int,
    *,
    gain: float = 1.0,
    ceiling: float | None = None,
    superpose: bool = False,
) -> np.ndarray:
    """Blend ``source`` into ``target`` at ``(top, left)`` over the region ``mask``.

    Inside the region the result's discrete Laplacian (5-point) equals ``gain`` times the
    source's (plus the target's with ``superpose``); on the pixels just outside it equals the
    target. Pixels outside the region are returned unchanged, bit for bit.

    Parameters
    ----------
    target : np.ndarray
        uint8, uint16 or float32 (values in [0, 1]) image, ``H x W`` or ``H x W x 1``.
    source : np.ndarray
        ``h x w`` patch, uint8, uint16 or float32; its dtype may differ from the target's.
        Values are compared on the [0, 1] scale (``value / dtype max``).
    mask : np.ndarray
        ``h x w`` bool, the blend region in patch coordinates. Pixels on the patch's outer
        ring and pixels that land outside the target's inner area (its outer ring included)
        are left out: every solved pixel needs its four neighbours in both images.
    top, left : int
        Position of the patch's top-left pixel in the target; may be negative or put the
        patch partly outside (only the overlap is blended).
    gain : float
        > 0; multiplies the source's gradients (its local contrast). 1 imports them as is.
    ceiling : float, optional
        In (0, 1], on the [0, 1] scale. ``None``: results beyond the dtype's range are
        clipped. Otherwise the result is split into a base ``m`` (the membrane: the harmonic
        interpolation of the target's boundary values; with ``superpose``, the target
        itself) plus the source's detail ``d`` (the source minus its own membrane, zero at
        the boundary), and the detail is compressed smoothly into the room there is,
        ``m + r tanh(d / r)`` with ``r = ceiling - m`` for bright detail (``r = m`` for dark
        detail), so that nothing exceeds ``max(ceiling, m)``: like the shoulder of a film's
        response instead of a hard clip. Detail small against the room is kept to first
        order.
    superpose : bool
        Keep the target's own detail inside the region and add the source's detail to it
        (guidance ``gain * grad(source) + grad(target)``) instead of replacing it.
    Returns
    -------
    np.ndarray
        A new array with the target's shape and dtype. Integer results are rounded to the
        nearest level and every result is clipped to the dtype's range.

    Raises
    ------
    TypeError
        For arrays of the wrong type or dtype (``mask`` must be bool).
    ValueError
        For a multi-channel target, a source that is not 2-D, or a mask of another shape.

    Examples
    --------
    >>> target = np.full((9, 9), 100, np.uint8)
    >>> source = np.zeros((5, 5), np.float32)
    >>> source[2, 2] = 0.2                       # a bright dot, +51 levels above its surround
    >>> mask = np.zeros((5, 5), bool)
    >>> mask[1:4, 1:4] = True
    >>> out = poisson_blend(target, source, mask, 2, 2)
    >>> out.dtype, int(out[0, 0]), int(out[4, 4]) > 100
    (dtype('uint8'), 100, True)
    """
    check_image(target, "target")
    if target.ndim == 3 and target.shape[2] != 1:
        raise ValueError(
            f"poisson_blend works on one-channel images (H x W or H x W x 1), "
            f"got shape {target.shape}"
        )
    check_image(source, "source")
    if source.ndim != 2:
        raise ValueError(f"source must be a 2-D patch (h x w), got shape {source.shape}")
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
        raise TypeError(f"mask must be a bool numpy array, got {got}")
    if mask.shape != source.shape:
        raise ValueError(f"mask has shape {mask.shape} but source has shape {source.shape}")
    for name, value in (("top", top), ("left", left)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    gain = check_real(gain, "gain", low=0.0, low_inclusive=False)
    if ceiling is not None:
        ceiling = check_real(ceiling, "ceiling", low=0.0, high=1.0, low_inclusive=False)
    if not isinstance(superpose, bool):
        raise TypeError(f"superpose must be a bool, got {superpose!r}")

    out = target.copy()
    plane = out[:, :, 0] if out.ndim == 3 else out
    region = _region(mask, plane.shape, int(top), int(left))
    if region is None:
        return out
    omega, (r0, r1, c0, c1) = region
    sr0, sc0 = r0 - int(top), c0 - int(left)
    t = plane[r0:r1, c0:c1].astype(np.float64)
    t /= value_max(target.dtype)
    g = source[sr0 : sr0 + (r1 - r0), sc0 : sc0 + (c1 - c0)].astype(np.float64)
    g *= gain / value_max(source.dtype)
    if superpose:
        base = t[omega]
        detail = g[omega] - solve_dirichlet(omega, g)[omega]
    elif ceiling is None:
        base = g[omega]
        detail = solve_dirichlet(omega, t - g)[omega]  # f = g + h, h harmonic
    else:
        membranes = solve_dirichlet(omega, np.stack([t, g]))
        base = membranes[0][omega]
        detail = g[omega] - membranes[1][omega]
    f = base + (detail if ceiling is None else _soft_detail(detail, base, ceiling))
    np.clip(f, 0.0, 1.0, out=f)
    vmax = value_max(target.dtype)
    if vmax != 1.0:
        f = np.rint(f * vmax)
    plane[r0:r1, c0:c1][omega] = f.astype(target.dtype)
    return out


def _soft_detail(detail: np.ndarray, base: np.ndarray, ceiling: float) -> np.ndarray:
    """Compress ``detail`` into the room between ``base`` and ``ceiling`` (above) or 0 (below)."""
    room = np.where(detail > 0, ceiling - base, base)
    np.maximum(room, 1e-6, out=room)
    return room * np.tanh(detail / room)


def _region(
    mask: np.ndarray, shape: tuple[int, int], top: int, left: int
) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """The solved pixels inside their bounding box grown by one pixel, and that box.

    Returns ``(omega, (r0, r1, c0, c1))`` in target coordinates, ``omega`` false on the box's
    outer ring, or ``None`` when no pixel can be solved.
    """
    inner = np.zeros_like(mask)
    inner[1:-1, 1:-1] = mask[1:-1, 1:-1]  # the patch ring has no outer neighbour in the source
    rows, cols = np.nonzero(inner)
    rows, cols = rows + top, cols + left
    height, width = shape
    keep = (rows >= 1) & (rows <= height - 2) & (cols >= 1) & (cols <= width - 2)
    rows, cols = rows[keep], cols[keep]
    if not len(rows):
        return None
    r0, r1 = int(rows.min()) - 1, int(rows.max()) + 2
    c0, c1 = int(cols.min()) - 1, int(cols.max()) + 2
    omega = np.zeros((r1 - r0, c1 - c0), bool)
    omega[rows - r0, cols - c0] = True
    return omega, (r0, r1, c0, c1)


# --------------------------------------------------------------------------- the solver


def solve_dirichlet(omega: np.ndarray, boundary: np.ndarray) -> np.ndarray:
    """Solve Laplace's equation on ``omega`` with Dirichlet values ``boundary`` outside.

    Parameters
    ----------
    omega : np.ndarray
        2-D bool, false on its outer ring.
    boundary : np.ndarray
        float64 array of ``omega``'s shape, or a stack ``k x H x W`` of them (solved with one
        factorisation / multigrid hierarchy); values outside ``omega`` are the boundary data.

    Returns
    -------
    np.ndarray
        float64 array shaped like ``boundary``: the discrete harmonic function(s) on
        ``omega``, ``boundary`` elsewhere.

    Examples
    --------
    >>> omega = np.zeros((5, 5), bool)
    >>> omega[1:4, 1:4] = True
    >>> b = np.tile(np.arange(5.0), (5, 1))      # a linear ramp is harmonic
    >>> bool(np.allclose(solve_dirichlet(omega, b), b))
    True
    """
    if omega.ndim != 2 or boundary.shape[-2:] != omega.shape or boundary.ndim not in (2, 3):
        raise ValueError(
            f"boundary must have omega's shape {omega.shape} (or k x that), got {boundary.shape}"
        )
    if omega[0].any() or omega[-1].any() or omega[:, 0].any() or omega[:, -1].any():
        raise ValueError("omega must be false on its outer ring")
    stack = boundary.reshape(-1, *omega.shape)
    known = np.where(omega, 0.0, stack)
    rhs = np.zeros_like(known)
    h, w = omega.shape
    for dy, dx in _SHIFTS:  # sum of the known neighbours of every pixel
        rhs[:, 1:-1, 1:-1] += known[:, 1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx]
    rhs *= omega
    n = int(omega.sum())
    if n == 0:
        return known.reshape(boundary.shape)
    if n <= DIRECT_MAX_PIXELS:
        rows, cols = np.nonzero(omega)
        lu = spla.splu(_laplacian(omega), permc_spec="MMD_AT_PLUS_A")
        for out, b in zip(known, rhs, strict=True):
            out[rows, cols] = lu.solve(b[rows, cols])
    else:
        level = _Level(_pad_odd(omega))
        for out, b in zip(known, rhs, strict=True):
            out += _multigrid_cg(level, b)
    return known.reshape(boundary.shape)


def _laplacian(omega: np.ndarray) -> sp.csc_matrix:
    """The 5-point Laplacian (4 on the diagonal) on the pixels of ``omega``, CSC."""
    rows, cols = np.nonzero(omega)
    n = len(rows)
    index = np.full(omega.shape, -1, np.int64)
    index[rows, cols] = np.arange(n)
    i = [np.arange(n)]
    j = [np.arange(n)]
    v = [np.full(n, 4.0)]
    for dy, dx in _SHIFTS:
        neighbour = index[rows + dy, cols + dx]
        inside = neighbour >= 0
        i.append(np.flatnonzero(inside))
        j.append(neighbour[inside])
        v.append(np.full(int(inside.sum()), -1.0))
    data = (np.concatenate(v), (np.concatenate(i), np.concatenate(j)))
    return sp.csc_matrix(data, shape=(n, n))


def _apply_laplacian(u: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``4 u - (sum of neighbours)`` on the grid, zeroed outside the domain (``weight``)."""
    out = 4.0 * u
    out[1:] -= u[:-1]
    out[:-1] -= u[1:]
    out[:, 1:] -= u[:, :-1]
    out[:, :-1] -= u[:, 1:]
    out *= weight
    return out


def _prolong(coarse: np.ndarray, fine_shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation from a vertex-centred coarse grid to an odd-sized fine grid."""
    fine = np.zeros(fine_shape)
    fine[::2, ::2] = coarse
    fine[1::2, ::2] = 0.5 * (coarse[:-1] + coarse[1:])
    fine[::2, 1::2] = 0.5 * (coarse[:, :-1] + coarse[:, 1:])
    fine[1::2, 1::2] = 0.25 * (
        coarse[:-1, :-1] + coarse[1:, :-1] + coarse[:-1, 1:] + coarse[1:, 1:]
    )
    return fine


def _restrict(fine: np.ndarray) -> np.ndarray:
    """The transpose of :func:`_prolong` (full weighting, times 4)."""
    coarse = fine[::2, ::2].copy()
    odd_rows = 0.5 * fine[1::2, ::2]
    coarse[:-1] += odd_rows
    coarse[1:] += odd_rows
    odd_cols = 0.5 * fine[::2, 1::2]
    coarse[:, :-1] += odd_cols
    coarse[:, 1:] += odd_cols
    centres = 0.25 * fine[1::2, 1::2]
    coarse[:-1, :-1] += centres
    coarse[1:, :-1] += centres
    coarse[:-1, 1:] += centres
    coarse[1:, 1:] += centres
    return coarse


class _Level:
    """One multigrid level: its domain (odd-sized grid, false ring) and the next level down."""

    def __init__(self, omega: np.ndarray) -> None:
        self.omega = omega
        self.weight = omega.astype(np.float64)
        self.coarse: _Level | None = None
        self.n = int(omega.sum())
        if self.n > _COARSEST_PIXELS and min(omega.shape) > 5:
            coarse = omega[::2, ::2].copy()
            coarse[0] = coarse[-1] = False
            coarse[:, 0] = coarse[:, -1] = False
            self.coarse_shape = coarse.shape
            self.coarse = _Level(_pad_odd(coarse))
        elif self.n:
            self.rows, self.cols = np.nonzero(omega)
            self.lu = spla.splu(_laplacian(omega), permc_spec="MMD_AT_PLUS_A")

    def vcycle(self, b: np.ndarray) -> np.ndarray:
        """Approximately solve ``A u = b``; a symmetric positive-definite operator of ``b``."""
        u = np.zeros_like(b)
        if self.n == 0:
            return u
        if self.coarse is None:
            u[self.rows, self.cols] = self.lu.solve(b[self.rows, self.cols])
            return u
        step = _JACOBI_WEIGHT / 4.0
        u += step * b
        for _ in range(_SWEEPS - 1):
            u += step * (b - _apply_laplacian(u, self.weight))
        residual = b - _apply_laplacian(u, self.weight)
        h, w = self.coarse_shape
        coarse_b = np.zeros(self.coarse.omega.shape)
        coarse_b[:h, :w] = _restrict(residual)
        coarse_b *= self.coarse.weight
        correction = self.coarse.vcycle(coarse_b)[:h, :w]
        u += _prolong(correction, b.shape) * self.weight
        for _ in range(_SWEEPS):
            u += step * (b - _apply_laplacian(u, self.weight))
        return u


def _pad_odd(a: np.ndarray) -> np.ndarray:
    return np.pad(a, ((0, 1 - a.shape[0] % 2), (0, 1 - a.shape[1] % 2)))


def _multigrid_cg(level: _Level, rhs: np.ndarray) -> np.ndarray:
    """Conjugate gradients for ``A x = rhs`` (grid arrays), preconditioned by V-cycles."""
    h, w = rhs.shape
    b = np.zeros(level.omega.shape)
    b[:h, :w] = rhs
    weight = level.weight
    x = np.zeros_like(b)
    r = b.copy()
    z = level.vcycle(r)
    p = z.copy()
    rz = float(np.vdot(r, z))
    stop = _RTOL * float(np.linalg.norm(b))
    for _ in range(_MAX_ITERATIONS):
        ap = _apply_laplacian(p, weight)
        alpha = rz / float(np.vdot(p, ap))
        x += alpha * p
        r -= alpha * ap
        if float(np.linalg.norm(r)) <= stop:
            return x[:h, :w]
        z = level.vcycle(r)
        rz, previous = float(np.vdot(r, z)), rz
        p *= rz / previous
        p += z
    raise RuntimeError(
        f"Poisson solve did not converge in {_MAX_ITERATIONS} iterations ({level.n} unknowns)"
    )
