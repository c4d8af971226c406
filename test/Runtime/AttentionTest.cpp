//===- AttentionTest.cpp - the host attention against attention in double -===//
//
// tgc_attention_forward_bf16 / _backward_bf16 (runtime/Attention.cpp), the
// reference of the CUDA kernels, against softmax(q k^T scale + mask) v and
// its gradients computed naively in double from the same bf16 inputs:
// within what the contract's bf16 roundings allow (the probabilities, dS and
// each result rounded once: a few 2^-9 relative), far below what a wrong
// mask, scale or formula gives. Causal and not, Tk > Tq, views with strides.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace {

using tgc::bf16ToFloat;
using tgc::floatToBF16;

/// A [BH, T, D] bf16 tensor in storage of [BH, T, stride] (stride >= D:
/// padded rows, as a head's slice of a fused qkv buffer), at an offset.
struct Tensor3 {
  int64_t slices, rows, dim, rowStride, offset;
  std::vector<uint16_t> storage;

  Tensor3(int64_t slices, int64_t rows, int64_t dim, int64_t padding = 0, int64_t offset = 0)
      : slices(slices), rows(rows), dim(dim), rowStride(dim + padding), offset(offset),
        storage(size_t(offset + slices * rows * rowStride), floatToBF16(12345.0f)) {}

  uint16_t &bits(int64_t b, int64_t i, int64_t d) {
    return storage[size_t(offset + (b * rows + i) * rowStride + d)];
  }
  double operator()(int64_t b, int64_t i, int64_t d) const {
    return bf16ToFloat(storage[size_t(offset + (b * rows + i) * rowStride + d)]);
  }
  void fillNormal(std::mt19937_64 &rng, double stddev = 1.0) {
    std::normal_distribution<float> normal(0.0f, float(stddev));
    for (int64_t b = 0; b < slices; ++b)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t d = 0; d < dim; ++d)
          bits(b, i, d) = floatToBF16(normal(rng));
  }
  tgc_memref3_bf16 view() {
    return {storage.data(),
            storage.data(),
            offset,
            {slices, rows, dim},
            {rows * rowStride, rowStride, 1}};
  }
};

/// [BH, T] f32 statistics.
struct Tensor2 {
  int64_t slices, rows;
  std::vector<float> storage;
  Tensor2(int64_t slices, int64_t rows)
      : slices(slices), rows(rows), storage(size_t(slices * rows), -777.0f) {}
  double operator()(int64_t b, int64_t i) const { return storage[size_t(b * rows + i)]; }
  tgc_memref2_f32 view() { return {storage.data(), storage.data(), 0, {slices, rows}, {rows, 1}}; }
};

struct Problem {
  int64_t slices, queries, keys, dim;
  bool causal;
  double scale;
};

bool visible(const Problem &p, int64_t i, int64_t j) {
  return !p.causal || j <= i + (p.keys - p.queries);
}

/// Attention and its gradients in double, from the same bf16 inputs.
struct Exact {
  std::vector<double> out, lse, dq, dk, dv; // [BH][T][D], [BH][Tq]

  Exact(const Problem &p, const Tensor3 &q, const Tensor3 &k, const Tensor3 &v,
        const Tensor3 *dout) {
    int64_t bh = p.slices, tq = p.queries, tk = p.keys, dim = p.dim;
    out.assign(size_t(bh * tq * dim), 0);
    lse.assign(size_t(bh * tq), 0);
    dq.assign(size_t(bh * tq * dim), 0);
    dk.assign(size_t(bh * tk * dim), 0);
    dv.assign(size_t(bh * tk * dim), 0);
    std::vector<double> probabilities(static_cast<size_t>(tk));
    for (int64_t b = 0; b < bh; ++b)
      for (int64_t i = 0; i < tq; ++i) {
        double max = -INFINITY;
        for (int64_t j = 0; j < tk; ++j) {
          double s = 0;
          for (int64_t d = 0; d < dim; ++d)
            s += q(b, i, d) * k(b, j, d);
          probabilities[j] = visible(p, i, j) ? s * p.scale : -INFINITY;
          max = std::max(max, probabilities[j]);
        }
        double total = 0;
        for (double &x : probabilities)
          total += (x = std::exp(x - max));
        for (double &x : probabilities)
          x /= total;
        lse[b * tq + i] = max + std::log(total);
        for (int64_t d = 0; d < dim; ++d)
          for (int64_t j = 0; j < tk; ++j)
            out[(b * tq + i) * dim + d] += probabilities[j] * v(b, j, d);
        if (!dout)
          continue;
        // dV += P^T dO, dP = dO V^T, dS = P (dP - rowsum(dO * O)),
        // dQ = scale dS K, dK += scale dS^T Q.
        double delta = 0;
        for (int64_t d = 0; d < dim; ++d)
          delta += (*dout)(b, i, d) * out[(b * tq + i) * dim + d];
        for (int64_t j = 0; j < tk; ++j) {
          double dp = 0;
          for (int64_t d = 0; d < dim; ++d) {
            dv[(b * tk + j) * dim + d] += probabilities[j] * (*dout)(b, i, d);
            dp += (*dout)(b, i, d) * v(b, j, d);
          }
          double ds = probabilities[j] * (dp - delta);
          for (int64_t d = 0; d < dim; ++d) {
            dq[(b * tq + i) * dim + d] += p.scale * ds * k(b, j, d);
            dk[(b * tk + j) * dim + d] += p.scale * ds * q(b, i, d);
          }
        }
      }
  }
};

