#!/usr/bin/env bash
# Builds the inputs of scripts/gpu-check.sh, the device check of the CUDA
# backend, into gpu-check/ (or $1): the machine that runs the check has the
# NVIDIA driver, CUDA and python3, but no LLVM, MLIR or cmake. So everything
# is compiled here:
#
#   bin/mlp-cpu, bin/mlp-cuda          examples/mlp.mlir for the CPU and sm_90
#   bin/mlp-cuda-sm80                  the same for sm_80 (must be refused on sm_90)
#   bin/fashion-cuda                   examples/mlp_fashion_mnist.mlir for sm_90
#   bin/libtgc_runtime.so              the runtime, which every model binary below loads
#   bin/tgc-runtime-tests              the runtime's GoogleTests (CUDA ones included)
#   bin/bench-{mlp,adamw,xent,gpt2,gpt2bf16}-cuda  bench/step_bench.c on the benchmark models
#                                      (gpt2bf16: GPT-2's block with --autocast=bf16)
#   bin/bench-{mlp,gpt2,gpt2bf16,attention}-one-stream-cuda  the same with --no-gpu-branches
#   bin/bench-rows-{block,xent}-{cpu,cuda} the same on small models with long rows
#   bin/bench-attention-{cuda,unfused-cuda,cpu} a small transformer block under
#                                      --autocast=bf16: fused attention, without it, the CPU
#   bin/bench-attention-f32-{cuda,unfused-cuda,cpu} the same block in f32: with
#                                      --fused-attention-f32, without it, the CPU
#   bin/bench-gpt2-f32attention-cuda   GPT-2's block in fp32 with --fused-attention-f32
#   bin/bench-attention-kernels        bench/gpu/attention_kernels.cu: the attention kernels
#                                      checked and timed on their own (nvcc)
#   bin/bench-attention-f32-kernels    bench/gpu/attention_f32_kernels.cu: the f32 ones timed
#   bin/bench-attention-tf32-kernels   the same for the f32 ones on TF32 tensor cores
#   bin/bench-mlp-gemms                bench/gpu/mlp_gemms.cu: the MLP's GEMMs, tuned and branched
#   bin/bench-gpt2-gemms               bench/gpu/gpt2_gemms.cu: GPT-2's dense GEMMs in FP32,
#                                      3xTF32 and TF32, timed and checked against double
#   bin/measure-{mlp,attention,attention-f32}-cuda, reports/*.txt  steps' measured device
#                                      memory and tgc --memory-report's (gpu-check's "memory")
#   data/synthetic, data/fashion-mnist a small learnable dataset, Fashion-MNIST
#   gpu-check.sh                       the check itself
#   bench.sh, peers.py                 the GPU benchmark (bench/gpu/run.sh) and its peers,
#   peers-h200.log                     and the peers' numbers measured on an H200
#   profile.sh                         device time per kernel of the benchmark models
#                                      (bench/gpu/profile.sh)
#
# With TGC_BASE_BUILD=DIR, the build directory of an earlier commit, also
#   bin/bench-{mlp,gpt2,gpt2bf16}-base-cuda from its tgc and runtime, which
#   bench.sh times in the same run as "tgc NAME-base (an earlier commit)":
#     git worktree add /tmp/tgc-base REV
#     TGC_BUILD_DIR=/tmp/tgc-base/build /tmp/tgc-base/scripts/build.sh
#     TGC_BASE_BUILD=/tmp/tgc-base/build scripts/gpu-check-build.sh
#
# The binaries link libstdc++ and libgcc statically (the other machine may
# have older ones) and need neither libLLVM nor libMLIR (checked with ldd).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TGC_BUILD_DIR:-$root/build}
out=${1:-$root/gpu-check}
fashion=/usr/share/datasets/fashion-mnist

ninja -C "$build" -j2 tgc tgc-runtime-tests
tgc=$build/bin/tgc
runtime=$build/runtime/libTGCRuntime.a
rm -rf "$out"
mkdir -p "$out/bin" "$out/data/synthetic" "$out/data/fashion-mnist"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Every model binary links the runtime from one shared library beside it
# (bin/libtgc_runtime.so, with libstdc++ linked into it statically): a
# static copy in each of the 30-odd binaries would take the package past the
# 64 MiB that the device machine takes.
shared_runtime() { # archive, library name
  c++ -shared -Wl,--whole-archive "$1" -Wl,--no-whole-archive -static-libstdc++ -static-libgcc \
    -lz -ldl -lpthread -lm -o "$out/bin/$2"
}
runtime_library=libtgc_runtime.so
link_model() { # output, objects and libraries...
  local output=$1
  shift
  c++ -s "$@" -Wl,--as-needed -L"$out/bin" -l:"$runtime_library" -Wl,-rpath,'$ORIGIN' \
    -static-libstdc++ -static-libgcc -lm -o "$output"
}

