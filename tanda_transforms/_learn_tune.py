"""Learning that ends with the tuner: with labels, the saved policy's ``p`` and ``frame`` are
chosen on them.

How often a learned policy is applied decides whether it pays: on data held out from the
project the same policy scored below no augmentation at p = 1 and above it at p = 0.3
(docs/your-data.md). When :func:`~tanda_transforms.learn.learn_policy` gets labels with
in-memory ``uint8`` images, it ends with :func:`~tanda_transforms.tune.tune_policy` on the
labeled images (a validation share of them held out, ``p = 0`` always a candidate), so the
policy it returns is applied the way short proxy trainings preferred, and never chosen below
no augmentation on that validation share. Whether tuning can run is checked before learning
starts, so a tuning that cannot run does not cost a finished learning run.

Examples
--------
>>> import numpy as np
>>> images = np.zeros((6, 8, 8), np.uint8)
>>> items = tuning_items(images, [0, 1, -1, 0, 1, -1], tune=None, modality="image")
>>> items[0].shape, items[1].tolist()
((4, 8, 8), [0, 1, 0, 1])
>>> tuning_items(images, None, tune=None, modality="image") is None  # no labels: no tuning
True
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from tanda_transforms.labels import check_labels

__all__ = ["tune_option_names", "tuned", "tuning_items"]

Items = tuple[np.ndarray, np.ndarray]


def tune_option_names() -> tuple[str, ...]:
    """The keywords of :func:`~tanda_transforms.tune.tune_policy` that ``tune_options`` may set
    (all but the policy, the data and ``progress``, which learning passes itself)."""
    from tanda_transforms.tune import tune_policy

    given = {"policy", "images", "labels", "progress"}
    return tuple(name for name in inspect.signature(tune_policy).parameters if name not in given)


def tuning_items(data: Any, labels: Any, *, tune: bool | None, modality: str,
                 options: Mapping[str, Any] | None = None) -> Items | None:
    """The labeled images and their labels the tuner will use, or None when it does not run.

    ``tune=None`` tunes when it can (labels given, image TFs, the images one ``uint8``
    array) and warns when the labels cannot feed it; ``True`` requires it (a clear error
    otherwise); ``False`` never tunes. ``options`` (keywords of
    :func:`~tanda_transforms.tune.tune_policy`) are checked by name here.

    Raises
    ------
    TypeError
        If ``tune`` is not None or a bool, or ``options`` names what the tuner does not take.
    ValueError
        With ``tune=True``, if the tuner cannot run on these inputs (the reason named).
    """
    if tune is not None and not isinstance(tune, bool):
        raise TypeError(f"tune must be None (when labels allow), True or False, got {tune!r}")
    _check_options(options)
    if tune is False:
        return None
    reason = _why_not(data, labels, modality)
    if reason is None:
        reason, items = _labeled(data, labels)
        if reason is None:
            return items
    if tune:
        raise ValueError(f"tune=True, but the tuner {reason}")
    if labels is not None and modality == "image":
        warnings.warn(f"learn_policy does not tune the saved p and frame: the tuner {reason} "
                      "(pass tune=False to silence this)", stacklevel=3)
    return None


def tuned(policy: Any, items: Items, seed: int, options: Mapping[str, Any] | None,
          progress: bool) -> Any:
    """``policy`` tuned on ``items`` (:func:`~tanda_transforms.tune.tune_policy`, its
    defaults but the learning ``seed`` for the split and proxies, then ``options``),
    printing each proxy run and the choice when ``progress``."""
    from tanda_transforms.tune import tune_policy
    from tanda_transforms.tune_command import print_choice, report_run

    images, labels = items
    settings = {"seeds": (seed,), "split_seed": seed, **(options or {})}
    if progress:
        print(f"tuning p and frame on the {len(labels)} labeled images", flush=True)
    result = tune_policy(policy, images, labels, progress=report_run if progress else None,
                         **settings)
    if progress:
        print_choice(result.metadata["tuning"])
    return result


def _check_options(options: Mapping[str, Any] | None) -> None:
    if options is None:
        return
    if not isinstance(options, Mapping):
        raise TypeError(f"tune_options must be a dict of tune_policy keywords, got "
                        f"{type(options).__name__}")
    known = tune_option_names()
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"tune_options: unknown {unknown}; tune_policy takes {known}")


def _why_not(data: Any, labels: Any, modality: str) -> str | None:
    """Why the tuner cannot run on these inputs, or None."""
    if labels is None:
        return "needs labels (learn_policy(..., labels=...))"
    if modality != "image":
        return f"trains an image classifier and the TFs are {modality} TFs"
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim not in (3, 4):
        got = (f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray)
               else type(data).__name__)
        return f"needs the images as one uint8 array N x H x W (x C), got {got}"
    return None


def _labeled(data: np.ndarray, labels: Any) -> tuple[str | None, Items | None]:
    """The labeled images and labels, or why the tuner cannot split them."""
    from tanda_transforms.tune import check_data

    labels = check_labels(labels, len(data))
    keep = labels >= 0
    try:
        return None, (data[keep], check_data(data[keep], labels[keep]))
    except ValueError as err:
        return f"cannot use these labels: {err}", None
