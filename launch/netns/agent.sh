#!/bin/sh
# Open MPI remote launch agent that stands in for ssh on a netns "cluster" (launch/netns/cluster.sh).
#
#   mpirun --mca plm_rsh_agent /path/to/agent.sh --hostfile HOSTFILE …
#
# Open MPI starts its daemon on each remote host as `AGENT HOST COMMAND…`, exactly as it would
# run `ssh HOST COMMAND…`. This agent looks HOST up in $SWIFTLET_NETNS_MAP (lines
# `HOST NAMESPACE`), enters that network namespace with its own hostname (a UTS namespace, so
# every "node" reports a different name, as real nodes do) and runs COMMAND with /bin/sh, the
# way sshd hands it to the login shell. Like ssh it passes no environment beyond a minimal one:
# whatever the ranks need must travel on mpirun's command line (-x, --mca).
set -eu

map=${SWIFTLET_NETNS_MAP:?agent.sh: SWIFTLET_NETNS_MAP (the netns.map of the cluster) is not set}
# ssh-style options before the host (plm_rsh_args) are accepted and ignored.
while [ $# -gt 0 ]; do
  case $1 in
    -*) shift ;;
    *) break ;;
  esac
done
host=${1:?agent.sh: no host given}
shift
namespace=$(awk -v h="$host" '$1 == h { print $2; exit }' "$map")
if [ -z "$namespace" ]; then
  echo "agent.sh: host '$host' is not in $map" >&2
  exit 255  # what ssh returns when it cannot reach a host
fi

exec ip netns exec "$namespace" unshare --uts \
  env -i PATH="$PATH" HOME="${HOME:-/}" LANG="${LANG:-C.UTF-8}" SWIFTLET_NETNS_MAP="$map" \
  /bin/sh -c 'hostname "$0" && exec /bin/sh -c "$1"' "$host" "$*"
