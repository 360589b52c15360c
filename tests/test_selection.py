"""Validation protocol, dataset records and folder datasets of the end-model harness."""

import argparse
import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import synthetic

from tanda_transforms import TANDAPolicy
from tanda_transforms.evaluation import (
    RECORDS,
    EvalConfig,
    ValidationProtocol,
    add_evaluate_parser,
    load_task,
    make_augment,
    run_evaluate,
    select_and_test,
    stratified_indices,
)
from tanda_transforms.evaluation import runs as runs_module
from tanda_transforms.evaluation.augment import PadCropFlip, TorchvisionAugment
from tanda_transforms.evaluation.folder import read_folder_task
from tanda_transforms.evaluation.selection import (
    build_candidate,
    candidates,
    parse_grid,
    protocol_labels,
    protocol_split,
)
from tanda_transforms.evaluation.tasks import Task

FAST = {"epochs": 1, "batch_size": 16, "width": 4, "blocks": 1, "device": "cpu", "threads": 1}


def left_right(n: int, size: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    return synthetic.left_right(n, size, seed)


# --- the split -----------------------------------------------------------------------------


def test_split_keeps_the_labeled_subset_and_draws_validation_outside_it():
    labels = np.repeat(np.arange(10), 300)
    for seed in range(3):
        labeled, val, rest = protocol_split(labels, 0.01, seed, val_size=500, val_fraction=0.2)
        assert np.array_equal(labeled, stratified_indices(labels, 0.01, seed))  # as before
        assert len(val) == 500 and np.bincount(labels[val]).tolist() == [50] * 10
        joined = np.concatenate([labeled, val, rest])
        assert len(set(joined.tolist())) == len(joined) == len(labels)  # disjoint, covering
    other = protocol_split(labels, 0.01, 1, val_size=500, val_fraction=0.2)[1]
    assert not np.array_equal(np.sort(other), np.sort(val))  # seeded per seed


def test_protocol_labels_keep_only_the_labeled_subsets_labels():
    labels = np.repeat(np.arange(10), 300)
    labeled, val, rest = protocol_split(labels, 0.01, 2, val_size=500, val_fraction=0.2)
    kept = protocol_labels(labels, 0.01, 2, val_size=500, val_fraction=0.2)
    assert kept.dtype == np.int64 and kept.shape == labels.shape
    assert np.array_equal(kept[labeled], labels[labeled])
    assert (kept[np.concatenate([val, rest])] == -1).all()  # validation labels never given


def test_split_of_a_fully_labeled_pool_holds_out_whole_groups():
    labels = np.array([0, 0, 1, 1, 0, 0, 1, 0, 0, 1] * 4)
    groups = np.repeat(np.arange(20), 2)
    labeled, val, rest = protocol_split(labels, 1.0, 0, val_size=99, val_fraction=0.25,
                                        groups=groups)
    assert len(rest) == 0 and len(labeled) + len(val) == len(labels)
    assert not set(groups[val].tolist()) & set(groups[labeled].tolist())
    assert set(labels[val].tolist()) == {0, 1}
    ungrouped = protocol_split(labels, 1.0, 0, val_size=99, val_fraction=0.25)[1]
    assert len(ungrouped) == 10


def test_split_refuses_a_validation_set_as_large_as_the_rest():
    with pytest.raises(ValueError, match="val_size"):
        protocol_split(np.arange(100) % 2, 0.1, 0, val_size=90, val_fraction=0.2)


# --- grids and candidates ------------------------------------------------------------------


def test_grid_specs_parse_typed_values_and_reject_unknown_knobs():
    assert parse_grid("basic:pad=0,4;border=reflect;flip=no") == (
        "basic", {"pad": [0, 4], "border": ["reflect"], "flip": [False]})
    assert len(candidates(parse_grid("randaugment:num_ops=1,2,3;magnitude=5,9")[1])) == 6
    assert candidates({}) == [{}]
    for bad in ("svhn:p=1", "basic:p=0.5", "basic:border=wrap", "trivialaugment:p=",
                "randaugment:num_ops=two"):
        with pytest.raises(ValueError, match="grid"):
            parse_grid(bad)
    with pytest.raises(ValueError, match="knobs"):
        ValidationProtocol(grids={"randaugment": {"p": [1.0], "n": [2]}})


def test_candidates_set_the_knobs_they_name():
    config = EvalConfig("cifar10", **FAST)
    ra = build_candidate("randaugment", {"num_ops": 3, "magnitude": 5}, config)
    assert (ra.transform.num_ops, ra.transform.magnitude, ra.p) == (3, 5, 1.0)
    basic = build_candidate("basic", {"pad": 1, "border": "reflect"}, config)
    assert (basic.pad, basic.border, basic.flip) == (1, "reflect", True)  # cifar10 flips
    policy = build_candidate("heuristic", {"p": 0.3, "frame": 2}, config)
    assert (policy.p, policy.frame) == (0.3, 2)
    with pytest.raises(ValueError, match="no knobs"):
        build_candidate("trivialaugment", {"num_ops": 2}, config)


def test_after_basic_composes_a_candidate_after_the_crop_and_alone_leaves_it_alone():
    config = EvalConfig("cifar10", basic_pad=3, **FAST)
    after = build_candidate("trivialaugment", {"p": 0.5, "after_basic": True}, config)
    crop, ta = after.steps
    assert isinstance(crop, PadCropFlip) and crop.pad == 3
    assert isinstance(ta, TorchvisionAugment) and ta.p == 0.5
    alone = build_candidate("tanda_lstm", {"p": 0.3, "after_basic": False}, config,
                            policy_path="cifar10")
    assert (alone.p, type(alone).__name__) == (0.3, "TANDAPolicy")
    assert parse_grid("randaugment:after_basic=1,0")[1] == {"after_basic": [True, False]}


def test_seq_len_knob_applies_a_learned_policy_at_that_many_tfs():
    """L is chosen on validation like p: the gallery LSTM (learned at L 10) applied at L 1
    draws one TF per image, and the knob is refused where it means nothing."""
    config = EvalConfig("cifar10", **FAST)
    one = build_candidate("tanda_lstm", {"seq_len": 1, "p": 1.0}, config, policy_path="cifar10")
    own = build_candidate("tanda_lstm", {"p": 1.0}, config, policy_path="cifar10")
    assert (one.seq_len, own.seq_len) == (1, 10)
    image = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    one(image)
    assert len(one.last_sample.actions) == 1
    heuristic = build_candidate("heuristic", {"seq_len": 3}, config)
    assert heuristic.seq_len == 3
    assert parse_grid("tanda_mf:seq_len=1,2")[1] == {"seq_len": [1, 2]}
    with pytest.raises(ValueError, match="no knobs"):
        build_candidate("trivialaugment", {"seq_len": 2}, config)
    with pytest.raises(ValueError, match="seq_len must be"):
        build_candidate("tanda_lstm", {"seq_len": 0}, config, policy_path="cifar10")


def test_torchvision_p_leaves_the_rest_of_the_images_alone():
    image = np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)
    never = TorchvisionAugment("trivialaugment", seed=0, p=0.0)
    assert all(np.array_equal(never(image), image) for _ in range(5))
    half = TorchvisionAugment("trivialaugment", seed=0, p=0.5)
    changed = sum(not np.array_equal(half(image), image) for _ in range(200))
    assert 40 < changed < 110  # about 100 applied; TrivialAugment's identity op adds a few
    with pytest.raises(ValueError, match="p must be"):
        TorchvisionAugment("randaugment", p=1.5)


