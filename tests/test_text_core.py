"""Text core: tokens and protected spans, the Kneser-Ney language model, the text ops."""

import json
import re
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tanda_transforms import TF
from tanda_transforms.registry import get_op
from tanda_transforms.text import (
    LanguageModelError,
    LanguageModelNotFoundError,
    NGramLM,
    Tokens,
    destructive_text_tfs,
    eda_pack,
    get_language_model,
    register_language_model,
    registered_language_models,
    semeval_pack,
    tokenize,
    unregister_language_model,
)
from tanda_transforms.text.ops import FUNCTION_WORDS, lm_swap, word_delete, word_insert

ARCHIVE = (
    Path(__file__).resolve().parents[2]
    / "shared/data/semeval2010-task8/SemEval2010_task8_all_data.tar.gz"
)

SENTENCES = [
    "The <e1>company</e1> fabricates plastic <e2>chairs</e2>.",
    "The <e1>child</e1> was carefully wrapped into the <e2>cradle</e2>.",
    "The <e1>author</e1> of a keygen uses a <e2>disassembler</e2> to look at the raw code.",
    "A misty <e1>ridge</e1> uprises from the <e2>surge</e2>.",
    "The <e1>fire</e1> was caused by an electrical <e2>fault</e2>.",
    "The <e1>bakery</e1> sells fresh <e2>bread</e2> every morning.",
    "Those <e1>cars</e1> are stored in a large <e2>garage</e2> near the river.",
    "The <e1>burst</e1> has been caused by water hammer <e2>pressure</e2>.",
    "The <e1>students</e1> of the school formed a <e2>choir</e2> last year.",
    "A <e1>letter</e1> about the new <e2>policy</e2> was sent to every member.",
    "The <e1>farmer</e1> put the apples into a wooden <e2>box</e2>.",
    "Most <e1>wine</e1> comes from a small <e2>vineyard</e2> in the south.",
    "The <e1>engine</e1> of the old <e2>truck</e2> was very loud.",
    "An <e1>essay</e1> on modern <e2>art</e2> was published in the journal.",
    "The <e1>museum</e1> keeps a rare <e2>collection</e2> of coins.",
    "Heavy <e1>rain</e1> caused severe <e2>flooding</e2> in the valley.",
    "The <e1>pilot</e1> flew the small <e2>plane</e2> over the mountains.",
    "A <e1>flock</e1> of noisy <e2>geese</e2> landed on the lake.",
    "The <e1>report</e1> describes the <e2>results</e2> of the survey.",
    "The <e1>juice</e1> was poured into a tall <e2>glass</e2>.",
    "Our <e1>teacher</e1> wrote the <e2>answer</e2> on the board.",
    "The <e1>virus</e1> spread through the crowded <e2>city</e2> quickly.",
    "The <e1>factory</e1> produces cheap <e2>shoes</e2> for export.",
    "The <e1>knife</e1> was hidden inside a leather <e2>bag</e2>.",
    "The <e1>team</e1> of young <e2>players</e2> won the final match.",
    "A <e1>smell</e1> of fresh <e2>coffee</e2> filled the kitchen.",
    "The <e1>tree</e1> fell onto the parked <e2>car</e2> during the storm.",
    "Their <e1>book</e1> explains the <e2>history</e2> of the region.",
    "The <e1>water</e1> was pumped into the large <e2>tank</e2> at night.",
    "The <e1>speech</e1> about climate <e2>change</e2> moved the audience.",
]


@pytest.fixture(scope="module")
def key():
    lm = NGramLM.fit(SENTENCES)
    key = register_language_model(lm)
    yield key
    if key in registered_language_models():
        unregister_language_model(key)


def same_spans(a: Tokens, b: Tokens) -> bool:
    """Same span names in the same order, each around the same words."""
    def inside(t):
        return [(name, t.words[start : stop + 1]) for name, start, stop in t.spans()]

    return inside(a) == inside(b)


# --- tokens ---------------------------------------------------------------------------------

