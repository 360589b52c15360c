"""``tanda apply``: write augmented copies of every image in a folder, dtype kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tanda_transforms.cli.common import (
    CliError,
    Formatter,
    add_pool_options,
    load_policy,
    non_negative_int,
    pool_from_args,
    positive_int,
    prepare_policy_pools,
    wrap,
)

#: The one-line help of ``tanda apply`` (``tanda --help``).
HELP = "write augmented copies of every image in a folder"


def add_parser(sub) -> None:
    p = sub.add_parser(
        "apply",
        help=HELP,
        formatter_class=Formatter,
        description=wrap("Read every image in IN_DIR (not sub-folders; .png .jpg .jpeg .bmp .tif "
        ".tiff .pgm .ppm, 8 and 16 bit kept), apply the policy --copies times, and write "
        "OUT_DIR/<name>_<k>.png for k = 0 .. copies-1, in the image's dtype (16-bit PNG for "
        "uint16; float32 images are written as <name>_<k>.tiff)."),
    )
    p.add_argument("policy", metavar="POLICY", help="a .tanda file or a gallery policy name")
    p.add_argument("in_dir", metavar="IN_DIR", help="folder of images to augment")
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder for the copies (created if missing)")
    p.add_argument("--copies", type=positive_int, default=1, help="augmented copies per image")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the policy")
    add_pool_options(p)


def run(args: argparse.Namespace) -> int:
    """``tanda apply``: augmented copies of a folder of images, dtype kept.

    An image file that cannot be decoded is skipped with one line on stderr; the others are
    written, and the command then exits with status 1 and the count of skipped files.
    """
    from tanda_transforms.data import image_files

    pool = pool_from_args(args)
    policy = load_policy(args.policy, args.seed)
    if policy.library.modality == "text":
        raise CliError("tanda apply augments folders of images; a text policy is called on "
                       "sentences in Python (TANDAPolicy.load(...)(sentence))")
    prepare_policy_pools(policy, args.policy, args, pool)
    paths = image_files(args.in_dir)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    skipped = [path.name for path in paths if not _apply_to_file(policy, path, out, args.copies)]
    done = len(paths) - len(skipped)
    print(f"wrote {done * args.copies} images ({done} x {args.copies}) to {out}")
    if skipped:
        print(f"tanda: {len(skipped)} of {len(paths)} image files could not be read and were "
              f"skipped: {', '.join(skipped[:5])}{', ...' if len(skipped) > 5 else ''}",
              file=sys.stderr)
        return 1
    return 0


def _apply_to_file(policy, path: Path, out: Path, copies: int) -> bool:
    """Write ``copies`` augmented copies of one file; ``False`` if it cannot be decoded."""
    import cv2

    from tanda_transforms.data import read_image

    try:
        image = read_image(path)
    except ValueError:
        print(f"tanda: skipped {path.name}: cannot decode it as an image", file=sys.stderr)
        return False
    suffix = ".tiff" if image.dtype == np.float32 else ".png"
    for k in range(copies):
        try:
            result = policy(image)
        except ValueError as err:
            raise CliError(f"{path.name}: {err}") from None
        target = out / f"{path.stem}_{k}{suffix}"
        if not cv2.imwrite(str(target), _to_file_layout(np.ascontiguousarray(result))):
            raise CliError(f"could not write {target}")
    return True


def _to_file_layout(image: np.ndarray) -> np.ndarray:
    import cv2

    if image.ndim == 3 and image.shape[-1] == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if image.ndim == 3 and image.shape[-1] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    return image
