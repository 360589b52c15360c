"""Reading a policy file's parts: the header checked field by field, then the policy built.

Split from :mod:`tanda_transforms.policy` (which keeps the transform). Everything is checked
against the file before anything the file sizes is allocated; every failure is a
:class:`~tanda_transforms.policy_file.PolicyFileError`.
"""

from __future__ import annotations

import sys
from typing import Any

import torch

from tanda_transforms import limits
from tanda_transforms._limits import MAX_SEQ_LEN
from tanda_transforms.generator_kinds import build_sampler
from tanda_transforms.policy_file import PolicyFileError
from tanda_transforms.registry import UnknownOpError, get_op
from tanda_transforms.tfs import TFLibrary

__all__ = ["FORMAT", "MAX_FRAME", "MAX_SEQ_LEN", "MAX_TFS", "policy_from_parts"]

MAX_TFS = 10_000  # TFs a policy file may list (the paper's libraries have 25 to 33)
MAX_FRAME = 4096
FORMAT = "tanda-policy"

_HEADER_KEYS = {
    "format",
    "package_version",
    "library",
    "sampler",
    "seq_len",
    "p",
    "frame",
    "metadata",
    "language_models",
}


def policy_from_parts(
    cls, header: dict, tensors: dict, seed: int | None, *, trusted: bool = False
) -> Any:
    """A ``cls`` policy from a decoded file's header and tensors (see ``from_bytes``)."""
    # Everything is checked against the file before anything the file sizes is allocated:
    # the sampler's size against the library, then its weights' shapes (computed on the meta
    # device, which allocates nothing) against the tensors actually present in the file.
    _check_header(header)
    spec, config = header["library"], header.get("sampler")
    _check_sampler_size(config, len(spec))
    limits.check_draw(config, header["seq_len"])  # before the library is built (10,000 TFs)
    registered = _registered_models()
    tensors = _register_embedded_models(header, tensors)
    try:
        return _build(cls, header, tensors, seed, trusted)
    except BaseException:  # a refused file leaves no language model registered
        _unregister_models(_registered_models() - registered)
        raise


def _build(cls, header: dict, tensors: dict, seed: int | None, trusted: bool) -> Any:
    spec, config = header["library"], header["sampler"]
    try:
        library = TFLibrary.from_spec(spec)
        if not trusted:
            _check_file_args(library)
        with torch.device("meta"):
            expected = build_sampler(config).state_dict()
    except (UnknownOpError, TypeError, ValueError) as err:
        raise PolicyFileError(f"invalid policy: {err}") from None
    state = _checked_state(expected, tensors)
    sampler = build_sampler(config)
    sampler.load_state_dict(state)
    metadata = header.get("metadata", {})
    # files written before p and frame existed apply every time, without a frame
    p, frame = header.get("p", 1.0), header.get("frame", 0)
    try:
        return cls(
            library, sampler, header["seq_len"], seed=seed, metadata=metadata, p=p, frame=frame
        )
    except ValueError as err:
        raise PolicyFileError(f"invalid policy: {err}") from None


def _registered_models() -> set[str]:
    if "tanda_transforms.text.lm" not in sys.modules:  # no text policy used yet
        return set()
    from tanda_transforms.text.lm import registered_language_models

    return set(registered_language_models())


def _unregister_models(keys: set[str]) -> None:
    from tanda_transforms.text.lm import unregister_language_model

    for key in keys:
        unregister_language_model(key)


def _register_embedded_models(header: dict, tensors: dict) -> dict:
    """Validate and register the language models a text policy file carries; return the
    other tensors (the sampler's)."""
    if "language_models" not in header:
        return tensors
    from tanda_transforms.text.store import restore_models

    return restore_models(header["language_models"], tensors)


def _check_file_args(library: TFLibrary) -> None:
    """Each op's check of TFs read from files (a lesion pool path must be registered)."""
    for tf in library:
        get_op(tf.op).check_from_file(dict(tf.args))


def _check_sampler_size(config: Any, n_tfs: int) -> None:
    declared = config.get("n_tfs") if isinstance(config, dict) else None
    if not _is_int(declared) or declared != n_tfs:
        raise PolicyFileError(
            f"the sampler must draw from the library's {n_tfs} TFs; it declares "
            f"n_tfs={declared!r:.40}"
        )


