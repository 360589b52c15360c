"""Row strips: bounded working memory for float32 pipelines on large images.

Ops that work in float32 (blur, sharpen, noise, elastic's smoothed noise) would otherwise
hold several float32 copies of the whole image: on a 4000 x 3000 uint16 mammogram each
costs twice the image.  Above ``_STRIP_MIN_PIXELS`` they process blocks of rows instead,
each with ``halo`` extra rows on either side (clipped to the image) for their filter's
reach, and keep only the strip's rows of the result.  A filter with radius at most
``halo`` gives every kept row exactly the values it has on the whole image (the rows a
strip's own border handling touches are the halo rows, which are dropped), so results are
identical; ``tests/test_functional.py`` pins this for every op that uses strips.
"""

from __future__ import annotations

__all__ = ["row_strips"]

#: Images with more pixels than this (rows x columns) are processed in strips; smaller
#: ones in one piece, as before (less Python per call, and their copies are small).
_STRIP_MIN_PIXELS = 1 << 20

#: Target pixels (rows x columns) per strip: 2**18 float32 values per channel are 1 MB,
#: small next to a large image and big enough for cv2's filters to run at full speed.
_STRIP_PIXELS = 1 << 18


def row_strips(h: int, w: int, halo: int) -> list[tuple[int, int, int, int]]:
    """Strips ``(lo, start, stop, hi)``: output rows ``start:stop`` are computed from input
    rows ``lo:hi`` (``halo`` more on each side, clipped to ``0..h``).

    One strip ``(0, 0, h, h)`` for images up to ``_STRIP_MIN_PIXELS``; above, strips of
    ``_STRIP_PIXELS // w`` rows, but at least ``2 * halo`` (so halos never dominate) and 1.

    Examples
    --------
    >>> row_strips(4, 4, 1)
    [(0, 0, 4, 4)]
    """
    if h * w <= _STRIP_MIN_PIXELS:
        return [(0, 0, h, h)]
    rows = max(1, _STRIP_PIXELS // w, 2 * halo)
    return [
        (max(0, start - halo), start, min(h, start + rows), min(h, start + rows + halo))
        for start in range(0, h, rows)
    ]
