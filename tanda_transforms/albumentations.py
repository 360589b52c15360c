"""Albumentations integration: a TANDA policy as an ``albumentations.DualTransform``.

:class:`TANDA` samples one TF sequence per call from a :class:`~tanda_transforms.TANDAPolicy`
and applies it to the image; masks, bounding boxes and keypoints follow the geometric TFs
(through :mod:`tanda_transforms.targets`), photometric TFs leave them alone.

All randomness comes from albumentations' own generators, so ``A.Compose([...], seed=s)``
makes runs reproducible exactly as it does for the built-in transforms, and ``A.to_dict`` /
``A.from_dict`` / ``A.save`` / ``A.load`` work (import this module before ``A.load``, so
that albumentations knows the class).

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
from typing import Any

import albumentations as A
import numpy as np
import torch
from albumentations.core.transforms_interface import BaseTransformInitSchema
from albumentations.core.type_definitions import ALL_TARGETS
from pydantic import Field

from tanda_transforms.policy import TANDAPolicy
from tanda_transforms.targets import geometric_warps, warp_boxes, warp_mask, warp_points

__all__ = ["TANDA"]

_BLOB_KEY = "tanda_policy_base64"
_TWO_PI = 2.0 * np.pi
_KEYPOINT_STEP = 1e-2  # pixels: finite-difference step for keypoint angles and scales


def _encode_policy(policy: TANDAPolicy) -> dict[str, str]:
    return {_BLOB_KEY: base64.b64encode(policy.to_bytes()).decode("ascii")}


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
        A gallery name (``"example"``) or a path to a policy file; a :class:`TANDAPolicy`
        object (used as is, not copied); or the dict that serialization writes,
        ``{"tanda_policy_base64": ...}`` (the policy file's bytes, decoded by
        :meth:`TANDAPolicy.from_bytes`, never unpickled).
    p : float
        Probability of applying the transform.
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
    block is discarded. Each call draws ``seq_len`` step seeds for the TFs' random parts.
    As for every albumentations transform, DataLoader workers start from copies of the same
    generator: reseed per worker (``pipeline.set_random_seed(...)`` in ``worker_init_fn``).

    Targets: images ``H x W`` or ``H x W x C`` of dtype uint8, uint16 or float32 in
    ``[0, 1]`` (normalise after this transform); masks are warped with nearest-neighbour
    sampling; boxes become the bounding box of their warped outline, clipped to the image;
    keypoints ``(x, y)`` (pixel centres, ``x`` = column, as albumentations) move through the
    warps, and their angle and scale follow the local Jacobian of the warp (estimated by
    finite differences; a flip maps angle ``a`` to ``pi - a`` as ``A.HorizontalFlip`` does).

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
        policy: str | dict[str, Any] | TANDAPolicy
        block_size: int = Field(ge=1)
        embed: bool = False

    def __init__(
        self,
        policy: str | TANDAPolicy | dict[str, Any] = "example",
        p: float = 1.0,
        block_size: int = 256,
        embed: bool = False,
    ) -> None:
        super().__init__(p=p)
        if isinstance(policy, TANDAPolicy):
            self._source: str | dict[str, Any] | None = None
            self._policy = policy
        elif isinstance(policy, str | dict):
            self._source = policy
            self._policy = _load_policy(policy)
        else:
            raise TypeError(
                "policy must be a gallery name or path, a TANDAPolicy or its serialized dict, "
                f"got {type(policy).__name__}"
            )
        self.block_size = block_size
        self.embed = embed
        self._block: list[tuple[int, ...]] = []
        self._block_owner: np.random.Generator | None = None
        self._warp_cache: tuple[Any, list] | None = None

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
        state["_warp_cache"] = None
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
        actions = self._next_actions()
        seeds = self.random_generator.integers(0, 2**63, size=len(actions))
        return {"actions": actions, "step_seeds": [int(s) for s in seeds]}

    def _warps(self, actions: tuple[int, ...], step_seeds: list[int], shape) -> list:
        key = (tuple(actions), tuple(step_seeds), tuple(shape[:2]))
        if self._warp_cache is None or self._warp_cache[0] != key:
            params = {"actions": key[0], "step_seeds": key[1]}
            self._warp_cache = (key, geometric_warps(self._policy.library, params, key[2]))
        return self._warp_cache[1]

    # --- targets ------------------------------------------------------------------------

    def apply(
        self, img: np.ndarray, actions: tuple[int, ...], step_seeds: list[int], **params: Any
    ) -> np.ndarray:
        return self._policy.apply_params(img, {"actions": actions, "step_seeds": step_seeds})

    def apply_to_mask(
        self, mask: np.ndarray, actions: tuple[int, ...], step_seeds: list[int], **params: Any
    ) -> np.ndarray:
        warps = self._warps(actions, step_seeds, mask.shape)
        return warp_mask(mask, warps) if warps else mask

    def apply_to_bboxes(
        self, bboxes: np.ndarray, actions: tuple[int, ...], step_seeds: list[int], **params: Any
    ) -> np.ndarray:
        h, w = params["shape"][:2]
        warps = self._warps(actions, step_seeds, (h, w))
        if not warps or not len(bboxes):
            return bboxes
        scale = np.array([w, h, w, h], np.float64)
        moved = warp_boxes(bboxes[:, :4].astype(np.float64) * scale, warps, (h, w)) / scale
        out = bboxes.copy()
        out[:, :4] = moved
        return out

    def apply_to_keypoints(
        self, keypoints: np.ndarray, actions: tuple[int, ...], step_seeds: list[int], **params: Any
    ) -> np.ndarray:
        warps = self._warps(actions, step_seeds, params["shape"][:2])
        if not warps or not len(keypoints):
            return keypoints
        out = keypoints.copy()
        xy = keypoints[:, :2].astype(np.float64)
        if keypoints.shape[1] < 5:  # no angle / scale columns: move the points only
            out[:, :2] = warp_points(xy, warps)
            return out
        # albumentations' internal layout: x, y, z, angle (radians, y down), scale, ...
        angle = keypoints[:, 3].astype(np.float64)
        step = _KEYPOINT_STEP
        along = np.stack([np.cos(angle), np.sin(angle)], 1) * step
        across = np.stack([-np.sin(angle), np.cos(angle)], 1) * step
        moved = warp_points(np.concatenate([xy, xy + along, xy + across]), warps)
        centre, tip, side = np.split(moved, 3)
        d_along, d_across = tip - centre, side - centre
        new_angle = np.mod(np.arctan2(d_along[:, 1], d_along[:, 0]), _TWO_PI)
        area = np.abs(d_along[:, 0] * d_across[:, 1] - d_along[:, 1] * d_across[:, 0])
        out[:, :2] = centre
        out[:, 3] = new_angle
        out[:, 3][out[:, 3] >= _TWO_PI] = 0.0  # float32 rounding of values just below 2 pi
        out[:, 4] = keypoints[:, 4] * (np.sqrt(area) / step)
        return out
