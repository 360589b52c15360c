"""``tanda tune``: choose a policy's ``p``, ``frame`` (and L) on labeled data, save the result.

The parser (:func:`add_tune_parser`) imports nothing heavy; :func:`prepare_tune` reads and
checks the inputs (a ``ValueError`` or ``TypeError`` is a mistake in them), and
:func:`run_tune` runs :func:`tanda_transforms.tune.tune_policy`, printing every proxy run,
the choice and its cost, and writes the tuned policy.

Labeled data (``--data``):

- a folder with one sub-folder of images per class (labels are the sorted sub-folder names);
- an ``.npz`` file with arrays ``images`` (``N x H x W [x C]`` uint8) and ``labels``;
- an MNIST or CIFAR-10 root (``--reader mnist`` / ``cifar10``, or found by ``auto``).

``--label-fraction F`` keeps a stratified, seeded share of it first (``0.01`` of MNIST's
training set is the 600 digits of the project's low-label setting).

Examples
--------
>>> import argparse
>>> sub = argparse.ArgumentParser(prog="tanda").add_subparsers(dest="command")
>>> args = add_tune_parser(sub).parse_args(["mnist", "--data", "d.npz", "--p-grid", "0,0.5"])
>>> args.p_grid, args.frame_grid, args.out
((0.0, 0.5), (0, 2), 'tuned.tanda')
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["add_tune_parser", "prepare_tune", "run_tune", "load_labeled"]

HELP = "choose a policy's p and frame by short trainings on labeled data"
_READERS = ("auto", "folder", "npz", "mnist", "cifar10")


def _list_of(parse: type) -> Any:
    """An argparse type: comma-separated values, each read with ``parse`` (int or float)."""

    def convert(text: str) -> tuple:
        try:
            return tuple(parse(v) for v in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {parse.__name__} values separated by commas, got {text!r}") from None

    return convert


_floats, _ints = _list_of(float), _list_of(int)


def add_tune_parser(subparsers: Any, **parser_options: Any) -> argparse.ArgumentParser:
    """Add the ``tune`` subcommand to a ``tanda`` subparsers object; returns its parser."""
    from tanda_transforms.tune import FRAME_GRID, P_GRID, PROXY_EPOCHS

    p = subparsers.add_parser(
        "tune", help=HELP, **parser_options,
        description="Hold out a stratified validation share of labeled images, train a small "
        "CNN briefly with the policy applied at each (p, frame) of the grid, and p = 0 (no "
        "augmentation) always, and save the policy with the best mean validation accuracy's "
        "setting (ties: the smaller p). Prints each proxy run and the total cost: (1 + "
        "p values above 0 x frames) x seeds trainings.",
        epilog="examples:\n"
        "  tanda tune mnist --data /data/mnist --label-fraction 0.01 --threads 1\n"
        "  tanda tune policy.tanda --data labeled/ --p-grid 0,0.3,1 --out tuned.tanda\n",
    )
    p.add_argument("policy", metavar="POLICY", help="a .tanda file or a gallery policy name")
    p.add_argument("--data", required=True, metavar="PATH",
                   help="labeled images: a folder of class sub-folders, an .npz with 'images' "
                   "and 'labels', or an MNIST / CIFAR-10 root")
    p.add_argument("--reader", choices=_READERS, default="auto", help="how to read --data")
    p.add_argument("--split", choices=("train", "test"), default="train",
                   help="split of the mnist and cifar10 readers")
    p.add_argument("--label-fraction", type=float, default=1.0, metavar="F",
                   help="keep a stratified share F of the labeled images (drawn with --seed)")
    p.add_argument("--p-grid", type=_floats, default=P_GRID, metavar="P,P,...",
                   help="candidate p values (0 is always tried)")
    p.add_argument("--frame-grid", type=_ints, default=FRAME_GRID, metavar="F,F,...",
                   help="candidate frames in pixels")
    p.add_argument("--seq-len-grid", type=_ints, metavar="L,L,...",
                   help="candidate sequence lengths (default: the policy's own L)")
    p.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                   help="share held out for validation (stratified)")
    p.add_argument("--seeds", type=_ints, default=(0,), metavar="S,S,...",
                   help="seeds of the proxy trainings; each candidate runs with every one")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of --label-fraction's draw and of the validation split")
    p.add_argument("--epochs", type=int, default=PROXY_EPOCHS, help="epochs per proxy training")
    p.add_argument("--crop", type=int, metavar="PAD",
                   help="what your training applies before the policy: pad PAD pixels and "
                   "crop back at random (zero border, torchvision's RandomCrop(padding=PAD)), "
                   "in every proxy run, so the policy is tuned where it will run")
    p.add_argument("--flip", action="store_true",
                   help="with --crop: also flip left-right at random (CIFAR-style crop+flip)")
    p.add_argument("--threads", type=int, metavar="N", help="torch CPU threads (default: torch's)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the proxies train")
    p.add_argument("--out", default="tuned.tanda", metavar="PATH",
                   help="where to write the tuned policy")
    return p


@dataclasses.dataclass
class TuneJob:
    """What :func:`prepare_tune` read and checked, for :func:`run_tune`."""

    args: argparse.Namespace
    policy: Any
    images: np.ndarray
    labels: np.ndarray
    source: str


def load_labeled(path: str | Path, reader: str = "auto", split: str = "train"
                 ) -> tuple[np.ndarray, np.ndarray, str]:
    """Labeled images from ``path``: ``(images, labels, what was read)`` (see module doc).

    Examples
    --------
    >>> import tempfile, pathlib, cv2
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("cat", "dog"):
    ...     (root / name).mkdir()
    ...     _ = cv2.imwrite(str(root / name / "a.png"), np.zeros((4, 5), np.uint8))
    >>> images, labels, what = load_labeled(root)
    >>> images.shape, labels.tolist(), what
    ((2, 4, 5), [0, 1], 'folder: 2 classes (cat, dog)')
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data not found: {path}")
    if reader == "auto":
        reader = _guess(path)
    if reader == "npz":
        return (*_load_npz(path), "npz")
    if reader == "folder":
        return _load_class_folders(path)
    from tanda_transforms.data import load_cifar10, load_mnist

    images, labels = (load_mnist if reader == "mnist" else load_cifar10)(path, split)
    return images, np.asarray(labels, dtype=np.int64), f"{reader} {split}"


