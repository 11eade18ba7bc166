#!/usr/bin/env bash
# Runs the whole test suite on the release build (`make test` builds it first).
#
# Numerical tolerances must hold whatever OpenBLAS kernel a machine gets, so when
# OPENBLAS_CORETYPE is unset the PyTorch/transformers reference tests and the kernel tests run
# first under every distinct OpenBLAS kernel this CPU executes (`swiftlet doctor --list-kernels`),
# then the whole suite runs with the kernel `swiftlet train` uses here. A kernel the user set is
# kept for everything.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Test suites run in parallel threads of one process, each calling OpenBLAS; OpenBLAS's own
# thread pool under concurrent callers was seen to spin forever. One BLAS thread per caller, as
# every rank of a real job has (the CLI tests' children get the same).
export OPENBLAS_NUM_THREADS=1
swiftlet=.build/release/swiftlet
run_tests=(swift test -c release -Xswiftc -enable-testing --skip-build)
reference="PyTorchReferenceTests|OPTReferenceTests|AdafactorReferenceTests|AdamWTests|KernelsTests"

if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  kernels=$("$swiftlet" doctor --list-kernels)
  for kernel in $kernels; do
    echo "== reference and kernel tests under OpenBLAS kernel $kernel"
    log=$(mktemp)
    if ! OPENBLAS_CORETYPE=$kernel "${run_tests[@]}" --filter "$reference" >"$log" 2>&1; then
      grep -E "✘|error" "$log" | head -n 40
      echo "error: reference tests failed under OpenBLAS kernel $kernel" >&2
      exit 1
    fi
    grep -E "Test run with" "$log" | sed "s/^/   $kernel: /"
    rm -f "$log"
  done
  # The test process loads OpenBLAS itself (no start-up switch there): give it the kernel
  # training uses on this machine.
  OPENBLAS_CORETYPE=$("$swiftlet" doctor --json --trials 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["blas"]["core"])')
  export OPENBLAS_CORETYPE
  echo "== whole suite under OpenBLAS kernel $OPENBLAS_CORETYPE (the one training uses here)"
fi
"${run_tests[@]}"