# --- selection, then one test per final configuration --------------------------------------


def toy_task(n: int = 120) -> Task:
    x, y = left_right(n)
    tx, ty = left_right(40, seed=1)
    return Task("mnist", x, y, tx, ty, ("left", "right"), "toy")


def test_selection_scores_every_candidate_on_validation_and_tests_each_choice_once(monkeypatch):
    task = toy_task()
    config = EvalConfig("mnist", label_fraction=0.25, seeds=(0, 1), **FAST)
    protocol = ValidationProtocol(val_size=30, grids={
        "basic": {"pad": [0, 2]}, "randaugment": {"num_ops": [1], "magnitude": [3, 9]}})
    calls = []
    real_fit = runs_module.TRAINERS["images"]

    def spy(train_x, train_y, test_x, test_y, *args, **kwargs):
        calls.append((len(train_x), test_x is task.test_images, len(test_x)))
        return real_fit(train_x, train_y, test_x, test_y, *args, **kwargs)

    monkeypatch.setitem(runs_module.TRAINERS, "images", spy)
    results, selection = select_and_test(task, ["none", "basic", "randaugment"], config,
                                         protocol)
    selected, final = calls[:5], calls[5:]
    assert all(not on_test and n_eval == 30 and n == 30 for n, on_test, n_eval in selected)
    assert len(final) == 3 * 2 and all(on_test for _, on_test, _ in final)
    assert {c: len(v) for c, v in results.items()} == {"none": 2, "basic": 2, "randaugment": 2}
    assert selection["select_seeds"] == [0] and selection["val_size"] == 30
    assert selection["split_sizes"]["0"] == {"labeled": 30, "validation": 30, "unlabeled": 60}
    for condition, entries in selection["candidates"].items():
        means = [e["val_mean"] for e in entries]
        assert selection["chosen"][condition] == entries[int(np.argmax(means))]["settings"]
    assert len(selection["candidates"]["randaugment"]) == 2
    json.dumps(selection)  # goes into the results file as it is


