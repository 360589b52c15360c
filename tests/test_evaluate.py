"""End-model harness: subsets, conditions, training, policies, mini-MIAS patient split, CLI."""

import argparse
import gzip
import importlib.util
import json
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from synthetic import left_right

from tanda_transforms import PolicyNotFoundError, TANDAPolicy
from tanda_transforms.evaluation import (
    CONDITIONS,
    EvalConfig,
    add_evaluate_parser,
    build_subset,
    fit,
    load_task,
    make_augment,
    mias_patches,
    run_conditions,
    run_evaluate,
    split_by_patient,
    stratified_indices,
    train_and_test,
)
from tanda_transforms.evaluation.augment import Chain, PadCropFlip, TorchvisionAugment
from tanda_transforms.evaluation.command import append_record, format_table, resolve_policies

ROOT = Path(__file__).resolve().parents[1]
FAST = {"epochs": 2, "batch_size": 16, "width": 8, "device": "cpu", "threads": 1}


@pytest.fixture(scope="module")
def rgb_policy(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("policies") / "cifar_mf.tanda"
    TANDAPolicy("cifar10", seq_len=3, seed=0).save(path)
    return str(path)


# --- subsets -------------------------------------------------------------------------------


def test_subset_is_stratified_and_seed_deterministic():
    labels = np.repeat(np.arange(10), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    idx = stratified_indices(labels, 0.01, seed=0)
    assert len(idx) == 600 and len(set(idx.tolist())) == 600
    counts = np.bincount(labels[idx], minlength=10)
    expected = 0.01 * np.bincount(labels)
    assert np.all(np.abs(counts - expected) < 1), counts
    assert np.array_equal(idx, stratified_indices(labels, 0.01, seed=0))
    assert not np.array_equal(idx, stratified_indices(labels, 0.01, seed=1))
    images = np.arange(len(labels), dtype=np.int64)[:, None, None].repeat(2, 1)
    x, y = build_subset(images, labels, 0.01, seed=0)
    assert np.array_equal(x[:, 0, 0], idx) and np.array_equal(y, labels[idx])


def test_subset_keeps_every_class_and_rejects_bad_fractions():
    labels = np.array([0] * 98 + [1, 2])
    assert sorted(set(labels[stratified_indices(labels, 0.05, seed=0)].tolist())) == [0, 1, 2]
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError):
            stratified_indices(labels, bad, seed=0)


# --- conditions ----------------------------------------------------------------------------


@pytest.mark.parametrize("with_basic", [False, True])
@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_condition_keeps_shape_and_dtype(condition, with_basic, rgb_policy):
    rng = np.random.default_rng(0)
    cases = [
        ("mnist", rng.integers(0, 256, (28, 28), dtype=np.uint8), "example"),
        ("mias", rng.integers(0, 256, (20, 20), dtype=np.uint8), "example"),
        ("cifar10", rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), rgb_policy),
    ]
    for dataset, image, policy in cases:
        augment = make_augment(
            condition, dataset, policy_path=policy, seq_len=3, seed=0, with_basic=with_basic
        )
        for _ in range(3):
            out = augment(image)
            assert isinstance(out, np.ndarray)
            assert out.shape == image.shape and out.dtype == np.uint8, (condition, dataset)


@pytest.mark.parametrize("condition", ["basic", "heuristic", "randaugment", "autoaugment"])
def test_condition_streams_are_seeded(condition):
    image = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)

    def outputs(seed):
        augment = make_augment(condition, "cifar10", seq_len=2, seed=seed)
        return [augment(image) for _ in range(6)]

    first, again, other = outputs(0), outputs(0), outputs(5)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_torchvision_condition_leaves_global_rng_alone():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    TorchvisionAugment("randaugment", seed=0)(np.zeros((8, 8), np.uint8))
    assert torch.equal(torch.rand(3), expected)


def test_basic_flips_cifar_but_not_mnist():
    image = np.zeros((8, 8), np.uint8)
    image[:, 0] = 255
    basic_mnist = PadCropFlip(pad=0, flip=False, seed=0)
    assert all(np.array_equal(basic_mnist(image), image) for _ in range(10))
    assert make_augment("basic", "mnist").flip is False
    assert make_augment("basic", "cifar10").flip is True
    flips = PadCropFlip(pad=0, flip=True, seed=0)
    seen = {bool(flips(image)[0, -1]) for _ in range(30)}
    assert seen == {True, False}


