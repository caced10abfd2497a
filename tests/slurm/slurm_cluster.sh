#!/usr/bin/env bash
# A throw-away one-node Slurm cluster on this machine, for the integration tests in this folder.
#
#   tests/slurm/slurm_cluster.sh start DIR   writes DIR/slurm.conf and a munge key, starts munged, slurmctld and
#                                            slurmd (as root) with every state, log, pid and socket file in DIR,
#                                            and waits until the node is idle
#   tests/slurm/slurm_cluster.sh stop DIR    stops the three daemons started from DIR
#
# Afterwards point the Slurm commands at it with `export SLURM_CONF=DIR/slurm.conf`. Nothing outside DIR is
# written, so it runs beside a real Slurm installation without touching it. Needs Debian's slurm-wlm and munge
# (.ci/install) and root (slurmd starts jobs as their user). Exit status 77 when they are missing, so that ctest
# reports the test as skipped.
#
# The node: the machine's CPUs, ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroups needed),
# select/cons_tres, no accounting database (`scontrol show job` reports Restarts=).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
(($# == 2)) || usage
action=$1
dir=$(realpath -m "$2")

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_common.sh
source "$here/cluster_common.sh"

# slurmd first (it may still run job steps), then the controller, then munge. Each by the pid it wrote.
stop() {
  local name
  for name in slurmd slurmctld munged; do stop_pidfile "$dir/$name.pid"; done
}

start() {
  local missing=()
  for exe in munged slurmctld slurmd sbatch scontrol; do
    command -v "$exe" >/dev/null || [[ -x /usr/sbin/$exe ]] || missing+=("$exe")
  done
  if ((${#missing[@]})); then
    echo "SKIP: ${missing[*]} not installed (apt-get install slurm-wlm munge, or run .ci/install)" >&2
    exit 77
  fi
  if (($(id -u) != 0)); then
    echo "SKIP: the one-node Slurm cluster must be started as root (slurmd starts jobs as their owner)" >&2
    exit 77
  fi
  export PATH=$PATH:/usr/sbin
  stop  # a previous cluster left in DIR; its jobs are forgotten
  start_munge

  local host cpus mem ctld_port slurmd_port
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2))  # MiB; half the machine
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
  cat >"$dir/slurm.conf" <<EOF
# One-node test cluster written by tests/slurm/slurm_cluster.sh.
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmdSpoolDir=$dir/spool
SlurmdPidFile=$dir/slurmd.pid
SlurmdLogFile=$dir/slurmd.log
$(common_slurm_conf)
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$dir/slurm.conf
  if start_controller; then
    slurmd -f "$SLURM_CONF"
    if watch="slurmctld slurmd" wait_until_up node_idle; then
      echo "one-node Slurm cluster up: export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
  fi
  echo "the Slurm cluster in $dir did not come up; logs:" >&2
  tail -n 20 "$dir"/*.log >&2 || true
  stop
  exit 1
}

node_idle() { timeout 5 sinfo -h -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; }

case $action in
start) start ;;
stop) stop ;;
*) usage ;;
esac
