# What the network-namespace checks (multinode_netns_test.sh, elastic_netns_test.sh) share;
# they source it. Sets `repo` and `cluster` (launch/netns/cluster.sh).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cluster=$repo/launch/netns/cluster.sh

skip() { echo "SKIP: $*"; exit 0; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Skips unless every tool the cluster and the runs need is installed.
require_tools() {
  for tool in ip unshare mpirun python3; do
    command -v "$tool" >/dev/null || skip "'$tool' is not installed"
  done
}

# write_token_shards DIR SEED TOKEN: DIR/train_000000.bin (20000 tokens) and DIR/val_000000.bin
# (2000) in the llm.c format (contract section 4). TOKEN is a Python expression for each id,
# below the tiny model's 67-token vocabulary, in `i` (its position) and `rng` (random.Random(SEED),
# one generator for both files).
write_token_shards() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, random, struct, sys
out, seed, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out)
rng = random.Random(seed)
for name, count in (("train_000000.bin", 20000), ("val_000000.bin", 2000)):
    tokens = [eval(token, {"rng": rng, "i": i}) for i in range(count)]
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<256i", 20240520, 1, count, *([0] * 253)))
        f.write(struct.pack("<%dH" % count, *tokens))
PY
}
