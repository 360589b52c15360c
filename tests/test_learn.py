"""learn_policy: it learns to avoid destructive TFs, is reproducible, resumes, fails loudly."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as tnf

from tanda_transforms import TF, TANDAPolicy
from tanda_transforms.learn import LearnConfig, discounted_cost_to_go, learn_policy

HARMLESS = [
    TF("rotate", degrees=5),
    TF("rotate", degrees=-5),
    TF("hflip"),
    TF("vflip"),
    TF("zoom", factor=1.1),
    TF("shear", factor=0.1),
]
DESTRUCTIVE = [TF("invert"), TF("brightness", factor=8.0), TF("gaussian_noise", std=0.5)]
FAST = {"batch_size": 16, "d_width": 8, "progress": False}


def blobs(n: int, size: int = 16, seed: int = 0) -> np.ndarray:
    """Soft bright blobs on a dark background: simple data with an obvious 'realistic'."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.zeros((n, size, size), np.float32)
    for i in range(n):
        for _ in range(2):
            cy, cx = rng.uniform(4, size - 4, 2)
            r = rng.uniform(1.5, 3)
            out[i] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    return (np.clip(out, 0, 1) * 255).astype(np.uint8)


@pytest.mark.parametrize("generator", ["mean_field", "lstm"])
def test_learning_suppresses_destructive_tfs(generator):
    policy = learn_policy(
        blobs(256),
        HARMLESS + DESTRUCTIVE,
        generator=generator,
        seq_len=3,
        steps=150,
        seed=0,
        d_lr=1e-3,
        g_lr=1e-2,
        **FAST,
    )
    probs = policy.sampler.tf_probabilities(seq_len=3, generator=torch.Generator().manual_seed(0))
    uniform_share = len(DESTRUCTIVE) / len(probs)
    learned_share = float(probs[len(HARMLESS) :].sum())
    assert learned_share < uniform_share / 3, (learned_share, probs.tolist())


def test_history_is_returned_and_saved(tmp_path):
    policy = learn_policy(
        blobs(64), HARMLESS, generator="mean_field", seq_len=2, steps=4, seed=0, log_every=2, **FAST
    )
    history = policy.history
    assert history["step"] == [2, 4]
    for key in ("d_loss", "g_loss", "d_acc", "cost"):
        assert len(history[key]) == 2 and all(np.isfinite(history[key]))
    assert len(history["tf_freq"][0]) == len(HARMLESS)
    assert abs(sum(history["tf_freq"][0]) - 1) < 1e-3
    policy.save(tmp_path / "p.tanda")
    loaded = TANDAPolicy.load(tmp_path / "p.tanda")
    assert loaded.history == history
    assert loaded.metadata["training"]["config"]["d_width"] == 8


def _weights(policy):
    return torch.cat([p.detach().flatten() for p in policy.sampler.parameters()])


def test_same_seed_reproduces_the_run_on_cpu():
    runs = [
        learn_policy(
            blobs(64), HARMLESS + DESTRUCTIVE, generator="lstm", seq_len=3, steps=3, seed=s, **FAST
        )
        for s in (1, 1, 2)
    ]
    assert torch.equal(_weights(runs[0]), _weights(runs[1]))
    assert not torch.equal(_weights(runs[0]), _weights(runs[2]))


def test_resume_continues_exactly(tmp_path):
    args = dict(generator="lstm", seq_len=3, seed=0, checkpoint_every=2, **FAST)
    data, tfs = blobs(64), HARMLESS + DESTRUCTIVE
    straight = learn_policy(data, tfs, steps=4, **args)
    ckpt = tmp_path / "run.ckpt"
    learn_policy(data, tfs, steps=2, checkpoint=ckpt, **args)
    resumed = learn_policy(data, tfs, steps=4, resume=ckpt, **args)
    assert torch.equal(_weights(straight), _weights(resumed))
    assert resumed.metadata["training"]["steps"] == 4


