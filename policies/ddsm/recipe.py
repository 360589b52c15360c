"""Reproduces tanda_transforms/gallery/ddsm.tanda and its model card from mini-MIAS.

The paper's DDSM experiment learned sequences of generic and domain-specific TFs on
mammograms. The DDSM is not available here, so this policy is learned on the 322 mini-MIAS
films (unlabeled; resized to 128 x 128, which a 2-core CPU can afford), with the
"mammography" pack plus the domain TFs (lesion transplant from a pool of mini-MIAS lesions,
bounded exposure changes).

The lesion pool is not shipped (the MIAS licence allows research use, not redistribution):
the policy names the pool "mini-mias", which a user registers from their own copy:

    from tanda_transforms.domains import LesionPool, register_lesion_pool
    register_lesion_pool("mini-mias", LesionPool.from_mias("path/to/mini-mias", size=128))

Run from the repository root: python policies/ddsm/recipe.py [--data ../shared/data/mini-mias]
"""

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TFLibrary, learn_policy
from tanda_transforms.data import load_mias
from tanda_transforms.domains import LesionPool, domain_mammography_tfs, register_lesion_pool

ROOT = Path(__file__).resolve().parents[2]
SIZE, STEPS, SEED = 128, 150, 0


def main() -> None:
    parser = argparse.ArgumentParser(description="learn the gallery's ddsm policy")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/mini-mias")
    args = parser.parse_args()
    torch.set_num_threads(1)
    register_lesion_pool("mini-mias", LesionPool.from_mias(args.data, size=SIZE))
    films = load_mias(args.data, size=SIZE)
    images = np.stack([films[i]["image"] for i in range(len(films))])
    library = TFLibrary.pack("mammography") + domain_mammography_tfs("mini-mias")
    policy = learn_policy(
        images,
        library,
        generator="lstm",
        seq_len=10,
        seed=SEED,
        steps=STEPS,
        batch_size=16,
        d_width=16,
        progress=False,
    )
    policy.metadata["data"] = f"mini-MIAS, all {len(images)} films, {SIZE} x {SIZE}, unlabeled"
    policy.save(ROOT / "tanda_transforms" / "gallery" / "ddsm.tanda")
    note = (
        f"The mammography pack plus the domain-specific TFs (lesion transplant, bounded "
        f"exposure), learned adversarially on the 322 mini-MIAS films ({SIZE} x {SIZE}, "
        "unlabeled). The "
        "DDSM itself is not available here: despite its name, this policy has never seen "
        "a DDSM image. Applying it needs the lesion pool 'mini-mias' registered (see "
        "policies/ddsm/recipe.py)."
    )
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "policies" / "make_card.py"),
            "ddsm",
            "--data",
            str(args.data),
            "--reader",
            "mias",
            "--size",
            str(SIZE),
            "--note",
            note,
            "--pool-from-mias",
            str(args.data),
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
