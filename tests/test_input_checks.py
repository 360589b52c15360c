"""Every call checks its inputs up front, whatever it draws (issue 30, items 6 and 7), and
``last_sequence`` / ``replay`` are per thread (item 10).

Each refusal is a clear exception type with a message naming what was expected, raised in
under 0.5 s and under 100 MB of traced numpy/Python memory, on every call (20 calls with
different draws, ``p`` = 1 and 0).
"""

from __future__ import annotations

import sys
import threading
import time
import tracemalloc

import numpy as np
import PIL.Image
import pytest
import torch
from torchvision import tv_tensors

from tanda_transforms import TF, TANDAPolicy

CALLS = 20


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def refused_every_call(call, error, match):
    """``call(seed)`` raises ``error`` (message matching ``match``) on each of CALLS draws,
    each within 0.5 s and 100 MB."""
    for seed in range(CALLS):
        tracemalloc.start()
        start = time.perf_counter()
        with pytest.raises(error, match=match):
            call(seed)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < 0.5, f"refused after {elapsed:.2f} s"
        assert peak < 100e6, f"{peak / 1e6:.0f} MB to refuse"


def warm(policy: TANDAPolicy, channels: int = 3) -> TANDAPolicy:
    """One valid call first: the sampler's first block of draws is not part of a refusal."""
    policy(np.zeros((8, 8, channels), np.uint8))
    return policy


def cifar10(seed: int, p: float = 1.0) -> TANDAPolicy:
    policy = warm(TANDAPolicy.load("cifar10", seed=seed))
    policy.p = p
    return policy


# --- 30.6: images -----------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1.0, 0.0])
@pytest.mark.parametrize("channels", [2, 5, 8, 64])
def test_channel_counts_the_policy_cannot_take_are_refused_every_call(channels, p):
    policy = cifar10(0, p)
    array = np.zeros((16, 16, channels), np.uint8)
    tensor = torch.zeros(channels, 16, 16)

    def call(seed):  # each call draws anew from the policy's stream
        policy(array if seed % 2 else tensor)

    refused_every_call(call, ValueError, f"{channels}-channel images cannot go through every "
                                         "TF of this policy: .*colour op")


def test_channel_counts_a_policy_can_take_pass():
    warps = TANDAPolicy([TF("rotate", degrees=5), TF("hflip"), TF("brightness", factor=1.2)],
                        seq_len=3, seed=0)
    assert warps(np.zeros((8, 8, 5), np.uint8)).shape == (8, 8, 5)
    policy = cifar10(0)
    for shape in [(8, 8), (8, 8, 1), (8, 8, 3), (8, 8, 4)]:
        assert policy(np.zeros(shape, np.uint8)).shape == shape


@pytest.mark.parametrize("p", [1.0, 0.0])
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: torch.zeros(3, 0, 8, dtype=torch.uint8), "C, H and W of at least 1"),
        (lambda: torch.zeros(3, 8, 0, dtype=torch.uint8), "C, H and W of at least 1"),
        (lambda: torch.zeros(0, 8, 8, dtype=torch.uint8), "C, H and W of at least 1"),
        (lambda: torch.zeros(2, 3, 0, 8, dtype=torch.uint8), "C, H and W of at least 1"),
        (lambda: PIL.Image.new("RGB", (0, 0)), "PIL image is empty"),
        (lambda: np.zeros((0, 5, 3), np.uint8), "empty axis"),
        (lambda: tv_tensors.Video(torch.zeros(2, 3, 0, 4, dtype=torch.uint8)), "at least 1"),
    ],
    ids=["3x0xW", "3xHx0", "0xHxW", "Bx3x0xW", "pil-0x0", "numpy-0xW", "video-0xW"],
)
def test_empty_images_are_refused_every_call(make, match, p):
    policy, img = cifar10(0, p), make()

    def call(seed):
        policy(img)

    refused_every_call(call, ValueError, match)


def test_an_image_of_another_dtype_is_refused_by_name():
    policy = cifar10(0)
    refused_every_call(lambda seed: policy(np.zeros((8, 8, 3), np.int64)), TypeError,
                       "uint8, uint16, float32 or float64")
    refused_every_call(lambda seed: policy(np.full((8, 8), 1.5)), ValueError, r"\[0, 1\]")


def test_an_empty_batch_is_not_an_empty_image():
    out = cifar10(0)(torch.zeros(0, 3, 8, 8, dtype=torch.uint8))
    assert out.shape == (0, 3, 8, 8)


@pytest.mark.parametrize(
    "x, match",
    [
        (torch.zeros(2, 5, 8, 8), "1, 3 or 4 channels"),
        (torch.zeros(2, 3, 0, 8), "H and W of at least 1"),
    ],
    ids=["5-channels", "zero-height"],
)
def test_batched_refuses_images_it_cannot_take(x, match):
    batched = cifar10(0).batched(seed=0)
    refused_every_call(lambda seed: batched.manual_seed(seed)(x), ValueError, match)


