#!/usr/bin/env bash
# launch/elastic.sh losing a node: a 2-node network-namespace cluster (launch/netns/cluster.sh),
# 2 ranks per node, dp 4. Mid-run node1 drops off the network and its processes are killed; the
# supervisor finds that node1 no longer answers, relaunches on node0 alone at dp 2 (the same
# global batch) from the newest checkpoint, and the job finishes. Its per-step losses must follow
# an uninterrupted dp 4 run within 1e-4 relative, every step logged once, and both launches
# recorded in elastic.jsonl. Needs root; exits 0 with "SKIP: …" where namespaces cannot be made.
#
# Environment: SWIFTLET_BIN (default .build/release/swiftlet), STEPS (default 100).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/netns_common.sh"
export SWIFTLET_BIN=${SWIFTLET_BIN:-$repo/.build/release/swiftlet}
steps=${STEPS:-100}
require_tools

work=$(mktemp -d /tmp/swiftlet-elastic-netns.XXXXXX)
supervisor=""
cleanup() {
  [ -n "$supervisor" ] && kill "$supervisor" 2>/dev/null
  "$cluster" down "$work/cluster" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1

SWIFTLET_NETNS_SLOTS=2 "$cluster" up "$work/cluster" 2 >/dev/null 2>&1 || skip "cannot create network namespaces here"

# Mostly a learnable pattern (i·7 mod 67), a quarter random ids.
write_token_shards "$work/data" 7 "(i * 7) % 67 if rng.random() > 0.25 else rng.randrange(67)"
cat >"$work/tiny.toml" <<EOF
[model]
n_layer = 2
n_head = 4
d_model = 64
n_ctx = 32
vocab_size = 67
[data]
train = "$work/data/train_*.bin"
[train]
batch_size = 8
seq_len = 32
max_steps = $steps
lr = 1e-3
threads = 1
[checkpoint]
every = 1
keep = 2
[run]
dir = "$work/unused"
EOF

# mpirun started on node0, reaching node1 through the agent instead of ssh, TCP on the subnet.
subnet=$(cat "$work/cluster/subnet")
node0=$(awk '$1 == "node0" {print $2}' "$work/cluster/netns.map")
node1=$(awk '$1 == "node1" {print $2}' "$work/cluster/netns.map")
export SWIFTLET_NETNS_MAP=$work/cluster/netns.map
cat >"$work/mpirun-netns" <<EOF
#!/bin/sh
exec ip netns exec $node0 unshare --uts /bin/sh -c 'hostname node0 && exec "\$@"' sh \\
  mpirun --mca plm_rsh_agent $repo/launch/netns/agent.sh --mca btl tcp,self \\
  --mca btl_tcp_if_include $subnet --mca oob_tcp_if_include $subnet --mca mpi_yield_when_idle 1 "\$@"
EOF
chmod +x "$work/mpirun-netns"

# The uninterrupted reference: dp 4 in this machine's own namespace.
mpirun -np 4 --oversubscribe --bind-to none "$SWIFTLET_BIN" train --config "$work/tiny.toml" \
  --run-dir "$work/reference" >"$work/reference.log" 2>&1 || { cat "$work/reference.log"; fail "reference run failed"; }

MPIRUN=$work/mpirun-netns "$repo/launch/elastic.sh" --hostfile "$work/cluster/hostfile" --backoff 1 \
  --max-restarts 2 4 -- --config "$work/tiny.toml" --run-dir "$work/elastic" >"$work/elastic.log" 2>&1 &
supervisor=$!

progress() {
  python3 -c '
import json, sys
try:
    print(max([json.loads(l)["step"] for l in open(sys.argv[1]) if "\"train\"" in l] or [0]))
except (OSError, ValueError):
    print(0)' "$work/elastic/metrics.jsonl"
}
for _ in $(seq 1 600); do [ "$(progress)" -ge 10 ] && break; sleep 0.05; done
[ "$(progress)" -ge 10 ] || { cat "$work/elastic.log"; fail "the job made no progress"; }
# node1 is lost: off the network, and everything on it killed.
ip -n "$node1" link set eth0 down
ip netns pids "$node1" | xargs -r kill -9
echo "node1 lost at step $(progress)"

wait "$supervisor" && status=0 || status=$?
supervisor=""
grep '^elastic:' "$work/elastic.log"
[ "$status" -eq 0 ] || { cat "$work/elastic.log"; fail "the supervisor exited with $status"; }

python3 - "$work/reference/metrics.jsonl" "$work/elastic/metrics.jsonl" "$work/elastic/elastic.jsonl" "$steps" \
  "$work/elastic/report.json" <<'EOF'
import json, sys
def train(path):
    return [json.loads(l) for l in open(path) if '"train"' in l]
reference, healed = train(sys.argv[1]), train(sys.argv[2])
launches = [json.loads(l) for l in open(sys.argv[3])]
steps = int(sys.argv[4])
assert [r["step"] for r in healed] == list(range(1, steps + 1)), "every step logged once"
worst = max(abs(a["loss"] - b["loss"]) / abs(b["loss"]) for a, b in zip(healed, reference))
assert worst <= 1e-4, f"losses differ by {worst:.2e} relative"
assert len(launches) == 2, launches
first, second = launches
assert first["ranks"] == 4 and first["dp"] == 2 * second["dp"] == 4 and sorted(first["hosts"]) == ["node0", "node1"], first
assert second["ranks"] == 2 and second["hosts"] == ["node0"] and second["exit_code"] == 0, second
report = json.load(open(sys.argv[5]))
assert report["lost"]["steps"] == first["lost_steps"], (report["lost"], first)
print(f"PASS: dp 4 on 2 nodes → dp 2 on node0 after node1 was lost at step {first['last_logged_step']} "
      f"(checkpoint {first['checkpoint_step']}, {first['lost_steps']} step(s) lost); "
      f"losses within {worst:.1e} relative of the uninterrupted run")
EOF
