"""Write a gallery policy's model card and sample picture from the policy file itself.

Every figure in the card (configuration, steps, wall time, learned TF probabilities, the most
frequent sequences) is read from the policy file's metadata or sampled from its generator, so
the card cannot drift from the file. Run by each recipe right after training:

    python policies/make_card.py NAME --data PATH --reader READER [--note TEXT]

writes ``policies/NAME/MODEL_CARD.md`` and ``policies/NAME/samples.png`` for
``tanda_transforms/gallery/NAME.tanda`` (for a text policy, sample sentences go in the card
itself and there is no picture).
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import cv2
import numpy as np

from tanda_transforms import TANDAPolicy
from tanda_transforms.data import load_data
from tanda_transforms.labels import label_lines
from tanda_transforms.show import sample_grid, sequence_counts, tf_probabilities

ROOT = Path(__file__).resolve().parents[1]


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    python = platform.python_version()
    return f"{os.cpu_count()} CPU cores ({cpu}), {platform.system()}, Python {python}"


def _probability_table(policy: TANDAPolicy) -> list[str]:
    probs = tf_probabilities(policy, seed=0, n=20000)
    uniform = 1 / len(probs)
    rows = ["| TF | probability per step | vs uniform |", "| --- | ---: | ---: |"]
    for p, name in sorted(zip(probs, policy.library.names, strict=True), reverse=True):
        rows.append(f"| `{name}` | {p:.3f} | {p / uniform:.2f}x |")
    return rows


def _sequence_lines(policy: TANDAPolicy, top: int = 5) -> list[str]:
    counts = sequence_counts(policy, n=2000, seed=0)
    lines = [f"{len(counts)} distinct sequences among 2000 sampled; the most frequent:", ""]
    for seq, count in counts.most_common(top):
        names = " -> ".join(policy.library.names[i] for i in seq)
        lines.append(f"- {count} x `{names}`")
    return lines


def _label_section(labels) -> list[str]:
    """Learned with labels: how many, the weight, the TFs the label term pushed down."""
    lines = label_lines(labels)
    return [f"- {line.strip()}" for line in lines] + [""] if lines else []


def _image_samples(policy: TANDAPolicy, images: np.ndarray, folder: Path) -> list[str]:
    grid = sample_grid(policy, images[:6], n_aug=6, seed=0)
    cv2.imwrite(str(folder / "samples.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    return ["Each row: an original, then six independent draws of the policy.", "",
            "![samples](samples.png)"]


def _text_samples(policy: TANDAPolicy, sentences: list[str]) -> list[str]:
    """Each sentence, then four draws (with p = 1, so every draw applies a sequence)."""
    policy.manual_seed(0)
    policy.p = 1.0
    lines = ["Each block: a test sentence, then four independent draws of the policy (p set "
             "to 1 here, so each applies a sequence; the TFs applied are listed).", ""]
    for sentence in sentences:
        lines += [f"- original: `{sentence}`"]
        for _ in range(4):
            out = policy(sentence)
            lines += [f"  - `{out}`  ({' -> '.join(policy.last_sequence)})"]
    return lines


def write_card(name: str, data: np.ndarray | list[str], note: str) -> None:
    policy = TANDAPolicy.load(ROOT / "tanda_transforms" / "gallery" / f"{name}.tanda", seed=0)
    training = policy.metadata.get("training", {})
    folder = ROOT / "policies" / name
    folder.mkdir(parents=True, exist_ok=True)
    text = policy.library.modality == "text"
    samples = _text_samples(policy, data) if text else _image_samples(policy, data, folder)
    config = training.get("config", {})
    last = {
        k: round(v[-1], 3)
        for k, v in training.get("history", {}).items()
        if k in ("d_loss", "d_acc", "cost", "entropy") and v
    }
    lines = [
        f"# Gallery policy `{name}`",
        "",
        note,
        "",
        f'Load it with `TANDAPolicy.load("{name}")`.',
        "",
        "## Training",
        "",
        f"- data: {policy.metadata.get('data', '-')}",
        f"- TFs: {len(policy.library)}; sequence length L = {policy.seq_len}",
        f"- generator: {training.get('generator', '-')}, seed {training.get('seed', '-')}",
        f"- steps: {training.get('steps', '-')}; wall time {training.get('wall_time_s', '-')} s "
        f"(TFs {training.get('timing_s', {}).get('tfs', '-')} s, discriminator "
        f"{training.get('timing_s', {}).get('discriminator', '-')} s, generator "
        f"{training.get('timing_s', {}).get('generator', '-')} s)",
        f"- machine: {_machine()} (shared, so wall times are noisy)",
        f"- last logged: {last}",
        f"- recipe: `policies/{name}/recipe.*` (run from the repository root)",
        "",
        "Configuration (`LearnConfig`):",
        "",
        "```",
        *[f"{k} = {v}" for k, v in config.items()],
        "```",
        "",
        "## What it learned",
        "",
        *_label_section(training.get("labels")),
        *_sequence_lines(policy),
        "",
        *_probability_table(policy),
        "",
        "## Samples",
        "",
        *samples,
        "",
    ]
    (folder / "MODEL_CARD.md").write_text("\n".join(lines))
    print(f"wrote {folder / 'MODEL_CARD.md'}" + ("" if text else f" and {folder / 'samples.png'}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name")
    parser.add_argument("--data", type=Path, required=True, help="images to show (test split)")
    parser.add_argument("--reader", required=True, help="a `tanda learn --reader` name")
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--note", default="")
    parser.add_argument(
        "--pool-from-mias",
        type=Path,
        default=None,
        help="register the lesion pool 'mini-mias' from this mini-MIAS folder",
    )
    args = parser.parse_args()
    if args.pool_from_mias is not None:
        from tanda_transforms.domains import LesionPool, register_lesion_pool

        pool = LesionPool.from_mias(args.pool_from_mias, size=args.size)
        register_lesion_pool("mini-mias", pool)
    data, _ = load_data(args.data, args.reader, split="test", size=args.size)
    write_card(args.name, data[:: max(1, len(data) // 6)][:6], args.note)


if __name__ == "__main__":
    main()
