"""What every subcommand of ``tanda`` shares: the input-error type, the help formatter,
the argument types, the ``--lesion-pool`` options and the path checks made before torch loads.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path


class CliError(Exception):
    """A mistake in the command line or its inputs: reported in one line, exit status 2."""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the (pre-wrapped) description and examples; shows defaults that say something."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        quiet = default is None or default is False or default == [] or default == argparse.SUPPRESS
        if action.option_strings and not quiet:
            text += " (default: %(default)s)"
        return text


def wrap(text: str) -> str:
    return textwrap.fill(text, width=88)


def positive_int(text: str) -> int:
    value = non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def probability_value(text: str) -> float:
    """``--policy-p``: parsed here, checked by the policy's own rule."""
    from tanda_transforms.policy import check_probability

    return _policy_setting(check_probability, text, float)


def frame_value(text: str) -> int:
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


def add_pool_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lesion-pool", metavar="PATH",
                   help="lesions for a policy with lesion_transplant TFs (the ddsm gallery "
                   "policy): a mini-MIAS folder (Info.txt plus mdbNNN.png or .pgm images, "
                   "directly or in png/ or pgm/) or a .npz written by LesionPool.save; it is "
                   "registered under the pool name the policy's TFs use, and a .npz also under "
                   "PATH itself (a policy file may name a pool file only if it is registered)")
    p.add_argument("--pool-size", type=positive_int, metavar="S",
                   help="read mini-MIAS films at S x S before cutting lesions, to match your "
                   "images' scale (default: the policy's training size, 128 for ddsm)")


def load_policy(name: str, seed: int | None = None):
    from tanda_transforms.policy import TANDAPolicy

    return TANDAPolicy.load(name, seed=seed)


def pool_from_args(args: argparse.Namespace):
    from tanda_transforms.domains.pool_setup import register_pool_file

    return register_pool_file(args.lesion_pool)


def prepare_policy_pools(policy, name: str, args: argparse.Namespace, pool=None) -> None:
    """``--lesion-pool`` for one policy (see :mod:`tanda_transforms.domains.pool_setup`)."""
    from tanda_transforms.domains.pool_setup import prepare_pools

    line = prepare_pools(policy, name, args.lesion_pool, args.pool_size, pool)
    if line is not None:
        print(line)


def policy_file_error() -> type[Exception]:
    from tanda_transforms.policy_file import PolicyFileError

    return PolicyFileError


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
    tanda_transforms.cli.common.CliError: data not found: no/such/folder (--data)
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