TRICKY = [
    "", " ", "   ", "\n", "a", " a ", "a  b\t\tc", "a\r\nb\r\n", "\r\n  x  \r\n",
    "The <e1>company</e1> fabricates plastic <e2>chairs</e2>.",
    "naïve café — “quoted” 東京 €5 😀!",
    "don't can’t state-of-the-art e-mail x'", "a<b>c</b>d", "<e1></e1>", "<x>a</x><y>b</y>",
    "  <e1> spaced </e1>  ", "x < y > z <1> </ >", "cafe\u0301 \u00a0nbsp\u2003em\u200bzw",
    "<outer>a <inner>b</inner> c</outer> d",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tokenize_round_trip(text):
    tokens = tokenize(text)
    assert tokens.text() == text
    assert tokenize(text, markup=False).text() == text
    assert tokenize(Tokens.from_list(tokens.to_list()).text()).words == tokens.words


def test_tokenize_round_trip_random_strings():
    rng = np.random.default_rng(0)
    alphabet = list("ab1 <>/e\n\r\t.,'’-é\u0301") + ["<e1>", "</e1>", "\u00a0"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet, size=rng.integers(0, 12)))
        assert tokenize(text, markup=False).text() == text
        try:
            tokens = tokenize(text)
        except ValueError:
            continue
        assert tokens.text() == text


def test_tags_are_words_and_spans():
    t = tokenize("The <e1>company</e1> fabricates plastic <e2>chairs</e2>.")
    assert t.words[1:4] == ("<e1>", "company", "</e1>") and t.spaces[1:3] == ("", "")
    assert t.spans() == [("e1", 1, 3), ("e2", 6, 8)]
    assert t.editable() == [0, 4, 5, 9]
    assert t.protected() == (False, True, True, True, False, False, True, True, True, False)
    assert [t.region(i) for i in t.editable()] == ["outside", "between", "between", "outside"]
    assert t.plain_words() == ["The", "company", "fabricates", "plastic", "chairs", "."]
    assert t.is_markup(1) and not t.is_markup(2)
    assert tokenize("<my-span_2>x y</my-span_2> z").spans() == [("my-span_2", 0, 3)]
    assert tokenize("a <e1>b</e1> c").region(4) == "outside"  # one span: outside
    with pytest.raises(ValueError, match="protected"):
        t.region(2)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("<e1>a", "never closed"),
        ("a</e1>", "closing tag"),
        ("<a>x<a>y</a></a>", "nested"),
        ("<a>x<b>y</a>z</b>", "expected </b>"),
    ],
)
def test_malformed_markup_refused(text, problem):
    with pytest.raises(ValueError, match=problem):
        tokenize(text)
    assert tokenize(text, markup=False).text() == text


def test_tokens_validation():
    with pytest.raises(ValueError, match="2 words but 1 spaces"):
        Tokens(("a", "b"), ("",))
    with pytest.raises(ValueError, match="empty"):
        Tokens(("a", ""), ("", ""))
    with pytest.raises(ValueError, match="whitespace"):
        Tokens(("a b",), ("",))
    with pytest.raises(ValueError, match="whitespace only"):
        Tokens(("a",), ("x",))
    with pytest.raises(TypeError, match="str"):
        Tokens(("a", 3), ("", ""))
    with pytest.raises(TypeError, match="sequence of str"):
        Tokens("ab", ("", ""))
    assert Tokens(["a"], [" "]) == Tokens(("a",), (" ",))


def test_edits_refuse_protected():
    t = tokenize("The <e1>big company</e1> makes <e2>chairs</e2> now.")
    for i in [i for i, p in enumerate(t.protected()) if p]:
        for edit, args in ((t.replace, (i, "x")), (t.delete, (i,)), (t.swap, (0, i))):
            with pytest.raises(ValueError, match="protected"):
                edit(*args)
    for gap in (2, 3, 4, 7, 8):
        with pytest.raises(ValueError, match="inside span"):
            t.insert(gap, "x")
    with pytest.raises(ValueError, match="tag"):
        t.replace(0, "<e1>")
    with pytest.raises(ValueError, match="whitespace"):
        t.insert(0, "two words")
    assert t.insert(1, "x").text() == "The x <e1>big company</e1> makes <e2>chairs</e2> now."
    assert t.insert(5, "x").text() == "The <e1>big company</e1> x makes <e2>chairs</e2> now."
    assert t.insert(9, "x").text() == "The <e1>big company</e1> makes <e2>chairs</e2> x now."
    assert t.insert(11, "x").text() == "The <e1>big company</e1> makes <e2>chairs</e2> now. x"


