#!/usr/bin/env bash
# Multi-node jobs on a real Slurm whose two nodes are network namespaces of this machine (multinode_cluster.sh):
# every job goes through `delrec slurm submit`, with 2 nodes x 2 CPU ranks, TP 2 inside each node and DP 2 across
# them, Open MPI talking TCP between the nodes.
#
#  1. the reference: the same recipe on 4 ranks of one node (`delrec launch -n 4 --tp 2`, outside Slurm);
#  2. a layout whose TP groups would span the nodes is refused: by `delrec slurm submit` when the ranks per node
#     cannot hold a TP group, and by the job itself, naming the ranks and their nodes, when the launcher placed the
#     ranks round-robin (srun --distribution=cyclic) - before any weight is read (no teacher, no stage output);
#  3. srun: the job, `scontrol requeue`d while stage 2 trains, saves and exits 75 on both nodes, comes back on both
#     and resumes; its outputs are the reference's, byte for byte, and its losses equal the reference's (1e-5);
#     `delrec slurm status` shows which node each rank ran on; the environment reached the ranks of both nodes;
#  4. mpirun: the ranks of one node killed with SIGKILL mid-stage: the job ends (no rank left waiting) within
#     60 s; a resubmission resumes from the last complete checkpoint and ends with the reference's outputs; the
#     environment reached the ranks of both nodes (mpirun -x);
#  5. TCP is the only transport between the nodes: the same job with Open MPI's TCP transport left out cannot
#     start its ranks' communication (no shared memory reaches across nodes), with srun and with mpirun.
#
#   tests/slurm/multinode_test.sh [DELREC_BINARY]      (default: build/launcher/delrec)
#
# Needs root, network namespaces, Debian's slurm-wlm and munge; exits 77 (skipped, with the reason) without them.
# KEEP=1 keeps the work directory after a success; it is always kept after a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
DELREC_BINARY=${1:-}
# shellcheck source=job_test_common.sh
source "$here/job_test_common.sh"
start_test_cluster multinode "$here/multinode_cluster.sh" 2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The nodes' network, as a site would name its interconnect (docs/slurm.md): Open MPI's TCP traffic between the
# ranks and its out-of-band channel use that network only. It reaches the ranks through slurm.env.
net=$(sed -n 's/.*btl_tcp_if_include=\([^ ]*\).*/\1/p' "$cluster/env")
[[ -n $net ]] || fail "no network in $cluster/env"

# The quickstart shrunk to about a minute on 4 CPU ranks: stage 2 logs every step and checkpoints every 4, so
# that a job is caught mid-stage with a checkpoint behind it.
cp "$repo/recipes/quickstart.yaml" "$work/recipe.yaml"
overrides=(data.synthetic.users=60 data.num_candidates=10 teacher.epochs=2 teacher.max_len=20
           stage1.train.steps=4 stage1.train.batch_size=4 stage1.train.micro_batch_size=2
           stage1.train.eval_examples=2 stage1.train.log_every=1
           stage2.train.steps=40 stage2.train.batch_size=4 stage2.train.micro_batch_size=2 stage2.train.log_every=1
           stage2.train.eval_every=1000 stage2.train.eval_examples=2 eval.ablations=none eval.max_users=8
           checkpoint.every_steps=4 backbone.tp=2 logging.report=false)
slurm_keys=(slurm.nodes=2 slurm.gpus_per_node=0 slurm.ranks_per_node=2 slurm.cpus_per_task=1 slurm.time=00:15:00
            "slurm.env=[OMPI_MCA_btl_tcp_if_include=$net, OMPI_MCA_oob_tcp_if_include=$net]")

# The outputs that must be the reference's, byte for byte, and the losses that must equal its (1e-5).
same_as_reference() {  # same_as_reference RUN_DIR
  local f
  for f in teacher/sasrec.pt stage1/soft_prompt.safetensors stage2/adapter/adapter_model.safetensors \
    eval/results.json eval/results.md; do
    cmp -s "$work/single/$f" "$1/$f" || fail "$1/$f differs from the 4-rank single-node run's"
  done
  "$python" - "$work/single" "$1" <<'EOF' || fail "$1: losses differ from the single-node run's"
import json, pathlib, sys
ref, got = (pathlib.Path(p) for p in sys.argv[1:3])
for stage in ("stage1", "stage2"):
    def losses(run):
        out = {}
        for line in (run / stage / "metrics.jsonl").read_text().splitlines():
            j = json.loads(line)
            out[j["step"]] = {k: v for k, v in j.items() if k.startswith("loss")}
        return out
    a, b = losses(ref), losses(got)
    assert a.keys() == b.keys(), f"{stage}: steps {sorted(b)} vs {sorted(a)}"
    for step in a:
        for k in a[step]:
            assert abs(a[step][k] - b[step][k]) <= 1e-5, f"{stage} step {step} {k}: {b[step][k]} vs {a[step][k]}"
    print(f"{stage}: {len(a)} steps, losses within 1e-5")
EOF
}

