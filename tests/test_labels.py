"""The label-preservation term: a planted TF that keeps sentences realistic but always changes
their label is suppressed by the label-aware learner and not by the realism-only one; labels
are checked, recorded in the policy file and shown; images go through the same term."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TANDAPolicy
from tanda_transforms.cli import main
from tanda_transforms.exclude import drop_label_changing, label_changing_tfs
from tanda_transforms.labels import check_labels, label_lines, read_labels
from tanda_transforms.learn import LearnConfig, Learner, learn_policy
from tanda_transforms.registry import register_op
from tanda_transforms.show import summarise
from tanda_transforms.text.tokens import Tokens, tokenize

MAKE = ("makes", "produces", "builds")  # label 0: the maker produces the goods
BUY = ("buys", "orders", "rents")  # label 1: the maker is a customer of the goods
ADJ = ("wooden", "fine", "cheap", "small", "old", "new")
PLACES = ("town", "city", "valley", "north", "village")
MAKERS = ("company", "factory", "bakery", "workshop", "farmer", "studio")
GOODS = ("chairs", "bread", "tables", "cheese", "shoes", "paper")


def corpus(n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Template relation sentences; the verb alone decides the label."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    sentences = [
        f"The <e1>{rng.choice(MAKERS)}</e1> {rng.choice(BUY if y else MAKE)} "
        f"{rng.choice(ADJ)} <e2>{rng.choice(GOODS)}</e2> in the {rng.choice(PLACES)} ."
        for y in labels
    ]
    return sentences, labels


def _replacer(words: tuple[str, ...], choices: tuple[str, ...] | None = None):
    """A text op replacing the word of ``words`` a sentence holds by another one (of
    ``choices`` when given: the other class's verbs)."""

    def op(tokens: Tokens, *, rng: np.random.Generator) -> Tokens:
        for i, word in enumerate(tokens.words):
            if word in words:
                pool = [w for w in (choices or words) if w != word]
                return tokens.replace(i, pool[rng.integers(len(pool))])
        return tokens

    return op


def _flip_relation(tokens: Tokens, *, rng: np.random.Generator) -> Tokens:
    """The planted TF: the verb becomes one of the other class (always a realistic sentence,
    always the other label)."""
    for verbs, others in ((MAKE, BUY), (BUY, MAKE)):
        out = _replacer(verbs, others)(tokens, rng=rng)
        if out is not tokens:
            return out
    return tokens


def _same_class_verb(tokens: Tokens, *, rng: np.random.Generator) -> Tokens:
    """Edits the very word the planted TF edits, keeping the label: the control."""
    for verbs in (MAKE, BUY):
        out = _replacer(verbs)(tokens, rng=rng)
        if out is not tokens:
            return out
    return tokens


for _name, _fn in {"test_swap_adjective": _replacer(ADJ), "test_swap_place": _replacer(PLACES),
                   "test_same_class_verb": _same_class_verb,
                   "test_flip_relation": _flip_relation}.items():
    register_op(_name, kind="text", random=True, replace=True)(_fn)

TFS = [TF("test_swap_adjective"), TF("test_swap_place"), TF("test_same_class_verb"),
       TF("test_flip_relation")]
PLANTED = 3
SETTINGS = {"generator": "mean_field", "seq_len": 2, "steps": 150, "d_lr": 1e-3, "g_lr": 1e-2,
            "batch_size": 16, "d_width": 8, "label_steps": 100, "progress": False}


def planted_share(policy: TANDAPolicy) -> float:
    probs = policy.sampler.tf_probabilities(seq_len=2, generator=torch.Generator().manual_seed(0))
    return float(probs[PLANTED])


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # small runs: see conftest


@pytest.fixture(scope="module")
def data():
    sentences, labels = corpus(400)
    half = np.where(np.arange(len(labels)) % 2 == 0, labels, -1)  # half the items labeled
    return sentences, half


@pytest.fixture(scope="module")
def label_aware(data):
    return learn_policy(data[0], TFS, labels=data[1], seed=0, **SETTINGS)


def test_the_planted_tf_does_what_the_test_says():
    for sentence, label in zip(*corpus(20), strict=True):
        tokens = tokenize(sentence)
        for op, changed in ((_flip_relation, True), (_same_class_verb, False)):
            out = op(tokens, rng=np.random.default_rng(0))
            verb = [w for w in out.words if w in MAKE + BUY]
            assert out.words != tokens.words and len(verb) == 1
            assert (verb[0] in BUY) == (bool(label) != changed)


def test_the_label_term_suppresses_a_realistic_label_changing_tf(data, label_aware):
    uniform = 1 / len(TFS)
    assert planted_share(label_aware) < uniform / 3, label_aware.sampler.logits.tolist()


def test_realism_alone_does_not_suppress_it(data):
    policy = learn_policy(data[0], TFS, seed=0, **SETTINGS)
    assert planted_share(policy) > 1 / len(TFS) / 3


def test_the_policy_file_records_the_labels_and_show_names_the_pushed_down_tf(
        data, label_aware, tmp_path):
    label_aware.save(tmp_path / "p.tanda")
    loaded = TANDAPolicy.load(tmp_path / "p.tanda")
    record = loaded.metadata["training"]["labels"]
    assert record["labeled"] == 200 and record["items"] == 400 and record["weight"] == 1.0
    assert record["classifier"] == "default" and record["train_accuracy"] > 0.9
    penalty = record["tf_penalty"]
    assert penalty[PLANTED] == max(penalty) and penalty[PLANTED] > 10 * max(penalty[:PLANTED])
    assert "label_kl" in loaded.metadata["training"]["history"]
    assert "labels" in loaded.metadata["training"]["timing_s"]
    text = summarise(loaded, n_samples=50)
    assert "labels: 200 of 400 items labeled (2 classes), label_weight 1.0" in text
    assert "pushed down (mean KL per application): test_flip_relation()" in text


def test_the_recorded_penalties_exclude_the_planted_tf(label_aware, tmp_path):
    penalty = label_aware.metadata["training"]["labels"]["tf_penalty"]
    threshold = max(penalty[:PLANTED])  # the planted TF's is above every other's (above)
    assert label_changing_tfs(label_aware, threshold) == [PLANTED]
    kept = drop_label_changing(label_aware, threshold)
    kept.save(tmp_path / "kept.tanda")
    assert planted_share(TANDAPolicy.load(tmp_path / "kept.tanda")) == 0.0
    assert planted_share(label_aware) > 0.0  # the term lowered it; exclusion removes it


def test_images_go_through_the_same_term():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (48, 12, 12), dtype=np.uint8)
    images[:24, :6] //= 4  # label 0: the top half dark; vflip makes it label 1
    images[24:, 6:] //= 4
    labels = np.repeat([0, 1], 24)
    labels[::3] = -1
    policy = learn_policy(images, [TF("vflip"), TF("brightness", factor=1.1)], seed=0,
                          generator="mean_field", seq_len=2, steps=6, batch_size=8,
                          labels=labels, label_steps=30, progress=False, log_every=3,
                          tune=False)  # tuning: tests/test_learn_tune.py
    record = policy.metadata["training"]["labels"]
    assert record["labeled"] == 32 and record["classes"] == 2
    assert record["tf_penalty"][0] > record["tf_penalty"][1], record
    assert len(policy.metadata["training"]["history"]["label_kl"]) == 2