def test_edits_keep_whitespace_natural():
    t = tokenize("  The big (red) cat sat.\r\n")
    assert t.delete(2).text() == "  The big red) cat sat.\r\n"
    assert t.delete(3).text() == "  The big () cat sat.\r\n"
    assert t.delete(5).text() == "  The big (red) sat.\r\n"
    assert t.delete(6).text() == "  The big (red) cat.\r\n"
    assert t.delete(7).text() == "  The big (red) cat sat\r\n"
    assert t.delete(0).text() == "  big (red) cat sat.\r\n"
    assert t.insert(3, "x").text() == "  The big (x red) cat sat.\r\n"
    assert t.insert(7, "x").text() == "  The big (red) cat sat x.\r\n"
    assert t.insert(8, "x").text() == "  The big (red) cat sat. x\r\n"
    assert t.swap(1, 5).text() == "  The cat (red) big sat.\r\n"
    assert tokenize("a").delete(0).text() == ""
    assert "  " not in tokenize("one two three four").delete(1).delete(1).text()


def test_from_list_is_natural():
    words = ["The", "<e1>", "company", "</e1>", "(", "big", ")", "makes", "<e2>", "chairs",
             "</e2>", "."]
    assert Tokens.from_list(words).text() == "The <e1>company</e1> (big) makes <e2>chairs</e2>."
    assert Tokens.from_list([]).text() == ""


# --- language model ---------------------------------------------------------------------------


def test_probabilities_sum_to_one_and_smooth(key):
    lm = get_language_model(key)
    assert lm.vocab[:3] == ("<s>", "</s>", "<unk>") and list(lm.vocab[3:]) == sorted(lm.vocab[3:])
    for context in ([], ["the"], ["of", "the"], ["never", "seen"], ["The", "<e1>", "FIRE"]):
        p = lm.prob_next(context)
        assert p.shape == (len(lm.vocab),) and abs(p.sum() - 1) < 1e-9
        assert p[0] == 0 and (p[1:] > 0).all()  # every word but <s> has positive probability
    after_the = lm.prob_next(["of", "the"])
    assert after_the[lm.vocab.index("survey")] > after_the[lm.vocab.index("flew")]
    assert np.allclose(lm.prob_next(["x", "the"], bos=False), lm.prob_next(["zzz", "the"]))
    words = ["the", "fire", "was", "caused", "by", "an", "electrical", "fault", "."]
    history, total = [], 0.0
    for word in [*words, "</s>"]:
        total += np.log(lm.prob_next(history)[lm.vocab.index(word)])
        history.append(word)
    assert lm.logprob(words) == pytest.approx(total)
    assert lm.logprob(["the", "fire"]) > lm.logprob(["fire", "the"])
    assert lm.perplexity(SENTENCES[:3]) < lm.perplexity(["cradle the fault plastic of ."])


def test_fit_arguments():
    with pytest.raises(ValueError, match="order"):
        NGramLM.fit(SENTENCES, order=6)
    with pytest.raises(ValueError, match="discount"):
        NGramLM.fit(SENTENCES, discount=float("nan"))
    with pytest.raises(ValueError, match="no sentences"):
        NGramLM.fit([])
    for order in (2, 4, 5):
        lm = NGramLM.fit(SENTENCES, order=order)
        assert abs(lm.prob_next(["a", "b", "the"]).sum() - 1) < 1e-9
    long = NGramLM.fit(["a " + "x" * 101])
    assert long.vocab == ("<s>", "</s>", "<unk>", "a")


def test_candidates(key):
    lm = get_language_model(key)
    words, probs = lm.candidates(["the"], ["was", "caused"], 8)
    assert len(words) == 8 and abs(probs.sum() - 1) < 1e-9 and (np.diff(probs) <= 0).all()
    assert not {"<s>", "</s>", "<unk>"} & set(words)
    mask = np.array([w.isalpha() for w in lm.vocab])
    words, _ = lm.candidates([], [], 50, mask=mask)
    assert words and all(w.isalpha() for w in words)
    assert lm.candidates(["the"], [], 10**6)[0]  # k beyond the vocabulary: all it has
    with pytest.raises(ValueError, match="mask"):
        lm.candidates([], [], 3, mask=np.ones(3, bool))


def test_sample_unigram(key):
    lm = get_language_model(key)
    draws = lm.sample_unigram(np.random.default_rng(0), 500)
    assert not {"<s>", "</s>", "<unk>"} & set(draws) and set(draws) <= set(lm.vocab)
    assert draws.count("the") > 20  # frequent in many contexts
    only = np.array([w == "fire" for w in lm.vocab])
    assert lm.sample_unigram(np.random.default_rng(0), 3, mask=only) == ["fire"] * 3


