"""Default discriminator networks.

The paper's discriminator is a DCGAN-style CNN: four 5x5 stride-2 convolutions with 64, 128,
256 and 512 channels, LeakyReLU(0.2), batch norm on layers 2-4, then a linear logit. Ours keeps
the convolutions but

- normalises with GroupNorm instead of BatchNorm. Batch norm behaves differently in train and
  eval mode and on all-real versus all-fake batches: the reference code scored real data in
  train mode and transformed data in eval mode, so the generator's reward depended on a
  normalisation mismatch. GroupNorm normalises each image alone, the same in every mode.
- ends with a 2x2 adaptive average pool before the logit, so one network takes any channel
  count and any image size (28x28 and 32x32 end at 2x2 exactly as the paper's flatten did).
- has a ``width`` (channels of the first layer, doubled per layer): 64 is the paper's; the
  default 32 costs a quarter of the compute, which matters on CPUs.

Any ``nn.Module`` mapping ``N x C x H x W`` float images in [-1, 1] to ``N`` (or ``N x 1``)
logits can be passed to :func:`~tanda_transforms.learn.learn_policy` instead.

Examples
--------
>>> import torch
>>> d = ConvDiscriminator(in_channels=3, width=8)
>>> d(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2])
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["ConvDiscriminator"]


def _block(c_in: int, c_out: int, norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 5, stride=2, padding=2, bias=not norm)]
    if norm:
        layers.append(nn.GroupNorm(min(32, c_out // 4) or 1, c_out))
    layers.append(nn.LeakyReLU(0.2))
    return layers


class ConvDiscriminator(nn.Module):
    """Four 5x5 stride-2 convolutions, GroupNorm on layers 2-4, a linear logit.

    Parameters
    ----------
    in_channels
        Channels of the images (1 for grayscale, 3 for RGB, any other count).
    width
        Channels of the first convolution; later layers double it.
    outputs
        Logits per image: 1 (a discriminator, ``N`` logits) or ``K`` classes (a classifier,
        ``N x K``: the label term's default, :mod:`tanda_transforms.labels`).
    """

    def __init__(self, in_channels: int, width: int = 32, outputs: int = 1) -> None:
        super().__init__()
        if in_channels < 1 or width < 1 or outputs < 1:
            raise ValueError(f"in_channels, width and outputs must be >= 1, got {in_channels}, "
                             f"{width}, {outputs}")
        widths = [width, 2 * width, 4 * width, 8 * width]
        layers = _block(in_channels, widths[0], norm=False)
        for c_in, c_out in zip(widths, widths[1:], strict=False):
            layers += _block(c_in, c_out, norm=True)
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
