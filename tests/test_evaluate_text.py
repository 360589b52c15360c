"""SemEval-2010 Task 8 through the end-model harness and ``tanda evaluate`` (issue 29, item 3).

A small release in the real format (a tar archive in a folder, as ../shared/data holds it)
runs through the same record, conditions, results record and validation protocol as the
image datasets; the relation end model and its macro-F1 come from the ``semeval`` record.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from tanda_transforms import TANDAPolicy
from tanda_transforms.cli import main
from tanda_transforms.data.semeval import RELATION_LABELS, RelationExample
from tanda_transforms.evaluation import EvalConfig, dataset_record, load_task
from tanda_transforms.evaluation.augment import make_augment
from tanda_transforms.evaluation.relation import label_subset, train_relation_classifier
from tanda_transforms.text.learn import text_library

NOUNS = [("wine", "bottle"), ("tea", "cup"), ("virus", "disease"), ("smoke", "fire"),
         ("wheel", "car"), ("key", "keyboard"), ("letter", "box"), ("lamp", "room")]
LABELS = ["Content-Container(e1,e2)", "Content-Container(e1,e2)", "Cause-Effect(e1,e2)",
          "Cause-Effect(e2,e1)", "Component-Whole(e1,e2)", "Component-Whole(e1,e2)",
          "Other", "Other"]
TEMPLATES = ["The <e1>{a}</e1> is in the <e2>{b}</e2>.",
             "A <e1>{a}</e1> came from the old <e2>{b}</e2> yesterday.",
             "We saw the <e1>{a}</e1> and the <e2>{b}</e2> today."]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _examples(first_id: int, n: int) -> list[RelationExample]:
    return [RelationExample(first_id + i, TEMPLATES[i % 3].format(a=NOUNS[i % 8][0],
                                                                   b=NOUNS[i % 8][1]),
                            LABELS[i % 8]) for i in range(n)]


def _release_text(examples: list[RelationExample]) -> str:
    return "".join(f'{ex.id}\t"{ex.sentence}"\r\n{ex.label}\r\nComment:\r\n\r\n'
                   for ex in examples)


@pytest.fixture
def release(tmp_path) -> Path:
    """A folder holding a tar archive of 48 training and 16 test sentences."""
    folder = tmp_path / "semeval2010-task8"
    folder.mkdir()
    members = {"all/SemEval2010_task8_training/TRAIN_FILE.TXT": _examples(1, 48),
               "all/SemEval2010_task8_testing_keys/TEST_FILE_FULL.TXT": _examples(8001, 16)}
    with tarfile.open(folder / "release.tar.gz", "w:gz") as archive:
        for name, examples in members.items():
            blob = _release_text(examples).encode("ascii")
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    return folder


@pytest.fixture
def text_policy(release, tmp_path) -> Path:
    """A uniform policy over the eda pack, on a language model of the training sentences."""
    task = load_task("semeval", release)
    library = text_library("eda", [ex.sentence for ex in task.train_images])
    path = tmp_path / "semeval_mf.tanda"
    TANDAPolicy(library, seq_len=2, p=0.5).save(path)
    return path


def test_the_record_reads_sentences_as_a_task(release) -> None:
    task = load_task("semeval", release, test_limit=8)
    assert task.dataset == "semeval" and task.classes == tuple(RELATION_LABELS)
    assert task.train_images.dtype == object and len(task.train_images) == 48
    assert isinstance(task.train_images[0], RelationExample)
    assert task.train_labels.tolist()[:2] == [RELATION_LABELS.index(label) for label in LABELS[:2]]
    assert len(task.test_labels) == 8 and task.info["release"] == "release.tar.gz"
    record = dataset_record("semeval")
    assert (record.metric, record.trainer, record.pack) == ("macro_f1", "relations", None)
    config = EvalConfig.for_dataset("semeval")
    assert (config.epochs, config.lr, config.batch_size, config.policy_p) == (None, 1e-3, 50, 0.5)


def test_conditions_that_do_not_apply_to_sentences_are_refused() -> None:
    with pytest.raises(ValueError, match="semeval has no condition 'randaugment'"):
        make_augment("randaugment", "semeval")
    with pytest.raises(ValueError, match="heuristic on semeval needs a policy file"):
        make_augment("heuristic", "semeval")
    with pytest.raises(ValueError, match="semeval has no condition 'basic'"):
        make_augment("none", "semeval", with_basic=True)


def test_tanda_evaluate_runs_semeval_and_writes_the_harness_record(release, text_policy,
                                                                   tmp_path, capsys) -> None:
    out = tmp_path / "results.json"
    argv = ["evaluate", "--dataset", "semeval", "--data", str(release), "--seeds", "0",
            "--epochs", "1", "--label-fraction", "0.5", "--policy-mf", str(text_policy),
            "--out", str(out), "--smoke"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "note: skipping basic: not a condition of semeval" in text
    record = json.loads(out.read_text())["runs"][0]
    assert record["dataset"] == "semeval" and record["metric"] == "macro_f1"
    assert list(record["conditions"]) == ["none", "heuristic", "tanda_mf"]
    assert record["n_labeled"] == 24 and record["n_test"] == 16
    assert record["policies"]["heuristic"]["path"] == str(text_policy)
    assert {"basic", "randaugment", "tanda_lstm"} <= set(record["skipped"])
    # the harness trains the relation CNN on the label-stratified subset, as the script did
    task = load_task("semeval", release)
    subset = label_subset(list(task.train_images), 0.5, seed=0)
    direct = train_relation_classifier(subset, list(task.test_images), epochs=1, seed=0)
    assert record["conditions"]["none"]["accuracy"] == [round(direct["macro_f1"], 4)]


def test_semeval_settings_are_chosen_on_validation(release, text_policy, tmp_path,
                                                   capsys) -> None:
    out = tmp_path / "validated.json"
    argv = ["evaluate", "--dataset", "semeval", "--data", str(release), "--seeds", "0",
            "--epochs", "1", "--label-fraction", "0.5", "--conditions", "none", "tanda_mf",
            "--policy-mf", str(text_policy), "--select-on-validation", "--val-size", "8",
            "--out", str(out), "--smoke"]
    assert main(argv) == 0
    selection = json.loads(out.read_text())["runs"][0]["selection"]
    assert selection["grids"]["tanda_mf"] == {"p": [0.25, 0.5, 0.75, 1.0]}
    assert len(selection["candidates"]["tanda_mf"]) == 4
    assert selection["split_sizes"]["0"] == {"labeled": 24, "validation": 8, "unlabeled": 16}
    assert selection["chosen"]["tanda_mf"]["p"] in (0.25, 0.5, 0.75, 1.0)
    assert "chosen on validation" in capsys.readouterr().out


def test_export_of_a_sentence_pool_is_refused(release, tmp_path, capsys) -> None:
    argv = ["evaluate", "--dataset", "semeval", "--data", str(release),
            "--export-unlabeled", str(tmp_path / "x.npy")]
    assert main(argv) == 2
    assert "bad evaluate option: --export-unlabeled writes images; semeval's pool is " \
        "sentences" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()


def _experiment_script():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "docs" / "experiments" / "semeval.py"
    spec = importlib.util.spec_from_file_location("semeval_experiment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_experiment_script_runs_the_harness_per_fraction_and_tabulates(
        release, tmp_path, capsys) -> None:
    script = _experiment_script()
    out = tmp_path / "results.json"
    argv = ["--data", str(release), "--fractions", "0.5", "1.0", "--seeds", "0", "1",
            "--epochs", "1", "--conditions", "none", "--out", str(out)]
    assert script.main(argv) == 0
    runs = json.loads(out.read_text())["runs"]
    assert [r["config"]["label_fraction"] for r in runs] == [0.5, 1.0]
    assert [r["n_labeled"] for r in runs] == [24, 48]
    capsys.readouterr()
    assert script.main(["--table", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| condition | 50 % | 100 % |" in table and "(2 seeds)" in table
    legacy = {"task": "semeval2010-task8", "runs": [
        {"condition": c, "fraction": 0.1, "seed": s, "p": None if c == "none" else 0.5,
         "epochs": 120, "macro_f1": f}
        for c, s, f in (("none", 0, 50.0), ("none", 1, 54.0), ("eda", 0, 51.0),
                        ("eda", 1, 56.0))]}
    (tmp_path / "legacy.json").write_text(json.dumps(legacy))
    assert script.main(["--table", str(tmp_path / "legacy.json")]) == 0
    table = capsys.readouterr().out
    assert "| none | 52.00 ± 2.83 (2 seeds) |" in table
    assert "| eda (p=0.5) | +1.50 ± 0.71 (2 seeds) |" in table