def test_selection_needs_a_policy_for_policy_conditions():
    config = EvalConfig("mnist", label_fraction=0.25, **FAST)
    with pytest.raises(ValueError, match="policy file"):
        select_and_test(toy_task(), ["tanda_lstm"], config, ValidationProtocol(val_size=30))


# --- records -------------------------------------------------------------------------------


def test_records_give_packs_flips_and_defaults():
    assert EvalConfig.for_dataset("cifar10").model == RECORDS["cifar10"].defaults["model"]
    assert isinstance(make_augment("basic", "mias"), PadCropFlip)
    assert make_augment("basic", "mias").flip and not make_augment("basic", "mnist").flip
    assert make_augment("heuristic", "folder", seq_len=2).library.names == \
        make_augment("heuristic", "cifar10", seq_len=2).library.names
    with pytest.raises(ValueError, match="unknown dataset"):
        EvalConfig("svhn")
    for record in RECORDS.values():
        images = record.trainer == "images"
        assert record.defaults["label_fraction"] > 0
        assert record.metric == ("accuracy" if images else "macro_f1")


# --- folder datasets -----------------------------------------------------------------------


def write_folder(root: Path, n: int = 12, size: int = 12, colour: bool = False) -> None:
    x, y = left_right(2 * n, size)
    for image, label in zip(x, y, strict=True):
        folder = root / ("left", "right")[label]
        folder.mkdir(parents=True, exist_ok=True)
        image = np.dstack([image] * 3) if colour else image
        cv2.imwrite(str(folder / f"{len(list(folder.iterdir())):03d}.png"), image)


def test_folder_task_splits_stratified_or_takes_train_and_test(tmp_path):
    write_folder(tmp_path / "flat", n=10)
    task = load_task("folder", tmp_path / "flat", test_fraction=0.2, split_seed=3)
    assert task.classes == ("left", "right") and task.dataset == "folder"
    assert np.bincount(task.test_labels).tolist() == [2, 2] and len(task.train_labels) == 16
    assert task.info["split"] == "stratified" and task.info["n_test"] == 4
    write_folder(tmp_path / "two" / "train", n=6)
    write_folder(tmp_path / "two" / "test", n=3)
    task = load_task("folder", tmp_path / "two")
    assert (len(task.train_labels), len(task.test_labels)) == (12, 6)


def test_folder_task_refuses_what_it_cannot_read_faithfully(tmp_path):
    write_folder(tmp_path / "sizes", n=3)
    cv2.imwrite(str(tmp_path / "sizes" / "left" / "big.png"), np.zeros((20, 20), np.uint8))
    with pytest.raises(ValueError, match="several sizes"):
        read_folder_task(tmp_path / "sizes")
    assert read_folder_task(tmp_path / "sizes", image_size=8).train_images.shape[1:] == (8, 8)
    (tmp_path / "deep" / "only").mkdir(parents=True)
    with pytest.raises(ValueError, match="one sub-folder of images per class"):
        read_folder_task(tmp_path / "deep")
    write_folder(tmp_path / "wide", n=3)
    cv2.imwrite(str(tmp_path / "wide" / "left" / "w.png"), np.zeros((12, 12), np.uint16))
    with pytest.raises(ValueError, match="8-bit"):
        read_folder_task(tmp_path / "wide")
    write_folder(tmp_path / "mixed", n=3)
    cv2.imwrite(str(tmp_path / "mixed" / "left" / "c.png"), np.zeros((12, 12, 3), np.uint8))
    assert read_folder_task(tmp_path / "mixed").train_images.shape[-1] == 3  # auto: all RGB
    gray = read_folder_task(tmp_path / "mixed", color="gray").train_images
    assert gray.ndim == 3


