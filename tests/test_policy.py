"""TANDAPolicy as a transform: input types, determinism, replay, torchvision pipelines, workers."""

import numpy as np
import PIL.Image
import pytest
import torch
from torchvision import transforms, tv_tensors
from torchvision.transforms import v2

from tanda_transforms import TF, RecurrentSampler, TANDAPolicy

RGB = np.random.default_rng(0).integers(0, 256, (24, 20, 3), dtype=np.uint8)


def policy(seed=0, **kw):
    kw.setdefault("seq_len", 4)
    return TANDAPolicy("cifar10", seed=seed, **kw)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RGB.copy(),
        lambda: RGB[..., 0].copy(),
        lambda: RGB.astype(np.uint16) * 257,
        lambda: (RGB / 255).astype(np.float32),
        lambda: torch.from_numpy(RGB).permute(2, 0, 1).contiguous(),
        lambda: torch.from_numpy(RGB).permute(2, 0, 1).float() / 255,
        lambda: tv_tensors.Image(torch.from_numpy(RGB).permute(2, 0, 1)),
        lambda: torch.from_numpy(RGB).permute(2, 0, 1)[None].repeat(2, 1, 1, 1),
    ],
    ids=["np-rgb", "np-gray", "np-u16", "np-f32", "tensor-u8", "tensor-f32", "tv-image", "batch"],
)
def test_output_keeps_type_dtype_shape_and_input(make):
    lib = [
        TF("rotate", degrees=5),
        TF("brightness", factor=1.2),
        TF("hflip"),
        TF("zoom", factor=1.1),
    ]
    p = TANDAPolicy(lib, seq_len=3, seed=0)
    img = make()
    before = img.clone() if isinstance(img, torch.Tensor) else img.copy()
    out = p(img)
    assert type(out) is type(img)
    assert out.dtype == img.dtype and out.shape == img.shape
    assert out is not img
    if isinstance(img, torch.Tensor):
        assert torch.equal(img, before)
    else:
        np.testing.assert_array_equal(img, before)
    if out.dtype in (np.float32, torch.float32):
        assert float(out.min()) >= 0 and float(out.max()) <= 1


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "I;16"])
def test_pil_images_keep_mode_and_size(mode):
    img = PIL.Image.fromarray(RGB).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        img = PIL.Image.fromarray(np.asarray(img).astype(np.uint16) * 257)
        assert img.mode == "I;16"
    p = TANDAPolicy([TF("rotate", degrees=5), TF("hflip")], seq_len=2, seed=0)
    out = p(img)
    assert isinstance(out, PIL.Image.Image) and out.mode == img.mode and out.size == img.size


def test_unsupported_inputs_raise_clear_errors():
    p = policy()
    with pytest.raises(TypeError, match="uint8, uint16, float32 or float64"):
        p(torch.zeros(3, 8, 8, dtype=torch.float16))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        p(torch.full((3, 8, 8), -1.0))
    with pytest.raises(TypeError, match="mode"):
        p(PIL.Image.new("P", (8, 8)))
    with pytest.raises(ValueError, match="C x H x W"):
        p(torch.zeros(8, 8, dtype=torch.uint8))
    with pytest.raises(ValueError, match="colour op .* RGBA"):
        TANDAPolicy([TF("hue_shift", shift=0.1)], seq_len=1, seed=0)(np.zeros((8, 8, 5), np.uint8))


