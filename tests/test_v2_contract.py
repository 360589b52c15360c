"""torchvision's transforms-v2 contract, run on a gallery policy (issue 25, item 2).

``check_transform`` below reproduces, in our own code, what torchvision's helper of that
name checks for every v2 transform (pytorch/vision ``test/test_transforms_v2.py`` and the
sample makers of ``test/common_utils.py``, BSD-3-Clause; nothing is copied from them): the
transform pickles; it returns the input's type (boxes keep their format); on the standard
sample, one input of each type beside the image under test, in a dict, a list and a tuple,
the output has the input's structure, everything the base ``v2.Transform`` heuristic marks
for transformation keeps its type and everything else (plain tensors and arrays beside an
image, numbers, strings, paths, objects) comes back as the very same object; a transform
without a v1 class refuses ``torch.jit.script`` with torchvision's error. Beyond that smoke
test, each transformed item must equal what the call's own draw gives on that item alone
(``replay``), so the image, the video frames, masks and every box format moved together.
"""

from __future__ import annotations

import pathlib
import pickle

import numpy as np
import PIL.Image
import pytest
import torch
from torch.utils._pytree import tree_flatten
from torchvision import tv_tensors
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TVF

from tanda_transforms import TANDAPolicy

SIZE = (17, 11)  # torchvision's default test size (H, W)
ROTATED = ("XYWHR", "CXCYWHR", "XYXYXYXY")
FORMATS = ("XYXY", "XYWH", "CXCYWH", *ROTATED)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- the sample makers (after common_utils.py) ---------------------------------------------


def make_image_tensor(size=SIZE, dtype=torch.uint8, channels=3, seed=0):
    if dtype.is_floating_point:
        return torch.rand(channels, *size, generator=_gen(seed), dtype=dtype)
    return torch.randint(0, 256, (channels, *size), generator=_gen(seed), dtype=dtype)


def make_image(size=SIZE, dtype=torch.uint8, seed=1):
    return tv_tensors.Image(make_image_tensor(size, dtype, seed=seed))


def make_image_pil(size=SIZE, seed=2):
    return PIL.Image.fromarray(make_image_tensor(size, seed=seed).permute(1, 2, 0).numpy())


def make_image_array(size=SIZE, seed=3):
    return make_image_tensor(size, seed=seed).permute(1, 2, 0).numpy().copy()


def make_video(size=SIZE, frames=2, seed=4):
    data = torch.randint(0, 256, (frames, 3, *size), generator=_gen(seed), dtype=torch.uint8)
    return tv_tensors.Video(data)


def make_bounding_boxes(size=SIZE, fmt="XYXY", count=3, seed=5):
    """Valid boxes inside the canvas, in ``fmt`` (rotated formats by a random angle)."""
    g = _gen(seed)
    h, w = size
    x = torch.rand(count, generator=g) * (w - 4) + 1
    y = torch.rand(count, generator=g) * (h - 4) + 1
    bw = torch.rand(count, generator=g) * (w - x - 1) + 1
    bh = torch.rand(count, generator=g) * (h - y - 1) + 1
    if fmt in ROTATED:
        angle = torch.rand(count, generator=g) * 60 - 30
        xywhr = tv_tensors.BoundingBoxes(torch.stack([x, y, bw / 2, bh / 2, angle], 1),
                                         format="XYWHR", canvas_size=size)
        return TVF.convert_bounding_box_format(xywhr, new_format=fmt)
    xyxy = tv_tensors.BoundingBoxes(torch.stack([x, y, x + bw, y + bh], 1), format="XYXY",
                                    canvas_size=size)
    return TVF.convert_bounding_box_format(xyxy, new_format=fmt)


def make_detection_masks(size=SIZE, count=2, seed=6):
    return tv_tensors.Mask(torch.rand(count, *size, generator=_gen(seed)) > 0.5)


def make_segmentation_mask(size=SIZE, seed=7):
    return tv_tensors.Mask(torch.randint(0, 10, size, generator=_gen(seed), dtype=torch.uint8))


def make_keypoints(size=SIZE, count=4, seed=8):
    g = _gen(seed)
    xy = torch.rand(count, 2, generator=g) * torch.tensor([size[1] - 1, size[0] - 1])
    return tv_tensors.KeyPoints(xy, canvas_size=size)


def _degenerate(size, fmt, rows):
    return tv_tensors.BoundingBoxes(rows, format=fmt, canvas_size=size)


