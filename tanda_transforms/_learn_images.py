"""What the learner needs to know about images: batches, roll-outs, the default D, checks.

:class:`~tanda_transforms.learn.Learner` is the same for every kind of data; what differs is
here (images) and in :mod:`tanda_transforms.text.learn` (sentences). Both provide

- ``len(data)``, ``data.batch(indices)`` and ``data.batch_repeat(real, n)``: the real items
  of a step, each repeated once per sequence;
- ``data.default_discriminator(config)`` (from ``config.d_width``, which is None until
  filled with ``data.default_d_width``) and ``data.prepare(disc, default)``;
- ``data.encode(real)``: items as D takes them (``x_0`` alone), and
  ``data.default_classifier(width, classes)``: the label term's network
  (:mod:`tanda_transforms.labels`);
- ``data.check(disc, diversity)``: run D and the diversity measure once on blank items, so
  data a discriminator cannot take is refused before any step;
- ``data.roll_out(real, actions, streams)``: the states ``x_0 .. x_L`` of each sequence, as
  :mod:`tanda_transforms._learn_states` describes them (a ``[L + 1, M, ...]`` tensor is one);
- ``data.to_discriminator(x)`` and ``data.diversity_space(x, disc, diversity)``;
- ``data.describe()``: shape, dtype and learning size for the policy's training metadata;
- ``data.renderer``: the batched renderer used, or None (per item).

Examples
--------
>>> import numpy as np, torch
>>> from tanda_transforms import TFLibrary
>>> data = ImageData(np.zeros((4, 8, 8), np.uint8), TFLibrary.coerce("mnist"), "per_image",
...                  torch.device("cpu"))
>>> len(data), data.describe()
(4, {'data_shape': [4, 8, 8], 'data_dtype': 'uint8', 'learning_size': [8, 8]})
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn

from tanda_transforms._images import as_image_array
from tanda_transforms._learn_config import LearnConfig
from tanda_transforms._learn_states import ImageStates
from tanda_transforms._learn_steps import eval_mode, to_unit_tensor, to_zero_one_tensor
from tanda_transforms.batched.render import batched_renderer, value_max
from tanda_transforms.discriminators import ConvDiscriminator, stem_stride_for
from tanda_transforms.sequence import SampledSequence
from tanda_transforms.tfs import TFLibrary

__all__ = ["ImageData", "Streams", "check_probe"]

_SMALLEST = {  # what a too small item needs, by diversity space
    "pixels": "the smallest images are 1 x 2 pixels, or 1 x 1 with 2 channels",
    "features": "use larger images or a discriminator with wider first-layer features",
}


class Streams:
    """The random streams of a learner: torch (sequences, batched TFs), numpy (TF seeds)."""

    def __init__(self, torch_gen: torch.Generator, np_rng: np.random.Generator) -> None:
        self.torch_gen, self.np_rng = torch_gen, np_rng


class ImageData:
    """Images N x H x W (x C) of one dtype, and how a learning step renders them."""

    def __init__(self, images: Any, library: TFLibrary, render: str,
                 device: torch.device) -> None:
        self.images = as_image_array(images)
        self.image_shape = self.images.shape[1:3]
        channels = 1 if self.images.ndim == 3 else self.images.shape[-1]
        self._setup(library, render, device, self.images.dtype.name, channels)

    def _setup(self, library: TFLibrary, render: str, device: torch.device, dtype: str,
               channels: int) -> None:
        """What rendering and D need: the dtype's scale, the renderer, the channels."""
        self.library, self.device, self.channels = library, device, channels
        self.data_dtype_name = dtype
        self.data_dtype = {"uint8": torch.uint8, "uint16": torch.uint16}.get(dtype, torch.float32)
        self.scale = value_max(self.data_dtype)
        self.renderer = batched_renderer(render, library, device, tuple(self.image_shape))
        self.memory_format = torch.contiguous_format
        self._spares: dict[str, Any] = {}  # roll-out memory, reused by the next roll-out

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, indices: np.ndarray) -> np.ndarray:
        return self.images[indices]

    def batch_repeat(self, real: np.ndarray, n: int) -> np.ndarray:
        """Each item of a batch ``n`` times in a row (one per sequence)."""
        return np.repeat(real, n, axis=0)

    def describe(self) -> dict[str, Any]:
        """Shape and dtype for the policy's metadata; ``learning_size``: the H x W that D saw
        (the images' own, for images in memory)."""
        return {"data_shape": list(self.images.shape), "data_dtype": self.images.dtype.name,
                "learning_size": list(self.image_shape)}

    default_d_width = 16  # LearnConfig.d_width=None

    def default_discriminator(self, config: LearnConfig) -> nn.Module:
        return ConvDiscriminator(self.channels, config.d_width, kernel_size=config.d_kernel,
                                 stem_stride=self._stem_stride(), norm=config.d_norm)

    def default_classifier(self, width: int, classes: int) -> nn.Module:
        # the label term's classifier keeps the grouped norm it was measured with
        return ConvDiscriminator(self.channels, width, outputs=classes,
                                 stem_stride=self._stem_stride(), norm="group")

    def _stem_stride(self) -> int:
        return stem_stride_for(*self.image_shape)

    def encode(self, real: np.ndarray) -> torch.Tensor:
        """Images as D takes them, without TFs: N x C x H x W in [-1, 1] on the device."""
        return to_unit_tensor(real, self.scale).to(self.device)

    def prepare(self, disc: nn.Module, default: bool) -> nn.Module:
        """``disc`` on the device; channels-last for our own network (~1.5x faster on CPUs)."""
        if default:
            self.memory_format = torch.channels_last
        return disc.to(self.device).to(memory_format=self.memory_format)

    def to_discriminator(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=self.memory_format)

    def diversity_space(self, x: torch.Tensor, disc: nn.Module, diversity: str) -> torch.Tensor:
        """Where ``d(x_0, x_t)`` is measured: the images, or D's first-layer features."""
        if diversity == "pixels":
            return x
        with torch.no_grad():
            return disc.diversity_features(self.to_discriminator(x))

    def check(self, disc: nn.Module, diversity: str) -> None:
        """Run D and the diversity measure once on two blank images of the data's size.

        Without this, images too small for a discriminator fail at step 0 with a raw torch
        error, and a 1 x 1 grayscale image (one value: no spread to standardise) with
        "check the data for NaN".
        """
        h, w = self.image_shape
        size = f"{h} x {w} pixels with {self.channels} channel{'s' if self.channels > 1 else ''}"
        probe = torch.zeros(2, self.channels, h, w, device=self.device)
        check_probe(self, disc, diversity, probe, f"images of {size}", _SMALLEST[diversity])

    def roll_out(self, real: np.ndarray, actions: torch.Tensor, streams: Streams) -> Any:
        """Apply each sequence to its image (``real`` holds one image per sequence): the
        states ``x_0 .. x_L`` of every sequence (:mod:`tanda_transforms._learn_states`),
        ``states[t]`` the ``M x C x H x W`` images ``x_t`` in [-1, 1] on the device.

        Rendered as a policy renders (one resampling per geometric run, see
        :mod:`tanda_transforms.sequence`), so D judges what users will get. Per image, the
        states are written into one ``[L + 1, M, H, W (, C)]`` array of the data's dtype
        (:class:`~tanda_transforms._learn_states.ImageStates`), which the next roll-out of
        the same shape overwrites; the batched renderer's are one float tensor on the device.
        """
        if self.renderer is not None:
            x = to_zero_one_tensor(real, self.scale).to(self.device)
            states = self._spare("states", (actions.shape[1] + 1, *x.shape), torch.float32,
                                 partial(torch.empty, device=self.device))
            self.renderer.intermediates(x, actions, self.data_dtype, streams.torch_gen,
                                        out=states)
            return states.mul_(2.0).sub_(1.0)
        actions_np = actions.cpu().numpy()
        seeds = streams.np_rng.integers(0, 2**63, size=actions_np.shape)
        raw = self._spare("raw", (actions_np.shape[1] + 1, *real.shape), real.dtype, np.empty)
        for m, (x, a, s) in enumerate(zip(real, actions_np.tolist(), seeds.tolist(),
                                          strict=True)):
            SampledSequence(tuple(a), tuple(s)).compile(self.library, x.shape).intermediates(
                x, out=raw[:, m])
        return ImageStates(raw, self.scale, self.device)

    def _spare(self, name: str, shape: tuple[int, ...], dtype: Any,
               empty: Callable[..., Any]) -> Any:
        """The array or tensor ``name`` a roll-out is written into: the one of the roll-out
        before when it has this shape and dtype (whose states are then overwritten: a learner
        reads a step's states within the step), else ``empty(shape, dtype=dtype)`` (fresh
        pages cost ~0.1 s at 224 px)."""
        kept = self._spares.get(name)
        if kept is None or tuple(kept.shape) != shape or kept.dtype != dtype:
            kept = self._spares[name] = empty(shape, dtype=dtype)
        return kept


def check_probe(data: Any, disc: nn.Module, diversity: str, probe: torch.Tensor, what: str,
                smallest: str) -> None:
    """Run ``disc`` and the diversity measure on a batch of two blank items (``probe``);
    raise ValueError naming ``what`` the data is when either cannot take it."""
    with eval_mode(disc), torch.no_grad():
        try:
            logits = disc(data.to_discriminator(probe))
        except RuntimeError as err:
            raise ValueError(f"the discriminator cannot take {what}: {err}") from err
        values = data.diversity_space(probe, disc, diversity).flatten(1).shape[1]
    if tuple(logits.shape) not in ((2,), (2, 1)):
        raise ValueError(f"the discriminator must map N items to N (or N x 1) logits; "
                         f"for N = 2 {what} it returned shape {tuple(logits.shape)}")
    if values < 2:  # the spread of one value is NaN
        raise ValueError(
            f"{what} are too small to learn from: the diversity term standardises the "
            f"{values} value(s) each has with diversity={diversity!r}, and needs at least 2; "
            f"{smallest}"
        )
