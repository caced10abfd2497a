#!/usr/bin/env bash
# Preemption soak: kills quickstart-sized runs with SIGKILL at random steps and checks that each resumed run ends
# with the bytes of an uninterrupted one, on 2 ranks (DP 2 in stage 1, TP 2 in stage 2) and 4 ranks (TP 2 x DP 2).
# Each repetition draws new kill steps; the default 4 repetitions give 12 kill points (ctest runs 3).
#   tests/bench/kill_resume.sh [repetitions] [build dir]
set -euo pipefail
repetitions=${1:-4}
build=${2:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$build/tests/delrec_tests" --gtest_filter='Layouts/ResumeCommands.*' --gtest_repeat="$repetitions" \
  --gtest_brief=1 2>&1 | grep -aE 'kill -9 after|FAILED|Failure|PASSED'
exit "${PIPESTATUS[0]}"