def test_a_given_classifier_is_used_as_it_is_and_must_fit_the_labels(data):
    sentences, labels = data
    config = LearnConfig(seq_len=2, batch_size=4, d_width=4, label_steps=20)
    learner = Learner(sentences, _library(), "mean_field", config, 0, torch.device("cpu"),
                      labels=labels)
    learner.label_term.fit()
    given = learner.label_term.classifier
    before = [p.detach().clone() for p in given.parameters()]
    other = Learner(sentences, _library(), "mean_field", config, 0, torch.device("cpu"),
                    labels=labels, classifier=given)
    other.step()
    assert all(torch.equal(a, b) for a, b in zip(before, given.parameters(), strict=True))
    assert other.label_term.describe(other.ranks, _library().names)["classifier"] == "given"
    with pytest.raises(ValueError, match=r"N x K logits with K >= 3"):
        Learner(sentences, _library(), "mean_field", config, 0, torch.device("cpu"),
                labels=np.where(labels == 1, 2, labels), classifier=given)
    with pytest.raises(ValueError, match="classifier needs labels"):
        Learner(sentences, _library(), "mean_field", config, 0, torch.device("cpu"),
                classifier=given)


def _library():
    from tanda_transforms import TFLibrary

    return TFLibrary(TFS)


@pytest.mark.parametrize(("labels", "error", "message"), [
    ([0, 1, 0], ValueError, "one per item: 4 values"),
    ([0, 1, 0.5, 1], TypeError, "must be integers"),
    ([True, False, True, True], TypeError, "must be integers"),
    (["a", "b", "c", "d"], TypeError, "must be integers"),
    ([0, -2, 1, 1], ValueError, ">= 0, or -1"),
    ([-1, -1, -1, -1], ValueError, "no labeled item"),
])
def test_bad_labels_are_refused_by_name(labels, error, message):
    with pytest.raises(error, match=message):
        check_labels(labels, 4)


