"""Streamed learning (issue 28): folders, Datasets and DataLoaders of any size and mixed image
sizes, read batch by batch at the learning size; bad items counted or refused."""

import cv2
import numpy as np
import pytest
import torch

from tanda_transforms import TF, TANDAPolicy
from tanda_transforms.learn import LearnConfig, learn_policy

TFS = [TF("hflip"), TF("rotate", degrees=5), TF("invert")]
FAST = {"generator": "mean_field", "seq_len": 2, "batch_size": 4, "d_width": 8,
        "progress": False, "workers": 0}


def _image(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _mixed_folder(root, n: int = 12, channels: int = 3):
    """``n`` images of mixed sizes, PNG and JPEG, half of them in a sub-folder."""
    (root / "sub").mkdir(parents=True)
    for i in range(n):
        shape = (10 + i % 4, 12 + i % 5) + ((channels,) if channels > 1 else ())
        folder = root / "sub" if i % 2 else root
        cv2.imwrite(str(folder / f"{i:02d}.{'png' if i % 3 else 'jpg'}"), _image(i, shape))
    return root


def _same(a: TANDAPolicy, b: TANDAPolicy) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.sampler.state_dict().values(),
                                                 b.sampler.state_dict().values(), strict=True))


def test_a_folder_of_mixed_sizes_learns_at_the_learning_size_and_saves(tmp_path):
    folder = _mixed_folder(tmp_path / "images")
    policy = learn_policy(folder, TFS, steps=3, size=8, **FAST)
    training = policy.metadata["training"]
    assert training["learning_size"] == [8, 8] and training["data_shape"] == [12, 8, 8, 3]
    assert (training["data_source"], training["skipped"]) == ("folder", 0)
    assert training["config"]["size"] == 8
    policy.save(tmp_path / "p.tanda")
    loaded = TANDAPolicy.load(tmp_path / "p.tanda")
    assert loaded.metadata["training"]["learning_size"] == [8, 8]
    # applied at the image's own resolution, not the learning size
    assert loaded(_image(0, (30, 40, 3))).shape == (30, 40, 3)


def test_mixed_sizes_without_a_learning_size_are_refused_naming_the_setting(tmp_path):
    folder = _mixed_folder(tmp_path / "images")
    with pytest.raises(ValueError, match=r"mixed sizes .* LearnConfig.size"):
        learn_policy(folder, TFS, steps=3, **FAST)


def test_unreadable_files_and_other_channel_counts_are_counted_skips(tmp_path):
    folder = _mixed_folder(tmp_path / "images", n=8)
    (folder / "broken.png").write_bytes(b"not a png")
    cv2.imwrite(str(folder / "gray.png"), _image(99, (12, 12)))  # 1 channel among RGB
    with pytest.warns(UserWarning, match="skipped 2 unreadable or mismatched"):
        policy = learn_policy(folder, TFS, epochs=1.0, size=8, **FAST)  # 10 items: 3 steps
    training = policy.metadata["training"]
    assert training["skipped"] == 2
    assert any("broken.png" in e and "cannot decode" in e for e in training["skipped_examples"])
    assert any("gray.png: 1 channel(s)" in e for e in training["skipped_examples"])


class _Items(torch.utils.data.Dataset):
    """A Dataset of ``items``; ``reads`` lists the indices read, in order."""

    def __init__(self, items, limit=None):
        self.items, self.reads, self.limit = items, [], limit

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        self.reads.append(index)
        if self.limit is not None and len(self.reads) > self.limit():
            raise AssertionError(f"read {len(self.reads)} items, beyond the batch window")
        return self.items[index]


def test_a_dataset_yielding_non_images_is_refused():
    with pytest.raises(TypeError, match="must yield images.*got str"):
        learn_policy(_Items(["a", "b"]), TFS, steps=1, **FAST)
    with pytest.raises(TypeError, match="uint8, uint16 or float32"):
        learn_policy(_Items([np.zeros((8, 8), np.int64)] * 4), TFS, steps=1, **FAST)


