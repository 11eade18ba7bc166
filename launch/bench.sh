#!/usr/bin/env bash
# Speed figures for docs/performance.md, each a ratio against a baseline measured in the same run
# (release build, idle machine please). Prints JSON lines and a summary.
#   1. GPT-2 124M, B=4, T=64, one rank with one thread, vs PyTorch with the same settings
#   2. MFU at T=1024 (B=4), one rank, one thread (slow: ~45 s per step)
#   3. weak scaling: 2 data-parallel ranks at twice the global batch vs 1 rank
#   4. tensor parallelism: tp=2 at the same batch vs 1 rank
#   6. pipeline parallelism: pp=2 on 2 ranks, 8 micro-batches, the bubble measured vs predicted
#      (GPT-2 124M's blocks with a 768-token vocabulary, so that the two stages cost the same)
#   5. the kernel: `swiftlet doctor`'s sgemm vs an independent C probe (Tests/Reference/sgemm_probe.c)
#      under every kernel this CPU runs, and the speed-up two concurrent probes get (what dp = 2
#      can reach on this machine at best)
# SKIP_T1024=1 leaves out (2). Every figure names the CPU (lscpu) it was measured on.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=$repo/.build/release/swiftlet
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
steps=${STEPS:-5}
out=$(mktemp -d)
run() { local name=$1; shift; "$@" --json | tail -1 | tee "$out/$name.json"; }
lscpu | grep -E "^(Model name|Vendor ID|CPU family|Model):" | tr -s ' ' | tee "$out/cpu.txt"

# The kernel: doctor (what training uses) against an independent probe of every kernel.
cc -O2 "$repo/Tests/Reference/sgemm_probe.c" -o "$out/sgemm_probe" -lopenblas
"$bin" doctor --json | tail -1 > "$out/doctor.json"
for kernel in $("$bin" doctor --list-kernels); do
  OPENBLAS_CORETYPE=$kernel "$out/sgemm_probe" --trials 10 | tee -a "$out/probes.jsonl"
done
# What the machine allows two GEMM-bound processes at once (each on its own core).
"$out/sgemm_probe" --trials 1 --seconds 4 > "$out/probe_alone.json"
taskset -c 0 "$out/sgemm_probe" --trials 1 --seconds 4 > "$out/probe_pair0.json" &
taskset -c 1 "$out/sgemm_probe" --trials 1 --seconds 4 > "$out/probe_pair1.json"
wait

run single "$bin" bench --model gpt2-124M --batch 4 --seq 64 --steps "$steps" --warmup 1 --threads 1
# PyTorch with the same settings, right after (the ratio's baseline, same machine, same minute).
python3 "$repo/Tests/Reference/pytorch_step_bench.py" --model gpt2-124M --batch 4 --seq 64 --steps "$steps" \
  --warmup 1 --threads 1 | tail -1 | tee "$out/pytorch.json"
[ "${SKIP_T1024:-0}" = 1 ] || run long "$bin" bench --model gpt2-124M --batch 4 --seq 1024 --steps 2 --warmup 1 --threads 1
run dp2 mpirun --bind-to core -np 2 "$bin" bench --model gpt2-124M --batch 4 --seq 64 --steps "$steps" --warmup 1 --threads 1
run tp2 mpirun --bind-to core -np 2 "$bin" bench --model gpt2-124M --batch 4 --seq 64 --steps "$steps" --warmup 1 --threads 1 --tp 2
run pp2 mpirun --bind-to core -np 2 "$bin" bench --model gpt2-124M --vocab 768 --batch 8 --seq 64 --steps 3 --warmup 1 --threads 1 --pp 2 --microbatches 8

