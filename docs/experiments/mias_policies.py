"""Learn the mammography policies of the end-model experiment on training patients only.

The end-model task (``tanda evaluate --dataset mias``) uses 64 x 64 patches cut from 128 x 128
windows of the 1024 x 1024 mini-MIAS films (half scale), split by patient. Here:

- the unlabeled training patches (test patients never enter) are the learning data;
- the lesion pool for ``lesion_transplant`` is cut from training patients' films only, at
  the patches' scale (films at 512 x 512), and saved as ``docs/experiments/policies/
  mias_train_pool.npz`` (not committed: the MIAS licence allows research use, not
  redistribution; this script recreates it). The policies name that path relative to the
  repository root, so run the evaluation from there;
- TFs: the "mammography" pack plus the domain-specific TFs, as in the paper's DDSM setting.

    python docs/experiments/mias_policies.py [--data ../shared/data/mini-mias] [--steps 150]

writes ``mias_mf.tanda`` and ``mias_lstm.tanda`` beside the pool. ``--with-labels`` learns them
with the label term too (issue 27; ``mias_{mf,lstm}_labels{suffix}.tanda``): the labels of the
patches that train the end model in the validation protocol's selection split (seed 0: the
training patients outside its 20 % validation patients), every other patch unlabeled, so the
validation labels that choose among candidates never reach learning; ``label_weight`` at its
default 1 (fixed before any run; ``--label-weight W`` for another, chosen on validation by
validated_mias_labels.sh). It prints what the term pushed down (the mean KL of the
classifier's prediction per application of each TF): how well each TF keeps the label.
``--wide-defaults`` instead learns what a user following the defaults gets:
``learn_policy(patches, "wide", seed=0)`` (LSTM, L = 10, one pass, saved with p 0.5), written
as ``mias_wide_lstm.tanda``. ``--tune-wide`` then tunes that file as a user with the training
patients' labels would: ``tune_policy`` at its defaults (seed 0) on the labeled
training-patient patches, written as ``mias_wide_lstm_tuned.tanda`` (test patients never
enter); ``--tune-crop PAD`` tunes it after the crop and flip the end model composes it after
(``tanda tune --crop PAD --flip``), written as ``mias_wide_lstm_tuned_crop{PAD}.tanda``.
``--wide-epochs E`` (with either) learns, or tunes, the run docs/your-data.md advises on small
data instead: ``epochs=E`` (15: 314 steps, about the 300 it asks for), files
``mias_wide_lstm_e{E}*.tanda``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TANDAPolicy, TFLibrary, learn_policy, tune_policy
from tanda_transforms.domains import LesionPool, domain_mammography_tfs
from tanda_transforms.evaluation import load_task
from tanda_transforms.evaluation.mias import mias_patches, split_by_patient
from tanda_transforms.evaluation.selection import protocol_labels
from tanda_transforms.generator_kinds import generator_kind, generator_names
from tanda_transforms.labels import label_lines

ROOT = Path(__file__).resolve().parents[2]
OUT = Path("docs/experiments/policies")
POOL = OUT / "mias_train_pool.npz"


def training_pool(data: Path, train_patients: set[int]) -> LesionPool:
    full = LesionPool.from_mias(data, size=512)
    keep = [i for i, ref in enumerate(full.refs)
            if (int(ref.split()[0][3:]) + 1) // 2 in train_patients]
    return LesionPool([full.patches[i] for i in keep], [full.masks[i] for i in keep],
                      refs=[full.refs[i] for i in keep],
                      white_levels=[full.white_levels[i] for i in keep])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/mini-mias")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--generators", nargs="+", default=["mean_field", "lstm"],
                        choices=generator_names())
    parser.add_argument("--d-lr", type=float, default=1e-5,
                        help="discriminator learning rate (1e-5: LearnConfig's default when "
                        "the committed policies were learned)")
    parser.add_argument("--pool-only", action="store_true",
                        help="write the training-patient lesion pool and stop (what "
                        "evaluating the committed mias policies needs)")
    parser.add_argument("--suffix", default="",
                        help="appended to the file names, e.g. _dlr1e-4 -> mias_lstm_dlr1e-4.tanda")
    parser.add_argument("--with-labels", action="store_true",
                        help="learn with the labels of the selection split's training "
                        "patients (the label term, weighted by --label-weight)")
    parser.add_argument("--label-weight", type=float, default=1.0,
                        help="with --with-labels: LearnConfig.label_weight (other than 1: "
                        "files mias_{mf,lstm}_labels_w{W}.tanda)")
    parser.add_argument("--wide-defaults", action="store_true",
                        help="learn the wide pack at learn_policy's defaults instead")
    parser.add_argument("--tune-wide", action="store_true",
                        help="tune mias_wide_lstm.tanda at tune_policy's defaults on the "
                        "labeled training-patient patches instead")
    parser.add_argument("--wide-epochs", type=float, metavar="E",
                        help="with --wide-defaults / --tune-wide: learn (tune) E epochs")
    parser.add_argument("--tune-crop", type=int, metavar="PAD",
                        help="with --tune-wide: tune after a PAD-pixel crop and a flip")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, _ = split_by_patient(mias_patches(args.data), test_fraction=0.25, seed=0)
    pool = training_pool(args.data, set(train.patients.tolist()))
    (ROOT / OUT).mkdir(parents=True, exist_ok=True)
    pool.save(ROOT / POOL)
    print(f"pool: {len(pool)} lesions of training patients -> {POOL}")
    if args.pool_only:
        return
    if args.tune_wide:
        tune_wide(train, args.tune_crop, wide_name(args.wide_epochs))
        return
    if args.wide_defaults:
        epochs = {} if args.wide_epochs is None else {"epochs": args.wide_epochs}
        save(learn_policy(train.images, "wide", seed=0, progress=False, **epochs), train,
             wide_name(args.wide_epochs))
        return
    library = TFLibrary.pack("mammography") + domain_mammography_tfs(str(POOL))
    labels = selection_labels(args.data, train.images) if args.with_labels else None
    for generator in args.generators:
        policy = learn_policy(train.images, library, generator=generator, seq_len=10, seed=0,
                              steps=args.steps, batch_size=16, d_width=16, d_lr=args.d_lr,
                              progress=False, labels=labels,
                              **({"label_weight": args.label_weight} if labels is not None else {}))
        name = generator_kind(generator).short + labels_suffix(args)
        save(policy, train, name + args.suffix)
        if args.with_labels:
            print("\n".join(label_lines(policy.metadata["training"]["labels"], top=31)))


def labels_suffix(args: argparse.Namespace) -> str:
    """``""``, ``"_labels"`` or ``"_labels_w{W}"`` (a label weight other than 1)."""
    if not args.with_labels:
        return ""
    return "_labels" + ("" if args.label_weight == 1 else f"_w{args.label_weight:g}")


def selection_labels(data: Path, images: np.ndarray) -> np.ndarray:
    """The training pool's labels where the validation protocol's selection split (seed 0,
    20 % of the patients held out, as ``tanda evaluate --select-on-validation``) trains the
    end model; -1 (unlabeled) on its validation patients. ``images``: the pool learning reads,
    checked to be the harness's, item for item."""
    task = load_task("mias", data)
    if not np.array_equal(task.train_images, images):
        raise SystemExit("the harness's mias training pool is not the one learned from")
    labels = protocol_labels(task.train_labels, 1.0, 0, val_size=0, val_fraction=0.2,
                             groups=task.groups)
    labeled = labels[labels >= 0]
    print(f"labels: {len(labeled)} of {len(labels)} training patches "
          f"({np.bincount(labeled).tolist()} per class); the rest unlabeled")
    return labels


