"""Learn the SemEval-2010 Task 8 text policies, and write the baselines on the same TFs.

All four files share one trigram language model, fit on the 8,000 training sentences (no
labels, never the test file):

- ``semeval_eda.tanda``: the three EDA-style edits (word swap, deletion, insertion), uniform;
- ``semeval_heuristic.tanda``: the ``semeval`` pack (LM swaps + EDA edits), uniform: the
  paper's heuristic baseline, random sequences of the same TFs;
- ``semeval_mf.tanda`` / ``semeval_lstm.tanda``: mean-field and LSTM generators learned by
  :func:`~tanda_transforms.learn_policy` on the 8,000 sentences.

Every policy has ``seq_len`` TFs per sentence (default 3) and ``p`` 0.5 (chosen before
any end-model run, as for the image tables). Learning settings, and why (docs/results.md):
``d_lr=1e-3`` (the text discriminator's embeddings start from nothing; at the image
default 1e-4 it barely separated real from shuffled sentences in 400 steps), ``eps=1e-3``
(a text TF that cannot act leaves the sentence unchanged; with the image default 1e-4 such a
no-op costs ``alpha / eps = 10``, far above any verdict of D, and the generator learned
little but "avoid TFs that sometimes fail"; at 1e-3 a no-op costs 1, like a sentence D
finds plainly fake), 2 epochs::

    python docs/experiments/semeval_policies.py --out-dir /tmp/semeval_policies --threads 1

``--pack relation`` does the same over the ``relation`` pack (edits outside the entities and
the words between them only), writing ``semeval_relation_{heuristic,mf,lstm}.tanda``.

Diagnostics (docs/results.md, "why"): ``--regions`` also writes ``semeval_outside.tanda``
and ``semeval_between.tanda``, uniform over the pack's LM swaps of one region only; and
``--epochs 6 --suffix _6ep --generators mean_field`` learns the mean-field policy three times
longer (a stronger discriminator). ``--entropy-weight E`` sets ``LearnConfig.entropy_weight``
(default: the generator's, 0.01 for mean-field; ``semeval_entropy.sh``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from tanda_transforms import TANDAPolicy, TFLibrary
from tanda_transforms.data.semeval import load_semeval
from tanda_transforms.generator_kinds import generator_kind, generator_names
from tanda_transforms.learn import learn_policy
from tanda_transforms.text import eda_pack
from tanda_transforms.text.learn import text_library

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared/data/semeval2010-task8/SemEval2010_task8_all_data.tar.gz"
LEARNING = {"d_lr": 1e-3, "eps": 1e-3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seq-len", type=int, default=3)
    parser.add_argument("--p", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--generators", nargs="+", default=["mean_field", "lstm"],
                        choices=generator_names())
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--suffix", default="", help="appended to the learned files' names")
    parser.add_argument("--pack", default="semeval", choices=("semeval", "relation"),
                        help="the text pack (files semeval_*.tanda, or semeval_relation_*)")
    parser.add_argument("--entropy-weight", type=float, default=None,
                        help="LearnConfig.entropy_weight (default: the generator's own)")
    parser.add_argument("--regions", action="store_true",
                        help="also write uniform policies over one region's LM swaps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    sentences = [example.sentence for example in load_semeval(args.data, "train")]
    library = text_library(args.pack, sentences)
    prefix = "semeval" if args.pack == "semeval" else f"semeval_{args.pack}"
    key = dict(library[0].args)["lm"]
    baselines = {"heuristic": library}
    if args.pack == "semeval":
        baselines["eda"] = TFLibrary(eda_pack(key))
    if args.regions:
        for region in ("outside", "between"):
            baselines[region] = TFLibrary([tf for tf in library
                                           if dict(tf.args).get("where") == region])
    for name, tfs in baselines.items():
        policy = TANDAPolicy(tfs, seq_len=args.seq_len, p=args.p)
        policy.save(args.out_dir / f"{prefix}_{name}.tanda")
    for generator in args.generators:
        started = time.perf_counter()
        policy = learn_policy(sentences, library, generator=generator, seq_len=args.seq_len,
                              seed=args.seed, progress=False, epochs=args.epochs,
                              entropy_weight=args.entropy_weight, **LEARNING)
        policy.p = args.p
        policy.metadata["data"] = (f"SemEval-2010 Task 8 train split, {len(sentences):,} "
                                   "sentences (no labels)")
        path = args.out_dir / f"{prefix}_{generator_kind(generator).short}{args.suffix}.tanda"
        policy.save(path)
        probs = policy.sampler.tf_probabilities(
            args.seq_len, generator=torch.Generator().manual_seed(0))
        top = sorted(zip(probs.tolist(), policy.library.names, strict=True), reverse=True)
        print(json.dumps({"policy": str(path), "wall_s": round(time.perf_counter() - started, 1),
                          "d_acc_last": policy.history["d_acc"][-1],
                          "top": [(round(p, 3), n) for p, n in top]}, indent=1), flush=True)


if __name__ == "__main__":
    main()
