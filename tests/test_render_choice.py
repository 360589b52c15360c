"""What ``LearnConfig(render="auto")`` renders a learning step with on a CPU."""

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TFLibrary
from tanda_transforms.batched.render import BATCHED_CPU_PIXELS, Renderer, batched_renderer
from tanda_transforms.learn import LearnConfig, Learner
from tanda_transforms.registry import _REGISTRY, register_op

CPU = torch.device("cpu")


@pytest.mark.parametrize(("shape", "batched"),
                         [((28, 28), True), ((32, 32), True), ((16, 64), True),
                          ((33, 32), False), ((48, 48), False), ((224, 224), False)])
def test_auto_renders_batched_on_a_cpu_up_to_the_pixel_bound(shape, batched):
    assert (shape[0] * shape[1] <= BATCHED_CPU_PIXELS) is batched
    chosen = batched_renderer("auto", TFLibrary.pack("mnist"), CPU, shape)
    assert isinstance(chosen, Renderer) if batched else chosen is None


def test_the_learner_asks_for_its_images_size():
    library = TFLibrary([TF("hflip"), TF("brightness", factor=1.2)])
    small = Learner(np.zeros((4, 28, 28), np.uint8), library, "mean_field",
                    LearnConfig(seq_len=2), 0, CPU)
    large = Learner(np.zeros((4, 40, 40), np.uint8), library, "mean_field",
                    LearnConfig(seq_len=2), 0, CPU)
    assert small.renderer is not None and large.renderer is None
    forced = Learner(np.zeros((4, 28, 28), np.uint8), library, "mean_field",
                     LearnConfig(seq_len=2, render="per_image"), 0, CPU)
    assert forced.renderer is None


def test_an_op_without_a_batched_kernel_keeps_auto_per_image():
    @register_op("render_choice_darken", kind="photometric")
    def darken(img, amount: float = 0.5):
        return (img * (1 - amount)).astype(img.dtype)

    try:
        library = TFLibrary([TF("hflip"), TF("render_choice_darken", amount=0.5)])
        assert not Renderer(library).all_batched
        assert batched_renderer("auto", library, CPU, (8, 8)) is None
        assert batched_renderer("batched", library, CPU, (8, 8)) is not None  # asked for
    finally:
        _REGISTRY.pop("render_choice_darken")


def test_auto_is_batched_on_cuda_whatever_the_size():
    assert batched_renderer("auto", TFLibrary.pack("mnist"), torch.device("cuda"),
                            (224, 224)) is not None
