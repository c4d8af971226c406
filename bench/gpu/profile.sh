#!/usr/bin/env bash
# Where a CUDA step's time goes: each benchmark model (bin/bench-*-cuda of
# scripts/gpu-check-build.sh) run with TGC_CUDA_PROFILE=1 (device time per
# kernel, copy and cuBLAS call over the timed steps), then its step time.
# Copied into gpu-check/ as profile.sh; run on the GPU machine:
#
#   bash gpu-check/profile.sh [MODEL...]    (default: gpt2 adamw xent mlp)
#
# Profiles go to $OUT (or /tmp/tgc-profile), the top lines to stdout.
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/tgc-profile}
mkdir -p "$out"
source "$here/find-cublas.sh"
gunzip -f "$here"/bin/*.gz 2> /dev/null
classes() { case $1 in xent) echo 50257 ;; mlp) echo 10 ;; *) echo 1 ;; esac; }
for model in "${@:-gpt2 adamw xent mlp}"; do
  for name in $model; do
    bench=$here/bin/bench-$name-cuda
    echo "== $name"
    TGC_CUDA_PROFILE=1 timeout -k 5 60 "$bench" 5 2 "$(classes "$name")" > "$out/profile-$name.log" 2>&1
    head -n "${LINES_SHOWN:-16}" "$out/profile-$name.log"
    echo "step (median p10 p90 loss): $(timeout -k 5 60 "$bench" 20 3 "$(classes "$name")" 2>&1 | tail -n 1)"
  done
done
