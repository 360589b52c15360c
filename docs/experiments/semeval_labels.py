"""SemEval-2010 Task 8 with 10 % labels: a label-aware policy over the full ``semeval`` pack.

For each seed, the labels the end model gets (``label_subset(train, 0.1, seed)``: 801
sentences, stratified) are the only labels the policy sees: the other 7,199 training
sentences are given as unlabeled (-1). A mean-field policy is learned over the 13-TF
``semeval`` pack with the settings of ``semeval_policies.py`` (2 epochs, ``d_lr=1e-3``,
``eps=1e-3``, L = 3, p = 0.5) plus the label term at ``label_weight=1.0`` (the default, fixed
before any run: no choice is made, so no validation split is needed), then the end model of
the harness's ``semeval`` record trains on the same subset with the policy (the
``tanda_mf`` condition) and is tested once::

    python docs/experiments/semeval_labels.py --out-dir /tmp/semeval_labels --seeds 0 1 2 \\
        --results docs/experiments/results_semeval_harness.json

Each seed writes ``semeval_labels_mf_s{seed}.tanda`` and prints the policy's probability mass
per step on the ``between``-entity LM swaps (uniform: 4 of 13 TFs, 30.8 %; the realism-only
mean-field policy: 4.5 %) and the TFs the label term pushed down; the end-model runs are
appended to ``--results`` (a harness results file; each record's ``note`` names the
label-aware policy; the rows of ``tanda_labels`` in ``results_semeval.json`` were written
before the harness, with the same subset and end model; ``semeval.py --table FILE`` prints
a file's table).
``--learn-only`` stops after the policies; ``--label-weight W`` (files
``semeval_labels_w{W}_mf_s{seed}.tanda``) learns with another weight, for a study of the
policy alone (a weight chosen on the test set would not be an honest row);
``--entropy-weight E`` (files ``..._e{E}_mf_s{seed}.tanda``) sets ``LearnConfig.entropy_weight``
(the mean-field default is 0.01), for ``semeval_entropy.sh``; ``--max-kl NATS`` applies each
seed's policy without the TFs whose mean label-term penalty is above NATS
(``drop_label_changing``; the value ``semeval_label_filter.sh`` chose on validation).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.data.semeval import load_semeval
from tanda_transforms.evaluation import EvalConfig, load_task
from tanda_transforms.evaluation.command import append_record, evaluate_task
from tanda_transforms.evaluation.relation import label_subset
from tanda_transforms.learn import learn_policy
from tanda_transforms.text.learn import text_library

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared/data/semeval2010-task8/SemEval2010_task8_all_data.tar.gz"
LEARNING = {"d_lr": 1e-3, "eps": 1e-3}


def subset_labels(train, seed: int, fraction: float = 0.1) -> np.ndarray:
    """One label per training sentence: the seed's subset labeled, the rest -1."""
    position = {ex.id: i for i, ex in enumerate(train)}
    labels = np.full(len(train), -1, np.int64)
    for ex in label_subset(train, fraction, seed):
        labels[position[ex.id]] = ex.label_index
    return labels


def between_share(policy: TANDAPolicy) -> float:
    probs = policy.sampler.tf_probabilities(policy.seq_len,
                                            generator=torch.Generator().manual_seed(0))
    return float(sum(p for p, tf in zip(probs.tolist(), policy.library, strict=True)
                     if dict(tf.args).get("where") == "between"))


def learn(train, seed: int, path: Path, epochs: float, weight: float,
          entropy: float | None = None) -> TANDAPolicy:
    if path.is_file():
        return TANDAPolicy.load(path)
    sentences = [ex.sentence for ex in train]
    library = text_library("semeval", sentences)
    started = time.perf_counter()
    policy = learn_policy(sentences, library, generator="mean_field", seq_len=3, seed=seed,
                          labels=subset_labels(train, seed), epochs=epochs, progress=False,
                          label_weight=weight, entropy_weight=entropy, **LEARNING)
    policy.p = 0.5
    policy.metadata["data"] = (f"SemEval-2010 Task 8 train split, {len(sentences):,} "
                               f"sentences, 10 % labeled (label_subset seed {seed})")
    policy.save(path)
    print(f"learned {path} in {time.perf_counter() - started:.0f} s", flush=True)
    return policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--results", type=Path, default=HERE / "results_semeval_harness.json")
    parser.add_argument("--learn-only", action="store_true")
    parser.add_argument("--label-weight", type=float, default=1.0)
    parser.add_argument("--entropy-weight", type=float, default=None)
    parser.add_argument("--max-kl", type=float, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    train = load_semeval(args.data, "train")
    for seed in args.seeds:
        weight = "" if args.label_weight == 1.0 else f"_w{args.label_weight:g}"
        if args.entropy_weight is not None:
            weight += f"_e{args.entropy_weight:g}"
        path = args.out_dir / f"semeval_labels{weight}_mf_s{seed}.tanda"
        policy = learn(train, seed, path, args.epochs, args.label_weight, args.entropy_weight)
        record = policy.metadata["training"]["labels"]
        print(json.dumps({"seed": seed, "between_share": round(between_share(policy), 4),
                          "labeled": record["labeled"],
                          "train_accuracy": record["train_accuracy"],
                          "wall_s": policy.metadata["training"]["wall_time_s"],
                          "timing_s": policy.metadata["training"]["timing_s"]}), flush=True)
        if not args.learn_only:
            name = f"tanda_labels{weight}" + ("" if args.max_kl is None
                                              else f"_maxkl{args.max_kl:g}")
            _end_model(args.data, seed, path, args.results, name, args.max_kl)


def _end_model(data: Path, seed: int, path: Path, results: Path, name: str,
               max_kl: float | None = None) -> None:
    """The end model of the ``semeval`` record on the seed's 10 % with the policy (the
    harness's ``tanda_mf`` condition, p = 0.5, without the TFs above ``max_kl`` if given),
    appended to ``results`` as ``name``."""
    task = load_task("semeval", data)
    config = EvalConfig.for_dataset("semeval", label_fraction=0.1, seeds=(seed,),
                                    policy_max_kl=max_kl)
    record = evaluate_task(task, ["tanda_mf"], config, {"tanda_mf": str(path)})
    record["note"] = f"tanda_mf is {name}: the label-aware policy {path.name}"
    append_record(results, record)


if __name__ == "__main__":
    main()
