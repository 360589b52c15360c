"""Look at a policy: a text summary and a picture grid of augmented samples.

Used by ``tanda show`` and ``tanda demo``; reusable from scripts (gallery pages, notebooks).
Pictures are made with numpy and OpenCV only (no matplotlib).

* :func:`summarise`: the TF probabilities, the most frequent sequences and the metadata.
* :func:`sample_grid`: one row per image, the original then ``n_aug`` augmented samples,
  upscaled with nearest-neighbour, as a ``uint8`` RGB array (``cv2.imwrite`` wants BGR:
  ``grid[..., ::-1]``).
* :func:`default_images`: what to show when no images are given (real MNIST digits for
  grayscale policies, synthetic colour pictures otherwise).

Examples
--------
>>> from tanda_transforms import TANDAPolicy
>>> from tanda_transforms.show import default_images, sample_grid
>>> policy = TANDAPolicy.load("example")
>>> images = default_images(policy, n=2, seed=0)
>>> images.shape
(2, 28, 28)
>>> sample_grid(policy, images, n_aug=3, seed=0).shape  # tiles of 112 px (28 x 4)
(230, 464, 3)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import torch

from tanda_transforms.generators import MeanFieldSampler
from tanda_transforms.policy import TANDAPolicy
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.tfs import TFLibrary, available_packs

__all__ = [
    "GRID_BACKGROUND",
    "GRID_PAD",
    "GRID_SEPARATOR",
    "default_images",
    "describe_library",
    "grid_size",
    "metadata_lines",
    "pack_name",
    "sample_grid",
    "sequence_counts",
    "summarise",
    "synthetic_colour_images",
    "tf_probabilities",
    "to_display",
]

#: Pixels of background around and between tiles.
GRID_PAD = 2
#: Extra pixels of background between the column of originals and the augmented samples.
GRID_SEPARATOR = 6
#: Grey level of the background.
GRID_BACKGROUND = 48
#: Small images are enlarged (by an integer factor, nearest-neighbour) to at least this size.
MIN_TILE = 96
#: Large images are shrunk (``cv2.INTER_AREA``) to at most this size.
MAX_TILE = 256


# --- numbers ------------------------------------------------------------------------------


def tf_probabilities(policy: TANDAPolicy, seed: int = 0, n: int = 4096) -> np.ndarray:
    """How often the policy picks each TF per step, in library order.

    Exact for a mean-field sampler; estimated from ``n`` sequences of the policy's length for a
    recurrent one (with a generator seeded by ``seed``, so the numbers are reproducible).

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> float(tf_probabilities(TANDAPolicy.load("example"))[0])  # uniform over 25 TFs
    0.04
    """
    generator = torch.Generator().manual_seed(seed)
    probs = policy.sampler.tf_probabilities(seq_len=policy.seq_len, n=n, generator=generator)
    return probs.double().cpu().numpy()


def sequence_counts(policy: TANDAPolicy, n: int = 2000, seed: int = 0) -> Counter:
    """Sample ``n`` sequences (seeded, without touching the policy's own stream); count them.

    Returns
    -------
    collections.Counter
        Maps a tuple of TF indices to how many of the ``n`` samples were that sequence.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> counts = sequence_counts(TANDAPolicy.load("example"), n=50)
    >>> sum(counts.values())
    50
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    actions = policy.draw_actions(n, torch.Generator().manual_seed(seed))
    return Counter(actions)


def pack_name(library: TFLibrary) -> str | None:
    """The name of the built-in pack equal to ``library``, or ``None``.

    Examples
    --------
    >>> pack_name(TFLibrary.pack("cifar10"))
    'cifar10'
    """
    for name in available_packs():
        if TFLibrary.pack(name) == library:
            return name
    return None


def describe_library(library: TFLibrary) -> str:
    """``"mnist pack (25 TFs)"`` for a built-in pack, else ``"25 TFs: rotate, zoom, ..."``.

    Examples
    --------
    >>> from tanda_transforms import TF
    >>> describe_library(TFLibrary([TF("hflip"), TF("rotate", degrees=5)]))
    '2 TFs: hflip, rotate'
    """
    name = pack_name(library)
    if name is not None:
        return f"{name} pack ({len(library)} TFs)"
    ops = list(dict.fromkeys(tf.op for tf in library))
    shown = ", ".join(ops[:6]) + (", ..." if len(ops) > 6 else "")
    return f"{len(library)} TFs: {shown}"


def _short(value: Any, width: int = 70) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def metadata_lines(policy: TANDAPolicy) -> list[str]:
    """The policy's metadata as short ``key: value`` lines (the training history condensed).

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> metadata_lines(TANDAPolicy.load("example"))[0]
    "description: uniform (heuristic) sampler over the paper's MNIST TFs; not learned"
    """
    lines = []
    for key, value in policy.metadata.items():
        if key != "training":
            lines.append(f"{key}: {_short(value)}")
    training = policy.metadata.get("training")
    if isinstance(training, dict):
        lines.extend(_training_lines(training))
    return lines


def _training_lines(training: dict[str, Any]) -> list[str]:
    lines = []
    shape = training.get("data_shape")
    if shape:
        data = " x ".join(str(s) for s in shape)
        lines.append(f"training data: {data} {training.get('data_dtype', '')}".rstrip())
    parts = [f"{k}={training[k]}" for k in ("generator", "steps", "seed") if k in training]
    if parts:
        lines.append("training: " + ", ".join(parts))
    if "wall_time_s" in training:
        timing = training.get("timing_s") or {}
        split = ", ".join(f"{k} {v}s" for k, v in timing.items())
        lines.append(f"wall time: {training['wall_time_s']} s" + (f" ({split})" if split else ""))
    config = training.get("config")
    if isinstance(config, dict):
        keys = ("seq_len", "batch_size", "seqs_per_point", "gamma", "alpha", "d_lr", "g_lr")
        lines.append("config: " + ", ".join(f"{k}={config[k]}" for k in keys if k in config))
    history = training.get("history")
    if isinstance(history, dict) and history.get("step"):
        last = {k: history[k][-1] for k in ("d_loss", "d_acc", "cost") if history.get(k)}
        text = ", ".join(f"{k}={v:.3f}" for k, v in last.items())
        lines.append(f"last logged (step {history['step'][-1]}): {text}")
    return lines


def summarise(policy: TANDAPolicy, n_samples: int = 2000, top: int = 10, seed: int = 0) -> str:
    """A text summary: TFs with their probabilities, frequent sequences, metadata.

    Parameters
    ----------
    policy
        The policy.
    n_samples
        Sequences sampled to find the most frequent ones.
    top
        How many frequent sequences to list (and TF probabilities, for libraries of more than
        40 TFs; smaller libraries are listed in full).
    seed
        Seed of the sampling, so the summary is reproducible.

    Returns
    -------
    str
        Several lines, no trailing newline.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> text = summarise(TANDAPolicy.load("example"), n_samples=100, top=2)
    >>> text.splitlines()[0]
    'policy: mnist pack (25 TFs), L = 3, generator mean_field'
    """
    kind = policy.sampler.config().get("kind", type(policy.sampler).__name__)
    lines = [
        f"policy: {describe_library(policy.library)}, L = {policy.seq_len}, generator {kind}",
    ]
    counts = sequence_counts(policy, n_samples, seed)
    if isinstance(policy.sampler, MeanFieldSampler):
        probs = tf_probabilities(policy)  # exact
    else:  # estimated from the sequences sampled below (n_samples x L draws)
        probs = np.zeros(len(policy.library))
        for actions, count in counts.items():
            np.add.at(probs, list(actions), count)
        probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    shown = order if len(order) <= 40 else order[:top]
    title = "TF probabilities per step" + ("" if len(shown) == len(order) else f" (top {top})")
    lines.append(f"{title} (uniform = {1 / len(probs):.4f}):")
    names = policy.library.names
    width = max(len(names[i]) for i in shown)
    for i in shown:
        lines.append(f"  {names[i]:<{width}}  {probs[i]:.4f}")
    if len(shown) < len(order):
        lines.append(f"  ... {len(order) - len(shown)} more")
    lines.append(
        f"most frequent sequences among {n_samples} sampled ({len(counts)} distinct):"
    )
    for actions, count in counts.most_common(top):
        lines.append(f"  {count:>5}  " + " -> ".join(policy.names(actions)))
    if policy.seq_len > 1:
        pairs: Counter = Counter()
        for actions, count in counts.items():
            for pair in zip(actions, actions[1:], strict=False):
                pairs[pair] += count
        total = n_samples * (policy.seq_len - 1)
        lines.append(f"most frequent consecutive pairs (of {total}; uniform "
                     f"{1 / len(probs) ** 2:.2%} each):")
        for pair, count in pairs.most_common(min(top, 5)):
            lines.append(f"  {count / total:>6.2%}  " + " -> ".join(policy.names(pair)))
    meta = metadata_lines(policy)
    lines.append("metadata:" + ("" if meta else " -"))
    lines.extend(f"  {line}" for line in meta)
    return "\n".join(lines)


# --- pictures -----------------------------------------------------------------------------


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


def default_images(policy: TANDAPolicy, n: int = 8, seed: int = 0) -> np.ndarray:
    """Images to show a policy on when the user gives none.

    * Grayscale policies: ``n`` real digits from the MNIST sample shipped with the package
      (:func:`tanda_transforms.data.load_mnist_sample`), picked with ``seed``. A policy is taken
      as grayscale when its training data (``metadata["training"]["data_shape"]``) had one
      channel, or, without that record, when its library is the ``mnist`` pack.
    * Otherwise: :func:`synthetic_colour_images` (32 x 32 RGB, or the training size if known).

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> default_images(TANDAPolicy("cifar10"), n=3).shape
    (3, 32, 32, 3)
    """
    shape = (policy.metadata.get("training") or {}).get("data_shape")
    if isinstance(shape, list) and len(shape) in (3, 4):
        grayscale = len(shape) == 3 or shape[-1] == 1
    else:
        grayscale = pack_name(policy.library) == "mnist"
    if grayscale:
        from tanda_transforms.data import load_mnist_sample

        digits, _ = load_mnist_sample()
        pick = np.sort(np.random.default_rng(seed).choice(len(digits), n, replace=n > len(digits)))
        return digits[pick]
    size = int(shape[1]) if isinstance(shape, list) and len(shape) == 4 else 32
    return synthetic_colour_images(n, size=max(8, min(size, MAX_TILE)), seed=seed)


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


def grid_size(n_rows: int, n_aug: int, tile_h: int, tile_w: int) -> tuple[int, int]:
    """Height and width in pixels of a :func:`sample_grid` picture.

    ``height = GRID_PAD + n_rows * (tile_h + GRID_PAD)`` and
    ``width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR``.

    Examples
    --------
    >>> grid_size(2, 3, 112, 112)
    (230, 464)
    """
    height = GRID_PAD + n_rows * (tile_h + GRID_PAD)
    width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR
    return height, width


def sample_grid(
    policy: TANDAPolicy,
    images: np.ndarray | Sequence[np.ndarray],
    n_aug: int = 8,
    seed: int = 0,
    scale: int | None = None,
) -> np.ndarray:
    """A picture of the policy at work: each row an original, then ``n_aug`` augmentations.

    Each augmentation samples its own sequence. Sampling uses ``seed`` (a fresh torch generator
    for the sequences, a numpy one for the TFs' random parts), not the policy's own stream, so
    the picture is reproducible and the policy is left as it was.

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
    ((100, 302, 3), dtype('uint8'))
    """
    images = list(images)
    if not images:
        raise ValueError("sample_grid needs at least one image")
    if not isinstance(n_aug, int) or n_aug < 0:
        raise ValueError(f"n_aug must be a non-negative int, got {n_aug!r}")
    if scale is not None and (not isinstance(scale, int) or scale < 1):
        raise ValueError(f"scale must be a positive int or None, got {scale!r}")
    tile_h, tile_w = _tile_size(*np.asarray(images[0]).shape[:2], scale)
    height, width = grid_size(len(images), n_aug, tile_h, tile_w)
    grid = np.full((height, width, 3), GRID_BACKGROUND, np.uint8)
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
        y = GRID_PAD + row * (tile_h + GRID_PAD)
        for col, tile in enumerate(tiles):
            x = GRID_PAD + col * (tile_w + GRID_PAD) + (GRID_SEPARATOR if col else 0)
            grid[y : y + tile_h, x : x + tile_w] = _resize_tile(to_display(tile, top), tile_h,
                                                                tile_w)
    return grid