def test_the_default_classifier_needs_two_classes(data):
    with pytest.raises(ValueError, match="at least 2 classes"):
        learn_policy(data[0][:8], TFS, labels=[0, -1] * 4, steps=1, progress=False)


def test_label_weight_is_checked():
    with pytest.raises(ValueError, match="label_weight must be >= 0"):
        LearnConfig(label_weight=-1.0)


def test_a_checkpoint_resumes_only_with_the_same_kind_of_run(data, tmp_path):
    sentences, labels = data
    kwargs = {**SETTINGS, "steps": 2, "label_steps": 2}
    learn_policy(sentences, TFS, labels=labels, checkpoint=tmp_path / "c.pt", **kwargs)
    resumed = learn_policy(sentences, TFS, labels=labels, resume=tmp_path / "c.pt",
                           **{**kwargs, "steps": 3})
    assert resumed.metadata["training"]["labels"]["tf_applications"] != [0] * 4
    with pytest.raises(ValueError, match="differ in labels"):
        learn_policy(sentences, TFS, resume=tmp_path / "c.pt", **{**kwargs, "steps": 3})


def test_label_files_and_malformed_metadata(tmp_path):
    (tmp_path / "l.txt").write_text("0\n-1\n\n1\n")
    assert read_labels(tmp_path / "l.txt").tolist() == [0, -1, 1]
    (tmp_path / "bad.txt").write_text("0\nx\n")
    with pytest.raises(ValueError, match="line 2"):
        read_labels(tmp_path / "bad.txt")
    np.save(tmp_path / "l.npy", np.array([1, -1], np.int32))
    assert read_labels(tmp_path / "l.npy").tolist() == [1, -1]
    np.save(tmp_path / "f.npy", np.array([1.0]))
    with pytest.raises(ValueError, match="1-D integer array"):
        read_labels(tmp_path / "f.npy")
    assert label_lines({"labeled": "x"}) == ["labels: (metadata not in the expected form)"]
    assert label_lines(None) == []


def test_tanda_learn_takes_a_labels_file(data, tmp_path, capsys):
    sentences, labels = data
    (tmp_path / "s.txt").write_text("\n".join(sentences[:40]) + "\n")
    (tmp_path / "l.txt").write_text("\n".join(map(str, labels)) + "\n")  # --limit keeps 40
    out = tmp_path / "p.tanda"
    assert main(["learn", "--data", str(tmp_path / "s.txt"), "--tfs", str(_tfs_json(tmp_path)),
                 "--labels", str(tmp_path / "l.txt"), "--limit", "40", "--steps", "2",
                 "--seq-len", "2", "--batch-size", "4", "--set", "label_steps=2",
                 "--set", "d_width=4", "--no-progress", "--threads", "1", "--out",
                 str(out)]) == 0
    assert TANDAPolicy.load(out).metadata["training"]["labels"]["labeled"] == 20
    (tmp_path / "bad.txt").write_text("0\nnot a label\n")
    assert main(["learn", "--data", str(tmp_path / "s.txt"), "--labels",
                 str(tmp_path / "bad.txt"), "--steps", "1", "--no-progress"]) != 0
    assert "cannot read --labels" in capsys.readouterr().err


def _tfs_json(folder):
    import json

    path = folder / "tfs.json"
    path.write_text(json.dumps([{"op": tf.op, "args": dict(tf.args)} for tf in TFS]))
    return path
