"""tanda-transforms: learn data-augmentation policies (TANDA) and use them as transforms.

Users bring transformation functions (TFs); a generator learns, adversarially and without
labels, which sequences of TFs keep data realistic; the result is a :class:`TANDAPolicy` that
works in ``torchvision.transforms.Compose`` and, through
:class:`tanda_transforms.albumentations.TANDA`, in ``albumentations.Compose``.

Examples
--------
>>> import numpy as np
>>> from tanda_transforms import TANDAPolicy, TF
>>> policy = TANDAPolicy([TF("rotate", degrees=5), TF("hflip")], seq_len=2, seed=0)
>>> policy(np.zeros((8, 8, 3), np.uint8)).shape
(8, 8, 3)
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from tanda_transforms import registry as _registry  # standard library only: stays light
from tanda_transforms._lazy import lazy_exports

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load on first use
    from tanda_transforms.consistency import consistency_loss
    from tanda_transforms.exclude import drop_label_changing, exclude_tfs
    from tanda_transforms.generators import MeanFieldSampler, RecurrentSampler, SequenceSampler
    from tanda_transforms.learn import LearnConfig, learn_policy
    from tanda_transforms.policy import PolicyNotFoundError, TANDAPolicy, gallery_names
    from tanda_transforms.policy_file import PolicyFileError
    from tanda_transforms.registry import UnknownOpError, available_ops, register_op
    from tanda_transforms.tfs import TF, TFLibrary, TFOutputError, available_packs
    from tanda_transforms.tune import tune_policy

# Public name -> the module defining it. Importing torch takes seconds, so the package
# imports nothing heavy until a name is used (``tanda --help`` stays fast).
_EXPORTS = {
    "consistency_loss": "consistency",
    "drop_label_changing": "exclude",
    "exclude_tfs": "exclude",
    "MeanFieldSampler": "generators",
    "RecurrentSampler": "generators",
    "SequenceSampler": "generators",
    "LearnConfig": "learn",
    "learn_policy": "learn",
    "PolicyNotFoundError": "policy",
    "TANDAPolicy": "policy",
    "gallery_names": "policy",
    "PolicyFileError": "policy_file",
    "UnknownOpError": "registry",
    "available_ops": "registry",
    "register_op": "registry",
    "TF": "tfs",
    "TFLibrary": "tfs",
    "TFOutputError": "tfs",
    "available_packs": "tfs",
    "tune_policy": "tune",
}


def _import_builtin_ops() -> None:
    """Import the modules whose ops register themselves: the built-in table and the domains.

    The registry calls this once, on its first lookup; importing them here rather than in
    the registry keeps the import graph free of cycles (they import the registry).
    """
    from tanda_transforms import domains, ops, text  # noqa: F401
    from tanda_transforms.ops import geometric  # noqa: F401  (not imported by ops: see there)


_registry.set_builtin_loader(_import_builtin_ops)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


__all__ = [
    "TANDAPolicy",
    "learn_policy",
    "LearnConfig",
    "TF",
    "TFLibrary",
    "TFOutputError",
    "MeanFieldSampler",
    "RecurrentSampler",
    "SequenceSampler",
    "PolicyFileError",
    "PolicyNotFoundError",
    "UnknownOpError",
    "available_ops",
    "available_packs",
    "consistency_loss",
    "drop_label_changing",
    "exclude_tfs",
    "gallery_names",
    "register_op",
    "tune_policy",
    "__version__",
]