# The last start's placement record, through `delrec slurm status --json`: job JOB's ranks 0,1 on dnode1 and 2,3
# on dnode2, local ranks 0,1,0,1, one thread each: OMP_NUM_THREADS=1 (slurm.cpus_per_task; torch's default here
# is the 2 cores) reached the ranks of both nodes.
placed_by_node() {  # placed_by_node RUN_DIR JOB
  "$delrec" slurm status "$1" --json >"$work/status.json" || fail "delrec slurm status --json $1 failed"
  "$python" - "$work/status.json" "$2" <<'EOF' || fail "the placement record of job $2 is wrong"
import json, sys
p = json.load(open(sys.argv[1]))["placement"]
assert p["slurm_job_id"] == sys.argv[2], p
ranks = p["ranks"]
assert [r["node"] for r in ranks] == ["dnode1", "dnode1", "dnode2", "dnode2"], ranks
assert [r["local_rank"] for r in ranks] == [0, 1, 0, 1], ranks
assert all(r["threads"] == 1 for r in ranks), ranks
EOF
}

submit() {  # submit RUN_DIR [more overrides...]: prints the job id
  local run=$1 out
  shift
  out=$("$delrec" slurm submit recipe.yaml "${overrides[@]}" "${slurm_keys[@]}" "run.out_dir=$run" "$@" \
    2>"$work/submit.log") || { cat "$work/submit.log" >&2; fail "delrec slurm submit failed"; }
  [[ $out =~ ^[0-9]+$ ]] || fail "sbatch printed '$out', not a job id"
  echo "$out"
}
logged_steps() { [[ -s $1 ]] && (($(wc -l <"$1") >= $2)); }
cd "$work"

echo "== 1. reference: 4 ranks on one node, tp 2 x dp 2 ($(elapsed))"
OMP_NUM_THREADS=1 "$delrec" launch -n 4 --tp 2 -- run recipe.yaml "${overrides[@]}" "run.out_dir=$work/single" \
  >"$work/single.log" 2>&1 || { tail -n 30 "$work/single.log" >&2; fail "the single-node run failed"; }

echo "== 2. layouts whose TP groups would span the nodes are refused ($(elapsed))"
if "$delrec" slurm submit recipe.yaml "${overrides[@]}" "${slurm_keys[@]}" slurm.ranks_per_node=1 \
  run.out_dir=spans >"$work/refused.log" 2>&1; then
  fail "delrec slurm submit accepted tp 2 on 2 nodes x 1 rank"
fi
grep -q "spans 2 nodes: ranks 0 on node 1; ranks 1 on node 2" "$work/refused.log" ||
  { cat "$work/refused.log" >&2; fail "the refusal does not name the ranks and nodes"; }
[[ -z $(squeue -h) ]] || fail "a refused submission left a job: $(squeue -h)"
job=$(submit cyclic "slurm.sbatch_options=[--distribution=cyclic]")
wait_for 60 "the cyclic job ending" ended "$job"
[[ $(job_field "$job" JobState) == FAILED ]] || fail "the cyclic job ended $(job_field "$job" JobState), not FAILED"
grep -q "tensor-parallel group 0 (tp 2) spans 2 nodes: ranks 0 on dnode1; ranks 1 on dnode2" \
  "$work/cyclic/logs/slurm-$job.out" || fail "the cyclic job's log does not name the ranks and nodes"
for out in teacher stage1 stage2; do
  [[ ! -e $work/cyclic/$out ]] || fail "the refused job wrote $work/cyclic/$out (it must stop before any weight)"
done
status=$("$delrec" slurm status "$work/cyclic") || fail "delrec slurm status failed on the refused job's run"
grep -q "ranks 0,2 on dnode1; ranks 1,3 on dnode2" <<<"$status" ||
  { echo "$status" >&2; fail "delrec slurm status does not show the cyclic placement"; }
echo "refused at submit and, placed cyclically, in the job ($(elapsed))"

