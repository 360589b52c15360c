"""Default discriminator networks.

The paper's discriminator is a DCGAN-style CNN: four 5x5 stride-2 convolutions with 64, 128,
256 and 512 channels, LeakyReLU(0.2), batch norm on layers 2-4, then a linear logit. Ours keeps
four stride-2 convolutions but

- normalises with GroupNorm instead of BatchNorm. Batch norm behaves differently in train and
  eval mode and on all-real versus all-fake batches: the reference code scored real data in
  train mode and transformed data in eval mode, so the generator's reward depended on a
  normalisation mismatch. GroupNorm normalises each image alone, the same in every mode; by
  default with one group (each image over all its channels and pixels: ``norm="layer"``).
- ends with a 2x2 adaptive average pool before the logit, so one network takes any channel
  count and any image size (28x28 and 32x32 end at 2x2 exactly as the paper's flatten did).
- is leaner by default: ``width`` 16 (channels of the first layer, doubled per layer; the
  paper's is 64) and 3x3 kernels (the paper's 5x5): about a tenth of the paper-like
  width-32, 5x5 network's multiply-adds, which was most of a learning step on CPUs. The policy
  learned with it keeps the misspecified TFs as rare (docs/learning.md, section 3).
- has a ``stem_stride``: the first layer's stride. Learning picks it from the image size
  (:func:`stem_stride_for`): 2 up to 47 pixels, then larger, with a kernel as large as the
  stride (non-overlapping patches, as a ViT's patch embedding), so that the first layer's map
  stays 16 to 31 pixels across. D's cost then grows with the pixels only through that one
  linear layer, which still sees every pixel: a 224 x 224 image costs D about what a 32 x 32
  image does, where the old stride-2 stem cost 50 times more and made D 80 % of a step.

Any ``nn.Module`` mapping ``N x C x H x W`` float images in [-1, 1] to ``N`` (or ``N x 1``)
logits can be passed to :func:`~tanda_transforms.learn.learn_policy` instead.

Examples
--------
>>> import torch
>>> d = ConvDiscriminator(in_channels=3, width=8)
>>> d(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2])
>>> big = ConvDiscriminator(3, width=8, stem_stride=stem_stride_for(224, 224))
>>> big.features[0], big(torch.zeros(2, 3, 224, 224)).shape
(Conv2d(3, 8, kernel_size=(14, 14), stride=(14, 14)), torch.Size([2]))
"""

from __future__ import annotations

import torch
from torch import nn

from tanda_transforms._learn_config import D_NORMS

__all__ = ["ConvDiscriminator", "stem_stride_for"]

# the first layer's map is kept at least this many pixels across (stem_stride_for)
_STEM_MAP = 16


def stem_stride_for(height: int, width: int) -> int:
    """The first layer's stride for images of ``height x width``: 2 (as the paper's) up to
    47 pixels on the short side, else ``short side // 16``, so the map after it is 16 to 31
    pixels across.

    Examples
    --------
    >>> stem_stride_for(28, 28), stem_stride_for(32, 32), stem_stride_for(64, 96)
    (2, 2, 4)
    >>> stem_stride_for(224, 224), stem_stride_for(4000, 3000)
    (14, 187)
    """
    return max(2, min(height, width) // _STEM_MAP)


def _norm_groups(norm: str, channels: int) -> int:
    """GroupNorm's groups: one (``"layer"``) or groups of 4 channels, at most 32 (``"group"``).

    Examples
    --------
    >>> _norm_groups("layer", 64), _norm_groups("group", 64), _norm_groups("group", 256)
    (1, 16, 32)
    """
    return 1 if norm == "layer" else min(32, channels // 4) or 1


def _block(c_in: int, c_out: int, norm: str | None, kernel: int,
           stride: int = 2) -> list[nn.Module]:
    """One convolution, ``stride`` apart; a kernel no larger than the stride takes
    non-overlapping patches (no padding), a larger one is padded to keep ``size / stride``."""
    padding = 0 if kernel <= stride else (kernel - 1) // 2
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=norm is None)
    ]
    if norm is not None:
        layers.append(nn.GroupNorm(_norm_groups(norm, c_out), c_out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    return layers


class ConvDiscriminator(nn.Module):
    """Four stride-2 convolutions, GroupNorm on layers 2-4, a linear logit.

    Parameters
    ----------
    in_channels
        Channels of the images (1 for grayscale, 3 for RGB, any other count).
    width
        Channels of the first convolution; later layers double it.
    outputs
        Logits per image: 1 (a discriminator, ``N`` logits) or ``K`` classes (a classifier,
        ``N x K``: the label term's default, :mod:`tanda_transforms.labels`).
    kernel_size
        Of every convolution (the first's too when ``stem_stride`` is 2): 3 by default, the
        paper's 5 (``LearnConfig(d_kernel=5, d_width=32)`` is the default before 2026-12-06).
    stem_stride
        The first convolution's stride: 2, or larger for large images
        (:func:`stem_stride_for`), with a ``stem_stride x stem_stride`` kernel.
    norm
        How layers 2-4 normalise each image: ``"layer"`` (default) over all its channels and
        pixels at once (GroupNorm with one group), or ``"group"`` (the default before the
        second change of 2026-12-06) in groups of 4 channels (at most 32 groups). Both
        normalise each image alone; on channels-last CPU tensors the grouped norm was a
        third of D's forward pass at 32 px and one group costs a tenth of it.
    """

    def __init__(self, in_channels: int, width: int = 16, outputs: int = 1,
                 kernel_size: int = 3, stem_stride: int = 2, norm: str = "layer") -> None:
        super().__init__()
        if min(in_channels, width, outputs, kernel_size) < 1 or stem_stride < 2:
            raise ValueError(f"in_channels, width, outputs and kernel_size must be >= 1 and "
                             f"stem_stride >= 2, got {in_channels}, {width}, {outputs}, "
                             f"{kernel_size}, {stem_stride}")
        if norm not in D_NORMS:
            raise ValueError(f"norm must be one of {D_NORMS}, got {norm!r}")
        widths = [width, 2 * width, 4 * width, 8 * width]
        stem_kernel = kernel_size if stem_stride == 2 else stem_stride
        layers = _block(in_channels, widths[0], None, stem_kernel, stem_stride)
        for c_in, c_out in zip(widths, widths[1:], strict=False):
            layers += _block(c_in, c_out, norm, kernel_size)
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.logit = nn.Linear(4 * widths[-1], outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.logit(self.features(x))
        return out.squeeze(-1) if out.shape[-1] == 1 else out

    def diversity_features(self, x: torch.Tensor) -> torch.Tensor:
        """The first layer's activations (the reference code's ``--mse_layer 1``): the space
        in which ``LearnConfig(diversity="features")`` measures how far a sequence moved
        an image.

        Examples
        --------
        >>> ConvDiscriminator(1, width=4).diversity_features(torch.zeros(1, 1, 8, 8)).shape
        torch.Size([1, 4, 4, 4])
        """
        return self.features[:2](x)