def _check_header(header: dict[str, Any]) -> None:
    """Refuse, with PolicyFileError, a header whose fields are not what a policy writes."""
    unknown = sorted(set(header) - _HEADER_KEYS)
    if unknown:
        raise PolicyFileError(f"policy header has unknown keys {unknown}; expected {_HEADER_KEYS}")
    if header.get("format") != FORMAT:
        raise PolicyFileError(f"not a TANDA policy (format {header.get('format')!r:.80})")
    if not isinstance(header.get("package_version", ""), str):
        raise PolicyFileError("policy 'package_version' must be a string")
    spec, seq_len = header.get("library"), header.get("seq_len")
    if not isinstance(spec, list) or not 1 <= len(spec) <= MAX_TFS:
        raise PolicyFileError(f"policy 'library' must be a list of 1..{MAX_TFS} TF specs")
    if not _is_int(seq_len) or not 1 <= seq_len <= MAX_SEQ_LEN:
        raise PolicyFileError(
            f"policy 'seq_len' must be an int in [1, {MAX_SEQ_LEN}], got {seq_len!r:.40}"
        )
    p, frame = header.get("p", 1.0), header.get("frame", 0)
    if not _is_number(p) or not 0 <= p <= 1:  # also False for NaN
        raise PolicyFileError(f"invalid policy: p must be a probability in [0, 1], got {p!r:.40}")
    if not _is_int(frame) or not 0 <= frame <= MAX_FRAME:
        raise PolicyFileError(
            f"invalid policy: frame must be an int in [0, {MAX_FRAME}] (pixels), got {frame!r:.40}"
        )
    _check_metadata(header.get("metadata", {}))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# What the package itself reads from metadata["training"] (learn_policy writes it; `history`,
# `tanda show` and `tanda gallery` read it): these fields, when present, must have these types.
_TRAINING_FIELDS = {
    "steps": _is_int,
    "seed": _is_int,
    "wall_time_s": _is_number,
    "generator": lambda v: isinstance(v, str),
    "data_dtype": lambda v: isinstance(v, str),
    "data_shape": lambda v: isinstance(v, list) and all(_is_int(d) for d in v),
    "config": lambda v: isinstance(v, dict),
    "timing_s": lambda v: isinstance(v, dict) and all(_is_number(t) for t in v.values()),
    "history": lambda v: isinstance(v, dict) and all(_is_history(k, h) for k, h in v.items()),
}


def _is_history(key: str, values: Any) -> bool:
    if not isinstance(values, list):
        return False
    if key == "step":
        return all(_is_int(v) for v in values)
    return all(_is_number(v) or isinstance(v, list) and all(map(_is_number, v)) for v in values)


def _check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise PolicyFileError("policy 'metadata' must be a JSON object")
    training = metadata.get("training", {})
    if not isinstance(training, dict):
        raise PolicyFileError(
            f"policy 'metadata.training' must be a JSON object, got {training!r:.40}"
        )
    for key, valid in _TRAINING_FIELDS.items():
        if key in training and not valid(training[key]):
            raise PolicyFileError(
                f"policy 'metadata.training.{key}' has the wrong type ({training[key]!r:.40})"
            )


def _checked_state(
    expected: dict[str, torch.Tensor], tensors: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """The file's sampler weights, if they match ``expected`` in names, shapes and dtypes."""
    state = {k.removeprefix("sampler."): v for k, v in tensors.items()}
    if set(state) != set(expected):
        raise PolicyFileError(
            f"sampler weights {sorted(state)} do not match the declared sampler {sorted(expected)}"
        )
    for key, value in expected.items():
        if state[key].shape != value.shape or state[key].dtype != value.dtype:
            raise PolicyFileError(
                f"sampler weight {key!r}: expected {value.dtype} {tuple(value.shape)}, "
                f"got {state[key].dtype} {tuple(state[key].shape)}"
            )
    if not all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point()):
        raise PolicyFileError("sampler weights contain NaN or infinite values")
    return state
