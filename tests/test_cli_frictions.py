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
