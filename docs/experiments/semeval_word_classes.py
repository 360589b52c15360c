"""Which `between` swaps hurt? Uniform policies over one region's LM swaps of one word class.

The SemEval diagnostic of docs/results.md ("Why: edits between the entities...") pooled
content and function words and was read on the test set. This writes the four uniform
policies (the ``semeval`` pack's two ``lm_swap`` TFs of each region and word class, L = 3,
p = 0.5) that the validation split scores one by one::

    python docs/experiments/semeval_word_classes.py --out-dir /tmp/sem_regions
    R=/tmp/sem_regions/semeval_between
    tanda evaluate --dataset semeval --data ../shared/data/semeval2010-task8 --seeds 0 \\
        --select-on-validation --threads 1 --conditions tanda_mf \\
        --grid "tanda_mf:policy=${R}_content.tanda,${R}_function.tanda;p=0.5"
    # the same with the two outside_* files, and with --conditions none

Each candidate's validation macro-F1 is in the record ("validation of every candidate").
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tanda_transforms import TANDAPolicy, TFLibrary
from tanda_transforms.data.semeval import load_semeval
from tanda_transforms.text.learn import text_library

DATA = (Path(__file__).resolve().parents[3]
        / "shared/data/semeval2010-task8/SemEval2010_task8_all_data.tar.gz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out-dir", type=Path, required=True)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    sentences = [example.sentence for example in load_semeval(args.data, "train")]
    library = text_library("semeval", sentences)
    for region in ("between", "outside"):
        for word_class in ("content", "function"):
            tfs = [tf for tf in library if dict(tf.args).get("where") == region
                   and dict(tf.args).get("word_class") == word_class]
            path = args.out_dir / f"semeval_{region}_{word_class}.tanda"
            TANDAPolicy(TFLibrary(tfs), seq_len=3, p=0.5).save(path)
            print(f"{path}: {len(tfs)} TFs")


if __name__ == "__main__":
    main()
