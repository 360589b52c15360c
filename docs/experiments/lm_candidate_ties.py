"""How often the n-gram model's candidates depend on how ties at the k-th probability break.

``NGramLM.candidates`` keeps the ``k`` likeliest words; since 2026-12-07 the lowest
vocabulary indices win a tie at the edge (before, numpy's ``argpartition`` chose, which
differs between numpy versions and SIMD paths). This counts, at the first positions of
random SemEval training sentences, where the old choice on this machine and the new rule
give other words: among the 100 candidates, among the 5 best after re-ranking (the
``near`` swaps) and among ranks 5-25 (``far``). No word-class mask.

Run: ``python docs/experiments/lm_candidate_ties.py ../shared/data/semeval2010-task8/
SemEval2010_task8_all_data.tar.gz`` (seconds).
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from tanda_transforms.data.semeval import load_semeval
from tanda_transforms.text import lm as lm_module


def argpartition_top(p: np.ndarray, k: int) -> np.ndarray:
    """The rule before 2026-12-07: whatever ``argpartition`` picks among ties."""
    return np.sort(np.argpartition(-p, k - 1)[:k])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("semeval", help="the SemEval-2010 Task 8 archive or folder")
    parser.add_argument("--sentences", type=int, default=300)
    args = parser.parse_args()
    plain = [re.sub(r"</?e[12]>", "", e.sentence) for e in load_semeval(args.semeval)]
    model = lm_module.NGramLM.fit(plain)
    rules = {"argpartition": argpartition_top, "lowest index": lm_module._top_indices}
    counts = {"positions": 0, "100 candidates": 0, "near (top 5)": 0, "far (ranks 5-25)": 0}
    rng = np.random.default_rng(0)
    for sentence in rng.choice(plain, args.sentences, replace=False):
        words = sentence.lower().split()
        for i in range(1, min(len(words) - 2, 8)):
            found = []
            for rule in rules.values():
                lm_module._top_indices = rule
                found.append(model.candidates(words[max(0, i - 2):i], words[i + 1:i + 3], 100)[0])
            lm_module._top_indices = rules["lowest index"]
            old, new = found
            counts["positions"] += 1
            counts["100 candidates"] += set(old) != set(new)
            counts["near (top 5)"] += set(old[:5]) != set(new[:5])
            counts["far (ranks 5-25)"] += set(old[5:25]) != set(new[5:25])
    for name, count in counts.items():
        print(f"{name:>18}: {count}")


if __name__ == "__main__":
    main()
