"""Learning under ``torchrun``: two CPU ranks (gloo) stay in step; rank 0 writes the policy.

The 2-rank runs start ``python -m torch.distributed.run`` (``torchrun``) in a subprocess, as
users launch them; tests/distributed_worker.py is the script each rank runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tanda_transforms import TANDAPolicy
from tanda_transforms.distributed import Ranks, join
from tanda_transforms.learn import learn_policy

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("distributed_worker.py")
sys.path.insert(0, str(WORKER.parent))
import distributed_worker  # noqa: E402


def _torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK"):
        env.pop(name, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               "--nproc_per_node=2", *args]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two_ranks")
    _torchrun(str(WORKER), str(out), cwd=out)
    return out


def _record(out: Path, rank: int) -> dict:
    return json.loads((out / f"rank{rank}.json").read_text())


def test_ranks_hold_identical_weights_after_every_step(two_ranks):
    for rank in (0, 1):
        synced = _record(two_ranks, rank)["synced"]
        assert len(synced) == 2 * distributed_worker.STEPS  # straight 6, then 3 + 3 resumed
        assert all(synced)


def test_each_rank_draws_its_own_disjoint_part_of_every_epoch(two_ranks):
    seen = [_record(two_ranks, rank)["seen"] for rank in (0, 1)]
    for mine, theirs in zip(seen[0], seen[1], strict=True):
        assert len(mine) == len(theirs) == distributed_worker.BATCH
        assert not set(mine) & set(theirs)
    per_epoch = distributed_worker.N_IMAGES // (2 * distributed_worker.BATCH)
    first_epoch = [i for rank in (0, 1) for batch in seen[rank][:per_epoch] for i in batch]
    assert sorted(first_epoch) == list(range(distributed_worker.N_IMAGES))


def test_rank_zero_writes_policies_that_load_and_record_the_world_size(two_ranks):
    straight = TANDAPolicy.load(two_ranks / "straight.tanda")
    resumed = TANDAPolicy.load(two_ranks / "resumed.tanda")
    assert straight.metadata["training"]["world_size"] == 2
    assert straight.metadata["training"]["steps"] == distributed_worker.STEPS
    assert _record(two_ranks, 1)["steps"] == [6, 3, 6]
    for name, value in straight.sampler.state_dict().items():  # resume restores every stream
        assert torch.equal(value, resumed.sampler.state_dict()[name]), name
    assert straight.metadata["training"]["history"] == resumed.metadata["training"]["history"]


def test_a_two_rank_checkpoint_is_refused_by_one_process(two_ranks):
    with pytest.raises(ValueError, match="made by 2 process.*this run has 1"):
        learn_policy(distributed_worker.images(), "mnist", generator="lstm", seq_len=2,
                     steps=6, batch_size=3, seed=5, progress=False, device="cpu",
                     resume=two_ranks / "ckpt.pt")


def test_tanda_learn_under_torchrun_writes_one_policy(tmp_path):
    result = _torchrun("-m", "tanda_transforms.cli", "learn", "--limit", "24", "--steps", "2",
                       "--batch-size", "3", "--seq-len", "2", "--device", "cpu",
                       "--no-progress", "--out", "p.tanda", cwd=tmp_path)
    assert result.stdout.count("policy written to p.tanda") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["p.tanda"]
    policy = TANDAPolicy.load(tmp_path / "p.tanda")
    assert policy.metadata["training"]["world_size"] == 2
    assert "2 batches of 6 seen" in policy.metadata["data"]


def test_one_process_alone_joins_no_group(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    ranks, device = join(torch.device("cpu"))
    assert ranks == Ranks() and device == torch.device("cpu")
    assert not torch.distributed.is_initialized()


def test_one_process_ranks_change_nothing():
    ranks, module = Ranks(), torch.nn.Linear(2, 1)
    module(torch.ones(1, 2)).sum().backward()
    grad = module.weight.grad.clone()
    ranks.average_gradients(module)
    assert torch.equal(module.weight.grad, grad)
    assert ranks.wrap_discriminator(module, torch.device("cpu")) is module
    batch = np.arange(5)
    assert ranks.shard(batch).tolist() == batch.tolist()
    numbers = {"d_loss": 0.25}
    assert ranks.mean_over_ranks(numbers) is numbers
    assert ranks.stream_state(torch.Generator(), *[np.random.default_rng(0)] * 2) == {
        "world_size": 1}


def test_rank_streams_differ_and_follow_the_seed():
    seeds = [Ranks(rank, 4).stream_seed(3) for rank in range(4)]
    assert len(set(seeds)) == 4 and all(0 <= s < 2**63 for s in seeds)
    assert seeds == [Ranks(rank, 4).stream_seed(3) for rank in range(4)]
    assert Ranks(0, 4).stream_seed(4) != seeds[0]


def test_a_bad_backend_is_refused():
    with pytest.raises(ValueError, match="backend must be one of"):
        join(torch.device("cpu"), backend="mpi")