def wide_name(epochs: float | None) -> str:
    """``wide_lstm``, or ``wide_lstm_e{epochs}`` for a run of ``epochs`` passes."""
    return "wide_lstm" if epochs is None else f"wide_lstm_e{epochs:g}"


def tune_wide(train, crop: int | None = None, name: str = "wide_lstm") -> None:
    """``mias_{name}.tanda`` tuned at ``tune_policy``'s defaults on ``train``'s labels
    (after a ``crop``-pixel pad-crop and a flip when ``crop`` is given)."""
    from tanda_transforms.evaluation import PadCropFlip
    from tanda_transforms.tune_command import print_choice, report_run

    policy = TANDAPolicy.load(ROOT / OUT / f"mias_{name}.tanda")
    base = None if crop is None else PadCropFlip(crop, flip=True)
    tuned = tune_policy(policy, train.images, train.labels, threads=1, progress=report_run,
                        base=base)
    print_choice(tuned.metadata["tuning"])
    suffix = "" if crop is None else f"_crop{crop}"
    tuned.save(ROOT / OUT / f"mias_{name}_tuned{suffix}.tanda")


def save(policy, train, name: str) -> None:
    """Write ``policy`` as ``mias_{name}.tanda`` beside the pool, with what it learned from."""
    policy.metadata["data"] = (f"mini-MIAS training-patient patches ({len(train.images)} "
                               f"x {train.images.shape[1:]}), unlabeled")
    policy.metadata["recipe"] = "python docs/experiments/mias_policies.py"
    policy.save(ROOT / OUT / f"mias_{name}.tanda")
    training = policy.metadata["training"]
    print(f"mias_{name}: {training['steps']} steps, {training['wall_time_s']} s")


if __name__ == "__main__":
    main()
