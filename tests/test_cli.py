"""Tests of the ``tanda`` command (in-process through ``main``, plus one subprocess run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from tanda_transforms import TANDAPolicy, TFLibrary, cli
from tanda_transforms.cli import guess_reader, main, parse_overrides
from tanda_transforms.show import grid_size, sample_grid, summarise

TINY = ["--steps", "2", "--seq-len", "2", "--set", "d_width=4", "--no-progress"]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The networks here are tiny: one thread is as fast, and far faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def tiny_npy(tmp_path: Path) -> Path:
    images = np.random.default_rng(0).integers(0, 256, (12, 16, 16), dtype=np.uint8)
    path = tmp_path / "tiny.npy"
    np.save(path, images)
    return path


def _read_png(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, f"{path} is not a readable image"
    return image


def test_learn_npy_writes_loadable_policy(tiny_npy: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "sub" / "p.tanda"
    assert main(["learn", "--data", str(tiny_npy), *TINY, "--out", str(out)]) == 0
    policy = TANDAPolicy.load(out, seed=0)
    assert policy.seq_len == 2
    assert policy.library == TFLibrary.pack("mnist")  # auto: grayscale -> mnist pack
    training = policy.metadata["training"]
    assert training["steps"] == 2 and training["data_shape"] == [12, 16, 16]
    assert training["config"]["d_width"] == 4
    assert policy(np.zeros((16, 16), np.uint8)).shape == (16, 16)
    text = capsys.readouterr().out
    assert f"policy written to {out}" in text
    assert "wall time:" in text and "top 10 TF probabilities" in text


def test_learn_npz_uses_images_key_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    images = np.random.default_rng(1).integers(0, 256, (9, 16, 16), dtype=np.uint8)
    np.savez(path, labels=np.arange(9), images=images)
    out = tmp_path / "p.tanda"
    argv = ["learn", "--data", str(path), "--limit", "5", *TINY, "--out", str(out)]
    assert main(argv) == 0
    assert TANDAPolicy.load(out).metadata["training"]["data_shape"] == [5, 16, 16]


def test_learn_folder_of_pngs(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for k in range(6):
        cv2.imwrite(str(folder / f"im{k}.png"), rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    (folder / "notes.txt").write_text("not an image")
    out = tmp_path / "p.tanda"
    assert main(["learn", "--data", str(folder), *TINY, "--generator", "gru",
                 "--out", str(out)]) == 0
    policy = TANDAPolicy.load(out)
    assert policy.library == TFLibrary.pack("cifar10")  # auto: 3 channels -> cifar10 pack
    assert policy.sampler.config()["kind"] == "gru"
    assert policy.metadata["training"]["data_shape"] == [6, 16, 16, 3]


def test_learn_checkpoint_and_resume(tiny_npy: Path, tmp_path: Path) -> None:
    ckpt, out = tmp_path / "run.ckpt", tmp_path / "p.tanda"
    base = ["learn", "--data", str(tiny_npy), "--seq-len", "2", "--set", "d_width=4",
            "--no-progress", "--out", str(out)]
    assert main([*base, "--steps", "2", "--checkpoint", str(ckpt)]) == 0
    assert ckpt.is_file()
    assert main([*base, "--steps", "3", "--resume", str(ckpt)]) == 0
    assert TANDAPolicy.load(out).metadata["training"]["steps"] == 3


def test_learn_without_data_uses_shipped_mnist(tmp_path: Path) -> None:
    out = tmp_path / "p.tanda"
    assert main(["learn", "--steps", "1", "--seq-len", "2", "--set", "d_width=4",
                 "--threads", "2", "--no-progress", "--out", str(out)]) == 0
    assert torch.get_num_threads() == 2  # the fixture puts it back
    training = TANDAPolicy.load(out).metadata["training"]
    assert training["data_shape"] == [500, 28, 28]
    assert training["config"]["batch_size"] == 16  # the demo's batch size


def test_show_prints_probabilities_and_writes_grid(tmp_path: Path, capsys) -> None:
    png = tmp_path / "grid.png"
    assert main(["show", "example", "--out", str(png), "--n", "3", "--top", "4"]) == 0
    text = capsys.readouterr().out
    assert "TF probabilities per step" in text
    assert "rotate(degrees=-10.0)  " in text and "0.0400" in text
    assert "most frequent sequences among 2000 sampled" in text
    assert "description: uniform (heuristic) sampler" in text
    grid = _read_png(png)
    # example is an mnist-pack policy: 28 x 28 digits enlarged 4x to 112-pixel tiles
    assert grid.shape == (*grid_size(3, 3, 112, 112), 3) and grid.dtype == np.uint8


def test_show_with_images_of_a_learned_colour_policy(tmp_path: Path) -> None:
    policy_path = tmp_path / "c.tanda"
    TANDAPolicy("cifar10", seq_len=2).save(policy_path)
    images = np.random.default_rng(3).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    np.save(tmp_path / "imgs.npy", images)
    png = tmp_path / "grid.png"
    argv = ["show", str(policy_path), "--images", str(tmp_path / "imgs.npy"), "--n", "2",
            "--out", str(png)]
    assert main(argv) == 0
    assert _read_png(png).shape == (*grid_size(2, 2, 96, 96), 3)


def test_apply_writes_copies_and_keeps_dtype(tmp_path: Path, capsys) -> None:
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    rng = np.random.default_rng(4)
    deep = rng.integers(0, 65536, (20, 20), dtype=np.uint16)
    cv2.imwrite(str(src / "deep.png"), deep)
    cv2.imwrite(str(src / "colour.png"), rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    assert main(["apply", "example", str(src), str(dst), "--copies", "2"]) == 0
    assert sorted(p.name for p in dst.iterdir()) == [
        "colour_0.png", "colour_1.png", "deep_0.png", "deep_1.png"]
    for k in range(2):
        out16 = _read_png(dst / f"deep_{k}.png")
        assert out16.dtype == np.uint16 and out16.shape == (20, 20)
        out8 = _read_png(dst / f"colour_{k}.png")
        assert out8.dtype == np.uint8 and out8.shape == (20, 20, 3)
    assert "wrote 4 images" in capsys.readouterr().out


def test_gallery_lists_example(capsys) -> None:
    assert main(["gallery"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["name", "data", "TFs", "L", "generator"]
    row = next(line for line in lines if line.startswith("example "))
    assert "mnist pack (25 TFs)" in row and " 3 " in row and "mean_field" in row
    assert row.split()[1] == "-"  # the example records no training data


def test_demo_writes_policy_and_picture(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(cli, "DEMO_BATCH_SIZE", 4)  # the demo's own size is slow for a test
    out = tmp_path / "demo"
    assert main(["demo", "--steps", "2", "--out-dir", str(out), "--no-progress"]) == 0
    policy = TANDAPolicy.load(out / "policy.tanda")
    assert policy.seq_len == 10 and policy.sampler.config()["kind"] == "lstm"
    assert policy.library == TFLibrary.pack("mnist")
    assert policy.metadata["training"]["steps"] == 2
    assert _read_png(out / "policy.png").shape == (*grid_size(8, 8, 112, 112), 3)
    text = capsys.readouterr().out
    assert "TF probabilities per step" in text and "training: generator=lstm, steps=2" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["learn", "--data", "{tmp}/missing.npy"], "data not found"),
        (["learn", "--data", "{npy}", "--tfs", "nope", *TINY], "unknown TF pack 'nope'"),
        (["learn", "--set", "nonsense"], "--set expects key=value"),
        (["learn", "--set", "bogus=1"], "not a LearnConfig field"),
        (["learn", "--set", "gamma=2"], "gamma must be in [0, 1]"),
        (["learn", "--steps", "3", "--set", "steps=4"], "steps given twice"),
        (["learn", "--data", "{tmp}/bad.npy"], "cannot read as a numpy file"),
        (["learn", "--data", "{tmp}/float.npy", *TINY], "float32"),
        (["show", "no-such-policy"], "no gallery policy of that name"),
        (["apply", "example", "{tmp}/missing", "{tmp}/out"], "input folder not found"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, message, tiny_npy, tmp_path, capsys) -> None:
    (tmp_path / "bad.npy").write_text("not numpy")
    np.save(tmp_path / "float.npy", np.full((3, 8, 8), 2.0, np.float32))  # out of [0, 1]
    argv = [a.format(tmp=tmp_path, npy=tiny_npy) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tanda: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "files", "message"),
    [
        (["learn", "--data", "{npy}", "--tfs", "{tmp}/tfs.json", *TINY],
         {"tfs.json": '[{"op": "rotate", "args": {"degrees": 1e9}}]'},
         "not a list of valid TF specs: TF rotate: argument 'degrees' must be in [-360, 360]"),
        (["learn", "--data", "{tmp}/images", *TINY], {"images/a.png": "not a png"},
         "cannot decode image"),
        (["apply", "example", "{tmp}/images", "{tmp}/out"], {"images/a.png": "not a png"},
         "cannot decode image"),
        (["evaluate", "--dataset", "mnist", "--data", "{tmp}", "--label-fraction", "2"], {},
         "bad evaluate option: label_fraction must be in (0, 1]"),
    ],
    ids=["tf-json", "learn-image", "apply-image", "evaluate-option"],
)
def test_input_errors_found_inside_the_library_are_usage_errors(
    argv, files, message, tiny_npy, tmp_path, capsys
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    assert main([a.format(tmp=tmp_path, npy=tiny_npy) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tanda: error: ") and message in err and err.count("\n") == 1


def test_resume_with_another_library_is_a_usage_error(tiny_npy, tmp_path, capsys) -> None:
    ckpt = tmp_path / "run.ckpt"
    base = ["learn", "--data", str(tiny_npy), *TINY, "--out", str(tmp_path / "p.tanda")]
    assert main([*base, "--checkpoint", str(ckpt)]) == 0
    assert main([*base, "--tfs", "cifar10", "--resume", str(ckpt)]) == 2
    assert "different TF library" in capsys.readouterr().err


def test_library_bugs_keep_their_traceback(monkeypatch, tiny_npy, tmp_path) -> None:
    # issue 13: main caught every ValueError / TypeError, so a bug read as a usage error
    import tanda_transforms.learn
    import tanda_transforms.show

    def broken_summary(*args, **kwargs):
        raise TypeError("a bug in summarise")

    monkeypatch.setattr(tanda_transforms.show, "summarise", broken_summary)
    with pytest.raises(TypeError, match="a bug in summarise"):
        main(["show", "example", "--out", str(tmp_path / "g.png")])

    def fails_while_learning(*args, callback, **kwargs):
        callback(None)  # one step done: the inputs were fine
        raise ValueError("a bug in a learning step")

    monkeypatch.setattr(tanda_transforms.learn, "learn_policy", fails_while_learning)
    with pytest.raises(ValueError, match="a bug in a learning step"):
        main(["learn", "--data", str(tiny_npy), *TINY, "--out", str(tmp_path / "p.tanda")])


def test_argparse_errors_and_help(capsys) -> None:
    assert main(["learn", "--steps", "0"]) == 2
    assert "expected a positive integer" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["show", "--help"]) == 0
    assert "--images" in capsys.readouterr().out


def test_parse_overrides_and_guess_reader(tmp_path: Path) -> None:
    assert parse_overrides(["d_lr=1e-5", "log-every=5", "alpha=1", "steps=none"]) == {
        "d_lr": 1e-5, "log_every": 5, "alpha": 1.0, "steps": None}
    mnist = tmp_path / "mnist"
    mnist.mkdir()
    (mnist / "train-images-idx3-ubyte.gz").write_bytes(b"")
    mias = tmp_path / "mias"
    mias.mkdir()
    (mias / "Info.txt").write_text("")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert guess_reader(mnist) == "mnist"
    assert guess_reader(mias) == "mias"
    assert guess_reader(plain) == "folder"
    assert guess_reader(tmp_path / "cifar10-jpeg.tar") == "cifar10"
    assert guess_reader(tmp_path / "x.npz") == "npy"


def test_show_helpers_leave_policy_stream_alone() -> None:
    policy = TANDAPolicy.load("example", seed=0)
    reference = TANDAPolicy.load("example", seed=0).sample_sequences(3)
    images = np.zeros((2, 16, 16), np.uint16)
    first = sample_grid(policy, images, n_aug=2, seed=5)
    assert np.array_equal(first, sample_grid(policy, images, n_aug=2, seed=5))
    assert summarise(policy, n_samples=10, top=1).startswith("policy: mnist pack")
    assert policy.sample_sequences(3) == reference


def test_module_runs_as_script() -> None:
    result = subprocess.run([sys.executable, "-m", "tanda_transforms.cli", "--help"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    for command in ("learn", "demo", "show", "apply", "gallery"):
        assert command in result.stdout


def test_lesion_pool_option_lets_a_policy_name_its_pool_file(tmp_path, capsys) -> None:
    # a policy file may only name registered pools; --lesion-pool registers a trusted file
    from tanda_transforms.domains import LesionPool, domain_mammography_tfs

    disc = (np.mgrid[:15, :15] - 7) ** 2
    mask = disc.sum(0) <= 25
    pool = str(tmp_path / "pool.npz")
    LesionPool([np.where(mask, 220, 150).astype(np.uint8)], [mask]).save(pool)
    policy = tmp_path / "p.tanda"
    TANDAPolicy(domain_mammography_tfs(pool)[:1], seq_len=1).save(policy)
    images = tmp_path / "in"
    images.mkdir()
    cv2.imwrite(str(images / "a.png"), np.full((64, 64), 120, np.uint8))
    argv = ["apply", str(policy), str(images), str(tmp_path / "out")]
    assert main(argv) == 2
    assert "may only name registered lesion pools" in capsys.readouterr().err
    try:
        assert main([*argv, "--lesion-pool", pool]) == 0
    finally:
        from tanda_transforms.domains import unregister_lesion_pool

        unregister_lesion_pool(pool)
    assert (tmp_path / "out" / "a_0.png").is_file()