/// The largest |computed - exact| over the largest |exact|.
double relativeError(const Tensor3 &computed, const std::vector<double> &exact) {
  double error = 0, scale = 0;
  for (int64_t b = 0; b < computed.slices; ++b)
    for (int64_t i = 0; i < computed.rows; ++i)
      for (int64_t d = 0; d < computed.dim; ++d) {
        double value = exact[(b * computed.rows + i) * computed.dim + d];
        error = std::max(error, std::fabs(computed(b, i, d) - value));
        scale = std::max(scale, std::fabs(value));
      }
  return error / scale;
}

/// The contract rounds p (and dS) to bf16 before it multiplies, and each
/// result once: errors of a few bf16 half-ulps (2^-9) relative to the
/// largest element. A wrong mask, scale or term is off by tens of percent.
constexpr double kTolerance = 1.5e-2;

class HostAttention : public testing::TestWithParam<Problem> {};

TEST_P(HostAttention, ForwardMatchesDouble) {
  const Problem &p = GetParam();
  std::mt19937_64 rng(1);
  // q and k with padded rows and an offset: any strides along BH and T.
  Tensor3 q(p.slices, p.queries, p.dim, 3, 5), k(p.slices, p.keys, p.dim, 7, 1),
      v(p.slices, p.keys, p.dim), out(p.slices, p.queries, p.dim, 2);
  Tensor2 lse(p.slices, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  std::vector<uint16_t> before = out.storage;
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref2_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));

  Exact exact(p, q, k, v, nullptr);
  EXPECT_LE(relativeError(out, exact.out), kTolerance);
  // The log-sum-exp is f32 throughout: close to double.
  for (int64_t b = 0; b < p.slices; ++b)
    for (int64_t i = 0; i < p.queries; ++i)
      EXPECT_NEAR(lse(b, i), exact.lse[b * p.queries + i],
                  1e-5 * (1 + std::fabs(exact.lse[b * p.queries + i])))
          << "lse[" << b << ", " << i << "]";
  // The padding between out's rows is untouched.
  for (size_t index = 0; index < before.size(); ++index)
    if (index % size_t(out.rowStride) >= size_t(p.dim))
      ASSERT_EQ(out.storage[index], before[index]) << "padding element " << index << " written";
}

TEST_P(HostAttention, BackwardMatchesDouble) {
  const Problem &p = GetParam();
  std::mt19937_64 rng(2);
  Tensor3 q(p.slices, p.queries, p.dim, 1, 3), k(p.slices, p.keys, p.dim),
      v(p.slices, p.keys, p.dim, 5), out(p.slices, p.queries, p.dim),
      dout(p.slices, p.queries, p.dim, 2, 4), dq(p.slices, p.queries, p.dim, 1),
      dk(p.slices, p.keys, p.dim, 0, 2), dv(p.slices, p.keys, p.dim, 3);
  Tensor2 lse(p.slices, p.queries), delta(p.slices, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  dout.fillNormal(rng);
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view(), dov = dout.view(),
                   dqv = dq.view(), dkv = dk.view(), dvv = dv.view();
  tgc_memref2_f32 lv = lse.view(), deltav = delta.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));
  _mlir_ciface_tgc_attention_backward_bf16(&qv, &kv, &vv, &ov, &dov, &lv, &dqv, &dkv, &dvv, &deltav,
                                           p.causal, float(p.scale));

  Exact exact(p, q, k, v, &dout);
  EXPECT_LE(relativeError(dq, exact.dq), kTolerance) << "dq";
  EXPECT_LE(relativeError(dk, exact.dk), kTolerance) << "dk";
  EXPECT_LE(relativeError(dv, exact.dv), kTolerance) << "dv";
  // delta: rowsum(dout * out) of the bf16 out passed in, in f32.
  for (int64_t b = 0; b < p.slices; ++b)
    for (int64_t i = 0; i < p.queries; ++i) {
      double expected = 0;
      for (int64_t d = 0; d < p.dim; ++d)
        expected += dout(b, i, d) * out(b, i, d);
      EXPECT_NEAR(delta(b, i), expected, 1e-5 * (1 + std::fabs(expected)));
    }
}

