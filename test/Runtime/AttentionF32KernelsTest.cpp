//===- AttentionF32KernelsTest.cpp - the f32 attention kernels, on the host ===//
//
// runtime/CudaAttentionF32.cu compiled as host C++ (SimtHost.h: each block's
// 128 threads as fibers, switching at barriers and shuffles) and run on the
// views the runtime passes them (Attention.h's checks and parameters),
// against attention in double (AttentionReference.h): the kernels' tiling,
// masks, online softmax, swizzled shared-memory layouts and the split of the
// backward into a dQ and a dK/dV kernel are checked here, without a GPU. The
// same kernels run on a GPU in CudaAttentionTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttentionF32.cu"

#include "AttentionKernelsOnHost.h"
#include "AttentionReference.h"

#include <gtest/gtest.h>

/// The kernels' dynamic shared memory, as large as the largest takes.
alignas(16) float4 tgcAttentionF32Shared[kAttentionF32KeysShared / sizeof(float4)];

namespace {

using namespace tgc::test;

/// The kernels behind the runtime's signatures.
const AttentionKernelsOnHost<tgc_memref4_f32> kOnHost = {
    tgc_attention_forward_f32,  tgc_attention_backward_queries_f32, tgc_attention_backward_keys_f32,
    kAttentionF32ForwardShared, kAttentionF32QueriesShared,         kAttentionF32KeysShared,
    tgcAttentionF32Shared};

/// f32 sums of at most a few hundred terms, in another order than double's.
constexpr double kTolerance = 1e-5;

class F32AttentionKernels : public testing::TestWithParam<Problem> {};

TEST_P(F32AttentionKernels, ForwardMatchesDouble) {
  expectForwardMatchesDouble<float>(GetParam(), kTolerance, kOnHost);
}

TEST_P(F32AttentionKernels, BackwardMatchesDouble) {
  expectBackwardMatchesDouble<float>(GetParam(), kTolerance, kOnHost, kOnHost);
}

INSTANTIATE_TEST_SUITE_P(Shapes, F32AttentionKernels, testing::ValuesIn(kKernelProblems),
                         problemName);

// A block whose threads do not all reach a barrier is what the GPU would
// hang on: the harness the tests above rely on says so.
void divergentKernel() {
  if (threadIdx.x != 3)
    __syncthreads();
}

TEST(SimtHost, DivergentBarriersThrow) {
  alignas(16) float shared[4];
  EXPECT_THROW(simt::launch({1, 1, 1}, 32, shared, sizeof(shared), divergentKernel),
               std::runtime_error);
}

// Warp shuffles exchange within each warp.
void shuffleKernel(int *result) {
  result[threadIdx.x] = __shfl_xor_sync(0xffffffffu, int(threadIdx.x), 5);
}

TEST(SimtHost, ShufflesExchangeLanes) {
  alignas(16) float shared[4];
  int result[64];
  simt::launch({1, 1, 1}, 64, shared, sizeof(shared), shuffleKernel, result);
  for (int t = 0; t < 64; ++t)
    EXPECT_EQ(result[t], t ^ 5);
}

} // namespace
