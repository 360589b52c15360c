"""Albumentations integration: a TANDA policy as an ``albumentations.DualTransform``.

:class:`TANDA` samples one TF sequence per call from a :class:`~tanda_transforms.TANDAPolicy`
and applies it to the image; masks, bounding boxes and keypoints follow the geometric TFs
(through :mod:`tanda_transforms.targets`), photometric TFs leave them alone.

All randomness comes from albumentations' own generators, so ``A.Compose([...], seed=s)``
makes runs reproducible exactly as it does for the built-in transforms, and ``A.to_dict`` /
``A.from_dict`` / ``A.save`` / ``A.load`` work (import this module before ``A.load``, so
that albumentations knows the class). A policy given by path is stored as an absolute path,
so a saved pipeline loads from any directory.

DataLoader workers start from copies of the same albumentations generators, so every worker
(and every epoch) would repeat the same augmentations; pass :func:`worker_init_fn` to the
``DataLoader`` (or call :func:`reseed_pipelines` from your own) to give each worker and
epoch its own stream.

Examples
--------
>>> import albumentations as A
>>> import numpy as np
>>> from tanda_transforms import TF, TANDAPolicy
>>> from tanda_transforms.albumentations import TANDA
>>> policy = TANDAPolicy([TF("rotate", degrees=10), TF("hflip")], seq_len=2)
>>> pipeline = A.Compose([TANDA(policy)], seed=0)
>>> pipeline(image=np.zeros((16, 16, 3), np.uint8))["image"].shape
(16, 16, 3)
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
from collections.abc import Iterator
from typing import Any

import albumentations as A
import numpy as np
import torch
from albumentations.core.transforms_interface import BaseTransformInitSchema
from albumentations.core.type_definitions import ALL_TARGETS
from pydantic import Field

from tanda_transforms import _convert, _inputs
from tanda_transforms.policy import TANDAPolicy
from tanda_transforms.sequence import CompiledSequence, SampledSequence

__all__ = ["TANDA", "reseed_pipelines", "worker_init_fn"]

_BLOB_KEY = "tanda_policy_base64"
_TWO_PI = 2.0 * np.pi
_KEYPOINT_STEP = 1e-2  # pixels: finite-difference step for keypoint angles and scales


def _encode_policy(policy: TANDAPolicy) -> dict[str, str]:
    return {_BLOB_KEY: base64.b64encode(policy.to_bytes()).decode("ascii")}


def _stored_source(source: str | dict[str, Any]) -> str | dict[str, Any]:
    """An existing file path becomes absolute (gallery names and dicts are kept as given)."""
    if isinstance(source, str) and os.path.exists(source):
        return os.path.abspath(source)
    return source


def _load_policy(source: str | dict[str, Any]) -> TANDAPolicy:
    if isinstance(source, str):
        return TANDAPolicy.load(source)
    if set(source) != {_BLOB_KEY} or not isinstance(source[_BLOB_KEY], str):
        raise ValueError(
            f"a serialized TANDA policy is a dict {{{_BLOB_KEY!r}: str}}, got keys {sorted(source)}"
        )
    try:
        blob = base64.b64decode(source[_BLOB_KEY], validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"{_BLOB_KEY!r} is not valid base64: {err}") from None
    return TANDAPolicy.from_bytes(blob)


class TANDA(A.DualTransform):
    """Apply a TANDA policy (one sampled TF sequence per call) inside ``albumentations``.

    Parameters
    ----------
    policy : str, TANDAPolicy or dict
        A gallery name (``"example"``) or a path to a policy file (kept as an absolute
        path, for serialization); a :class:`TANDAPolicy`
        object (used as is, not copied); or the dict that serialization writes,
        ``{"tanda_policy_base64": ...}`` (the policy file's bytes, decoded by
        :meth:`TANDAPolicy.from_bytes`, never unpickled).
    p : float or None
        Probability of applying the transform, albumentations' one gate: ``None`` (the
        default) follows the policy's ``p`` (its saved one, or what a training loop sets);
        ``p=1`` transforms every call (the policy's ``p`` no longer applies inside).
    block_size : int
        Number of TF sequences drawn from the policy's sampler at a time (one sampler pass
        per block, so a recurrent sampler is cheap per image).
    embed : bool
        Serialise a policy given by name or path as its bytes (the base64 dict) rather than
        as the name or path, so that ``A.from_dict`` / ``A.load`` work after the file moves,
        on another machine, or for a policy file you do not ship. A policy given as an
        object is always embedded. The embedded bytes are checked on loading like any
        policy file (checksum, bounds; lesion pools by registered name only).

    Notes
    -----
    Randomness: only ``self.random_generator``, the numpy generator albumentations gives
    every transform (``A.Compose(..., seed=s)`` seeds it), and ``self.py_random`` for ``p``.
    A block of sequences is drawn with a ``torch.Generator`` seeded from
    ``random_generator``; when that generator is replaced (the pipeline was reseeded) the
    block is discarded. Each call draws ``seq_len`` step seeds for the TFs' random parts,
    then the frame shift (see :class:`~tanda_transforms.TANDAPolicy`). ``TANDA(p=...)`` is
    the one probability, as for every albumentations transform: by default it is the
    policy's saved ``p``, so a policy saved with ``p=0.5`` transforms half the calls here as
    in a torchvision pipeline; an explicit ``p`` replaces it.
    As for every albumentations transform, DataLoader workers start from copies of the same
    generator: pass ``worker_init_fn=tanda_transforms.albumentations.worker_init_fn`` to the
    ``DataLoader`` so that each worker and epoch draws its own augmentations.

    Targets: images ``H x W`` or ``H x W x C`` of dtype uint8, uint16 or float32 in
    ``[0, 1]`` (normalise after this transform); masks of any real dtype (float64 too, as
    albumentations' own transforms take them) are warped with nearest-neighbour sampling,
    values kept exactly; boxes become the bounding box of their warped outline, clipped to
    the image; keypoints ``(x, y)`` (pixel centres, ``x`` = column, as albumentations) move
    through the warps, and their angle and scale follow the local Jacobian of the warp
    (estimated by finite differences; a flip maps angle ``a`` to ``pi - a`` as
    ``A.HorizontalFlip`` does).

    Examples
    --------
    >>> import albumentations as A
    >>> import numpy as np
    >>> from tanda_transforms import TF, TANDAPolicy
    >>> policy = TANDAPolicy([TF("hflip"), TF("brightness", factor=1.2)], seq_len=2)
    >>> pipeline = A.Compose([TANDA(policy), A.Normalize()], seed=137)
    >>> out = pipeline(image=np.zeros((32, 32, 3), np.uint8), mask=np.zeros((32, 32), np.uint8))
    >>> out["image"].shape, out["image"].dtype, out["mask"].shape
    ((32, 32, 3), dtype('float32'), (32, 32))
    >>> restored = A.from_dict(A.to_dict(pipeline))  # the policy travels as plain JSON data
    >>> type(restored.transforms[0]).__name__
    'TANDA'
    """

    _targets = ALL_TARGETS

    class InitSchema(BaseTransformInitSchema):
        p: float | None = Field(default=None, ge=0, le=1)
        policy: str | dict[str, Any] | TANDAPolicy
        block_size: int = Field(ge=1)
        embed: bool = False

    def __init__(
        self,
        policy: str | TANDAPolicy | dict[str, Any] = "example",
        p: float | None = None,
        block_size: int = 256,
        embed: bool = False,
    ) -> None:
        if isinstance(policy, TANDAPolicy):
            self._source: str | dict[str, Any] | None = None
            self._policy = policy
        elif isinstance(policy, str | dict):
            self._source = _stored_source(policy)
            self._policy = _load_policy(policy)
        else:
            raise TypeError(
                "policy must be a gallery name or path, a TANDAPolicy or its serialized dict, "
                f"got {type(policy).__name__}"
            )
        super().__init__(p=self._policy.p if p is None else p)
        self._follow_policy_p = p is None  # after super(), whose ``self.p = p`` sets it False
        self.block_size = block_size
        self.embed = embed
        self._block: list[tuple[int, ...]] = []
        self._block_owner: np.random.Generator | None = None
        self._compiled_cache: tuple[Any, CompiledSequence] | None = None

    @property
    def p(self) -> float:
        """Probability of applying the transform: the policy's ``p`` (read at each call, so a
        training loop may change ``policy.p``) unless one was given."""
        if self.__dict__.get("_follow_policy_p", False):
            return self._policy.p
        return self._p

    @p.setter
    def p(self, value: float) -> None:
        self._p, self._follow_policy_p = value, False

    # --- serialization ------------------------------------------------------------------

    @property
    def policy(self) -> str | dict[str, Any]:
        """The JSON-able form of the policy: its name or path, or the base64 dict."""
        if self._source is None or (self.embed and isinstance(self._source, str)):
            # encoded on demand, so later edits to the object are kept
            return _encode_policy(self._policy)
        return self._source

    @property
    def tanda_policy(self) -> TANDAPolicy:
        """The loaded :class:`TANDAPolicy`."""
        return self._policy

    def get_transform_init_args_names(self) -> tuple[str, ...]:
        return ("policy", "block_size", "embed")

    def __repr__(self) -> str:
        if isinstance(self._source, str):
            shown = repr(self._source)
        else:
            policy = self._policy
            shown = f"<TANDAPolicy: {len(policy.library)} TFs, seq_len={policy.seq_len}>"
        return f"TANDA(policy={shown}, block_size={self.block_size}, p={self.p})"

    def __getstate__(self) -> dict[str, Any]:
        # Pickle (DataLoader workers, deepcopy) carries the policy as its file bytes: plain
        # data that any process rebuilds with TANDAPolicy.from_bytes.
        state = self.__dict__.copy()
        state["_policy"] = self._policy.to_bytes()
        state["_compiled_cache"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = {"embed": False, **state}  # pickled before ``embed`` existed
        state["_policy"] = TANDAPolicy.from_bytes(state["_policy"], trusted=True)
        self.__dict__.update(state)

    # --- parameters ---------------------------------------------------------------------

    def _next_actions(self) -> tuple[int, ...]:
        rng = self.random_generator
        if self._block_owner is not rng:  # new generator: the pipeline was (re)seeded
            self._block, self._block_owner = [], rng
        if not self._block:
            sampler = self._policy.sampler
            device = next(sampler.parameters(), torch.empty(0)).device
            generator = torch.Generator(device).manual_seed(int(rng.integers(2**63)))
            self._block = self._policy.draw_actions(self.block_size, generator)[::-1]
        return tuple(int(a) for a in self._block.pop())

    def get_params(self) -> dict[str, Any]:
        sequence = self._policy.finish_sample(self._next_actions(), self.random_generator)
        # albumentations' p gated this call already: the policy's own p does not gate again
        return {"sequence": dataclasses.replace(sequence, applied=True)}

    def _compiled(self, sequence: SampledSequence, shape) -> CompiledSequence:
        """The call's compiled sequence, built once and shared by the image and its targets."""
        key = (sequence, tuple(shape[:2]))
        if self._compiled_cache is None or self._compiled_cache[0] != key:
            self._compiled_cache = (key, self._policy.compile(sequence, shape))
        return self._compiled_cache[1]

    # --- targets ------------------------------------------------------------------------

    def apply(self, img: np.ndarray, sequence: SampledSequence, **params: Any) -> np.ndarray:
        if not sequence.applied:
            return img
        # the checks a TANDAPolicy call makes (channel counts against every TF included)
        _inputs.check_call([img], self._policy.library, type(self).__name__)
        return _convert.apply_to_image(img, self._compiled(sequence, img.shape).apply)

    def apply_to_mask(self, mask: np.ndarray, sequence: SampledSequence, **params: Any):
        if not sequence.applied:
            return mask
        return self._compiled(sequence, mask.shape).warp_mask(mask)

    def apply_to_bboxes(self, bboxes: np.ndarray, sequence: SampledSequence, **params: Any):
        h, w = params["shape"][:2]
        compiled = self._compiled(sequence, (h, w))
        if not sequence.applied or not compiled.warps or not len(bboxes):
            return bboxes
        scale = np.array([w, h, w, h], np.float64)
        moved = compiled.warp_boxes(bboxes[:, :4].astype(np.float64) * scale) / scale
        out = bboxes.copy()
        out[:, :4] = moved
        return out

    def apply_to_keypoints(self, keypoints: np.ndarray, sequence: SampledSequence, **params: Any):
        compiled = self._compiled(sequence, params["shape"][:2])
        if not sequence.applied or not compiled.warps or not len(keypoints):
            return keypoints
        out = keypoints.copy()
        xy = keypoints[:, :2].astype(np.float64)
        if keypoints.shape[1] < 5:  # no angle / scale columns: move the points only
            out[:, :2] = compiled.map_points(xy)
            return out
        # albumentations' internal layout: x, y, z, angle (radians, y down), scale, ...
        angle = keypoints[:, 3].astype(np.float64)
        step = _KEYPOINT_STEP
        along = np.stack([np.cos(angle), np.sin(angle)], 1) * step
        across = np.stack([-np.sin(angle), np.cos(angle)], 1) * step
        moved = compiled.map_points(np.concatenate([xy, xy + along, xy + across]))
        centre, tip, side = np.split(moved, 3)
        d_along, d_across = tip - centre, side - centre
        new_angle = np.mod(np.arctan2(d_along[:, 1], d_along[:, 0]), _TWO_PI)
        area = np.abs(d_along[:, 0] * d_across[:, 1] - d_along[:, 1] * d_across[:, 0])
        out[:, :2] = centre
        out[:, 3] = new_angle
        out[:, 3][out[:, 3] >= _TWO_PI] = 0.0  # float32 rounding of values just below 2 pi
        out[:, 4] = keypoints[:, 4] * (np.sqrt(area) / step)
        return out


