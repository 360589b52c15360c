"""The generator kinds: one registry that learning, the policy file, the limits and ``tanda``
read (no torch until a sampler is built).

A kind names a :class:`~tanda_transforms.generators.SequenceSampler` and says what the rest
of the package needs to know about it: which :class:`~tanda_transforms.learn.LearnConfig`
fields its plain-data config takes, its learning-rate and entropy defaults, the work of
drawing one action (:mod:`tanda_transforms.limits` caps it for policy files) and a one-line
summary for ``tanda learn --help``. Adding a kind is one module holding the sampler plus one
:func:`register_generator_kind` call; nothing else lists the kinds.

Examples
--------
>>> from tanda_transforms.generator_kinds import generator_kind, generator_names
>>> generator_names()
('mean_field', 'lstm', 'gru')
>>> kind = generator_kind("lstm")
>>> kind.config_fields, kind.g_lr, kind.short
(('hidden_size',), 0.0003, 'lstm')
>>> build_sampler({"kind": "gru", "n_tfs": 3, "hidden_size": 4}).kind
'gru'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = [
    "GeneratorKind",
    "register_generator_kind",
    "unregister_generator_kind",
    "generator_kind",
    "generator_names",
    "build_sampler",
]


@dataclasses.dataclass(frozen=True)
class GeneratorKind:
    """What the package knows about one kind of sequence generator.

    Parameters
    ----------
    name
        The ``kind`` of the sampler's config (``tanda learn --generator NAME``).
    build
        ``build(config) -> SequenceSampler``: a fresh sampler from its plain-data config
        (``{"kind": name, "n_tfs": K, **fields}``, keys already checked).
    step_work
        ``step_work(config) -> int``: multiply-adds of drawing one action (the limits on
        policy files multiply it by the sequences and steps drawn).
    summary
        A phrase for ``tanda learn --help``.
    config_fields
        :class:`~tanda_transforms.learn.LearnConfig` fields the config takes (e.g.
        ``("hidden_size",)``); each is a positive int in a policy file.
    g_lr, entropy_weight
        The generator's learning rate and entropy bonus when ``LearnConfig`` leaves them
        ``None``.
    short
        A tag for file names (``mnist_mf.tanda``); default: the name.
    """

    name: str
    build: Callable[[dict[str, Any]], Any]
    step_work: Callable[[dict[str, Any]], int]
    summary: str
    config_fields: tuple[str, ...] = ()
    g_lr: float = 3e-4
    entropy_weight: float = 0.1
    short: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"a generator kind's name is an identifier, got {self.name!r}")
        if not callable(self.build) or not callable(self.step_work):
            raise TypeError(f"generator kind {self.name!r}: build and step_work must be "
                            "callables taking the sampler's config")
        if not self.short:
            object.__setattr__(self, "short", self.name)

    def config_keys(self) -> set[str]:
        """The keys of a config of this kind."""
        return {"kind", "n_tfs", *self.config_fields}


_KINDS: dict[str, GeneratorKind] = {}


def register_generator_kind(kind: GeneratorKind, *, replace: bool = False) -> GeneratorKind:
    """Make ``kind`` known to learning, policy files, the limits and ``tanda learn``.

    Raises ``ValueError`` if the name is taken, unless ``replace``.
    """
    if not isinstance(kind, GeneratorKind):
        raise TypeError(f"expected a GeneratorKind, got {type(kind).__name__}")
    if kind.name in _KINDS and not replace:
        raise ValueError(f"generator kind {kind.name!r} is already registered "
                         "(replace=True to replace it)")
    _KINDS[kind.name] = kind
    return kind


def unregister_generator_kind(name: str) -> None:
    """Forget a registered kind (policies of that kind no longer load)."""
    generator_kind(name)
    del _KINDS[name]


def generator_names() -> tuple[str, ...]:
    """The registered kinds, in registration order (the built-ins first)."""
    return tuple(_KINDS)


def generator_kind(name: str) -> GeneratorKind:
    """The registered kind ``name``; ``ValueError`` naming the kinds if there is none."""
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"generator must be one of {generator_names()}, got {name!r}")
    return kind


def build_sampler(config: dict[str, Any]) -> Any:
    """A fresh sampler from :meth:`~tanda_transforms.generators.SequenceSampler.config`
    output (plain data): its kind's ``build`` once the keys are the kind's.

    Examples
    --------
    >>> build_sampler({"kind": "mean_field", "n_tfs": 3}).config()
    {'kind': 'mean_field', 'n_tfs': 3}
    >>> build_sampler({"kind": "lstm", "n_tfs": 3})
    Traceback (most recent call last):
        ...
    ValueError: unknown sampler config {'kind': 'lstm', 'n_tfs': 3}; expected kind in \
('mean_field', 'lstm', 'gru') with the keys of its kind (lstm: hidden_size, kind, n_tfs)
    """
    if not isinstance(config, dict):
        raise ValueError(f"a sampler config is a dict, got {type(config).__name__}")
    name = config.get("kind")
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None or set(config) != kind.config_keys():
        keys = "" if kind is None else f" ({name}: {', '.join(sorted(kind.config_keys()))})"
        raise ValueError(f"unknown sampler config {config!r:.200}; expected kind in "
                         f"{generator_names()} with the keys of its kind{keys}")
    return kind.build(config)


def _build_mean_field(config: dict[str, Any]) -> Any:
    from tanda_transforms.generators import MeanFieldSampler

    return MeanFieldSampler(config["n_tfs"])


def _build_recurrent(config: dict[str, Any]) -> Any:
    from tanda_transforms._limits import MAX_HIDDEN_SIZE
    from tanda_transforms.generators import RecurrentSampler

    hidden = config["hidden_size"]
    if not isinstance(hidden, int) or not 1 <= hidden <= MAX_HIDDEN_SIZE:
        raise ValueError(f"hidden_size must be an int in [1, {MAX_HIDDEN_SIZE}], got {hidden!r}")
    return RecurrentSampler(config["n_tfs"], hidden_size=hidden, cell=config["kind"])


def _recurrent_work(gates: int) -> Callable[[dict[str, Any]], int]:
    """Multiply-adds of one step of a recurrent cell with ``gates`` gates, then the head."""

    def work(config: dict[str, Any]) -> int:
        hidden, n_tfs = config["hidden_size"], config["n_tfs"]
        return gates * 2 * hidden * hidden + hidden * n_tfs + n_tfs

    return work


register_generator_kind(GeneratorKind(
    "mean_field", _build_mean_field, lambda config: config["n_tfs"],
    summary="one categorical drawn independently per step", g_lr=1e-2, entropy_weight=0.01,
    short="mf"))
register_generator_kind(GeneratorKind(
    "lstm", _build_recurrent, _recurrent_work(4), config_fields=("hidden_size",),
    summary="an LSTM fed the previous TF (the paper's choice)"))
register_generator_kind(GeneratorKind(
    "gru", _build_recurrent, _recurrent_work(3), config_fields=("hidden_size",),
    summary="a GRU fed the previous TF"))
