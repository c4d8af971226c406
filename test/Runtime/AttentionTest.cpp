//===- AttentionTest.cpp - the host attention against attention in double -===//
//
// tgc_attention_{forward,backward}_{bf16,f32} (runtime/Attention.cpp), the
// references of the CUDA kernels, against softmax(q k^T scale + mask) v and
// its gradients computed naively in double from the same inputs
// (AttentionReference.h): bf16 within what the contract's bf16 roundings
// allow (the probabilities, dS and each result rounded once: a few 2^-9
// relative), f32 within f32 rounding, both far below what a wrong mask,
// scale or formula gives. Causal and not, Tk > Tq, several batches and
// heads, views with strides: padded rows, offsets, and heads transposed as
// the compiler passes GPT-2's activations ([B, T, H, D] viewed as
// [B, H, T, D]).
//
//===----------------------------------------------------------------------===//

#include "AttentionReference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace {

using namespace tgc::test;
using tgc::bf16ToFloat;
using tgc::floatToBF16;

/// The contract rounds p (and dS) to bf16 before it multiplies, and each
/// result once: errors of a few bf16 half-ulps (2^-9) relative to the
/// largest element. A wrong mask, scale or term is off by tens of percent.
constexpr double kTolerance = 1.5e-2;
/// f32 sums of at most a few hundred terms.
constexpr double kF32Tolerance = 1e-5;

class HostAttention : public testing::TestWithParam<Problem> {};

TEST_P(HostAttention, ForwardMatchesDouble) {
  expectForwardMatchesDouble<uint16_t>(GetParam(), kTolerance,
                                       _mlir_ciface_tgc_attention_forward_bf16);
}

TEST_P(HostAttention, BackwardMatchesDouble) {
  expectBackwardMatchesDouble<uint16_t>(GetParam(), kTolerance,
                                        _mlir_ciface_tgc_attention_forward_bf16,
                                        _mlir_ciface_tgc_attention_backward_bf16);
}

TEST_P(HostAttention, F32ForwardMatchesDouble) {
  expectForwardMatchesDouble<float>(GetParam(), kF32Tolerance,
                                    _mlir_ciface_tgc_attention_forward_f32);
}

TEST_P(HostAttention, F32BackwardMatchesDouble) {
  expectBackwardMatchesDouble<float>(GetParam(), kF32Tolerance,
                                     _mlir_ciface_tgc_attention_forward_f32,
                                     _mlir_ciface_tgc_attention_backward_f32);
}

const Problem kProblems[] = {
    {2, 3, 5, 9, 8, false, 0.35, false},     // Tk > Tq
    {3, 1, 5, 9, 8, true, 0.35, false},      // causal: query i sees keys j <= i + 4
    {1, 2, 7, 7, 16, true, 0.25, false},     // square causal, 1 / sqrt(D)
    {1, 2, 64, 128, 64, true, 0.125, false}, // the kernels' shapes
    {1, 1, 64, 64, 64, false, 0.125, false},
    {2, 3, 5, 9, 8, true, 0.35, true}, // heads transposed, as the compiler passes them
    {2, 3, 64, 64, 64, true, 0.125, true},
};

INSTANTIATE_TEST_SUITE_P(Shapes, HostAttention, testing::ValuesIn(kProblems), problemName);

TEST(HostAttention, RoundsToNearestEven) {
  EXPECT_EQ(floatToBF16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to the even one, 1.
  EXPECT_EQ(floatToBF16(1.0f + 0x1p-8f), 0x3f80);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: up, to even.
  EXPECT_EQ(floatToBF16(1.0f + 3 * 0x1p-8f), 0x3f82);
  EXPECT_EQ(floatToBF16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(floatToBF16(-2.0f), 0xc000);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(NAN))));
  EXPECT_EQ(floatToBF16(INFINITY), 0x7f80);
}

// A probability that rounds differently from the contract's shows: a
// one-key row gives p = 1 exactly, out = v, lse = the score.
TEST(HostAttention, OneVisibleKeyCopiesItsValue) {
  Problem p = {1, 1, 4, 4, 8, true, 0.5, false};
  std::mt19937_64 rng(3);
  Tensor4<uint16_t> q(1, 1, 4, 8), k(1, 1, 4, 8), v(1, 1, 4, 8), out(1, 1, 4, 8);
  Tensor3 lse(1, 1, 4);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 1, float(p.scale));
  for (int64_t d = 0; d < 8; ++d)
    EXPECT_EQ(out(0, 0, d), v(0, 0, d));
  float score = 0;
  for (int64_t d = 0; d < 8; ++d)
    score += float(q(0, 0, d)) * float(k(0, 0, d));
  EXPECT_FLOAT_EQ(float(lse(0, 0)), 0.5f * score);
}

void forwardWithWrongValueShape() {
  Tensor4<uint16_t> q(2, 3, 4, 8), k(2, 3, 6, 8), v(2, 3, 5, 8), out(2, 3, 4, 8);
  Tensor3 lse(2, 3, 4);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 0, 1.0f);
}