echo "== 3. srun: requeued mid-stage-2 on both nodes ($(elapsed))"
job=$(submit srun)
wait_for 240 "stage 2 of job $job logging its 6th step" logged_steps "$work/srun/stage2/metrics.jsonl" 6
scontrol requeue "$job"
wait_for 30 "Restarts=1 of job $job" restarted "$job" 1
wait_for 300 "the requeued job $job ending" ended "$job"
[[ $(job_field "$job" JobState) == COMPLETED ]] || fail "job $job ended $(job_field "$job" JobState)"
log=$work/srun/logs/slurm-$job.out
first_exit=$(grep -m 1 "^delrec exited with status" "$log" | awk '{print $5}' | tr -d :)
[[ $first_exit == 75 ]] || fail "the first start of job $job ended with status $first_exit, not 75"
grep -Eq "stage 2: resumed at step [0-9]+ of 40" "$log" || fail "the requeued job did not resume stage 2"
same_as_reference "$work/srun"
status=$("$delrec" slurm status "$work/srun")
grep -q "^ranks (last start .*job $job, restart 1, tp 2): ranks 0,1 on dnode1; ranks 2,3 on dnode2$" <<<"$status" ||
  { echo "$status" >&2; fail "delrec slurm status does not show ranks 0,1 on dnode1 and 2,3 on dnode2"; }
placed_by_node "$work/srun" "$job"
echo "job $job: requeued, resumed on both nodes, outputs equal the single-node run's ($(elapsed))"

echo "== 4. mpirun: the ranks of one node killed with SIGKILL ($(elapsed))"
job=$(submit mpirun slurm.launcher=mpirun)
wait_for 240 "stage 2 of job $job logging its 6th step" logged_steps "$work/mpirun/stage2/metrics.jsonl" 6
# The ranks on dnode2, by the process ids the job recorded: they live in that node's namespaces.
pids=$("$python" -c '
import json, sys
p = json.load(open(sys.argv[1]))["starts"][-1]
print(" ".join(str(r["pid"]) for r in p["ranks"] if r["node"] == "dnode2"))' "$work/mpirun/logs/placement.json")
node2=$(ip netns list | awk '{print $1}' | grep -- '-dnode2$')
for pid in $pids; do
  grep -qx "$pid" <<<"$(ip netns pids "$node2")" || fail "rank pid $pid is not a process of $node2"
done
killed_at=$SECONDS
kill -KILL $pids
wait_for 60 "job $job ending after its dnode2 ranks were killed" ended "$job"
echo "job $job ended $(job_field "$job" JobState) $((SECONDS - killed_at)) s after the kill"
[[ $(job_field "$job" JobState) != COMPLETED ]] || fail "job $job completed although ranks were killed"
[[ -z $(pgrep -f "run.out_dir=$work/mpirun" || true) ]] || fail "ranks of job $job are still running"
job=$(submit mpirun slurm.launcher=mpirun)
wait_for 300 "the resubmitted job $job ending" ended "$job"
[[ $(job_field "$job" JobState) == COMPLETED ]] || fail "the resubmitted job $job ended $(job_field "$job" JobState)"
grep -Eq "stage 2: resumed at step [0-9]+ of 40" "$work/mpirun/logs/slurm-$job.out" ||
  fail "the resubmitted job did not resume stage 2 from its last checkpoint"
same_as_reference "$work/mpirun"
placed_by_node "$work/mpirun" "$job"  # mpirun -x carried OMP_NUM_THREADS to dnode2
echo "job $job: resumed after the kill, outputs equal the single-node run's ($(elapsed))"

echo "== 5. no transport but TCP reaches across the nodes ($(elapsed))"
for launcher in srun mpirun; do
  job=$(submit "notcp-$launcher" "slurm.launcher=$launcher" \
    "slurm.env=['OMPI_MCA_btl=self,vader', 'OMPI_MCA_oob_tcp_if_include=$net']")
  wait_for 60 "the $launcher job without TCP ending" ended "$job"
  [[ $(job_field "$job" JobState) == FAILED ]] || fail "job $job without TCP ended $(job_field "$job" JobState)"
  grep -q "unable to reach each other" "$work/notcp-$launcher/logs/slurm-$job.out" ||
    fail "$launcher job $job without TCP did not fail for want of a transport between the nodes"
done
echo "PASS: 2-node jobs through srun and mpirun match the single-node run ($(elapsed))"
test_passed=1
