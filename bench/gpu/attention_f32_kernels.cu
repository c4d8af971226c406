// attention_f32_kernels.cu - the runtime's f32 attention kernels timed on
// GPT-2's shape (8 x 12 heads, T = 1024, D = 64, causal) with CUDA events,
// launched as runtime/CudaAttention.cpp launches them: those on CUDA cores
// (runtime/CudaAttentionF32.cu), or with TGC_BENCH_TENSOR_CORES defined
// those on TF32 tensor cores (runtime/CudaAttentionTF32.cu: 3xTF32 and one
// TF32 pass; the two files cannot share a translation unit). Their results
// are checked against double by the runtime's tests
// (test/Runtime/CudaAttentionTest.cpp on a GPU, Attention{F32,TF32}KernelsTest.cpp
// on the host); this only times them. bench/gpu/run.sh runs it;
// scripts/gpu-check-build.sh builds it with nvcc, both ways.
//
//   bench-attention-f32-kernels    prints "f32 forward US backward US" (medians)
//                                  and the FLOP rates of the products
//   bench-attention-tf32-kernels   the same for "3xtf32" and "tf32"
#ifdef TGC_BENCH_TENSOR_CORES
#include "../../runtime/CudaAttentionTF32.cu"
#else
#include "../../runtime/CudaAttentionF32.cu"
#endif
#include "cuda_timing.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

float *randomTensor(size_t elements, std::mt19937 &random) {
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> host(elements);
  for (float &x : host)
    x = normal(random);
  float *device;
  CHECK(cudaMalloc(&device, elements * 4));
  CHECK(cudaMemcpy(device, host.data(), elements * 4, cudaMemcpyHostToDevice));
  return device;
}

using Kernel = void (*)(AttentionParams);

/// One precision's kernels and their dynamic shared memory.
struct Kernels {
  const char *name;
  Kernel forward, queries, keys;
  int forwardShared, queriesShared, keysShared;
};

#ifdef TGC_BENCH_TENSOR_CORES
const Kernels kKernels[] = {
    {"3xtf32", tgc_attention_forward_3xtf32, tgc_attention_backward_queries_3xtf32,
     tgc_attention_backward_keys_3xtf32, kAttentionTF32ForwardShared, kAttentionTF32QueriesShared,
     kAttentionTF32KeysShared},
    {"tf32", tgc_attention_forward_tf32, tgc_attention_backward_queries_tf32,
     tgc_attention_backward_keys_tf32, kAttentionTF32ForwardShared, kAttentionTF32QueriesShared,
     kAttentionTF32KeysShared},
};
#else
const Kernels kKernels[] = {
    {"f32", tgc_attention_forward_f32, tgc_attention_backward_queries_f32,
     tgc_attention_backward_keys_f32, kAttentionF32ForwardShared, kAttentionF32QueriesShared,
     kAttentionF32KeysShared},
};
#endif

} // namespace

int main() {
  const int batch = 8, heads = 12, length = 1024, slices = batch * heads;
  std::mt19937 random(7);
  size_t elements = size_t(slices) * length * kHead;
  AttentionView views[8];
  for (AttentionView &view : views)
    view = {randomTensor(elements, random), (long long)heads * length * kHead,
            (long long)length * kHead, kHead};
  float *lse = randomTensor(size_t(slices) * length, random);
  float *delta = randomTensor(size_t(slices) * length, random);
  AttentionStatistics lseView = {lse, (long long)heads * length, length},
                      deltaView = {delta, (long long)heads * length, length};
  AttentionParams params = {views[0], views[1], views[2], views[3], views[4],
                            views[5], views[6], views[7], lseView,  deltaView,
                            heads,    length,   length,   1,        0.125f};
  dim3 grid(length / kTile, slices);
  // 64 x 64 x 64 products over the causal tiles: 2 forward, 3 + 4 backward.
  double tiles = double(slices) * (length / kTile) * (length / kTile + 1) / 2;
  double product = 2.0 * kTile * kTile * kHead;
  for (const Kernels &k : kKernels) {
    CHECK(cudaFuncSetAttribute(k.forward, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               k.forwardShared));
    CHECK(cudaFuncSetAttribute(k.queries, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               k.queriesShared));
    CHECK(
        cudaFuncSetAttribute(k.keys, cudaFuncAttributeMaxDynamicSharedMemorySize, k.keysShared));
    double forward =
        medianMicroseconds([&] { k.forward<<<grid, kThreads, k.forwardShared>>>(params); });
    double backward = medianMicroseconds([&] {
      k.queries<<<grid, kThreads, k.queriesShared>>>(params);
      k.keys<<<grid, kThreads, k.keysShared>>>(params);
    });
    CHECK(cudaGetLastError());
    std::printf("%s forward %.1f backward %.1f\n", k.name, forward, backward);
    std::printf("%s products: forward %.1f TFLOP/s, backward %.1f TFLOP/s\n", k.name,
                2 * tiles * product / forward / 1e6, 7 * tiles * product / backward / 1e6);
  }
  return 0;
}
