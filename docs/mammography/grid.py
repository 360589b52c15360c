"""Draw ``docs/mammography/domain_tfs.png``: real mini-MIAS films before and after each
domain-specific TF.

Run ``python docs/mammography/grid.py [--mias /work/shared/data/mini-mias]`` (about 20 s;
needs matplotlib). The lesion pool is cut from every located abnormality of the abnormal
films (``LesionPool.from_mias``); lesions are transplanted into normal films of each tissue
type (fatty, fatty-glandular, dense). TFs run on the full 1024 x 1024 films; panels show
them downsampled to 256 px, and for the first transplant a crop around the lesion before and
after, with the same draw blended both ways (Poisson and superposed). Changed regions of the
transplants are outlined in red.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402

from tanda_transforms.data import load_mias  # noqa: E402
from tanda_transforms.domains import (  # noqa: E402
    LesionPool,
    domain_mammography_tfs,
    register_lesion_pool,
)

OUT = Path(__file__).with_name("domain_tfs.png")
PANEL = 256
CROP = 160  # smallest side of the zoomed crop around the first transplanted lesion
SEEDS = {"F": 3, "G": 1, "D": 2}  # per tissue type: which normal film (in file order)
TISSUES = {"F": "fatty", "G": "fatty-glandular", "D": "dense"}


def box_of(changed: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.nonzero(changed)
    if not len(rows):
        return None
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def small(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, (PANEL, PANEL), interpolation=cv2.INTER_AREA)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mias", default="/work/shared/data/mini-mias")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()

    films = load_mias(args.mias)
    pool = LesionPool.from_mias(films)
    register_lesion_pool("mias", pool, replace=True)
    tfs = domain_mammography_tfs("mias")
    titles = [
        "original",
        "lesion_transplant",
        "lesion_transplant\nscale_range=0.5",
        "lesion_transplant\nblend='superpose'",
        "mammo_exposure\ncontrast=0.8",
        "mammo_exposure\ncontrast=1.25",
        "mammo_exposure\nbrightness=-0.1",
        "mammo_exposure\nbrightness=+0.1",
        "zoom\nbefore",
        "zoom\nblend='poisson'",
        "zoom\nblend='superpose'",
    ]
    rows = []
    for tissue, which in SEEDS.items():
        normal = [
            i for i, r in enumerate(films.records) if r.label == "normal" and r.tissue == tissue
        ]
        index = normal[which]
        film = films[index]["image"]
        # The two blends get the same draw (same lesion, place, angle) so they compare.
        seeds = [10 * index, 10 * index + 1, 10 * index] + [10 * index + k for k in range(3, 7)]
        outs = [tf(film, np.random.default_rng(seed)) for tf, seed in zip(tfs, seeds, strict=True)]
        boxes = [
            box_of(out != film) if tf.op == "lesion_transplant" else None
            for tf, out in zip(tfs, outs, strict=True)
        ]
        first = boxes[0]
        cy, cx = (first[0] + first[1]) // 2, (first[2] + first[3]) // 2
        half = max(CROP // 2, (max(first[1] - first[0], first[3] - first[2]) + 24) // 2)
        y0 = int(np.clip(cy - half, 0, film.shape[0] - 2 * half))
        x0 = int(np.clip(cx - half, 0, film.shape[1] - 2 * half))
        crop = (slice(y0, y0 + 2 * half), slice(x0, x0 + 2 * half))
        panels = [small(film)] + [small(o) for o in outs]
        panels += [small(film[crop]), small(outs[0][crop]), small(outs[2][crop])]
        label = f"{films.records[index].ref} ({TISSUES[tissue]})"
        rows.append((label, panels, [None] + boxes + [None, None, None]))

    fig, axes = plt.subplots(len(rows), len(titles), figsize=(1.8 * len(titles), 2.0 * len(rows)))
    scale = PANEL / 1024
    for r, (label, panels, boxes) in enumerate(rows):
        for c, (panel, box) in enumerate(zip(panels, boxes, strict=True)):
            ax = axes[r, c]
            ax.imshow(panel, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if box is not None:
                y0, y1, x0, x1 = (v * scale for v in box)
                pad = 3
                ax.add_patch(
                    plt.Rectangle(
                        (x0 - pad, y0 - pad),
                        x1 - x0 + 2 * pad,
                        y1 - y0 + 2 * pad,
                        fill=False,
                        color="red",
                        lw=0.8,
                    )
                )
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
            if c == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.suptitle(
        f"Domain-specific TFs on normal mini-MIAS films (pool: {len(pool)} lesions cut from "
        "the abnormal films; red: transplanted region)",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97), pad=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=110)
    plt.close(fig)
    # A palette of 255 greys and red keeps the PNG small without posterising the films.
    palette = PIL.Image.new("P", (1, 1))
    palette.putpalette([v for g in range(255) for v in (g, g, g)] + [255, 0, 0])
    rgb = PIL.Image.open(buffer).convert("RGB")
    image = rgb.quantize(palette=palette, dither=PIL.Image.Dither.NONE)
    image.save(args.out, optimize=True)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
