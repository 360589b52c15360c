"""First-hour frictions of the ``tanda`` command (issue 25, item 4)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from tanda_transforms.cli import main


def _corrupt_png(path: Path) -> None:
    """A PNG whose header is intact and whose data is zeroed: OpenCV warns and returns None."""
    ok, buffer = cv2.imencode(".png", np.arange(64 * 64, dtype=np.uint8).reshape(64, 64))
    data = bytearray(buffer.tobytes())
    data[40:60] = bytes(20)
    path.write_bytes(bytes(data))


def test_apply_skips_a_corrupt_image_in_one_line_writes_the_rest_and_fails(tmp_path,
                                                                           capfd) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    for name in ("a.png", "c.png"):
        cv2.imwrite(str(folder / name), np.full((16, 16), 100, np.uint8))
    _corrupt_png(folder / "b.png")
    (folder / "d.jpg").write_bytes(b"not a jpeg at all")
    assert main(["apply", "example", str(folder), str(out), "--copies", "2"]) == 1
    captured = capfd.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["a_0.png", "a_1.png", "c_0.png", "c_1.png"]
    assert "wrote 4 images (2 x 2)" in captured.out
    assert captured.err.splitlines() == [
        "tanda: skipped b.png: cannot decode it as an image",
        "tanda: skipped d.jpg: cannot decode it as an image",
        "tanda: 2 of 4 image files could not be read and were skipped: b.png, d.jpg",
    ]  # and nothing from OpenCV itself


def _python_blocks(markdown: str) -> list[str]:
    return [block.split("```", 1)[0] for block in markdown.split("```python\n")[1:]]


def test_the_lesion_pool_guide_is_installed_and_its_own_images_example_runs(tmp_path,
                                                                            monkeypatch) -> None:
    from tanda_transforms.domains import LesionPool
    from tanda_transforms.domains.pool_setup import LESION_POOL_GUIDE, missing_pool_message

    text = LESION_POOL_GUIDE.read_text()
    assert "peipa.essex.ac.uk" in text and "Info.txt" in text and "bottom-left" in text
    assert str(LESION_POOL_GUIDE) in missing_pool_message("ddsm", "mini-mias")
    monkeypatch.chdir(tmp_path)
    exec(_python_blocks(text)[-1], {})  # the "pool from your own images" example
    pool = LesionPool.load(tmp_path / "my_pool.npz")
    patch, mask = pool[0]
    assert patch.shape == mask.shape == (23, 23) and mask.sum() == 113  # a disc of radius 6
    assert mask[11, 11] and patch[11, 11] == 200 and not mask[0, 0]


def test_distance_from_uniform_is_the_exact_kl_of_a_mean_field_policy() -> None:
    from tanda_transforms import TF, MeanFieldSampler, TANDAPolicy
    from tanda_transforms.policy_stats import distance_from_uniform

    logits = [0.0, 1.0, 2.0, -1.0]
    library = [TF("hflip"), TF("vflip"), TF("invert"), TF("rotate", degrees=5)]
    policy = TANDAPolicy(library, MeanFieldSampler(4, logits=logits), seq_len=3)
    p = np.exp(logits) / np.exp(logits).sum()
    d = distance_from_uniform(policy, n=64)
    assert np.isclose(d.kl, float((p * np.log(p * 4)).sum()), rtol=1e-9)
    assert np.isclose(d.top, p.max(), rtol=1e-9) and d.uniform == 0.25 and d.tfs == 4


def test_learn_says_how_far_the_policy_moved_and_warns_when_it_barely_did(tmp_path,
                                                                         capsys) -> None:
    from tanda_transforms.cli import training as cli_training

    np.save(tmp_path / "tiny.npy", np.random.default_rng(0).integers(0, 256, (12, 16, 16),
                                                                         dtype=np.uint8))
    argv = ["learn", "--data", str(tmp_path / "tiny.npy"), "--steps", "2", "--seq-len", "2",
            "--set", "d_width=4", "--no-progress", "--threads", "1",
            "--out", str(tmp_path / "p.tanda")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "distance from uniform: KL 0.0" in captured.out  # two steps barely move it
    assert "warning: after 2 steps the policy is still close to uniform" in captured.err
    assert captured.err.startswith("warning: 2 steps; in measured runs the policy was still "
                                   "near uniform after 75 steps: give --steps 100 or more")

    from tanda_transforms import TF, MeanFieldSampler, TANDAPolicy

    sharp = TANDAPolicy([TF("hflip"), TF("vflip")], MeanFieldSampler(2, logits=[0.0, 3.0]),
                        seq_len=2, metadata={"training": {"steps": 500}})
    cli_training.print_distance(sharp)
    captured = capsys.readouterr()
    assert "distance from uniform: KL 0.5" in captured.out and captured.err == ""


def test_show_says_what_its_originals_are_and_titles_the_picture(tmp_path, capsys,
                                                                 monkeypatch) -> None:
    from tanda_transforms import TANDAPolicy
    from tanda_transforms.picture import LINE_HEIGHT, NOTES_WIDTH

    png = tmp_path / "g.png"
    assert main(["show", "cifar10", "--out", str(png), "--n", "2", "--samples", "50"]) == 0
    out = capsys.readouterr().out
    assert "originals: SYNTHETIC pictures" in out and "not reachable here" in out
    grid = cv2.imread(str(png))
    title, notes = grid[: 3 * LINE_HEIGHT], grid[3 * LINE_HEIGHT + 30:, -NOTES_WIDTH + 8:]
    assert (title > 100).any(axis=(0, 2)).sum() > 200  # three lines of writing
    assert (notes > 100).any()  # the rows' TFs

    # a policy learned from a file in the current directory is shown on that file's images
    digits = np.full((4, 16, 16), 200, np.uint8)
    monkeypatch.chdir(tmp_path)
    np.save("mine.npy", digits)
    policy = TANDAPolicy("mnist", seq_len=2, metadata={
        "data": "mine.npy (npy, 4 images); 2 batches of 16 seen (32 images, shuffled)"})
    policy.save("p.tanda")
    assert main(["show", "p.tanda", "--out", "g2.png", "--n", "2", "--samples", "50"]) == 0
    assert "originals: the policy's own training data, read from ./mine.npy" in (
        capsys.readouterr().out)
    first_tile = cv2.imread("g2.png", cv2.IMREAD_GRAYSCALE)[3 * LINE_HEIGHT + 30:, 10:60]
    assert (first_tile == 200).any()  # the file's grey squares, not MNIST digits
