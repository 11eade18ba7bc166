#!/usr/bin/env bash
# Multi-node training over real TCP on one machine: network namespaces stand in for nodes.
#
#   Tests/Reference/multinode_netns_test.sh            (needs root; about 10 s)
#
# Builds a 2-node "cluster" with launch/netns/cluster.sh (two namespaces on a private bridge,
# 10.77.0.0/24, each with its own hostname), starts `swiftlet train` from node0 with mpirun,
# whose daemons reach node1 through launch/netns/agent.sh instead of ssh, with Open MPI limited
# to TCP on that subnet (btl tcp,self; oob on the same subnet). Three layouts:
#
#   A  2 ranks, one per node, dp 2 × tp 1                (gradient allreduce crosses nodes)
#   B  4 ranks, 2 per node, dp 2 × tp 2, tp inside nodes (the recommended layout)
#   C  4 ranks, alternating nodes, dp 2 × tp 2           (every tp allreduce crosses nodes)
#   D  4 ranks, 2 per node, pp 2 × tp 2, 4 micro-batches  (one pipeline stage per node: only
#      activations and their gradients cross, point to point, plus the tied embedding's gradient)
#
# Each run's per-step losses and gradient norms in metrics.jsonl must equal those of the same
# layout run with plain `mpirun` in this machine's own namespace (shared memory) to 1e-5
# relative; they are expected to be bit-identical, and the figures are printed. Rank placement
# is checked from mpirun's --report-bindings lines. Exits 0 with "SKIP: …" where namespaces
# cannot be made (not root, no iproute2/unshare, a container without CAP_NET_ADMIN).
#
# Environment: SWIFTLET_BIN (default .build/release/swiftlet), STEPS (default 10),
# KEEP_WORKDIR=1 keeps the temporary directory for inspection.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/netns_common.sh"
binary=${SWIFTLET_BIN:-$repo/.build/release/swiftlet}
steps=${STEPS:-10}
started=$(date +%s.%N)

require_tools
[ -x "$binary" ] || fail "$binary not found: build it with 'swift build -c release' (or set SWIFTLET_BIN)"

# Can this process make namespaces, veth pairs and UTS namespaces? Probe once, then clean up.
probe=swlprobe$$
probe_error=$(
  {
    ip netns add "$probe" &&
      ip link add "${probe}a" type veth peer name "${probe}b" &&
      ip link del "${probe}a" &&
      ip netns exec "$probe" unshare --uts true
  } 2>&1
) || { ip netns del "$probe" 2>/dev/null || true; skip "cannot create network namespaces here: ${probe_error:-unknown error}"; }
ip netns del "$probe"

