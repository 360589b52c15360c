"""Text policies: a sentence in, the same type out, entity spans intact; files carry their
language model; the shared learner learns text policies and suppresses destructive TFs."""

from pathlib import Path

import numpy as np
import pytest
import torch

from tanda_transforms import TF, TANDAPolicy, TFLibrary
from tanda_transforms.learn import LearnConfig, Learner, learn_policy
from tanda_transforms.policy_file import PolicyFileError, decode, encode
from tanda_transforms.text import (
    NGramLM,
    destructive_text_tfs,
    eda_pack,
    register_language_model,
    semeval_pack,
    tokenize,
    unregister_language_model,
)

SEMEVAL = Path(__file__).resolve().parents[2] / "shared/data/semeval2010-task8"
ARCHIVE = SEMEVAL / "SemEval2010_task8_all_data.tar.gz"

_MAKERS = ["company", "factory", "bakery", "workshop", "farmer", "studio", "mill", "plant"]
_GOODS = ["chairs", "bread", "tables", "cheese", "shoes", "paper", "glass", "toys"]
_ADJ = ["plastic", "fresh", "wooden", "fine", "cheap", "small", "old", "new"]
_VERBS = ["makes", "produces", "sells", "builds", "ships", "fabricates"]
_PLACES = ["town", "city", "valley", "north", "village"]


def corpus(n: int, seed: int = 0) -> list[str]:
    """Template sentences with two marked entities: a tiny language with an obvious order."""
    rng = np.random.default_rng(seed)

    def pick(words):
        return words[rng.integers(len(words))]

    out = []
    for i in range(n):
        if i % 2:
            out.append(f"The <e1>{pick(_MAKERS)}</e1> {pick(_VERBS)} {pick(_ADJ)} "
                       f"<e2>{pick(_GOODS)}</e2> in the {pick(_PLACES)}.")
        else:
            out.append(f"These {pick(_ADJ)} <e1>{pick(_GOODS)}</e1> come from a "
                       f"<e2>{pick(_MAKERS)}</e2> near the {pick(_PLACES)}.")
    return out


@pytest.fixture(scope="module")
def lm_key():
    return register_language_model(NGramLM.fit(corpus(400)))


def spans(sentence):
    tokens = tokenize(sentence) if isinstance(sentence, str) else tokenize(" ".join(sentence))
    return [(name, tokens.words[a : b + 1]) for name, a, b in tokens.spans()]


def test_a_str_comes_back_a_str_with_both_spans_intact_and_often_changed(lm_key):
    policy = TANDAPolicy(semeval_pack(lm_key), seq_len=3, seed=0)
    changed = 0
    for sentence in corpus(60, seed=1):
        for _ in range(5):
            out = policy(sentence)
            assert isinstance(out, str)
            assert spans(out) == spans(sentence), (sentence, out)
            changed += out != sentence
    assert changed > 150, changed  # of 300 draws


def test_token_lists_and_tuples_keep_their_type(lm_key):
    policy = TANDAPolicy(semeval_pack(lm_key), seq_len=3, seed=0)
    words = tokenize(corpus(1)[0]).to_list()
    out_list, out_tuple = policy(words), policy(tuple(words))
    assert isinstance(out_list, list) and isinstance(out_tuple, tuple)
    assert spans(out_list) == spans(words) == spans(out_tuple)


def test_bad_inputs_and_settings_are_refused_by_name(lm_key):
    policy = TANDAPolicy(eda_pack(lm_key), seq_len=2, seed=0)
    with pytest.raises(TypeError, match="a str, or a list or tuple of str"):
        policy(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match="one sentence per call"):
        policy("a b", "c d")
    with pytest.raises(ValueError, match="text policy takes frame=0"):
        TANDAPolicy(eda_pack(lm_key), frame=2)
    with pytest.raises(TypeError, match="text policy is called on each sentence"):
        policy.batched()
    with pytest.raises(ValueError, match="image TFs or text TFs, not both"):
        TFLibrary([TF("hflip"), *eda_pack(lm_key)])
    with pytest.raises(ValueError, match="properly|close|open|span"):
        policy("The <e1>company fabricates chairs.")


def test_p_zero_returns_the_input_and_replay_repeats_a_draw(lm_key):
    sentence = corpus(1)[0]
    assert TANDAPolicy(semeval_pack(lm_key), p=0.0, seed=0)(sentence) is sentence
    policy = TANDAPolicy(semeval_pack(lm_key), seq_len=4, seed=3)
    outs = [policy(sentence) for _ in range(5)]
    assert policy.replay(sentence) == outs[-1]
    again = TANDAPolicy(semeval_pack(lm_key), seq_len=4, seed=3)
    assert [again(sentence) for _ in range(5)] == outs