def test_tanda_evaluate_runs_a_folder_with_selection(tmp_path, capsys):
    write_folder(tmp_path / "data", n=20, colour=True)
    parser = argparse.ArgumentParser()
    add_evaluate_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "results.json"
    args = parser.parse_args([
        "evaluate", "--dataset", "folder", "--data", str(tmp_path / "data"), "--seeds", "0",
        "--conditions", "none", "trivialaugment", "--epochs", "1", "--width", "4",
        "--blocks", "1", "--threads", "1", "--device", "cpu", "--select-on-validation",
        "--grid", "trivialaugment:p=0.5,1", "--out", str(out),
    ])
    assert run_evaluate(args) == 0
    record = json.loads(out.read_text())["runs"][0]
    assert record["dataset"] == "folder" and record["n_test"] == 8
    assert record["selection"]["split_sizes"]["0"]["validation"] == 6  # 0.2 of 32
    assert record["n_labeled"] == 26
    assert [c["settings"] for c in record["selection"]["candidates"]["trivialaugment"]] == [
        {"p": 0.5}, {"p": 1.0}]
    printed = capsys.readouterr().out
    assert "select seed 0" in printed and "chosen on validation:" in printed
    spec = importlib.util.spec_from_file_location(
        "end_model", Path(__file__).resolve().parents[1] / "docs" / "experiments" / "end_model.py")
    end_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(end_model)
    table = end_model.render_validated(out)
    chosen = record["selection"]["chosen"]["trivialaugment"]["p"]
    assert f"| trivialaugment | {record['conditions']['trivialaugment']['mean']:.2f}" in table
    assert f"| p {chosen} | p 0.5: " in table and "26 labeled, 6 validation" in table
    args.select_on_validation = False
    with pytest.raises(ValueError, match="need --select-on-validation"):
        run_evaluate(args)


def test_selection_chooses_among_policy_files_and_keeps_patients_whole(tmp_path):
    short, long = tmp_path / "l1.tanda", tmp_path / "l3.tanda"
    TANDAPolicy("mnist", seq_len=1, seed=0).save(short)
    TANDAPolicy("mnist", seq_len=3, seed=0).save(long)
    x, y = left_right(48)
    tx, ty = left_right(16, seed=1)
    patients = np.repeat(np.arange(24), 2)
    task = Task("mias", x, y, tx, ty, ("normal", "abnormal"), "toy", groups=patients)
    config = EvalConfig("mias", label_fraction=1.0, seeds=(0,), **FAST)
    grid = {"tanda_mf": {"policy": [str(short), str(long)], "p": [1.0]}}
    _, selection = select_and_test(task, ["tanda_mf"], config,
                                   ValidationProtocol(val_fraction=0.25, grids=grid))
    entries = selection["candidates"]["tanda_mf"]
    assert [e["settings"]["policy"] for e in entries] == [str(short), str(long)]
    assert selection["chosen"]["tanda_mf"]["policy"] in (str(short), str(long))
    assert selection["grouped"] and selection["split_sizes"]["0"]["validation"] == 12
    labeled, val, _ = protocol_split(y, 1.0, 0, val_size=2000, val_fraction=0.25,
                                     groups=patients)
    assert not set(patients[val].tolist()) & set(patients[labeled].tolist())


def test_selection_refuses_consistency_without_unlabeled_images():
    config = EvalConfig("mias", label_fraction=1.0, consistency_weight=0.1, **FAST)
    with pytest.raises(ValueError, match="unlabeled"):
        select_and_test(toy_task(), ["none"], config, ValidationProtocol())
