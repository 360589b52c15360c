"""One rank of the 2-process test in tests/test_distributed.py; run by ``torchrun``.

``python -m torch.distributed.run --standalone --nproc_per_node=2 tests/distributed_worker.py
OUT`` learns three short runs on CPU (gloo): 6 steps straight, and 3 steps with a checkpoint
then resumed to 6. After every step a callback gathers the generator's and the discriminator's
weights from all ranks and records whether they are identical; each rank records the images
(by index) it drew. Rank 0 writes the policies; every rank writes ``OUT/rank<r>.json``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
from torch import distributed as dist

from tanda_transforms.learn import Learner, learn_policy

N_IMAGES, BATCH, STEPS = 24, 3, 6


def images() -> np.ndarray:
    """24 random 12 x 12 images whose first pixel is their index."""
    out = np.random.default_rng(0).integers(0, 255, (N_IMAGES, 12, 12), dtype=np.uint8)
    out[:, 0, 0] = np.arange(N_IMAGES)
    return out


def weights(learner: Learner) -> torch.Tensor:
    params = [*learner.sampler.parameters(), *learner.disc.parameters()]
    return torch.cat([p.detach().reshape(-1) for p in params])


def main(out: Path) -> None:
    torch.set_num_threads(1)
    synced: list[bool] = []
    seen: list[list[int]] = []
    draw = Learner._next_batch

    def recording_draw(learner: Learner) -> np.ndarray:
        batch = draw(learner)
        seen.append(batch[:, 0, 0].tolist())
        return batch

    def compare(learner: Learner) -> None:
        mine = weights(learner)
        every = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
        dist.all_gather(every, mine)
        synced.append(all(torch.equal(every[0], other) for other in every[1:]))

    Learner._next_batch = recording_draw
    common = dict(generator="lstm", seq_len=2, batch_size=BATCH, seed=5, progress=False,
                  device="cpu", log_every=2, callback=compare)
    straight = learn_policy(images(), "mnist", steps=STEPS, **common)
    first = learn_policy(images(), "mnist", steps=STEPS // 2, checkpoint=out / "ckpt.pt", **common)
    resumed = learn_policy(images(), "mnist", steps=STEPS, resume=out / "ckpt.pt", **common)
    rank = int(os.environ["RANK"])
    if rank == 0:
        straight.save(out / "straight.tanda")
        resumed.save(out / "resumed.tanda")
    record = {"synced": synced, "seen": seen,
              "steps": [p.metadata["training"]["steps"] for p in (straight, first, resumed)]}
    (out / f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
