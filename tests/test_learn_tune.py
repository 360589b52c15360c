"""learn_policy with labels ends with the tuner: the returned policy's p and frame are the
tuner's choice on the labeled images (tiny: a few seconds)."""

from __future__ import annotations

import numpy as np
import pytest

from tanda_transforms import TF, TANDAPolicy
from tanda_transforms.cli import main
from tanda_transforms.learn import learn_policy
from tanda_transforms.tune import proxy_config

TFS = [TF("hflip"), TF("brightness", factor=1.1)]
LEARN = dict(generator="mean_field", seq_len=2, steps=2, batch_size=8, label_steps=5,
             progress=False, seed=0)
PROXY = proxy_config(2, threads=1, device="cpu", width=8, blocks=1, batch_size=16)
FAST_TUNE = {"p_grid": (0.5, 1.0), "frame_grid": (0,), "config": PROXY}


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small runs: see conftest


def _halves(n: int = 48, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: the left half bright, class 1: the right half (hflip swaps them); every
    third item unlabeled."""
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    images = rng.normal(40, 10, (n, size, size))
    for i, label in enumerate(labels):
        images[i, :, slice(0, size // 2) if label == 0 else slice(size // 2, size)] += 160
    labels[::3] = -1
    return np.clip(images, 0, 255).astype(np.uint8), labels


def test_labels_with_images_end_with_the_tuner_on_the_labeled_images():
    images, labels = _halves()
    policy = learn_policy(images, TFS, labels=labels, tune_options=FAST_TUNE, **LEARN)
    record = policy.metadata["tuning"]
    assert record["n_train"] + record["n_val"] == int((labels >= 0).sum())  # labeled only
    assert [c["p"] for c in record["candidates"]] == [0.0, 0.5, 1.0]
    assert record["chosen"] == {"p": policy.p, "frame": policy.frame, "seq_len": 2}
    best = max(c["mean"] for c in record["candidates"])
    assert next(c["mean"] for c in record["candidates"] if c["p"] == policy.p) == best
    assert record["split_seed"] == 0 and record["seeds"] == [0]  # the learning seed
    assert "labels" in policy.metadata["training"]  # the label term ran as before


def test_without_labels_or_with_tune_false_the_saved_p_is_learning_s_default():
    images, labels = _halves()
    for kwargs in ({}, {"labels": labels, "tune": False}):
        policy = learn_policy(images, TFS, **kwargs, **LEARN)
        assert "tuning" not in policy.metadata and policy.p == 0.5


@pytest.mark.parametrize(("data", "labels", "tune", "error", "match"), [
    (_halves()[0], None, True, ValueError, "tuner needs labels"),
    (_halves()[0].astype(np.float32) / 255, _halves()[1], True, ValueError,
     "one uint8 array N x H x W"),
    (_halves()[0], np.r_[[0, 1] * 10, 2, [-1] * 27], True, ValueError,
     "classes \\[2\\] have one"),
    (_halves()[0], _halves()[1], "yes", TypeError, "tune must be None"),
])
def test_a_tuning_that_cannot_run_is_refused_before_learning(data, labels, tune, error, match):
    with pytest.raises(error, match=match):
        learn_policy(data, TFS, labels=labels, tune=tune, steps=10**6, progress=False)


def test_unknown_tune_options_are_refused_by_name():
    images, labels = _halves()
    with pytest.raises(TypeError, match=r"tune_options: unknown \['epoch'\]"):
        learn_policy(images, TFS, labels=labels, tune_options={"epoch": 3}, steps=10**6,
                     progress=False)


def test_by_default_labels_the_tuner_cannot_use_warn_and_learning_goes_on():
    images, labels = _halves()
    one_of_a_class = np.r_[[0, 1] * 10, 2, [-1] * 27]
    with pytest.warns(UserWarning, match="does not tune the saved p and frame"):
        policy = learn_policy(images, TFS, labels=one_of_a_class, **LEARN)
    assert "tuning" not in policy.metadata and policy.p == 0.5


def test_tanda_learn_with_labels_saves_the_tuned_setting_unless_told(tmp_path, capsys):
    images, labels = _halves()
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "y.npy", labels)
    common = ["learn", "--data", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
              "--tfs", "mnist", "--generator", "mean_field", "--steps", "2", "--seq-len", "2",
              "--batch-size", "8", "--set", "label_steps=5", "--no-progress", "--threads", "1"]
    assert main([*common, "--out", str(tmp_path / "t.tanda")]) == 0
    tuned = TANDAPolicy.load(tmp_path / "t.tanda")
    assert tuned.metadata["tuning"]["chosen"]["p"] == tuned.p
    out = capsys.readouterr().out
    assert f"saved with p {tuned.p:g}, frame {tuned.frame} (tuned on 32 labeled images" in out
    assert main([*common, "--no-tune", "--policy-frame", "2", "--out",
                 str(tmp_path / "n.tanda")]) == 0
    plain = TANDAPolicy.load(tmp_path / "n.tanda")
    assert "tuning" not in plain.metadata and (plain.p, plain.frame) == (0.5, 2)