def test_same_seed_same_outputs_different_seed_different():
    a = [policy(seed=1)(RGB) for _ in range(1)]
    p1, p2, p3 = policy(seed=1), policy(seed=1), policy(seed=2)
    outs1 = [p1(RGB) for _ in range(5)]
    outs2 = [p2(RGB) for _ in range(5)]
    outs3 = [p3(RGB) for _ in range(5)]
    np.testing.assert_array_equal(a[0], outs1[0])
    assert all(np.array_equal(x, y) for x, y in zip(outs1, outs2, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(outs1, outs3, strict=True))


def test_seed_none_follows_torch_manual_seed():
    torch.manual_seed(5)
    a = TANDAPolicy("cifar10", seq_len=3).sample_sequences(4)
    torch.manual_seed(5)
    b = TANDAPolicy("cifar10", seq_len=3).sample_sequences(4)
    assert a == b


def test_replay_and_apply_sequence():
    p = TANDAPolicy("mnist", seq_len=5, seed=0)  # has elastic: a random part to replay
    digit = np.random.default_rng(1).integers(0, 255, (28, 28), dtype=np.uint8)
    out = p(digit)
    np.testing.assert_array_equal(p.replay(digit), out)
    assert len(p.last_sequence) == 5 and all(isinstance(n, str) for n in p.last_sequence)
    names = p.last_sequence
    again = p.apply_sequence(digit, names)
    assert again.shape == digit.shape
    flipped = TANDAPolicy([TF("hflip")], seq_len=1).apply_sequence(RGB, ["hflip()", 0])
    np.testing.assert_array_equal(flipped, RGB)
    with pytest.raises(ValueError, match="not in this policy"):
        p.apply_sequence(digit, ["teleport()"])
    with pytest.raises(IndexError):
        p.apply_sequence(digit, [99])


def test_sample_sequences_are_readable_names():
    seqs = policy().sample_sequences(3)
    assert len(seqs) == 3 and all(len(s) == 4 for s in seqs)
    assert all(isinstance(name, str) and name.endswith(")") for s in seqs for name in s)


def test_torchvision_v1_and_v2_compose():
    pil = PIL.Image.fromarray(RGB)
    v1 = transforms.Compose([policy(), transforms.ToTensor()])
    assert v1(pil).shape == (3, 24, 20)
    pipe = v2.Compose([v2.ToImage(), policy(), v2.ToDtype(torch.float32, scale=True)])
    out = pipe(pil)
    assert isinstance(out, tv_tensors.Image) and out.dtype == torch.float32


def test_v2_passes_labels_through_and_transforms_image_in_dict():
    out = policy()({"image": RGB, "label": 3})
    assert out["label"] == 3 and out["image"].shape == RGB.shape


def test_recurrent_sampler_policy_draws_blocks():
    torch.manual_seed(0)
    p = TANDAPolicy("mnist", RecurrentSampler(25, 8), seq_len=3, seed=0, block_size=16)
    seqs = p.sample_sequences(40)  # crosses block boundaries
    assert len({tuple(s) for s in seqs}) > 20


def test_sampler_must_match_library():
    with pytest.raises(ValueError, match="library has"):
        TANDAPolicy("mnist", RecurrentSampler(3, 4))
    with pytest.raises(ValueError, match="seq_len"):
        TANDAPolicy("mnist", seq_len=0)


def test_seq_len_set_later_is_checked_as_in_the_constructor():
    policy = TANDAPolicy("mnist", seq_len=3, seed=0)
    policy.seq_len = 1
    assert len(policy.sample().actions) == 1
    for bad in (0, True, 2.0, 10**6):
        with pytest.raises(ValueError, match="seq_len must be an int"):
            policy.seq_len = bad
    assert policy.seq_len == 1


class _Digits(torch.utils.data.Dataset):
    def __init__(self, transform):
        self.transform = transform

    def __len__(self):
        return 8

    def __getitem__(self, i):
        self.transform(np.zeros((8, 8), np.uint8))
        return torch.tensor(self.transform.last_sample.actions)


@pytest.mark.parametrize("seed", [None, 7])
def test_dataloader_workers_draw_different_sequences(seed):
    p = TANDAPolicy("mnist", seq_len=6, seed=seed, block_size=4)
    loader = torch.utils.data.DataLoader(_Digits(p), batch_size=4, num_workers=2)
    batches = list(loader)  # worker 0 makes batch 0, worker 1 batch 1
    assert len(batches) == 2
    assert not torch.equal(batches[0], batches[1])
