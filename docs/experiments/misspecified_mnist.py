"""The paper's misspecification experiment on real MNIST, and the speed measurement of issue 3.

Learns a policy on 10,000 unlabeled MNIST training digits (one pass, L = 10, batch 32) with the
paper's 25-TF MNIST pack plus 5 deliberately misspecified TFs (invert, brightness x4, heavy noise,
zoom x3, rotate 180 degrees), for the mean-field and the LSTM generator. Reports the learned TF
probabilities, the share the misspecified TFs keep (uniform: 5/30 = 16.7%), the wall time and
where it went (TF application, discriminator, generator); writes a bar plot and a JSON of the
figures next to this script's outputs.

    python docs/experiments/misspecified_mnist.py [--data ../shared/data/mnist] [--n 10000]

Needs the MNIST files (see ../shared/data/README.md); matplotlib for the plot.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TFLibrary, learn_policy
from tanda_transforms.data import load_mnist
from tanda_transforms.generator_kinds import generator_names
from tanda_transforms.tfs import misspecified_tfs

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "data" / "mnist"


def run(images: np.ndarray, generator: str, seed: int, overrides: dict) -> dict:
    library = TFLibrary.pack("mnist") + misspecified_tfs()
    started = time.perf_counter()
    policy = learn_policy(images, library, generator=generator, seq_len=10, seed=seed, **overrides)
    wall = time.perf_counter() - started
    probs = policy.sampler.tf_probabilities(
        seq_len=10, n=20000, generator=torch.Generator().manual_seed(0)
    )
    n_bad = len(misspecified_tfs())
    return {
        "generator": generator,
        "names": library.names,
        "probabilities": [round(float(p), 5) for p in probs],
        "misspecified_share": round(float(probs[-n_bad:].sum()), 5),
        "uniform_share": round(n_bad / len(library), 5),
        "wall_time_s": round(wall, 1),
        "timing_s": policy.metadata["training"]["timing_s"],
        "steps": policy.metadata["training"]["steps"],
        "final_d_acc": policy.history["d_acc"][-1],
        "history": policy.history,
    }


def plot(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = results[0]["names"]
    n_bad = len(misspecified_tfs())
    fig, ax = plt.subplots(figsize=(12, 4.5))
    width = 0.8 / len(results)
    x = np.arange(len(names))
    for i, res in enumerate(results):
        ax.bar(x + i * width, res["probabilities"], width, label=res["generator"])
    ax.axhline(1 / len(names), color="grey", ls="--", lw=1, label="uniform")
    ax.axvspan(
        len(names) - n_bad - 0.5,
        len(names) - 0.5 + 0.8,
        color="red",
        alpha=0.08,
        label="misspecified TFs",
    )
    ax.set_xticks(x + 0.4 - width / 2, names, rotation=75, ha="right", fontsize=7)
    ax.set_ylabel("probability per step")
    ax.set_title("Learned TF probabilities on MNIST (10,000 digits, one pass, L = 10)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generators", nargs="+", default=["mean_field", "lstm"],
                        choices=generator_names())
    parser.add_argument("--out", type=Path, default=HERE.parent)
    parser.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="LearnConfig overrides, e.g. d_lr=1e-5",
    )
    args = parser.parse_args()
    images, _ = load_mnist(args.data, "train")
    images = images[: args.n]
    overrides = {k: float(v) for k, v in (item.split("=", 1) for item in args.set)}
    results = [run(images, g, args.seed, overrides) for g in args.generators]
    for res in results:
        top = sorted(zip(res["probabilities"], res["names"], strict=True), reverse=True)[:8]
        print(
            f"{res['generator']}: misspecified share {res['misspecified_share']:.3f} "
            f"(uniform {res['uniform_share']:.3f}); wall {res['wall_time_s']} s "
            f"{res['timing_s']}; final D acc {res['final_d_acc']:.2f}"
        )
        print("  top:", ", ".join(f"{n} {p:.3f}" for p, n in top))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "misspecified_mnist.json").write_text(json.dumps(results, indent=1))
    plot(results, args.out / "misspecified_mnist.png")


if __name__ == "__main__":
    main()
