# shellcheck shell=bash
# What the throw-away test clusters (slurm_cluster.sh: one node; multinode_cluster.sh: nodes in network
# namespaces) share: sourced by both, after they set `dir`, the cluster's directory. Every file is in it.

# SIGTERM, up to 5 s to exit, then SIGKILL; by the pid in pid file $1, which is removed. Only processes the
# cluster scripts started have pid files in DIR.
stop_pidfile() {
  local pid=""
  [[ -s $1 ]] && pid=$(cat "$1")
  if [[ -n $pid ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

# A port nothing listens on (bash's /dev/tcp connects only when something does), in 20000 up to the start of the
# kernel's ephemeral range (32768 on Linux by default): a port in that range can be taken by any outgoing
# connection between this check and the daemon's bind.
free_port() {
  local port low=32768 high
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  ((low > 21000)) || low=32768
  while true; do
    port=$((20000 + RANDOM % (low - 20000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

# Waits until the command "$@" succeeds (it bounds its own Slurm commands with `timeout`: they block for seconds
# while no controller answers), up to 60 s. Returns 0 when up, 1 at the deadline, 2 as soon as none of the
# daemons named in $watch (e.g. "slurmctld slurmd") started with DIR/slurm.conf is left running.
wait_until_up() {
  local deadline=$((SECONDS + 60)) daemon
  while ((SECONDS < deadline)); do
    "$@" && return 0
    for daemon in $watch; do
      pgrep -f -- "$daemon -f $dir/slurm.conf" >/dev/null || return 2
    done
    sleep 0.5
  done
  return 1
}

controller_up() { timeout 5 scontrol ping 2>/dev/null | grep -q UP; }

# slurmctld on DIR/slurm.conf, once it answers. Its port can be taken between free_port and its bind (by any
# program): then it exits with "Address already in use", and it is started again on another port, up to 3 times.
start_controller() {
  local attempt rc
  for attempt in 1 2 3; do
    rm -f "$dir/slurmctld.log"
    slurmctld -f "$dir/slurm.conf"
    rc=0
    watch=slurmctld wait_until_up controller_up || rc=$?
    ((rc == 0)) && return 0
    ((rc == 2)) && grep -q "Address already in use" "$dir/slurmctld.log" 2>/dev/null || break
    echo "slurmctld's port was taken meanwhile; again on another" >&2
    sed -i "s/^SlurmctldPort=.*/SlurmctldPort=$(free_port)/" "$dir/slurm.conf"
  done
  echo "slurmctld in $dir did not come up; its log:" >&2
  tail -n 20 "$dir/slurmctld.log" >&2 || true
  return 1
}

# Fresh state, spool and munge folders in DIR, and munged with a fresh key and its socket in DIR (a path socket
# also reaches across network namespaces). slurm.conf's AuthInfo points every Slurm program at this socket.
start_munge() {
  rm -rf "$dir"/{munge,state,spool} "$dir"/*.log
  mkdir -p "$dir"/{munge,state,spool}
  chmod 700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"
}

# The slurm.conf lines both clusters share: root daemons, munge through DIR's socket, state and controller files
# in DIR, no cgroups (linuxproc, task/none), cons_tres, no accounting database (`scontrol show job` reports
# Restarts=), requeue allowed, a scheduler that looks every 2 s.
common_slurm_conf() {
  cat <<CONF
ClusterName=delrectest
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# cred_expire also delays a requeued job's restart (default 120 s); short here so the tests run quickly.
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmctldPidFile=$dir/slurmctld.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
# A job step gets KillWait seconds between SIGTERM and SIGKILL when it is requeued, preempted or cancelled.
KillWait=30
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
CONF
}
