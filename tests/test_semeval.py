"""SemEval-2010 Task 8: the reader, the official score and the relation end model.

Everything runs on small inline fixtures; the checks against the real release (counts, the
official Perl scorer) skip where ``$TANDA_DATA/semeval2010-task8`` (default
``/work/shared/data``) or ``perl`` is absent.
"""

from __future__ import annotations

import io
import os
import random
import re
import shutil
import subprocess
import tarfile
from collections import Counter
from pathlib import Path

import pytest
import torch

from tanda_transforms.data import (
    RELATION_LABELS,
    RELATIONS,
    MarkupError,
    RelationExample,
    SemEvalFormatError,
    load_semeval,
    parse_semeval,
)
from tanda_transforms.evaluation.relation import (
    RelationCNN,
    Vocabulary,
    default_epochs,
    encode_sentence,
    label_subset,
    train_relation_classifier,
)
from tanda_transforms.evaluation.relation_metrics import official_macro_f1, relation_report

REAL_DATA = Path(os.environ.get("TANDA_DATA", "/work/shared/data"))
ARCHIVE = REAL_DATA / "semeval2010-task8" / "SemEval2010_task8_all_data.tar.gz"
SCORER = "SemEval2010_task8_all_data/SemEval2010_task8_scorer-v1.2/semeval2010_task8_scorer-v1.2.pl"
PERL = shutil.which("perl")

needs_data = pytest.mark.skipif(not ARCHIVE.is_file(), reason=f"{ARCHIVE} not present")
needs_perl = pytest.mark.skipif(PERL is None, reason="perl not installed")

# Three blocks in the release's format (CRLF, 4 lines each); the middle one has an empty comment.
FIXTURE = (
    '1\t"The system as described above has its greatest application in an arrayed '
    '<e1>configuration</e1> of antenna <e2>elements</e2>."\r\n'
    "Component-Whole(e2,e1)\r\n"
    "Comment: Not a collection: there is structure here, organisation.\r\n"
    "\r\n"
    '2\t"The <e1>child</e1> was carefully wrapped and bound into the <e2>cradle</e2> by means '
    'of a cord."\r\n'
    "Other\r\n"
    "Comment:\r\n"
    "\r\n"
    '3\t"The <e1>author</e1> of a keygen uses a <e2>disassembler</e2> to look at the raw '
    'assembly code."\r\n'
    "Instrument-Agency(e2,e1)\r\n"
    "Comment:\r\n"
    "\r\n"
)


# --- labels ------------------------------------------------------------------------------------


def test_relation_labels_order():
    assert len(RELATION_LABELS) == 19 and len(set(RELATION_LABELS)) == 19
    assert RELATION_LABELS[0] == "Other"
    assert RELATION_LABELS[1:3] == ("Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)")
    assert [RELATION_LABELS[1 + 2 * k][: -len("(e1,e2)")] for k in range(9)] == list(RELATIONS)


# --- reader ------------------------------------------------------------------------------------


def test_parse_fixture_crlf():
    examples = parse_semeval(FIXTURE)
    assert [ex.id for ex in examples] == [1, 2, 3]
    assert examples[0].sentence.startswith("The system") and examples[0].sentence.endswith(
        "<e2>elements</e2>."
    )
    assert examples[0].label == "Component-Whole(e2,e1)"
    assert examples[0].comment == "Not a collection: there is structure here, organisation."
    assert examples[1].comment == "" and examples[1].relation == "Other"
    assert parse_semeval(FIXTURE.replace("\r\n", "\n")) == examples  # LF reads the same


def _tar_with(tmp_path: Path, members: dict[str, str]) -> Path:
    path = tmp_path / "release.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in members.items():
            blob = text.encode("ascii")
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return path


def test_load_from_archive_folder_and_file(tmp_path):
    root = "SemEval2010_task8_all_data"
    train_name = f"{root}/SemEval2010_task8_training/TRAIN_FILE.TXT"
    test_name = f"{root}/SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT"
    test_text = FIXTURE.replace("1\t", "8001\t").replace("2\t", "8002\t").replace("3\t", "8003\t")
    archive = _tar_with(tmp_path, {train_name: FIXTURE, test_name: test_text})
    expected = parse_semeval(FIXTURE)
    assert load_semeval(archive) == expected
    assert [ex.id for ex in load_semeval(archive, "test")] == [8001, 8002, 8003]
    folder = tmp_path / "extracted"
    with tarfile.open(archive) as handle:
        handle.extractall(folder, filter="data")
    assert load_semeval(folder, "train") == expected
    assert load_semeval(folder / train_name) == expected
    with pytest.raises(ValueError, match="split must be one of"):
        load_semeval(archive, "dev")


