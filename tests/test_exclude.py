"""Excluding TFs from a policy (tanda_transforms.exclude) and the harness's max_kl knob."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.evaluation import EvalConfig
from tanda_transforms.evaluation.augment import PolicyRecipe, make_augment
from tanda_transforms.evaluation.selection import build_candidate, parse_grid
from tanda_transforms.exclude import (
    check_max_kl,
    drop_label_changing,
    exclude_tfs,
    label_changing_tfs,
)
from tanda_transforms.generators import MeanFieldSampler, RecurrentSampler, SequenceSampler

N_TFS = 6  # a small library: the first six TFs of the mnist pack


def _policy(sampler: SequenceSampler | None = None, seq_len: int = 3) -> TANDAPolicy:
    library = TANDAPolicy("mnist").library[:N_TFS]
    if sampler is None:
        sampler = MeanFieldSampler(N_TFS, logits=[0.5, -1.0, 2.0, 0.0, 1.0, -0.5])
    return TANDAPolicy(library, sampler, seq_len, seed=0)


def _recurrent(cell: str) -> RecurrentSampler:
    torch.manual_seed(0)
    sampler = RecurrentSampler(N_TFS, hidden_size=8, cell=cell)
    with torch.no_grad():  # logits far from uniform, so that renormalising shows
        sampler.head.weight.mul_(20.0)
        sampler.head.bias.copy_(torch.tensor([3.0, -2.0, 1.0, 0.0, 4.0, -1.0]))
    return sampler


def _with_label_record(policy: TANDAPolicy, penalty: list) -> TANDAPolicy:
    policy.metadata["training"] = {"labels": {"tf_penalty": penalty,
                                              "tf_names": policy.library.names}}
    return policy


def test_mean_field_excluded_tfs_get_zero_and_the_rest_keep_their_ratios():
    policy = _policy()
    before = policy.sampler.tf_probabilities()
    after = exclude_tfs(policy, [2, 4]).sampler.tf_probabilities()
    assert after[[2, 4]].tolist() == [0.0, 0.0]
    kept = [0, 1, 3, 5]
    expected = before[kept] / before[kept].sum()
    torch.testing.assert_close(after[kept], expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_recurrent_steps_are_renormalised_over_the_kept_tfs(cell):
    sampler = _recurrent(cell)
    policy = _policy(sampler, seq_len=4)
    excluded = [0, 4]
    kept = [1, 2, 3, 5]
    out = exclude_tfs(policy, excluded).sampler
    actions = torch.tensor([[1, 2, 3, 5], [5, 5, 1, 2], [3, 1, 2, 2]])
    with torch.no_grad():
        old = torch.log_softmax(sampler.sequence_logits(actions), -1)
        new = torch.log_softmax(out.sequence_logits(actions), -1)
    assert torch.all(new[..., excluded].exp() == 0)
    renormalised = old[..., kept] - torch.logsumexp(old[..., kept], -1, keepdim=True)
    torch.testing.assert_close(new[..., kept], renormalised, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", [lambda: None, lambda: _recurrent("lstm")],
                         ids=["mean_field", "lstm"])
def test_excluded_tfs_are_never_drawn_by_any_path(make):
    policy = exclude_tfs(_policy(make()), [2, 4])
    gen = torch.Generator().manual_seed(0)
    drawn = policy.sampler.draw(2000, 3, gen)
    sampled, _ = policy.sampler.sample(2000, 3, gen)
    batch = policy.batched(seed=0)
    batch(torch.rand(64, 1, 8, 8))
    for actions in (drawn, sampled, batch.last_actions):
        assert not np.isin(actions.numpy(), [2, 4]).any()
        assert np.isin(actions.numpy(), [0, 1, 3, 5]).any()


def test_the_original_policy_is_left_alone():
    policy = _policy()
    logits = policy.sampler.logits.detach().clone()
    exclude_tfs(policy, [0])
    assert torch.equal(policy.sampler.logits.detach(), logits)
    assert "excluded" not in policy.metadata


def test_names_and_indices_select_the_same_tfs_and_are_recorded():
    policy = _policy()
    names = policy.library.names
    by_name = exclude_tfs(policy, [names[3], names[1]])
    by_index = exclude_tfs(policy, [1, 3])
    assert torch.equal(by_name.sampler.logits, by_index.sampler.logits)
    assert by_name.metadata["excluded"] == {"tfs": [names[1], names[3]], "reason": "by hand"}
    twice = exclude_tfs(by_index, [5], reason="second")
    assert twice.metadata["excluded"] == {"tfs": [names[1], names[3], names[5]],
                                          "reason": "by hand; second"}
    assert (twice.p, twice.frame, twice.seq_len, twice.seed) == (1.0, 0, 3, 0)
    assert "excluded" not in exclude_tfs(policy, []).metadata  # nothing excluded, no record


@pytest.mark.parametrize("earlier, carried", [
    ("x", []),
    ({"tfs": "x"}, []),
    ({"tfs": [1, "no_such_tf()", 2], "reason": 3}, [2]),  # 2: replaced by the TF's name
])
def test_a_malformed_earlier_record_keeps_only_this_policys_tf_names(earlier, carried):
    policy = _policy()
    names = policy.library.names
    if isinstance(earlier, dict) and isinstance(earlier["tfs"], list):
        earlier["tfs"] = [names[t] if t == 2 else t for t in earlier["tfs"]]
    policy.metadata["excluded"] = earlier
    record = exclude_tfs(policy, [0]).metadata["excluded"]
    assert record == {"tfs": [names[i] for i in [0, *carried]], "reason": "by hand"}


def test_an_excluded_policy_saves_and_loads_as_it_draws(tmp_path):
    policy = exclude_tfs(_policy(_recurrent("lstm")), [0, 4])
    policy.save(tmp_path / "p.tanda")
    loaded = TANDAPolicy.load(tmp_path / "p.tanda")
    gen_a, gen_b = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(policy.sampler.draw(500, 3, gen_a), loaded.sampler.draw(500, 3, gen_b))
    assert loaded.metadata["excluded"] == policy.metadata["excluded"]


@pytest.mark.parametrize("tfs, error, match", [
    (["no_such_tf()"], ValueError, "unknown TF name"),
    ([N_TFS], ValueError, "out of range"),
    ([-1], ValueError, "out of range"),
    ([True], TypeError, "indices"),
    ([1.0], TypeError, "indices"),
    (list(range(N_TFS)), ValueError, "every TF"),
])
def test_bad_exclusions_are_refused_with_what_was_expected(tfs, error, match):
    with pytest.raises(error, match=match):
        exclude_tfs(_policy(), tfs)


def test_other_samplers_are_refused():
    class Fixed(SequenceSampler):
        def config(self):
            return {"kind": "fixed", "n_tfs": self.n_tfs}

    with pytest.raises(TypeError, match="mean-field and recurrent"):
        exclude_tfs(_policy(Fixed(N_TFS)), [0])


def test_label_changing_tfs_reads_the_label_term_record():
    policy = _with_label_record(_policy(), [0.3, 0.01, None, 0.05, 0.2, 0.0])
    assert label_changing_tfs(policy, 0.1) == [0, 4]
    assert label_changing_tfs(policy, 0.04) == [0, 3, 4]  # None: never drawn, kept
    dropped = drop_label_changing(policy, 0.1)
    assert dropped.sampler.tf_probabilities()[[0, 4]].tolist() == [0.0, 0.0]
    assert dropped.metadata["excluded"]["reason"].startswith("label term")
    assert drop_label_changing(policy, 1.0).sampler.tf_probabilities().min() > 0


@pytest.mark.parametrize("metadata, match", [
    ({}, "no label-term record"),
    ({"training": {"labels": "x"}}, "no label-term record"),
    ({"training": {"labels": {"tf_penalty": [0.1] * N_TFS, "tf_names": ["a()"] * N_TFS}}},
     "does not match"),
    ({"training": {"labels": {"tf_penalty": [0.1], "tf_names": None}}}, "does not match"),
])
def test_label_records_that_are_missing_or_do_not_match_are_refused(metadata, match):
    policy = _policy()
    policy.metadata.update(metadata)
    with pytest.raises(ValueError, match=match):
        label_changing_tfs(policy, 0.1)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.1", True])
def test_non_finite_penalties_are_refused(bad):
    policy = _with_label_record(_policy(), [0.1] * (N_TFS - 1) + [bad])
    with pytest.raises(ValueError, match="finite numbers or null"):
        label_changing_tfs(policy, 0.1)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, True, "0.1", None])
def test_bad_thresholds_are_refused(bad):
    with pytest.raises(ValueError, match="max_kl must be a finite number >= 0"):
        check_max_kl(bad)
    if bad is not None:  # None is the recipe's "no filter"
        with pytest.raises(ValueError, match="max_kl must be"):
            PolicyRecipe(max_kl=bad)


def test_the_harness_knob_parses_and_applies_the_threshold(tmp_path):
    condition, grid = parse_grid("tanda_mf:max_kl=none,0.05;p=0.5")
    assert (condition, grid["max_kl"]) == ("tanda_mf", [None, 0.05])
    with pytest.raises(ValueError, match="max_kl must be"):
        parse_grid("tanda_lstm:max_kl=-1")
    policy = _with_label_record(TANDAPolicy("mnist", seq_len=2),
                                [0.5] + [0.0] * (len(TANDAPolicy("mnist").library) - 1))
    path = tmp_path / "labels.tanda"
    policy.save(path)
    config = EvalConfig("mnist", device="cpu")
    augment = build_candidate("tanda_mf", {"max_kl": 0.1, "p": 0.5}, config, str(path))
    assert augment.p == 0.5 and augment.sampler.tf_probabilities()[0] == 0.0
    unfiltered = build_candidate("tanda_mf", {"max_kl": None}, config, str(path))
    assert unfiltered.sampler.tf_probabilities()[0] > 0


def test_the_heuristic_ignores_max_kl_and_a_policy_without_labels_is_refused(tmp_path):
    path = tmp_path / "plain.tanda"
    TANDAPolicy("mnist", seq_len=2).save(path)
    recipe = PolicyRecipe(max_kl=0.1)
    uniform = make_augment("heuristic", "mnist", str(path), recipe=recipe)
    assert uniform.sampler.tf_probabilities().min() > 0
    with pytest.raises(ValueError, match="no label-term record"):
        make_augment("tanda_lstm", "mnist", str(path), recipe=recipe)


def test_the_evaluate_option_sets_the_runs_threshold():
    import argparse

    from tanda_transforms.evaluation.command import config_from_args
    from tanda_transforms.evaluation.options import add_run_arguments

    parser = argparse.ArgumentParser()
    add_run_arguments(parser, require_data=False)
    args = parser.parse_args(["--dataset", "mnist", "--policy-max-kl", "0.05"])
    assert config_from_args(args).recipe.max_kl == 0.05
    assert config_from_args(parser.parse_args(["--dataset", "mnist"])).recipe.max_kl is None
    with pytest.raises(ValueError, match="max_kl must be"):
        config_from_args(parser.parse_args(["--dataset", "mnist", "--policy-max-kl", "-1"]))
