"""``tanda learn``: its options, the ``--set`` overrides, the TF library from ``--tfs`` and the
command itself (read data, learn, save, print the top TF probabilities).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tanda_transforms.cli.common import (
    CliError,
    Formatter,
    frame_value,
    non_negative_int,
    positive_int,
    probability_value,
    wrap,
)
from tanda_transforms.cli.demo import DEMO_BATCH_SIZE, DEMO_STEPS
from tanda_transforms.cli.training import add_runtime_options, print_distance, train_policy

#: The one-line help of ``tanda learn`` (``tanda --help``).
HELP = "learn a policy from images"


def add_parser(sub) -> None:
    from tanda_transforms.data import READERS

    p = sub.add_parser(
        "learn",
        help=HELP,
        formatter_class=Formatter,
        description=wrap("Learn which sequences of TFs keep images realistic: a generator "
        "proposes TF sequences, a discriminator tells real images from transformed ones. No "
        "labels are used unless --labels gives some. Without --data this learns on the 500 "
        "MNIST digits shipped with the "
        f"package ({DEMO_STEPS} steps, batch {DEMO_BATCH_SIZE}, unless --steps, --epochs or "
        "--batch-size say otherwise). Prints where the policy went, the wall time and the "
        "top-10 TF probabilities."),
        epilog="examples:\n"
        "  tanda learn --data /data/mnist --limit 5000 --steps 300 --out mnist.tanda\n"
        "  tanda learn --data images/ --tfs cifar10 --set d_lr=1e-5 --set alpha=3e-4\n",
    )
    p.add_argument("--data", metavar="PATH",
                   help="a folder of images (streamed: read batch by batch while learning, "
                   "sub-folders included, any number of images), an .npy file (N x H x W "
                   "[x C]), an .npz file (array "
                   "'images', else its first array), a .txt file of sentences (one per line, "
                   "<e1>...</e1> marks protected spans) or a dataset root for --reader; "
                   "default: the 500 MNIST digits shipped with the package")
    p.add_argument("--reader", choices=READERS, default="auto",
                   help="how to read --data. auto: .npy/.npz -> npy; IDX files -> mnist; a "
                   "tar, cifar-10-batches-py or data_batch_* -> cifar10; Info.txt -> mias; "
                   "a .txt file -> text; a SemEval-2010 Task 8 archive or folder (name "
                   "containing 'semeval') -> semeval; else a folder of images (8/16-bit "
                   "kept; of mixed sizes with --size; unreadable files and images of other "
                   "channels or depth than the first are skipped and counted)")
    p.add_argument("--split", choices=("train", "test"), default="train",
                   help="split of the mnist, cifar10 and semeval readers")
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="keep only the first N images")
    p.add_argument("--size", type=positive_int, metavar="S",
                   help="for a folder: the learning size (LearnConfig.size): each image's "
                   "shorter side resized to S, then an S x S crop at a seeded random "
                   "position; needed when its images differ in size. mias reads films at "
                   "this size (default 256); other readers resize every image to S x S "
                   "(cv2.INTER_AREA). Default: images are kept as they are")
    p.add_argument("--workers", type=non_negative_int, metavar="N",
                   help="processes that read a folder's images while learning (default 2 "
                   "on machines with more than one core; 0: the learning process reads). "
                   "The policy does not depend on it")
    p.add_argument("--tfs", default="auto", metavar="PACK",
                   help="TF pack: mnist, cifar10, mammography, or a .json file with a list of "
                   "TF specs ({'op': ..., 'args': {...}}); for sentences (readers semeval, "
                   "text) the text packs semeval, relation and eda, built on a trigram "
                   "language model of the data. auto: mammography for --reader mias, cifar10 "
                   "for 3-channel images, semeval for sentences, mnist otherwise")
    _add_learning_options(p)
    p.add_argument("--labels", metavar="PATH",
                   help="labels of the --data items, one int per item in order (-1: "
                   "unlabeled): a .npy file or a text file of one per line (--limit keeps the "
                   "first N). Adds a label-preservation term to the generator's cost, "
                   "weighted by --set label_weight=W (default 1.0). With images, learning "
                   "then ends with the tuner (tanda tune at its defaults on the labeled "
                   "images), which chooses the saved p and frame, unless --no-tune")
    p.add_argument("--no-tune", action="store_true",
                   help="with --labels: save the policy with --policy-p (default "
                   "LearnConfig.apply_p) instead of tuning p and frame on the labeled images")
    p.add_argument("--policy-p", type=probability_value, metavar="P",
                   help="probability that the saved policy transforms an image (saved in the "
                   "file; default: the tuner's choice with --labels, else "
                   "LearnConfig.apply_p, 0.5); learning is not affected")
    p.add_argument("--policy-frame", type=frame_value, metavar="PX",
                   help="context frame of the saved policy in pixels (saved in the file; "
                   "default: the tuner's choice with --labels, else 0); learning is not "
                   "affected")
    p.add_argument("--out", default="policy.tanda", metavar="PATH",
                   help="where to write the learned policy")


def _add_learning_options(p: argparse.ArgumentParser) -> None:
    from tanda_transforms.generator_kinds import generator_kind, generator_names

    kinds = "; ".join(f"{name}: {generator_kind(name).summary}" for name in generator_names())
    p.add_argument("--generator", choices=generator_names(), default="lstm",
                   help=f"sequence generator ({kinds})")
    p.add_argument("--seq-len", type=positive_int, metavar="L",
                   help="TFs per sequence (default: LearnConfig.seq_len = 10)")
    p.add_argument("--steps", type=positive_int, metavar="N",
                   help="training steps (one generator and one discriminator update each); "
                   "default: from --epochs")
    p.add_argument("--epochs", type=float, metavar="F",
                   help="passes over the data, used when --steps is not given (default: "
                   "LearnConfig.epochs = 1.0)")
    p.add_argument("--batch-size", type=positive_int, metavar="B",
                   help="real images per step; each gets seqs_per_point sequences (default: "
                   "LearnConfig.batch_size = 32)")
    p.add_argument("--seed", type=non_negative_int, default=0,
                   help="seed of sampling, batches, TF randomness and initial weights")
    p.add_argument("--device", choices=("cpu", "cuda"),
                   help="where the networks train, and on cuda the TFs too (batched rendering, "
                   "LearnConfig.render, default auto: --set render=per_image keeps them on "
                   "the CPU); default: cuda if available, else cpu")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="write a checkpoint here every checkpoint_every steps and at the end")
    p.add_argument("--resume", metavar="PATH",
                   help="continue from this checkpoint (same data, TFs and settings)")
    p.add_argument("--backend", choices=("gloo", "nccl"),
                   help="under torchrun: the torch.distributed backend (default: nccl on cuda, "
                   "gloo on cpu); see docs/distributed.md")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                   help="override any LearnConfig field, e.g. --set d_lr=1e-5 --set "
                   f"d_width=16; repeatable. Fields: {', '.join(_config_fields())}")
    add_runtime_options(p)


def _config_fields() -> dict[str, Any]:
    from tanda_transforms._learn_config import LearnConfig

    return {f.name: f.default for f in dataclasses.fields(LearnConfig)}


def _parse_value(text: str) -> int | float | str | None:
    if text.lower() == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``["d_lr=1e-5", "seqs_per_point=3"]`` -> ``{"d_lr": 1e-05, "seqs_per_point": 3}``.

    Keys must be :class:`~tanda_transforms.learn.LearnConfig` fields; values are read as int,
    else float, else string (``none`` is ``None``). An int given for a float field becomes a
    float.

    Examples
    --------
    >>> parse_overrides(["d_lr=1e-5", "seqs_per_point=3", "alpha=1"])
    {'d_lr': 1e-05, 'seqs_per_point': 3, 'alpha': 1.0}
    """
    fields = _config_fields()
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise CliError(f"--set expects key=value, got {item!r}")
        if key not in fields:
            raise CliError(f"--set {key}: not a LearnConfig field; fields: {', '.join(fields)}")
        value = _parse_value(text.strip())
        if isinstance(fields[key], float) and isinstance(value, int):
            value = float(value)
        out[key] = value
    return out


