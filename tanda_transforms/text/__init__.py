"""Text TFs: tokenized sentences with protected spans, an n-gram language model, text ops.

A sentence is a :class:`Tokens` (:func:`tokenize`); markup tags ``<name>...</name>`` mark
spans that no text op edits or moves apart (the entities of a relation). Ops that propose
words read an :class:`NGramLM` registered under its key (:func:`register_language_model`).
Importing this package registers the text ops (:mod:`tanda_transforms.text.ops`).

The modules: :mod:`~tanda_transforms.text.tokens` (sentences and spans),
:mod:`~tanda_transforms.text.lm` (the Kneser-Ney n-gram model, its plain-data parts and
registry), :mod:`~tanda_transforms.text.ops` and :mod:`~tanda_transforms.text.packs` (the
TFs), :mod:`~tanda_transforms.text.apply` (what a text policy's call does),
:mod:`~tanda_transforms.text.store` (models inside policy files),
:mod:`~tanda_transforms.text.learn` and :mod:`~tanda_transforms.text.discriminator` (the
text side of :func:`~tanda_transforms.learn_policy`; imported on use, as they need torch).
"""

from tanda_transforms.text import ops as _ops  # noqa: F401  (registers the text ops)
from tanda_transforms.text.lm import (
    LanguageModelError,
    LanguageModelNotFoundError,
    NGramLM,
    get_language_model,
    register_language_model,
    registered_language_models,
    unregister_language_model,
)
from tanda_transforms.text.packs import (
    TEXT_PACKS,
    destructive_text_tfs,
    eda_pack,
    relation_pack,
    semeval_pack,
)
from tanda_transforms.text.tokens import Tokens, tokenize

__all__ = [
    "Tokens",
    "tokenize",
    "NGramLM",
    "LanguageModelError",
    "LanguageModelNotFoundError",
    "register_language_model",
    "get_language_model",
    "registered_language_models",
    "unregister_language_model",
    "semeval_pack",
    "relation_pack",
    "eda_pack",
    "destructive_text_tfs",
    "TEXT_PACKS",
]
