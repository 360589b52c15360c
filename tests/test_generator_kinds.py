"""One registration makes a new generator kind usable everywhere (issue 29, item 2).

The kind below lives in this test module alone (its sampler, builder and work count) and is
registered once; learning, ``tanda learn --generator``, the policy file, the limits and
``tanda show`` then take it without any other change.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from tanda_transforms import PolicyFileError, TANDAPolicy, limits
from tanda_transforms._learn_config import LearnConfig
from tanda_transforms.cli import build_parser, main
from tanda_transforms.generator_kinds import (
    GeneratorKind,
    build_sampler,
    generator_kind,
    generator_names,
    register_generator_kind,
    unregister_generator_kind,
)
from tanda_transforms.generators import SequenceSampler
from tanda_transforms.show import probability_note


class MarkovSampler(SequenceSampler):
    """Each TF drawn from a categorical chosen by the previous TF (row K: the start)."""

    kind = "markov"

    def __init__(self, n_tfs: int) -> None:
        super().__init__(n_tfs)
        self.logits = nn.Parameter(torch.zeros(n_tfs + 1, n_tfs))

    def config(self):
        return {"kind": self.kind, "n_tfs": self.n_tfs}

    def sequence_logits(self, actions):
        start = torch.full_like(actions[:, :1], self.n_tfs)
        return self.logits[torch.cat([start, actions[:, :-1]], 1)]

    def sample(self, n, seq_len, generator=None):
        prev = torch.full((n,), self.n_tfs, dtype=torch.long, device=self.logits.device)
        steps = []
        for _ in range(seq_len):
            probs = torch.softmax(self.logits[prev].detach(), -1)
            prev = torch.multinomial(probs, 1, generator=generator)[:, 0]
            steps.append(prev)
        actions = torch.stack(steps, 1)
        return actions, self.log_prob(actions)


MARKOV = GeneratorKind("markov", lambda config: MarkovSampler(config["n_tfs"]),
                       lambda config: config["n_tfs"], summary="a TF table per previous TF",
                       g_lr=5e-3, entropy_weight=0.05)


@pytest.fixture
def markov():
    register_generator_kind(MARKOV)
    yield MARKOV
    unregister_generator_kind("markov")


def test_the_built_in_kinds_and_their_defaults() -> None:
    assert generator_names()[:3] == ("mean_field", "lstm", "gru")
    config = LearnConfig()
    assert config.for_generator("mean_field").g_lr == 1e-2
    assert config.for_generator("gru").entropy_weight == 0.1
    assert LearnConfig(g_lr=1e-3).for_generator("mean_field").g_lr == 1e-3
    assert limits.draw_cost({"kind": "lstm", "n_tfs": 25, "hidden_size": 64}, seq_len=10) == (
        256 * 10 * 25 * 4, 256 * 10 * (4 * 2 * 64 * 64 + 64 * 25 + 25))


def test_registering_a_name_twice_or_an_unknown_name_is_refused(markov) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_generator_kind(MARKOV)
    with pytest.raises(ValueError, match=r"generator must be one of \(.*'markov'\)"):
        generator_kind("transformer")
    with pytest.raises(ValueError, match="identifier"):
        GeneratorKind("two words", MARKOV.build, MARKOV.step_work, summary="-")


def test_one_registration_reaches_the_command_learning_files_limits_and_show(
        markov, tmp_path, capsys) -> None:
    parser = build_parser(full=["learn"])
    learn = next(a for a in parser._actions if a.dest == "command").choices["learn"]
    option = next(a for a in learn._actions if a.dest == "generator")
    assert "markov" in option.choices and "markov: a TF table per previous TF" in option.help

    data = np.random.default_rng(0).integers(0, 256, (8, 12, 12), dtype=np.uint8)
    np.save(tmp_path / "tiny.npy", data)
    out = tmp_path / "markov.tanda"
    argv = ["learn", "--data", str(tmp_path / "tiny.npy"), "--generator", "markov", "--steps",
            "2", "--seq-len", "2", "--set", "d_width=4", "--no-progress", "--threads", "1",
            "--out", str(out)]
    assert main(argv) == 0
    assert "learning a markov policy" in capsys.readouterr().out

    policy = TANDAPolicy.load(out)
    assert isinstance(policy.sampler, MarkovSampler)
    training = policy.metadata["training"]["config"]
    assert (training["g_lr"], training["entropy_weight"]) == (5e-3, 0.05)
    assert limits.draw_cost(policy.sampler.config(), policy.seq_len)[1] == 256 * 2 * 25
    assert probability_note(policy) == "estimated from 4096 sampled sequences"
    rebuilt = build_sampler(policy.sampler.config())
    assert rebuilt.state_dict().keys() == policy.sampler.state_dict().keys()


def test_an_unregistered_kind_no_longer_loads(tmp_path) -> None:
    register_generator_kind(MARKOV)
    try:
        path = tmp_path / "p.tanda"
        TANDAPolicy("mnist", MarkovSampler(25), seq_len=2).save(path)
    finally:
        unregister_generator_kind("markov")
    with pytest.raises(PolicyFileError, match="unknown sampler config.*markov"):
        TANDAPolicy.load(path)