def _learn_config(args: argparse.Namespace, no_data: bool):
    from tanda_transforms._learn_config import LearnConfig

    overrides = parse_overrides(args.overrides)
    flags = {"seq_len": args.seq_len, "steps": args.steps, "epochs": args.epochs,
             "batch_size": args.batch_size}
    for key, value in flags.items():
        if value is None:
            continue
        if key in overrides and overrides[key] != value:
            raise CliError(f"{key} given twice (--{key.replace('_', '-')} {value} and --set "
                           f"{key}={overrides[key]})")
        overrides[key] = value
    if no_data:
        if "steps" not in overrides and "epochs" not in overrides:
            overrides["steps"] = DEMO_STEPS
        overrides.setdefault("batch_size", DEMO_BATCH_SIZE)
    try:
        return LearnConfig(**overrides)
    except (TypeError, ValueError) as err:
        raise CliError(f"bad learning setting: {err}") from None


def run(args: argparse.Namespace) -> int:
    """``tanda learn``: read data, learn, save, print the top TF probabilities.

    Under ``torchrun`` every rank learns and rank 0 alone prints and writes the policy.
    """
    import contextlib
    import io

    config = _learn_config(args, no_data=args.data is None)  # checked before torch loads
    from tanda_transforms.distributed import is_main_process

    if not is_main_process():
        with contextlib.redirect_stdout(io.StringIO()):
            _learn(args, config)
        return 0
    policy, wall = _learn(args, config)
    policy.save(args.out)
    steps = policy.metadata["training"]["steps"]
    print(f"policy written to {args.out}")
    print(f"wall time: {wall:.1f} s for {steps} steps")
    _print_tuning(policy, args)
    _print_probabilities(policy)
    print_distance(policy)
    return 0


