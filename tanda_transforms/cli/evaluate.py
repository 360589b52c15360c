"""``tanda evaluate``: the options of :mod:`tanda_transforms.evaluation.options` plus the
``--lesion-pool`` set-up of the policies it evaluates.
"""

from __future__ import annotations

import argparse

from tanda_transforms.cli.common import (
    CliError,
    Formatter,
    add_pool_options,
    load_policy,
    pool_from_args,
)

#: The one-line help of ``tanda evaluate`` (``tanda --help``).
HELP = "train end models with each augmentation condition and compare test accuracy"


def add_parser(sub) -> None:
    from tanda_transforms.evaluation.options import add_evaluate_parser

    add_pool_options(add_evaluate_parser(sub, formatter_class=Formatter))


def run(args: argparse.Namespace) -> int:
    """``tanda evaluate``: options are checked first (usage errors), then the run goes.

    See :mod:`tanda_transforms.evaluation`.
    """
    from tanda_transforms.evaluation.command import config_from_args, run_evaluate

    try:
        config_from_args(args)
    except (TypeError, ValueError) as err:
        raise CliError(f"bad evaluate option: {err}") from None
    prepare_evaluate_pools(args)
    return run_evaluate(args)


def prepare_evaluate_pools(args: argparse.Namespace) -> None:
    """``--lesion-pool`` for ``tanda evaluate``: the pool of every policy it evaluates.

    A ``.npz`` is registered under its path first (so policies naming that file load), then
    the pool under the pool names the evaluated policies' TFs use.
    """
    pool = pool_from_args(args)
    if args.lesion_pool is None:
        return
    from tanda_transforms.domains.pool_setup import prepare_pools_of
    from tanda_transforms.evaluation.command import resolve_policies

    paths, _ = resolve_policies(args.dataset, args.conditions, args.policies,
                                {"tanda_mf": args.policy_mf, "tanda_lstm": args.policy_lstm})
    policies = [load_policy(path) for path in sorted(set(paths.values()))]
    prepare_pools_of(policies, args.lesion_pool, args.pool_size, pool)
