#!/usr/bin/env bash
# Tiny Shakespeare → data/shakespeare/{train,val}_000000.bin with the GPT-2 tokenizer.
# Uses ../shared/data/tinyshakespeare.txt when present (this project's machines), otherwise
# downloads the corpus from its public home (karpathy/char-rnn), as nanoGPT and llm.c do.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$repo/data/shakespeare
text=$repo/data/tinyshakespeare.txt
if [ -f "$out/train_000000.bin" ] && [ -f "$out/val_000000.bin" ]; then
  echo "data: $out already prepared"
  exit 0
fi
mkdir -p "$repo/data"
if [ ! -f "$text" ]; then
  if [ -f "$repo/../shared/data/tinyshakespeare.txt" ]; then
    cp "$repo/../shared/data/tinyshakespeare.txt" "$text"
  else
    echo "data: downloading tiny Shakespeare"
    curl -fsSL -o "$text.tmp" https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
    mv "$text.tmp" "$text"
  fi
fi
"$repo/.build/release/swiftlet" prepare --input "$text" --output "$out" --val-fraction 0.1
