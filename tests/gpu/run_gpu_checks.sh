#!/usr/bin/env bash
# GPU checks, run on a machine with CUDA LibTorch, NCCL and Open MPI. Builds into build-gpu/ and runs each
# section's checks; every section prints what it ran. Usage: tests/gpu/run_gpu_checks.sh [path/to/libtorch]
set -euo pipefail
cd "$(dirname "$0")/../.."
torch_dir=${1:-$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# sm_90 (H100/H200); set TORCH_CUDA_ARCH_LIST for other GPUs.
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" \
  ${torch_dir:+-DCMAKE_PREFIX_PATH="$torch_dir"}

# ---- parallel: the NCCL backend -------------------------------------------------------------------------------
# Every NCCL collective on CUDA tensors with a world of one rank, then the all-reduce bus bandwidth on the GPU.
ninja -C build-gpu delrec_tests bench_comm
echo "== NCCL communicator tests (one rank)"
log=$(./build-gpu/tests/delrec_tests --gtest_filter='Dtypes/NcclCommunicatorTest.*' 2>&1) || { echo "$log"; exit 1; }
echo "$log"
grep -q "\[  PASSED  \] [1-9]" <<<"$log" || { echo "no NCCL test ran: was delrec built against a CUDA LibTorch?"; exit 1; }
echo "== all-reduce bandwidth, NCCL on CUDA tensors (one rank: busbw is 0 by definition; run under mpirun -n G on G GPUs)"
./build-gpu/tests/bench/bench_comm --device cuda

# ---- llm: the decoder on CUDA -----------------------------------------------------------------------------------
# delrec model verify on the Hugging Face fixtures in float32 on the GPU (DELREC_FIXTURES, default ../shared/fixtures),
# then forward+backward throughput of a random Llama-3.2-1B-shaped model in bfloat16.
fixtures=${DELREC_FIXTURES:-../shared/fixtures}
ninja -C build-gpu delrec bench_model
for f in tiny-llama tiny-qwen2; do
  echo "== delrec model verify $f (CUDA, float32)"
  ./build-gpu/launcher/delrec model verify "$fixtures/$f"
done
echo "== forward+backward throughput, random 1B model, bfloat16"
./build-gpu/tests/bench/bench_model throughput --preset 1b --dtype bfloat16 --steps 5
