#!/usr/bin/env bash
# Python packages for the reference scripts and the tests that compare against PyTorch,
# Hugging Face transformers, h5py and tiktoken. The CPU build of torch is pinned so pip does not
# pull the CUDA wheels (gigabytes). Skipped when all are importable.
set -euo pipefail
PYTHON=${PYTHON:-python3}
if $PYTHON -c "import torch, transformers, h5py, tiktoken, safetensors, numpy" 2>/dev/null; then
  echo "setup: python packages ready"
  exit 0
fi
echo "setup: installing python packages (torch CPU, transformers, h5py, tiktoken, safetensors)"
$PYTHON -m pip install -q 'torch==2.13.0+cpu' transformers h5py tiktoken safetensors numpy 2>&1 \
  | grep -v -i "warning: running pip as" || true
$PYTHON -c "import torch, transformers, h5py, tiktoken" \
  || { echo "warning: python reference packages unavailable; tests that need them will be skipped" >&2; }
