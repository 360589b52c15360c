"""The ``tanda`` command: learn, look at and apply TANDA augmentation policies.

Subcommands::

    tanda demo                      learn a small policy on 500 real MNIST digits (shipped)
    tanda learn --data PATH         learn a policy from your images (no --data: the demo data)
    tanda show POLICY               TF probabilities, frequent sequences, a picture grid
    tanda apply POLICY IN OUT       write augmented copies of every image in a folder
    tanda gallery                   list the policies shipped with the package
    tanda evaluate --dataset D ...  compare augmentation conditions on an end model
    tanda tune POLICY --data PATH   choose p and frame on a validation split of labeled data
    tanda doctor                    check the install (versions, torch/torchvision pairing)

``POLICY`` is a ``.tanda`` file or the name of a gallery policy. Run ``tanda SUBCOMMAND --help``
for every option; ``tanda --version`` prints the version. Only the subcommand that runs is
given its options (and imports torch), so ``tanda --help`` answers at once. Mistakes in the
input (a missing file, an unknown pack, a bad ``--set``) print one ``tanda: error: ...`` line
and exit with status 2.

Size: about 350 of its lines declare the subcommands' options and help texts for argparse
(one builder per subcommand, kept together so each subcommand has one home); the rest is one
short function per subcommand and the checks every command makes before torch loads. What is
not about the command line lives elsewhere: the data readers in :mod:`tanda_transforms.data`,
the evaluation harness and its options in :mod:`tanda_transforms.evaluation`, the lesion-pool
set-up in :mod:`tanda_transforms.domains.pool_setup`, the install check in
:mod:`tanda_transforms.doctor`, the pictures in :mod:`tanda_transforms.picture`.

Examples
--------
>>> from tanda_transforms.cli import main
>>> main(["gallery"])  # doctest: +ELLIPSIS
name ...
0
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tanda_transforms import __version__

__all__ = ["main", "build_parser", "parse_overrides", "DEMO_STEPS"]

#: Steps of ``tanda demo`` (and of ``tanda learn`` without ``--data``, ``--steps``, ``--epochs``):
#: about a minute and a half on 2 CPU cores.
DEMO_STEPS = 200
#: Batch size of the demo: half the paper's 32, so twice the steps fit in the same time.
DEMO_BATCH_SIZE = 16
COMMANDS = ("learn", "demo", "show", "apply", "evaluate", "tune", "gallery", "doctor")
#: The one-line help of each subcommand (``tanda --help``).
HELP = {
    "learn": "learn a policy from images",
    "demo": "learn a small policy on shipped MNIST digits (a minute or two on a CPU)",
    "show": "print a policy's TF probabilities and frequent pairs; draw a labelled sample grid",
    "apply": "write augmented copies of every image in a folder",
    "evaluate": "train end models with each augmentation condition and compare test accuracy",
    "gallery": "list the policies shipped with the package",
    "tune": "choose a policy's p and frame by short trainings on labeled data",
    "doctor": "check the install: versions, CPU capability, a torch/torchvision mismatch",
}


class CliError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit status 2."""


# --- parsing ------------------------------------------------------------------------------


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


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the (pre-wrapped) description and examples; shows defaults that say something."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        quiet = default is None or default is False or default == [] or default == argparse.SUPPRESS
        if action.option_strings and not quiet:
            text += " (default: %(default)s)"
        return text


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


