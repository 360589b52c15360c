"""Sharpness kept by a TF sequence: fused rendering (one resampling per geometric run) vs
step-by-step (every TF resamples on its own), on the 500 MNIST digits shipped with the package.

Sharpness is the variance of the Laplacian, output / input, averaged over the digits.

    python docs/experiments/sharpness.py
"""

from __future__ import annotations

import cv2
import numpy as np

from tanda_transforms import TANDAPolicy
from tanda_transforms.data import load_mnist_sample


def laplacian_variance(img: np.ndarray) -> float:
    return float(cv2.Laplacian(img.astype(np.float64), cv2.CV_64F).var())


def kept(originals, outputs) -> float:
    return float(np.mean([laplacian_variance(o) / laplacian_variance(i)
                          for i, o in zip(originals, outputs, strict=True)]))


def step_by_step(policy: TANDAPolicy, img: np.ndarray, actions, seed: int) -> np.ndarray:
    seeds = np.random.default_rng(seed).integers(0, 2**63, size=len(actions))
    for a, s in zip(actions, seeds, strict=True):
        img = policy.library[a](img, np.random.default_rng(int(s)))
    return img


def main() -> None:
    digits, _ = load_mnist_sample()
    uniform = TANDAPolicy("mnist", seq_len=10, seed=0)
    names = uniform.library.names
    alternating = [names.index("rotate(degrees=2.5)"), names.index("rotate(degrees=-2.5)")] * 5
    rows = []
    fused = [uniform.apply_sequence(d, alternating, seed=i) for i, d in enumerate(digits)]
    steps = [step_by_step(uniform, d, alternating, i) for i, d in enumerate(digits)]
    rows.append(("10 x alternating rotate(+-2.5)", kept(digits, steps), kept(digits, fused)))
    for name in ("mnist", "example"):
        policy = uniform if name == "example" else TANDAPolicy.load(name, seed=0)
        label = "uniform L=10 MNIST pack" if name == "example" else "gallery 'mnist'"
        draws = [policy.sample() for _ in digits]
        fused = [policy.compile(s, d.shape).apply(d) for s, d in zip(draws, digits, strict=True)]
        steps = [step_by_step(policy, d, s.actions, i)
                 for i, (s, d) in enumerate(zip(draws, digits, strict=True))]
        rows.append((label, kept(digits, steps), kept(digits, fused)))
    print(f"{'sequence':34s} {'step-by-step':>12s} {'fused':>8s}")
    for label, a, b in rows:
        print(f"{label:34s} {a:12.3f} {b:8.3f}")


if __name__ == "__main__":
    main()