def test_a_saved_text_policy_carries_its_language_model(tmp_path):
    lm = NGramLM.fit(corpus(100, seed=7))  # a model only this test registers
    key = register_language_model(lm)
    policy = TANDAPolicy(semeval_pack(key), seq_len=3, seed=0)
    path = tmp_path / "text.tanda"
    policy.save(path)
    sentence = corpus(1)[0]
    expected = [policy(sentence) for _ in range(10)]
    unregister_language_model(key)
    with pytest.raises(LookupError):
        policy(sentence)
    loaded = TANDAPolicy.load(path, seed=0)  # registers the model it carries
    assert [loaded(sentence) for _ in range(10)] == expected


def _altered(blob: bytes, change) -> bytes:
    header, tensors = decode(blob)
    change(header, tensors)
    return encode(header, tensors)


def test_a_file_whose_model_does_not_match_its_key_is_refused(lm_key):
    blob = TANDAPolicy(eda_pack(lm_key), seq_len=2).to_bytes()

    def bump_counts(header, tensors):
        name = next(k for k, v in tensors.items() if k.startswith("lm.") and not
                    v.is_floating_point() and v.numel() and int(v.max()) > 1)
        tensors[name] = tensors[name].clone()
        tensors[name][tensors[name].argmax()] -= 1

    def stray(header, tensors):
        tensors["lm.ngram-0000000000000000.counts"] = torch.zeros(2, dtype=torch.int64)

    def not_a_dict(header, tensors):
        header["language_models"] = ["x"]

    for change, message in [(bump_counts, "checksum gives key|invalid"),
                            (stray, "belong to no language model"),
                            (not_a_dict, "must be a JSON object")]:
        with pytest.raises(PolicyFileError, match=message):
            TANDAPolicy.from_bytes(_altered(blob, change))


def test_the_learner_rolls_sentences_out_as_token_ids(lm_key):
    sentences = corpus(16)
    library = TFLibrary(semeval_pack(lm_key))
    learner = Learner(sentences, library, "mean_field", LearnConfig(seq_len=3, batch_size=2),
                      seed=0, device=torch.device("cpu"))
    actions = torch.zeros(2 * learner.config.seqs_per_point, 3, dtype=torch.long)
    states = learner._roll_out(learner.data.batch([0, 1]), actions)
    assert states.dtype == torch.int64 and states.shape[:2] == (4, 10)
    assert learner.step()["d_loss"] > 0


@pytest.mark.parametrize("generator", ["mean_field", "lstm"])
def test_learning_suppresses_destructive_text_tfs(lm_key, generator):
    harmless = eda_pack(lm_key)[:1] + semeval_pack(lm_key)[:5]
    destructive = destructive_text_tfs(lm_key)
    policy = learn_policy(corpus(400), harmless + destructive, generator=generator,
                          seq_len=3, steps=250, seed=0, d_lr=1e-3, g_lr=1e-2,
                          batch_size=16, d_width=8, progress=False)
    probs = policy.sampler.tf_probabilities(seq_len=3, generator=torch.Generator().manual_seed(0))
    uniform_share = len(destructive) / len(probs)
    learned_share = float(probs[len(harmless):].sum())
    assert learned_share < uniform_share / 3, (learned_share, probs.tolist())


def test_learn_policy_builds_a_text_pack_on_a_model_of_the_data(tmp_path):
    policy = learn_policy(corpus(64), "semeval", generator="mean_field", seq_len=2, steps=2,
                          batch_size=8, d_width=4, seed=0, progress=False)
    assert policy.library.modality == "text"
    assert policy.metadata["training"]["data_dtype"] == "text"
    policy.save(tmp_path / "p.tanda")
    assert TANDAPolicy.load(tmp_path / "p.tanda").library == policy.library


@pytest.mark.skipif(not ARCHIVE.is_file(), reason="SemEval-2010 Task 8 not in ../shared/data")
def test_learning_on_the_semeval_sentences_suppresses_destructive_tfs():
    from tanda_transforms.data.semeval import load_semeval
    from tanda_transforms.text.learn import text_library

    sentences = [example.sentence for example in load_semeval(ARCHIVE, "train")]
    assert len(sentences) == 8000
    library = text_library("semeval", sentences)
    destructive = destructive_text_tfs(dict(library[0].args)["lm"])
    policy = learn_policy(sentences, library + destructive, generator="mean_field", seq_len=3,
                          steps=300, seed=0, d_lr=1e-3, g_lr=1e-2, batch_size=16, d_width=16,
                          progress=False)
    probs = policy.sampler.tf_probabilities(seq_len=3, generator=torch.Generator().manual_seed(0))
    uniform_share = len(destructive) / len(probs)
    assert float(probs[len(library):].sum()) < uniform_share / 3, probs.tolist()