def build_parser(full: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``tanda``.

    Parameters
    ----------
    full
        Subcommands to give all their options; the others get only their one-line help
        (enough for ``tanda --help``, and it spares importing torch). ``None``: all.

    Returns
    -------
    argparse.ArgumentParser
        The parser; ``parse_args`` puts the subcommand's name in ``command``.

    Examples
    --------
    >>> parser = build_parser(full=["gallery"])
    >>> parser.parse_args(["gallery"]).command
    'gallery'
    """
    full = COMMANDS if full is None else tuple(full)
    parser = argparse.ArgumentParser(
        prog="tanda",
        description=_wrap("Learn data-augmentation policies adversarially (TANDA, Ratner et al. "
        "2017), look at them, and apply them to folders of images."),
        epilog="Start with `tanda demo`. POLICY arguments take a .tanda file or a gallery "
        "name (see `tanda gallery`).",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"tanda-transforms {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    builders = {"learn": _add_learn, "demo": _add_demo, "show": _add_show, "apply": _add_apply,
                "evaluate": _add_evaluate, "gallery": _add_gallery, "tune": _add_tune,
                "doctor": _add_doctor}
    for name in COMMANDS:
        if name in full:
            builders[name](sub)
        else:
            sub.add_parser(name, help=HELP[name])
    return parser


def _add_evaluate(sub) -> None:
    from tanda_transforms.evaluation.options import add_evaluate_parser

    _add_pool_options(add_evaluate_parser(sub, formatter_class=_Formatter))


def _add_tune(sub) -> None:
    from tanda_transforms.tune_command import add_tune_parser

    add_tune_parser(sub, formatter_class=_Formatter)


def _add_gallery(sub) -> None:
    sub.add_parser(
        "gallery",
        help=HELP["gallery"],
        description=_wrap("One line per gallery policy: name, training data, TFs, sequence "
        "length L, generator kind, description. '-' marks what a policy's metadata does not "
        "record."),
        formatter_class=_Formatter,
    )


def _add_doctor(sub) -> None:
    sub.add_parser(
        "doctor",
        help=HELP["doctor"],
        description=_wrap("Import numpy, torch, torchvision, OpenCV and Albumentations one by "
        "one and print their versions, the CPU capability torch and OpenCV dispatch to, and "
        "whether a GPU is visible; then apply a gallery policy to a small image. A failure "
        "gets a line saying what to install (e.g. a torch and torchvision that were not built "
        "together: 'operator torchvision::nms does not exist'). Exit status 1 if anything "
        "fails. `python -m tanda_transforms --check` does the same."),
        formatter_class=_Formatter,
    )


def cmd_doctor(args: argparse.Namespace) -> int:
    """``tanda doctor``: see :mod:`tanda_transforms.doctor`."""
    from tanda_transforms.doctor import run

    return run()


def _add_learn(sub) -> None:
    from tanda_transforms.data import READERS

    p = sub.add_parser(
        "learn",
        help=HELP["learn"],
        formatter_class=_Formatter,
        description=_wrap("Learn which sequences of TFs keep images realistic: a generator "
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
                   help="a folder of images, an .npy file (N x H x W [x C]), an .npz file (array "
                   "'images', else its first array), a .txt file of sentences (one per line, "
                   "<e1>...</e1> marks protected spans) or a dataset root for --reader; "
                   "default: the 500 MNIST digits shipped with the package")
    p.add_argument("--reader", choices=READERS, default="auto",
                   help="how to read --data. auto: .npy/.npz -> npy; IDX files -> mnist; a "
                   "tar, cifar-10-batches-py or data_batch_* -> cifar10; Info.txt -> mias; "
                   "a .txt file -> text; a SemEval-2010 Task 8 archive or folder (name "
                   "containing 'semeval') -> semeval; else a folder of images (all of one "
                   "size and dtype, 8/16-bit kept)")
    p.add_argument("--split", choices=("train", "test"), default="train",
                   help="split of the mnist, cifar10 and semeval readers")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="keep only the first N images")
    p.add_argument("--size", type=_positive_int, metavar="S",
                   help="resize every image to S x S (cv2.INTER_AREA); mias reads films at "
                   "this size (default for mias: 256; otherwise images are kept as they are)")
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
                   "weighted by --set label_weight=W (default 1.0)")
    p.add_argument("--policy-p", type=_probability, metavar="P",
                   help="probability that the saved policy transforms an image (saved in the "
                   "file; default LearnConfig.apply_p, 0.5); learning is not affected")
    p.add_argument("--policy-frame", type=_frame, default=0, metavar="PX",
                   help="context frame of the saved policy in pixels (saved in the file; "
                   "default 0); learning is not affected")
    p.add_argument("--out", default="policy.tanda", metavar="PATH",
                   help="where to write the learned policy")


def _add_learning_options(p: argparse.ArgumentParser) -> None:
    from tanda_transforms._limits import SAMPLER_KINDS

    p.add_argument("--generator", choices=SAMPLER_KINDS, default="lstm",
                   help="sequence generator: a recurrent net fed the previous TF (lstm, gru) or "
                   "one categorical drawn independently per step (mean_field)")
    p.add_argument("--seq-len", type=_positive_int, metavar="L",
                   help="TFs per sequence (default: LearnConfig.seq_len = 10)")
    p.add_argument("--steps", type=_positive_int, metavar="N",
                   help="training steps (one generator and one discriminator update each); "
                   "default: from --epochs")
    p.add_argument("--epochs", type=float, metavar="F",
                   help="passes over the data, used when --steps is not given (default: "
                   "LearnConfig.epochs = 1.0)")
    p.add_argument("--batch-size", type=_positive_int, metavar="B",
                   help="real images per step; each gets seqs_per_point sequences (default: "
                   "LearnConfig.batch_size = 32)")
    p.add_argument("--seed", type=_non_negative_int, default=0,
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
    _add_runtime_options(p)


def _add_runtime_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=_positive_int, metavar="N",
                   help="CPU threads torch may use while learning (default: torch's choice, "
                   "one per core, capped by the cores left idle by other programs: on busy "
                   "cores one thread is several times faster). Floating-point sums depend on "
                   "the thread count, so the same seed gives a slightly different policy with "
                   "another N: pass the same N to reproduce a policy exactly")
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def _add_demo(sub) -> None:
    p = sub.add_parser(
        "demo",
        help=HELP["demo"],
        formatter_class=_Formatter,
        description=_wrap("Learn an LSTM policy over the paper's 25 MNIST TFs (L = 10) on the 500 "
        "real MNIST digits shipped with the package, then write OUT_DIR/policy.tanda, "
        "OUT_DIR/policy.png (originals and augmented samples) and print a summary. Takes "
        "about 1-2 minutes on 2 CPU cores."),
    )
    p.add_argument("--out-dir", default="tanda-demo", metavar="DIR",
                   help="folder for policy.tanda and policy.png (created if missing)")
    p.add_argument("--steps", type=_positive_int, default=DEMO_STEPS, metavar="N",
                   help="training steps (more steps, sharper policy)")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the whole run")
    p.add_argument("--device", choices=("cpu", "cuda"),
                   help="where the networks train; default: cuda if available, else cpu")
    _add_runtime_options(p)


def _add_show(sub) -> None:
    p = sub.add_parser(
        "show",
        help=HELP["show"],
        formatter_class=_Formatter,
        description=_wrap("Print the policy's TF probabilities per step (sorted; exact for a "
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
    p.add_argument("--n", type=_positive_int, default=8,
                   help="rows of the grid (originals), and augmented samples per row")
    p.add_argument("--seed", type=_non_negative_int, default=0,
                   help="seed of the sampling (sequences, picked images)")
    p.add_argument("--top", type=_positive_int, default=10,
                   help="frequent sequences to list")
    p.add_argument("--samples", type=_positive_int, default=2000,
                   help="sequences sampled to count frequent pairs and sequences")
    _add_pool_options(p)


def _add_apply(sub) -> None:
    p = sub.add_parser(
        "apply",
        help=HELP["apply"],
        formatter_class=_Formatter,
        description=_wrap("Read every image in IN_DIR (not sub-folders; .png .jpg .jpeg .bmp .tif "
        ".tiff .pgm .ppm, 8 and 16 bit kept), apply the policy --copies times, and write "
        "OUT_DIR/<name>_<k>.png for k = 0 .. copies-1, in the image's dtype (16-bit PNG for "
        "uint16; float32 images are written as <name>_<k>.tiff)."),
    )
    p.add_argument("policy", metavar="POLICY", help="a .tanda file or a gallery policy name")
    p.add_argument("in_dir", metavar="IN_DIR", help="folder of images to augment")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder for the copies (created if missing)")
    p.add_argument("--copies", type=_positive_int, default=1, help="augmented copies per image")
    p.add_argument("--seed", type=_non_negative_int, default=0, help="seed of the policy")
    _add_pool_options(p)


def _add_pool_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lesion-pool", metavar="PATH",
                   help="lesions for a policy with lesion_transplant TFs (the ddsm gallery "
                   "policy): a mini-MIAS folder (Info.txt plus mdbNNN.png or .pgm images, "
                   "directly or in png/ or pgm/) or a .npz written by LesionPool.save; it is "
                   "registered under the pool name the policy's TFs use, and a .npz also under "
                   "PATH itself (a policy file may name a pool file only if it is registered)")
    p.add_argument("--pool-size", type=_positive_int, metavar="S",
                   help="read mini-MIAS films at S x S before cutting lesions, to match your "
                   "images' scale (default: the policy's training size, 128 for ddsm)")


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _probability(text: str) -> float:
    """``--policy-p``: parsed here, checked by the policy's own rule."""
    from tanda_transforms.policy import check_probability

    return _policy_setting(check_probability, text, float)


def _frame(text: str) -> int:
    """``--policy-frame``: parsed here, checked by the policy's own rule."""
    from tanda_transforms.policy import check_frame

    return _policy_setting(check_frame, text, int)


def _policy_setting(check, text: str, parse):
    try:
        value = parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {parse.__name__}, got {text!r}") from None
    try:
        return check(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def _library(tfs: str, images: np.ndarray | list[str], reader: str):
    from tanda_transforms.tfs import TFLibrary, available_packs

    if isinstance(images, list):  # sentences (the semeval and text readers)
        return _text_library(tfs, images)
    if tfs == "auto":
        if reader == "mias":
            tfs = "mammography"
        elif images.ndim == 4 and images.shape[-1] == 3:
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


# --- subcommands --------------------------------------------------------------------------


def check_paths(args: argparse.Namespace) -> None:
    """Refuse a path that does not exist before anything imports torch (seconds).

    Checked: the policy (a file or a gallery name), the input folder of ``apply``,
    ``--data``, ``--images``, ``--resume``, a ``.json`` ``--tfs`` and ``--lesion-pool``.
    What is inside the files is checked later, by the readers.

    Examples
    --------
    >>> check_paths(argparse.Namespace(command="show", policy="example"))
    >>> check_paths(argparse.Namespace(command="learn", data="no/such/folder"))
    Traceback (most recent call last):
        ...
    tanda_transforms.cli.CliError: data not found: no/such/folder (--data)
    """
    from tanda_transforms._gallery import resolve_policy

    if getattr(args, "policy", None) is not None:
        resolve_policy(args.policy)  # PolicyNotFoundError, an OSError: one line
    if args.command == "apply" and not Path(args.in_dir).is_dir():
        raise CliError(f"input folder not found: {args.in_dir}")
    missing = {"data": "data not found: {} (--data)",
               "images": "images not found: {} (--images)",
               "resume": "checkpoint to resume not found: {}",
               "lesion_pool": "--lesion-pool {}: not found; expected a mini-MIAS folder or a "
               ".npz file (written by LesionPool.save)"}
    for option, message in missing.items():
        path = getattr(args, option, None)
        if path is not None and not Path(path).exists():
            raise CliError(message.format(path))
    tfs = getattr(args, "tfs", None)
    if tfs is not None and tfs.lower().endswith(".json") and not Path(tfs).is_file():
        raise CliError(f"TF list not found: {tfs}")


def _device(name: str | None) -> str | None:
    if name == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CliError("--device cuda: no CUDA device is available here")
    return name


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


def _print_probabilities(policy, top: int = 10) -> None:
    from tanda_transforms.show import probability_lines

    lines = probability_lines(policy, top)
    print(f"top {min(top, len(policy.library))} " + "\n".join(lines))


def _set_learning_threads(requested: int | None) -> int:
    """Set torch's threads for learning (see ``--threads``); returns the previous count."""
    import torch

    from tanda_transforms._threads import idle_cores, learning_threads

    idle, previous = idle_cores(), torch.get_num_threads()
    threads = learning_threads(requested, previous, idle)
    torch.set_num_threads(threads)
    if requested is None:
        state = "unknown" if idle is None else f"{max(idle, 0):.1f} idle"
        print(f"torch threads: {threads} (cores {state}; --threads N to choose)", flush=True)
    return previous


def _data_summary(data: np.ndarray | list[str]) -> str:
    if isinstance(data, list):
        return f"{len(data)} sentences"
    channels = 1 if data.ndim == 3 else data.shape[-1]
    return (f"{len(data)} images of {' x '.join(map(str, data.shape[1:]))} {data.dtype} "
            f"({channels} channel{'s' if channels > 1 else ''})")


def _train(images: np.ndarray | list[str], library, config, args: argparse.Namespace,
           generator: str, checkpoint: str | None = None, resume: str | None = None,
           labels: np.ndarray | None = None):
    from tanda_transforms.learn import learn_policy

    if resume is not None and not Path(resume).is_file():
        raise CliError(f"checkpoint to resume not found: {resume}")
    print(f"learning a {generator} policy: {_data_summary(images)}, {len(library)} TFs, "
          f"L = {config.seq_len}", flush=True)
    previous_threads = _set_learning_threads(args.threads)
    started = time.perf_counter()
    first_step = threading.Event()
    try:
        policy = learn_policy(images, library, generator=generator, seed=args.seed,
                              config=config, device=_device(args.device), checkpoint=checkpoint,
                              resume=resume, progress=not args.no_progress,
                              backend=getattr(args, "backend", None), labels=labels,
                              callback=lambda _learner: _after_first_step(first_step, config,
                                                                          len(images)))
    except (TypeError, ValueError) as err:
        if first_step.is_set():  # raised while learning, not while checking the inputs: a bug
            raise
        raise CliError(f"cannot learn from these inputs: {err}") from None
    finally:
        import torch

        torch.set_num_threads(previous_threads)
    return policy, time.perf_counter() - started


def _after_first_step(first_step: threading.Event, config, n_items: int) -> None:
    """The learner's callback: once the first step is done (the inputs were accepted), mark
    that learning started and warn if the run is short."""
    if not first_step.is_set():
        first_step.set()
        _warn_few_steps(config, n_items)


def _warn_few_steps(config, n_items: int) -> None:
    """Say, as learning starts, when the run has fewer steps than policies needed to move."""
    import math

    from tanda_transforms.policy_stats import FEW_STEPS

    steps = config.steps or max(1, math.ceil(config.epochs * n_items / config.batch_size))
    if steps < FEW_STEPS:
        how = "" if config.steps else (f" ({config.epochs:g} pass over {n_items} items in "
                                       f"batches of {config.batch_size})")
        print(f"warning: {steps} steps{how}; in measured runs the policy was still near "
              f"uniform after 75 steps: give --steps {FEW_STEPS} or more (docs/learning.md, "
              "'How many steps')", file=sys.stderr, flush=True)


def cmd_learn(args: argparse.Namespace) -> int:
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
    _print_probabilities(policy)
    _print_distance(policy)
    return 0


def _print_distance(policy) -> None:
    """How far learning moved the policy from uniform; a warning when it barely moved."""
    from tanda_transforms.policy_stats import NEAR_UNIFORM_KL, distance_from_uniform

    distance = distance_from_uniform(policy)
    print(distance.summary())
    if distance.kl < NEAR_UNIFORM_KL:
        steps = policy.metadata["training"]["steps"]
        print(f"warning: after {steps} steps the policy is still close to uniform (KL below "
              f"{NEAR_UNIFORM_KL}): it augments about as random TFs would. Learn for more "
              "steps (--steps); docs/learning.md, 'How many steps', says how many",
              file=sys.stderr)


def _learn(args: argparse.Namespace, config):
    """Read the data, learn the policy of ``tanda learn`` with its metadata; with the wall time."""
    from tanda_transforms.data import describe_data, load_data

    images, reader = load_data(args.data, args.reader, args.split, args.limit, args.size)
    library = _library(args.tfs, images, reader)
    labels = _read_labels(args.labels, len(images))
    policy, wall = _train(images, library, config, args, args.generator, args.checkpoint,
                          args.resume, labels)
    training = policy.metadata["training"]
    global_batch = config.batch_size * training["world_size"]
    policy.metadata["data"] = describe_data(args.data, reader, args.split, len(images),
                                            training["steps"], global_batch)
    policy.frame = args.policy_frame
    if args.policy_p is not None:
        policy.p = args.policy_p
    return policy, wall


def _read_labels(path: str | None, n_items: int) -> np.ndarray | None:
    """``--labels``: the labels file, its first ``n_items`` (--limit) labels."""
    from tanda_transforms.labels import read_labels

    if path is None:
        return None
    try:
        return read_labels(path)[:n_items]
    except (OSError, TypeError, ValueError) as err:
        raise CliError(f"cannot read --labels {path}: {err}") from None


def cmd_demo(args: argparse.Namespace) -> int:
    """``tanda demo``: learn on the shipped MNIST digits; write the policy and its grid."""
    from tanda_transforms._learn_config import LearnConfig
    from tanda_transforms.data import describe_data, load_data
    from tanda_transforms.show import originals, summarise
    from tanda_transforms.tfs import TFLibrary

    images, _ = load_data(None)
    config = LearnConfig(seq_len=10, steps=args.steps, batch_size=DEMO_BATCH_SIZE)
    policy, wall = _train(images, TFLibrary.pack("mnist"), config, args, "lstm")
    policy.metadata["data"] = describe_data(None, "sample", "train", len(images), args.steps,
                                            DEMO_BATCH_SIZE)
    policy.metadata["recipe"] = f"tanda demo --steps {args.steps} --seed {args.seed}"
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    policy.save(out / "policy.tanda")
    images, source = originals(policy, 8, args.seed)
    _write_png(out / "policy.png", _titled_grid(policy, "demo", images, source, 8, args.seed))
    print(f"policy written to {out / 'policy.tanda'}, picture to {out / 'policy.png'}")
    print(_grid_legend(8, 8, policy.seq_len))
    print(f"wall time: {wall:.1f} s for {args.steps} steps")
    print(summarise(policy, n_samples=2000, top=10, seed=args.seed))
    _print_distance(policy)
    return 0


def _grid_legend(rows: int, samples: int, seq_len: int) -> str:
    """One sentence saying what the picture of ``sample_grid`` shows."""
    return (f"{rows} rows; in each, the original on the left, then {samples} augmented "
            f"samples of it, each made by its own sequence of L = {seq_len} TFs drawn from "
            "the policy")


def _write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), np.ascontiguousarray(rgb[..., ::-1])):
        raise CliError(f"could not write {path} (is the name a .png?)")