def test_resumed_history_equals_an_uninterrupted_one(tmp_path):
    # issue 13 item 8: the steps since the last history entry were not in the checkpoint, so
    # the first entry after a resume averaged fewer steps than it should
    args = dict(generator="lstm", seq_len=2, seed=0, log_every=3, checkpoint_every=2, **FAST)
    data = blobs(32)
    straight = learn_policy(data, HARMLESS, steps=7, **args)
    assert straight.history["step"] == [3, 6, 7]

    def killed_at_step_5(learner):
        if learner.step_index == 5:
            raise KeyboardInterrupt

    killed = tmp_path / "killed.ckpt"  # last saved at step 4, in the middle of a window
    with pytest.raises(KeyboardInterrupt):
        learn_policy(data, HARMLESS, steps=7, checkpoint=killed, callback=killed_at_step_5,
                     **args)
    assert learn_policy(data, HARMLESS, steps=7, resume=killed, **args).history == (
        straight.history
    )
    finished = tmp_path / "finished.ckpt"  # a finished 4-step run, extended to 7 steps
    learn_policy(data, HARMLESS, steps=4, checkpoint=finished, **args)
    assert learn_policy(data, HARMLESS, steps=7, resume=finished, **args).history == (
        straight.history
    )


def test_a_save_killed_mid_write_is_cleaned_up_and_never_resumed_from(tmp_path):
    # issue 13 item 8: a kill while saving left a temporary next to the checkpoint
    args = dict(generator="mean_field", seq_len=2, seed=0, checkpoint_every=2, **FAST)
    data = blobs(32)
    straight = learn_policy(data, HARMLESS, steps=4, **args)
    ckpt = tmp_path / "run.ckpt"
    learn_policy(data, HARMLESS, steps=2, checkpoint=ckpt, **args)
    leftovers = [tmp_path / ".run.ckpt.k3j_x9a2.tmp", tmp_path / ".run.ckpt.tmp"]
    for leftover in leftovers:  # what kill -9 during a save leaves: a truncated temporary
        leftover.write_bytes(ckpt.read_bytes()[:100])
    with pytest.raises(ValueError, match="temporary file of an interrupted checkpoint save"):
        learn_policy(data, HARMLESS, steps=4, resume=leftovers[0], **args)
    resumed = learn_policy(data, HARMLESS, steps=4, resume=ckpt, checkpoint=ckpt, **args)
    assert torch.equal(_weights(straight), _weights(resumed))
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]


class _NaNDiscriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x.flatten(1).mean(1) * self.w * float("nan")


def test_nan_loss_stops_the_run_with_a_clear_error(tmp_path):
    with pytest.raises(FloatingPointError, match="step 0"):
        learn_policy(
            blobs(32),
            HARMLESS,
            generator="mean_field",
            seq_len=2,
            steps=3,
            discriminator=_NaNDiscriminator(),
            checkpoint=tmp_path / "c.ckpt",
            **FAST,
        )
    assert not (tmp_path / "c.ckpt").exists()


def test_data_forms_and_errors():
    rgb = np.random.default_rng(0).integers(0, 255, (16, 3, 12, 12), dtype=np.uint8)
    dataset = [(torch.from_numpy(x), 0) for x in rgb]  # (tensor C x H x W, label) items
    policy = learn_policy(
        dataset,
        [TF("hflip"), TF("saturation", factor=1.5)],
        generator="mean_field",
        seq_len=2,
        steps=1,
        **FAST,
    )
    assert policy.seq_len == 2
    with pytest.raises(ValueError, match="one shape"):
        learn_policy([np.zeros((4, 4), np.uint8), np.zeros((5, 5), np.uint8)], HARMLESS, **FAST)
    with pytest.raises(TypeError, match="uint8, uint16 or float32"):
        learn_policy(np.zeros((4, 8, 8)), HARMLESS, **FAST)
    with pytest.raises(ValueError, match="generator"):
        learn_policy(blobs(8), HARMLESS, generator="transformer", **FAST)
    with pytest.raises(ValueError, match="gamma"):
        LearnConfig(gamma=2.0)