python3 - "$out" <<'PY'
import json, sys, os
d = sys.argv[1]
print("\nCPU: " + "; ".join(l.strip() for l in open(os.path.join(d, "cpu.txt"))))
doc = json.load(open(os.path.join(d, "doctor.json")))["blas"]
probes = [json.loads(l) for l in open(os.path.join(d, "probes.jsonl"))]
best = max(probes, key=lambda p: p["best_gflops"])
same = [p for p in probes if p["core"] == doc["core"]]
print(f"0. kernel {doc['core']} ({doc['chosen_by']}): doctor sgemm {doc['sgemm_gflops_1thread']:.1f} GFLOP/s; independent probe: "
      + ", ".join(f"{p['core']} {p['best_gflops']:.1f}" for p in probes)
      + f" → {doc['sgemm_gflops_1thread'] / best['best_gflops']:.0%} of the best ({best['core']}; bar 85%)")
alone = json.load(open(os.path.join(d, "probe_alone.json")))["sustained_gflops"]
pair = sum(json.load(open(os.path.join(d, f"probe_pair{i}.json")))["sustained_gflops"] for i in (0, 1))
machine = pair / alone

r = {n: json.load(open(os.path.join(d, n + ".json"))) for n in ["single", "dp2", "tp2", "long", "pp2"] if os.path.exists(os.path.join(d, n + ".json"))}
s = r["single"]
torch = json.load(open(os.path.join(d, "pytorch.json")))
if same:
    print(f"   bench's calibrated peak {s['sgemm_peak_calibrated_gflops']:.1f} GFLOP/s vs probe {same[0]['best_gflops']:.1f} with {doc['core']}: {s['sgemm_peak_calibrated_gflops'] / same[0]['best_gflops']:.0%} (bar: within 25%)")
print(f"\n1. GPT-2 124M B=4 T=64, 1 thread: swiftlet {s['step_ms_median']:.0f} ms/step, PyTorch {torch['torch_version']} {torch['step_ms_median']:.0f} ms/step → {torch['step_ms_median'] / s['step_ms_median']:.2f}× faster (bar 1.5×); MFU {100*s['mfu']:.1f}% of sgemm peak {s['sgemm_peak_gflops']:.1f} GFLOP/s")
if "long" in r:
    l = r["long"]
    print(f"2. T=1024 B=4: {l['step_ms_median']/1000:.1f} s/step, MFU {100*l['mfu']:.1f}% of measured sgemm peak (bar 50%), peak RSS {l['peak_rss_bytes_max_rank']/2**30:.2f} GiB (bar 6 GiB)")
dp = r["dp2"]; tp = r["tp2"]
print(f"3. 2 dp ranks (ZeRO-{dp.get('zero', 0)}) at 2× global batch: {dp['tokens_per_s']:.0f} tok/s vs {s['tokens_per_s']:.0f} → {dp['tokens_per_s']/s['tokens_per_s']:.2f}× (bar 1.6×); two concurrent sgemm probes: {machine:.2f}× one → dp2 reaches {dp['tokens_per_s']/s['tokens_per_s']/machine:.0%} of what the machine allows (bar 95%); exposed allreduce {dp['exposed_allreduce_ms_median']:.0f} ms/step of {dp['step_ms_median']:.0f} ms; blocking allreduce {dp.get('blocking_allreduce_ms', 0):.0f} ms → {100*dp.get('allreduce_hidden_share', 0):.0f}% hidden")
print(f"4. tp=2 same batch: {tp['step_ms_median']:.0f} ms/step vs {s['step_ms_median']:.0f} → {s['step_ms_median']/tp['step_ms_median']:.2f}× (bar 1.5×)")
if "pp2" in r:
    p = r["pp2"]
    ratio = p["pipeline_bubble_measured"] / p["pipeline_bubble_ideal"]
    print(f"6. pp=2, M=8: bubble {100*p['pipeline_bubble_measured']:.1f}% measured vs {100*p['pipeline_bubble_ideal']:.1f}% predicted (P-1)/(M+P-1) → {ratio:.2f}× (bar: within 20%); {100*p['pipeline_bubble_predicted_from_stage_times']:.1f}% from the stages' compute times, slowest stage {p['pipeline_stage_imbalance']:.2f}× the mean")
PY