def test_tanda_learn_reads_a_text_file_of_sentences(tmp_path, capsys):
    from tanda_transforms.cli import main

    data = tmp_path / "sentences.txt"
    data.write_text("\n".join(corpus(40)) + "\n\n", encoding="utf-8")
    out = tmp_path / "text.tanda"
    args = ["learn", "--data", str(data), "--steps", "2", "--batch-size", "4", "--seq-len", "2",
            "--generator", "mean_field", "--set", "d_width=4", "--no-progress", "--out", str(out)]
    assert main(args) == 0
    assert "40 sentences" in capsys.readouterr().out
    policy = TANDAPolicy.load(out, seed=0)
    assert policy.library.modality == "text"
    assert "sentences.txt (text, 40 sentences)" in policy.metadata["data"]
    assert spans(policy(corpus(1)[0])) == spans(corpus(1)[0])
    bad = tmp_path / "bad.txt"
    bad.write_text("fine sentence\nThe <e1>company fabricates chairs.\n", encoding="utf-8")
    assert main(["learn", "--data", str(bad), "--steps", "1", "--no-progress"]) == 2
    assert "line 2" in capsys.readouterr().err


def test_the_readme_text_example_runs_and_keeps_the_spans():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Text: sentences with protected spans", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert isinstance(scope["augmented"], str) and isinstance(scope["tokens"], list)
    assert spans(scope["augmented"]) == spans(scope["sentence"])
    assert len(scope["sentences"]) == 4 and scope["labels"].tolist() == [3] * 4
    assert all(spans(s) == spans(scope["sentence"]) for s in scope["sentences"])


def test_a_text_run_resumes_from_its_checkpoint_exactly(lm_key, tmp_path):
    args = dict(generator="lstm", seq_len=2, seed=0, checkpoint_every=2, batch_size=4,
                d_width=4, progress=False)
    data, tfs = corpus(32), semeval_pack(lm_key)
    straight = learn_policy(data, tfs, steps=4, **args)
    ckpt = tmp_path / "text.ckpt"
    learn_policy(data, tfs, steps=2, checkpoint=ckpt, **args)
    resumed = learn_policy(data, tfs, steps=4, resume=ckpt, **args)
    weights = [torch.cat([p.detach().flatten() for p in policy.sampler.parameters()])
               for policy in (straight, resumed)]
    assert torch.equal(*weights)
    assert resumed.history == straight.history


class _Sentences(torch.utils.data.Dataset):
    def __init__(self, sentences, transform):
        self.sentences, self.transform = sentences, transform

    def __len__(self):
        return len(self.sentences)

    def __getitem__(self, i):
        return self.transform(self.sentences[i])


def test_dataloader_workers_draw_different_edits(lm_key):
    policy = TANDAPolicy(semeval_pack(lm_key), seq_len=3, seed=0)
    sentence = corpus(1)[0]
    loader = torch.utils.data.DataLoader(_Sentences([sentence] * 16, policy), batch_size=8,
                                         num_workers=2)
    first, second = list(loader)
    assert first != second  # each worker mixes its own seed into the policy's stream
    assert all(spans(s) == spans(sentence) for s in first + second)


def _region_words(tokens, region):
    (_, _, first_close), (_, second_open, _) = tokens.spans()[:2]
    words = tokens.words
    if region == "between":
        return words[first_close + 1 : second_open]
    return words[: tokens.spans()[0][1]], words[tokens.spans()[1][2] + 1 :]


@pytest.mark.parametrize("where", ["outside", "between"])
def test_edits_of_one_region_leave_the_other_as_it_was(lm_key, where):
    other = "between" if where == "outside" else "outside"
    tfs = [TF("word_swap", where=where), TF("word_delete", where=where),
           TF("word_insert", lm=lm_key, where=where), TF("lm_swap", lm=lm_key, where=where)]
    rng = np.random.default_rng(0)
    changed = 0
    for sentence in corpus(40, seed=2):
        tokens = tokenize(sentence)
        for tf in tfs:
            out = tf(tokens, rng)
            assert _region_words(out, other) == _region_words(tokens, other), (tf, out.text())
            changed += _region_words(out, where) != _region_words(tokens, where)
    assert changed > 100  # of 160 edits


def test_the_relation_pack_edits_outside_the_entities_only(lm_key):
    from tanda_transforms.text import relation_pack

    assert all(dict(tf.args)["where"] == "outside" for tf in relation_pack(lm_key))
