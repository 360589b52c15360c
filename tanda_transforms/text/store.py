"""Language models inside policy files: a text policy carries the models its TFs name.

A text TF names its language model by key (``lm="ngram-<16 hex digits>"``, the start of the
SHA-256 of the model's data, :attr:`NGramLM.key`). Saving a text policy stores every model
its TFs name: a plain-data description in the header (``"language_models"``: key -> the
model's JSON part) and its arrays as tensors named ``lm.<key>.<array>``. Loading validates
each model completely (:meth:`NGramLM.from_parts`), recomputes its checksum, refuses a model
whose data does not match its key, and registers it under that key; nothing is unpickled or
run. Because the key is the checksum, a file cannot replace a model already registered: the
same key means the same data.

Examples
--------
>>> import torch
>>> from tanda_transforms import TF, TFLibrary
>>> from tanda_transforms.text import NGramLM, register_language_model
>>> lm = NGramLM.fit(["a cat sat", "a dog sat"])
>>> key = register_language_model(lm)
>>> header, tensors = embed_models(TFLibrary([TF("word_insert", lm=key)]))
>>> list(header) == [key], all(name.startswith(f"lm.{key}.") for name in tensors)
(True, True)
>>> restore_models(header, {**tensors, "sampler.logits": torch.zeros(1)})
{'sampler.logits': tensor([0.])}
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from tanda_transforms.policy_file import PolicyFileError
from tanda_transforms.text.lm import (
    LanguageModelError,
    NGramLM,
    get_language_model,
    register_language_model,
)
from tanda_transforms.tfs import TFLibrary

__all__ = ["embed_models", "model_keys", "restore_models"]

MAX_MODELS = 16  # language models one policy file may carry
_PREFIX = "lm."


def model_keys(library: TFLibrary) -> list[str]:
    """The keys of the language models that ``library``'s TFs name (``lm`` arguments)."""
    keys = {value for tf in library for name, value in tf.args if name == "lm"}
    return sorted(keys)


def embed_models(library: TFLibrary) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """The header entry and tensors that carry ``library``'s language models in a file."""
    header, tensors = {}, {}
    for key in model_keys(library):
        part, arrays = get_language_model(key).to_parts()
        header[key] = part
        for name, array in arrays.items():
            tensors[f"{_PREFIX}{key}.{name}"] = torch.from_numpy(np.ascontiguousarray(array))
    return header, tensors


def restore_models(header: Any, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Validate and register the models of a file; return the tensors that are not theirs.

    Every model is checked before any is registered: a refused entry registers nothing.

    Raises
    ------
    PolicyFileError
        If the entry is malformed, a model is invalid, or its data does not match its key.
    """
    if not isinstance(header, dict):
        raise PolicyFileError(f"policy 'language_models' must be a JSON object (model key -> "
                              f"model), got {type(header).__name__}")
    if len(header) > MAX_MODELS:
        raise PolicyFileError(f"policy 'language_models' may hold at most {MAX_MODELS} models, "
                              f"got {len(header)}")
    rest = {k: v for k, v in tensors.items() if not k.startswith(_PREFIX)}
    models = []  # every model checked before any is registered
    for key, part in header.items():
        prefix = f"{_PREFIX}{key}."
        arrays = {k[len(prefix):]: v.numpy() for k, v in tensors.items() if k.startswith(prefix)}
        try:
            lm = NGramLM.from_parts(part, arrays)
        except LanguageModelError as err:
            raise PolicyFileError(f"invalid policy: language model {key!r:.40}: {err}") from None
        if lm.key != key:
            raise PolicyFileError(f"invalid policy: language model {key!r:.40} holds data whose "
                                  f"checksum gives key {lm.key!r}: the file was altered")
        models.append(lm)
    stray = sorted(k for k in tensors if k.startswith(_PREFIX)
                   and not any(k.startswith(f"{_PREFIX}{key}.") for key in header))
    if stray:
        raise PolicyFileError(f"invalid policy: tensors {stray[:3]} belong to no language model")
    for lm in models:
        register_language_model(lm)
    return rest
