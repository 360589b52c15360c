"""The ``tanda`` command: learn, look at and apply TANDA augmentation policies.

Subcommands::

    tanda demo                      learn a small policy on 500 real MNIST digits (shipped)
    tanda learn --data PATH         learn a policy from your images (no --data: the demo data)
    tanda show POLICY               TF probabilities, frequent sequences, a picture grid
    tanda apply POLICY IN OUT       write augmented copies of every image in a folder
    tanda gallery                   list the policies shipped with the package
    tanda evaluate --dataset D ...  compare augmentation conditions on an end model
    tanda compare FILE:COND ...     the conditions of results files, seed by seed (paired)
    tanda tune POLICY --data PATH   choose p and frame on a validation split of labeled data
    tanda doctor                    check the install (versions, torch/torchvision pairing)

``POLICY`` is a ``.tanda`` file or the name of a gallery policy. Run ``tanda SUBCOMMAND --help``
for every option; ``tanda --version`` prints the version. Only the subcommand that runs is
given its options (and imports torch), so ``tanda --help`` answers at once. Mistakes in the
input (a missing file, an unknown pack, a bad ``--set``) print one ``tanda: error: ...`` line
and exit with status 2.

Each subcommand is one module of this package (:mod:`~tanda_transforms.cli.learn`,
:mod:`~tanda_transforms.cli.show`, ...) holding ``HELP`` (its line in ``tanda --help``),
``add_parser(sub)`` (its options) and ``run(args)`` (the command); :data:`SUBCOMMANDS` lists
them, and :mod:`~tanda_transforms.cli.common` holds what they share. None imports torch at
module level. What is not about the command line lives elsewhere: the data readers in
:mod:`tanda_transforms.data`, the evaluation harness and its options in
:mod:`tanda_transforms.evaluation`, the lesion-pool set-up in
:mod:`tanda_transforms.domains.pool_setup`, the install check in :mod:`tanda_transforms.doctor`,
the pictures in :mod:`tanda_transforms.picture`.

Examples
--------
>>> from tanda_transforms.cli import main
>>> main(["gallery"])  # doctest: +ELLIPSIS
name ...
0
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from tanda_transforms import __version__
from tanda_transforms.cli import (
    apply,
    compare,
    demo,
    doctor,
    evaluate,
    gallery,
    learn,
    show,
    tune,
)
from tanda_transforms.cli.common import CliError, Formatter, check_paths, wrap
from tanda_transforms.cli.demo import DEMO_BATCH_SIZE, DEMO_STEPS
from tanda_transforms.cli.gallery import gallery_rows
from tanda_transforms.cli.learn import parse_overrides

__all__ = ["main", "build_parser", "parse_overrides", "DEMO_STEPS", "DEMO_BATCH_SIZE",
           "CliError", "check_paths", "gallery_rows", "SUBCOMMANDS", "COMMANDS", "HELP"]

#: Subcommand name -> its module (``HELP``, ``add_parser(sub)``, ``run(args)``), in the order
#: of ``tanda --help``.
SUBCOMMANDS: dict[str, ModuleType] = {
    "learn": learn, "demo": demo, "show": show, "apply": apply, "evaluate": evaluate,
    "compare": compare, "tune": tune, "gallery": gallery, "doctor": doctor,
}
COMMANDS = tuple(SUBCOMMANDS)
#: The one-line help of each subcommand (``tanda --help``).
HELP = {name: module.HELP for name, module in SUBCOMMANDS.items()}


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
        description=wrap("Learn data-augmentation policies adversarially (TANDA, Ratner et al. "
        "2017), look at them, and apply them to folders of images."),
        epilog="Start with `tanda demo`. POLICY arguments take a .tanda file or a gallery "
        "name (see `tanda gallery`).",
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"tanda-transforms {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in SUBCOMMANDS.items():
        if name in full:
            module.add_parser(sub)
        else:
            sub.add_parser(name, help=module.HELP)
    return parser


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
        return SUBCOMMANDS[args.command].run(args)
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

