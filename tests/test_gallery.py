"""The gallery: every shipped policy loads by name and transforms an image of its domain."""

import numpy as np
import pytest

from tanda_transforms import TANDAPolicy, gallery_names
from tanda_transforms.cli import main
from tanda_transforms.data import load_mnist_sample
from tanda_transforms.domains import LesionPool, register_lesion_pool, unregister_lesion_pool
from tanda_transforms.show import synthetic_colour_images

LEARNED = ("mnist", "cifar10", "ddsm", "semeval")
SENTENCE = "The <e1>company</e1> fabricates plastic <e2>chairs</e2>."


def _mammogram(size: int = 128) -> np.ndarray:
    """A synthetic film: a bright half-disc of 'tissue' with texture on a black background."""
    yy, xx = np.mgrid[:size, :size]
    breast = (xx / size) ** 2 + ((yy - size / 2) / (size / 2)) ** 2 < 0.8
    texture = np.random.default_rng(0).normal(150, 20, (size, size))
    return np.where(breast, texture, 0).clip(0, 255).astype(np.uint8)


@pytest.fixture
def tiny_pool():
    disc = (np.mgrid[:15, :15] - 7) ** 2
    mask = disc.sum(0) <= 25
    patch = np.where(mask, 220, 150).astype(np.uint8)
    register_lesion_pool("mini-mias", LesionPool([patch], [mask]))
    yield
    unregister_lesion_pool("mini-mias")


def test_learned_policies_ship_with_the_package():
    assert set(LEARNED) <= set(gallery_names())


@pytest.mark.parametrize("name", LEARNED)
def test_gallery_policy_is_learned_and_transforms_its_domain(name, tiny_pool):
    policy = TANDAPolicy.load(name, seed=0)
    training = policy.metadata["training"]
    assert training["steps"] > 0 and training["history"]["step"]
    probs = policy.sampler.tf_probabilities(seq_len=policy.seq_len)
    assert float(probs.max() - probs.min()) > 0  # learned, not uniform
    if name == "semeval":
        outs = [policy(SENTENCE) for _ in range(20)]
        assert all(isinstance(out, str) and "<e1>company</e1>" in out and
                   "<e2>chairs</e2>" in out for out in outs)
        assert any(out != SENTENCE for out in outs)
        return
    image = {
        "mnist": load_mnist_sample()[0][0],
        "cifar10": synthetic_colour_images(1, size=32)[0],
        "ddsm": _mammogram(),
    }[name]
    for _ in range(5):
        out = policy(image)
        assert out.shape == image.shape and out.dtype == image.dtype


def test_gallery_command_lists_every_policy(capsys):
    assert main(["gallery"]) == 0
    printed = capsys.readouterr().out
    for name in LEARNED:
        assert name in printed
