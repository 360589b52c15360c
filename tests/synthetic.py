"""Small labeled image sets that tests make (no dataset files needed)."""

from __future__ import annotations

import numpy as np


def left_right(n: int, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 images: class 0 has a bright left half, class 1 a bright right half, both
    over noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    images = rng.integers(0, 60, (n, size, size), dtype=np.uint8)
    images[labels == 0, :, : size // 2] += 150
    images[labels == 1, :, size // 2 :] += 150
    return images, labels
