#!/usr/bin/env bash
# Installs what the benchmarks need (PyTorch with OpenBLAS and tcmalloc as
# the peer), builds tgc, and runs bench/run.py: tgc against PyTorch on this
# machine, interleaved. Arguments go to run.py (e.g. --only B2,B7). Run it on
# a quiet machine: both sides use every core.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --bench
scripts/build.sh
/usr/bin/python3 bench/run.py "$@"
