"""Every gallery policy takes RGBA and grayscale images whatever TF it draws (issue 15, item 2).

Colour TFs act on the colour channels and carry alpha through; on one channel they are
identities, as torchvision's are. The ``ddsm`` policy is for one-channel films: its lesion
transplant refuses colour images with a clear message, so it is run on grayscale only.
"""

from __future__ import annotations

import numpy as np
import PIL.Image
import pytest
import torch
from library_output import assert_library_close

from tanda_transforms import TANDAPolicy, gallery_names
from tanda_transforms.domains import LesionPool, register_lesion_pool, unregister_lesion_pool
from tanda_transforms.functional import photometric

DRAWS = 60
RNG = np.random.default_rng(15)
LAYOUTS = {
    "rgba-uint8": RNG.integers(0, 256, (32, 32, 4), dtype=np.uint8),
    "rgba-uint16": RNG.integers(0, 65536, (32, 32, 4), dtype=np.uint16),
    "rgba-float32": RNG.random((32, 32, 4), dtype=np.float32),
    "grey-2d": RNG.integers(0, 256, (32, 32), dtype=np.uint8),
    "grey-1-channel": RNG.integers(0, 256, (32, 32, 1), dtype=np.uint8),
}
GREY = ("grey-2d", "grey-1-channel")


@pytest.fixture(autouse=True)
def tiny_pool():
    disc = (np.mgrid[:15, :15] - 7) ** 2
    mask = disc.sum(0) <= 25
    register_lesion_pool("mini-mias", LesionPool([np.where(mask, 220, 150).astype(np.uint8)],
                                                 [mask]), replace=True)
    yield
    unregister_lesion_pool("mini-mias")


def _cases():
    for name in gallery_names():
        if name == "semeval":
            continue  # a text policy: sentences, no layouts (tests/test_text_policy.py)
        for layout in LAYOUTS:
            if name == "ddsm" and layout not in GREY:
                continue
            yield name, layout


@pytest.mark.parametrize(("name", "layout"), list(_cases()))
def test_every_tf_of_every_gallery_policy_takes_the_layout(name, layout):
    policy = TANDAPolicy.load(name, seed=0)
    image = LAYOUTS[layout]
    for index in range(len(policy.library)):
        out = policy.apply_sequence(image, [index], seed=index)
        assert out.shape == image.shape and out.dtype == image.dtype, policy.library.names[index]
        if image.ndim == 3 and image.shape[-1] == 4:
            tf = policy.library[index]
            alpha = image[..., 3]
            if tf.op in photometric.__all__:  # colour ops carry alpha through untouched
                np.testing.assert_array_equal(out[..., 3], alpha, err_msg=repr(tf))
            else:  # geometry (and morphology) move alpha along, as on a one-channel image
                alone = policy.apply_sequence(alpha, [index], seed=index)
                # a 4-channel and a 1-channel cv2 call may round differently (SIMD paths)
                assert_library_close(out[..., 3], alone, err_msg=repr(tf))


@pytest.mark.parametrize(("name", "layout"), list(_cases()))
def test_many_sampled_sequences_never_fail(name, layout):
    policy = TANDAPolicy.load(name, seed=1)
    image = LAYOUTS[layout]
    seen = set()
    for _ in range(DRAWS):
        out = policy(image)
        assert out.shape == image.shape and out.dtype == image.dtype
        seen.update(policy.last_sample.actions)
    assert len(seen) > len(policy.library) // 2  # the draws did cover most TFs


@pytest.mark.parametrize("mode", ["RGBA", "L"])
def test_cifar10_policy_on_pil_images_keeps_mode_and_alpha(mode):
    policy = TANDAPolicy.load("cifar10", seed=0)
    image = PIL.Image.fromarray(LAYOUTS["rgba-uint8"], "RGBA").convert(mode)
    for _ in range(20):
        out = policy(image)
        assert out.mode == image.mode and out.size == image.size
        if mode == "RGBA":
            alpha = np.asarray(image)[..., 3]
            kinds = {policy.library[a].kind for a in policy.last_sample.actions}
            if "geometric" not in kinds:
                np.testing.assert_array_equal(np.asarray(out)[..., 3], alpha)


def test_unsupported_pil_mode_is_refused_at_once_whatever_is_drawn():
    policy = TANDAPolicy.load("cifar10", seed=0)
    with pytest.raises(TypeError, match="mode 'LA' is not supported"):
        policy(PIL.Image.new("LA", (8, 8)))


def test_rgba_tensor_through_the_cifar10_policy():
    policy = TANDAPolicy.load("cifar10", seed=0)
    image = torch.from_numpy(LAYOUTS["rgba-uint8"]).permute(2, 0, 1).contiguous()
    for _ in range(20):
        out = policy(image)
        assert out.shape == image.shape and out.dtype == torch.uint8