def test_parts_round_trip_and_checksum(key, tmp_path):
    lm = get_language_model(key)
    header, arrays = lm.to_parts()
    json.dumps(header)
    assert {a.dtype for a in arrays.values()} == {np.dtype(np.int64)}
    again = NGramLM.from_parts(header, arrays)
    assert again == lm and again.checksum == lm.checksum and again.key == lm.key == key
    assert re.fullmatch(r"ngram-[0-9a-f]{16}", key) and len(lm.checksum) == 64
    assert np.array_equal(again.prob_next(["the"]), lm.prob_next(["the"]))
    assert NGramLM.fit(SENTENCES[:-1]).checksum != lm.checksum
    assert NGramLM.fit(SENTENCES, discount=0.7).checksum != lm.checksum
    path = tmp_path / "lm.npz"
    lm.save(path)
    assert NGramLM.load(path) == lm


def _corrupt(lm, **changes):
    header, arrays = lm.to_parts()
    for name, value in changes.items():
        (header if name in header else arrays)[name] = value
    return header, arrays


def test_from_parts_refuses_corrupt_parts(key):
    lm = get_language_model(key)
    header, arrays = lm.to_parts()
    ngrams, counts, vocab = arrays["ngrams"], arrays["counts"], header["vocab"]
    swapped = ngrams.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    bad_bos = ngrams.copy()
    bad_bos[-1, 1] = 0
    huge = np.broadcast_to(np.zeros((1, 3), np.int64), (20_000_001, 3))
    cases = {
        "format": _corrupt(lm, format="other"),
        "order": _corrupt(lm, order=True),
        "order ": _corrupt(lm, order=6),
        "discount": _corrupt(lm, discount=float("nan")),
        "discount ": _corrupt(lm, discount=1.0),
        "int64": _corrupt(lm, ngrams=ngrams.astype(np.int32)),
        "int64 ": _corrupt(lm, counts=counts.astype(np.float64)),
        "ids must be in": _corrupt(lm, ngrams=np.where(ngrams == 5, len(vocab), ngrams)),
        "ids must be in ": _corrupt(lm, ngrams=ngrams - 1),
        "positive": _corrupt(lm, counts=counts * 0),
        "sorted lexicographically": _corrupt(lm, ngrams=swapped),
        "<s>": _corrupt(lm, ngrams=bad_bos),
        "shape": _corrupt(lm, ngrams=ngrams[:, :2]),
        "one count each": _corrupt(lm, counts=counts[:-1]),
        "1..20000000": _corrupt(lm, ngrams=huge, counts=np.broadcast_to(counts[:1], (20_000_001,))),
        "vocab must hold": _corrupt(lm, vocab=["x"] * 1_000_001),
        "vocab must start": _corrupt(lm, vocab=vocab[1:]),
        "distinct and sorted": _corrupt(lm, vocab=[*vocab[:3], *reversed(vocab[3:])]),
        "without whitespace": _corrupt(lm, vocab=[*vocab[:-1], "a b"]),
        "characters": _corrupt(lm, vocab=[*vocab[:-1], "z" * 101]),
        "every vocab word": _corrupt(lm, vocab=[*vocab, "zzzz"]),
        "keys": ({**header, "extra": 1}, arrays),
        "arrays must be": (header, {"ngrams": ngrams}),
    }
    for problem, parts in cases.items():
        with pytest.raises(LanguageModelError, match=re.escape(problem.strip())):
            NGramLM.from_parts(*parts)
    with pytest.raises(LanguageModelError):
        NGramLM.from_parts("header", arrays)


def test_npz_never_unpickles(key, tmp_path):
    lm = get_language_model(key)
    path = tmp_path / "lm.npz"
    lm.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{k}.npy" for k in ("format", "order", "discount", "vocab", "ngrams", "counts")
        )
    with np.load(path, allow_pickle=False) as npz:
        arrays = dict(npz)
    assert arrays["vocab"].dtype.kind == "U"
    hostile = tmp_path / "hostile.npz"
    np.savez(hostile, **{**arrays, "vocab": np.array(list(lm.vocab), dtype=object)})
    with pytest.raises(LanguageModelError, match="never unpickled"):
        NGramLM.load(hostile)
    np.savez(hostile, **{**arrays, "counts": arrays["counts"].astype(np.float32)})
    with pytest.raises(LanguageModelError, match="counts has dtype"):
        NGramLM.load(hostile)
    np.savez(hostile, **{k: v for k, v in arrays.items() if k != "order"})
    with pytest.raises(LanguageModelError, match="expected arrays"):
        NGramLM.load(hostile)
    hostile.write_bytes(b"not a zip")
    with pytest.raises(LanguageModelError, match="not a readable"):
        NGramLM.load(hostile)
    with pytest.raises(LanguageModelError, match="existing .npz"):
        NGramLM.load(tmp_path / "missing.npz")
    with pytest.raises(ValueError, match=".npz"):
        lm.save(tmp_path / "lm.pkl")


