#!/usr/bin/env bash
# Test tools: Python packages for the reference scripts and the tests that compare against PyTorch,
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
if ! $PYTHON -c "import torch, transformers, h5py, tiktoken, safetensors, numpy"; then
  # CI must run every test: a missing reference package fails it instead of skipping tests.
  [ "${CI:-}" = "true" ] && { echo "error: python reference packages could not be installed" >&2; exit 1; }
  echo "warning: python reference packages unavailable; tests that need them will be skipped" >&2
fi

# Headless Chromium renders report.html for the screenshot test (Debian package `chromium`).
if ! command -v chromium >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing chromium (report screenshot test)"
  if ! { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null; }; then
    [ "${CI:-}" = "true" ] && { echo "error: chromium could not be installed" >&2; exit 1; }
    echo "warning: chromium unavailable; the report screenshot test will be skipped" >&2
  fi
fi