# A training executable: the model as a library (--emit=lib), linked here
# with the runtime.
cat > "$scratch/main.c" <<'EOF'
#include "tgc/runtime.h"
int main(int argc, char **argv) { return tgc_train_main(argc, argv, tgc_get_model()); }
EOF
train_binary() { # spec, output, tgc flags...
  local spec=$1 output=$2
  shift 2
  local name
  name=$(basename "$spec" .mlir)
  echo "== tgc $spec $* -> $output"
  "$tgc" "$spec" --emit=lib "$@" -o "$scratch/lib$name.a"
  cc -O2 -I"$root/include" -c "$scratch/main.c" -o "$scratch/main.o"
  link_model "$output" "$scratch/main.o" "$scratch/lib$name.a"
}
shared_runtime "$runtime" "$runtime_library"
train_binary "$root/examples/mlp.mlir" "$out/bin/mlp-cpu"
train_binary "$root/examples/mlp.mlir" "$out/bin/mlp-cuda" --target=cuda --gpu-arch=sm_90
train_binary "$root/examples/mlp.mlir" "$out/bin/mlp-cuda-sm80" --target=cuda --gpu-arch=sm_80
train_binary "$root/examples/mlp_fashion_mnist.mlir" "$out/bin/fashion-cuda" --target=cuda \
  --gpu-arch=sm_90

# The benchmark models (bench/specs.py), each linked with bench/step_bench.c.
cc -O2 -I"$root/include" -c "$root/bench/step_bench.c" -o "$scratch/step_bench.o"
bench_binary() { # name, python expression of bench/specs.py giving the spec, [target], [tgc flags]
  local name=$1 target=${3:-cuda} spec=$scratch/bench_$1.mlir
  local extra=("${@:4}")
  echo "== tgc $name benchmark -> $out/bin/bench-$name-$target"
  python3 -c "import sys; sys.path.insert(0, '$root/bench'); import specs; print($2)" > "$spec"
  local flags=()
  [[ $target == cuda ]] && flags=(--target=cuda --gpu-arch=sm_90)
  "$tgc" "$spec" --emit=lib "${flags[@]}" "${extra[@]}" -o "$scratch/libbench_$name.a"
  link_model "$out/bin/bench-$name-$target" "$scratch/step_bench.o" "$scratch/libbench_$name.a"
}
mlp_spec='specs.mlp("mlp", [784, 512, 512, 10], 128, "#tg.adam<lr = 1.0e-3>")'
gpt2_spec='specs.transformer(8, 1024, 768, 12, 3072, None, "#tg.adamw<lr = 1.0e-4>")'
bench_binary mlp "$mlp_spec"
bench_binary adamw 'specs.adamw_update(100, 1000000, "#tg.adamw<lr = 1.0e-3, weight_decay = 0.01>")'
bench_binary xent 'specs.cross_entropy(8192, 50257, "#tg.sgd<lr = 0.1>")'
bench_binary gpt2 "$gpt2_spec"
bench_binary gpt2bf16 "$gpt2_spec" cuda --autocast=bf16
# All device work on one stream (bench.sh times them, gpu-check.sh's
# "branches" check compares their losses).
bench_binary mlp-one-stream "$mlp_spec" cuda --no-gpu-branches
bench_binary gpt2-one-stream "$gpt2_spec" cuda --no-gpu-branches
bench_binary gpt2bf16-one-stream "$gpt2_spec" cuda --autocast=bf16 --no-gpu-branches
# Small models whose softmaxes, layer norms and cross-entropy have rows long
# enough for tg-gpu-row-kernels, for the CPU and the GPU (gpu-check.sh's
# "rows" check compares their losses).
for target in cpu cuda; do
  bench_binary rows-block 'specs.transformer(2, 256, 256, 4, 1024, None, "#tg.adamw<lr = 1.0e-3>")' $target
  bench_binary rows-xent 'specs.cross_entropy(256, 1000, "#tg.sgd<lr = 0.5>")' $target
done

# A block whose attention the fused kernels take (heads of 64, 256 tokens),
# under autocast; gpu-check.sh's "attention" check compares the three.
attention_block='specs.transformer(2, 256, 256, 4, 1024, None, "#tg.adamw<lr = 1.0e-3>")'
bench_binary attention "$attention_block" cuda --autocast=bf16
bench_binary attention-unfused "$attention_block" cuda --autocast=bf16 --no-fused-attention
bench_binary attention-one-stream "$attention_block" cuda --autocast=bf16 --no-gpu-branches
bench_binary attention "$attention_block" cpu --autocast=bf16
# The same block in f32 (gpu-check.sh's "attention-f32" check), and GPT-2's
# fp32 block with the f32 kernels (bench.sh times it beside the unfused one).
bench_binary attention-f32 "$attention_block" cuda --fused-attention-f32
bench_binary attention-f32-unfused "$attention_block" cuda
bench_binary attention-f32 "$attention_block" cpu
bench_binary gpt2-f32attention "$gpt2_spec" cuda --fused-attention-f32