def test_model_registry(key):
    lm = get_language_model(key)
    assert register_language_model(NGramLM.from_parts(*lm.to_parts())) == key
    assert get_language_model(key) is lm  # idempotent: the first one stays
    with pytest.raises(LanguageModelNotFoundError, match="register_language_model") as err:
        get_language_model("ngram-0000000000000000")
    assert isinstance(err.value, LookupError)
    other = register_language_model(NGramLM.fit(["one sentence only"]))
    unregister_language_model(other)
    assert other not in registered_language_models()
    with pytest.raises(TypeError, match="NGramLM"):
        register_language_model("not a model")


# --- ops ---------------------------------------------------------------------------------------


def all_tfs(key):
    return semeval_pack(key) + destructive_text_tfs(key) + [TF("random_words", lm=key,
                                                                fraction=1.0)]


def test_ops_keep_spans_intact(key):
    rng = np.random.default_rng(0)
    sentences = [tokenize(s) for s in SENTENCES[:10]]
    sentences.append(tokenize("  Big <x>one <y>nested</y></x> and <e2>two</e2>,\r\nthen more. "))
    changed = 0
    for tf in all_tfs(key):
        for sentence in sentences:
            out = sentence
            for _ in range(5):  # a few edits in a row
                out = tf(out, rng)
                assert isinstance(out, Tokens) and same_spans(out, sentence), (tf, out.text())
            if tf.op not in ("shuffle_words", "random_words"):
                assert tokenize(out.text()) == out, (tf, out.text())
            changed += out != sentence
    assert changed > 0.8 * len(all_tfs(key)) * len(sentences)


def test_ops_leave_sentence_unchanged_when_they_cannot_act(key):
    rng = np.random.default_rng(0)
    for text in ("<e1>every word protected .</e1>", "", "  ", "<e1>a</e1> <e2>b</e2>"):
        tokens = tokenize(text)
        for tf in all_tfs(key):
            assert tf(tokens, rng) == tokens, (tf, text)
    punctuation = tokenize("<e1>a</e1> ! ?")  # only the destructive TFs edit punctuation
    for tf in semeval_pack(key):
        assert tf(punctuation, rng) == punctuation, tf
    three = tokenize("<e1>x</e1> one two three .")
    assert word_delete(three, rng=rng) == three
    assert word_delete(tokenize("one two three four"), rng=rng).text().count(" ") == 2
    no_function = tokenize("<e1>Cats</e1> purr loudly")
    assert lm_swap(no_function, key, word_class="function", rng=rng) == no_function
    assert lm_swap(no_function, key, where="between", rng=rng) == no_function


def test_ops_refuse_other_inputs(key):
    with pytest.raises(TypeError, match="expected Tokens"):
        lm_swap("The cat.", key, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="top"):
        TF("lm_swap", lm=key, top=0)
    with pytest.raises(ValueError, match="where"):
        TF("lm_swap", lm=key, where="inside")
    with pytest.raises(ValueError, match="fraction"):
        TF("random_words", lm=key, fraction=1.5)
    with pytest.raises(LanguageModelNotFoundError):
        TF("lm_swap", lm="ngram-0000000000000000")(tokenize("a b"), np.random.default_rng(0))


