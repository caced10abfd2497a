# shellcheck shell=bash
# What the Slurm job tests (requeue_test.sh, multinode_test.sh) share: sourced by them after they set `here`
# (this folder), `repo` and DELREC_BINARY (their first argument; empty: build/launcher/delrec).
#
#   start_test_cluster NAME CLUSTER_SCRIPT [CLUSTER ARGS...]
#       makes the work directory $work (kept after a failure, or with KEEP=1), starts the cluster in
#       $work/cluster with CLUSTER_SCRIPT, exits 77 (skipped) when that script does, and stops the cluster when
#       the test exits; sets delrec, python, work, cluster and SLURM_CONF.
#   fail MESSAGE                 prints MESSAGE and the tails of the jobs' logs and slurmctld.log, exits 1
#   elapsed                      seconds since start_test_cluster
#   job_field JOB FIELD          one field of `scontrol show job JOB` (JobState, Restarts, ExitCode...)
#   ended JOB                    whether JOB is in a final state
#   restarted JOB N              whether Slurm restarted JOB N times (Restarts=N)
#   wait_for SECONDS WHAT CMD... polls CMD every 0.25 s; fails naming WHAT after SECONDS

start_test_cluster() {
  local name=$1 script=$2 rc
  shift 2
  delrec=$(realpath "${DELREC_BINARY:-$repo/build/launcher/delrec}")
  [[ -x $delrec ]] || { echo "FAIL: $delrec is not an executable (build the delrec target)" >&2; exit 1; }
  python=${DELREC_PYTHON:-python3}
  work=$(mktemp -d "${TMPDIR:-/tmp}/delrec-slurm-$name.XXXXXX")
  cluster=$work/cluster
  cluster_script=$script
  test_passed=0
  started=$SECONDS
  set +e
  "$script" start "$cluster" "$@"
  rc=$?
  set -e
  if ((rc == 77)); then
    rm -rf "$work"
    exit 77
  fi
  ((rc == 0)) || { finish_test; exit "$rc"; }
  trap finish_test EXIT
  export SLURM_CONF=$cluster/slurm.conf
}

# The test sets test_passed=1 as its last step.
finish_test() {
  "$cluster_script" stop "$cluster" || true
  if ((test_passed)) && [[ ${KEEP:-0} != 1 ]]; then
    rm -rf "$work"
  else
    echo "work directory kept: $work (cluster logs in $cluster)" >&2
  fi
}

fail() {
  local log
  echo "FAIL: $*" >&2
  for log in "$work"/*/logs/*.out "$cluster"/slurmctld.log; do
    [[ -f $log ]] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }
  done
  exit 1
}

elapsed() { echo "$((SECONDS - started)) s"; }

job_field() { scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

ended() { [[ $(job_field "$1" JobState) =~ ^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY)$ ]]; }

restarted() { [[ $(job_field "$1" Restarts) == "$2" ]]; }

wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq $((limit * 4))); do
    "$@" && return 0
    sleep 0.25
  done
  fail "$what did not happen within $limit s"
}
