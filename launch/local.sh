#!/usr/bin/env bash
# Runs `swiftlet train` on this machine under mpirun with the flags a single node needs.
#
#   launch/local.sh [--wait-on-pause] [NP] [-- swiftlet-train-arguments…]
#   launch/local.sh 2 -- --config configs/tiny.toml --tp 2
#   launch/local.sh --wait-on-pause 2 -- --config c.toml --set accounting.pause_above=300
#
# --wait-on-pause: when train pauses for carbon (exit 75, accounting.pause_above), wait until the
# time it names and run again (it resumes from its checkpoint); repeat until it ends otherwise.
# On a replayed clock (accounting.clock_start) the relaunch gets --set accounting.clock_start=
# that time instead, and starts at once. SWIFTLET_PAUSE_WAIT=SECONDS caps every wait (0 = none).
#
# NP (default: the cores this process may use) is the number of ranks. The script picks:
#   - OpenBLAS threads per rank: cores / NP (at least 1), so one thread per rank when
#     ranks = cores; an OPENBLAS_NUM_THREADS already in the environment wins. Passed both as
#     OPENBLAS_NUM_THREADS and as train.threads (which overrides a config file's value).
#   - binding: Open MPI binds each of 1 or 2 ranks to ONE core, so a rank meant to own several
#     cores gets `--bind-to none`; more ranks than cores need `--oversubscribe` (and no binding).
#   - root: Open MPI refuses to run as root without OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM).
#   - SWIFTLET_PROGRESS=live (one redrawn line) only when stdout is a terminal: under mpirun a
#     rank's stdout is a pseudo-terminal even when this script's output goes to a file.
#
# Environment: SWIFTLET_BIN (default .build/release/swiftlet of this repository), MPIRUN
# (default mpirun), MPIRUN_ARGS (extra mpirun flags, split on spaces), SWIFTLET_DRY_RUN=1
# (print the command instead of running it).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${SWIFTLET_BIN:-$repo/.build/release/swiftlet}
mpirun_cmd=${MPIRUN:-mpirun}

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

wait_on_pause=0
if [ "${1:-}" = --wait-on-pause ]; then
  wait_on_pause=1
  shift
fi
np=""
if [ $# -gt 0 ]; then
  case $1 in
    -h | --help) usage; exit 0 ;;
    --) ;;
    *[!0-9]* | '') echo "error: NP must be a positive integer, got '$1' (usage: launch/local.sh [NP] [-- train args…])" >&2; exit 2 ;;
    *) np=$1; shift ;;
  esac
fi
[ "${1:-}" = "--" ] && shift
train_args=("$@")

# `nproc` honours the CPU affinity mask (taskset, cgroup cpusets), unlike /proc/cpuinfo.
cores=$(nproc)
np=${np:-$cores}
if [ "$np" -lt 1 ]; then
  echo "error: NP must be at least 1" >&2
  exit 2
fi
if [ ! -x "$binary" ]; then
  echo "error: $binary not found; build it with 'swift build -c release' (or set SWIFTLET_BIN)" >&2
  exit 2
fi
command -v "$mpirun_cmd" >/dev/null || {
  echo "error: $mpirun_cmd not found; install Open MPI (launch/setup-system.sh)" >&2
  exit 2
}

threads=${OPENBLAS_NUM_THREADS:-$(( cores / np > 0 ? cores / np : 1 ))}
export OPENBLAS_NUM_THREADS=$threads

flags=(-np "$np")
if [ "$np" -gt "$cores" ]; then
  # Oversubscribed: ranks must share cores; pinning two of them to one core would serialise them.
  # Open MPI switches its waiting ranks to yield when it detects oversubscription.
  flags+=(--oversubscribe --bind-to none)
elif [ "$threads" -gt 1 ]; then
  flags+=(--bind-to none)
fi

if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

if [ -z "${SWIFTLET_PROGRESS:-}" ]; then
  if [ -t 1 ]; then SWIFTLET_PROGRESS=live; else SWIFTLET_PROGRESS=lines; fi
fi
export SWIFTLET_PROGRESS
# -x forwards the variables explicitly (mpirun only copies its environment to local ranks).
flags+=(-x OPENBLAS_NUM_THREADS -x SWIFTLET_PROGRESS)

# shellcheck disable=SC2206  # MPIRUN_ARGS is a space-separated list by design.
extra=(${MPIRUN_ARGS:-})
# train.threads as well: swiftlet otherwise divides the machine's online CPUs by its ranks on
# the node, ignoring a narrower CPU set (taskset, cgroups) that nproc respects. Given first, so a
# --set train.threads=… among the train arguments still wins.
command=("$mpirun_cmd" "${flags[@]}" "${extra[@]}" "$binary" train --set "train.threads=$threads"
  "${train_args[@]}")
if [ "${SWIFTLET_DRY_RUN:-0}" = 1 ]; then
  echo "OPENBLAS_NUM_THREADS=$threads SWIFTLET_PROGRESS=$SWIFTLET_PROGRESS ${command[*]}"
  exit 0
fi
echo "local.sh: $np rank(s) on $cores core(s), $threads OpenBLAS thread(s) per rank" >&2
if [ "$wait_on_pause" = 1 ]; then
  # Not exec: this shell must see exit 75 and the pause line. Ctrl-C still reaches mpirun (same
  # process group); to preempt, signal mpirun itself.
  relaunch=()
  while true; do
    log=$(mktemp)
    set +e
    "${command[@]}" "${relaunch[@]}" | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    line=$(grep 'paused before step' "$log" | tail -n 1 || true)
    rm -f "$log"
    [ "$status" -eq 75 ] || exit "$status"
    resume_at=$(sed -n 's/.*resume at \([^ ;()]*\).*/\1/p' <<<"$line")
    if [ -z "$resume_at" ]; then
      echo "error: train exited 75 without naming a resume time; not relaunching" >&2
      exit 75
    fi
    if [[ $line == *"replayed clock"* ]]; then
      relaunch=(--set "accounting.clock_start=$resume_at")
      wait_seconds=0
    else
      wait_seconds=$(( $(date -d "$resume_at" +%s) - $(date +%s) ))
      [ "$wait_seconds" -gt 0 ] || wait_seconds=0
    fi
    if [ -n "${SWIFTLET_PAUSE_WAIT:-}" ] && [ "$wait_seconds" -gt "$SWIFTLET_PAUSE_WAIT" ]; then
      wait_seconds=$SWIFTLET_PAUSE_WAIT
    fi
    echo "local.sh: paused for carbon; resuming at $resume_at (waiting ${wait_seconds} s)" >&2
    sleep "$wait_seconds"
  done
fi
# exec: mpirun becomes this process, so a SIGUSR1/SIGTERM sent to the script reaches mpirun,
# which forwards SIGUSR1 to every rank (checkpoint at the end of the step, exit 0).
exec "${command[@]}"