def test_streaming_reads_one_batch_per_step_never_the_whole_dataset():
    steps_done = []
    # the first item is read once up front (its channels and dtype), then one batch per step
    data = _Items([_image(i, (9 + i % 3, 9)) for i in range(200)],
                  limit=lambda: 1 + (len(steps_done) + 1) * FAST["batch_size"])
    learn_policy(data, TFS, steps=5, size=8, callback=lambda _: steps_done.append(len(data.reads)),
                 **FAST)
    assert steps_done == [1 + k * FAST["batch_size"] for k in range(1, 6)]
    assert len(set(data.reads[1:])) == 5 * FAST["batch_size"]  # distinct items of one pass


def test_same_seed_same_policy_and_the_workers_do_not_change_it():
    data = _Items([_image(i, (9 + i % 3, 8 + i % 2)) for i in range(24)])
    first = learn_policy(data, TFS, steps=4, size=8, seed=3, **FAST)
    again = learn_policy(data, TFS, steps=4, size=8, seed=3, **FAST)
    with_workers = learn_policy(data, TFS, steps=4, size=8, seed=3, **{**FAST, "workers": 2})
    other = learn_policy(data, TFS, steps=4, size=8, seed=4, **FAST)
    assert _same(first, again) and _same(first, with_workers) and not _same(first, other)
    assert first.history == with_workers.history


def test_a_streamed_run_resumes_exactly(tmp_path):
    data = _Items([_image(i, (9, 10 + i % 4, 3)) for i in range(10)])  # 2.5 batches a pass
    straight = learn_policy(data, TFS, steps=6, size=8, **FAST)
    learn_policy(data, TFS, steps=3, size=8, checkpoint=tmp_path / "c.pt", **FAST)
    resumed = learn_policy(data, TFS, steps=6, size=8, resume=tmp_path / "c.pt", **FAST)
    assert _same(straight, resumed) and straight.history == resumed.history


def test_a_users_dataloader_is_rebatched_to_the_batch_size():
    images = [torch.from_numpy(_image(i, (3, 12, 12))) for i in range(10)]
    loader = torch.utils.data.DataLoader([(x, 0) for x in images], batch_size=3)
    seen = []
    policy = learn_policy(loader, TFS, steps=4,
                          callback=lambda learner: seen.append(learner.images_seen), **FAST)
    assert seen == [4, 8, 12, 16]  # batches of 4 from batches of 3, on into a second pass
    assert policy.metadata["training"]["data_shape"] == [10, 12, 12, 3]
    mixed = torch.utils.data.DataLoader([_image(i, (8 + i, 9)) for i in range(6)], batch_size=2,
                                        collate_fn=list)
    assert learn_policy(mixed, TFS, steps=2, size=6, **FAST).metadata["training"][
        "learning_size"] == [6, 6]


def test_labels_need_images_in_memory():
    with pytest.raises(ValueError, match="labels need the images in memory"):
        learn_policy(_Items([_image(i, (8, 8)) for i in range(8)]), TFS, steps=1,
                     labels=[0, 1] * 4, **FAST)


@pytest.mark.parametrize("size", [0, -3, 2.5, "64"])
def test_the_learning_size_is_a_positive_int(size):
    with pytest.raises(ValueError, match="size must be a positive int or None"):
        LearnConfig(size=size)


def test_tanda_learn_streams_a_folder_at_the_size_given(tmp_path, capsys):
    from tanda_transforms.cli import main

    folder = _mixed_folder(tmp_path / "images")
    out = tmp_path / "p.tanda"
    tiny = ["--steps", "2", "--seq-len", "2", "--batch-size", "4", "--set", "d_width=4",
            "--no-progress", "--threads", "1", "--workers", "0"]
    assert main(["learn", "--data", str(folder), *tiny, "--out", str(out)]) == 2
    assert "mixed sizes" in capsys.readouterr().err  # no --size: the error names it
    assert main(["learn", "--data", str(folder), "--size", "8", "--limit", "10", *tiny,
                 "--out", str(out)]) == 0
    assert "image files (streamed)" in capsys.readouterr().out
    training = TANDAPolicy.load(out).metadata["training"]
    assert training["learning_size"] == [8, 8] and training["data_shape"] == [10, 8, 8, 3]
    assert training["data_source"] == "folder"
