"""Text edits never forge markup (issue 30 item 8): tokens that look like markup (``<1>``,
``</1>``, ``< e1>``, ``a<b``) are left untouched, every output parses back with the input's
spans, and the work of a call is bounded.

The suite draws 600 times; ``TANDA_MARKUP_DRAWS=10000`` runs the issue's 10,000 draws.
"""

import os

import pytest
from _probe import run_child

from tanda_transforms import TANDAPolicy, limits
from tanda_transforms.text.tokens import tokenize

SENTENCES = [
    "<1> <1> The <e1>cat</e1> chased a <e2>mouse</e2> then <1> went home",
    "A </1> b < e1> c <e1 > d <E1 x <e1>cat</e1> and <e2>dog</e2> x<y z w > e1>",
    "if a<b and c>d then <e1>x</e1> < <e2>y</e2> >< <> <<a >> </ x> <-> <_a> <9a>b </a b",
    "Then <e1>the <2> company</e1> sold <e2>old > cars</e2> to >> many << people .",
    "< e2 > and </ e1 > are not tags , nor <e-1 , but <e1>these</e1> <e2>are</e2> .",
]


def _span_names(text: str) -> list[str]:
    return [name for name, _, _ in tokenize(text).spans()]


def test_markup_like_runs_are_protected():
    tokens = tokenize("a <1> b x<y c")
    protected = dict(zip(tokens.words, tokens.protected(), strict=False))
    assert tokens.words == ("a", "<", "1", ">", "b", "x", "<", "y", "c")
    assert protected == {"a": False, "<": True, "1": True, ">": True, "b": False, "x": True,
                         "y": True, "c": False}
    assert tokens.replace(4, "first").text() == "a <1> first x<y c"
    with pytest.raises(ValueError, match="protected"):
        tokens.replace(2, "first")  # would write the tag <first>


def test_semeval_draws_parse_back_to_the_same_spans():
    draws = int(os.environ.get("TANDA_MARKUP_DRAWS", "600"))
    policy = TANDAPolicy.load("semeval", seed=5)
    policy.p = 1.0
    expected = [_span_names(s) for s in SENTENCES]
    changed = 0
    for i in range(draws):
        sentence = SENTENCES[i % len(SENTENCES)]
        out = policy(sentence)
        assert _span_names(out) == expected[i % len(SENTENCES)], (sentence, out)
        changed += out != sentence
    assert changed > draws // 2  # the policy did edit the sentences


def test_a_sentence_over_the_limit_is_refused(monkeypatch):
    policy = TANDAPolicy.load("semeval", seed=0)
    with pytest.raises(ValueError, match="MAX_SENTENCE_CHARS"):
        policy("the cat sat . " * 10_000)
    with pytest.raises(ValueError, match="MAX_SENTENCE_CHARS"):
        policy(["cat"] * 30_000)
    monkeypatch.setattr(limits, "MAX_SENTENCE_CHARS", None)
    assert len(policy("the cat sat . " * 10_000)) > 100_000


def test_deeply_nested_spans_take_memory_linear_in_the_sentence():
    """10,000 nested tags (~150 KB, the limit raised for it) took > 60 s and +468 MB."""
    result = run_child("""
    from tanda_transforms import TANDAPolicy, limits
    from tanda_transforms.text.tokens import tokenize
    policy = TANDAPolicy.load("semeval", seed=0)
    policy.p = 1.0
    policy("The <e1>cat</e1> sat on the <e2>mat</e2> .")
    limits.MAX_SENTENCE_CHARS = None
    """, """
    opening = "".join(f"<t{i}>" for i in range(10_000))
    closing = "".join(f"</t{i}>" for i in reversed(range(10_000)))
    sentence = f"Some words {opening} inside {closing} and more words here ."
    outs = [policy(sentence)]
    result["spans"] = [len(tokenize(out).spans()) for out in outs]
    """, timeout=300)
    assert result["spans"] == [10_000]
    assert result["extra_mb"] < 100, result
