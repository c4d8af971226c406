//===- AttentionReference.h - attention in double, for the tests -*- C++ -*-===//
//
// What the attention tests share: [B, H, T, D] bf16 or f32 tensors with
// strided views (padded rows, offsets, heads transposed as the compiler
// passes GPT-2's activations), attention and its gradients computed naively
// in double, and checks of a forward and backward (the runtime's
// signatures) against them.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_RUNTIME_ATTENTION_REFERENCE_H
#define TGC_TEST_RUNTIME_ATTENTION_REFERENCE_H

#include "Attention.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace tgc::test {

/// How the tests read and write a view's elements.
template <typename Storage> struct Element;
template <> struct Element<uint16_t> {
  using View = tgc_memref4_bf16;
  static double load(uint16_t bits) { return tgc::bf16ToFloat(bits); }
  static uint16_t store(float value) { return tgc::floatToBF16(value); }
};
template <> struct Element<float> {
  using View = tgc_memref4_f32;
  static double load(float value) { return value; }
  static float store(float value) { return value; }
};

/// A [B, H, T, D] bf16 (uint16_t) or f32 tensor at an offset in its storage, which is
/// [B, H, T, D + padding] (padded rows, as a head's slice of a fused qkv
/// buffer), or with `transposedHeads` [B, T, H, D]: GPT-2's activations as
/// the compiler passes them, strides [T*H*D, D, H*D, 1]. Slice s is
/// (b, h) = (s / H, s % H).
template <typename Storage> struct Tensor4 {
  int64_t batch, heads, rows, dim, offset;
  int64_t strides[3]; // along B, H and T
  std::vector<Storage> storage;

  Tensor4(int64_t batch, int64_t heads, int64_t rows, int64_t dim, bool transposedHeads = false,
          int64_t padding = 0, int64_t offset = 0)
      : batch(batch), heads(heads), rows(rows), dim(dim), offset(offset),
        storage(size_t(offset + batch * heads * rows * (dim + padding)),
                Element<Storage>::store(12345.0f)) {
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
    return Element<Storage>::load(storage[index(slice, i, d)]);
  }
  void fillNormal(std::mt19937_64 &rng, double stddev = 1.0) {
    std::normal_distribution<float> normal(0.0f, float(stddev));
    for (int64_t s = 0; s < slices(); ++s)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t d = 0; d < dim; ++d)
          storage[index(s, i, d)] = Element<Storage>::store(normal(rng));
  }
  typename Element<Storage>::View view() {
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
  bool aligned = false; // paddings and offsets multiples of 8 elements: rows 16-byte aligned

  int64_t slices() const { return batch * heads; }
  /// A tensor of `rows` in the problem's layout: with transposedHeads
  /// exactly the compiler's view, else padded and offset as given (with
  /// `aligned`, rounded up to multiples of 8).
  template <typename Storage>
  Tensor4<Storage> tensor(int64_t rows, int64_t padding = 0, int64_t offset = 0) const {
    if (transposedHeads)
      return Tensor4<Storage>(batch, heads, rows, dim, true);
    if (aligned) {
      padding = (padding + 7) / 8 * 8;
      offset = (offset + 7) / 8 * 8;
    }
    return Tensor4<Storage>(batch, heads, rows, dim, false, padding, offset);
  }
};

inline bool visible(const Problem &p, int64_t i, int64_t j) {
  return !p.causal || j <= i + (p.keys - p.queries);
}

/// Attention and its gradients in double, from the same inputs.
struct Exact {
  std::vector<double> out, lse, dq, dk, dv; // [BH][T][D], [BH][Tq]