def test_generator_kind_is_checked_where_its_defaults_are_filled():
    with pytest.raises(ValueError, match="generator must be one of"):
        LearnConfig().for_generator("transformer")
    policy = learn_policy(blobs(8), HARMLESS, generator="gru", seq_len=2, steps=1, hidden_size=8,
                          **FAST)
    config = policy.metadata["training"]["config"]
    assert (config["g_lr"], config["entropy_weight"]) == (3e-4, 0.1)
    assert policy.sampler.config() == {"kind": "gru", "n_tfs": len(HARMLESS), "hidden_size": 8}


@pytest.mark.parametrize("name", ["gamma", "alpha", "eps", "d_lr", "g_lr", "entropy_weight",
                                  "epochs", "apply_p"])
@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "1e-3"])
def test_config_refuses_non_finite_numbers_naming_the_field(name, value):
    # issue 13 item 8: alpha=inf was accepted, then stopped the run with "check the data for NaN"
    with pytest.raises(ValueError, match=f"^{name} must be a finite number"):
        LearnConfig(**{name: value})


def test_infinite_alpha_is_refused_before_learning():
    with pytest.raises(ValueError, match="alpha must be a finite number, got inf"):
        learn_policy(blobs(8), HARMLESS, generator="mean_field", alpha=float("inf"), **FAST)


def test_config_refuses_what_a_policy_cannot_hold():
    with pytest.raises(ValueError, match=r"seq_len must be an int in \[1, 1000\]"):
        LearnConfig(seq_len=1001)
    with pytest.raises(ValueError, match=r"hidden_size must be an int in \[1, 4096\]"):
        LearnConfig(hidden_size=4097)
    assert LearnConfig(seq_len=1000, hidden_size=4096, epochs=2).epochs == 2


def test_the_learned_policy_is_saved_with_apply_p_and_half_by_default(tmp_path):
    # issue 26: at p = 1 a policy learned at the defaults fell below no augmentation
    policy = learn_policy(blobs(16), HARMLESS, generator="mean_field", seq_len=2, steps=1, **FAST)
    assert policy.p == 0.5
    policy.save(tmp_path / "half.tanda")
    assert TANDAPolicy.load(tmp_path / "half.tanda").p == 0.5
    always = learn_policy(blobs(16), HARMLESS, generator="mean_field", seq_len=2, steps=1,
                          apply_p=1.0, **FAST)
    assert always.p == 1.0
    with pytest.raises(ValueError, match=r"apply_p must be in \[0, 1\], got 1.5"):
        LearnConfig(apply_p=1.5)


def test_one_pixel_images_are_refused_up_front_naming_the_smallest_size():
    # issue 13 item 8: they stopped at step 0 with "check the data for NaN", the wrong cause
    gray = np.full((8, 1, 1), 100, np.uint8)
    with pytest.raises(ValueError, match="too small to learn from.*1 x 2 pixels, or 1 x 1 with 2"):
        learn_policy(gray, HARMLESS, generator="mean_field", seq_len=2, steps=1, **FAST)
    learn_policy(np.full((8, 1, 2), 100, np.uint8), HARMLESS, generator="mean_field",
                 seq_len=2, steps=1, **FAST)


@pytest.mark.parametrize(
    "data, message",
    [
        (np.zeros((0, 8, 8), np.uint8), r"no images given \(an array of shape \(0, 8, 8\)\)"),
        (np.zeros((4, 8, 0), np.uint8), "at least 1 x 1 pixels and 1 channel, got H x W = 8 x 0"),
        (np.zeros((4, 8, 8, 0), np.uint8), "at least 1 x 1 pixels and 1 channel"),
        ([torch.zeros(0, 8, 8, dtype=torch.uint8)] * 3, "at least 1 x 1 pixels and 1 channel"),
        ([torch.zeros(1, 0, 8, dtype=torch.uint8)] * 3, "at least 1 x 1 pixels and 1 channel"),
        ([()] * 3, "image 0: an empty tuple, expected an image or an"),
    ],
)
def test_empty_data_and_zero_sized_images_raise_a_clear_error(data, message):
    # issue 13 item 8: they reached the TFs or the discriminator and failed there
    with pytest.raises(ValueError, match=message):
        learn_policy(data, [TF("invert")], generator="mean_field", seq_len=2, steps=1, **FAST)


