#!/usr/bin/env bash
# A pretend cluster on one machine: N network namespaces ("nodes") on a private TCP network,
# for running Open MPI across real TCP connections without ssh or a second machine.
#
#   launch/netns/cluster.sh up DIR [NODES]      create node0..node{N-1} (default 2), state in DIR
#   launch/netns/cluster.sh mpirun DIR ARGS…    run `mpirun ARGS…` on node0 across the nodes
#   launch/netns/cluster.sh exec DIR NODE CMD…  run a command on one node
#   launch/netns/cluster.sh down DIR            kill what runs in the nodes, delete them and DIR
#
# Layout: a "switch" namespace holds a Linux bridge; each node namespace has one veth interface
# eth0 plugged into it with address $SUBNET.(i+1)/24 (default subnet 10.77.0). The addresses
# exist only inside the namespaces: nothing is added to the machine's own network. Each node
# gets its own hostname (a UTS namespace), so Open MPI sees N distinct hosts and uses no shared
# memory between them. Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN), iproute2 and unshare.
#
# DIR receives: hostfile (`nodeI slots=S`), netns.map (`nodeI NAMESPACE`, read by agent.sh),
# hosts (`ADDRESS nodeI`), subnet (the CIDR) and prefix (the namespace name prefix).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "cluster.sh: $*" >&2; exit 1; }

# Runs "$@" inside namespace $1 with hostname $2.
in_node() {
  local namespace=$1 name=$2
  shift 2
  ip netns exec "$namespace" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$name" "$@"
}

namespace_of() {  # DIR NODE
  awk -v h="$2" '$1 == h { print $2; exit }' "$1/netns.map"
}

cmd_up() {
  local dir=$1 nodes=${2:-2}
  local subnet=${SWIFTLET_NETNS_SUBNET:-10.77.0}
  local slots=${SWIFTLET_NETNS_SLOTS:-1}
  [[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 250 ] \
    || die "NODES must be between 1 and 250, got '$nodes'"
  # Namespace names are machine-wide: a per-invocation prefix lets concurrent clusters coexist.
  local prefix=${SWIFTLET_NETNS_PREFIX:-swl$$}
  mkdir -p "$dir"
  : >"$dir/hostfile"
  : >"$dir/netns.map"
  : >"$dir/hosts"
  echo "$prefix" >"$dir/prefix"
  echo "$subnet.0/24" >"$dir/subnet"

  local switch=$prefix-switch
  ip netns add "$switch"
  echo "switch $switch" >>"$dir/netns.map"  # recorded first so that `down` removes it
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  local i
  for ((i = 0; i < nodes; i++)); do
    local name=node$i namespace=$prefix-node$i
    ip netns add "$namespace"
    echo "$name $namespace" >>"$dir/netns.map"
    # Both ends are created in the root namespace under unique names, then moved away.
    ip link add "${prefix}a$i" type veth peer name "${prefix}b$i"
    ip link set "${prefix}a$i" netns "$namespace"
    ip link set "${prefix}b$i" netns "$switch"
    ip -n "$namespace" link set "${prefix}a$i" name eth0
    ip -n "$namespace" addr add "$subnet.$((i + 1))/24" dev eth0
    ip -n "$namespace" link set eth0 up
    ip -n "$namespace" link set lo up
    ip -n "$switch" link set "${prefix}b$i" master br0
    ip -n "$switch" link set "${prefix}b$i" up
    echo "$name slots=$slots" >>"$dir/hostfile"
    echo "$subnet.$((i + 1)) $name" >>"$dir/hosts"
  done
}

cmd_down() {
  local dir=$1
  [ -f "$dir/netns.map" ] || return 0
  local name namespace pids
  while read -r name namespace; do
    [ -n "$namespace" ] || continue
    # Whatever still runs inside (orphaned daemons of a failed run) was started by this cluster.
    pids=$(ip netns pids "$namespace" 2>/dev/null || true)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
  done <"$dir/netns.map"
  # A veth pair left in the root namespace by an interrupted `up` (deleting one end frees both).
  local prefix link
  prefix=$(cat "$dir/prefix" 2>/dev/null || true)
  if [ -n "$prefix" ]; then
    for link in $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
      [[ $link =~ ^${prefix}[ab][0-9]+$ ]] && ip link del "$link" 2>/dev/null || true
    done
  fi
  rm -rf "$dir"
}

cmd_exec() {
  local dir=$1 node=$2
  shift 2
  local namespace
  namespace=$(namespace_of "$dir" "$node")
  [ -n "$namespace" ] || die "no node '$node' in $dir/netns.map"
  in_node "$namespace" "$node" "$@"
}

# mpirun on node0 (like mpirun on the first node of an allocation) reaching the others through
# agent.sh; TCP only, and only on the cluster's subnet, for both MPI traffic (btl) and Open MPI's
# own wire-up (oob).
cmd_mpirun() {
  local dir=$1
  shift
  local subnet namespace
  subnet=$(cat "$dir/subnet")
  namespace=$(namespace_of "$dir" node0)
  [ -n "$namespace" ] || die "no node0 in $dir/netns.map"
  export SWIFTLET_NETNS_MAP=$dir/netns.map
  if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  in_node "$namespace" node0 mpirun --hostfile "$dir/hostfile" \
    --mca plm_rsh_agent "$here/agent.sh" \
    --mca btl tcp,self --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet" \
    "$@"
}

[ $# -ge 2 ] || { sed -n '5,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
command=$1
shift
case $command in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  exec) cmd_exec "$@" ;;
  mpirun) cmd_mpirun "$@" ;;
  *) die "unknown command '$command' (up, mpirun, exec, down)" ;;
esac