def _learn(args: argparse.Namespace, config):
    """Read the data, learn the policy of ``tanda learn`` with its metadata; with the wall time."""
    from tanda_transforms.data import describe_data, load_data

    images = _streamed_folder(args)
    if images is not None:
        reader, config = "folder", _with_learning_size(config, args.size)
    else:
        images, reader = load_data(args.data, args.reader, args.split, args.limit, args.size)
    library = _library(args.tfs, images, reader)
    labels = _read_labels(args.labels, len(images))
    if config.size is not None:
        print(f"learning size: {config.size} x {config.size} (each image's shorter side "
              "resized to it, then a square crop)", flush=True)
    with warnings.catch_warnings():  # said below in one line
        warnings.filterwarnings("ignore", message="learn_policy skipped", category=UserWarning)
        policy, wall = train_policy(images, library, config, args, args.generator,
                                    args.checkpoint, args.resume, labels,
                                    tune=False if args.no_tune else None)
    _print_skipped(policy.metadata["training"])
    training = policy.metadata["training"]
    global_batch = config.batch_size * training["world_size"]
    policy.metadata["data"] = describe_data(args.data, reader, args.split, len(images),
                                            training["steps"], global_batch)
    if args.policy_frame is not None:
        policy.frame = args.policy_frame
    if args.policy_p is not None:
        policy.p = args.policy_p
    return policy, wall


def _print_tuning(policy, args: argparse.Namespace) -> None:
    """The saved p and frame, and where they came from."""
    record = policy.metadata.get("tuning")
    if args.policy_p is not None or args.policy_frame is not None:
        source = "--policy-p and --policy-frame as given, learning's defaults otherwise"
    elif record is None:
        source = "learning's defaults: LearnConfig.apply_p, no frame"
    else:
        source = (f"tuned on {record['n_train'] + record['n_val']} labeled images, "
                  f"{record['proxy_runs']} proxy runs, {record['seconds']:.0f} s")
    print(f"saved with p {policy.p:g}, frame {policy.frame} ({source})")


def _print_skipped(training: dict[str, Any]) -> None:
    """One line on stderr when a streamed folder had images that were skipped."""
    if training.get("skipped"):
        examples = training.get("skipped_examples", [])
        print(f"tanda: skipped {training['skipped']} images (unreadable, or other channels or "
              f"depth than the first): {'; '.join(examples[:3])}", file=sys.stderr)


