"""A learning step's roll-out in the data's dtype, read one x_t at a time (_learn_states)."""

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TFLibrary
from tanda_transforms._learn_states import ImageStates, state_at
from tanda_transforms._learn_steps import standardised_distances, to_unit_tensor
from tanda_transforms.learn import LearnConfig, Learner
from tanda_transforms.sequence import SampledSequence

CPU = torch.device("cpu")
TFS = [TF("rotate", degrees=10), TF("brightness", factor=1.2), TF("hflip"), TF("invert")]


def _images(dtype: str, shape: tuple[int, ...], n: int = 6) -> np.ndarray:
    rng = np.random.default_rng(0)
    if dtype == "float32":
        return rng.random((n, *shape), dtype=np.float32)
    top = np.iinfo(dtype).max
    return rng.integers(0, top, (n, *shape), endpoint=True).astype(dtype)


def _learner(images: np.ndarray, seq_len: int = 3, **config) -> Learner:
    config = LearnConfig(seq_len=seq_len, batch_size=2, render="per_image", **config)
    return Learner(images, TFLibrary(TFS), "mean_field", config, seed=0, device=CPU)


@pytest.mark.parametrize("dtype, shape", [("uint8", (12, 10, 3)), ("uint16", (12, 10)),
                                          ("float32", (12, 10, 2))])
def test_the_roll_out_is_held_in_the_data_dtype_and_converts_as_to_unit_tensor(dtype, shape):
    images = _images(dtype, shape)
    learner = _learner(images)
    m = 2 * learner.config.seqs_per_point
    actions = torch.randint(0, len(TFS), (m, 3), generator=torch.Generator().manual_seed(1))
    states = learner._roll_out(images[:2], actions)
    assert isinstance(states, ImageStates)
    assert states.raw.dtype == images.dtype and states.raw.shape == (4, m, *shape)
    assert tuple(states.shape) == (4, m, 1 if len(shape) == 2 else shape[2], *shape[:2])
    scale = learner.data.scale
    assert np.array_equal(states.raw[0], np.repeat(images[:2], m // 2, axis=0))
    reused = None
    for t in range(len(states)):
        expected = to_unit_tensor(states.raw[t], scale)
        assert torch.equal(states[t], expected)
        reused_before = reused
        reused = state_at(states, t, reuse=reused)
        assert torch.equal(reused, expected)
        assert reused_before is None or reused is reused_before  # converted in place
        assert reused.is_contiguous(memory_format=torch.channels_last)
        rows = torch.tensor([m - 1, 0])
        assert torch.equal(states[t, rows], expected[rows])


def test_each_state_is_what_the_sequence_renders_alone():
    images = _images("uint8", (16, 16, 3))
    learner = _learner(images, seq_len=4)
    m = 2 * learner.config.seqs_per_point
    actions = torch.randint(0, len(TFS), (m, 4), generator=torch.Generator().manual_seed(2))
    learner.np_rng = np.random.default_rng(7)  # the TF seeds the roll-out draws
    states = learner._roll_out(images[:2], actions)
    seeds = np.random.default_rng(7).integers(0, 2**63, size=(m, 4))
    for row in (0, m - 1):
        alone = SampledSequence(tuple(actions[row].tolist()), tuple(seeds[row].tolist()))
        image = images[row // learner.config.seqs_per_point]
        expected = alone.compile(learner.library, (16, 16)).intermediates(image)
        assert all(np.array_equal(states.raw[t, row], x) for t, x in enumerate(expected))


def test_intermediates_into_an_array_refuses_one_of_another_shape_or_dtype():
    seq = SampledSequence((0, 2), (0, 0)).compile(TFLibrary(TFS), (8, 8))
    image = np.zeros((8, 8), np.uint8)
    with pytest.raises(ValueError, match=r"out must be an array of shape \(3, 8, 8\) and dtype "
                                         "uint8"):
        seq.intermediates(image, out=np.empty((3, 8, 8), np.float32))
    with pytest.raises(ValueError, match="one row per state"):
        seq.intermediates(image, out=np.empty((2, 8, 8), np.uint8))


def test_a_reuse_tensor_that_cannot_take_the_state_is_not_written():
    states = ImageStates(np.zeros((2, 3, 4, 4, 3), np.uint8), 255.0, CPU)
    wrong = torch.zeros(3, 3, 4, 5)
    out = states.convert(1, reuse=wrong)
    assert out is not wrong and bool((wrong == 0).all()) and bool((out == -1).all())
    with pytest.raises(ValueError, match=r"\[L \+ 1, M, H, W \(, C\)\]"):
        ImageStates(np.zeros((2, 4, 4), np.uint8), 255.0, CPU)


def test_distances_over_converted_states_equal_those_over_the_float_tensor():
    raw = _images("uint8", (5, 7, 6, 3), n=4)
    states = ImageStates(raw, 255.0, CPU)
    dense = torch.stack([to_unit_tensor(raw[t], 255.0) for t in range(len(raw))])
    assert torch.equal(standardised_distances(states), standardised_distances(dense))


def test_a_96px_step_holds_no_float_copy_of_every_state():
    """A step converts x_0 and then each x_t into one buffer (kept for the next step), and D
    scores one x_t at a time: no [L + 1, M, ...] float roll-out exists at any point."""
    images = _images("uint8", (96, 96, 3), n=4)
    learner = _learner(images, seq_len=5)
    m = 2 * learner.config.seqs_per_point
    converted, batches = [], []
    convert = ImageStates._convert

    def recording(self, frames, out):
        result = convert(self, frames, out)
        converted.append(result.untyped_storage().data_ptr())
        return result

    learner.disc.register_forward_pre_hook(lambda module, args: batches.append(len(args[0])))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ImageStates, "_convert", recording)
        learner.step()
        first_step = set(converted)
        converted.clear()
        batches.clear()
        learner.step()
    assert len(first_step) == 2 and set(converted) == first_step  # x_0 and x_t, reused
    assert len(converted) == 6  # x_0 .. x_5, each converted once
    assert batches == [m] * 4 + [2 + m]  # x_1 .. x_4 m at a time; D's update: real + x_5
    assert learner._roll_out(images[:2], torch.zeros(m, 5, dtype=torch.long)).raw.nbytes \
        == 6 * m * 96 * 96 * 3  # the roll-out itself: one byte a value
