"""Look at a policy: a text summary and a picture grid of augmented samples.

Used by ``tanda show`` and ``tanda demo``; reusable from scripts (gallery pages, notebooks).
Pictures are made with numpy and OpenCV only (no matplotlib).

* :func:`summarise`: the TF probabilities, frequent pairs and sequences, the metadata, and
  what the discriminator's last accuracy means.
* :func:`sample_grid`: one row per image, the original then ``n_aug`` augmented samples,
  upscaled with nearest-neighbour, under a header naming the columns, as a ``uint8`` RGB
  array (``cv2.imwrite`` wants BGR: ``grid[..., ::-1]``).
* :func:`policy_repr`: what ``repr(policy)`` prints (TFs with probabilities, L, generator).
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
>>> sample_grid(policy, images, n_aug=3, seed=0).shape  # tiles of 112 px (28 x 4), header
(248, 464, 3)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import torch

from tanda_transforms.generators import MeanFieldSampler
from tanda_transforms.labels import label_lines
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.tfs import TFLibrary, available_packs

if TYPE_CHECKING:  # annotations only: policy.py imports this module for repr(policy)
    from tanda_transforms.policy import TANDAPolicy

__all__ = [
    "GRID_BACKGROUND",
    "GRID_HEADER",
    "GRID_PAD",
    "GRID_SEPARATOR",
    "default_images",
    "describe_library",
    "grid_size",
    "metadata_lines",
    "pack_name",
    "policy_repr",
    "probability_lines",
    "probability_note",
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
#: Height in pixels of the header that names the columns ("original", "sample 1", ...).
GRID_HEADER = 18
#: Sequences sampled to estimate a recurrent policy's TF probabilities (everywhere: ``tanda
#: learn``, ``tanda show``, ``repr``), so the same file always prints the same numbers.
ESTIMATE_SEQUENCES = 4096
#: Small images are enlarged (by an integer factor, nearest-neighbour) to at least this size.
MIN_TILE = 96
#: Large images are shrunk (``cv2.INTER_AREA``) to at most this size.
MAX_TILE = 256


# --- numbers ------------------------------------------------------------------------------


def tf_probabilities(
    policy: TANDAPolicy, seed: int = 0, n: int = ESTIMATE_SEQUENCES
) -> np.ndarray:
    """How often the policy picks each TF per step, in library order.

    Exact for a mean-field sampler (the softmax of its logits); estimated from ``n``
    sequences of the policy's length for a recurrent one (with a generator seeded by
    ``seed``, so the numbers are reproducible). :func:`probability_note` says which.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> float(tf_probabilities(TANDAPolicy.load("example"))[0])  # uniform over 25 TFs
    0.04
    """
    device = next(policy.sampler.parameters()).device
    generator = torch.Generator(device).manual_seed(seed)
    probs = policy.sampler.tf_probabilities(seq_len=policy.seq_len, n=n, generator=generator)
    return probs.double().cpu().numpy()


def probability_note(policy: TANDAPolicy, n: int = ESTIMATE_SEQUENCES) -> str:
    """``"exact"`` for a mean-field policy, else how the probabilities were estimated.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> probability_note(TANDAPolicy.load("example"))
    'exact'
    >>> probability_note(TANDAPolicy.load("mnist"))
    'estimated from 4096 sampled sequences'
    """
    if isinstance(policy.sampler, MeanFieldSampler):
        return "exact"
    return f"estimated from {n} sampled sequences"


def probability_lines(policy: TANDAPolicy, top: int | None = None) -> list[str]:
    """A title and one ``name  probability`` line per TF, most likely first.

    ``top`` keeps the first ``top`` TFs (``None``: all) and adds a ``... N more`` line.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> probability_lines(TANDAPolicy.load("example"), top=1)[:2]
    ['TF probabilities per step, exact (uniform = 0.0400):', '  rotate(degrees=-10.0)  0.0400']
    """
    probs = tf_probabilities(policy)
    order = np.argsort(-probs, kind="stable")
    shown = order if top is None else order[:top]
    names = policy.library.names
    width = max(len(names[i]) for i in shown)
    lines = [f"TF probabilities per step, {probability_note(policy)} "
             f"(uniform = {1 / len(probs):.4f}):"]
    lines.extend(f"  {names[i]:<{width}}  {probs[i]:.4f}" for i in shown)
    if len(shown) < len(order):
        lines.append(f"  ... {len(order) - len(shown)} more")
    return lines


def policy_repr(policy: TANDAPolicy, top: int = 40) -> str:
    """What ``repr(policy)`` prints: L, the generator, the seed and the TFs with probabilities.

    The TFs come most likely first, with their per-step probabilities (exact for mean-field,
    else estimated as :func:`tf_probabilities` does); past ``top`` TFs the rest are counted.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> from tanda_transforms import TF
    >>> print(policy_repr(TANDAPolicy([TF("hflip"), TF("vflip")], seq_len=2, seed=0)))
    TANDAPolicy(L=2, generator=mean_field, seed=0, p=1.0, frame=0, 2 TFs;
      TF probabilities per step, exact:
      hflip()  0.5000
      vflip()  0.5000
    )
    """
    kind = policy.sampler.config().get("kind", type(policy.sampler).__name__)
    lines = probability_lines(policy, None if len(policy.library) <= top else top)
    head = (f"TANDAPolicy(L={policy.seq_len}, generator={kind}, seed={policy.seed}, "
            f"p={policy.p}, frame={policy.frame}, {len(policy.library)} TFs;\n"
            f"  TF probabilities per step, {probability_note(policy)}:")
    return "\n".join([head, *lines[1:], ")"])


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


def _short(value: Any, width: int = 100) -> str:
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
        if "d_acc" in last:
            lines.append(D_ACC_MEANING)
    return lines + label_lines(training.get("labels"))


#: One sentence on the discriminator accuracy ``d_acc`` that training logs.
D_ACC_MEANING = (
    "(d_acc: how often the discriminator told real from transformed images apart in that "
    "batch; 0.5 means the transformed images pass for real, near 1 means they are easy to "
    "tell apart: TFs that change the images visibly, or a discriminator ahead of the "
    "generator)"
)


def summarise(policy: TANDAPolicy, n_samples: int = 2000, top: int = 10, seed: int = 0) -> str:
    """A text summary: TF probabilities, frequent pairs and sequences, metadata.

    Parameters
    ----------
    policy
        The policy.
    n_samples
        Sequences sampled to count pairs and whole sequences.
    top
        How many pairs and sequences to list (and TF probabilities, for libraries of more
        than 40 TFs; smaller libraries are listed in full).
    seed
        Seed of the sampling, so the summary is reproducible.

    Returns
    -------
    str
        Several lines, no trailing newline. The TF probabilities are exact for a mean-field
        policy and estimated from :data:`ESTIMATE_SEQUENCES` sequences otherwise (the same
        numbers ``tanda learn`` prints); whole sequences are listed only when some repeat.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> text = summarise(TANDAPolicy.load("example"), n_samples=100, top=2)
    >>> text.splitlines()[:2]
    ['policy: mnist pack (25 TFs), L = 3, generator mean_field', \
'TF probabilities per step, exact (uniform = 0.0400):']
    """
    kind = policy.sampler.config().get("kind", type(policy.sampler).__name__)
    lines = [
        f"policy: {describe_library(policy.library)}, L = {policy.seq_len}, generator {kind}",
    ]
    lines += probability_lines(policy, None if len(policy.library) <= 40 else top)
    counts = sequence_counts(policy, n_samples, seed)
    lines += _pair_lines(policy, counts, n_samples, min(top, 5))
    lines += _sequence_lines(policy, counts, n_samples, top)
    meta = metadata_lines(policy)
    lines.append("metadata:" + ("" if meta else " -"))
    lines.extend(f"  {line}" for line in meta)
    return "\n".join(lines)


def _pair_lines(policy: TANDAPolicy, counts: Counter, n_samples: int, top: int) -> list[str]:
    if policy.seq_len < 2:
        return []
    pairs: Counter = Counter()
    for actions, count in counts.items():
        for pair in zip(actions, actions[1:], strict=False):
            pairs[pair] += count
    total = n_samples * (policy.seq_len - 1)
    uniform = 1 / len(policy.library) ** 2
    lines = [f"most frequent consecutive pairs (of {total} in {n_samples} sampled sequences; "
             f"uniform {uniform:.2%} each):"]
    for pair, count in pairs.most_common(top):
        lines.append(f"  {count / total:>6.2%}  " + " -> ".join(policy.names(pair)))
    return lines


def _sequence_lines(policy: TANDAPolicy, counts: Counter, n_samples: int, top: int) -> list[str]:
    repeated = [(actions, count) for actions, count in counts.most_common(top) if count > 1]
    if repeated:
        lines = [f"most frequent whole sequences among {n_samples} sampled "
                 f"({len(counts)} distinct):"]
        lines += [f"  {count:>5}  " + " -> ".join(policy.names(actions))
                  for actions, count in repeated]
        return lines
    k, length = len(policy.library), policy.seq_len
    possible = f"{k}^{length} = {k**length:,}" if k**length < 10**9 else f"{k}^{length}"
    lines = [f"whole sequences: all {n_samples} sampled are distinct (of {possible} possible), "
             "so the pairs above say more; three of them:"]
    lines += ["  " + " -> ".join(policy.names(actions)) for actions in list(counts)[:3]]
    return lines


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


def grid_size(
    n_rows: int, n_aug: int, tile_h: int, tile_w: int, labels: bool = True
) -> tuple[int, int]:
    """Height and width in pixels of a :func:`sample_grid` picture.

    ``height = GRID_PAD + n_rows * (tile_h + GRID_PAD)`` (plus :data:`GRID_HEADER` with
    ``labels``) and ``width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR``.

    Examples
    --------
    >>> grid_size(2, 3, 112, 112)
    (248, 464)
    >>> grid_size(2, 3, 112, 112, labels=False)
    (230, 464)
    """
    height = GRID_PAD + n_rows * (tile_h + GRID_PAD) + (GRID_HEADER if labels else 0)
    width = GRID_PAD + (1 + n_aug) * (tile_w + GRID_PAD) + GRID_SEPARATOR
    return height, width


def sample_grid(
    policy: TANDAPolicy,
    images: np.ndarray | Sequence[np.ndarray],
    n_aug: int = 8,
    seed: int = 0,
    scale: int | None = None,
    labels: bool = True,
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
    height, width = grid_size(len(images), n_aug, tile_h, tile_w, labels)
    grid = np.full((height, width, 3), GRID_BACKGROUND, np.uint8)
    top_y = GRID_HEADER if labels else 0
    if labels:
        _draw_header(grid, n_aug, tile_w)
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
    return grid


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


def _text_width(text: str) -> int:
    (width, _), _ = cv2.getTextSize(text, _FONT, 0.4, 1)
    return width
