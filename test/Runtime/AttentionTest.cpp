//===- AttentionTest.cpp - the host attention against attention in double -===//
//
// tgc_attention_forward_bf16 / _backward_bf16 (runtime/Attention.cpp), the
// reference of the CUDA kernels, against softmax(q k^T scale + mask) v and
// its gradients computed naively in double from the same bf16 inputs:
// within what the contract's bf16 roundings allow (the probabilities, dS and
// each result rounded once: a few 2^-9 relative), far below what a wrong
// mask, scale or formula gives. Causal and not, Tk > Tq, several batches and
// heads, views with strides: padded rows, offsets, and heads transposed as
// the compiler passes GPT-2's activations ([B, T, H, D] viewed as
// [B, H, T, D]).
//
//===----------------------------------------------------------------------===//

#include "Attention.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace {

using tgc::bf16ToFloat;
using tgc::floatToBF16;

/// A [B, H, T, D] bf16 tensor at an offset in its storage, which is
/// [B, H, T, D + padding] (padded rows, as a head's slice of a fused qkv
/// buffer), or with `transposedHeads` [B, T, H, D]: GPT-2's activations as
/// the compiler passes them, strides [T*H*D, D, H*D, 1]. Slice s is
/// (b, h) = (s / H, s % H).
struct Tensor4 {
  int64_t batch, heads, rows, dim, offset;
  int64_t strides[3]; // along B, H and T
  std::vector<uint16_t> storage;

  Tensor4(int64_t batch, int64_t heads, int64_t rows, int64_t dim, bool transposedHeads = false,
          int64_t padding = 0, int64_t offset = 0)
      : batch(batch), heads(heads), rows(rows), dim(dim), offset(offset),
        storage(size_t(offset + batch * heads * rows * (dim + padding)), floatToBF16(12345.0f)) {
    int64_t rowSize = dim + padding;
    if (transposedHeads) {
      strides[0] = rows * heads * rowSize;
      strides[1] = rowSize;
      strides[2] = heads * rowSize;
    } else {
      strides[0] = heads * rows * rowSize;
      strides[1] = rows * rowSize;
      strides[2] = rowSize;
    }
  }

  int64_t slices() const { return batch * heads; }
  size_t index(int64_t slice, int64_t i, int64_t d) const {
    return size_t(offset + slice / heads * strides[0] + slice % heads * strides[1] +
                  i * strides[2] + d);
  }
  double operator()(int64_t slice, int64_t i, int64_t d) const {
    return bf16ToFloat(storage[index(slice, i, d)]);
  }
  void fillNormal(std::mt19937_64 &rng, double stddev = 1.0) {
    std::normal_distribution<float> normal(0.0f, float(stddev));
    for (int64_t s = 0; s < slices(); ++s)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t d = 0; d < dim; ++d)
          storage[index(s, i, d)] = floatToBF16(normal(rng));
  }
  tgc_memref4_bf16 view() {
    return {storage.data(),
            storage.data(),
            offset,
            {batch, heads, rows, dim},
            {strides[0], strides[1], strides[2], 1}};
  }
};

/// [B, H, T] f32 statistics.
struct Tensor3 {
  int64_t batch, heads, rows;
  std::vector<float> storage;
  Tensor3(int64_t batch, int64_t heads, int64_t rows)
      : batch(batch), heads(heads), rows(rows), storage(size_t(batch * heads * rows), -777.0f) {}
  double operator()(int64_t slice, int64_t i) const { return storage[size_t(slice * rows + i)]; }
  tgc_memref3_f32 view() {
    return {storage.data(), storage.data(), 0, {batch, heads, rows}, {heads * rows, rows, 1}};
  }
};

struct Problem {
  int64_t batch, heads, queries, keys, dim;
  bool causal;
  double scale;
  bool transposedHeads; // every view, unpadded and at offset 0

  int64_t slices() const { return batch * heads; }
  /// A tensor of `rows` in the problem's layout: with transposedHeads
  /// exactly the compiler's view, else padded and offset as given.
  Tensor4 tensor(int64_t rows, int64_t padding = 0, int64_t offset = 0) const {
    if (transposedHeads)
      return Tensor4(batch, heads, rows, dim, true);
    return Tensor4(batch, heads, rows, dim, false, padding, offset);
  }
};

bool visible(const Problem &p, int64_t i, int64_t j) {
  return !p.causal || j <= i + (p.keys - p.queries);
}

/// Attention and its gradients in double, from the same bf16 inputs.
struct Exact {
  std::vector<double> out, lse, dq, dk, dv; // [BH][T][D], [BH][Tq]

