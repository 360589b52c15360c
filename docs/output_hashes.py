"""Output hashes of the built-in ops and policies on fixed inputs, to check a refactoring.

Prints one line per case, ``<what> <input> <sha1 prefix>``: every TF of the built-in packs
(and of the misspecification list, plus the random ops' other settings) applied per image to
a grey and an RGB uint8 image and an RGB float32 image with a fixed numpy generator; each pack
as a uniform policy (L = 3), batched (``policy.batched(seed=0)``) and per image (``seed=5``);
each image gallery policy batched and per image (``torch.manual_seed(11)``); the domain TF
``mammo_exposure``. A gallery policy that needs a lesion pool prints its error's name.

Run it on two checkouts and compare, e.g. before and after a change::

    PYTHONPATH=/path/to/main python docs/output_hashes.py > before.txt
    PYTHONPATH=. python docs/output_hashes.py > after.txt
    diff before.txt after.txt   # no output: the same seeds give the same outputs

About 20 s on one core.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from tanda_transforms import TF, TANDAPolicy, TFLibrary, available_ops, gallery_names
from tanda_transforms.tfs import PACKS, misspecified_tfs

RANDOM_OPS = [TF("cutout"), TF("cutout", size=0.5, fill=0.7), TF("pad_and_crop"),
              TF("pad_and_crop", padding=0.3), TF("gaussian_noise", std=0.1),
              TF("elastic", alpha=30.0, sigma=3.0), TF("identity")]
LIBRARIES = {**{name: make() for name, make in PACKS.items()},
             "random_ops": [*RANDOM_OPS, TF("hflip"), TF("invert")]}


def digest(array: np.ndarray | torch.Tensor) -> str:
    array = array.numpy() if isinstance(array, torch.Tensor) else np.asarray(array)
    return hashlib.sha1(np.ascontiguousarray(array).tobytes()).hexdigest()[:12]


def images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"u8_grey": rng.integers(0, 256, (20, 24), dtype=np.uint8),
            "u8_rgb": rng.integers(0, 256, (20, 24, 3), dtype=np.uint8),
            "f32_rgb": rng.random((20, 24, 3), dtype=np.float32)}


def batches(size: int) -> dict[str, torch.Tensor]:
    out = {}
    for name, channels, dtype in (("u8_rgb", 3, torch.uint8), ("u8_grey", 1, torch.uint8),
                                  ("f32_rgb", 3, torch.float32)):
        gen = torch.Generator().manual_seed(1)
        shape = (8, channels, size, size + 4)
        out[name] = (torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8)
                     if dtype == torch.uint8 else torch.rand(shape, generator=gen))
    return out


def per_image(policy: TANDAPolicy, batch: torch.Tensor) -> np.ndarray:
    layout = batch.permute(0, 2, 3, 1).numpy()
    return np.stack([policy(np.ascontiguousarray(img[..., 0] if img.shape[2] == 1 else img))
                     for img in layout])


def tf_lines() -> list[str]:
    tfs = list(dict.fromkeys([*(tf for lib in LIBRARIES.values() for tf in lib),
                              *misspecified_tfs()]))
    return [f"{tf!r} {name} {digest(tf(img, np.random.default_rng(7)))}"
            for tf in tfs for name, img in images().items()]


def policy_lines() -> list[str]:
    lines = []
    for name, tfs in LIBRARIES.items():
        library = TFLibrary(tfs)
        for kind, x in batches(20).items():
            batched = TANDAPolicy(library, seq_len=3).batched(seed=0)(x)
            lines.append(f"batched {name} {kind} {digest(batched)}")
            lines.append(f"per_image {name} {kind} "
                         f"{digest(per_image(TANDAPolicy(library, seq_len=3, seed=5), x))}")
    return lines


def gallery_lines() -> list[str]:
    lines = []
    for name in gallery_names():
        for kind, x in batches(24).items():
            try:
                policy = TANDAPolicy.load(name)
                if policy.library.modality != "image":
                    break
                lines.append(f"gallery_batched {name} {kind} "
                             f"{digest(policy.batched(seed=0)(x))}")
                torch.manual_seed(11)
                lines.append(f"gallery_per_image {name} {kind} "
                             f"{digest(per_image(TANDAPolicy.load(name), x))}")
            except Exception as error:  # a policy that needs a lesion pool: say so, go on
                lines.append(f"gallery {name} {kind} {type(error).__name__}")
    return lines


def domain_lines() -> list[str]:
    if "mammo_exposure" not in available_ops():
        return []
    tf = TF("mammo_exposure")
    return [f"{tf!r} {name} {digest(tf(img, np.random.default_rng(3)))}"
            for name, img in images().items()]


def main() -> None:
    torch.set_num_threads(1)
    print("\n".join([*tf_lines(), *policy_lines(), *gallery_lines(), *domain_lines()]))


if __name__ == "__main__":
    main()