def test_basic_shifts_by_at_most_the_padding():
    image = np.zeros((12, 12), np.uint8)
    image[6, 6] = 255
    crop = PadCropFlip(pad=2, flip=False, seed=0)
    positions = set()
    for _ in range(200):
        rows, cols = np.nonzero(crop(image))
        positions.add((int(rows[0]), int(cols[0])))
    assert positions == {(r, c) for r in range(4, 9) for c in range(4, 9)}


def test_heuristic_takes_the_policy_library_and_length(rgb_policy):
    heuristic = make_augment("heuristic", "cifar10", policy_path=rgb_policy, seq_len=7)
    learned = TANDAPolicy.load(rgb_policy)
    assert heuristic.seq_len == learned.seq_len == 3
    assert heuristic.library == learned.library
    assert make_augment("heuristic", "mias", seq_len=4).library == TANDAPolicy(
        "mammography"
    ).library


def test_with_basic_runs_basic_first():
    augment = make_augment("randaugment", "cifar10", with_basic=True)
    assert isinstance(augment, Chain) and isinstance(augment.steps[0], PadCropFlip)


def test_missing_policy_file_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope" / "mnist_mf.tanda"
    with pytest.raises(PolicyNotFoundError, match="tanda_mf.*policy file not found.*mnist_mf"):
        make_augment("tanda_mf", "mnist", policy_path=missing)
    assert issubclass(PolicyNotFoundError, FileNotFoundError)
    with pytest.raises(ValueError, match="needs a policy file"):
        make_augment("tanda_lstm", "mnist")
    with pytest.raises(ValueError, match="unknown condition"):
        make_augment("cutout", "mnist")
    x, y = left_right(8)
    with pytest.raises(PolicyNotFoundError):  # before any training
        run_conditions(x, y, x, y, ["none", "tanda_lstm"], EvalConfig("mnist", **FAST),
                       {"tanda_lstm": str(missing)})


class _Repeat(torch.utils.data.Dataset):
    """One image, augmented 16 times (module level: workers started by spawn or forkserver,
    macOS's and Python 3.14's default, unpickle it)."""

    def __init__(self):
        self.image = np.random.default_rng(0).integers(0, 256, (10, 10), dtype=np.uint8)
        self.augment = PadCropFlip(pad=3, flip=True, seed=0)

    def __len__(self):
        return 16

    def __getitem__(self, i):
        return torch.from_numpy(self.augment(self.image))


def test_workers_draw_different_streams():
    loader = torch.utils.data.DataLoader(_Repeat(), batch_size=8, num_workers=2)
    first, second = list(loader)  # batch k comes from worker k
    assert not torch.equal(first, second)


# --- training ------------------------------------------------------------------------------


def test_train_and_test_learns_and_is_reproducible():
    train_x, train_y = left_right(64, seed=0)
    test_x, test_y = left_right(200, seed=1)
    config = EvalConfig("mnist", label_fraction=1.0, **FAST)
    augment = make_augment("basic", "mnist", seed=0)
    accuracy = train_and_test(train_x, train_y, test_x, test_y, augment, config, seed=0)
    assert accuracy > 90
    again = train_and_test(train_x, train_y, test_x, test_y, augment, config, seed=0)
    assert again == accuracy
    result = fit(train_x, train_y, test_x, test_y, augment, config, seed=0)
    assert result.accuracy == accuracy and len(result.epoch_seconds) == 2
    assert result.augment_seconds is not None and result.augment_seconds >= 0


def test_train_and_test_on_rgb_with_the_resnet_and_workers():
    gray_x, y = left_right(32)
    x = np.repeat(gray_x[..., None], 3, axis=3)
    config = EvalConfig("cifar10", model="resnet", blocks=1, num_workers=1, **FAST)
    result = fit(x, y, x, y, make_augment("trivialaugment", "cifar10"), config, seed=0)
    assert 0 <= result.accuracy <= 100 and result.augment_seconds is None


def test_fit_rejects_an_augmentation_that_changes_the_shape():
    x, y = left_right(8)
    with pytest.raises(TypeError, match="must return"):
        fit(x, y, x, y, lambda img: img[:4], EvalConfig("mnist", **FAST), seed=0)


def test_run_conditions_uses_the_same_seeds_for_every_condition():
    x, y = left_right(40)
    test_x, test_y = left_right(40, seed=2)
    config = EvalConfig("mnist", label_fraction=0.5, seeds=(0, 1), **FAST)
    records = []
    results = run_conditions(x, y, test_x, test_y, ["none", "basic"], config,
                             on_run=records.append)
    assert list(results) == ["none", "basic"] and all(len(v) == 2 for v in results.values())
    assert [(r.seed, r.condition) for r in records] == [
        (0, "none"), (0, "basic"), (1, "none"), (1, "basic")
    ]


