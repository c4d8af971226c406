// attention_f32_kernels.cu - the runtime's f32 attention kernels
// (runtime/CudaAttentionF32.cu, CUDA cores) timed on GPT-2's shape (8 x 12
// heads, T = 1024, D = 64, causal) with CUDA events, launched as
// runtime/CudaAttention.cpp launches them. Their results are checked against
// double by the runtime's tests (test/Runtime/CudaAttentionTest.cpp on a GPU,
// AttentionF32KernelsTest.cpp on the host); this only times them.
// bench/gpu/run.sh runs it; scripts/gpu-check-build.sh builds it with nvcc.
//
//   bench-attention-f32-kernels    prints "f32 forward US backward US" (medians)
//                                  and the FLOP rates of the products
#include "../../runtime/CudaAttentionF32.cu"
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
  CHECK(cudaFuncSetAttribute(tgc_attention_backward_queries_f32,
                             cudaFuncAttributeMaxDynamicSharedMemorySize,
                             kAttentionF32QueriesShared));
  CHECK(cudaFuncSetAttribute(tgc_attention_backward_keys_f32,
                             cudaFuncAttributeMaxDynamicSharedMemorySize, kAttentionF32KeysShared));
  dim3 grid(length / kTile, slices);
  double forward = medianMicroseconds(
      [&] { tgc_attention_forward_f32<<<grid, kThreads, kAttentionF32ForwardShared>>>(params); });
  double backward = medianMicroseconds([&] {
    tgc_attention_backward_queries_f32<<<grid, kThreads, kAttentionF32QueriesShared>>>(params);
    tgc_attention_backward_keys_f32<<<grid, kThreads, kAttentionF32KeysShared>>>(params);
  });
  CHECK(cudaGetLastError());
  // 64 x 64 x 64 products over the causal tiles: 2 forward, 3 + 4 backward.
  double tiles = double(slices) * (length / kTile) * (length / kTile + 1) / 2;
  double product = 2.0 * kTile * kTile * kHead;
  std::printf("f32 forward %.1f backward %.1f\n", forward, backward);
  std::printf("f32 products: forward %.1f TFLOP/s, backward %.1f TFLOP/s\n",
              2 * tiles * product / forward / 1e6, 7 * tiles * product / backward / 1e6);
  return 0;
}
