"""The default image discriminator: its size-dependent stem, its defaults, the diversity term."""

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TFLibrary
from tanda_transforms._learn_steps import standardised_distances
from tanda_transforms.discriminators import ConvDiscriminator, stem_stride_for
from tanda_transforms.learn import LearnConfig, Learner


@pytest.mark.parametrize(("size", "stride", "map_size"),
                         [(28, 2, 14), (32, 2, 16), (48, 3, 16), (64, 4, 16), (224, 14, 16)])
def test_the_stem_keeps_the_first_map_16_to_31_pixels(size, stride, map_size):
    assert stem_stride_for(size, size) == stride
    disc = ConvDiscriminator(3, width=4, stem_stride=stride)
    assert disc.diversity_features(torch.zeros(1, 3, size, size)).shape[-1] == map_size


def test_the_learner_builds_the_lean_default_for_the_data_size():
    images = np.zeros((4, 64, 96, 3), np.uint8)
    learner = Learner(images, TFLibrary([TF("hflip")]), "mean_field", LearnConfig(seq_len=2), 0,
                      torch.device("cpu"))
    stem, second = learner.disc.features[0], learner.disc.features[2]
    assert learner.config.d_width == 16 and stem.out_channels == 16
    assert stem.stride == stem.kernel_size == (4, 4)  # short side 64 // 16
    assert second.kernel_size == (3, 3)
    former = Learner(images, TFLibrary([TF("hflip")]), "mean_field",
                     LearnConfig(seq_len=2, d_width=32, d_kernel=5), 0, torch.device("cpu"))
    assert former.disc.features[2].kernel_size == (5, 5)
    assert former.disc.features[0].out_channels == 32


def test_d_width_none_or_positive():
    with pytest.raises(ValueError, match="d_width must be a positive int or None"):
        LearnConfig(d_width=0)
    with pytest.raises(ValueError, match="d_kernel must be a positive int"):
        LearnConfig(d_kernel=0)


def test_distances_match_standardising_all_states_at_once():
    states = torch.rand(4, 6, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    flat = states.flatten(2)
    z = (flat - flat.mean(-1, keepdim=True)) / (flat.std(-1, keepdim=True) + 1e-6)
    expected = ((z[1:] - z[0]) ** 2).mean(-1)
    torch.testing.assert_close(standardised_distances(states), expected, rtol=1e-5, atol=1e-6)