# --- mini-MIAS -----------------------------------------------------------------------------


def write_mias_fixture(root: Path, n_films: int = 16, size: int = 128) -> None:
    """Films: a bright disc (breast) on black; odd patients have a brighter blob (lesion)."""
    (root / "png").mkdir(parents=True)
    lines = ["fixture: mini-MIAS-like Info.txt"]
    rng = np.random.default_rng(0)
    for number in range(1, n_films + 1):
        ref = f"mdb{number:03d}"
        film = np.zeros((size, size), np.uint8)
        cv2.circle(film, (size // 2, size // 2), size // 2 - 4, 120, -1)
        film = np.clip(film + rng.integers(0, 20, film.shape), 0, 255).astype(np.uint8)
        patient = (number + 1) // 2
        if patient % 2 == 1 and number % 2 == 1:
            x, y, radius = 60, 70, 8
            cv2.circle(film, (x, size - 1 - y), radius, 230, -1)
            severity = "M" if patient % 4 == 1 else "B"
            lines.append(f"{ref} G CIRC {severity} {x} {y} {radius}")
        else:
            lines.append(f"{ref} F NORM ")
        cv2.imwrite(str(root / "png" / f"{ref}.png"), film)
    (root / "Info.txt").write_text("\n".join(lines) + "\n")


def test_mias_patches_are_split_by_patient(tmp_path):
    write_mias_fixture(tmp_path)
    patches = mias_patches(tmp_path, patch_size=16, context=32, per_lesion=3, per_normal_film=2)
    assert patches.images.shape[1:] == (16, 16) and patches.images.dtype == np.uint8
    assert np.bincount(patches.labels).tolist() == [2 * 12, 3 * 4]
    assert set(patches.patients.tolist()) == set(range(1, 9))
    for seed in range(5):
        train, test = split_by_patient(patches, test_fraction=0.25, seed=seed)
        train_p, test_p = set(train.patients.tolist()), set(test.patients.tolist())
        assert not train_p & test_p
        assert train_p | test_p == set(range(1, 9))
        assert len(train) + len(test) == len(patches)
        assert set(test.labels.tolist()) == {0, 1}  # stratified: both kinds of patient
    lesion = patches.images[patches.labels == 1][0]  # centred: the bright blob in the middle
    assert lesion[6:10, 6:10].mean() > lesion[:3, :3].mean() + 40


def test_mias_task_loads_without_patient_leak(tmp_path):
    write_mias_fixture(tmp_path)
    task = load_task("mias", tmp_path, context=32, patch_size=16, per_lesion=2)
    assert task.info["train_patients"] + task.info["test_patients"] == 8
    malignancy = mias_patches(tmp_path, task="malignancy", context=32, patch_size=16)
    assert malignancy.classes == ("benign", "malignant")
    assert set(malignancy.labels.tolist()) == {0, 1}


# --- command line and report ---------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray) -> None:
    magic = 2051 if array.ndim == 3 else 2049
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_resolve_policies_skips_missing_files(tmp_path):
    (tmp_path / "mnist_lstm.tanda").write_bytes(b"")
    paths, skipped = resolve_policies("mnist", CONDITIONS, str(tmp_path))
    assert paths == {"tanda_lstm": str(tmp_path / "mnist_lstm.tanda"),
                     "heuristic": str(tmp_path / "mnist_lstm.tanda")}
    assert list(skipped) == ["tanda_mf"] and "mnist_mf.tanda" in skipped["tanda_mf"]


def test_heuristic_takes_the_policy_it_is_the_control_of(tmp_path):
    """``--conditions heuristic --policy-lstm P`` draws from P's TFs, even with the policy's
    own condition not run (it once fell back to the dataset's pack: a control of the wrong
    TFs, recorded without a policy); a given file wins over the folder's, a policy run wins
    over one not run, and without any file the dataset's pack is used (no path)."""
    (tmp_path / "mnist_mf.tanda").write_bytes(b"")
    given = str(tmp_path / "given.tanda")
    Path(given).write_bytes(b"")
    folder_mf = str(tmp_path / "mnist_mf.tanda")
    alone = resolve_policies("mnist", ["heuristic"], explicit={"tanda_lstm": given})[0]
    assert alone == {"heuristic": given}
    both = resolve_policies("mnist", ["heuristic"], str(tmp_path), {"tanda_lstm": given})[0]
    assert both == {"heuristic": given}
    run = resolve_policies("mnist", ["heuristic", "tanda_lstm"], str(tmp_path),
                           {"tanda_lstm": given})[0]
    assert run == {"tanda_lstm": given, "heuristic": given}
    assert resolve_policies("mnist", ["heuristic"], str(tmp_path))[0] == {"heuristic": folder_mf}
    assert resolve_policies("mnist", ["heuristic"], str(tmp_path / "empty")) == ({}, {})


def evaluate_args(folder: Path, *options: str) -> argparse.Namespace:
    """``tanda evaluate`` options for a tiny MNIST-like task written to ``folder`` (40 training
    digits, 20 test digits; conditions none and tanda_mf, one seed, one epoch)."""
    digits, labels = left_right(60, size=28)
    for split, n in (("train", 40), ("t10k", 20)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", digits[:n])
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels[:n])
    parser = argparse.ArgumentParser()
    add_evaluate_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args([
        "evaluate", "--dataset", "mnist", "--data", str(folder), "--seeds", "0",
        "--epochs", "1", "--width", "4", "--threads", "1", "--conditions", "none", "tanda_mf",
        "--policy-mf", "example", "--device", "cpu", "--out", str(folder / "results.json"),
        *options,
    ])


def test_tanda_evaluate_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "results.json"
    assert run_evaluate(evaluate_args(tmp_path, "--label-fraction", "0.5")) == 0
    printed = capsys.readouterr().out
    assert "tanda_mf" in printed and "heuristic" not in printed.split("\n", 1)[1]
    run = json.loads(out.read_text())["runs"][0]
    assert run["n_labeled"] == 20 and run["config"]["seeds"] == [0]
    assert run["policies"]["tanda_mf"]["path"] == "example"
    assert len(run["conditions"]["none"]["accuracy"]) == 1
    assert "none" in format_table(run)
    with pytest.raises(ValueError, match="another dataset"):
        append_record(out, {**run, "dataset": "cifar10"})


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "end_model", ROOT / "docs" / "experiments" / "end_model.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_shows_only_measured_numbers_and_skips_smoke_runs(tmp_path):
    script = _load_script()
    entry = {"accuracy": [91.0, 93.0], "seeds": [0, 1], "mean": 92.0, "std": 1.4142,
             "wall_seconds": [5.0, 6.0], "epoch_seconds_mean": 0.2}
    record = {
        "date": "2026-01-01T00:00:00+00:00", "smoke": False, "dataset": "mnist",
        "task": "MNIST digits, 10 classes", "classes": list("0123456789"), "n_pool": 60000,
        "n_labeled": 600, "n_test": 10000, "task_info": {},
        "config": {"label_fraction": 0.01, "epochs": 30, "batch_size": 32, "lr": 0.05,
                   "seeds": [0, 1], "model": "cnn", "width": 32, "blocks": 2,
                   "with_basic": False, "seq_len": 10, "weight_decay": 5e-4, "momentum": 0.9},
        "machine": {"cpu": "test cpu", "platform": "x", "cores_available": 2,
                    "torch_threads": 1, "device": "cpu", "torch": "2"},
        "policies": {}, "skipped": {"tanda_mf": "no policy file: x"},
        "conditions": {"none": entry},
    }
    append_record(tmp_path / "results_mnist.json", record)
    append_record(tmp_path / "results_mnist.json",
                  {**record, "smoke": True, "conditions": {"basic": {**entry, "mean": 99.0}}})
    merged = script.select_runs(tmp_path / "results_mnist.json")
    assert list(merged["conditions"]) == ["none"]
    text = script.render_markdown({"mnist": merged})
    assert "92.00 ± 1.41" in text and "99.00" not in text
    assert "| basic | not run | | | | 95.3 |" in text
    assert "## Conclusions" in text and "SMOKE" not in text
    assert "cnn" in text and "30 epochs" in text and "test cpu" in text


# --- semi-supervised: the consistency term on the unlabeled rest of the pool ---------------


SEMI = {"label_fraction": 0.25, "consistency_weight": 1.0, "unlabeled_batch_size": 8}


def test_consistency_term_runs_every_step_for_augmented_conditions_only(monkeypatch):
    from tanda_transforms.evaluation import semi

    calls = []
    term = semi.consistency_term
    monkeypatch.setattr(semi, "consistency_term", lambda *a, **k: calls.append(1) or term(*a, **k))
    x, y = left_right(64)
    test_x, test_y = left_right(40, seed=2)
    records = {}
    for weight in (0.0, 1.0):
        config = EvalConfig("mnist", seeds=(0,), **{**FAST, **SEMI, "consistency_weight": weight})
        run_conditions(x, y, test_x, test_y, ["none", "basic"], config,
                       on_run=lambda r, w=weight: records.__setitem__((w, r.condition), r))
    steps = FAST["epochs"] * -(-16 // FAST["batch_size"])  # 16 labeled images
    assert len(calls) == steps  # basic with the term; none never
    on, off = records[1.0, "basic"], records[0.0, "basic"]
    assert on.final_consistency > 0 and off.final_consistency is None
    assert on.final_loss != off.final_loss
    # none stays the supervised baseline: trained exactly as without the option
    assert records[1.0, "none"].final_consistency is None
    assert records[1.0, "none"].accuracy == records[0.0, "none"].accuracy
    assert records[1.0, "none"].final_loss == records[0.0, "none"].final_loss


def test_consistency_is_seeded_and_leaves_the_labeled_stream_alone():
    x, y = left_right(48)
    sub_x, sub_y = build_subset(x, y, 0.25, seed=0)
    rest = np.delete(x, stratified_indices(y, 0.25, seed=0), axis=0)
    augment = make_augment("heuristic", "mnist", seq_len=2, seed=0)
    config = EvalConfig("mnist", **{**FAST, **SEMI, "consistency_target": "detached",
                                    "consistency_passes": 1, "clean_epochs": 1})
    first = fit(sub_x, sub_y, x, y, augment, config, seed=0, unlabeled_x=rest)
    again = fit(sub_x, sub_y, x, y, augment, config, seed=0, unlabeled_x=rest)
    assert first.final_consistency is not None and first.final_consistency >= 0
    assert (first.accuracy, first.final_loss, first.final_consistency) == (
        again.accuracy, again.final_loss, again.final_consistency)


def test_consistency_settings_are_checked():
    assert EvalConfig("mnist", batch_size=16).unlabeled_batch_size == 16
    for bad, match in [({"consistency_weight": -1.0}, "consistency_weight"),
                       ({"consistency_passes": 1}, "consistency_passes must be an int >= 2"),
                       ({"consistency_target": "mean"}, "consistency_target"),
                       ({"unlabeled_batch_size": 0}, "unlabeled_batch_size")]:
        with pytest.raises(ValueError, match=match):
            EvalConfig("mnist", **bad)
    x, y = left_right(16)
    config = EvalConfig("mnist", **{**FAST, "consistency_weight": 0.5})
    with pytest.raises(ValueError, match="needs unlabeled images"):
        fit(x, y, x, y, make_augment("basic", "mnist"), config, seed=0)
    with pytest.raises(ValueError, match="unlabeled images"):
        fit(x, y, x, y, make_augment("basic", "mnist"), config, seed=0, unlabeled_x=x[:, :8])
    with pytest.raises(ValueError, match="label_fraction must be < 1"):
        run_conditions(x, y, x, y, ["basic"], config)


def test_tanda_evaluate_with_consistency_records_its_settings(tmp_path):
    args = evaluate_args(tmp_path, "--label-fraction", "0.25", "--consistency-weight", "0.5",
                         "--consistency-passes", "3", "--unlabeled-batch-size", "4",
                         "--consistency-target", "pairs")
    assert run_evaluate(args) == 0
    run = json.loads((tmp_path / "results.json").read_text())["runs"][0]
    assert {k: run["config"][k] for k in ("consistency_weight", "consistency_passes",
                                           "unlabeled_batch_size", "consistency_target")} == {
        "consistency_weight": 0.5, "consistency_passes": 3, "unlabeled_batch_size": 4,
        "consistency_target": "pairs"}
    assert run["conditions"]["none"]["final_consistency"] == [None]
    assert run["conditions"]["tanda_mf"]["final_consistency"][0] > 0


def test_report_never_merges_runs_with_other_consistency_settings():
    script = _load_script()
    config = {"label_fraction": 0.1, "epochs": 20, "seeds": [0]}
    old = {"config": config}  # a run from before the option: term off
    off = {"config": {**config, "consistency_weight": 0.0, "consistency_passes": 2,
                      "unlabeled_batch_size": 64, "consistency_target": "pairs"}}
    on = {"config": {**off["config"], "consistency_weight": 0.05}}
    detached = {"config": {**on["config"], "consistency_target": "detached"}}
    assert script._settings(old) == script._settings(off)
    assert len({script._settings(r) for r in (off, on, detached)}) == 3
    text = "\n".join(script._consistency_line(on["config"]))
    assert "weight 0.05" in text and "64 unlabeled" in text
    assert script._consistency_line(off["config"]) == []
