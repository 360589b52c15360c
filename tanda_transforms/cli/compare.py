"""``tanda compare``: paired differences between conditions of results files (see
:mod:`tanda_transforms.evaluation.compare`)."""

from __future__ import annotations

import argparse

from tanda_transforms.cli.common import CliError, Formatter, wrap

#: The one-line help of ``tanda compare`` (``tanda --help``).
HELP = "compare conditions of results files seed by seed (paired differences)"


def add_parser(sub) -> None:
    parser = sub.add_parser(
        "compare",
        help=HELP,
        description=wrap(
            "Compare conditions that `tanda evaluate` ran on the same seeds, seed by seed. "
            "Runs with the same seed share the labeled subset, the initialisation and the "
            "batch order, so the per-seed differences leave out the luck of each split, which "
            "each condition's own std keeps in. The first condition is the reference; each "
            "other gets its mean ± std, the mean ± std of its differences from the reference "
            "on the seeds both ran, each seed's difference, and on how many seeds it is above."),
        epilog="Example: tanda compare results.json:trivialaugment results.json:tanda_lstm "
        "other.json:tanda_mf:2 (record 2 of that file only) "
        "results.json:basic+more_seeds.json:basic (the seeds of both files).",
        formatter_class=Formatter,
    )
    parser.add_argument(
        "conditions", nargs="+", metavar="PATH:CONDITION[:RECORDS]",
        help="a results file and one of its conditions: every record that ran it, merged by "
        "seed if they ran it alike (with :K,J,... only those records, counting from 0, "
        "merged as named); A+B joins such entries of several files, e.g. more seeds run "
        "later. The first is the reference")


def run(args: argparse.Namespace) -> int:
    """``tanda compare``: print the paired comparison."""
    from tanda_transforms.evaluation.compare import format_comparison, read_entry

    if len(args.conditions) < 2:
        raise CliError("compare needs a reference and at least one other condition")
    try:
        entries = [read_entry(spec) for spec in args.conditions]
        print(format_comparison(entries))
    except ValueError as err:
        raise CliError(str(err)) from None
    return 0
