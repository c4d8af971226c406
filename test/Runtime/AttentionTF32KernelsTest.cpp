//===- AttentionTF32KernelsTest.cpp - the TF32 attention kernels, on the host ===//
//
// runtime/CudaAttentionTF32.cu compiled as host C++ (SimtHost.h, which also
// emulates the warp's mma.m16n8k8 on TF32 operands) and run on the views the
// runtime passes them, against attention in double (AttentionReference.h):
// the fragment layouts, the accumulators reused as A operands, the masks,
// the double-buffered copies and the split into three passes are checked
// here, without a GPU. The same kernels run on a GPU in CudaAttentionTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttentionTF32.cu"

#include "AttentionKernelsOnHost.h"
#include "AttentionReference.h"

#include <gtest/gtest.h>

/// The kernels' dynamic shared memory, as large as the largest takes.
alignas(16) float4 tgcAttentionTF32Shared[kAttentionTF32KeysShared / sizeof(float4)];

namespace {

using namespace tgc::test;

/// The kernels of each precision behind the runtime's signatures.
const AttentionKernelsOnHost<tgc_memref4_f32> kThreePasses = {tgc_attention_forward_3xtf32,
                                                              tgc_attention_backward_queries_3xtf32,
                                                              tgc_attention_backward_keys_3xtf32,
                                                              kAttentionTF32ForwardShared,
                                                              kAttentionTF32QueriesShared,
                                                              kAttentionTF32KeysShared,
                                                              tgcAttentionTF32Shared};
const AttentionKernelsOnHost<tgc_memref4_f32> kOnePass = {tgc_attention_forward_tf32,
                                                          tgc_attention_backward_queries_tf32,
                                                          tgc_attention_backward_keys_tf32,
                                                          kAttentionTF32ForwardShared,
                                                          kAttentionTF32QueriesShared,
                                                          kAttentionTF32KeysShared,
                                                          tgcAttentionTF32Shared};

/// 3xTF32 keeps f32's accuracy: the f32 kernels' bound (their errors are
/// 1-3e-6 here).
constexpr double kThreePassTolerance = 2e-5;
/// One pass is TF32's (10 mantissa bits): about 1e-3 relative here.
constexpr double kOnePassTolerance = 1e-2;

class TF32AttentionKernels : public testing::TestWithParam<Problem> {};

TEST_P(TF32AttentionKernels, ThreePassForwardMatchesDouble) {
  expectForwardMatchesDouble<float>(GetParam(), kThreePassTolerance, kThreePasses);
}

TEST_P(TF32AttentionKernels, ThreePassBackwardMatchesDouble) {
  expectBackwardMatchesDouble<float>(GetParam(), kThreePassTolerance, kThreePasses, kThreePasses);
}

// The double-buffered tiles' copies may land as soon as they are issued:
// a buffer refilled before every warp is done with it shows then.
TEST_P(TF32AttentionKernels, ThreePassBackwardWithCopiesLandingEarly) {
  simt::copiesLandEarly = true;
  expectBackwardMatchesDouble<float>(GetParam(), kThreePassTolerance, kThreePasses, kThreePasses);
  simt::copiesLandEarly = false;
}

TEST_P(TF32AttentionKernels, OnePassMatchesDoubleToTF32) {
  expectBackwardMatchesDouble<float>(GetParam(), kOnePassTolerance, kOnePass, kOnePass);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TF32AttentionKernels, testing::ValuesIn(kKernelProblems),
                         problemName);

// The emulated mma is the instruction's layout: a product of known
// matrices lands where the PTX ISA puts it.
void mmaKernel(const float *a, const float *b, float *c) {
  unsigned lane = threadIdx.x, g = lane / 4, t = lane % 4;
  float fragment[4] = {a[g * 8 + t], a[(g + 8) * 8 + t], a[g * 8 + t + 4], a[(g + 8) * 8 + t + 4]};
  float d[4] = {1, 1, 1, 1};
  simt::mmaTF32(d, fragment, b[t * 8 + g], b[(t + 4) * 8 + g]);
  c[g * 8 + 2 * t] = d[0];
  c[g * 8 + 2 * t + 1] = d[1];
  c[(g + 8) * 8 + 2 * t] = d[2];
  c[(g + 8) * 8 + 2 * t + 1] = d[3];
}

TEST(SimtHost, MmaTF32IsTheInstructionsProduct) {
  float a[16 * 8], b[8 * 8], c[16 * 8];
  for (int i = 0; i < 16 * 8; ++i)
    a[i] = float(i % 7 - 3);
  for (int i = 0; i < 8 * 8; ++i)
    b[i] = float(i % 5) * 0.5f;
  a[0] = 1.0f + 0x1p-12f; // below TF32's precision: read as 1
  alignas(16) float shared[4];
  simt::launch({1, 1, 1}, 32, shared, sizeof(shared), mmaKernel, a, b, c);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float expected = 1;
      for (int k = 0; k < 8; ++k)
        expected += (i == 0 && k == 0 ? 1.0f : a[i * 8 + k]) * b[k * 8 + j];
      EXPECT_EQ(c[i * 8 + j], expected) << "(" << i << ", " << j << ")";
    }
}

// The kernels' operands as the tensor cores read them: one pass rounds to
// nearest with ties away from zero (cvt.rna.tf32.f32's results), three split
// x into a TF32 big part and an exact remainder.
TEST(TF32Operands, RoundAsCvtRnaAndSplitExactly) {
  auto read = [](float x) { return simt::asTF32Operand(roundedTF32Operand(x)); };
  EXPECT_EQ(read(1.0f + 0x1p-11f), 1.0f + 0x1p-10f); // a tie: away from zero
  EXPECT_EQ(read(-1.0f - 0x1p-11f), -1.0f - 0x1p-10f);
  EXPECT_EQ(read(-1.0f - 0x1p-12f), -1.0f);
  EXPECT_EQ(read(0x1.fffffep0f), 2.0f); // the carry reaches the exponent
  EXPECT_EQ(read(-INFINITY), -INFINITY);
  // CUDA's NaN, all mantissa bits set: adding half an ulp would wrap it to -0.
  const float nan = __uint_as_float(0x7fffffffu);
  EXPECT_TRUE(std::isnan(read(nan)));
  for (float x : {1.0f + 0x1p-11f, 0.1f, -3.14159f, 1e-30f, 0x1.fffffep0f, -7e20f}) {
    SplitTF32 split(x);
    EXPECT_EQ(split.big, read(x)) << x;
    EXPECT_EQ(split.big + split.small, x) << x; // exact
    EXPECT_LE(std::fabs(split.small), std::fabs(x) * 0x1p-11f) << x;
  }
  EXPECT_TRUE(std::isnan(SplitTF32(nan).small)); // so the product stays NaN
}

} // namespace
