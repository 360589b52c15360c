"""The learning run of ``tanda learn`` and ``tanda demo``: threads, device, the run itself,
the warnings about short runs and the distance the policy moved from uniform.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

from tanda_transforms.cli.common import (
    CliError,
    positive_int,
)


def add_runtime_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="CPU threads torch may use while learning (default: torch's choice, "
                   "one per core, capped by the cores left idle by other programs: on busy "
                   "cores one thread is several times faster). Floating-point sums depend on "
                   "the thread count, so the same seed gives a slightly different policy with "
                   "another N: pass the same N to reproduce a policy exactly")
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def _device(name: str | None) -> str | None:
    if name == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise CliError("--device cuda: no CUDA device is available here")
    return name


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
    if not isinstance(data, np.ndarray):  # a streamed folder (cli/learn.py)
        return str(data)
    channels = 1 if data.ndim == 3 else data.shape[-1]
    return (f"{len(data)} images of {' x '.join(map(str, data.shape[1:]))} {data.dtype} "
            f"({channels} channel{'s' if channels > 1 else ''})")


def train_policy(images: np.ndarray | list[str], library, config, args: argparse.Namespace,
           generator: str, checkpoint: str | None = None, resume: str | None = None,
           labels: np.ndarray | None = None, tune: bool | None = None):
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
                              workers=getattr(args, "workers", None), tune=tune,
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


def print_distance(policy) -> None:
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
