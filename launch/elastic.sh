#!/usr/bin/env bash
# Runs `swiftlet train` under a supervisor that relaunches it after a crash or a lost node.
#
#   launch/elastic.sh [--max-restarts N] [--hostfile FILE] [--min-ranks M] [--backoff S] [NP] -- TRAIN_ARGS…
#   launch/elastic.sh --max-restarts 3 4 -- --config configs/shakespeare-small.toml
#
# The job runs through launch/local.sh (the same flags; with --hostfile, mpirun gets the hosts
# that still answer). When mpirun exits non-zero the supervisor waits --backoff seconds, checks
# which hosts of the hostfile still start a process (Open MPI's own launch: no other ssh
# assumptions), picks the largest valid layout on what is left (tensor-parallel size kept,
# data-parallel size shrunk; train.batch_size is global, so results stay comparable) and
# relaunches from the newest valid checkpoint (checkpoint.resume = auto is implied). It stops
# after N restarts (default 3), below M ranks (default 1), or when the job fails twice at the same
# step with no progress in between (a deterministic crash, which restarting cannot heal), with
# one line saying why. Exit 0 only when training finished; 75 (a carbon pause) passes through.
# SIGTERM or SIGUSR1 to the supervisor checkpoints and stops the job without a restart.
#
# Every launch is one line of RUN_DIR/elastic.jsonl: hosts, ranks, layout, start and end (UTC),
# exit code, the steps done and the work lost since the last checkpoint.
#
# Environment: as launch/local.sh (SWIFTLET_BIN, MPIRUN, MPIRUN_ARGS, OPENBLAS_NUM_THREADS).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
max_restarts=3
min_ranks=1
backoff=5
hostfile=""
np=""

die() { echo "error: $*" >&2; exit 2; }
usage() { sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
number() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a whole number, got '$2'"; }

while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --max-restarts) number "$1" "${2:-}"; max_restarts=$2; shift 2 ;;
    --min-ranks) number "$1" "${2:-}"; min_ranks=$2; shift 2 ;;
    --backoff) [[ ${2:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--backoff must be seconds, got '${2:-}'"; backoff=$2; shift 2 ;;
    --hostfile) [ -r "${2:-}" ] || die "--hostfile '${2:-}' cannot be read"; hostfile=$2; shift 2 ;;
    --) shift; break ;;
    *) number "NP" "$1"; np=$1; shift ;;
  esac
done
train_args=("$@" --set checkpoint.resume=auto)

# What the supervisor needs from the job's configuration: its run directory, tensor-parallel
# size, pipeline stages, global batch and micro-steps (parallel.microbatches, else grad_accum),
# from the TOML file and the overrides (last wins).
read -r run_dir tp pp batch accum < <(python3 - "$@" <<'PY'
import sys, tomllib
args = sys.argv[1:]
values = {}
def take(key, value):
    values[key] = value
for i, arg in enumerate(args):
    nxt = args[i + 1] if i + 1 < len(args) else None
    if arg == "--config" and nxt:
        with open(nxt, "rb") as f:
            for section, table in tomllib.load(f).items():
                for key, value in table.items():
                    take(f"{section}.{key}", value)
for i, arg in enumerate(args):
    nxt = args[i + 1] if i + 1 < len(args) else None
    if arg == "--set" and nxt and "=" in nxt:
        key, value = nxt.split("=", 1)
        take(key.strip(), value.strip().strip('"'))
    elif arg == "--tp" and nxt:
        take("parallel.tp", nxt)
    elif arg == "--pp" and nxt:
        take("parallel.pp", nxt)
    elif arg == "--microbatches" and nxt:
        take("parallel.microbatches", nxt)
    elif arg == "--run-dir" and nxt:
        take("run.dir", nxt)
micro = int(values.get("parallel.microbatches", 0))
print(values.get("run.dir", "runs/default"), int(values.get("parallel.tp", 1)), int(values.get("parallel.pp", 1)),
      int(values.get("train.batch_size", 8)), micro if micro > 0 else int(values.get("train.grad_accum", 1)))
PY
) || die "cannot read the job's configuration from the train arguments"
[ -n "${run_dir:-}" ] || die "cannot read the job's configuration from the train arguments"
mkdir -p "$run_dir"
log=$run_dir/elastic.jsonl

if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

# Hosts that still start a process, as "name slots" lines; without a hostfile, this machine.
alive_hosts() {
  if [ -z "$hostfile" ]; then
    echo "$(hostname) ${np:-$(nproc)}"
    return
  fi
  local name slots
  while read -r name rest; do
    case $name in '' | '#'*) continue ;; esac
    slots=$(sed -n 's/.*slots=\([0-9]*\).*/\1/p' <<<"$rest")
    # shellcheck disable=SC2086  # MPIRUN_ARGS is a space-separated list by design.
    # </dev/null: mpirun forwards its stdin to the job and would eat the rest of the hostfile.
    if timeout 30 "${MPIRUN:-mpirun}" ${MPIRUN_ARGS:-} --host "$name" -np 1 true </dev/null >/dev/null 2>&1; then
      echo "$name ${slots:-1}"
    fi
  done <"$hostfile"
}

