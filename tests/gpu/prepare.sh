#!/usr/bin/env bash
# Copies what tests/gpu/run.sh reads from ../shared (the Hugging Face fixtures and MovieLens-100K) into
# .device/shared, a git-ignored folder that goes to the GPU machine with the checkout (its copy has no ../shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:-../shared}
rm -rf .device/shared
mkdir -p .device/shared/data
cp -r "$src/fixtures" .device/shared/
[[ -d $src/data/ml-100k ]] && cp -r "$src/data/ml-100k" .device/shared/data/
du -sh .device/shared
