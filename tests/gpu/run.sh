#!/usr/bin/env bash
# The GPU checks, as one script for a lent H100/H200 machine (facts: docs/gpu.md). Prepare on a CPU machine:
#
#   tests/gpu/prepare.sh            # copies ../shared's fixtures and MovieLens-100K into .device/shared (git-ignored)
#
# then run this with `.device` carried along. It builds against the machine's own torch (python3's), runs the whole
# ctest suite (multi-rank tests on the CPU: one GPU cannot hold two NCCL ranks), `delrec model verify` on the
# fixtures on CUDA in float32 and bfloat16, the NCCL communicator tests and bandwidth, and the quickstart on CUDA.
# Every section's output goes to $OUT/<section>.log and one line per section to $OUT/summary.txt; the script exits
# non-zero when any section failed. Budget: under 8 minutes on 16 cores.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/build-gpu/out}
mkdir -p "$OUT"
summary=$OUT/summary.txt
: >"$summary"
failed=0
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
shared=${DELREC_SHARED_DIR:-$PWD/.device/shared}
[[ -d $shared/fixtures ]] || shared=$(cd .. && pwd)/shared

# section NAME COMMAND...: runs COMMAND with its output in $OUT/NAME.log, records pass/fail and seconds.
section() {
  local name=$1
  shift
  local start=$SECONDS
  echo "== $name: $*"
  if "$@" >"$OUT/$name.log" 2>&1; then
    echo "$name: ok ($((SECONDS - start)) s)" | tee -a "$summary"
  else
    echo "$name: FAILED ($((SECONDS - start)) s), see $name.log" | tee -a "$summary"
    tail -n 30 "$OUT/$name.log"
    failed=1
  fi
}

{
  echo "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
  echo "torch: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>&1)"
  echo "nvcc: $(nvcc --version 2>&1 | tail -1)"
} | tee -a "$summary"

torch_prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
section configure cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$torch_prefix" \
  -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" -DDELREC_SHARED_DIR="$shared"
section build cmake --build build-gpu -j "$(nproc)"
delrec=./build-gpu/launcher/delrec
section version "$delrec" --version
grep -q "CUDA .* compiled in, [1-9][0-9]* GPU" "$OUT/version.log" || {
  echo "version: CUDA not compiled in or no GPU visible" | tee -a "$summary"; failed=1; }

# The whole suite; the single-process tests see the GPU, the multi-rank ones run on the CPU (CUDA_VISIBLE_DEVICES
# is emptied for them in tests/CMakeLists.txt).
section ctest bash -c "cd build-gpu && ctest --output-on-failure -j $(nproc) --timeout 600"

section nccl_tests ./build-gpu/tests/delrec_tests --gtest_filter='Dtypes/NcclCommunicatorTest.*'
section nccl_bandwidth ./build-gpu/tests/bench/bench_comm --device cuda
for fixture in tiny-llama tiny-qwen2; do
  for dtype in float32 bfloat16; do
    section "verify_${fixture}_${dtype}" "$delrec" model verify "$shared/fixtures/$fixture" --dtype "$dtype"
  done
done
section quickstart_cuda "$delrec" quickstart run.out_dir="$PWD/build-gpu/quickstart"
cp build-gpu/quickstart/eval/results.md "$OUT/quickstart_results.md" 2>/dev/null

echo "== summary"
cat "$summary"
exit $failed
