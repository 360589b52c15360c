"""Look at a policy: a text summary and a picture grid of augmented samples.

Used by ``tanda show`` and ``tanda demo``; reusable from scripts (gallery pages, notebooks).
Pictures are made with numpy and OpenCV only (no matplotlib).

* :func:`summarise`: the TF probabilities and each op's share, frequent pairs and
  sequences, the metadata, and what the discriminator's last accuracy means.
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

import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tanda_transforms.labels import label_lines
from tanda_transforms.picture import (
    GRID_BACKGROUND,
    GRID_HEADER,
    GRID_PAD,
    GRID_SEPARATOR,
    MAX_TILE,
    grid_size,
    sample_grid,
    synthetic_colour_images,
    to_display,
)
from tanda_transforms.sequence import SequencePolicy
from tanda_transforms.tfs import TFLibrary, available_packs

__all__ = [
    "GRID_BACKGROUND",
    "GRID_HEADER",
    "GRID_PAD",
    "GRID_SEPARATOR",
    "default_images",
    "describe_library",
    "grid_size",
    "metadata_lines",
    "op_lines",
    "originals",
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

#: Sequences sampled to estimate a recurrent policy's TF probabilities (everywhere: ``tanda
#: learn``, ``tanda show``, ``repr``), so the same file always prints the same numbers.
ESTIMATE_SEQUENCES = 4096


# --- numbers ------------------------------------------------------------------------------


def tf_probabilities(
    policy: SequencePolicy, seed: int = 0, n: int = ESTIMATE_SEQUENCES
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


def probability_note(policy: SequencePolicy, n: int = ESTIMATE_SEQUENCES) -> str:
    """``"exact"`` for a mean-field policy, else how the probabilities were estimated.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> probability_note(TANDAPolicy.load("example"))
    'exact'
    >>> probability_note(TANDAPolicy.load("mnist"))
    'estimated from 4096 sampled sequences'
    """
    if policy.sampler.exact_probabilities:
        return "exact"
    return f"estimated from {n} sampled sequences"


def probability_lines(policy: SequencePolicy, top: int | None = None,
                      probs: np.ndarray | None = None) -> list[str]:
    """A title and one ``name  probability`` line per TF, most likely first.

    ``top`` keeps the first ``top`` TFs (``None``: all) and adds a ``... N more`` line;
    ``probs``: :func:`tf_probabilities` of the policy, if the caller has them already.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> probability_lines(TANDAPolicy.load("example"), top=1)[:2]
    ['TF probabilities per step, exact (uniform = 0.0400):', '  rotate(degrees=-10.0)  0.0400']
    """
    probs = tf_probabilities(policy) if probs is None else probs
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


def op_lines(policy: SequencePolicy, probs: np.ndarray | None = None) -> list[str]:
    """A title and one line per op: its TFs' summed probability per step, most likely first,
    beside what uniform sequences over the same TFs give it; ``[]`` when each op has one TF
    (the TF lines say it all). ``probs``: as for :func:`probability_lines`.

    Which ops a policy kept and which it dropped, whatever their magnitudes or signs: what
    learning over a wide op space (``wide``, ``randaugment``) answers for your data.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> op_lines(TANDAPolicy.load("example"))[:2]  # uniform over 25 TFs, 7 ops
    ['share of each op per step, exact (uniform over the same TFs in brackets):', \
'  rotate     24.0 %  (24.0 %)']
    """
    ops = [tf.op for tf in policy.library]
    if len(set(ops)) == len(ops):
        return []
    probs = tf_probabilities(policy) if probs is None else probs
    shares: dict[str, float] = {}
    tfs_per_op: Counter = Counter(ops)
    for op, prob in zip(ops, probs, strict=True):
        shares[op] = shares.get(op, 0.0) + float(prob)
    order = sorted(shares, key=lambda op: -shares[op])
    width = max(len(op) for op in order)
    lines = [f"share of each op per step, {probability_note(policy)} "
             "(uniform over the same TFs in brackets):"]
    lines.extend(f"  {op:<{width}}  {100 * shares[op]:5.1f} %  "
                 f"({100 * tfs_per_op[op] / len(ops):.1f} %)" for op in order)
    return lines


def policy_repr(policy: SequencePolicy, top: int = 40) -> str:
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


def sequence_counts(policy: SequencePolicy, n: int = 2000, seed: int = 0) -> Counter:
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


def metadata_lines(policy: SequencePolicy) -> list[str]:
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


def summarise(policy: SequencePolicy, n_samples: int = 2000, top: int = 10, seed: int = 0) -> str:
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
    probs = tf_probabilities(policy)
    lines += probability_lines(policy, None if len(policy.library) <= 40 else top, probs)
    lines += op_lines(policy, probs)
    counts = sequence_counts(policy, n_samples, seed)
    lines += _pair_lines(policy, counts, n_samples, min(top, 5))
    lines += _sequence_lines(policy, counts, n_samples, top)
    meta = metadata_lines(policy)
    lines.append("metadata:" + ("" if meta else " -"))
    lines.extend(f"  {line}" for line in meta)
    return "\n".join(lines)


def _pair_lines(policy: SequencePolicy, counts: Counter, n_samples: int, top: int) -> list[str]:
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


def _sequence_lines(policy: SequencePolicy, counts: Counter, n_samples: int, top: int) -> list[str]:
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


# --- pictures (drawn in :mod:`tanda_transforms.picture`) -----------------------------


def default_images(policy: SequencePolicy, n: int = 8, seed: int = 0) -> np.ndarray:
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


_SHIPPED_SAMPLE = "the MNIST sample shipped with the package"
#: ``metadata["data"]`` of a policy learned from a file or folder: its base name and reader.
_OWN_DATA = re.compile(r"^(?P<name>[^/\\]+) \((?P<reader>npy|folder), [0-9,]+ images\);")


def originals(policy: SequencePolicy, n: int = 8, seed: int = 0) -> tuple[np.ndarray, str]:
    """Images to show a policy on when the user gives none, and a line saying what they are.

    The policy's own training data when it can be reached: the MNIST sample shipped with
    the package (the demo's data; also the first 500 digits of the MNIST train split), or the
    ``.npy``/``.npz`` file or folder that ``metadata["data"]`` names, when one of that name
    is in the current directory (a policy records the base name only). Otherwise
    :func:`default_images`, said plainly: real MNIST digits that are not its training data,
    or synthetic pictures.

    Examples
    --------
    >>> from tanda_transforms import TANDAPolicy
    >>> images, what = originals(TANDAPolicy.load("cifar10"), n=2)
    >>> images.shape, what[:40]
    ((2, 32, 32, 3), 'SYNTHETIC pictures (gradient, disc, bar,')
    """
    data = policy.metadata.get("data")
    data = data if isinstance(data, str) else ""
    recorded = data.split(";")[0] or "not recorded"
    match = _OWN_DATA.match(data)
    if match and Path(match["name"]).exists():
        from tanda_transforms.data import load_data

        images, _ = load_data(match["name"], match["reader"])
        pick = np.sort(np.random.default_rng(seed).permutation(len(images))[:n])
        return images[pick], f"the policy's own training data, read from ./{match['name']}"
    images = default_images(policy, n, seed)
    if images.ndim == 4:
        return images, (f"SYNTHETIC pictures (gradient, disc, bar, triangle), not real data: the "
                        f"policy's training data ({recorded}) is not reachable here; --images "
                        "PATH shows it on yours")
    if data.startswith(_SHIPPED_SAMPLE) or data.startswith("MNIST train split"):
        return images, (f"real MNIST digits shipped with the package, part of the policy's "
                        f"training data ({recorded})")
    return images, (f"real MNIST digits shipped with the package, NOT the policy's training "
                    f"data ({recorded}); --images PATH shows it on yours")