def test_load_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_semeval(tmp_path / "nowhere.tar.gz")
    archive = _tar_with(tmp_path, {"x/TRAIN_FILE.TXT": FIXTURE})
    with pytest.raises(FileNotFoundError, match="holds no TEST_FILE_FULL.TXT"):
        load_semeval(archive, "test")


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ('cord."', "cord.", 5, r"expected id<TAB>\"sentence\""),  # no closing quote
        ("2\t", "2 ", 5, "expected id<TAB>"),
        ("Other\r\n", "other\r\n", 6, "unknown label 'other'"),
        ("Instrument-Agency(e2,e1)", "Instrument-Agency(e2,e2)", 10, "unknown label"),
        ("Comment:\r\n\r\n3", "Remark:\r\n\r\n3", 7, "expected a line starting with 'Comment:'"),
        ("Comment:\r\n\r\n3", "Comment:\r\nextra\r\n3", 8, "expected a blank line"),
        ("<e1>child</e1>", "child", 5, "expected '<e1>' once, found it 0 times"),
        ("<e1>child</e1>", "</e1>child<e1>", 5, "</e1> comes before <e1>"),
        ("<e1>child</e1>", "<e1> </e1>", 5, "the e1 nominal is empty"),
        ("3\t", "1\t", 9, "id 1 repeats the id of line 1"),
    ],
)
def test_format_errors_name_file_and_line(old, new, line, message):
    text = FIXTURE.replace(old, new, 1)
    assert text != FIXTURE
    with pytest.raises(SemEvalFormatError, match=f"^TRAIN_FILE.TXT:{line}: .*{message}"):
        parse_semeval(text, "TRAIN_FILE.TXT")


def test_format_error_empty_and_truncated():
    with pytest.raises(SemEvalFormatError, match="no examples"):
        parse_semeval("\r\n\r\n", "f")
    truncated = FIXTURE[: FIXTURE.index("Instrument-Agency")]
    with pytest.raises(SemEvalFormatError, match=r"^f:10: unknown label ''"):
        parse_semeval(truncated, "f")


def test_format_error_in_archive_names_member(tmp_path):
    archive = _tar_with(tmp_path, {"d/TRAIN_FILE.TXT": FIXTURE.replace("Other", "Nothing")})
    with pytest.raises(SemEvalFormatError, match=r"release\.tar\.gz:d/TRAIN_FILE\.TXT:6: "):
        load_semeval(archive)


# --- official score ----------------------------------------------------------------------------

CE12, CE21 = "Cause-Effect(e1,e2)", "Cause-Effect(e2,e1)"
CW12, CW21 = "Component-Whole(e1,e2)", "Component-Whole(e2,e1)"
MT12 = "Message-Topic(e1,e2)"
GOLD = [CE12, CE12, CE21, CW12, CW21, "Other", "Other", MT12]
PRED = [CE12, CE21, CE21, "Other", CW21, CE12, CW12, "Other"]


def test_official_score_hand_computed():
    report = relation_report(GOLD, PRED)
    rows = {s.relation: s for s in report.scores}
    assert list(rows) == ["Other", "Cause-Effect", "Component-Whole", "Message-Topic"]
    ce = rows["Cause-Effect"]
    # 2 right; 1 wrong direction (counts against P and R); 1 Other sentence called Cause-Effect
    assert (ce.correct, ce.proposed, ce.wrong_direction, ce.actual) == (2, 3, 1, 3)
    assert ce.precision == pytest.approx(50.0) and ce.recall == pytest.approx(200 / 3)
    assert ce.f1 == pytest.approx(400 / 7)
    cw = rows["Component-Whole"]
    assert (cw.correct, cw.proposed, cw.wrong_direction, cw.f1) == (1, 2, 0, 50.0)
    mt = rows["Message-Topic"]
    assert (mt.proposed, mt.precision, mt.recall, mt.f1) == (0, 0.0, 0.0, 0.0)
    assert report.macro_f1 == pytest.approx((400 / 7 + 50) / 3)
    assert report.macro_precision == pytest.approx(100 / 3)
    assert report.macro_recall == pytest.approx((200 / 3 + 50) / 3)
    assert (report.micro_precision, report.micro_recall) == (50.0, 50.0)
    assert report.accuracy == 37.5
    assert official_macro_f1(GOLD, PRED) == report.macro_f1
    assert official_macro_f1(GOLD, GOLD) == 100.0