def _streamed_folder(args: argparse.Namespace):
    """``--data`` as a folder that learning streams (an ``ImageFolder``), or None: not a
    folder of images, or ``--labels`` given (labels need the images in memory)."""
    from tanda_transforms.data import guess_reader

    if args.data is None or args.labels is not None or not Path(args.data).is_dir():
        return None
    if (args.reader if args.reader != "auto" else guess_reader(Path(args.data))) != "folder":
        return None
    from tanda_transforms._stream_items import ImageFolder

    try:
        return ImageFolder(args.data, limit=args.limit)
    except FileNotFoundError as err:
        raise CliError(str(err)) from None


def _with_learning_size(config, size: int | None):
    """``config`` with ``--size`` as its learning size (a different ``--set size`` refused)."""
    if size is None:
        return config
    if config.size not in (None, size):
        raise CliError(f"size given twice (--size {size} and --set size={config.size})")
    return dataclasses.replace(config, size=size)


def _channels(images) -> int:
    """Channels of the images (of a streamed folder: of its first readable image)."""
    if isinstance(images, np.ndarray):
        return 1 if images.ndim == 3 else images.shape[-1]
    from tanda_transforms._stream_items import ItemReader

    try:
        return ItemReader(images, None, 0).layout[1]
    except (TypeError, ValueError) as err:
        raise CliError(f"cannot learn from {images.root}: {err}") from None


def _read_labels(path: str | None, n_items: int) -> np.ndarray | None:
    """``--labels``: the labels file, its first ``n_items`` (--limit) labels."""
    from tanda_transforms.labels import read_labels

    if path is None:
        return None
    try:
        return read_labels(path)[:n_items]
    except (OSError, TypeError, ValueError) as err:
        raise CliError(f"cannot read --labels {path}: {err}") from None


def _print_probabilities(policy, top: int = 10) -> None:
    from tanda_transforms.show import op_lines, probability_lines, tf_probabilities

    probs = tf_probabilities(policy)
    lines = probability_lines(policy, top, probs) + op_lines(policy, probs)
    print(f"top {min(top, len(policy.library))} " + "\n".join(lines))


def _library(tfs: str, images: np.ndarray | list[str], reader: str):
    from tanda_transforms.tfs import TFLibrary, available_packs

    if isinstance(images, list):  # sentences (the semeval and text readers)
        return _text_library(tfs, images)
    if tfs == "auto":
        if reader == "mias":
            tfs = "mammography"
        elif _channels(images) == 3:
            tfs = "cifar10"
        else:
            tfs = "mnist"
    if tfs.lower().endswith(".json"):
        return _json_library(tfs)
    if tfs not in available_packs():
        raise CliError(f"unknown TF pack {tfs!r}; available packs: {', '.join(available_packs())}"
                       " (or a .json file of TF specs)")
    return TFLibrary.pack(tfs)


def _text_library(tfs: str, sentences: list[str]):
    """A text pack on a language model fit on ``sentences``, or a .json list of text TFs."""
    from tanda_transforms.text.learn import text_library
    from tanda_transforms.text.packs import TEXT_PACKS

    if tfs.lower().endswith(".json"):
        return _json_library(tfs)
    tfs = "semeval" if tfs == "auto" else tfs
    if tfs not in TEXT_PACKS:
        raise CliError(f"unknown text TF pack {tfs!r}; text packs: {', '.join(sorted(TEXT_PACKS))}"
                       " (or a .json file of text TF specs)")
    return text_library(tfs, sentences)


def _json_library(tfs: str):
    """A library from a .json file of TF specs."""
    from tanda_transforms.registry import UnknownOpError
    from tanda_transforms.tfs import TFLibrary

    path = Path(tfs)
    if not path.is_file():
        raise CliError(f"TF list not found: {path}")
    try:
        spec = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CliError(f"{path}: not valid JSON ({err})") from None
    try:
        return TFLibrary.from_spec(spec)
    except (TypeError, ValueError, UnknownOpError) as err:
        raise CliError(f"{path}: not a list of valid TF specs: {err}") from None
