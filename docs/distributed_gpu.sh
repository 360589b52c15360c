#!/usr/bin/env bash
# Learning on GPUs under torchrun (NCCL), for a machine with CUDA; not run on the 2-core CPU
# machine where docs/distributed.md was written. From the repository root:
#   bash docs/distributed_gpu.sh            # all visible GPUs
# 1. The 2-rank tests (gloo on the CPU) still pass on the GPU machine.
# 2. Throughput at 1, 2, ... processes, one GPU each (the ratios are the result).
# 3. A short tanda learn over every GPU: one policy file, world size recorded.
set -euo pipefail
gpus=$(python -c "import torch; print(torch.cuda.device_count())")
procs=$(python -c "print(' '.join(str(2**i) for i in range(8) if 2**i <= $gpus))")
python -m pytest -q -p no:cacheprovider tests/test_distributed.py
python docs/distributed_benchmark.py --device cuda --procs $procs --batch 32 --steps 20 --rounds 3
python -m torch.distributed.run --standalone --nproc_per_node="$gpus" -m tanda_transforms.cli \
    learn --steps 50 --batch-size 16 --device cuda --no-progress --out "${OUT:-.}/gpu.tanda"
python -c "from tanda_transforms import TANDAPolicy as P; import sys; \
print(P.load(sys.argv[1]).metadata['training']['world_size'])" "${OUT:-.}/gpu.tanda"
