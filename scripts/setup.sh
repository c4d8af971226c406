#!/usr/bin/env bash
# Installs what tgc needs to build and run on Debian 12, skipping what is
# already there. Safe to run repeatedly. With --test it also installs what
# only the tests use: PyTorch, the reference of the parity tests (never a
# dependency of tgc itself). With --bench, PyTorch at its best for the
# benchmarks' comparisons: OpenBLAS instead of the reference BLAS, tcmalloc.
set -euo pipefail

packages=(
  cmake ninja-build python3
  clang-22 llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  libgtest-dev zlib1g-dev dataset-fashion-mnist
)
if [[ ${1:-} == --test ]]; then
  packages+=(python3-torch)
elif [[ ${1:-} == --bench ]]; then
  packages+=(python3-torch libopenblas0-pthread libtcmalloc-minimal4)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