class _PoolingDiscriminator(nn.Module):
    """Needs images of at least 6 x 6 pixels: a 3 x 3 convolution, then a 4 x 4 max pool."""

    def __init__(self, outputs: int = 1):
        super().__init__()
        self.conv, self.norm = nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4)
        self.linear = nn.Linear(4, outputs)

    def forward(self, x):
        return self.linear(tnf.max_pool2d(self.norm(self.conv(x)), 4).mean((2, 3)))


def test_the_discriminator_is_checked_against_the_image_size_up_front():
    kwargs = dict(generator="mean_field", seq_len=2, steps=1, **FAST)
    with pytest.raises(ValueError, match="cannot take images of 4 x 4 pixels with 1 channel"):
        learn_policy(blobs(8)[:, :4, :4], HARMLESS, discriminator=_PoolingDiscriminator(), **kwargs)
    with pytest.raises(ValueError, match=r"N \(or N x 1\) logits.*returned shape \(2, 3\)"):
        learn_policy(blobs(8), HARMLESS, discriminator=_PoolingDiscriminator(3), **kwargs)
    learn_policy(blobs(8), HARMLESS, discriminator=_PoolingDiscriminator(), **kwargs)  # N x 1

    from tanda_transforms import TFLibrary
    from tanda_transforms.learn import Learner

    disc = _PoolingDiscriminator()
    disc.linear.eval()
    Learner(blobs(8), TFLibrary(HARMLESS), "mean_field", LearnConfig(), seed=0,
            device=torch.device("cpu"), discriminator=disc)
    assert disc.norm.num_batches_tracked == 0  # the check ran in eval mode: statistics kept
    assert disc.training and disc.norm.training and not disc.linear.training  # modes restored


def test_discounted_cost_to_go():
    costs = torch.tensor([[1.0, 2.0, 4.0]])
    expected = [[1 + 0.5 * 2 + 0.25 * 4, 2 + 0.5 * 4, 4.0]]
    assert discounted_cost_to_go(costs, 0.5).tolist() == expected


def test_diversity_in_discriminator_features_changes_learning_and_needs_the_method():
    data = blobs(64)
    kwargs = dict(generator="mean_field", seq_len=3, steps=4, seed=0, **FAST)
    pixels = learn_policy(data, HARMLESS + DESTRUCTIVE, **kwargs)
    features = learn_policy(data, HARMLESS + DESTRUCTIVE, diversity="features", **kwargs)
    assert features.metadata["training"]["config"]["diversity"] == "features"
    assert pixels.history["g_loss"] != features.history["g_loss"]

    class LogitsOnly(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(16 * 16, 1)

        def forward(self, x):
            return self.linear(x.flatten(1)).squeeze(-1)

    with pytest.raises(TypeError, match="diversity_features"):
        learn_policy(data, HARMLESS, discriminator=LogitsOnly(), diversity="features", **kwargs)
    with pytest.raises(ValueError, match="diversity must be one of"):
        LearnConfig(diversity="colour")


@pytest.mark.parametrize("render", ["per_image", "batched"])
def test_learner_renders_like_the_policy_one_resampling_per_geometric_run(render):
    from tanda_transforms import TFLibrary
    from tanda_transforms.learn import Learner

    data = blobs(8)
    tfs = [TF("rotate", degrees=2.5), TF("rotate", degrees=-2.5)]
    config = LearnConfig(seq_len=4, batch_size=2, render=render)
    learner = Learner(data, TFLibrary(tfs), "mean_field", config, seed=0,
                      device=torch.device("cpu"))
    assert (learner.renderer is None) == (render == "per_image")
    actions = torch.tensor([[0, 1, 0, 1]] * 2 * learner.config.seqs_per_point)
    states = learner._roll_out(data[:2], actions)
    assert states.shape == (5, 10, 1, 16, 16)
    # +2.5 then -2.5 degrees is the identity when the run is resampled once (exact on these
    # uint8 images: the batched path's float32 matrices round back to the same levels)
    assert torch.equal(states[2], states[0]) and torch.equal(states[4], states[0])
    assert not torch.equal(states[1], states[0])
