#!/usr/bin/env bash
# Batched policies on a GPU (issue 10), for a machine with CUDA; not run on the 2-core CPU
# machine where docs/benchmark.md was written. From the repository root, with kornia
# installed (pip install ".[bench]") and a CIFAR-10 tar (the device runs use the 8 MB subset
# made by docs/experiments/cifar10_subset.py):
#   bash docs/batched_gpu.sh .gpu/cifar10/cifar10-sub.tar.gz
# 1. The batched tests, CUDA ones included.
# 2. img/s at 32 and 224 px, L = 2 and 10, against kornia on the same batch (goal: >= 100k
#    img/s at 32 px with L = 10).
# 3. Learning a CIFAR-10 policy: ms per step per rendering path, and a whole pass (goal:
#    < 1 min on one GPU).
set -euo pipefail
data=${1:?usage: bash docs/batched_gpu.sh CIFAR10_TAR}
python -m pytest -q -p no:cacheprovider tests/test_batched.py tests/test_batched_photometric.py
python docs/benchmark_batched.py --device cuda --threads 4 --batch 1024 --rounds 5 --seconds 2
python docs/benchmark_batched.py --device cuda --threads 4 --learning "$data" --learn-steps 5 \
    --full-pass