def test_lm_swap_uses_candidates_and_copies_case(key):
    lm = get_language_model(key)
    tokens = tokenize("THE <e1>fire</e1> was caused by <e2>water</e2>")  # one function word
    left_case = tokenize("The <e1>fire</e1> was caused by <e2>water</e2>")
    for seed in range(20):
        rng = np.random.default_rng(seed)
        out = lm_swap(tokens, key, where="outside", word_class="function", top=3, rng=rng)
        new = out.words[0]
        assert new.isupper() and new.lower() != "the"
        mask = np.array([w in FUNCTION_WORDS for w in lm.vocab])
        words, _ = lm.candidates([], ["fire", "was"], 4, mask=mask)
        assert new.lower() in [w for w in words if w != "the"][:3]
        titled = lm_swap(left_case, key, where="outside", word_class="function", rng=rng)
        assert titled.words[0] == titled.words[0].capitalize() != "The"
    out = lm_swap(tokenize("<e1>x</e1> the <e2>y</e2>"), key, word_class="function", top=1,
                  skip=2, rng=np.random.default_rng(0))
    assert out.words[3] != "the"


def changed(a: Tokens, b: Tokens) -> list[int]:
    return [i for i, (x, y) in enumerate(zip(a.words, b.words, strict=True)) if x != y]


def test_where_between_only_edits_between(key):
    rng = np.random.default_rng(1)
    for text in SENTENCES[:10]:
        tokens = tokenize(text)
        for _ in range(10):
            out = lm_swap(tokens, key, where="between", rng=rng)
            assert all(tokens.region(i) == "between" for i in changed(tokens, out))
            out = lm_swap(tokens, key, where="outside", word_class="content", rng=rng)
            assert all(tokens.region(i) == "outside" for i in changed(tokens, out))


def test_word_insert_gaps(key):
    rng = np.random.default_rng(0)
    tokens = tokenize("The <e1>fire</e1> spread fast.")
    for _ in range(50):
        out = word_insert(tokens, key, rng=rng)
        assert len(out) == len(tokens) + 1 and out.words[0] == "The" and out.words[-1] == "."
        assert out.words[-1] == "." and same_spans(out, tokens)
        assert tokenize(out.text()) == out


def test_file_check_refuses_unregistered_keys(key):
    for op in ("lm_swap", "word_insert", "random_words"):
        get_op(op).check_from_file({"lm": key})
        for bad in ("ngram-0000000000000000", "/tmp/model.npz", 3):
            with pytest.raises(ValueError, match="registered language model key"):
                get_op(op).check_from_file({"lm": bad})


def test_packs(key):
    pack = semeval_pack(key)
    assert 12 <= len(pack) <= 16 and len(set(pack)) == len(pack)
    assert {tf.op for tf in pack} == {"lm_swap", "word_swap", "word_delete", "word_insert"}
    assert [tf.op for tf in eda_pack(key)] == ["word_swap", "word_delete", "word_insert"]
    assert all(tf.kind == "text" and tf.random for tf in pack)
    assert TF.from_dict(json.loads(json.dumps(pack[0].to_dict()))) == pack[0]


# --- real data ---------------------------------------------------------------------------------


def _semeval(member: str) -> list[str]:
    with tarfile.open(ARCHIVE) as tar:
        name = next(n for n in tar.getnames() if n.endswith(member))
        text = tar.extractfile(name).read().decode("utf-8").replace("\r", "")
    return re.findall(r'^\d+\t"(.*)"$', text, flags=re.M)


def test_semeval_lm_swap_keeps_sentences_fluent():
    if not ARCHIVE.is_file():
        pytest.skip(f"SemEval-2010 Task 8 archive not found at {ARCHIVE}")
    train = _semeval("TRAIN_FILE.TXT")
    assert len(train) == 8000
    start = time.perf_counter()
    lm = NGramLM.fit(train)
    fit_s = time.perf_counter() - start
    key = register_language_model(lm)
    test = [tokenize(s) for s in _semeval("TEST_FILE_FULL.TXT")[:300]]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    swapped = [lm_swap(t, key, top=5, rng=rng) for t in test]
    swap_ms = (time.perf_counter() - start) / len(test) * 1000
    noisy = [TF("random_words", lm=key, fraction=0.5)(t, rng) for t in test]
    assert all(same_spans(a, b) for a, b in zip(test, swapped, strict=True))

    def mean_ppl(sentences):
        return float(np.mean([lm.perplexity([s]) for s in sentences]))

    original, swap, rand = mean_ppl(test), mean_ppl(swapped), mean_ppl(noisy)
    print(f"\nSemEval LM: {lm!r}; fit {fit_s:.2f} s; lm_swap {swap_ms:.2f} ms/call; "
          f"mean perplexity original {original:.0f}, lm_swap(top=5) {swap:.0f}, "
          f"random_words(0.5) {rand:.0f}")
    assert swap < 0.25 * rand and fit_s < 30
    unregister_language_model(key)
