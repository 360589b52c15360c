"""``tanda demo``: learn a small LSTM policy on the MNIST digits shipped with the package and
write it with its picture.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tanda_transforms.cli.common import (
    Formatter,
    non_negative_int,
    positive_int,
    wrap,
)
from tanda_transforms.cli.show import grid_legend, titled_grid, write_png
from tanda_transforms.cli.training import add_runtime_options, print_distance, train_policy

#: The one-line help of ``tanda demo`` (``tanda --help``).
HELP = "learn a small policy on shipped MNIST digits (a minute or two on a CPU)"


#: Steps of ``tanda demo`` (and of ``tanda learn`` without ``--data``, ``--steps``, ``--epochs``):
#: about a minute and a half on 2 CPU cores.
DEMO_STEPS = 200


#: Batch size of the demo: half the paper's 32, so twice the steps fit in the same time.
DEMO_BATCH_SIZE = 16


def add_parser(sub) -> None:
    p = sub.add_parser(
        "demo",
        help=HELP,
        formatter_class=Formatter,
        description=wrap("Learn an LSTM policy over the paper's 25 MNIST TFs (L = 10) on the 500 "
        "real MNIST digits shipped with the package, then write OUT_DIR/policy.tanda, "
        "OUT_DIR/policy.png (originals and augmented samples) and print a summary. Takes "
        "about 1-2 minutes on 2 CPU cores."),
    )
    p.add_argument("--out-dir", default="tanda-demo", metavar="DIR",
                   help="folder for policy.tanda and policy.png (created if missing)")
    p.add_argument("--steps", type=positive_int, default=DEMO_STEPS, metavar="N",
                   help="training steps (more steps, sharper policy)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the whole run")
    p.add_argument("--device", choices=("cpu", "cuda"),
                   help="where the networks train; default: cuda if available, else cpu")
    add_runtime_options(p)


def run(args: argparse.Namespace) -> int:
    """``tanda demo``: learn on the shipped MNIST digits; write the policy and its grid."""
    from tanda_transforms._learn_config import LearnConfig
    from tanda_transforms.data import describe_data, load_data
    from tanda_transforms.show import originals, summarise
    from tanda_transforms.tfs import TFLibrary

    images, _ = load_data(None)
    config = LearnConfig(seq_len=10, steps=args.steps, batch_size=DEMO_BATCH_SIZE)
    policy, wall = train_policy(images, TFLibrary.pack("mnist"), config, args, "lstm")
    policy.metadata["data"] = describe_data(None, "sample", "train", len(images), args.steps,
                                            DEMO_BATCH_SIZE)
    policy.metadata["recipe"] = f"tanda demo --steps {args.steps} --seed {args.seed}"
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    policy.save(out / "policy.tanda")
    images, source = originals(policy, 8, args.seed)
    write_png(out / "policy.png", titled_grid(policy, "demo", images, source, 8, args.seed))
    print(f"policy written to {out / 'policy.tanda'}, picture to {out / 'policy.png'}")
    print(grid_legend(8, 8, policy.seq_len))
    print(f"wall time: {wall:.1f} s for {args.steps} steps")
    print(summarise(policy, n_samples=2000, top=10, seed=args.seed))
    print_distance(policy)
    return 0