def test_official_score_errors():
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        official_macro_f1([CE12, CE21], [CE12])
    with pytest.raises(ValueError, match=r"pred\[0\] = 'Cause-Effect' is not"):
        official_macro_f1([CE12], ["Cause-Effect"])
    with pytest.raises(ValueError, match="no relation other than 'Other'"):
        official_macro_f1(["Other"], [CE12])
    with pytest.raises(TypeError, match="not one string"):
        official_macro_f1("Other", "Other")


def _perl_scores(tmp_path: Path, gold: list[str], pred: list[str]) -> str:
    scorer = tmp_path / "scorer.pl"
    if not scorer.exists():
        with tarfile.open(ARCHIVE) as archive:
            handle = archive.extractfile(SCORER)
            assert handle is not None
            scorer.write_bytes(handle.read())
    key, answer = tmp_path / "key.txt", tmp_path / "answer.txt"
    key.write_text("".join(f"{i}\t{label}\n" for i, label in enumerate(gold, 1)))
    answer.write_text("".join(f"{i}\t{label}\n" for i, label in enumerate(pred, 1)))
    done = subprocess.run([PERL, str(scorer), str(answer), str(key)], capture_output=True,
                          text=True, check=True, timeout=60)
    return done.stdout.split("-- OFFICIAL >>>")[1]


def _check_against_perl(official: str, gold: list[str], pred: list[str]) -> None:
    report = relation_report(gold, pred)
    rows = {"_Other" if s.relation == "Other" else s.relation: s for s in report.scores}
    pattern = re.compile(
        r"^\s*(\S+) :\s+P =\s*(\d+)/\(\s*(\d+) \+\s*(\d+)\) =\s*([\d.]+)%\s+"
        r"R =\s*(\d+)/\s*(\d+) =\s*([\d.]+)%\s+F1 =\s*([\d.]+)%$", re.M)
    found = pattern.findall(official)
    assert sorted(name for name, *_ in found) == sorted(rows)
    for name, correct, proposed, xdir, p, _, actual, r, f1 in found:
        s = rows[name]
        assert (s.correct, s.proposed, s.wrong_direction, s.actual) == (
            int(correct), int(proposed), int(xdir), int(actual)), name
        for ours, theirs in ((s.precision, p), (s.recall, r), (s.f1, f1)):
            assert abs(ours - float(theirs)) <= 0.0051, (name, ours, theirs)
    _assert_close(report.macro_precision, report.macro_recall, report.macro_f1, official,
                  r"MACRO-averaged result \(excluding Other\):\nP =\s*([\d.]+)%\s*"
                  r"R =\s*([\d.]+)%\s*F1 =\s*([\d.]+)%")
    _assert_close(report.micro_precision, report.micro_recall, report.micro_f1, official,
                  r"Micro-averaged result \(excluding Other\):\nP =.*= *([\d.]+)%\s+"
                  r"R =.*= *([\d.]+)%\s+F1 = *([\d.]+)%")
    accuracy = re.search(r"Accuracy \(calculated for the above confusion matrix\) = .* = *"
                         r"([\d.]+)%", official)
    assert accuracy is not None and abs(report.accuracy - float(accuracy.group(1))) <= 0.0051
    final = re.search(r"macro-averaged F1 = ([\d.]+)%", official)
    assert final is not None and f"{report.macro_f1:.2f}" == final.group(1)


def _corrupt(gold: list[str], rate: float, rng: random.Random) -> list[str]:
    """Per label, with probability ``rate``: flip the direction, call it Other, or any label."""
    pred = []
    for label in gold:
        if rng.random() >= rate:
            pred.append(label)
            continue
        kind = rng.randrange(3)
        if kind == 0 and label != "Other":
            flipped = "(e2,e1)" if label.endswith("(e1,e2)") else "(e1,e2)"
            pred.append(label[:-7] + flipped)
        elif kind == 1:
            pred.append("Other")
        else:
            pred.append(rng.choice(RELATION_LABELS))
    return pred


