#!/usr/bin/env bash
# A throw-away multi-node Slurm cluster on this one machine, for tests that need jobs spanning several nodes
# (multi-node MPI, requeue of a multi-node job). Each node is a Linux network namespace plus a UTS namespace, so
# it has its own IP address and hostname; the nodes share the machine's file system, CPUs and memory.
#
#   tests/slurm/multinode_cluster.sh start DIR [NODES]   NODES (default 2) nodes dnode1..dnodeNODES: writes
#                                                        DIR/slurm.conf and a munge key, builds the network,
#                                                        starts munged, slurmctld and one slurmd per node, and
#                                                        waits until every node is idle
#   tests/slurm/multinode_cluster.sh stop DIR            stops and removes everything started from DIR
#
# Afterwards `source DIR/env` (or `export SLURM_CONF=DIR/slurm.conf`; DIR/env adds the Open MPI settings).
#
# Network: a private bridge in the machine's namespace with 10.213.X.254/24 (X from a hash of DIR, moved on when
# taken), where munged and slurmctld run; node i is the network namespace <tag>-dnode<i> with eth0 = 10.213.X.i,
# one end of a veth pair whose other end sits on the bridge. slurmd runs in that namespace, in a new UTS namespace
# with hostname dnode<i>, and in a new mount namespace where DIR/hosts and DIR/resolv.conf are bind-mounted on
# /etc/hosts and /etc/resolv.conf: jobs resolve the node names (the machine's DNS server is unreachable from a node,
# so a lookup of a node name would wait for DNS timeouts, 20 s for `getent hosts dnode2`), and the machine's files
# stay as they are. Slurm needs no names (NodeAddr), nor does Open MPI (addresses travel in PMIx / its URIs).
#
# Every file is in DIR, except what the kernel keeps: the bridge <tag>, veths <tag>v<i> and the namespaces
# <tag>-dnode<i> (in /run/netns), <tag> = dlr + 6 hex digits of a hash of DIR. `stop` removes exactly those and the
# processes the script started (by their pid files) and everything still running inside the nodes' namespaces
# (slurmstepd and job processes, all descendants of the slurmd started there); it also cleans up after a failed
# start and does nothing the second time. Needs root, Debian's slurm-wlm and munge (.ci/install), iproute2 and
# util-linux (unshare); exits 77 when they or namespaces are not available, so that ctest reports a skip.
#
# Slurm: as in slurm_cluster.sh (linuxproc, task/none, cons_tres, no accounting, munge socket in DIR), plus
# preemption: jobs in partition `urgent` requeue jobs of the default partition `debug` (PreemptMode=REQUEUE).
set -euo pipefail