def _guess(path: Path) -> str:
    from tanda_transforms.data import guess_reader

    if path.suffix.lower() == ".npz":
        return "npz"
    known = guess_reader(path)
    if known in ("mnist", "cifar10"):
        return known
    if path.is_dir() and any(p.is_dir() for p in path.iterdir()):
        return "folder"
    raise ValueError(f"{path}: not labeled data tune can read (a folder of class sub-folders, "
                     "an .npz with images and labels, an MNIST or CIFAR-10 root)")


def _load_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        missing = {"images", "labels"} - set(archive.files)
        if missing:
            raise ValueError(f"{path}: an .npz for tune holds arrays 'images' and 'labels'; "
                             f"missing {sorted(missing)}")
        return np.asarray(archive["images"]), np.asarray(archive["labels"])


def _load_class_folders(root: Path) -> tuple[np.ndarray, np.ndarray, str]:
    from tanda_transforms.evaluation.folder import read_labeled_folder

    images, labels, classes = read_labeled_folder(root)
    names = ", ".join(classes[:10])
    return images, labels, f"folder: {len(classes)} classes ({names})"


def prepare_tune(args: argparse.Namespace) -> TuneJob:
    """Read and check ``tanda tune``'s inputs; ``ValueError`` / ``TypeError`` name a mistake."""
    from tanda_transforms.evaluation.subsets import stratified_indices
    from tanda_transforms.policy import TANDAPolicy
    from tanda_transforms.tune import check_inputs

    policy = TANDAPolicy.load(args.policy, seed=args.seed)
    images, labels, source = load_labeled(args.data, args.reader, args.split)
    if args.label_fraction != 1.0:
        keep = stratified_indices(labels, args.label_fraction, args.seed)
        images, labels = images[keep], labels[keep]
        source += f", stratified {args.label_fraction:g} (seed {args.seed})"
    check_inputs(policy, images, labels, p_grid=args.p_grid, frame_grid=args.frame_grid,
                 seq_len_grid=args.seq_len_grid or (policy.seq_len,), seeds=args.seeds,
                 val_fraction=args.val_fraction)
    if args.epochs < 1 or (args.threads is not None and args.threads < 1):
        raise ValueError("--epochs and --threads must be positive")
    if args.flip and args.crop is None:
        raise ValueError("--flip goes with --crop PAD (the crop and flip before the policy)")
    if args.crop is not None and args.crop < 0:
        raise ValueError(f"--crop must be a pad of 0 or more pixels, got {args.crop}")
    return TuneJob(args, policy, images, labels, source)


def _setting(entry: dict[str, Any]) -> str:
    return f"p {entry['p']:g} frame {entry['frame']} L {entry['seq_len']}"


def _base(args: argparse.Namespace) -> Any:
    """``--crop`` / ``--flip``: the crop (and flip) every proxy applies before the policy."""
    if args.crop is None:
        return None
    from tanda_transforms.evaluation.augment import PadCropFlip

    return PadCropFlip(args.crop, flip=args.flip)


def report_run(run: dict[str, Any]) -> None:
    """Print one proxy run (``tune_policy``'s ``progress`` callback)."""
    print(f"  run {run['run']}/{run['runs']}: {_setting(run)}, "
          f"seed {run['seed']}: val {run['val_accuracy']:.2f} % ({run['seconds']:.0f} s)",
          flush=True)


def print_choice(record: dict[str, Any]) -> None:
    """Print every candidate's mean validation accuracy, the choice and its cost."""
    if record.get("base"):
        print(f"base: {record['base']} before the policy in every proxy run")
    for c in record["candidates"]:
        print(f"{_setting(c)}: mean val {c['mean']:.2f} %")
    print(f"chosen: {_setting(record['chosen'])} (cost: {record['proxy_runs']} proxy "
          f"runs of {record['epochs']} epochs on {record['n_train']} images, "
          f"{record['seconds']:.0f} s)")


def run_tune(job: TuneJob) -> int:
    """Run the proxies, print each and the cost, save the tuned policy; returns 0."""
    from tanda_transforms.tune import tune_policy

    args = job.args
    print(f"data: {len(job.images)} images {job.images.shape[1:]}, "
          f"{len(np.unique(job.labels))} classes ({job.source})")
    tuned = tune_policy(job.policy, job.images, job.labels, p_grid=args.p_grid,
                        frame_grid=args.frame_grid, seq_len_grid=args.seq_len_grid,
                        val_fraction=args.val_fraction,
                        seeds=args.seeds, split_seed=args.seed, epochs=args.epochs,
                        threads=args.threads, device=args.device, progress=report_run,
                        base=_base(args))
    print_choice(tuned.metadata["tuning"])
    tuned.save(args.out)
    print(f"wrote {args.out}")
    return 0