def _load_policy(name: str, seed: int | None = None):
    from tanda_transforms.policy import TANDAPolicy

    return TANDAPolicy.load(name, seed=seed)


def _register_pool_file(args: argparse.Namespace):
    from tanda_transforms.domains.pool_setup import register_pool_file

    return register_pool_file(args.lesion_pool)


def _prepare_pools(policy, name: str, args: argparse.Namespace, pool=None) -> None:
    """``--lesion-pool`` for one policy (see :mod:`tanda_transforms.domains.pool_setup`)."""
    from tanda_transforms.domains.pool_setup import prepare_pools

    line = prepare_pools(policy, name, args.lesion_pool, args.pool_size, pool)
    if line is not None:
        print(line)


def _prepare_evaluate_pools(args: argparse.Namespace) -> None:
    """``--lesion-pool`` for ``tanda evaluate``: the pool of every policy it evaluates.

    A ``.npz`` is registered under its path first (so policies naming that file load), then
    the pool under the pool names the evaluated policies' TFs use.
    """
    pool = _register_pool_file(args)
    if args.lesion_pool is None:
        return
    from tanda_transforms.domains.pool_setup import prepare_pools_of
    from tanda_transforms.evaluation.command import resolve_policies

    paths, _ = resolve_policies(args.dataset, args.conditions, args.policies,
                                {"tanda_mf": args.policy_mf, "tanda_lstm": args.policy_lstm})
    policies = [_load_policy(path) for path in sorted(set(paths.values()))]
    prepare_pools_of(policies, args.lesion_pool, args.pool_size, pool)


