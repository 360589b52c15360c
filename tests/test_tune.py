"""tune_policy: p and frame chosen by proxy trainings on a validation split (tiny, seconds)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TANDAPolicy, tune_policy
from tanda_transforms.tune import proxy_config

torch.set_num_threads(1)

FAST = dict(config=proxy_config(4, threads=1, device="cpu", width=8, blocks=1, batch_size=16))


def _halves(n: int = 64, size: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: the left half bright; class 1: the right half. hflip swaps the classes."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = rng.normal(40, 10, (n, size, size))
    half = size // 2
    for i, label in enumerate(labels):
        cols = slice(0, half) if label == 0 else slice(half, size)
        images[i, :, cols] += 160
    return np.clip(images, 0, 255).astype(np.uint8), labels


def test_the_choice_is_in_the_grid_and_survives_saving(tmp_path):
    images, labels = _halves()
    policy = TANDAPolicy([TF("rotate", degrees=5), TF("zoom", factor=1.1)], seq_len=2, seed=0)
    tuned = tune_policy(policy, images, labels, p_grid=(0.5, 1.0), frame_grid=(0, 1),
                        seq_len_grid=(2, 1), **FAST)
    record = tuned.metadata["tuning"]
    candidates = [(c["p"], c["frame"], c["seq_len"]) for c in record["candidates"]]
    assert candidates == [(0.0, 0, 2), (0.5, 0, 1), (0.5, 0, 2), (0.5, 1, 1), (0.5, 1, 2),
                          (1.0, 0, 1), (1.0, 0, 2), (1.0, 1, 1), (1.0, 1, 2)]  # p = 0 added
    chosen = (tuned.p, tuned.frame, tuned.seq_len)
    assert chosen in candidates and record["chosen"] == dict(zip(("p", "frame", "seq_len"),
                                                                 chosen, strict=True))
    best = max(c["mean"] for c in record["candidates"])
    assert record["candidates"][candidates.index(chosen)]["mean"] == best
    assert record["proxy_runs"] == 9 and record["seconds"] > 0
    assert record["n_train"] + record["n_val"] == len(images)
    assert (policy.p, policy.frame, policy.seq_len) == (1.0, 0, 2)  # the original untouched
    assert "tuning" not in policy.metadata
    path = tmp_path / "tuned.tanda"
    tuned.save(path)
    loaded = TANDAPolicy.load(path)
    assert (loaded.p, loaded.frame, loaded.seq_len) == chosen
    assert loaded.metadata["tuning"] == record


def test_it_picks_no_augmentation_when_the_policy_destroys_the_label():
    images, labels = _halves()
    destroyer = TANDAPolicy([TF("hflip")], seq_len=1, seed=0)  # swaps the two classes
    tuned = tune_policy(destroyer, images, labels, p_grid=(0.5, 1.0), frame_grid=(0,), **FAST)
    scores = {c["p"]: c["mean"] for c in tuned.metadata["tuning"]["candidates"]}
    assert tuned.p == 0.0
    assert scores[0.0] > 90 and scores[1.0] < 25  # every training label inverted at p = 1


def test_the_same_seeds_give_the_same_scores():
    images, labels = _halves(48)
    policy = TANDAPolicy("mnist", seq_len=2, seed=1)
    runs = [tune_policy(policy, images, labels, p_grid=(1.0,), frame_grid=(0,), seeds=(0, 1),
                        **FAST).metadata["tuning"]["candidates"] for _ in range(2)]
    assert runs[0] == runs[1]
    assert all(len(c["val_accuracy"]) == 2 for c in runs[0])


class _MirrorAll:
    """A base transform that flips every image: on ``_halves`` it swaps the two classes."""

    calls = 0

    def __call__(self, image: np.ndarray) -> np.ndarray:
        type(self).calls += 1
        return np.ascontiguousarray(image[:, ::-1])


def test_a_base_transform_runs_before_the_policy_in_every_proxy_run():
    images, labels = _halves()
    policy = TANDAPolicy([TF("brightness", factor=1.1)], seq_len=1, seed=0)
    plain = tune_policy(policy, images, labels, p_grid=(1.0,), frame_grid=(0,), **FAST)
    based = tune_policy(policy, images, labels, p_grid=(1.0,), frame_grid=(0,),
                        base=_MirrorAll(), **FAST)
    plain_scores = [c["mean"] for c in plain.metadata["tuning"]["candidates"]]
    based_scores = [c["mean"] for c in based.metadata["tuning"]["candidates"]]
    assert min(plain_scores) > 90  # the halves are easy
    assert max(based_scores) < 25  # every training image mirrored first, p = 0 included
    assert based.metadata["tuning"]["base"].startswith("<") and \
        plain.metadata["tuning"]["base"] is None
    assert _MirrorAll.calls > 0


def test_progress_reports_every_run():
    images, labels = _halves(32)
    seen = []
    tune_policy(TANDAPolicy("mnist", seq_len=1), images, labels, p_grid=(0.0, 1.0),
                frame_grid=(0,), progress=seen.append, **FAST)
    assert [r["run"] for r in seen] == [1, 2] and seen[-1]["runs"] == 2


@pytest.mark.parametrize(("images", "labels", "kwargs", "error", "match"), [
    (np.zeros((8, 6, 6), np.float32), np.arange(8) % 2, {}, TypeError, "uint8"),
    (np.zeros((8, 6), np.uint8), np.arange(8) % 2, {}, ValueError, "N x H x W"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(7) % 2, {}, ValueError, "8 integers"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) * 0.5, {}, ValueError, "integers"),
    (np.zeros((8, 6, 6), np.uint8), np.array([0] * 7 + [1]), {}, ValueError, "2 or more"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) % 2, {"p_grid": (1.5,)}, ValueError, "p_grid"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) % 2, {"frame_grid": (-1,)}, ValueError,
     "frame_grid"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) % 2, {"seq_len_grid": (0,)}, ValueError,
     "seq_len_grid"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) % 2, {"val_fraction": 1.0}, ValueError,
     "val_fraction"),
    (np.zeros((8, 6, 6), np.uint8), np.arange(8) % 2, {"seeds": ()}, ValueError, "seeds"),
])
def test_bad_input_is_refused_by_name(images, labels, kwargs, error, match):
    with pytest.raises(error, match=match):
        tune_policy(TANDAPolicy("mnist", seq_len=1), images, labels, **kwargs)


def test_a_text_policy_is_refused():
    with pytest.raises(ValueError, match="image policies"):
        tune_policy(TANDAPolicy([TF("shuffle_words")], seq_len=1),
                    np.zeros((4, 6, 6), np.uint8), np.arange(4) % 2)


def _npz(tmp_path, images, labels):
    path = tmp_path / "labeled.npz"
    np.savez(path, images=images, labels=labels)
    return str(path)


def test_an_npz_without_labels_is_refused_by_name(tmp_path, capsys):
    from tanda_transforms.cli import main

    path = tmp_path / "unlabeled.npz"
    np.savez(path, images=np.zeros((4, 6, 6), np.uint8))
    assert main(["tune", "mnist", "--data", str(path)]) == 2
    assert "'images' and 'labels'; missing ['labels']" in capsys.readouterr().err


def test_the_command_prints_runs_and_cost_and_writes_the_policy(tmp_path, capsys):
    from tanda_transforms.cli import main

    data, out = _npz(tmp_path, *_halves(40)), str(tmp_path / "tuned.tanda")
    code = main(["tune", "mnist", "--data", data, "--p-grid", "0,1", "--frame-grid", "0",
                 "--epochs", "1", "--threads", "1", "--device", "cpu", "--out", out])
    printed = capsys.readouterr().out
    assert code == 0
    assert "run 2/2" in printed and "chosen: p" in printed and "2 proxy runs" in printed
    assert "L 10" in printed  # the gallery policy's own L, the default grid
    assert TANDAPolicy.load(out).metadata["tuning"]["proxy_runs"] == 2


def test_the_command_tunes_after_a_crop_and_flip(tmp_path, capsys):
    from tanda_transforms.cli import main

    data, out = _npz(tmp_path, *_halves(40)), str(tmp_path / "tuned.tanda")
    assert main(["tune", "mnist", "--data", data, "--p-grid", "0,1", "--frame-grid", "0",
                 "--epochs", "1", "--threads", "1", "--device", "cpu", "--crop", "2",
                 "--flip", "--out", out]) == 0
    assert "base: PadCropFlip(pad=2, flip=True" in capsys.readouterr().out
    assert TANDAPolicy.load(out).metadata["tuning"]["base"].startswith("PadCropFlip(pad=2")
    assert main(["tune", "mnist", "--data", data, "--flip", "--out", out]) == 2
    assert "--flip goes with --crop PAD" in capsys.readouterr().err


@pytest.mark.parametrize(("images", "labels", "match"), [
    (np.zeros((8, 6, 6), np.float32), np.arange(8) % 2, "uint8"),
    (np.zeros((8, 6, 6), np.uint8), np.zeros(8, np.int64), "two classes or more"),
])
def test_the_command_reports_bad_data_in_one_line(tmp_path, capsys, images, labels, match):
    from tanda_transforms.cli import main

    code = main(["tune", "mnist", "--data", _npz(tmp_path, images, labels),
                 "--out", str(tmp_path / "never.tanda")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("tanda: error: bad tune input")
    assert re.search(match, err) and not (tmp_path / "never.tanda").exists()