@needs_data
@needs_perl
def test_official_score_matches_perl_scorer_hand_fixture(tmp_path):
    _check_against_perl(_perl_scores(tmp_path, GOLD, PRED), GOLD, PRED)


@needs_data
@needs_perl
def test_official_score_matches_perl_scorer_on_test_labels(tmp_path):
    gold = [ex.label for ex in load_semeval(ARCHIVE, "test")]
    rng = random.Random(0)
    cases = [_corrupt(gold, rate, rng) for rate in (0.0, 0.1, 0.5, 1.0)]
    cases.append([CE21 if g == "Other" else g for g in gold])  # a relation over-predicted
    cases.append(["Other" if g.startswith("Message-Topic") else g for g in gold])  # never said
    for pred in cases:
        _check_against_perl(_perl_scores(tmp_path, gold, pred), gold, pred)
    # a key without Message-Topic: the macro average is over the 8 relations present
    kept = [i for i, g in enumerate(gold) if not g.startswith("Message-Topic")]
    sub_gold = [gold[i] for i in kept]
    sub_pred = [cases[2][i] for i in kept]
    _check_against_perl(_perl_scores(tmp_path, sub_gold, sub_pred), sub_gold, sub_pred)


# --- end model ---------------------------------------------------------------------------------

_NOUNS = [("wine", "bottle"), ("tea", "cup"), ("virus", "disease"), ("smoke", "fire"),
          ("wheel", "car"), ("key", "keyboard"), ("letter", "box"), ("lamp", "room")]
_LABELS = ["Content-Container(e1,e2)", "Content-Container(e1,e2)", "Cause-Effect(e1,e2)",
           "Cause-Effect(e2,e1)", "Component-Whole(e1,e2)", "Component-Whole(e1,e2)",
           "Other", "Other"]


def _toy_examples(n: int = 40) -> list[RelationExample]:
    templates = ["The <e1>{a}</e1> is in the <e2>{b}</e2>.",
                 "A <e1>{a}</e1> came from the old <e2>{b}</e2> yesterday.",
                 "We saw <e1>{a}</e1> and <e2>{b}</e2>"]
    examples = []
    for i in range(n):
        (a, b), label = _NOUNS[i % 8], _LABELS[i % 8]
        examples.append(RelationExample(i, templates[i % 3].format(a=a, b=b), label))
    return examples


def test_encode_sentence_positions_and_vocabulary():
    enc = encode_sentence("Big <e1>red apples</e1> fell from the <e2>tree</e2> today .")
    assert enc.words == ("big", "red", "apples", "fell", "from", "the", "tree", "today", ".")
    assert enc.to_e1 == (-1, 0, 0, 1, 2, 3, 4, 5, 6)
    assert enc.to_e2 == (-6, -5, -4, -3, -2, -1, 0, 1, 2)
    far = encode_sentence("<e1>a</e1> " + "x " * 70 + "<e2>b</e2>")
    assert far.to_e1[-1] == 60 and far.to_e2[0] == -60
    vocab = Vocabulary.build([enc.words])
    assert vocab.encode(["apples", "pears"]) == [vocab.index["apples"], 1]
    with pytest.raises(MarkupError, match="no <e2>"):
        encode_sentence("Big <e1>apples</e1> fell.")
    with pytest.raises(MarkupError, match="malformed markup"):
        encode_sentence("Big <e1>apples fell <e2>tree</e2>.")


def test_model_ignores_padding():
    torch.manual_seed(0)
    net = RelationCNN(vocab_size=20, filters=8).eval()
    words = torch.tensor([[2, 3, 4, 5, 6, 7, 8], [9, 10, 0, 0, 0, 0, 0]])
    d = torch.tensor([[-1, 0, 1, 2, 3, 4, 5], [0, 1, 0, 0, 0, 0, 0]])
    batched = net(words, d, -d, torch.tensor([7, 2]))
    alone = net(words[1:, :2], d[1:, :2], -d[1:, :2], torch.tensor([2]))
    assert torch.allclose(batched[1:], alone, atol=1e-6)


