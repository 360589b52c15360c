"""End models small enough to train on a couple of CPU cores.

The paper trained a ResNet-56 for 150 epochs on CIFAR-10; that is out of reach here, so every
condition is compared on a compact network under one fixed epoch budget instead:

``cnn``
    ``blocks`` conv-BN-ReLU-maxpool blocks (channels ``width``, ``2 width``, ...), average
    pooled to 4 x 4, a 128-unit hidden layer with dropout 0.3, and the classifier. With
    ``blocks=2`` and ``width=32`` it is the classic MNIST net (two conv layers + FC); the
    mammography patches (64 x 64) use ``blocks=4``, ``width=16``.
``resnet``
    A small pre-activation-free ResNet for 32 x 32 colour images: a 3 x 3 stem, three stages
    of one basic residual block each (``width``, ``2 width``, ``4 width`` channels, strides
    1, 2, 2), global average pooling, the classifier. ``width=16`` matches the channel widths
    of the paper's ResNet-56 with one block per stage instead of nine (ResNet-8).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MODELS", "SmallCNN", "SmallResNet", "build_model"]


def _conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


class SmallCNN(nn.Module):
    """Conv blocks, pooled to 4 x 4, a hidden layer and a classifier (any input size >= 4).

    Examples
    --------
    >>> net = SmallCNN(1, 10, width=8, blocks=2)
    >>> net(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 32, blocks: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for k in range(blocks):
            out = width * 2**k
            layers += [*_conv_bn_relu(channels, out), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels * 16, 128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(128, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class _Block(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn_relu(c_in, c_out, stride),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class SmallResNet(nn.Module):
    """A ResNet with one basic block per stage (ResNet-8 for ``width=16``).

    Examples
    --------
    >>> net = SmallResNet(3, 10, width=8)
    >>> net(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """

    def __init__(self, in_channels: int, n_classes: int, width: int = 16, blocks: int = 1) -> None:
        super().__init__()
        stages: list[nn.Module] = []
        channels = width
        for k, stride in enumerate((1, 2, 2)):
            out = width * 2**k
            for b in range(blocks):
                stages.append(_Block(channels, out, stride if b == 0 else 1))
                channels = out
        self.net = nn.Sequential(
            *_conv_bn_relu(in_channels, width),
            *stages,
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


MODELS: dict[str, type[nn.Module]] = {"cnn": SmallCNN, "resnet": SmallResNet}


def build_model(
    name: str, in_channels: int, n_classes: int, width: int, blocks: int
) -> nn.Module:
    """Build an end model by name (see :data:`MODELS`).

    Parameters
    ----------
    name
        ``"cnn"`` or ``"resnet"``.
    in_channels, n_classes
        Input channels and number of classes.
    width
        Channels of the first stage (doubled at each later one).
    blocks
        ``cnn``: number of conv blocks; ``resnet``: residual blocks per stage.

    Returns
    -------
    torch.nn.Module
        Freshly initialised (from torch's global generator).

    Examples
    --------
    >>> sum(p.numel() for p in build_model("resnet", 3, 10, 16, 1).parameters())
    78042
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](in_channels, n_classes, width=width, blocks=blocks)