# The newest step in metrics.jsonl and in the checkpoints folder (0 when none).
last_logged_step() {
  python3 -c '
import json, sys
steps = [0]
try:
    for line in open(sys.argv[1]):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("kind") == "train":
            steps.append(record["step"])
except OSError:
    pass
print(max(steps))' "$run_dir/metrics.jsonl"
}
last_checkpoint_step() {
  local newest
  newest=$(ls "$run_dir"/checkpoints/step_*.h5 2>/dev/null | tail -n 1)
  [ -n "$newest" ] && basename "$newest" .h5 | sed 's/step_0*//; s/^$/0/' || echo 0
}

# Ranks of the current launch still alive on this machine (see SWIFTLET_ELASTIC_LAUNCH below).
stop_leftover_ranks() {
  local pid left
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    left=""
    for pid in $(pgrep -x swiftlet); do
      if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SWIFTLET_ELASTIC_LAUNCH=$SWIFTLET_ELASTIC_LAUNCH"; then
        kill -KILL "$pid" 2>/dev/null
        left=1
      fi
    done
    [ -z "$left" ] && return
    sleep 0.2
  done
}

child=""
stopping=0
forward_stop() {
  stopping=1
  [ -n "$child" ] && kill -USR1 "$child" 2>/dev/null
}
trap forward_stop TERM USR1 INT

restarts=0
launch=0
previous_failure=""
while true; do
  launch=$((launch + 1))
  hosts=$(alive_hosts)
  available=$(awk '{s += $2} END {print s + 0}' <<<"$hosts")
  wanted=${np:-$available}
  [ "$wanted" -gt "$available" ] && wanted=$available
  # The largest data-parallel size that fits and divides the global batch; tp and pp stay.
  dp=$((wanted / (tp * pp)))
  while [ "$dp" -ge 1 ] && [ $((batch % (dp * accum))) -ne 0 ]; do dp=$((dp - 1)); done
  ranks=$((dp * tp * pp))
  if [ "$dp" -lt 1 ] || [ "$ranks" -lt "$min_ranks" ]; then
    echo "elastic: stopping: $available rank slot(s) answer, fewer than a valid layout needs (tp $tp × pp $pp, at least $min_ranks ranks)" >&2
    exit 1
  fi
  extra=${MPIRUN_ARGS:-}
  if [ -n "$hostfile" ]; then
    alive_file=$run_dir/elastic-hosts.txt
    awk '{print $1 " slots=" $2}' <<<"$hosts" >"$alive_file"
    extra="$extra --hostfile $alive_file"
  fi
  start=$(date -u +%FT%TZ)
  first_step=$(last_checkpoint_step)
  echo "elastic: launch $launch: $ranks rank(s) (dp $dp × tp $tp$([ "$pp" -gt 1 ] && echo " × pp $pp")) on $(awk '{printf "%s%s", sep, $1; sep=","}' <<<"$hosts")" >&2
  # Every rank carries this launch's tag in its environment, so ranks that outlive their mpirun
  # (a killed mpirun leaves them running until MPI notices) are found and stopped before the
  # next launch writes to the same run directory.
  export SWIFTLET_ELASTIC_LAUNCH="$$-$launch"
  MPIRUN_ARGS="$extra -x SWIFTLET_ELASTIC_LAUNCH" "$repo/launch/local.sh" "$ranks" -- "${train_args[@]}" &
  child=$!
  wait "$child"
  status=$?
  # A signal interrupts `wait`; wait again for the job to checkpoint and leave.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done
  child=""
  stop_leftover_ranks
  logged=$(last_logged_step)
  saved=$(last_checkpoint_step)
  lost=$((logged > saved ? logged - saved : 0))
  python3 -c '
import json, sys
keys = ["launch", "start", "end", "exit_code", "ranks", "dp", "tp", "first_step", "last_logged_step", "checkpoint_step", "lost_steps"]
values = sys.argv[1:12]
record = {k: (v if k in ("start", "end") else int(v)) for k, v in zip(keys, values)}
record["hosts"] = sys.argv[12].split()
print(json.dumps(record))' "$launch" "$start" "$(date -u +%FT%TZ)" "$status" "$ranks" "$dp" "$tp" "$first_step" \
    "$logged" "$saved" "$lost" "$(awk '{print $1}' <<<"$hosts")" >>"$log"

  if [ "$stopping" = 1 ]; then
    echo "elastic: stopped by a signal (the job exited with $status after checkpointing step $saved); no restart" >&2
    exit "$status"
  fi
  case $status in
    0) echo "elastic: training finished after $restarts restart(s)" >&2; exit 0 ;;
    75) echo "elastic: the job paused for the grid's carbon intensity (exit 75)" >&2; exit 75 ;;
  esac
  failure="$logged"
  if [ "$failure" = "$previous_failure" ]; then
    echo "elastic: stopping: the job failed twice at step $((logged + 1)) with no progress in between (a deterministic crash; restarting will not heal it)" >&2
    exit 1
  fi
  previous_failure=$failure
  if [ "$restarts" -ge "$max_restarts" ]; then
    echo "elastic: stopping: the job failed again after $restarts restart(s) (--max-restarts $max_restarts)" >&2
    exit 1
  fi
  restarts=$((restarts + 1))
  echo "elastic: the job exited with $status at step $logged (checkpoint $saved, $lost step(s) lost); restart $restarts of $max_restarts in $backoff s" >&2
  sleep "$backoff"
done