def test_train_one_epoch_returns_float_f1():
    examples = _toy_examples()
    result = train_relation_classifier(examples[:32], examples[32:], epochs=1, seed=0, threads=1)
    assert isinstance(result["macro_f1"], float) and 0.0 <= result["macro_f1"] <= 100.0
    assert (result["epochs"], result["steps"], result["n_train"], result["n_test"]) == (1, 1, 32, 8)
    assert result["augmented"] is False and result["augment_seconds"] == 0.0
    again = train_relation_classifier(examples[:32], examples[32:], epochs=1, seed=0, threads=1)
    assert again["final_loss"] == result["final_loss"]  # seeded


def test_train_with_augment_and_broken_markup():
    examples = _toy_examples()
    seen: list[str] = []

    def shout(sentence: str) -> str:
        seen.append(sentence)
        return sentence.replace("The ", "THE ")

    result = train_relation_classifier(examples[:32], examples[32:], augment=shout, epochs=2,
                                       seed=1, threads=1, valid=examples[32:])
    assert len(seen) == 64 and result["augmented"] is True and len(result["valid_f1"]) == 2

    def strip(sentence: str) -> str:
        return re.sub(r"</?e2>", "", sentence)

    with pytest.raises(MarkupError, match=r"augment broke the <e1>/<e2> markup of sentence 0"):
        train_relation_classifier(examples[:8], examples[:8], augment=strip, epochs=1)
    with pytest.raises(TypeError, match="augment must return a str"):
        train_relation_classifier(examples[:8], examples[:8], augment=lambda s: [s], epochs=1)


def test_label_subset_stratified_and_seeded():
    pool = [RelationExample(i, "<e1>a</e1> <e2>b</e2>", RELATION_LABELS[i % 5] if i < 400
                            else "Other") for i in range(500)]
    subset = label_subset(pool, 0.1, seed=3)
    counts, full = Counter(ex.label for ex in subset), Counter(ex.label for ex in pool)
    assert len(subset) == 50
    assert counts == {label: n // 10 for label, n in full.items()}
    assert label_subset(pool, 0.1, seed=3) == subset
    assert label_subset(pool, 0.1, seed=4) != subset
    assert [ex.id for ex in subset] == sorted(ex.id for ex in subset)


def test_default_epochs_rule():
    assert default_epochs(8000) == 12 and default_epochs(800) == 120
    steps = [default_epochs(n) * -(-n // 50) for n in (8000, 4000, 800)]
    assert steps == [1920, 1920, 1920]
    with pytest.raises(ValueError, match="positive int"):
        default_epochs(0)


# --- the real release --------------------------------------------------------------------------

TRAIN_COUNTS = {"Other": 1410, "Cause-Effect": 1003, "Component-Whole": 941,
                "Entity-Destination": 845, "Product-Producer": 717, "Entity-Origin": 716,
                "Member-Collection": 690, "Message-Topic": 634, "Content-Container": 540,
                "Instrument-Agency": 504}
TEST_COUNTS = {"Other": 454, "Cause-Effect": 328, "Component-Whole": 312,
               "Entity-Destination": 292, "Product-Producer": 231, "Entity-Origin": 258,
               "Member-Collection": 233, "Message-Topic": 261, "Content-Container": 192,
               "Instrument-Agency": 156}


@needs_data
def test_real_release_counts():
    train, test = load_semeval(ARCHIVE, "train"), load_semeval(ARCHIVE, "test")
    assert [ex.id for ex in train] == list(range(1, 8001))
    assert [ex.id for ex in test] == list(range(8001, 10718))
    assert Counter(ex.relation for ex in train) == TRAIN_COUNTS
    assert Counter(ex.relation for ex in test) == TEST_COUNTS
    assert train[0].label == "Component-Whole(e2,e1)"
    assert test[0].sentence == ("The most common <e1>audits</e1> were about <e2>waste</e2> "
                                "and recycling.")
    assert all(encode_sentence(ex.sentence).words for ex in train[:200])


def _assert_close(precision, recall, f1, official: str, pattern: str) -> None:
    """Our P, R and F1 agree with the scorer's printed ones (to its two decimals)."""
    found = re.search(pattern, official)
    assert found is not None, pattern
    for value, theirs in zip((precision, recall, f1), found.groups(), strict=True):
        assert abs(value - float(theirs)) <= 0.0051