void forwardWithOtherHeads() {
  Tensor4<uint16_t> q(2, 3, 4, 8), k(2, 2, 6, 8), out(2, 3, 4, 8);
  Tensor3 lse(2, 3, 4);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &kv, &ov, &lv, 0, 1.0f);
}

// As many slices as B * H, but B and H swapped.
void forwardWithWrongLse() {
  Tensor4<uint16_t> t(2, 3, 4, 8);
  Tensor3 lse(3, 2, 4);
  tgc_memref4_bf16 view = t.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&view, &view, &view, &view, &lv, 0, 1.0f);
}

void causalWithFewerKeys() {
  Tensor4<uint16_t> q(1, 1, 8, 8), k(1, 1, 4, 8), v(1, 1, 4, 8), out(1, 1, 8, 8);
  Tensor3 lse(1, 1, 8);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 1, 1.0f);
}

void backwardWithWrongDelta() {
  Tensor4<uint16_t> t(2, 3, 4, 8);
  Tensor3 lse(2, 3, 4), delta(2, 3, 3);
  tgc_memref4_bf16 view = t.view();
  tgc_memref3_f32 lv = lse.view(), dv = delta.view();
  _mlir_ciface_tgc_attention_backward_bf16(&view, &view, &view, &view, &view, &lv, &view, &view,
                                           &view, &dv, 0, 1.0f);
}

TEST(HostAttentionDeathTest, DisagreeingViewsAreFatal) {
  // A fresh process: the thread pool's workers do not survive fork.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(forwardWithWrongValueShape(), testing::ExitedWithCode(1),
              "error: attention forward: v is \\[2, 3, 5, 8\\], expected \\[B, H, Tk, D\\] = "
              "\\[2, 3, 6, 8\\]");
  EXPECT_EXIT(forwardWithOtherHeads(), testing::ExitedWithCode(1),
              "error: attention forward: k is \\[2, 2, 6, 8\\], expected \\[B, H, Tk, D\\] = "
              "\\[2, 3, 6, 8\\]");
  EXPECT_EXIT(forwardWithWrongLse(), testing::ExitedWithCode(1),
              "error: attention forward: lse is \\[3, 2, 4\\], expected \\[B, H, Tq\\] = "
              "\\[2, 3, 4\\]");
  EXPECT_EXIT(causalWithFewerKeys(), testing::ExitedWithCode(1),
              "error: attention forward: causal with 8 queries but only 4 keys");
  EXPECT_EXIT(backwardWithWrongDelta(), testing::ExitedWithCode(1),
              "error: attention backward: delta is \\[2, 3, 3\\], expected \\[B, H, Tq\\] = "
              "\\[2, 3, 4\\]");
}

/// The message checkAttentionForward(..., device = true) fails with, or ""
/// when the views are accepted.
std::string deviceCheckError(const tgc_memref4_bf16 &q, const tgc_memref4_bf16 &kv,
                             const tgc_memref4_bf16 &out, const tgc_memref3_f32 &lse) {
  try {
    tgc::checkAttentionForward("f", q, kv, kv, out, lse, 0, true);
    return "";
  } catch (const std::exception &error) {
    return error.what();
  }
}

// What the kernels need beyond agreeing views is checked for them.
TEST(HostAttention, DeviceChecksNeedTheKernelsShapes) {
  Tensor4<uint16_t> q(1, 1, 64, 32), k(1, 1, 64, 32), out(1, 1, 64, 32);
  Tensor3 lse(1, 1, 64);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  EXPECT_NO_THROW(tgc::checkAttentionForward("f", qv, kv, kv, ov, lv, 0, false));
  EXPECT_EQ(deviceCheckError(qv, kv, ov, lv), "f: D is 32, expected 64");
}

// The layout the compiler passes for GPT-2 is one the kernels take; a head
// stride that breaks rows' alignment, statistics strided along Tq or more
// slices than the grid holds are not.
TEST(HostAttention, DeviceChecksTakeTransposedHeads) {
  Tensor4<uint16_t> t(2, 3, 64, 64, /*transposedHeads=*/true);
  Tensor3 lse(2, 3, 64);
  tgc_memref4_bf16 view = t.view();
  tgc_memref3_f32 lv = lse.view();
  EXPECT_EQ(deviceCheckError(view, view, view, lv), "");

  tgc_memref4_bf16 misaligned = view;
  misaligned.strides[1] = 68;
  EXPECT_EQ(deviceCheckError(view, misaligned, view, lv),
            "f: k has strides [12288, 68, 192, 1]: the kernels need 16-byte aligned rows");

  tgc_memref3_f32 strided = lv;
  strided.strides[2] = 2;
  EXPECT_EQ(deviceCheckError(view, view, view, strided),
            "f: lse has stride 2 along Tq, expected 1");

  // Sizes only: the checks read no element.
  tgc_memref4_bf16 many = view;
  many.sizes[0] = 256;
  many.sizes[1] = 256;
  tgc_memref3_f32 manyLse = {lv.allocated, lv.aligned, 0, {256, 256, 64}, {256 * 64, 64, 1}};
  EXPECT_EQ(deviceCheckError(many, many, many, manyLse),
            "f: 65536 slices (B * H), the kernels' grid takes at most 65535");
}

} // namespace
