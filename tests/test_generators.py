"""Sequence samplers: shapes, log-probabilities, seeding, configs."""

import pytest
import torch

from tanda_transforms.generator_kinds import build_sampler
from tanda_transforms.generators import MeanFieldSampler, RecurrentSampler


@pytest.mark.parametrize(
    "sampler", [MeanFieldSampler(6), RecurrentSampler(6, 16), RecurrentSampler(6, 16, cell="gru")]
)
def test_sample_shapes_ranges_and_log_probs(sampler):
    actions, log_probs = sampler.sample(7, 5, generator=torch.Generator().manual_seed(0))
    assert actions.shape == (7, 5) and log_probs.shape == (7, 5)
    assert actions.min() >= 0 and actions.max() < 6
    assert (log_probs <= 0).all()
    torch.testing.assert_close(log_probs, sampler.log_prob(actions))


@pytest.mark.parametrize("make", [lambda: MeanFieldSampler(5), lambda: RecurrentSampler(5, 8)])
def test_same_generator_seed_same_sequences(make):
    torch.manual_seed(0)
    sampler = make()
    a, _ = sampler.sample(20, 4, generator=torch.Generator().manual_seed(1))
    b, _ = sampler.sample(20, 4, generator=torch.Generator().manual_seed(1))
    c, _ = sampler.sample(20, 4, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_uniform_mean_field_is_uniform():
    probs = MeanFieldSampler(4).tf_probabilities()
    torch.testing.assert_close(probs, torch.full((4,), 0.25, dtype=torch.float64))
    counts = MeanFieldSampler(4).sample(4000, 5, torch.Generator().manual_seed(0))[0]
    freq = torch.bincount(counts.flatten(), minlength=4) / counts.numel()
    assert (freq - 0.25).abs().max() < 0.02


def test_log_prob_gradients_flow_for_reinforce():
    sampler = RecurrentSampler(3, 8)
    _, log_probs = sampler.sample(4, 3, generator=torch.Generator().manual_seed(0))
    log_probs.sum().backward()
    assert sampler.head.weight.grad is not None and sampler.head.weight.grad.abs().sum() > 0


def test_recurrent_sampler_conditions_on_previous_action():
    torch.manual_seed(0)
    sampler = RecurrentSampler(3, 8)
    logits = sampler.sequence_logits(torch.tensor([[0, 0], [1, 0]]))
    assert torch.equal(logits[0, 0], logits[1, 0])  # same start
    assert not torch.allclose(logits[0, 1], logits[1, 1])  # different previous action


def test_configs_round_trip_and_reject_garbage():
    for sampler in (MeanFieldSampler(3), RecurrentSampler(3, 12, cell="gru")):
        rebuilt = build_sampler(sampler.config())
        assert rebuilt.config() == sampler.config()
        assert rebuilt.state_dict().keys() == sampler.state_dict().keys()
    for bad in (
        {"kind": "transformer", "n_tfs": 3},
        {"kind": "lstm", "n_tfs": 3},
        {"kind": "lstm", "n_tfs": 3, "hidden_size": 10**9},
        "lstm",
    ):
        with pytest.raises(ValueError):
            build_sampler(bad)


def test_bad_counts_raise():
    with pytest.raises(ValueError, match="seq_len"):
        MeanFieldSampler(3).sample(2, 0)
    with pytest.raises(ValueError, match="n_tfs"):
        MeanFieldSampler(0)
    with pytest.raises(ValueError, match="logits"):
        MeanFieldSampler(3, logits=[0.0, 1.0])


@pytest.mark.parametrize("kind", ["mean_field", "lstm"])
def test_draw_follows_the_sampler_distribution(kind):
    # draw() (inverse CDF, for batched policies) and sample() (multinomial) agree in law
    torch.manual_seed(0)
    sampler = (MeanFieldSampler(5, logits=[2.0, 0.0, -1.0, 1.0, -30.0]) if kind == "mean_field"
               else RecurrentSampler(5, hidden_size=8))
    gen = torch.Generator().manual_seed(1)
    drawn = torch.bincount(sampler.draw(4000, 3, gen).flatten(), minlength=5) / 12000
    sampled = torch.bincount(sampler.sample(4000, 3, gen)[0].flatten(), minlength=5) / 12000
    assert (drawn - sampled).abs().max() < 0.02
    if kind == "mean_field":
        assert drawn[4] == 0  # a TF of probability ~1e-14 is not drawn in 12,000 draws
        expected = torch.softmax(sampler.logits.detach(), -1)
        assert (drawn - expected).abs().max() < 0.015
    again = sampler.draw(4000, 3, torch.Generator().manual_seed(7))
    assert torch.equal(again, sampler.draw(4000, 3, torch.Generator().manual_seed(7)))
