"""Pictures of a policy at work: a grid of originals and augmented samples, with a title.

Made with numpy and OpenCV only (no matplotlib); used by ``tanda show`` and ``tanda demo``
through :mod:`tanda_transforms.show`, which re-exports these names.

* :func:`sample_grid`: one row per image, the original then ``n_aug`` augmented samples,
  upscaled with nearest-neighbour, under a header naming the columns; optionally a title
  above it and, right of each row, the TFs that row's samples used;
* :func:`grid_size`: the size of that picture;
* :func:`synthetic_colour_images`: pictures to show a colour policy on when no data is given;
* :func:`to_display`: one image as ``uint8`` RGB.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TANDAPolicy
>>> grid = sample_grid(TANDAPolicy.load("example"), np.zeros((2, 28, 28), np.uint8), n_aug=3,
...                    title=["policy example"], row_notes=True)
>>> grid.shape == (*grid_size(2, 3, 112, 112, title_lines=1, notes=True), 3)
True
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import cv2
import numpy as np
import torch

from tanda_transforms.sequence import SampledSequence, SequencePolicy

__all__ = [
    "GRID_BACKGROUND",
    "GRID_HEADER",
    "GRID_PAD",
    "GRID_SEPARATOR",
    "LINE_HEIGHT",
    "NOTES_WIDTH",
    "grid_size",
    "sample_grid",
    "synthetic_colour_images",
    "to_display",
]

#: Pixels of background around and between tiles.
GRID_PAD = 2
#: Extra pixels of background between the column of originals and the augmented samples.
GRID_SEPARATOR = 6
#: Grey level of the background.
GRID_BACKGROUND = 48
#: Height in pixels of the header that names the columns ("original", "sample 1", ...).
GRID_HEADER = 18
#: Small images are enlarged (by an integer factor, nearest-neighbour) to at least this size.
MIN_TILE = 96
#: Large images are shrunk (``cv2.INTER_AREA``) to at most this size.
MAX_TILE = 256
#: Height in pixels of one line of the title and of the row notes.
LINE_HEIGHT = 14
#: Width in pixels of the column, right of the samples, that lists each row's TFs.
NOTES_WIDTH = 230


def synthetic_colour_images(n: int, size: int = 32, seed: int = 0) -> np.ndarray:
    """``n`` small RGB ``uint8`` pictures: a colour gradient, a disc, a bar and a triangle.

    Made with numpy and OpenCV drawing, so no data set is needed. The shapes are asymmetric so
    that flips, rotations and shears are visible, and the colours vary so that colour TFs
    are.

    Examples
    --------
    >>> synthetic_colour_images(2, size=32).shape
    (2, 32, 32, 3)
    """
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size, 3), np.uint8)
    ramp = np.linspace(0.0, 1.0, size)
    for k in range(n):
        a, b = rng.integers(30, 226, 3), rng.integers(30, 226, 3)
        mix = (ramp[:, None, None] + ramp[None, :, None]) / 2  # diagonal gradient
        image = np.ascontiguousarray((a * (1 - mix) + b * mix).astype(np.uint8))
        s = size / 32
        centre = (int(rng.integers(9, 14) * s), int(rng.integers(9, 14) * s))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.circle(image, centre, max(1, int(6 * s)), colour, -1, cv2.LINE_AA)
        bar = tuple(int(c) for c in 255 - np.asarray(colour))
        cv2.rectangle(image, (int(18 * s), int(4 * s)), (int(27 * s), int(9 * s)), bar, -1)
        tri = (np.array([[18, 26], [28, 26], [28, 14]]) * s).astype(np.int32)
        cv2.fillPoly(image, [tri], tuple(int(c) for c in rng.integers(0, 256, 3)), cv2.LINE_AA)
        out[k] = image
    return out


def to_display(image: np.ndarray, scale_max: float | None = None) -> np.ndarray:
    """One image as ``H x W x 3`` ``uint8`` RGB for a picture.

    ``uint8`` is kept; ``float32`` in [0, 1] is multiplied by 255; ``uint16`` is divided by
    ``scale_max`` (default 65535) and multiplied by 255, so 12-bit data in 16-bit files can be
    stretched by passing the original's maximum. Grayscale is replicated to three channels,
    alpha dropped, other channel counts shown by their first channel.

    Examples
    --------
    >>> to_display(np.full((2, 2), 1.0, np.float32))[0, 0].tolist()
    [255, 255, 255]
    """
    array = np.asarray(image)
    if array.dtype == np.uint8:
        out = array
    else:
        top = scale_max or (65535.0 if array.dtype == np.uint16 else 1.0)
        scaled = array.astype(np.float64) * (255.0 / top)
        out = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if out.ndim == 3 and out.shape[-1] in (3, 4):
        out = out[..., :3]
    else:
        if out.ndim == 3:
            out = out[..., 0]
        out = np.repeat(out[..., None], 3, axis=-1)
    return np.ascontiguousarray(out)


def _resize_tile(tile: np.ndarray, height: int, width: int) -> np.ndarray:
    if tile.shape[:2] == (height, width):
        return tile
    shrink = height < tile.shape[0]
    flag = cv2.INTER_AREA if shrink else cv2.INTER_NEAREST
    return cv2.resize(tile, (width, height), interpolation=flag)


def _tile_size(height: int, width: int, scale: int | None) -> tuple[int, int]:
    if scale is not None:
        return height * scale, width * scale
    longest = max(height, width)
    if longest < MIN_TILE:
        factor = math.ceil(MIN_TILE / longest)
        return height * factor, width * factor
    if longest > MAX_TILE:
        ratio = MAX_TILE / longest
        return max(1, round(height * ratio)), max(1, round(width * ratio))
    return height, width


def grid_size(
    n_rows: int, n_aug: int, tile_h: int, tile_w: int, labels: bool = True,
    title_lines: int = 0, notes: bool = False,
) -> tuple[int, int]:
    """Height and width in pixels of a :func:`sample_grid` picture.

    ``height = GRID_PAD + n_rows * (tile_h + GRID_PAD)`` (plus :data:`GRID_HEADER` with
    ``labels``, plus ``title_lines * LINE_HEIGHT + GRID_PAD`` with a title) and
    ``width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR`` (plus
    :data:`NOTES_WIDTH` with ``notes``).

    Examples
    --------
    >>> grid_size(2, 3, 112, 112)
    (248, 464)
    >>> grid_size(2, 3, 112, 112, labels=False)
    (230, 464)
    >>> grid_size(2, 3, 112, 112, title_lines=3, notes=True)
    (292, 694)
    """
    height = GRID_PAD + n_rows * (tile_h + GRID_PAD) + (GRID_HEADER if labels else 0)
    width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR
    if title_lines:
        height += title_lines * LINE_HEIGHT + GRID_PAD
    return height, width + (NOTES_WIDTH if notes else 0)


def sample_grid(
    policy: SequencePolicy,
    images: np.ndarray | Sequence[np.ndarray],
    n_aug: int = 8,
    seed: int = 0,
    scale: int | None = None,
    labels: bool = True,
    title: Sequence[str] = (),
    row_notes: bool = False,
) -> np.ndarray:
    """A picture of the policy at work: each row an original, then ``n_aug`` augmentations.

    Each augmentation samples its own sequence. With ``labels`` a header names the columns:
    ``original`` over the first, ``sample 1`` ... ``sample n`` over the others (shortened
    to ``orig`` and ``1`` ... ``n`` when tiles are narrow). Sampling uses ``seed`` (a fresh
    torch generator for the sequences, a numpy one for the TFs' random parts), not the
    policy's own stream, so the picture is reproducible and the policy is left as it was.

    Parameters
    ----------
    policy
        The policy to show.
    images
        ``N x H x W (x C)`` array or a sequence of such images (uint8, uint16, float32 in
        [0, 1]); images of other sizes than the first are resized to it for display. 16-bit
        rows are stretched to their original's maximum (see :func:`to_display`).
    n_aug
        Augmented samples per image (columns after the original).
    seed
        Seed of the sampling.
    scale
        Integer enlargement factor (nearest-neighbour). ``None``: images smaller than 96
        pixels are enlarged by the smallest factor reaching 96, larger than 256 are shrunk to
        256 (``INTER_AREA``).
    labels
        Draw the header naming the columns.
    title
        Lines of text above the grid (each cut with ``...`` to the picture's width).
    row_notes
        Right of each row, list the TFs its samples used, most used first, with how many
        times (``shear(factor=0.1) x5``), as many as fit in the row's height.

    Returns
    -------
    numpy.ndarray
        ``uint8`` RGB, of the size :func:`grid_size` gives for the tile size. Tiles sit on a
        dark grey background, the originals column set apart by :data:`GRID_SEPARATOR` pixels.

    Examples
    --------
    >>> import numpy as np
    >>> from tanda_transforms import TANDAPolicy
    >>> grid = sample_grid(TANDAPolicy("cifar10", seq_len=2), np.zeros((1, 32, 32, 3), np.uint8),
    ...                    n_aug=2, seed=0)
    >>> grid.shape, grid.dtype
    ((118, 302, 3), dtype('uint8'))
    """
    images = list(images)
    if not images:
        raise ValueError("sample_grid needs at least one image")
    if not isinstance(n_aug, int) or n_aug < 0:
        raise ValueError(f"n_aug must be a non-negative int, got {n_aug!r}")
    if scale is not None and (not isinstance(scale, int) or scale < 1):
        raise ValueError(f"scale must be a positive int or None, got {scale!r}")
    tile_h, tile_w = _tile_size(*np.asarray(images[0]).shape[:2], scale)
    title = list(title)
    height, width = grid_size(len(images), n_aug, tile_h, tile_w, labels, len(title), row_notes)
    grid = np.full((height, width, 3), GRID_BACKGROUND, np.uint8)
    top_y = len(title) * LINE_HEIGHT + GRID_PAD if title else 0
    _draw_lines(grid, title, GRID_PAD, 0)
    if labels:
        _draw_header(grid[top_y:], n_aug, tile_w)
        top_y += GRID_HEADER
    actions = policy.draw_actions(max(1, len(images) * n_aug), torch.Generator().manual_seed(seed))
    rng = np.random.default_rng(seed)
    for row, image in enumerate(images):
        image = np.asarray(image)
        top = (float(image.max()) or None) if image.dtype == np.uint16 else None
        tiles = [image]
        for k in range(n_aug):
            seeds = tuple(int(s) for s in rng.integers(0, 2**63, size=policy.seq_len))
            sequence = SampledSequence(actions[row * n_aug + k], seeds)
            tiles.append(policy.compile(sequence, image.shape).apply(image))
        y = top_y + GRID_PAD + row * (tile_h + GRID_PAD)
        for col, tile in enumerate(tiles):
            x = _column_x(col, tile_w)
            grid[y : y + tile_h, x : x + tile_w] = _resize_tile(to_display(tile, top), tile_h,
                                                                tile_w)
        if row_notes:
            row_actions = actions[row * n_aug : (row + 1) * n_aug]
            notes = _row_notes(policy.library.names, row_actions, tile_h // LINE_HEIGHT)
            _draw_lines(grid, notes, width - NOTES_WIDTH + GRID_SEPARATOR, y)
    return grid


def _row_notes(names: Sequence[str], actions, most: int) -> list[str]:
    """``name xN`` per TF the row's sequences used, most used first, at most ``most`` lines.

    Examples
    --------
    >>> _row_notes(["hflip()", "vflip()", "invert()"], [(0, 0), (2, 0)], 2)
    ['hflip() x3', 'invert() x1']
    >>> _row_notes(["hflip()", "vflip()", "invert()"], [(0, 0), (2, 1)], 2)
    ['hflip() x2', '+ 2 more TFs']
    """
    counts = Counter(int(a) for sequence in actions for a in sequence).most_common()
    lines = [f"{names[i]} x{n}" for i, n in counts]
    if len(lines) > most:
        kept = max(most - 1, 0)
        rest = len(lines) - kept
        lines = lines[:kept] + [f"+ {rest} more TF{'s' if rest > 1 else ''}"]
    return lines


def _draw_lines(grid: np.ndarray, lines: Sequence[str], x: int, y: int) -> None:
    """Write ``lines`` from ``(x, y)`` down, one per :data:`LINE_HEIGHT`, cut to fit."""
    room = grid.shape[1] - x - GRID_PAD
    for k, line in enumerate(lines):
        while line and _text_width(line, 0.35) > room:
            line = line[: max(len(line) - 4, 0)].rstrip() + "..." if len(line) > 3 else ""
        baseline = y + (k + 1) * LINE_HEIGHT - 4
        cv2.putText(grid, line, (x, baseline), _FONT, 0.35, _LABEL_COLOUR, 1, cv2.LINE_AA)


def _column_x(col: int, tile_w: int) -> int:
    return GRID_PAD + col * (tile_w + GRID_PAD) + (GRID_SEPARATOR if col else 0)


_FONT = cv2.FONT_HERSHEY_SIMPLEX
_LABEL_COLOUR = (235, 235, 235)


def _draw_header(grid: np.ndarray, n_aug: int, tile_w: int) -> None:
    """Write the column names, centred above each column, in :data:`GRID_HEADER` pixels."""
    wide = _text_width("sample 88") <= tile_w
    names = ["original" if wide else "orig"]
    names += [f"sample {k}" if wide else str(k) for k in range(1, n_aug + 1)]
    for col, name in enumerate(names):
        width = _text_width(name)
        if width > tile_w:  # too narrow even for the short names: leave the column bare
            continue
        x = _column_x(col, tile_w) + (tile_w - width) // 2
        cv2.putText(grid, name, (x, GRID_HEADER - 5), _FONT, 0.4, _LABEL_COLOUR, 1, cv2.LINE_AA)


def _text_width(text: str, size: float = 0.4) -> int:
    (width, _), _ = cv2.getTextSize(text, _FONT, size, 1)
    return width