usage() {
  echo "usage: $0 start DIR [NODES] | stop DIR" >&2
  exit 2
}
(($# == 2)) || [[ $# == 3 && $1 == start ]] || usage
action=$1
dir=$(realpath -m "$2")
nodes=${3:-2}
[[ $nodes =~ ^[1-9][0-9]?$ ]] || usage  # 1..99 keeps interface names within 15 characters

# The names outside DIR carry a hash of DIR, so that clusters in different DIRs do not collide, and `stop` finds
# them again even when a failed start wrote no state.
hash=$(cksum <<<"$dir" | cut -d' ' -f1)
tag=dlr$(printf '%06x' $((hash % 16777216)))
netns_of() { echo "$tag-dnode$1"; }

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=cluster_common.sh
source "$here/cluster_common.sh"

stop() {
  local f ns pid link
  # The nodes first: slurmd (it may still run job steps), then whatever is left in the node's namespace:
  # slurmstepd and job processes outlive slurmd, and a namespace lives on while a process is in it.
  for f in "$dir"/slurmd.*.pid; do
    [[ -e $f ]] && stop_pidfile "$f"
  done
  for ns in $(ip netns list 2>/dev/null | awk -v p="$tag-dnode" 'index($1, p) == 1 {print $1}'); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true  # takes the veth pair with it
  done
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munged.pid"
  # A veth left by a start that failed before moving its peer into a namespace, then the bridge.
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
    if [[ $link == "$tag"v* || $link == "$tag" ]]; then ip link del "$link" 2>/dev/null || true; fi
  done
}

start() {
  local missing=() exe
  for exe in munged slurmctld slurmd sinfo ip unshare nsenter; do
    command -v "$exe" >/dev/null || [[ -x /usr/sbin/$exe ]] || missing+=("$exe")
  done
  ((${#missing[@]} == 0)) || skip "${missing[*]} not installed (apt-get install slurm-wlm munge iproute2)"
  (($(id -u) == 0)) || skip "the multi-node Slurm cluster must be started as root (namespaces, slurmd)"
  export PATH=$PATH:/usr/sbin
  stop  # a previous cluster, or the remains of a failed start, in DIR
  ip netns add "$tag-probe" 2>/dev/null || skip "cannot create network namespaces (ip netns add)"
  ip netns del "$tag-probe"
  unshare --uts true 2>/dev/null || skip "cannot create UTS namespaces (unshare --uts)"
  ip link add "$tag" type bridge 2>/dev/null || skip "cannot create a bridge (ip link add type bridge)"
  # From here on a failure leaves parts behind: take them down again.
  trap 'echo "start failed; cleaning up" >&2; stop' ERR

  # The subnet: from the hash, the next one on if this machine already has an address or route in it.
  local x=$((1 + hash % 250)) i used
  used=$(ip -4 -o addr show; ip -4 route show)
  for _ in $(seq 250); do
    grep -q "10\.213\.$x\." <<<"$used" || break
    x=$((x % 250 + 1))
  done
  local net=10.213.$x
  ip addr add "$net.254/24" dev "$tag"
  ip link set "$tag" up
  for ((i = 1; i <= nodes; i++)); do
    ip netns add "$(netns_of "$i")"
    # The node's end is created inside the namespace, so that it can be named eth0 (the machine has one).
    ip link add "${tag}v$i" type veth peer name eth0 netns "$(netns_of "$i")"
    ip link set "${tag}v$i" master "$tag" up
    ip -n "$(netns_of "$i")" addr add "$net.$i/24" dev eth0
    ip -n "$(netns_of "$i")" link set lo up
    ip -n "$(netns_of "$i")" link set eth0 up
    ip -n "$(netns_of "$i")" route add default via "$net.254"
  done

  start_munge

  local host cpus mem ctld_port slurmd_port node_lines="" names
  host=$(hostname -s)  # slurmctld runs only where SlurmctldHost names this host
  cpus=$(nproc)        # every node advertises the machine's CPUs: the nodes oversubscribe them
  mem=$(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 / nodes))  # MiB; half the machine, shared
  ctld_port=$(free_port)
  slurmd_port=$(free_port)  # the same on every node: each has its own network namespace
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
  printf '127.0.0.1 localhost\n%s %s\n' "$net.254" "$host" >"$dir/hosts"
  # No DNS server is reachable from a node: asking the node's own port 53 fails at once instead of timing out.
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
  for ((i = 1; i <= nodes; i++)); do
    node_lines+="NodeName=dnode$i NodeAddr=$net.$i CPUs=$cpus RealMemory=$mem State=UNKNOWN"$'\n'
    echo "$net.$i dnode$i" >>"$dir/hosts"
    mkdir "$dir/spool/dnode$i"  # slurmd does not create its SlurmdSpoolDir
  done
  names=dnode[1-$nodes]
  ((nodes > 1)) || names=dnode1
  cat >"$dir/slurm.conf" <<EOF
# Multi-node test cluster written by tests/slurm/multinode_cluster.sh; nodes are network namespaces.
SlurmctldHost=$host($net.254)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
# slurmd replaces %n with its node name (here: the hostname of its UTS namespace).
SlurmdSpoolDir=$dir/spool/%n
SlurmdPidFile=$dir/slurmd.%n.pid
SlurmdLogFile=$dir/slurmd.%n.log
# The nodes share /tmp, the default TmpFS, where mpi/pmix makes the same directory for a step on every node.
TmpFS=$dir/spool/%n
$(common_slurm_conf)
# A job in a partition of higher PriorityTier preempts (requeues) jobs in lower ones.
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
${node_lines}PartitionName=debug Nodes=$names Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=$names MaxTime=INFINITE State=UP PriorityTier=2
EOF
  # Open MPI across nodes: TCP over the nodes' network (the only one besides lo in a node anyway).
  cat >"$dir/env" <<EOF
export SLURM_CONF=$dir/slurm.conf
export OMPI_MCA_btl_tcp_if_include=$net.0/24 OMPI_MCA_oob_tcp_if_include=$net.0/24
EOF
  export SLURM_CONF=$dir/slurm.conf
  start_controller
  for ((i = 1; i <= nodes; i++)); do
    # slurmd daemonizes and stays in the three namespaces; its jobs inherit them. nsenter rather than
    # `ip netns exec`: that one mounts a fresh /sys, without the cgroup file systems slurmd insists on.
    # unshare --mount makes the new mount namespace private: the bind mount stays in it.
    # shellcheck disable=SC2016  # expanded by the inner sh
    nsenter --net="/run/netns/$(netns_of "$i")" unshare --uts --mount sh -c \
      'mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/resolv.conf" /etc/resolv.conf && hostname "$2" &&
       exec slurmd -f "$3"' sh "$dir" "dnode$i" "$SLURM_CONF"
  done
  trap - ERR

  if watch="slurmctld slurmd" wait_until_up nodes_idle; then
    echo "$nodes-node Slurm cluster up ($net.0/24): export SLURM_CONF=$SLURM_CONF  (or: source $dir/env)"
    return 0
  fi
  echo "the Slurm cluster in $dir did not come up; logs:" >&2
  tail -n 20 "$dir"/*.log >&2 || true
  stop
  exit 1
}

nodes_idle() { (($(timeout 5 sinfo -h -N -p debug -o '%t' 2>/dev/null | grep -c '^idle') == nodes)); }

case $action in
start) start ;;
stop) stop ;;
*) usage ;;
esac