work=$(mktemp -d /tmp/swiftlet-netns.XXXXXX)
cleanup() {
  "$cluster" down "$work/cluster" 2>/dev/null || true
  if [ "${KEEP_WORKDIR:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Random ids below the vocabulary.
write_token_shards "$work/data" 20240520 "rng.randrange(67)"
# The tiny model of the Swift end-to-end tests (Tests/TestSupport/TinyModel.swift).
cat "$repo/Tests/Reference/tiny_model.toml" - >"$work/tiny.toml" <<EOF
[data]
train = "$work/data/train_*.bin"
val = "$work/data/val_*.bin"
[train]
batch_size = 8
seq_len = 16
max_steps = $steps
eval_every = 5
threads = 1
[run]
dir = "$work/unused"
EOF

SWIFTLET_NETNS_SLOTS=2 "$cluster" up "$work/cluster" 2 >/dev/null || fail "could not build the namespace cluster"

# Ranks that wait in MPI spin; four ranks share this machine's cores, so let them yield.
common=(--bind-to none --mca mpi_yield_when_idle 1 -x OPENBLAS_NUM_THREADS=1 -x SWIFTLET_PROGRESS=lines)
# The agent, like ssh, starts remote daemons with an empty environment. OpenBLAS settings such
# as OPENBLAS_CORETYPE choose the sgemm kernel: a rank on node1 without them would pick another
# kernel than node0's ranks and round differently (about 5e-9 relative here). Forward them all.
for variable in $(compgen -e | grep '^OPENBLAS_' | grep -v '^OPENBLAS_NUM_THREADS$' || true); do
  common+=(-x "$variable")
done

# run_multinode NAME EXPECTED_PLACEMENT MPIRUN_ARGS… -- TRAIN_ARGS…
run_multinode() {
  local name=$1 expected=$2
  shift 2
  local mpi_args=()
  while [ "$1" != -- ]; do mpi_args+=("$1"); shift; done
  shift
  "$cluster" mpirun "$work/cluster" "${mpi_args[@]}" "${common[@]}" --report-bindings \
    "$binary" train --config "$work/tiny.toml" --run-dir "$work/$name-netns" "$@" \
    >"$work/$name-netns.log" 2>&1 || { cat "$work/$name-netns.log" >&2; fail "$name: multi-node run failed"; }
  # "[node1:1234] MCW rank 3 …" → "3:node1", sorted by rank.
  local placement
  placement=$(sed -n 's/^\[\(node[0-9]*\):[0-9]*\] MCW rank \([0-9]*\) .*/\2:\1/p' "$work/$name-netns.log" \
    | sort -n | paste -sd' ' -)
  [ "$placement" = "$expected" ] || fail "$name: ranks placed as '$placement', expected '$expected'"
  echo "$name: ranks on nodes: $placement"
}

run_local() {
  local name=$1 np=$2
  shift 2
  mpirun -np "$np" --oversubscribe "${common[@]}" \
    "$binary" train --config "$work/tiny.toml" --run-dir "$work/$name-local" "$@" \
    >"$work/$name-local.log" 2>&1 || { cat "$work/$name-local.log" >&2; fail "$name: single-namespace run failed"; }
}

# compare NAME: per-step loss and grad_norm (and eval val_loss) of the two runs.
compare() {
  python3 - "$1" "$work/$1-netns/metrics.jsonl" "$work/$1-local/metrics.jsonl" "$steps" <<'EOF'
import json, sys
name, netns_path, local_path, steps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def load(path):
    rows = [json.loads(line) for line in open(path)]
    train = {r["step"]: r for r in rows if r["kind"] == "train"}
    evals = {r["step"]: r["val_loss"] for r in rows if r["kind"] == "eval"}
    return train, evals
a_train, a_eval = load(netns_path)
b_train, b_eval = load(local_path)
if sorted(a_train) != list(range(1, steps + 1)) or sorted(b_train) != sorted(a_train):
    sys.exit(f"FAIL: {name}: steps {sorted(a_train)} vs {sorted(b_train)}")
if sorted(a_eval) != sorted(b_eval) or not a_eval:
    sys.exit(f"FAIL: {name}: eval steps {sorted(a_eval)} vs {sorted(b_eval)}")
def rel(x, y):
    return abs(x - y) / max(abs(y), 1e-30)
worst = {
    "loss": max(rel(a_train[s]["loss"], b_train[s]["loss"]) for s in a_train),
    "grad_norm": max(rel(a_train[s]["grad_norm"], b_train[s]["grad_norm"]) for s in a_train),
    "val_loss": max(rel(a_eval[s], b_eval[s]) for s in a_eval),
}
identical = all(a_train[s]["loss"] == b_train[s]["loss"] and a_train[s]["grad_norm"] == b_train[s]["grad_norm"]
                for s in a_train) and a_eval == b_eval
print(f"{name}: {steps} steps, max relative difference vs single namespace: "
      + ", ".join(f"{k} {v:.3g}" for k, v in worst.items())
      + (" (bit-identical)" if identical else ""))
if max(worst.values()) > 1e-5:
    sys.exit(f"FAIL: {name}: multi-node run differs from the single-namespace run by more than 1e-5")
EOF
}

run_multinode A "0:node0 1:node1" -np 2 --map-by node -- --tp 1
run_local A 2 --tp 1
compare A

run_multinode B "0:node0 1:node0 2:node1 3:node1" -np 4 --map-by slot -- --tp 2
run_local B 4 --tp 2
compare B

run_multinode C "0:node0 1:node1 2:node0 3:node1" -np 4 --map-by node -- --tp 2
cp -r "$work/B-local" "$work/C-local"  # same layout (dp 2 × tp 2) as B's reference
compare C

run_multinode D "0:node0 1:node0 2:node1 3:node1" -np 4 --map-by slot -- --tp 2 --pp 2 --microbatches 4
grep -q "pp 2, 4 micro-batches" "$work/D-netns.log" || fail "D: the run did not start as a 2-stage pipeline"
run_local D 4 --tp 2 --pp 2 --microbatches 4
compare D

# Not asserted here (the distributed-equivalence tests own it): how far apart two layouts are.
python3 - "$work/A-netns/metrics.jsonl" "$work/B-netns/metrics.jsonl" <<'EOF'
import json, sys
a, b = ([json.loads(l) for l in open(p) if '"train"' in l] for p in sys.argv[1:])
worst = max(abs(x["loss"] - y["loss"]) / abs(y["loss"]) for x, y in zip(a, b))
print(f"info: dp2×tp1 (A) vs dp2×tp2 (B) over TCP: max relative loss difference {worst:.3g}")
EOF

elapsed=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")
echo "PASS: multi-node over TCP across network namespaces matches single-namespace runs (${elapsed} s)"
