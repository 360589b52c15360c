"""Text TFs: tokenized sentences with protected spans, an n-gram language model, text ops.

A sentence is a :class:`Tokens` (:func:`tokenize`); markup tags ``<name>...</name>`` mark
spans that no text op edits or moves apart (the entities of a relation). Ops that propose
words read an :class:`NGramLM` registered under its key (:func:`register_language_model`).
Importing this package registers the text ops (:mod:`tanda_transforms.text.ops`).
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
from tanda_transforms.text.packs import TEXT_PACKS, destructive_text_tfs, eda_pack, semeval_pack
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
    "eda_pack",
    "destructive_text_tfs",
    "TEXT_PACKS",
]
