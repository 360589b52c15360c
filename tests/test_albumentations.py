"""TANDA inside albumentations: seeding, serialization, and targets following the image."""

from __future__ import annotations

import base64
import pickle

import albumentations as A
import numpy as np
import pytest
import torch

from tanda_transforms import TF, PolicyFileError, PolicyNotFoundError, TANDAPolicy
from tanda_transforms.albumentations import TANDA

H, W = 24, 32


def _image(seed: int = 0, shape=(H, W, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _object_policy() -> TANDAPolicy:
    return TANDAPolicy(
        [TF("rotate", degrees=10), TF("hflip"), TF("brightness", factor=1.2)], seq_len=3
    )


def _run(pipeline: A.Compose, n: int = 4) -> list[np.ndarray]:
    return [pipeline(image=_image(i))["image"] for i in range(n)]


def _targets_pipeline(transform, keypoint_format: str = "xya") -> A.Compose:
    return A.Compose(
        [transform],
        seed=0,
        bbox_params=A.BboxParams(format="pascal_voc", label_fields=["box_labels"]),
        keypoint_params=A.KeypointParams(
            format=keypoint_format, label_fields=["point_labels"], remove_invisible=False
        ),
    )


def _targets() -> dict:
    mask = np.zeros((H, W), np.uint8)
    mask[4:10, 3:12] = 1
    mask[15:20, 20:30] = 2
    return {
        "image": _image(),
        "mask": mask,
        "bboxes": np.array([[3.0, 4.0, 12.0, 10.0], [20.0, 15.0, 30.0, 20.0]]),
        "box_labels": [1, 2],
        "keypoints": np.array([[3.0, 4.0, 30.0], [20.5, 15.25, 100.0], [0.0, 23.0, 0.0]]),
        "point_labels": [0, 1, 2],
    }


def test_compose_with_normalize_on_uint8_rgb():
    pipeline = A.Compose([TANDA(TANDAPolicy("cifar10", seq_len=3)), A.Normalize()], seed=0)
    out = pipeline(image=_image())["image"]
    assert out.shape == (H, W, 3) and out.dtype == np.float32
    assert np.isfinite(out).all()


def test_same_seed_same_outputs_different_seed_different():
    def make(seed):
        return A.Compose([TANDA(TANDAPolicy("cifar10", seq_len=3), block_size=2)], seed=seed)

    first, again, other = _run(make(5)), _run(make(5)), _run(make(6))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_reseeding_the_pipeline_restarts_the_stream():
    pipeline = A.Compose([TANDA(TANDAPolicy("cifar10", seq_len=3))], seed=3)
    first = _run(pipeline)
    pipeline.set_random_seed(3)  # new generators: the pre-drawn block must be discarded
    assert all(np.array_equal(a, b) for a, b in zip(first, _run(pipeline), strict=True))


@pytest.mark.parametrize("source", ["example", "object"])
def test_to_dict_from_dict_and_save_load_round_trip(source, tmp_path):
    policy = "example" if source == "example" else _object_policy()
    pipeline = A.Compose([TANDA(policy, p=0.9, block_size=8), A.Normalize()], seed=11)
    data = A.to_dict(pipeline)
    spec = data["transform"]["transforms"][0]
    assert spec["__class_fullname__"] == "tanda_transforms.albumentations.TANDA"
    assert spec["block_size"] == 8 and spec["p"] == 0.9
    if source == "example":
        assert spec["policy"] == "example"
    else:
        assert set(spec["policy"]) == {"tanda_policy_base64"}

    path = tmp_path / "pipeline.json"
    A.save(pipeline, path, data_format="json")
    restored = [A.from_dict(data), A.load(path, data_format="json")]
    expected = _run(A.Compose([TANDA(policy, p=0.9, block_size=8), A.Normalize()], seed=11))
    for other in restored:
        other.set_random_seed(11)
        assert all(np.array_equal(a, b) for a, b in zip(expected, _run(other), strict=True))
        assert A.to_dict(other) == data


@pytest.mark.parametrize("embed", [False, True])
def test_path_policy_can_be_embedded_so_the_dict_survives_a_move(tmp_path, embed):
    # issue 13 item 7: a path-based step serialised the path only; from_dict failed once
    # the file moved. embed=True serialises the policy's bytes instead.
    path = tmp_path / "p.tanda"
    _object_policy().save(path)
    pipeline = A.Compose([TANDA(str(path), embed=embed)], seed=4)
    data = A.to_dict(pipeline)
    spec = data["transform"]["transforms"][0]
    assert spec["embed"] is embed
    assert (spec["policy"] == str(path)) is not embed
    expected = _run(pipeline)
    path.rename(tmp_path / "moved.tanda")
    if not embed:
        with pytest.raises(PolicyNotFoundError):
            A.from_dict(data)
        return
    restored = A.from_dict(data)
    restored.set_random_seed(4)
    assert all(np.array_equal(a, b) for a, b in zip(expected, _run(restored), strict=True))
    assert A.to_dict(restored) == data


def test_embedded_policy_is_checked_like_a_file():
    blob = bytearray(_object_policy().to_bytes())
    blob[-1] ^= 0xFF
    encoded = base64.b64encode(bytes(blob)).decode("ascii")
    with pytest.raises(PolicyFileError, match="checksum"):
        TANDA({"tanda_policy_base64": encoded})


def test_invalid_serialized_policy_is_rejected():
    with pytest.raises(ValueError):
        TANDA({"tanda_policy_base64": "not base64!"})
    with pytest.raises(ValueError):
        TANDA({"pickle": "x"})


def test_p_zero_leaves_the_image_untouched():
    image = _image()
    out = A.Compose([TANDA(_object_policy(), p=0.0)], seed=0)(image=image)["image"]
    assert np.array_equal(out, image)


def test_hflip_policy_matches_albumentations_horizontal_flip():
    policy = TANDAPolicy([TF("hflip")], seq_len=1)
    data = _targets()
    ours = _targets_pipeline(TANDA(policy))(**data)
    theirs = _targets_pipeline(A.HorizontalFlip(p=1.0))(**data)
    assert np.array_equal(ours["image"], data["image"][:, ::-1])
    assert np.array_equal(ours["mask"], data["mask"][:, ::-1])
    for key in ("image", "mask"):
        assert np.array_equal(ours[key], theirs[key])
    for key in ("bboxes", "keypoints"):  # keypoints: x, y and angle
        np.testing.assert_allclose(ours[key], theirs[key], atol=1e-4)
    assert ours["box_labels"] == [1, 2] and ours["point_labels"] == [0, 1, 2]


def test_rotated_box_encloses_the_rotated_mask_blob():
    size = 48
    mask = np.zeros((size, size), np.uint8)
    mask[10:20, 12:26] = 1
    box = np.array([[12.0, 10.0, 26.0, 20.0]])  # pascal_voc: pixel col spans [col, col + 1)
    policy = TANDAPolicy([TF("rotate", degrees=20)], seq_len=1)
    pipeline = A.Compose(
        [TANDA(policy)], seed=0, bbox_params=A.BboxParams(format="pascal_voc", label_fields=[])
    )
    out = pipeline(image=np.zeros((size, size, 3), np.uint8), mask=mask, bboxes=box)
    rows, cols = np.nonzero(out["mask"])
    blob = np.array([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], np.float64)
    moved = np.asarray(out["bboxes"], np.float64)[0]
    assert not np.allclose(moved, box[0])
    assert (moved[:2] <= blob[:2] + 1.0).all() and (moved[2:] >= blob[2:] - 1.0).all()
    np.testing.assert_allclose(moved, blob, atol=1.0)


def test_photometric_policy_leaves_targets_alone():
    policy = TANDAPolicy([TF("brightness", factor=1.2)], seq_len=2)
    data = _targets()
    out = _targets_pipeline(TANDA(policy))(**data)
    assert not np.array_equal(out["image"], data["image"])
    assert np.array_equal(out["mask"], data["mask"])
    np.testing.assert_allclose(out["bboxes"], data["bboxes"], atol=1e-5)
    np.testing.assert_allclose(out["keypoints"], data["keypoints"], atol=1e-5)


def test_keypoints_follow_a_rotation():
    policy = TANDAPolicy([TF("rotate", degrees=90)], seq_len=1)
    keypoints = np.array([[10.0, 12.0, 0.0, 2.0]])  # xyas: pointing right (+x)
    pipeline = A.Compose([TANDA(policy)], seed=0, keypoint_params=A.KeypointParams(format="xyas"))
    out = pipeline(image=_image(shape=(25, 25, 3)), keypoints=keypoints)
    # 90 degrees counter-clockwise about (12, 12): (10, 12) -> (12, 14), +x now points up
    np.testing.assert_allclose(out["keypoints"][0], [12.0, 14.0, 270.0, 2.0], atol=1e-4)


@pytest.mark.parametrize(
    ("shape", "dtype"), [((H, W), np.uint16), ((H, W, 1), np.uint8), ((H, W, 3), np.float32)]
)
def test_grayscale_uint16_and_float_images(shape, dtype):
    rng = np.random.default_rng(0)
    image = (rng.random(shape) * (65535 if dtype == np.uint16 else 1)).astype(dtype)
    out = A.Compose([TANDA(_object_policy())], seed=0)(image=image)["image"]
    assert out.shape == image.shape and out.dtype == image.dtype


def test_masks_list_and_images_batch_follow():
    policy = TANDAPolicy([TF("hflip")], seq_len=1)
    data = _targets()
    masks = [data["mask"], data["mask"] * 3]
    out = A.Compose([TANDA(policy)], seed=0)(image=data["image"], masks=masks)
    for before, after in zip(masks, out["masks"], strict=True):
        assert np.array_equal(after, before[:, ::-1])


def test_pickle_keeps_the_stream():
    pipeline = A.Compose([TANDA(TANDAPolicy("mnist", seq_len=4), block_size=4)], seed=9)
    pipeline(image=_image())
    clone = pickle.loads(pickle.dumps(pipeline))  # as DataLoader workers receive it
    assert all(np.array_equal(a, b) for a, b in zip(_run(pipeline), _run(clone), strict=True))


def test_relative_policy_path_is_stored_absolute_so_load_works_elsewhere(tmp_path, monkeypatch):
    (tmp_path / "policies").mkdir()
    _object_policy().save(tmp_path / "policies" / "mine.tanda")
    monkeypatch.chdir(tmp_path)
    pipeline = A.Compose([TANDA("policies/mine.tanda")], seed=3)
    spec = A.to_dict(pipeline)["transform"]["transforms"][0]
    assert spec["policy"] == str(tmp_path / "policies" / "mine.tanda")
    A.save(pipeline, tmp_path / "pipeline.json", data_format="json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    restored = A.load(tmp_path / "pipeline.json", data_format="json")
    restored.set_random_seed(3)
    pipeline.set_random_seed(3)
    assert all(np.array_equal(a, b) for a, b in zip(_run(pipeline), _run(restored), strict=True))
    assert TANDA("example").policy == "example"  # gallery names stay names


# --- DataLoader workers (issue 15, item 4) -------------------------------------------------


class _SameImage(torch.utils.data.Dataset):
    """Every item is the same picture through the pipeline: outputs differ only by chance."""

    def __init__(self, pipeline: A.Compose, n: int = 8) -> None:
        self.pipeline, self.n, self.image = pipeline, n, _image(7)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int) -> np.ndarray:
        return self.pipeline(image=self.image)["image"]


def _epochs(init_fn, epochs: int = 2) -> list[bytes]:
    torch.manual_seed(0)
    policy = TANDAPolicy.load("cifar10")
    policy.p = 1.0  # every call transforms: outputs differ only by the random streams
    pipeline = A.Compose([TANDA(policy)], seed=0)
    loader = torch.utils.data.DataLoader(_SameImage(pipeline), batch_size=None, num_workers=2,
                                         worker_init_fn=init_fn)
    return [item.numpy().tobytes() for _ in range(epochs) for item in loader]


def test_worker_init_fn_gives_distinct_outputs_across_workers_and_epochs():
    from tanda_transforms.albumentations import worker_init_fn

    plain = _epochs(None)  # albumentations alone: the workers and the epochs repeat each other
    assert len(plain) == 16 and len(set(plain)) <= 8
    seeded = _epochs(worker_init_fn)
    assert len(set(seeded)) == 16
    assert seeded == _epochs(worker_init_fn)  # still reproducible under torch.manual_seed


def test_worker_init_fn_outside_a_worker_or_without_a_pipeline_says_what_is_wrong():
    from tanda_transforms.albumentations import worker_init_fn

    with pytest.raises(RuntimeError, match="inside DataLoader workers"):
        worker_init_fn(0)
    loader = torch.utils.data.DataLoader([np.zeros(2)] * 2, num_workers=1,
                                         worker_init_fn=worker_init_fn)
    with pytest.raises(RuntimeError, match="found no albumentations pipeline"):
        list(loader)


def test_reseed_pipelines_finds_pipelines_in_subsets_and_mixes_their_seeds():
    from tanda_transforms.albumentations import reseed_pipelines

    a = A.Compose([TANDA("example")], seed=1)
    b = A.Compose([TANDA("example")], seed=2)
    data = torch.utils.data.ConcatDataset([_SameImage(a), torch.utils.data.Subset(
        _SameImage(b), [0])])
    assert reseed_pipelines(data, worker_seed=5) == 2
    assert a.seed != b.seed  # same worker seed, different pipeline seeds: different streams
    first = a.seed
    assert reseed_pipelines(a, worker_seed=5) == 1 and a.seed == first  # from the user's seed


# --- issue 25.3: one p, as albumentations has; float64 masks ---------------------------------


def test_p_defaults_to_the_policys_saved_p_and_an_explicit_p_replaces_it():
    saved = TANDAPolicy.load("cifar10").p
    assert 0 < saved < 1
    assert TANDA("cifar10").p == saved
    assert TANDA("cifar10", p=1).p == 1.0
    restored = A.from_dict(A.to_dict(A.Compose([TANDA("cifar10", p=0.7)])))
    assert restored.transforms[0].p == 0.7
    with pytest.raises(ValueError):
        TANDA("cifar10", p=1.5)


def test_p_1_transforms_every_image_its_policy_draws_a_sequence_for():
    tanda = TANDA("cifar10", p=1)
    policy = tanda.tanda_policy
    pipeline = A.Compose([tanda], seed=0, save_applied_params=True)
    changed = 0
    for i in range(40):
        image = _image(i)
        out = pipeline(image=image)
        (name, params), = out["applied_transforms"]
        sequence = params["sequence"]
        assert name == "TANDA" and sequence.applied and len(sequence.actions) == policy.seq_len
        rendered = policy.compile(sequence, image.shape).apply(image)
        assert np.array_equal(out["image"], rendered)  # the drawn sequence, applied
        changed += not np.array_equal(out["image"], image)
    assert changed == 40


def test_the_default_p_gates_as_often_as_the_policys_own_p():
    pipeline = A.Compose([TANDA("cifar10")], seed=0, save_applied_params=True)
    runs = [pipeline(image=_image(i, (8, 8, 3)))["applied_transforms"] for i in range(300)]
    rate = sum(bool(r) for r in runs) / len(runs)
    saved = TANDAPolicy.load("cifar10").p
    assert abs(rate - saved) < 4 * np.sqrt(saved * (1 - saved) / len(runs)), rate
    assert all(params["sequence"].applied for r in runs for _, params in r)


def test_float64_masks_move_exactly_as_their_labels_do():
    data = _targets()
    values = np.array([0.0, 0.25, 1e-9 + 7.0])
    mask64 = values[data["mask"]]
    pipeline = A.Compose([TANDA(_object_policy(), p=1)], seed=3)
    ours = pipeline(image=data["image"], mask=mask64)["mask"]
    labels = A.Compose([TANDA(_object_policy(), p=1)], seed=3)(
        image=data["image"], mask=data["mask"])["mask"]
    assert not np.array_equal(labels, data["mask"])  # the draw moved the mask
    assert ours.dtype == np.float64 and np.array_equal(ours, values[labels])


def test_channel_counts_the_policy_cannot_take_are_refused_by_name():
    pipeline = A.Compose([TANDA("cifar10", p=1)], seed=0)
    with pytest.raises(ValueError, match="5-channel images cannot go through every TF"):
        pipeline(image=np.zeros((8, 8, 5), np.uint8))
