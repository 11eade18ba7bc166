#!/usr/bin/env bash
# The README's main job, after `make setup build data`: train a small GPT-2 on tiny Shakespeare
# with 2 MPI ranks, stop at step 300 as a preempted job would (checkpoint, exit 0), resume from
# the checkpoint to step 600, sample text, and show the compute/carbon report.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
ranks=${RANKS:-2}
run=runs/shakespeare-small
config=configs/shakespeare-small.toml
bin=.build/release/swiftlet

echo "== the machine (swiftlet doctor)"
"$bin" doctor --trials 2

echo "== 1/4 train on $ranks ranks until step 300 (then stop as if preempted)"
rm -rf "$run"
launch/local.sh "$ranks" -- --config "$config" --run-dir "$run" --stop-at-step 300

echo "== 2/4 resume from the newest checkpoint and finish (checkpoint.resume = auto)"
launch/local.sh "$ranks" -- --config "$config" --run-dir "$run"

echo "== 3/4 sample from the final checkpoint"
checkpoint=$(ls "$run"/checkpoints/step_*.h5 | tail -1)
"$bin" sample --checkpoint "$checkpoint" --prompt "ROMEO:" --max-tokens 120 --seed 7 --stats

echo "== 4/4 evaluation and files"
"$bin" eval --checkpoint "$checkpoint" --data "data/shakespeare/val_*.bin" --batch-size 8 --seq-len 64 --batches 16
"$bin" inspect "$checkpoint" > "$run/inspect.txt" && sed -n 1,8p "$run/inspect.txt"
echo "metrics: $run/metrics.jsonl | report: $run/report.json, $run/report.html"