def cmd_show(args: argparse.Namespace) -> int:
    """``tanda show``: summary to stdout, sample grid to a PNG."""
    from tanda_transforms.show import summarise

    pool = _register_pool_file(args)
    policy = _load_policy(args.policy, args.seed)
    _prepare_pools(policy, args.policy, args, pool)
    print(summarise(policy, n_samples=args.samples, top=args.top, seed=args.seed))
    if policy.library.modality == "text":
        return _show_sentences(policy, args)
    images, source = _show_originals(policy, args)
    print(f"originals: {source}")
    try:
        grid = _titled_grid(policy, args.policy, images, source, args.n, args.seed)
    except ValueError as err:
        raise CliError(f"cannot apply the policy to these images: {err}") from None
    _write_png(Path(args.out), grid)
    print(f"grid written to {args.out}: {_grid_legend(len(images), args.n, policy.seq_len)}")
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


def _titled_grid(policy, name: str, images, source: str, n_aug: int, seed: int) -> np.ndarray:
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


def _to_file_layout(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 3 and image.shape[-1] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if image.ndim == 3 and image.shape[-1] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    return image


def cmd_apply(args: argparse.Namespace) -> int:
    """``tanda apply``: augmented copies of a folder of images, dtype kept.

    An image file that cannot be decoded is skipped with one line on stderr; the others are
    written, and the command then exits with status 1 and the count of skipped files.
    """
    from tanda_transforms.data import image_files

    pool = _register_pool_file(args)
    policy = _load_policy(args.policy, args.seed)
    if policy.library.modality == "text":
        raise CliError("tanda apply augments folders of images; a text policy is called on "
                       "sentences in Python (TANDAPolicy.load(...)(sentence))")
    _prepare_pools(policy, args.policy, args, pool)
    paths = image_files(args.in_dir)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    skipped = [path.name for path in paths if not _apply_to_file(policy, path, out, args.copies)]
    done = len(paths) - len(skipped)
    print(f"wrote {done * args.copies} images ({done} x {args.copies}) to {out}")
    if skipped:
        print(f"tanda: {len(skipped)} of {len(paths)} image files could not be read and were "
              f"skipped: {', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''}",
              file=sys.stderr)
        return 1
    return 0


def _apply_to_file(policy, path: Path, out: Path, copies: int) -> bool:
    """Write ``copies`` augmented copies of one file; ``False`` if it cannot be decoded."""
    import cv2

    from tanda_transforms.data import read_image

    try:
        image = read_image(path)
    except ValueError:
        print(f"tanda: skipped {path.name}: cannot decode it as an image", file=sys.stderr)
        return False
    suffix = ".tiff" if image.dtype == np.float32 else ".png"
    for k in range(copies):
        try:
            result = policy(image)
        except ValueError as err:
            raise CliError(f"{path.name}: {err}") from None
        target = out / f"{path.stem}_{k}{suffix}"
        if not cv2.imwrite(str(target), _to_file_layout(np.ascontiguousarray(result))):
            raise CliError(f"could not write {target}")
    return True


def gallery_rows() -> list[list[str]]:
    """One row per gallery policy: name, data, TFs, L, generator, description.

    Examples
    --------
    >>> [row[:5] for row in gallery_rows() if row[0] == "example"]
    [['example', '-', 'mnist pack (25 TFs)', '3', 'mean_field']]
    """
    from tanda_transforms.policy import gallery_names
    from tanda_transforms.show import describe_library

    rows = []
    for name in gallery_names():
        try:
            policy = _load_policy(name)
        except (_policy_file_error(), OSError) as err:
            rows.append([name, "-", "-", "-", "-", f"cannot load: {err}"])
            continue
        meta = policy.metadata
        training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
        data = meta.get("data")
        if data is None and training.get("data_shape"):
            shape = " x ".join(str(s) for s in training["data_shape"])
            data = f"{shape} {training.get('data_dtype', '')}".rstrip()
        if isinstance(data, dict):
            data = data.get("name") or json.dumps(data, sort_keys=True)
        kind = policy.sampler.config().get("kind") or training.get("generator") or "-"
        rows.append([name, _cell(data), describe_library(policy.library), str(policy.seq_len),
                     str(kind), _cell(meta.get("description"), width=100)])
    return rows


def _cell(value: Any, width: int = 60) -> str:
    if value is None or value == "":
        return "-"
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def cmd_gallery(args: argparse.Namespace) -> int:
    """``tanda gallery``: a table of the shipped policies."""
    header = ["name", "data", "TFs", "L", "generator", "description"]
    rows = gallery_rows()
    if not rows:
        print("no gallery policies installed")
        return 0
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``tanda evaluate``: options are checked first (usage errors), then the run goes.

    See :mod:`tanda_transforms.evaluation`.
    """
    from tanda_transforms.evaluation.command import config_from_args, run_evaluate

    try:
        config_from_args(args)
    except (TypeError, ValueError) as err:
        raise CliError(f"bad evaluate option: {err}") from None
    _prepare_evaluate_pools(args)
    return run_evaluate(args)


def cmd_tune(args: argparse.Namespace) -> int:
    """``tanda tune``: inputs are read and checked first (usage errors), then the proxies run.

    See :mod:`tanda_transforms.tune_command`.
    """
    from tanda_transforms.tune_command import prepare_tune, run_tune

    try:
        job = prepare_tune(args)
    except (TypeError, ValueError) as err:
        raise CliError(f"bad tune input: {err}") from None
    return run_tune(job)


_COMMANDS = {"learn": cmd_learn, "demo": cmd_demo, "show": cmd_show, "apply": cmd_apply,
             "gallery": cmd_gallery, "evaluate": cmd_evaluate, "tune": cmd_tune,
             "doctor": cmd_doctor}


def _policy_file_error() -> type[Exception]:
    from tanda_transforms.policy_file import PolicyFileError

    return PolicyFileError


#: The modules whose exceptions report a mistake in the input, and the exceptions' names.
_INPUT_ERRORS = {
    "tanda_transforms.policy_file": ("PolicyFileError",),
    "tanda_transforms.registry": ("UnknownOpError",),
    "tanda_transforms.domains.lesion_pool": ("LesionPoolError", "LesionPoolNotFoundError"),
    "tanda_transforms.data.readers": ("DataReadError",),
}


def _input_errors() -> tuple[type[Exception], ...]:
    """Exceptions that report a mistake in the input: one line, exit status 2.

    Not ``ValueError`` or ``TypeError`` in general: the commands turn bad input they find
    into ``CliError``, so one of those from inside the library is a bug and keeps its
    traceback (lesion pool errors are about the pool given, and data read errors about the
    data given, so they count as input). Only modules already imported are asked (one not
    imported raised nothing), so reporting a mistake never imports torch.
    """
    found: list[type[Exception]] = [CliError, OSError]
    for module, names in _INPUT_ERRORS.items():
        if module in sys.modules:
            found.extend(getattr(sys.modules[module], name) for name in names)
    return tuple(found)


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word not starting with ``-``), if any."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tanda`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    0: done; 2: a usage or input error (reported as one ``tanda: error: ...`` line on stderr);
    130: interrupted. Only errors about the user's input are reported that way: the commands
    turn what they find wrong into ``CliError``, and files, policies and lesion pools fail with
    ``OSError``, ``PolicyFileError``, ``UnknownOpError`` or the lesion pool errors (see
    :func:`_input_errors`). Anything else (a ``ValueError`` or
    ``TypeError`` from inside the library) is a bug and keeps its traceback.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(full=[_command_of(argv)])
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help (0) or an argparse usage error (2, already printed)
        return int(exit_.code or 0) if not isinstance(exit_.code, str) else 2
    try:
        check_paths(args)
        return _COMMANDS[args.command](args)
    except BrokenPipeError:  # e.g. `tanda show ... | head`: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("tanda: interrupted", file=sys.stderr)
        return 130
    except _input_errors() as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"tanda: error: {' '.join(str(message).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
