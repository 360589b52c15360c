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


def test_the_default_norm_is_one_group_per_image_and_the_former_is_kept():
    images = np.zeros((4, 32, 32, 3), np.uint8)
    library = TFLibrary([TF("hflip")])
    learner = Learner(images, library, "mean_field", LearnConfig(seq_len=2), 0,
                      torch.device("cpu"))
    norms = [m for m in learner.disc.features if isinstance(m, torch.nn.GroupNorm)]
    assert [m.num_groups for m in norms] == [1, 1, 1]
    former = Learner(images, library, "mean_field", LearnConfig(seq_len=2, d_norm="group"), 0,
                     torch.device("cpu"))
    norms = [m for m in former.disc.features if isinstance(m, torch.nn.GroupNorm)]
    assert [(m.num_groups, m.num_channels) for m in norms] == [(8, 32), (16, 64), (32, 128)]


def test_one_group_normalises_each_image_over_all_its_channels_and_pixels():
    disc = ConvDiscriminator(2, width=4)
    norm = disc.features[3]
    x = torch.randn(3, 8, 5, 5) * torch.arange(1.0, 9.0).view(1, 8, 1, 1) + 7
    out = norm(x).detach()  # weight 1, bias 0 at initialisation
    assert torch.allclose(out.mean((1, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(out.var((1, 2, 3), unbiased=False), torch.ones(3), atol=1e-3)
    assert not torch.allclose(out.mean((0, 2, 3)), torch.zeros(8), atol=1e-2)  # not per channel


def test_unknown_norms_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"d_norm must be one of \('layer', 'group'\)"):
        LearnConfig(d_norm="batch")
    with pytest.raises(ValueError, match=r"norm must be one of \('layer', 'group'\)"):
        ConvDiscriminator(3, norm="batch")


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
