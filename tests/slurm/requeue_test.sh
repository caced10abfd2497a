#!/usr/bin/env bash
# Preemption on a real Slurm: `delrec slurm submit` a shrunk quickstart recipe to a one-node cluster
# (slurm_cluster.sh), requeue the job with `scontrol requeue` while stage 2 trains, and check that delrec saves and
# exits with 75 on Slurm's SIGTERM, that the job comes back (Restarts=1), resumes stage 2 from that checkpoint,
# finishes, and writes the same eval/results.json and stage-2 adapter, byte for byte, as the same recipe run
# directly with `delrec run`.
#
#   tests/slurm/requeue_test.sh [DELREC_BINARY]     (default: build/launcher/delrec)
#
# Needs root and Debian's slurm-wlm and munge; exits 77 (skipped) without them. Set KEEP=1 to keep the work
# directory (cluster logs, both run directories) after a success; it is always kept after a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
DELREC_BINARY=${1:-}
# shellcheck source=job_test_common.sh
source "$here/job_test_common.sh"
start_test_cluster requeue "$here/slurm_cluster.sh"

# The quickstart, shrunk to minutes on two cores: fewer users, candidates and examples per step; stage 2 logs
# every one of its 200 steps (about 10 s on one thread) so that the job is caught mid-stage. One CPU rank with one
# thread (two threads spin-wait badly on cores shared with other work); the direct run uses the same, so the
# numbers match bit for bit.
cp "$repo/recipes/quickstart.yaml" "$work/recipe.yaml"
overrides=(data.synthetic.users=60 data.num_candidates=10 teacher.epochs=2 teacher.max_len=20
           stage1.train.steps=2 stage1.train.batch_size=4 stage1.train.eval_examples=2
           stage2.train.steps=200 stage2.train.batch_size=8 stage2.train.log_every=1 stage2.train.eval_every=1000
           stage2.train.eval_examples=2 eval.ablations=none eval.max_users=8
           slurm.gpus_per_node=0 slurm.cpus_per_task=1 slurm.time=00:15:00)

echo "== uninterrupted run: delrec run ($(elapsed))"
OMP_NUM_THREADS=1 "$delrec" run "$work/recipe.yaml" "${overrides[@]}" "run.out_dir=$work/direct" \
  >"$work/direct.log" 2>&1 || { tail -n 30 "$work/direct.log" >&2; fail "the direct run failed"; }
[[ -f $work/direct/eval/results.json ]] || fail "the direct run wrote no eval/results.json"

echo "== delrec slurm submit ($(elapsed))"
cd "$work"
job=$("$delrec" slurm submit recipe.yaml "${overrides[@]}" run.out_dir=slurm 2>"$work/submit.log") ||
  { cat "$work/submit.log" >&2; fail "delrec slurm submit failed"; }
[[ $job =~ ^[0-9]+$ ]] || fail "sbatch printed '$job', not a job id"
echo "job $job: $work/slurm/slurm/job.sbatch"

metrics=$work/slurm/stage2/metrics.jsonl
stage2_running() { [[ -s $metrics ]] && (($(wc -l <"$metrics") >= 3)); }
wait_for 240 "stage 2 logging its third step" stage2_running
"$delrec" slurm status "$work/slurm" >"$work/status.txt"
grep -Eq "^in progress \(or next to run\): stage 2, last logged step [0-9]+" "$work/status.txt" ||
  { cat "$work/status.txt" >&2; fail "delrec slurm status does not show stage 2 in progress"; }
echo "== $(grep "^in progress" "$work/status.txt") ($(elapsed)); scontrol requeue $job"
scontrol requeue "$job"

wait_for 30 "Restarts=1" restarted "$job" 1
wait_for 300 "the requeued job finishing" ended "$job"
state=$(job_field "$job" JobState)
echo "== job $job: $state, Restarts=$(job_field "$job" Restarts), ExitCode=$(job_field "$job" ExitCode) ($(elapsed))"
[[ $state == COMPLETED ]] || fail "job $job ended $state"

log=$work/slurm/logs/slurm-$job.out
grep -q "(restart 1)" "$log" || fail "$log has no line of the restarted job"
[[ $(grep -c "^delrec job $job " "$log") == 2 ]] || fail "$log should show the job starting twice"
first_exit=$(grep -m 1 "^delrec exited with status" "$log" | awk '{print $5}' | tr -d :)
[[ $first_exit != 0 ]] || fail "the first run finished before the requeue reached it; make stage 2 longer"
[[ $first_exit == 75 ]] || fail "the first run ended with status $first_exit, not 75 (checkpoint saved, requeue me)"
resumed=$(grep -Eo "stage 2: resumed at step [0-9]+ of 200" "$log") ||
  fail "the requeued job did not resume stage 2 from the checkpoint saved at SIGTERM"
echo "== first run saved and ended with status 75; the requeued one: $resumed"
cmp "$work/direct/eval/results.json" "$work/slurm/eval/results.json" ||
  fail "eval/results.json of the requeued job differs from the uninterrupted run"
cmp "$work/direct/stage2/adapter/adapter_model.safetensors" "$work/slurm/stage2/adapter/adapter_model.safetensors" ||
  fail "the stage-2 adapter of the requeued job differs from the uninterrupted run's"
grep -q "^finished" <<<"$("$delrec" slurm status "$work/slurm")" || fail "delrec slurm status does not say finished"

echo "PASS: job $job was requeued once and matches the uninterrupted run ($(elapsed))"
test_passed=1
