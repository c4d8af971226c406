#!/usr/bin/env bash
# The main job: install what is missing, build tgc, compile the bundled
# Fashion-MNIST MLP into a training executable and train it for 10 epochs on
# Debian's dataset-fashion-mnist, reporting test loss and accuracy after each
# epoch. Extra arguments go to the training binary (e.g. --epochs 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TGC_BUILD_DIR:-$root/build}
spec=$root/examples/mlp_fashion_mnist.mlir
data=/usr/share/datasets/fashion-mnist
out=${TGC_OUT_DIR:-$build/example}

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
mkdir -p "$out"
echo "== tgc $spec -o $out/train"
"$build/bin/tgc" "$spec" -O3 -o "$out/train"
echo "== $out/train --data $data --epochs 10 --eval $*"
"$out/train" --data "$data" --epochs 10 --eval --metrics "$out/metrics.csv" \
  --save "$out/checkpoint.safetensors" "$@"