# --- DataLoader workers ---------------------------------------------------------------------


def reseed_pipelines(root: Any, worker_seed: int | None = None) -> int:
    """Reseed every albumentations pipeline found in ``root`` from the worker's torch seed.

    Each ``A.Compose`` (or other ``BaseCompose``) reachable from ``root`` through attributes,
    lists, tuples and dicts (a dataset, ``Subset`` and ``ConcatDataset`` included) gets
    ``set_random_seed(s)`` with ``s`` mixed from its own seed (``Compose(seed=...)``, 0 if
    none) and ``worker_seed``. Nested pipelines are reseeded through their outermost one.

    Parameters
    ----------
    root
        Usually the worker's copy of the dataset (``torch.utils.data.get_worker_info()
        .dataset``), or a pipeline.
    worker_seed
        Default: ``torch.initial_seed()``, which a DataLoader makes different for every
        worker and every epoch (and reproducible under ``torch.manual_seed``).

    Returns
    -------
    int
        How many pipelines were reseeded.

    Examples
    --------
    >>> import albumentations as A
    >>> import numpy as np
    >>> pipeline = A.Compose([A.HorizontalFlip()], seed=0)
    >>> reseed_pipelines({"train": pipeline}, worker_seed=1)
    1
    >>> before = pipeline.random_generator.integers(2**32)
    >>> _ = reseed_pipelines(pipeline, worker_seed=2)
    >>> bool(before != pipeline.random_generator.integers(2**32))
    True
    """
    seed = torch.initial_seed() if worker_seed is None else int(worker_seed)
    count = 0
    for pipeline in _find_pipelines(root):
        own = getattr(pipeline, "_tanda_base_seed", None)
        if own is None:  # first reseed in this process: remember the seed the user gave
            own = pipeline.seed if isinstance(pipeline.seed, int) else 0
            pipeline._tanda_base_seed = own
        mixed = np.random.SeedSequence([own, seed]).generate_state(1, np.uint32)[0]
        pipeline.set_random_seed(int(mixed))
        count += 1
    return count