def make_sample(image_or_video) -> dict:
    """torchvision's standard sample: the input under test and one of every other kind."""
    size = TVF.get_size(image_or_video) if not isinstance(image_or_video, np.ndarray) else \
        list(image_or_video.shape[:2])
    size = tuple(size)
    sample = dict(
        image_or_video=image_or_video,
        image_tv_tensor=make_image(size),
        video_tv_tensor=make_video(size),
        image_pil=make_image_pil(size),
        **{f"bounding_boxes_{fmt.lower()}": make_bounding_boxes(size, fmt) for fmt in FORMATS},
        bounding_boxes_degenerate_xyxy=_degenerate(size, "XYXY", [
            [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [2, 0, 1, 1], [0, 2, 1, 1], [2, 2, 1, 1]]),
        bounding_boxes_degenerate_xywh=_degenerate(size, "XYWH", [
            [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, -1], [0, 0, -1, 1],
            [0, 0, -1, -1]]),
        bounding_boxes_degenerate_cxcywh=_degenerate(size, "CXCYWH", [
            [0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 0, 1, -1], [0, 0, -1, 1],
            [0, 0, -1, -1]]),
        detection_mask=make_detection_masks(size),
        segmentation_mask=make_segmentation_mask(size),
        keypoints=make_keypoints(size),
        int=0,
        float=0.0,
        bool=True,
        none=None,
        str="str",
        path=pathlib.Path.cwd(),
        object=object(),
        tensor=torch.empty(5),
        array=np.empty(5),
    )
    return sample


# --- the checks (after check_transform) -----------------------------------------------------


def _equal(a, b) -> bool:
    if isinstance(a, PIL.Image.Image):
        return a.mode == b.mode and np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a.dtype == b.dtype and torch.equal(a.as_subclass(torch.Tensor),
                                              b.as_subclass(torch.Tensor))


def _check_sample_smoke(policy: TANDAPolicy, input) -> None:
    if not isinstance(input, torch.Tensor | PIL.Image.Image | np.ndarray) or (
        isinstance(input, tv_tensors.TVTensor)
        and not isinstance(input, tv_tensors.Image | tv_tensors.Video)
    ):
        return  # torchvision makes the sample around images and videos only
    sample = make_sample(input)
    for container in (dict, list, tuple):
        packed = sample if container is dict else container(sample.values())
        flat_in, spec_in = tree_flatten(packed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            out = policy(packed)
        flat_out, spec_out = tree_flatten(out)
        assert spec_out == spec_in
        needs = v2.Transform()._needs_transform_list(flat_in)  # torchvision's own heuristic
        for o, i, need in zip(flat_out, flat_in, needs, strict=True):
            if need:
                assert type(o) is type(i)
                if isinstance(i, tv_tensors.BoundingBoxes):
                    assert o.format == i.format and tuple(o.canvas_size) == tuple(i.canvas_size)
                if container is dict:  # the same draw moved it as it moves it alone
                    assert _equal(o, policy.replay(i)), f"{type(i).__name__} moved otherwise"
            else:
                assert o is i, f"{type(i).__name__} should pass through untouched"
    for name, boxes in sample.items():  # the sample's degenerate boxes stay degenerate
        if "degenerate" in name:
            labels = torch.arange(len(boxes))
            assert v2.SanitizeBoundingBoxes()({"boxes": boxes, "labels": labels})[
                "boxes"].shape == (0, 4)


def check_transform(policy: TANDAPolicy, input) -> object:
    pickle.loads(pickle.dumps(policy))
    output = policy(input)
    assert isinstance(output, type(input))
    if isinstance(input, tv_tensors.BoundingBoxes):
        assert output.format == input.format
    _check_sample_smoke(policy, input)
    with pytest.raises(RuntimeError, match="cannot be JIT scripted"):
        torch.jit.script(policy)
    return output


INPUTS = {
    "tensor": lambda: make_image_tensor(),
    "tensor-float32": lambda: make_image_tensor(dtype=torch.float32),
    "tensor-float64": lambda: make_image_tensor(dtype=torch.float64),
    "pil": lambda: make_image_pil(),
    "tv-image": lambda: make_image(),
    "numpy": lambda: make_image_array(),
    "video": lambda: make_video(),
    **{f"boxes-{fmt}": (lambda fmt=fmt: make_bounding_boxes(fmt=fmt)) for fmt in FORMATS},
    "detection-mask": lambda: make_detection_masks(),
    "segmentation-mask": lambda: make_segmentation_mask(),
    "keypoints": lambda: make_keypoints(),
}


@pytest.fixture(scope="module")
def cifar10():
    return TANDAPolicy.load("cifar10")


@pytest.mark.parametrize("p", [1.0, 0.0])
@pytest.mark.parametrize("kind", list(INPUTS))
def test_check_transform_on_the_gallery_policy(cifar10, kind, p):
    cifar10.p = p
    try:
        check_transform(cifar10, INPUTS[kind]())
    finally:
        cifar10.p = TANDAPolicy.load("cifar10").p
    if p == 0.0:
        assert cifar10.last_sequence == []


def test_a_plain_array_beside_an_image_passes_through_even_with_p_0():
    policy = TANDAPolicy.load("cifar10")
    image, extra = make_image_array(), np.arange(5)  # int64: never an image
    for p in (0.0, 1.0):
        policy.p = p
        out = policy({"image": image, "extra": extra})
        assert out["extra"] is extra and out["image"].shape == image.shape
    alone = policy({"image": tv_tensors.Image(make_image_tensor()), "extra": np.empty(5)})
    assert alone["extra"].dtype == np.float64


def test_video_frames_get_the_one_drawn_sequence():
    policy = TANDAPolicy.load("cifar10", seed=3)
    policy.p = 1.0
    video = make_video(size=(24, 20), frames=3)
    out = policy(video)
    assert isinstance(out, tv_tensors.Video) and out.shape == video.shape
    for frame, moved in zip(video, out, strict=True):
        assert torch.equal(policy.replay(tv_tensors.Image(frame)), tv_tensors.Image(moved))


def test_float64_images_come_back_float64_as_float32_renders_them():
    policy = TANDAPolicy.load("cifar10", seed=0)
    policy.p = 1.0
    img64 = make_image_tensor(dtype=torch.float64)
    out = policy(img64)
    assert out.dtype == torch.float64 and out.shape == img64.shape
    as32 = policy.replay(img64.float())
    torch.testing.assert_close(out, as32.double(), rtol=0, atol=0)  # the same float32 render
    array = img64.permute(1, 2, 0).numpy()
    assert policy.replay(array).dtype == np.float64


@pytest.mark.parametrize("what", ["tensor", "video"])
def test_empty_batches_come_back_empty(what):
    policy = TANDAPolicy.load("cifar10", seed=0)
    policy.p = 1.0
    empty = torch.empty(0, 3, 9, 7, dtype=torch.uint8)
    if what == "video":
        empty = tv_tensors.Video(torch.empty(0, 3, 9, 7, dtype=torch.uint8))
    out = policy(empty)
    assert type(out) is type(empty) and out.shape == empty.shape and out.dtype == empty.dtype
    batched = policy.batched(seed=0)
    masks = torch.zeros(0, 9, 7, dtype=torch.long)
    images, moved = batched(torch.empty(0, 3, 9, 7, dtype=torch.uint8), masks)
    assert images.shape == (0, 3, 9, 7) and moved.shape == (0, 9, 7)
    assert batched.last_sequences == []


def test_make_params_and_transform_are_the_public_v2_api():
    policy = TANDAPolicy.load("cifar10", seed=0)
    policy.p = 1.0
    img = make_image()
    boxes = make_bounding_boxes(fmt="CXCYWHR")
    params = policy.make_params([img, boxes])
    out_img, out_boxes = policy.transform(img, params), policy.transform(boxes, params)
    assert isinstance(out_img, tv_tensors.Image) and isinstance(out_boxes, tv_tensors.BoundingBoxes)
    assert params["sequence"] == policy.last_sample
    assert torch.equal(out_img, policy.replay(img))
    # torchvision's own Transform.forward drives the same two methods
    sample = v2.Transform.forward(policy, {"image": img, "boxes": boxes, "label": 3})
    assert torch.equal(sample["image"], policy.replay(img)) and sample["label"] == 3
    policy.p = 0.0
    assert policy.transform(img, policy.make_params([img])) is img


def test_seed_none_follows_torch_manual_seed_per_call():
    policy = TANDAPolicy.load("cifar10")
    policy.p = 1.0
    img = make_image_array(size=(16, 16))
    outs = []
    for _ in range(2):
        torch.manual_seed(11)
        outs.append([policy(img) for _ in range(3)])
    assert all(np.array_equal(a, b) for a, b in zip(*outs, strict=True))
    assert not all(np.array_equal(outs[0][0], o) for o in outs[0][1:])
    batched = policy.batched()
    x = make_image_tensor(size=(8, 8))[None].repeat(6, 1, 1, 1)
    torch.manual_seed(2)
    first = batched(x)
    torch.manual_seed(2)
    assert torch.equal(batched(x), first)


class _Frames(torch.utils.data.Dataset):
    def __init__(self, policy):
        self.policy = policy
        self.img = make_image_array(size=(12, 12), seed=9)

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return torch.from_numpy(self.policy(self.img))


def test_torch_manual_seed_repeats_a_dataloader_epoch_and_workers_differ():
    policy = TANDAPolicy.load("cifar10")
    policy.p = 1.0
    loader = torch.utils.data.DataLoader(_Frames(policy), batch_size=4, num_workers=2)
    epochs = []
    for _ in range(2):
        torch.manual_seed(123)
        epochs.append(list(loader))  # worker 0 makes batch 0, worker 1 batch 1
    assert all(torch.equal(a, b) for a, b in zip(*epochs, strict=True))
    assert not torch.equal(epochs[0][0], epochs[0][1])
    torch.manual_seed(124)
    assert not all(torch.equal(a, b) for a, b in zip(epochs[0], list(loader), strict=True))
    in_process = torch.utils.data.DataLoader(_Frames(policy), batch_size=4, num_workers=0)
    runs = []
    for _ in range(2):
        torch.manual_seed(123)
        runs.append(torch.cat(list(in_process)))
    assert torch.equal(*runs)