const Problem kProblems[] = {
    {3, 5, 9, 8, false, 0.35},     // Tk > Tq
    {3, 5, 9, 8, true, 0.35},      // causal: query i sees keys j <= i + 4
    {2, 7, 7, 16, true, 0.25},     // square causal, 1 / sqrt(D)
    {2, 64, 128, 64, true, 0.125}, // the kernels' shapes
    {1, 64, 64, 64, false, 0.125},
};

INSTANTIATE_TEST_SUITE_P(Shapes, HostAttention, testing::ValuesIn(kProblems),
                         [](const testing::TestParamInfo<Problem> &info) {
                           const Problem &p = info.param;
                           return "bh" + std::to_string(p.slices) + "_q" +
                                  std::to_string(p.queries) + "_k" + std::to_string(p.keys) + "_d" +
                                  std::to_string(p.dim) + (p.causal ? "_causal" : "");
                         });

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
  Problem p = {1, 4, 4, 8, true, 0.5};
  std::mt19937_64 rng(3);
  Tensor3 q(1, 4, 8), k(1, 4, 8), v(1, 4, 8), out(1, 4, 8);
  Tensor2 lse(1, 4);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref2_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 1, float(p.scale));
  for (int64_t d = 0; d < 8; ++d)
    EXPECT_EQ(out(0, 0, d), v(0, 0, d));
  float score = 0;
  for (int64_t d = 0; d < 8; ++d)
    score += float(q(0, 0, d)) * float(k(0, 0, d));
  EXPECT_FLOAT_EQ(float(lse(0, 0)), 0.5f * score);
}

void forwardWithWrongValueShape() {
  Tensor3 q(2, 4, 8), k(2, 6, 8), v(2, 5, 8), out(2, 4, 8);
  Tensor2 lse(2, 4);
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref2_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 0, 1.0f);
}

void causalWithFewerKeys() {
  Tensor3 q(1, 8, 8), k(1, 4, 8), v(1, 4, 8), out(1, 8, 8);
  Tensor2 lse(1, 8);
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref2_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 1, 1.0f);
}

void backwardWithWrongDelta() {
  Tensor3 t(2, 4, 8);
  Tensor2 lse(2, 4), delta(2, 3);
  tgc_memref3_bf16 view = t.view();
  tgc_memref2_f32 lv = lse.view(), dv = delta.view();
  _mlir_ciface_tgc_attention_backward_bf16(&view, &view, &view, &view, &view, &lv, &view, &view,
                                           &view, &dv, 0, 1.0f);
}

TEST(HostAttentionDeathTest, DisagreeingViewsAreFatal) {
  // A fresh process: the thread pool's workers do not survive fork.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(forwardWithWrongValueShape(), testing::ExitedWithCode(1),
              "error: attention forward: v is \\[2, 5, 8\\], expected \\[BH, Tk, D\\] = "
              "\\[2, 6, 8\\]");
  EXPECT_EXIT(causalWithFewerKeys(), testing::ExitedWithCode(1),
              "error: attention forward: causal with 8 queries but only 4 keys");
  EXPECT_EXIT(backwardWithWrongDelta(), testing::ExitedWithCode(1),
              "error: attention backward: delta is \\[2, 3\\], expected \\[BH, Tq\\] = \\[2, 4\\]");
}

// What the kernels need beyond agreeing views is checked for them.
TEST(HostAttention, DeviceChecksNeedTheKernelsShapes) {
  Tensor3 q(1, 64, 32), k(1, 64, 32), out(1, 64, 32);
  Tensor2 lse(1, 64);
  tgc_memref3_bf16 qv = q.view(), kv = k.view(), ov = out.view();
  tgc_memref2_f32 lv = lse.view();
  EXPECT_NO_THROW(tgc::checkAttentionForward("f", qv, kv, kv, ov, lv, 0, false));
  try {
    tgc::checkAttentionForward("f", qv, kv, kv, ov, lv, 0, true);
    ADD_FAILURE() << "D = 32 accepted for the device";
  } catch (const std::exception &error) {
    EXPECT_STREQ(error.what(), "f: D is 32, expected 64");
  }
}

} // namespace
