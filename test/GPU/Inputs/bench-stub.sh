#!/bin/sh
# Stands in for gpu-check's benchmark binaries in bench-script.test: a
# step's "median p10 p90 loss" (us) by the binary's name and
# TGC_CUDA_MATMUL, or a kernel benchmark's line.
case "$(basename "$0"):${TGC_CUDA_MATMUL:-}" in
bench-gpt2-cuda:3xtf32) echo "6100 6000 6200 0.250000100" ;;
bench-gpt2-f32attention-cuda:3xtf32) echo "5800 5700 5900 0.250000050" ;;
bench-gpt2*-cuda:tf32) echo "5000 4900 5100 0.250100000" ;;
bench-gpt2-cuda:) echo "10300 10200 10400 0.250000000" ;;
bench-gpt2-f32attention-cuda:) echo "10400 10300 10500 0.250000000" ;;
bench-gpt2-one-stream-cuda:) echo "10350 10300 10400 0.250000000" ;;
bench-*-cuda:*) echo "bench-stub.sh: no step for $0 under '${TGC_CUDA_MATMUL:-}'" >&2 && exit 1 ;;
*) echo "$(basename "$0") ran" ;;
esac
