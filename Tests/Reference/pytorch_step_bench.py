#!/usr/bin/env python3
"""Time one GPT-2 training step in PyTorch on the CPU: the baseline Swiftlet's bench compares to.

A step is forward + mean cross-entropy + backward + AdamW step, on one random batch of
``--batch`` sequences of ``--seq`` tokens, in float32. The model is built from a config (no
download) with Hugging Face ``GPT2LMHeadModel`` and its default initialisation; the numbers do
not depend on the weights. Timing uses wall-clock ``time.perf_counter`` per step, after
``--warmup`` untimed steps.

Example (from the repository root; about 30 s on one core):

    pip install 'torch==2.13.0+cpu' transformers
    python3 Tests/Reference/pytorch_step_bench.py --model gpt2-124M --batch 4 --seq 64 \\
        --threads 1 --steps 5 --warmup 2

It prints exactly one JSON line on stdout:

    {"framework": "pytorch", "model": ..., "batch": ..., "seq": ..., "threads": ...,
     "step_ms_median": ..., "step_ms_min": ..., "tokens_per_s": ..., "torch_version": ...}

``tokens_per_s`` is batch * seq divided by the median step time. Progress goes to stderr.
"""

import argparse
import json
import pathlib
import statistics
import sys
import time

import torch
import transformers
from transformers import GPT2LMHeadModel

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import reference_support as support  # noqa: E402  (the GPT-2 config, the fixtures' loss and AdamW decay split)

# (n_layer, n_head, n_embd); every preset has n_positions 1024 and the GPT-2 vocabulary.
PRESETS = {
    "gpt2-124M": (12, 12, 768),
    "gpt2-350M": (24, 16, 1024),
}
N_POSITIONS = 1024
VOCAB_SIZE = 50257


def build_model(preset: str, layers: int, seed: int) -> GPT2LMHeadModel:
    n_layer, n_head, n_embd = PRESETS[preset]
    n_layer = layers or n_layer
    config = support.gpt2_config(n_layer, n_head, n_embd, N_POSITIONS, VOCAB_SIZE)
    return support.seeded_model(GPT2LMHeadModel, config, seed)  # eager: the plain math Swiftlet implements


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=sorted(PRESETS), default="gpt2-124M")
    parser.add_argument("--batch", type=int, default=4, help="sequences per step (B)")
    parser.add_argument("--seq", type=int, default=64, help="tokens per sequence (T)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps before timing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layers", type=int, default=0, help="blocks (0 = the preset's), as swiftlet bench --layers")
    args = parser.parse_args(argv)
    if args.batch < 1 or args.seq < 1 or args.threads < 1 or args.steps < 1 or args.warmup < 0:
        parser.error("batch, seq, threads and steps must be >= 1 and warmup >= 0")
    if args.seq > N_POSITIONS:
        parser.error(f"seq must be at most {N_POSITIONS}")
    return args


def main(argv) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    model = build_model(args.model, args.layers, args.seed)
    optimizer = support.adamw(list(model.parameters()), lr=6e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    tokens = torch.randint(0, VOCAB_SIZE, (args.batch, args.seq + 1))
    inputs, targets = tokens[:, :-1], tokens[:, 1:]

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(input_ids=inputs).logits
        loss = support.mean_cross_entropy(logits, targets)
        loss.backward()
        optimizer.step()
        return loss.item()

    times_ms = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = step()
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        timed = i >= args.warmup
        if timed:
            times_ms.append(elapsed_ms)
        print(f"{'step' if timed else 'warmup'} {i + 1}: loss {loss:.4f}, {elapsed_ms:.1f} ms",
              file=sys.stderr)

    median_ms = statistics.median(times_ms)
    result = {
        "framework": "pytorch",
        "model": args.model,
        "batch": args.batch,
        "seq": args.seq,
        "threads": args.threads,
        "step_ms_median": round(median_ms, 3),
        "step_ms_min": round(min(times_ms), 3),
        "tokens_per_s": round(args.batch * args.seq / (median_ms / 1000.0), 3),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
