"""``tanda tune``: see :mod:`tanda_transforms.tune_command`."""

from __future__ import annotations

import argparse

from tanda_transforms.cli.common import (
    CliError,
    Formatter,
)

#: The one-line help of ``tanda tune`` (``tanda --help``).
HELP = "choose a policy's p and frame by short trainings on labeled data"


def add_parser(sub) -> None:
    from tanda_transforms.tune_command import add_tune_parser

    add_tune_parser(sub, formatter_class=Formatter)


def run(args: argparse.Namespace) -> int:
    """``tanda tune``: inputs are read and checked first (usage errors), then the proxies run.

    See :mod:`tanda_transforms.tune_command`.
    """
    from tanda_transforms.tune_command import prepare_tune, run_tune

    try:
        job = prepare_tune(args)
    except (TypeError, ValueError) as err:
        raise CliError(f"bad tune input: {err}") from None
    return run_tune(job)