echo "== memory reports and their measuring binaries"
mkdir -p "$out/reports"
memory_binary() { # name, spec file, tgc flags...
  local name=$1 spec=$2
  shift 2
  "$tgc" "$spec" --emit=lib --target=cuda --gpu-arch=sm_90 --memory-report "$@" \
    -o "$scratch/libmeasure_$name.a" > "$out/reports/$name.txt"
  link_model "$out/bin/measure-$name-cuda" "$scratch/measure_step_memory.o" \
    "$scratch/libmeasure_$name.a"
}
cc -O2 -I"$root/include" -c "$root/test/Driver/measure_step_memory.c" \
  -o "$scratch/measure_step_memory.o"
memory_binary mlp "$root/examples/mlp.mlir"
memory_binary attention "$scratch/bench_attention.mlir" --autocast=bf16
memory_binary attention-f32 "$scratch/bench_attention.mlir" --fused-attention-f32

echo "== attention kernels benchmark"
/usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 "$root/bench/gpu/attention_kernels.cu" \
  -Xcompiler -static-libstdc++,-static-libgcc -o "$out/bin/bench-attention-kernels"
/usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 "$root/bench/gpu/attention_f32_kernels.cu" \
  -Xcompiler -static-libstdc++,-static-libgcc -o "$out/bin/bench-attention-f32-kernels"
/usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 -DTGC_BENCH_TENSOR_CORES \
  "$root/bench/gpu/attention_f32_kernels.cu" \
  -Xcompiler -static-libstdc++,-static-libgcc -o "$out/bin/bench-attention-tf32-kernels"

echo "== MLP GEMMs probe"
/usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 -I"$root/include" "$root/bench/gpu/mlp_gemms.cu" \
  -L/usr/local/cuda/lib64 -lcublas -lcublasLt -Xlinker -rpath,/usr/local/cuda/lib64 \
  -Xcompiler -static-libstdc++,-static-libgcc -o "$out/bin/bench-mlp-gemms"
/usr/local/cuda/bin/nvcc -O3 -std=c++17 -arch=sm_90 "$root/bench/gpu/gpt2_gemms.cu" \
  -L/usr/local/cuda/lib64 -lcublas -Xlinker -rpath,/usr/local/cuda/lib64 \
  -Xcompiler -static-libstdc++,-static-libgcc -o "$out/bin/bench-gpt2-gemms"

if [[ -n ${TGC_BASE_BUILD:-} ]]; then
  tgc=$TGC_BASE_BUILD/bin/tgc runtime_library=libtgc_runtime_base.so
  shared_runtime "$TGC_BASE_BUILD/runtime/libTGCRuntime.a" "$runtime_library"
  bench_binary mlp-base "$mlp_spec"
  bench_binary gpt2-base "$gpt2_spec"
  bench_binary gpt2bf16-base "$gpt2_spec" cuda --autocast=bf16
  tgc=$build/bin/tgc runtime_library=libtgc_runtime.so
fi

echo "== tgc-runtime-tests"
objects=("$build"/test/Runtime/CMakeFiles/tgc-runtime-tests.dir/*.o)
c++ "${objects[@]}" "$runtime" -lgmock -lgtest_main -lgtest -static-libstdc++ -static-libgcc \
  -lz -ldl -lpthread -o "$out/bin/tgc-runtime-tests"

for binary in "$out"/bin/*; do
  if ldd "$binary" | grep -E 'libLLVM|libMLIR|libcuda|libstdc\+\+'; then
    echo "error: $binary links a library the GPU machine may lack" >&2
    exit 1
  fi
done

echo "== data"
python3 "$root/test/Driver/make_dataset.py" "$out/data/synthetic" 2048 512
cp "$fashion"/*-ubyte.gz "$out/data/fashion-mnist/"
cp "$root/scripts/gpu-check.sh" "$root/scripts/find-cublas.sh" "$root/test/Driver/compare_memory.py" \
  "$out/"
cp "$root/bench/gpu/run.sh" "$out/bench.sh"
cp "$root/bench/gpu/peers.py" "$root/bench/gpu/peers-h200.log" "$out/"
cp "$root/bench/gpu/profile.sh" "$out/profile.sh"
du -sh "$out"
echo "done: copy $out to the GPU machine and run: bash $(basename "$out")/gpu-check.sh"
echo "      and the benchmark: bash $(basename "$out")/bench.sh"
