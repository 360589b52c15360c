"""``tanda show``: a policy's summary and a titled picture grid of samples (for a text
policy, sampled sentences); the grid helpers ``tanda demo`` uses too.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tanda_transforms.cli.common import (
    CliError,
    Formatter,
    add_pool_options,
    load_policy,
    non_negative_int,
    pool_from_args,
    positive_int,
    prepare_policy_pools,
    wrap,
)

#: The one-line help of ``tanda show`` (``tanda --help``).
HELP = "print a policy's TF probabilities and frequent pairs; draw a labelled sample grid"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "show",
        help=HELP,
        formatter_class=Formatter,
        description=wrap("Print the policy's TF probabilities per step (sorted; exact for a "
        "mean-field policy, else estimated from 4096 sampled sequences, the numbers `tanda "
        "learn` prints), its most frequent consecutive pairs and whole sequences among "
        "--samples sampled, and its metadata (training steps, wall time, the discriminator's "
        "last accuracy and what it means). Write a PNG grid under a header naming the columns: "
        "each row an original image, then augmented samples of it, enlarged with "
        "nearest-neighbour. Without --images the originals are real digits from the "
        "shipped MNIST sample for grayscale policies (trained on 1-channel data, or, without "
        "that record, using the mnist pack), the first films of a --lesion-pool mini-MIAS "
        "folder, else synthetic colour pictures drawn with numpy and OpenCV (a gradient, a "
        "disc, a bar, a triangle)."),
        epilog="example (the ddsm gallery policy needs its lesion pool):\n"
        "  tanda show ddsm --lesion-pool path/to/mini-mias --out ddsm.png\n",
    )
    p.add_argument("policy", metavar="POLICY", help="a .tanda file or a gallery policy name")
    p.add_argument("--out", default="grid.png", metavar="PNG", help="where to write the grid")
    p.add_argument("--images", metavar="PATH",
                   help="originals for the grid: a folder of images, .npy or .npz (read as "
                   "`tanda learn --data` reads it, --reader auto)")
    p.add_argument("--n", type=positive_int, default=8,
                   help="rows of the grid (originals), and augmented samples per row")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of the sampling (sequences, picked images)")
    p.add_argument("--top", type=positive_int, default=10,
                   help="frequent sequences to list")
    p.add_argument("--samples", type=positive_int, default=2000,
                   help="sequences sampled to count frequent pairs and sequences")
    add_pool_options(p)


def run(args: argparse.Namespace) -> int:
    """``tanda show``: summary to stdout, sample grid to a PNG."""
    from tanda_transforms.show import summarise

    pool = pool_from_args(args)
    policy = load_policy(args.policy, args.seed)
    prepare_policy_pools(policy, args.policy, args, pool)
    print(summarise(policy, n_samples=args.samples, top=args.top, seed=args.seed))
    if policy.library.modality == "text":
        return _show_sentences(policy, args)
    images, source = _show_originals(policy, args)
    print(f"originals: {source}")
    try:
        grid = titled_grid(policy, args.policy, images, source, args.n, args.seed)
    except ValueError as err:
        raise CliError(f"cannot apply the policy to these images: {err}") from None
    write_png(Path(args.out), grid)
    print(f"grid written to {args.out}: {grid_legend(len(images), args.n, policy.seq_len)}")
    return 0


def _show_originals(policy, args: argparse.Namespace) -> tuple[np.ndarray, str]:
    """The originals of ``tanda show``'s grid, and a line saying what they are."""
    from tanda_transforms.data import load_data
    from tanda_transforms.show import originals

    if args.images is not None:
        images, _ = load_data(args.images)
        if len(images) > args.n:
            pick = np.random.default_rng(args.seed).choice(len(images), args.n, replace=False)
            images = images[np.sort(pick)]
        return images, f"{len(images)} images from {args.images} (--images)"
    if args.lesion_pool is not None and Path(args.lesion_pool).is_dir():  # films of the pool
        from tanda_transforms.domains.pool_setup import training_size

        size = args.pool_size or training_size(policy)
        images, _ = load_data(args.lesion_pool, "mias", limit=args.n, size=size)
        return images, f"the first {len(images)} mini-MIAS films of {args.lesion_pool}"
    return originals(policy, args.n, args.seed)


def titled_grid(policy, name: str, images, source: str, n_aug: int, seed: int) -> np.ndarray:
    """:func:`~tanda_transforms.show.sample_grid` under a title: the policy, what the rows
    are, and a one-line key; right of each row, the TFs its samples used."""
    from tanda_transforms.show import describe_library, sample_grid

    kind = policy.sampler.config().get("kind", "?")
    title = [f"policy {name}: {describe_library(policy.library)}, L = {policy.seq_len}, {kind} "
             f"generator, p = {policy.p:g} (the share of images it transforms in use; here "
             "every sample is transformed)",
             f"originals (left column): {source}",
             f"key: each row, the original then {n_aug} samples, each made by its own sequence of "
             f"L = {policy.seq_len} TFs drawn from the policy; right, the TFs that row's samples "
             "used, most used first (xN: times used)"]
    return sample_grid(policy, images, n_aug=n_aug, seed=seed, title=title, row_notes=True)


def grid_legend(rows: int, samples: int, seq_len: int) -> str:
    """One sentence saying what the picture of ``sample_grid`` shows."""
    return (f"{rows} rows; in each, the original on the left, then {samples} augmented "
            f"samples of it, each made by its own sequence of L = {seq_len} TFs drawn from "
            "the policy")


def write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise CliError(f"could not write {path} (is the name a .png?)")


#: Sentences ``tanda show`` augments for a text policy when no --images are given.
EXAMPLE_SENTENCES = (
    "The <e1>company</e1> fabricates plastic <e2>chairs</e2>.",
    "A <e1>bottle</e1> of red wine was found in the <e2>cellar</e2> last week.",
    "The <e1>author</e1> of the report explained the <e2>findings</e2> to the committee.",
)


def _show_sentences(policy, args: argparse.Namespace) -> int:
    """A text policy's ``tanda show``: each sentence, then ``--n`` draws (no picture)."""
    from tanda_transforms.data import load_data

    sentences = list(EXAMPLE_SENTENCES)
    if args.images is not None:
        sentences, _ = load_data(args.images)
        if not isinstance(sentences, list):
            raise CliError(f"{args.images}: a text policy needs sentences (a .txt file or a "
                           "SemEval archive), not images")
        rng = np.random.default_rng(args.seed)
        sentences = [sentences[i] for i in sorted(rng.permutation(len(sentences))[:args.n])]
    policy.manual_seed(args.seed)
    for sentence in sentences:
        print(f"\n  {sentence}")
        for _ in range(args.n):
            print(f"    -> {policy(sentence)}")
    return 0
