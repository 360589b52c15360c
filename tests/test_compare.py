"""``tanda compare``: paired differences between conditions of results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tanda_transforms.cli import main
from tanda_transforms.evaluation.compare import Entry, format_comparison, paired, read_entry

CONFIG = {"dataset": "mnist", "label_fraction": 0.01, "epochs": 30, "seeds": [0, 1, 2],
          "threads": 1, "device": "cpu"}


def record(conditions: dict[str, tuple[list[int], list[float]]], dataset: str = "mnist",
           **config) -> dict:
    """A results record of ``conditions`` (name -> (seeds, accuracies))."""
    return {"dataset": dataset, "config": {**CONFIG, "dataset": dataset, **config},
            "conditions": {name: {"seeds": seeds, "accuracy": accuracy}
                           for name, (seeds, accuracy) in conditions.items()}}


def results(tmp_path: Path, *records: dict, name: str = "results.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"dataset": records[0]["dataset"], "runs": list(records)}))
    return path


def test_paired_differences_are_taken_on_the_common_seeds() -> None:
    reference = Entry("r", "mnist", {0: 90.0, 1: 91.0, 2: 92.0}, {})
    other = Entry("o", "mnist", {1: 91.5, 2: 91.0, 3: 99.0}, {})
    pair = paired(reference, other)
    assert pair.seeds == [1, 2]
    assert pair.differences == pytest.approx([0.5, -1.0])
    assert pair.mean == pytest.approx(-0.25)
    assert pair.std == pytest.approx(1.5 / 2**0.5)  # sample std (ddof 1), as the harness's
    assert pair.above == 1


def test_pairing_needs_a_common_seed_and_one_dataset() -> None:
    reference = Entry("r", "mnist", {0: 90.0}, {})
    with pytest.raises(ValueError, match="share no seed"):
        paired(reference, Entry("o", "mnist", {1: 90.0}, {}))
    with pytest.raises(ValueError, match="cifar10 result"):
        paired(reference, Entry("o", "cifar10", {0: 90.0}, {}))


def test_records_of_one_condition_run_alike_are_merged_by_seed(tmp_path: Path) -> None:
    path = results(tmp_path, record({"tanda_lstm": ([0], [96.0])}),
                   record({"none": ([0, 1], [95.0, 95.5])}),
                   record({"tanda_lstm": ([1, 2], [96.5, 97.0])}))
    entry = read_entry(f"{path}:tanda_lstm")
    assert entry.by_seed == {0: 96.0, 1: 96.5, 2: 97.0}
    assert entry.dataset == "mnist" and entry.notes == ()
    assert "seeds" not in entry.config and entry.config["epochs"] == 30
    assert read_entry(f"{path}:tanda_lstm:2").by_seed == {1: 96.5, 2: 97.0}


def test_records_run_differently_are_merged_only_when_named(tmp_path: Path) -> None:
    path = results(tmp_path, record({"basic": ([0], [96.0])}),
                   record({"basic": ([1], [96.4])}, epochs=60))
    with pytest.raises(ValueError, match=r"records 0 and 1 ran 'basic' differently \(epochs "
                                         r"30 vs 60\).*basic:0,1"):
        read_entry(f"{path}:basic")
    entry = read_entry(f"{path}:basic:0,1")
    assert entry.by_seed == {0: 96.0, 1: 96.4}
    assert entry.notes == ("record 1 differs from record 0: epochs 30 vs 60",)


def test_a_later_record_of_a_seed_replaces_it_and_says_so(tmp_path: Path) -> None:
    path = results(tmp_path, record({"none": ([0], [95.0])}), record({"none": ([0], [95.25])}))
    entry = read_entry(f"{path}:none")
    assert entry.by_seed == {0: 95.25}
    assert entry.notes == ("record 1 replaces seed 0's 95.00 with 95.25",)


@pytest.mark.parametrize(("spec", "message"), [
    ("{path}", "PATH:CONDITION"),
    (":none", "PATH:CONDITION"),
    ("{path}:autoaugment", "no result of condition 'autoaugment'"),
    ("{path}:none:3", "has 1 records"),
    ("{other}:none", "not a results file"),
])
def test_bad_specs_are_refused_with_what_was_expected(tmp_path: Path, spec: str,
                                                      message: str) -> None:
    path = results(tmp_path, record({"none": ([0], [95.0])}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"dataset": "mnist"}))
    with pytest.raises(ValueError, match=message):
        read_entry(spec.format(path=path, other=other))


@pytest.mark.parametrize(("seeds", "accuracy"), [
    ([0], [float("nan")]), ([True], [95.0]), ([0], ["95"]), ([0, 1], [95.0]),
])
def test_corrupt_accuracies_are_refused(tmp_path: Path, seeds: list, accuracy: list) -> None:
    path = tmp_path / "results.json"
    bad = record({"none": ([0], [95.0])})
    bad["conditions"]["none"] = {"seeds": seeds, "accuracy": accuracy}
    path.write_text(json.dumps({"dataset": "mnist", "runs": [bad]}))
    with pytest.raises(ValueError, match="record 0"):
        read_entry(f"{path}:none")


def test_the_table_gives_each_paired_difference_and_notes_what_differs() -> None:
    reference = Entry("ref", "mnist", {0: 90.0, 1: 92.0}, {"epochs": 30})
    others = [Entry("same", "mnist", {0: 91.0, 1: 92.5}, {"epochs": 30}),
              Entry("longer", "mnist", {1: 93.0}, {"epochs": 60})]
    lines = format_comparison([reference, *others]).splitlines()
    assert lines[0] == "reference: ref  91.00 ± 1.41 (seeds 0, 1)"
    assert lines[2].split() == ["same", "91.75", "±", "1.06", "+0.75", "±", "0.35", "+1.00,",
                                "+0.50", "2", "of", "2"]
    assert lines[3].split()[4:] == ["+1.00", "±", "0.00", "+1.00", "1", "of", "1"]
    assert lines[4:] == ["note: longer is paired on seeds 1 only",
                         "note: longer ran the end model differently: epochs 30 vs 60"]


def test_the_command_prints_the_comparison(tmp_path: Path, capsys) -> None:
    path = results(tmp_path, record({"none": ([0, 1], [95.0, 96.0]),
                                     "tanda_mf": ([0, 1], [95.5, 96.25])}))
    assert main(["compare", f"{path}:none", f"{path}:tanda_mf"]) == 0
    out = capsys.readouterr().out
    assert f"reference: {path}:none  95.50 ± 0.71 (seeds 0, 1)" in out
    assert "+0.38 ± 0.18" in out and "+0.50, +0.25" in out and "2 of 2" in out


def test_the_command_reports_input_mistakes_in_one_line(tmp_path: Path, capsys) -> None:
    path = results(tmp_path, record({"none": ([0], [95.0])}))
    assert main(["compare", f"{path}:none"]) == 2
    assert "needs a reference and at least one other" in capsys.readouterr().err
    assert main(["compare", f"{path}:none", f"{path}:basic"]) == 2
    assert "no result of condition 'basic'" in capsys.readouterr().err
    assert main(["compare", f"{path}:none", f"{tmp_path / 'missing.json'}:none"]) == 2


def test_entries_of_several_files_join_with_a_plus(tmp_path: Path) -> None:
    first = results(tmp_path, record({"basic": ([0, 1], [96.0, 96.2])}), name="a.json")
    more = results(tmp_path, record({"basic": ([2, 3], [96.4, 96.6])}, seeds=[2, 3]),
                   name="b.json")
    entry = read_entry(f"{first}:basic+{more}:basic")
    assert entry.by_seed == {0: 96.0, 1: 96.2, 2: 96.4, 3: 96.6}
    longer = results(tmp_path, record({"basic": ([2], [97.0])}, epochs=60), name="c.json")
    with pytest.raises(ValueError, match=r"epochs 30 vs 60\): only entries run alike"):
        read_entry(f"{first}:basic+{longer}:basic")


def test_a_named_record_without_the_condition_is_refused(tmp_path: Path) -> None:
    path = results(tmp_path, record({"none": ([0], [95.0])}), record({"basic": ([0], [96.0])}))
    with pytest.raises(ValueError, match="record 1 of .* holds no result of condition 'none'"):
        read_entry(f"{path}:none:0,1")


def test_pairs_across_machines_are_flagged(tmp_path: Path) -> None:
    here = {"platform": "Linux-a", "cpu_capability": "AVX512", "torch": "2.14.1"}
    there = {"platform": "Linux-b", "cpu_capability": "AVX2", "torch": "2.14.1"}
    first = record({"none": ([0, 1], [95.0, 95.5])})
    second = record({"basic": ([0, 1], [96.0, 96.2])})
    first["machine"], second["machine"] = here, there
    path = results(tmp_path, first, second)
    text = format_comparison([read_entry(f"{path}:none"), read_entry(f"{path}:basic")])
    assert text.splitlines()[-1] == (
        f"note: {path}:basic ran on another machine than the reference (cpu_capability 'AVX512' "
        "vs 'AVX2', platform 'Linux-a' vs 'Linux-b'): a seed's result is exact on one machine "
        "only")
    third = record({"none": ([2], [95.2])})
    third["machine"] = there
    merged = read_entry(f"{results(tmp_path, first, third, name='m.json')}:none")
    assert merged.notes == ("record 1 ran on another machine than record 0: cpu_capability "
                            "'AVX512' vs 'AVX2', platform 'Linux-a' vs 'Linux-b'",)


def test_a_setting_a_record_lacks_counts_as_none(tmp_path: Path) -> None:
    older = record({"basic": ([0], [96.0])})
    newer = record({"basic": ([1], [96.2])}, policy_max_kl=None)
    assert "policy_max_kl" not in older["config"]
    entry = read_entry(f"{results(tmp_path, older, newer)}:basic")
    assert entry.by_seed == {0: 96.0, 1: 96.2} and entry.notes == ()


def test_the_reference_s_own_notes_are_printed_first() -> None:
    reference = Entry("ref", "mnist", {0: 90.0}, {}, notes=("record 1 replaces seed 0's 89.00 "
                                                              "with 90.00",))
    text = format_comparison([reference, Entry("o", "mnist", {0: 91.0}, {})])
    assert text.splitlines()[3] == "note: ref: record 1 replaces seed 0's 89.00 with 90.00"


def test_ties_are_counted_apart_from_the_seeds_above() -> None:
    reference = Entry("r", "mnist", {0: 90.0, 1: 91.0, 2: 92.0}, {})
    other = Entry("o", "mnist", {0: 90.0, 1: 91.5, 2: 92.0}, {})
    assert format_comparison([reference, other]).splitlines()[2].endswith("1 of 3, 2 ties")