  Exact(const Problem &p, const Tensor4 &q, const Tensor4 &k, const Tensor4 &v,
        const Tensor4 *dout) {
    int64_t bh = p.slices(), tq = p.queries, tk = p.keys, dim = p.dim;
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
double relativeError(const Tensor4 &computed, const std::vector<double> &exact) {
  double error = 0, scale = 0;
  for (int64_t b = 0; b < computed.slices(); ++b)
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
  // q and k with padded rows and an offset: any strides along B, H and T.
  Tensor4 q = p.tensor(p.queries, 3, 5), k = p.tensor(p.keys, 7, 1), v = p.tensor(p.keys),
          out = p.tensor(p.queries, 2);
  Tensor3 lse(p.batch, p.heads, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  std::vector<uint16_t> before = out.storage;
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));

  Exact exact(p, q, k, v, nullptr);
  EXPECT_LE(relativeError(out, exact.out), kTolerance);
  // The log-sum-exp is f32 throughout: close to double.
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i)
      EXPECT_NEAR(lse(b, i), exact.lse[b * p.queries + i],
                  1e-5 * (1 + std::fabs(exact.lse[b * p.queries + i])))
          << "lse[" << b << ", " << i << "]";
  // What out's storage holds outside the view (padding) is untouched.
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i)
      for (int64_t d = 0; d < p.dim; ++d)
        before[out.index(b, i, d)] = out.storage[out.index(b, i, d)];
  for (size_t index = 0; index < before.size(); ++index)
    ASSERT_EQ(out.storage[index], before[index]) << "padding element " << index << " written";
}

TEST_P(HostAttention, BackwardMatchesDouble) {
  const Problem &p = GetParam();
  std::mt19937_64 rng(2);
  Tensor4 q = p.tensor(p.queries, 1, 3), k = p.tensor(p.keys), v = p.tensor(p.keys, 5),
          out = p.tensor(p.queries), dout = p.tensor(p.queries, 2, 4), dq = p.tensor(p.queries, 1),
          dk = p.tensor(p.keys, 0, 2), dv = p.tensor(p.keys, 3);
  Tensor3 lse(p.batch, p.heads, p.queries), delta(p.batch, p.heads, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  dout.fillNormal(rng);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view(), dov = dout.view(),
                   dqv = dq.view(), dkv = dk.view(), dvv = dv.view();
  tgc_memref3_f32 lv = lse.view(), deltav = delta.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));
  _mlir_ciface_tgc_attention_backward_bf16(&qv, &kv, &vv, &ov, &dov, &lv, &dqv, &dkv, &dvv, &deltav,
                                           p.causal, float(p.scale));

  Exact exact(p, q, k, v, &dout);
  EXPECT_LE(relativeError(dq, exact.dq), kTolerance) << "dq";
  EXPECT_LE(relativeError(dk, exact.dk), kTolerance) << "dk";
  EXPECT_LE(relativeError(dv, exact.dv), kTolerance) << "dv";
  // delta: rowsum(dout * out) of the bf16 out passed in, in f32.
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i) {
      double expected = 0;
      for (int64_t d = 0; d < p.dim; ++d)
        expected += dout(b, i, d) * out(b, i, d);
      EXPECT_NEAR(delta(b, i), expected, 1e-5 * (1 + std::fabs(expected)));
    }
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

INSTANTIATE_TEST_SUITE_P(Shapes, HostAttention, testing::ValuesIn(kProblems),
                         [](const testing::TestParamInfo<Problem> &info) {
                           const Problem &p = info.param;
                           return "b" + std::to_string(p.batch) + "_h" + std::to_string(p.heads) +
                                  "_q" + std::to_string(p.queries) + "_k" + std::to_string(p.keys) +
                                  "_d" + std::to_string(p.dim) + (p.causal ? "_causal" : "") +
                                  (p.transposedHeads ? "_transposed" : "");
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
  Problem p = {1, 1, 4, 4, 8, true, 0.5, false};
  std::mt19937_64 rng(3);
  Tensor4 q(1, 1, 4, 8), k(1, 1, 4, 8), v(1, 1, 4, 8), out(1, 1, 4, 8);
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
  Tensor4 q(2, 3, 4, 8), k(2, 3, 6, 8), v(2, 3, 5, 8), out(2, 3, 4, 8);
  Tensor3 lse(2, 3, 4);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 0, 1.0f);
}

void forwardWithOtherHeads() {
  Tensor4 q(2, 3, 4, 8), k(2, 2, 6, 8), out(2, 3, 4, 8);
  Tensor3 lse(2, 3, 4);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &kv, &ov, &lv, 0, 1.0f);
}

// As many slices as B * H, but B and H swapped.
void forwardWithWrongLse() {
  Tensor4 t(2, 3, 4, 8);
  Tensor3 lse(3, 2, 4);
  tgc_memref4_bf16 view = t.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&view, &view, &view, &view, &lv, 0, 1.0f);
}

void causalWithFewerKeys() {
  Tensor4 q(1, 1, 8, 8), k(1, 1, 4, 8), v(1, 1, 4, 8), out(1, 1, 8, 8);
  Tensor3 lse(1, 1, 8);
  tgc_memref4_bf16 qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  _mlir_ciface_tgc_attention_forward_bf16(&qv, &kv, &vv, &ov, &lv, 1, 1.0f);
}

void backwardWithWrongDelta() {
  Tensor4 t(2, 3, 4, 8);
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
  Tensor4 q(1, 1, 64, 32), k(1, 1, 64, 32), out(1, 1, 64, 32);
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
  Tensor4 t(2, 3, 64, 64, /*transposedHeads=*/true);
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
