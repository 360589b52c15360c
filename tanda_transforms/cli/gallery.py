"""``tanda gallery``: a table of the policies shipped with the package."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tanda_transforms.cli.common import (
    Formatter,
    load_policy,
    policy_file_error,
    wrap,
)

#: The one-line help of ``tanda gallery`` (``tanda --help``).
HELP = "list the policies shipped with the package"


def add_parser(sub) -> None:
    sub.add_parser(
        "gallery",
        help=HELP,
        description=wrap("One line per gallery policy: name, training data, TFs, sequence "
        "length L, generator kind, description. '-' marks what a policy's metadata does not "
        "record."),
        formatter_class=Formatter,
    )


def run(args: argparse.Namespace) -> int:
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
            policy = load_policy(name)
        except (policy_file_error(), OSError) as err:
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