# --- 30.7: targets ----------------------------------------------------------------------------

IMAGE = tv_tensors.Image(torch.zeros(3, 32, 32, dtype=torch.uint8))


def boxes(values, canvas=(32, 32)):
    return tv_tensors.BoundingBoxes(torch.tensor([values], dtype=torch.float32), format="XYXY",
                                    canvas_size=canvas)


@pytest.mark.parametrize("name", ["cifar10", "mnist"])
@pytest.mark.parametrize(
    "target, error, match",
    [
        (tv_tensors.Mask(torch.zeros(16, 16, dtype=torch.uint8)), ValueError,
         r"Mask of size \(16, 16\) cannot follow images of size \(32, 32\)"),
        (boxes([1.0, 1.0, 8.0, 8.0], canvas=(64, 64)), ValueError,
         r"BoundingBoxes on a canvas \(64, 64\) cannot follow images of size \(32, 32\)"),
        (tv_tensors.KeyPoints(torch.zeros(1, 2), canvas_size=(32, 16)), ValueError,
         "KeyPoints on a canvas"),
        (boxes([1.0, float("nan"), 8.0, 8.0]), ValueError, "finite"),
        (boxes([1.0, 1.0, float("inf"), 8.0]), ValueError, "finite"),
    ],
    ids=["small-mask", "other-canvas", "keypoint-canvas", "nan-box", "inf-box"],
)
def test_targets_that_do_not_match_their_image_are_refused(name, target, error, match):
    policy = warm(TANDAPolicy.load(name, seed=0), 3 if name == "cifar10" else 1)
    image = IMAGE if name == "cifar10" else IMAGE[:1]

    def call(seed):
        policy.p = 1.0 if seed % 2 else 0.0
        policy({"image": tv_tensors.Image(image), "target": target})

    refused_every_call(call, error, match)


@pytest.mark.parametrize("name", ["cifar10", "mnist"])
def test_batched_refuses_non_finite_and_mismatched_boxes(name):
    policy = TANDAPolicy.load(name)
    channels = 3 if name == "cifar10" else 1
    x = torch.zeros(2, channels, 32, 32)
    batched = policy.batched(seed=0)
    good = torch.tensor([[1.0, 1.0, 8.0, 8.0]])
    nan = torch.tensor([[1.0, float("nan"), 8.0, 8.0]])
    refused_every_call(lambda s: batched.manual_seed(s)(x, boxes=[good, nan]), ValueError,
                       r"boxes\[1\] must be finite")
    other = boxes([1.0, 1.0, 8.0, 8.0], canvas=(64, 64))
    refused_every_call(lambda s: batched.manual_seed(s)(x, boxes=[good, other]), ValueError,
                       "canvas_size")
    mask = torch.zeros(2, 16, 16, dtype=torch.long)
    refused_every_call(lambda s: batched.manual_seed(s)(x, mask), ValueError, "matching")


# --- 30.10: threads ---------------------------------------------------------------------------


def replay_disagreements(policy, make_input, threads=8, calls=40) -> int:
    """Threads each calling ``out = policy(x)`` then ``policy.replay(x)``: how often they
    differ."""
    wrong = []
    start = threading.Barrier(threads)

    def work(k):
        x = make_input(k)
        start.wait()
        for _ in range(calls):
            out = policy(x)
            again = policy.replay(x)
            same = out == again if isinstance(out, str) else np.array_equal(out, again)
            if not same:
                wrong.append(k)

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: races show up within a few calls
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return len(wrong)


@pytest.mark.parametrize("p", [0.3, 1.0])
def test_replay_repeats_this_threads_last_call(p):
    policy = TANDAPolicy.load("cifar10", seed=0)
    policy.p = p
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (12, 12, 3), dtype=np.uint8) for _ in range(8)]
    assert replay_disagreements(policy, lambda k: images[k]) == 0


def test_replay_repeats_this_threads_last_call_for_text():
    policy = TANDAPolicy([TF("word_swap"), TF("word_delete")], seq_len=2, seed=0)
    sentence = "the <e1>company</e1> makes fine <e2>chairs</e2> in the old town of the valley"
    assert replay_disagreements(policy, lambda k: sentence, calls=50) == 0


def test_another_thread_has_nothing_to_replay():
    policy = cifar10(0)
    policy(np.zeros((8, 8, 3), np.uint8))
    errors = []

    def other():
        try:
            policy.replay(np.zeros((8, 8, 3), np.uint8))
        except RuntimeError as error:
            errors.append(str(error))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert errors and "in this thread" in errors[0]
    assert policy.last_sequence is not None  # this thread's own call is still there
