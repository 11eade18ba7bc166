#!/usr/bin/env bash
# Installs the system libraries Swiftlet links against (Debian/Ubuntu). Idempotent and quick
# when they are already present.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev zlib1g-dev pkg-config python3-pip)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "error: swift is not on PATH (install Swift 6.x from swift.org)" >&2; exit 1; }
echo "setup: system packages ready (Open MPI $(mpirun --version 2>/dev/null | head -1 | awk '{print $NF}'))"