  template <typename Storage>
  Exact(const Problem &p, const Tensor4<Storage> &q, const Tensor4<Storage> &k,
        const Tensor4<Storage> &v, const Tensor4<Storage> *dout) {
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
template <typename Storage>
double relativeError(const Tensor4<Storage> &computed, const std::vector<double> &exact) {
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

/// Runs `forward` (a function of the runtime's forward signature) on random
/// views of `p`: q and k with padded rows and an offset (any strides along B,
/// H and T), and expects out within `tolerance` of the exact one relative to
/// its largest element, lse within 1e-5 (f32 throughout) and out's padding
/// untouched.
template <typename Storage, typename Forward>
void expectForwardMatchesDouble(const Problem &p, double tolerance, Forward forward) {
  using View = typename Element<Storage>::View;
  std::mt19937_64 rng(1);
  Tensor4<Storage> q = p.tensor<Storage>(p.queries, 3, 5), k = p.tensor<Storage>(p.keys, 7, 1),
                   v = p.tensor<Storage>(p.keys), out = p.tensor<Storage>(p.queries, 2);
  Tensor3 lse(p.batch, p.heads, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  std::vector<Storage> before = out.storage;
  View qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view();
  tgc_memref3_f32 lv = lse.view();
  forward(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));

  Exact exact(p, q, k, v, static_cast<const Tensor4<Storage> *>(nullptr));
  EXPECT_LE(relativeError(out, exact.out), tolerance);
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i)
      EXPECT_NEAR(lse(b, i), exact.lse[b * p.queries + i],
                  1e-5 * (1 + std::fabs(exact.lse[b * p.queries + i])))
          << "lse[" << b << ", " << i << "]";
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i)
      for (int64_t d = 0; d < p.dim; ++d)
        before[out.index(b, i, d)] = out.storage[out.index(b, i, d)];
  for (size_t index = 0; index < before.size(); ++index)
    ASSERT_EQ(out.storage[index], before[index]) << "padding element " << index << " written";
}

/// Runs `forward`, then `backward` (the runtime's signatures) on random
/// strided views of `p` and expects dq, dk and dv within `tolerance` of the
/// exact ones, and delta = rowsum(dout * out) of the out passed in.
template <typename Storage, typename Forward, typename Backward>
void expectBackwardMatchesDouble(const Problem &p, double tolerance, Forward forward,
                                 Backward backward) {
  using View = typename Element<Storage>::View;
  std::mt19937_64 rng(2);
  Tensor4<Storage> q = p.tensor<Storage>(p.queries, 1, 3), k = p.tensor<Storage>(p.keys),
                   v = p.tensor<Storage>(p.keys, 5), out = p.tensor<Storage>(p.queries),
                   dout = p.tensor<Storage>(p.queries, 2, 4), dq = p.tensor<Storage>(p.queries, 1),
                   dk = p.tensor<Storage>(p.keys, 0, 2), dv = p.tensor<Storage>(p.keys, 3);
  Tensor3 lse(p.batch, p.heads, p.queries), delta(p.batch, p.heads, p.queries);
  q.fillNormal(rng);
  k.fillNormal(rng);
  v.fillNormal(rng);
  dout.fillNormal(rng);
  View qv = q.view(), kv = k.view(), vv = v.view(), ov = out.view(), dov = dout.view(),
       dqv = dq.view(), dkv = dk.view(), dvv = dv.view();
  tgc_memref3_f32 lv = lse.view(), deltav = delta.view();
  forward(&qv, &kv, &vv, &ov, &lv, p.causal, float(p.scale));
  backward(&qv, &kv, &vv, &ov, &dov, &lv, &dqv, &dkv, &dvv, &deltav, p.causal, float(p.scale));

  Exact exact(p, q, k, v, &dout);
  EXPECT_LE(relativeError(dq, exact.dq), tolerance) << "dq";
  EXPECT_LE(relativeError(dk, exact.dk), tolerance) << "dk";
  EXPECT_LE(relativeError(dv, exact.dv), tolerance) << "dv";
  for (int64_t b = 0; b < p.slices(); ++b)
    for (int64_t i = 0; i < p.queries; ++i) {
      double expected = 0;
      for (int64_t d = 0; d < p.dim; ++d)
        expected += dout(b, i, d) * out(b, i, d);
      EXPECT_NEAR(delta(b, i), expected, 1e-5 * (1 + std::fabs(expected)));
    }
}

/// Problems in the kernels' shapes (D = 64, lengths multiples of 64, rows
/// 16-byte aligned): the f32 kernels' tests, on the host and on a GPU.
inline const Problem kKernelProblems[] = {
    {1, 1, 64, 64, 64, false, 0.125, false, true},
    {1, 2, 64, 192, 64, false, 0.3, false, true},   // three key tiles, padded rows
    {2, 1, 128, 128, 64, true, 0.125, false, true}, // causal: the diagonal tiles masked
    {1, 2, 64, 192, 64, true, 0.125, false, true},  // causal with Tk - Tq = 128
    {2, 2, 128, 128, 64, true, 0.125, true, true},  // heads transposed, as GPT-2's
};

/// Test failures name the problem.
inline void PrintTo(const Problem &p, std::ostream *os) {
  *os << "[B " << p.batch << ", H " << p.heads << ", Tq " << p.queries << ", Tk " << p.keys
      << ", D " << p.dim << (p.causal ? ", causal" : "") << ", scale " << p.scale
      << (p.transposedHeads ? ", heads transposed" : "") << "]";
}

/// A test name for `p`.
inline std::string problemName(const testing::TestParamInfo<Problem> &info) {
  const Problem &p = info.param;
  return "b" + std::to_string(p.batch) + "_h" + std::to_string(p.heads) + "_q" +
         std::to_string(p.queries) + "_k" + std::to_string(p.keys) + "_d" + std::to_string(p.dim) +
         (p.causal ? "_causal" : "") + (p.transposedHeads ? "_transposed" : "");
}

} // namespace tgc::test

#endif // TGC_TEST_RUNTIME_ATTENTION_REFERENCE_H