def _find_pipelines(root: Any, depth: int = 6) -> Iterator[A.BaseCompose]:
    """Outermost ``BaseCompose`` objects reachable from ``root``, each once."""
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        item, level = stack.pop()
        if id(item) in seen or level > depth:
            continue
        seen.add(id(item))
        if isinstance(item, A.BaseCompose):
            yield item
        elif isinstance(item, dict):
            stack.extend((value, level + 1) for value in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((value, level + 1) for value in item)
        elif hasattr(item, "__dict__") and not isinstance(item, type | np.ndarray | torch.Tensor):
            stack.extend((value, level + 1) for value in vars(item).values())


def worker_init_fn(worker_id: int) -> None:
    """``DataLoader(..., worker_init_fn=worker_init_fn)``: distinct augmentations per worker.

    Reseeds every albumentations pipeline in the worker's copy of the dataset from
    ``torch.initial_seed()`` (see :func:`reseed_pipelines`), so workers no longer repeat
    each other and epochs no longer repeat the first, while a fixed ``torch.manual_seed``
    still reproduces a run. To add your own per-worker set-up, call
    :func:`reseed_pipelines` from your function instead.

    Parameters
    ----------
    worker_id
        Given by the DataLoader (unused: the torch seed already differs per worker).

    Raises
    ------
    RuntimeError
        Outside a DataLoader worker, or if the dataset holds no albumentations pipeline.

    Examples
    --------
    >>> import torch
    >>> from tanda_transforms.albumentations import worker_init_fn
    >>> loader = torch.utils.data.DataLoader(range(4), num_workers=0,
    ...                                      worker_init_fn=worker_init_fn)
    """
    info = torch.utils.data.get_worker_info()
    if info is None:
        raise RuntimeError("worker_init_fn runs inside DataLoader workers (num_workers > 0)")
    if reseed_pipelines(info.dataset) == 0:
        raise RuntimeError(
            f"worker_init_fn found no albumentations pipeline (A.Compose) in the dataset "
            f"({type(info.dataset).__name__}); keep the pipeline as an attribute of the "
            "dataset, or call reseed_pipelines(your_pipeline) from your own worker_init_fn"
        )
