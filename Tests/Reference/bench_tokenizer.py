#!/usr/bin/env python3
"""Tokenizer throughput: tiktoken (single thread) against `swiftlet prepare`, in the same run.

The brief's bar is Swift >= 0.5x tiktoken's single-threaded throughput on tiny Shakespeare with a
release build. tiktoken is timed on `encode_ordinary(text)` (one call runs on one thread). For
Swift, each repeat runs `swiftlet prepare` as a fresh process (cold merge cache) and reads its
summary line, which reports the tokenizer's own time ("encoding alone") and the whole
preparation's time (reading, encoding, writing and fsyncing the shards), both without the
tokenizer's load time, which is reported separately; the process wall time is shown too. The
shards are checked to hold exactly tiktoken's ids.

Usage (from the package root, after `swift build -c release`):
    python3 Tests/Reference/bench_tokenizer.py [--repeats 7] [--scale 1] [--swiftlet .build/release/swiftlet]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import tiktoken
import tiktoken.load

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SUMMARY = re.compile(
    r"([0-9.]+) s, ([0-9.]+) MB/s \(encoding alone ([0-9.]+) MB/s; tokenizer loaded in ([0-9.]+) s\)")


def read_shards(folder, prefix):
    ids = []
    for name in sorted(os.listdir(folder)):
        if name.startswith(prefix + "_") and name.endswith(".bin"):
            path = os.path.join(folder, name)
            header = np.fromfile(path, dtype="<i4", count=256)
            assert header[0] == 20240520 and header[1] == 1, f"{path}: bad header"
            tokens = np.fromfile(path, dtype="<u2", offset=1024)
            assert len(tokens) == header[2], f"{path}: count mismatch"
            ids.extend(tokens.tolist())
    return ids


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(root, "..", "shared", "data"))
    parser.add_argument("--swiftlet", default=os.path.join(root, ".build", "release", "swiftlet"))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1, help="concatenate the text this many times")
    args = parser.parse_args()
    if not os.access(args.swiftlet, os.X_OK):
        sys.exit(f"error: {args.swiftlet} not found; run `swift build -c release` first")

    with open(os.path.join(args.data, "tinyshakespeare.txt"), encoding="utf-8") as f:
        text = f.read() * args.scale
    size = len(text.encode("utf-8"))

    ranks = tiktoken.load.data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=os.path.join(args.data, "gpt2-vocab.bpe"),
        encoder_json_file=os.path.join(args.data, "gpt2-encoder.json"))
    enc = tiktoken.Encoding(name="gpt2-local", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                            special_tokens={"<|endoftext|>": 50256})

    work = tempfile.mkdtemp(prefix="swiftlet-bench-")
    try:
        tokenizer = os.path.join(work, "tokenizer")
        os.makedirs(tokenizer)
        shutil.copy(os.path.join(args.data, "gpt2-encoder.json"), os.path.join(tokenizer, "encoder.json"))
        shutil.copy(os.path.join(args.data, "gpt2-vocab.bpe"), os.path.join(tokenizer, "vocab.bpe"))
        input_path = os.path.join(work, "input.txt")
        with open(input_path, "w", encoding="utf-8") as f:
            f.write(text)
        output = os.path.join(work, "out")

        tiktoken_rates, encode_rates, prepare_rates, wall_rates, loads = [], [], [], [], []
        reference = None
        # Interleave the two so that load from other processes on the machine hits both alike.
        for _ in range(args.repeats):
            start = time.perf_counter()
            reference = enc.encode_ordinary(text)
            tiktoken_rates.append(size / (time.perf_counter() - start) / 1e6)

            start = time.perf_counter()
            result = subprocess.run(
                [args.swiftlet, "prepare", "--input", input_path, "--output", output, "--tokenizer", tokenizer],
                capture_output=True, text=True)
            wall = time.perf_counter() - start
            if result.returncode != 0:
                sys.exit(f"swiftlet prepare failed: {result.stderr.strip()}")
            match = SUMMARY.search(result.stdout)
            if not match:
                sys.exit(f"unexpected summary line: {result.stdout.strip()}")
            prepare_rates.append(float(match.group(2)))
            encode_rates.append(float(match.group(3)))
            loads.append(float(match.group(4)))
            wall_rates.append(size / wall / 1e6)

        swift_ids = read_shards(output, "train") + read_shards(output, "val")
        same = swift_ids == reference
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def row(name, rates):
        return f"{name:<52} {max(rates):8.2f} {statistics.median(rates):8.2f}"

    print(f"input: tiny Shakespeare x{args.scale} = {size / 1e6:.2f} MB, {len(reference):,} tokens; "
          f"{args.repeats} repeats; tiktoken {tiktoken.__version__}")
    print(f"{'MB/s':<52} {'best':>8} {'median':>8}")
    print(row("tiktoken encode_ordinary (1 thread)", tiktoken_rates))
    print(row("swiftlet tokenizer (encoding alone, cold cache)", encode_rates))
    print(row("swiftlet prepare (read + encode + write shards)", prepare_rates))
    print(row("swiftlet prepare process wall (incl. start, load)", wall_rates))
    print(f"tokenizer load (SHA-256 + parse): median {statistics.median(loads):.3f} s")
    ratio = statistics.median(encode_rates) / statistics.median(tiktoken_rates)
    ratio_prepare = statistics.median(prepare_rates) / statistics.median(tiktoken_rates)
    print(f"median ratio swift/tiktoken: encoding {ratio:.2f}x, whole prepare {ratio_prepare:.2f}x "
          f"(bar: >= 0.5x); ids identical to tiktoken: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
