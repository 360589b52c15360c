"""``tanda doctor``: the install check (see :mod:`tanda_transforms.doctor`)."""

from __future__ import annotations

import argparse

from tanda_transforms.cli.common import (
    Formatter,
    wrap,
)

#: The one-line help of ``tanda doctor`` (``tanda --help``).
HELP = "check the install: versions, CPU capability, a torch/torchvision mismatch"


def add_parser(sub) -> None:
    sub.add_parser(
        "doctor",
        help=HELP,
        description=wrap("Import numpy, torch, torchvision, OpenCV and Albumentations one by "
        "one and print their versions, the CPU capability torch and OpenCV dispatch to, and "
        "whether a GPU is visible; then apply a gallery policy to a small image. A failure "
        "gets a line saying what to install (e.g. a torch and torchvision that were not built "
        "together: 'operator torchvision::nms does not exist'). Exit status 1 if anything "
        "fails. `python -m tanda_transforms --check` does the same."),
        formatter_class=Formatter,
    )


def run(args: argparse.Namespace) -> int:
    """``tanda doctor``: see :mod:`tanda_transforms.doctor`."""
    from tanda_transforms.doctor import run

    return run()
