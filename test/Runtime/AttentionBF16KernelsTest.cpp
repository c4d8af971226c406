//===- AttentionBF16KernelsTest.cpp - the bf16 attention kernels, on the host ===//
//
// runtime/CudaAttention.cu compiled as host C++ (SimtHost.h, which also
// emulates the warp's ldmatrix and mma.m16n8k16 on bf16 operands) and run on
// the views the runtime passes them, against attention in double
// (AttentionReference.h): the fragment layouts, the accumulators reused as
// bf16 A operands, the masks and the double-buffered copies are checked
// here, without a GPU. The same kernels run on a GPU in CudaAttentionTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttention.cu"

#include "AttentionKernelsOnHost.h"
#include "AttentionReference.h"

#include <gtest/gtest.h>

/// The kernels' dynamic shared memory, as large as the largest takes.
alignas(16) float4 tgcAttentionShared[kAttentionBF16KeysShared / sizeof(float4)];

namespace {

using namespace tgc::test;

/// The kernels behind the runtime's signatures.
const AttentionKernelsOnHost<tgc_memref4_bf16> kOnHost = {tgc_attention_forward_bf16,
                                                          tgc_attention_backward_queries_bf16,
                                                          tgc_attention_backward_keys_bf16,
                                                          kAttentionBF16ForwardShared,
                                                          kAttentionBF16QueriesShared,
                                                          kAttentionBF16KeysShared,
                                                          tgcAttentionShared};

/// bf16 results, and bf16 probabilities and score gradients in the
/// products: a few bf16 ulps of the largest value (CudaAttentionTest.cpp's
/// bounds on a GPU).
constexpr double kForwardTolerance = 1e-2, kBackwardTolerance = 2e-2;

class BF16AttentionKernels : public testing::TestWithParam<Problem> {};

TEST_P(BF16AttentionKernels, ForwardMatchesDouble) {
  expectForwardMatchesDouble<uint16_t>(GetParam(), kForwardTolerance, kOnHost);
}

TEST_P(BF16AttentionKernels, BackwardMatchesDouble) {
  expectBackwardMatchesDouble<uint16_t>(GetParam(), kBackwardTolerance, kOnHost, kOnHost);
}

// The double-buffered tiles' copies may land as soon as they are issued:
// a buffer refilled before every warp is done with it shows then.
TEST_P(BF16AttentionKernels, BackwardWithCopiesLandingEarly) {
  simt::copiesLandEarly = true;
  expectBackwardMatchesDouble<uint16_t>(GetParam(), kBackwardTolerance, kOnHost, kOnHost);
  simt::copiesLandEarly = false;
}

INSTANTIATE_TEST_SUITE_P(Shapes, BF16AttentionKernels, testing::ValuesIn(kKernelProblems),
                         problemName);

/// bf16 bits of small integers and halves, exact in bf16.
uint16_t bf16(float x) { return tgc::floatToBF16(x); }

// The emulated ldmatrix and mma are the instructions' layouts: four 8 x 8
// matrices read as A (16 x 16) and B (16 x 8), directly and transposed,
// give the product where the PTX ISA puts it.
void productKernel(const uint16_t *a, const uint16_t *b, float *c, bool transposedB) {
  auto *tileA = reinterpret_cast<uint16_t(*)[16]>(tgcAttentionShared); // 16 x 16
  auto *tileB = reinterpret_cast<uint16_t(*)[16]>(tgcAttentionShared) + 16;
  unsigned lane = threadIdx.x, g = lane / 4, t = lane % 4;
  for (unsigned j = 0; j < 16; ++j) {
    tileA[lane % 16][j] = a[lane % 16 * 16 + j];
    // B (16 x 8) stored as is (k rows of 8) or transposed (n rows of 16).
    if (lane < 16 && j < 8)
      tileB[transposedB ? j : lane][transposedB ? lane : j] = b[lane * 8 + j];
  }
  __syncwarp();
  uint32_t fragmentA[4], fragmentB[4];
  unsigned matrix = lane / 8;
  simt::loadMatrices(fragmentA, &tileA[matrix % 2 * 8 + lane % 8][matrix / 2 * 8], false);
  if (transposedB) // matrices m: rows (n) 0-7 at columns (k) 8 m
    simt::loadMatrices(fragmentB, &tileB[lane % 8][lane / 8 * 8 % 16], false);
  else // matrices m: rows (k) 8 m, transposed
    simt::loadMatrices(fragmentB, &tileB[lane % 16][0], true);
  float d[4] = {1, 1, 1, 1};
  simt::mmaBF16(d, fragmentA, fragmentB[0], fragmentB[1]);
  c[g * 8 + 2 * t] = d[0];
  c[g * 8 + 2 * t + 1] = d[1];
  c[(g + 8) * 8 + 2 * t] = d[2];
  c[(g + 8) * 8 + 2 * t + 1] = d[3];
}

TEST(SimtHost, LdmatrixAndMmaBF16AreTheInstructions) {
  uint16_t a[16 * 16], b[16 * 8];
  for (int i = 0; i < 16 * 16; ++i)
    a[i] = bf16(float(i % 7 - 3));
  for (int i = 0; i < 16 * 8; ++i)
    b[i] = bf16(float(i % 5) * 0.5f);
  for (bool transposedB : {false, true}) {
    float c[16 * 8];
    simt::launch({1, 1, 1}, 32, tgcAttentionShared, sizeof(tgcAttentionShared), productKernel, a, b,
                 c, transposedB);
    for (int i = 0; i < 16; ++i)
      for (int j = 0; j < 8; ++j) {
        float expected = 1;
        for (int k = 0; k < 16; ++k)
          expected += tgc::bf16ToFloat(a[i * 16 + k]) * tgc::bf16ToFloat(b[k * 8 + j]);
        EXPECT_EQ(c[i * 8 + j], expected)
            << "(" << i << ", " << j << ")" << (transposedB ? ", B transposed" : "");
      }
  }
}

// The kernels' bf16 rounding is cuda_bf16.h's: to nearest, ties to even.
TEST(SimtHost, BF16RoundsToNearestEven) {
  auto round = [](float x) { return __bfloat162float(__float2bfloat16_rn(x)); };
  EXPECT_EQ(round(1.0f + 0x1p-8f), 1.0f); // a tie: to the even 1
  EXPECT_EQ(round(1.0f + 0x1p-7f + 0x1p-8f), 1.0f + 0x1p-6f);
  EXPECT_EQ(round(-1.0f - 0x1p-8f - 0x1p-16f), -1.0f - 0x1p-7f);
  EXPECT_EQ(round(INFINITY), INFINITY);
  EXPECT_TRUE(std::isnan(round(NAN)));
  __nv_bfloat162 pair = __floats2bfloat162_rn(0.5f, -2.0f);
  float2 back = __bfloat1622float2(pair);
  EXPECT_EQ(back.x, 0.5f);
  EXPECT_EQ(back.y, -2.0f);
}

} // namespace
