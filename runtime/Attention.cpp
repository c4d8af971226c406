//===- Attention.cpp - fused attention on the host: the reference ---------===//
//
// The CPU reference of the CUDA pipeline's fused attention (runtime.h,
// Attention): the GPU emulation of the unit tests calls it where compiled
// code calls the kernels, and the kernels' tests compare with it. Plain
// loops that follow the precision contract step by step: f32 sums over d in
// order, for bf16 views the probabilities rounded to bf16 where the kernels
// multiply them as bf16 (before P V, dS before dS K and dS^T Q) and one
// rounding of each result; f32 views are never rounded. The slices (batch * heads) run in parallel
// on the thread pool, each on one thread, so results do not depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"

#include "Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace tgc {
namespace {

std::string shapeOf(const int64_t *sizes, int rank) {
  std::string text = "[";
  for (int d = 0; d < rank; ++d)
    text += (d ? ", " : "") + std::to_string(sizes[d]);
  return text + "]";
}

/// Fails unless `view`'s sizes are `expected` (names of the sizes in
/// `names`, for the message).
template <int Rank, typename View>
void checkSizes(const char *function, const char *name, const View &view,
                const int64_t (&expected)[Rank], const char *names) {
  if (std::equal(expected, expected + Rank, view.sizes))
    return;
  fail(TGC_ERROR_ARGUMENT, "%s: %s is %s, expected %s = %s", function, name,
       shapeOf(view.sizes, Rank).c_str(), names, shapeOf(expected, Rank).c_str());
}

/// How a view's elements are read and written, and where the contract rounds.
template <typename View> struct Elements;

template <> struct Elements<tgc_memref4_bf16> {
  using Storage = uint16_t;
  static float load(uint16_t bits) { return bf16ToFloat(bits); }
  static uint16_t store(float value) { return floatToBF16(value); }
  /// A probability (or dS) as the kernels multiply it.
  static float operand(float value) { return bf16ToFloat(floatToBF16(value)); }
};

template <> struct Elements<tgc_memref4_f32> {
  using Storage = float;
  static float load(float value) { return value; }
  static float store(float value) { return value; }
  static float operand(float value) { return value; }
};

/// The kernels move rows 16 bytes at a time.
template <typename View>
void checkDeviceView(const char *function, const char *name, const View &view) {
  constexpr int64_t perChunk = 16 / sizeof(typename Elements<View>::Storage);
  if (view.strides[3] != 1 && view.sizes[3] > 1)
    fail(TGC_ERROR_ARGUMENT, "%s: %s has stride %lld along D, expected 1", function, name,
         (long long)view.strides[3]);
  if (view.strides[0] % perChunk != 0 || view.strides[1] % perChunk != 0 ||
      view.strides[2] % perChunk != 0 ||
      reinterpret_cast<uintptr_t>(view.aligned + view.offset) % 16 != 0)
    fail(TGC_ERROR_ARGUMENT,
         "%s: %s has strides [%lld, %lld, %lld, 1]: the kernels need 16-byte aligned rows",
         function, name, (long long)view.strides[0], (long long)view.strides[1],
         (long long)view.strides[2]);
}

/// Per-row statistics the kernels index by row.
void checkDeviceRows(const char *function, const char *name, const tgc_memref3_f32 &view) {
  if (view.strides[2] != 1 && view.sizes[2] > 1)
    fail(TGC_ERROR_ARGUMENT, "%s: %s has stride %lld along Tq, expected 1", function, name,
         (long long)view.strides[2]);
}

/// Element (b, h, i, d) of a view.
template <typename View> struct Element4 {
  const View &view;
  float operator()(int64_t b, int64_t h, int64_t i, int64_t d) const {
    return Elements<View>::load(at(b, h, i, d));
  }
  void store(int64_t b, int64_t h, int64_t i, int64_t d, float value) const {
    at(b, h, i, d) = Elements<View>::store(value);
  }
  typename Elements<View>::Storage &at(int64_t b, int64_t h, int64_t i, int64_t d) const {
    return view.aligned[view.offset + b * view.strides[0] + h * view.strides[1] +
                        i * view.strides[2] + d * view.strides[3]];
  }
};

float &at(const tgc_memref3_f32 &view, int64_t b, int64_t h, int64_t i) {
  return view
      .aligned[view.offset + b * view.strides[0] + h * view.strides[1] + i * view.strides[2]];
}

/// Slice (b, h) of `view` ([rows, D]) as floats, row-major.
template <typename View>
std::vector<float> slice(const View &view, int64_t b, int64_t h, int64_t rows, int64_t dim) {
  std::vector<float> values(size_t(rows * dim));
  Element4<View> element{view};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t d = 0; d < dim; ++d)
      values[size_t(i * dim + d)] = element(b, h, i, d);
  return values;
}

float dot(const float *x, const float *y, int64_t dim) {
  float sum = 0;
  for (int64_t d = 0; d < dim; ++d)
    sum += x[d] * y[d];
  return sum;
}

/// The keys query `i` sees.
int64_t visibleKeys(const AttentionShape &shape, bool causal, int64_t i) {
  return causal ? std::min(shape.keys, i + (shape.keys - shape.queries) + 1) : shape.keys;
}

template <typename View> struct Forward {
  const View &q, &k, &v, &out;
  const tgc_memref3_f32 &lse;
  AttentionShape shape;
  bool causal;
  float scale;

  void run(int64_t b, int64_t h) const {
    int64_t dim = shape.dim;
    std::vector<float> qs = slice(q, b, h, shape.queries, dim),
                       ks = slice(k, b, h, shape.keys, dim), vs = slice(v, b, h, shape.keys, dim);
    std::vector<float> scores(static_cast<size_t>(shape.keys)), sum(static_cast<size_t>(dim));
    Element4<View> result{out};
    for (int64_t i = 0; i < shape.queries; ++i) {
      int64_t visible = visibleKeys(shape, causal, i);
      float max = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < visible; ++j) {
        scores[j] = scale * dot(&qs[i * dim], &ks[j * dim], dim);
        max = std::max(max, scores[j]);
      }
      float total = 0;
      std::fill(sum.begin(), sum.end(), 0.0f);
      for (int64_t j = 0; j < visible; ++j) {
        float p = std::exp(scores[j] - max);
        total += p;
        float rounded = Elements<View>::operand(p);
        for (int64_t d = 0; d < dim; ++d)
          sum[d] += rounded * vs[j * dim + d];
      }
      for (int64_t d = 0; d < dim; ++d)
        result.store(b, h, i, d, sum[d] / total);
      at(lse, b, h, i) = max + std::log(total);
    }
  }
};

template <typename View> struct Backward {
  const View &q, &k, &v, &out, &dout;
  const tgc_memref3_f32 &lse;
  const View &dq, &dk, &dv;
  const tgc_memref3_f32 &delta;
  AttentionShape shape;
  bool causal;
  float scale;

  void run(int64_t b, int64_t h) const {
    int64_t dim = shape.dim;
    std::vector<float> qs = slice(q, b, h, shape.queries, dim),
                       ks = slice(k, b, h, shape.keys, dim), vs = slice(v, b, h, shape.keys, dim),
                       os = slice(out, b, h, shape.queries, dim),
                       dos = slice(dout, b, h, shape.queries, dim);
    std::vector<float> dkSum(static_cast<size_t>(shape.keys * dim)),
        dvSum(static_cast<size_t>(shape.keys * dim)), dqSum(static_cast<size_t>(dim));
    Element4<View> dqView{dq}, dkView{dk}, dvView{dv};
    for (int64_t i = 0; i < shape.queries; ++i) {
      const float *qi = &qs[i * dim], *doi = &dos[i * dim];
      float rowDelta = dot(doi, &os[i * dim], dim);
      at(delta, b, h, i) = rowDelta;
      float rowLse = at(lse, b, h, i);
      std::fill(dqSum.begin(), dqSum.end(), 0.0f);
      for (int64_t j = 0, visible = visibleKeys(shape, causal, i); j < visible; ++j) {
        const float *kj = &ks[j * dim];
        float p = std::exp(scale * dot(qi, kj, dim) - rowLse);
        float roundedP = Elements<View>::operand(p);
        for (int64_t d = 0; d < dim; ++d)
          dvSum[j * dim + d] += roundedP * doi[d];
        float ds = Elements<View>::operand(p * (dot(doi, &vs[j * dim], dim) - rowDelta));
        for (int64_t d = 0; d < dim; ++d) {
          dqSum[d] += ds * kj[d];
          dkSum[j * dim + d] += ds * qi[d];
        }
      }
      for (int64_t d = 0; d < dim; ++d)
        dqView.store(b, h, i, d, scale * dqSum[d]);
    }
    for (int64_t j = 0; j < shape.keys; ++j)
      for (int64_t d = 0; d < dim; ++d) {
        dkView.store(b, h, j, d, scale * dkSum[j * dim + d]);
        dvView.store(b, h, j, d, dvSum[j * dim + d]);
      }
  }
};

/// Runs `work.run(b, h)` for every slice, a slice per task on the pool.
template <typename Work> void forEachSlice(const Work &work) {
  tgc_parallel_for(
      work.shape.slices(),
      [](void *context, int64_t begin, int64_t end) {
        const Work &self = *static_cast<const Work *>(context);
        for (int64_t slice = begin; slice < end; ++slice)
          self.run(slice / self.shape.heads, slice % self.shape.heads);
      },
      const_cast<Work *>(&work));
}

} // namespace

template <typename View>
AttentionShape checkAttentionForward(const char *function, const View &q, const View &k,
                                     const View &v, const View &out, const tgc_memref3_f32 &lse,
                                     int64_t causal, bool device) {
  AttentionShape shape = {q.sizes[0], q.sizes[1], q.sizes[2], k.sizes[2], q.sizes[3]};
  if (shape.batch < 0 || shape.heads < 0 || shape.queries < 0 || shape.keys < 0 || shape.dim < 0)
    fail(TGC_ERROR_ARGUMENT, "%s: negative sizes", function);
  int64_t batch = shape.batch, heads = shape.heads;
  checkSizes<4>(function, "k", k, {batch, heads, shape.keys, shape.dim}, "[B, H, Tk, D]");
  checkSizes<4>(function, "v", v, {batch, heads, shape.keys, shape.dim}, "[B, H, Tk, D]");
  checkSizes<4>(function, "out", out, {batch, heads, shape.queries, shape.dim}, "[B, H, Tq, D]");
  checkSizes<3>(function, "lse", lse, {batch, heads, shape.queries}, "[B, H, Tq]");
  if (causal != 0 && causal != 1)
    fail(TGC_ERROR_ARGUMENT, "%s: causal is %lld, expected 0 or 1", function, (long long)causal);
  if (causal && shape.keys < shape.queries)
    fail(TGC_ERROR_ARGUMENT, "%s: causal with %lld queries but only %lld keys", function,
         (long long)shape.queries, (long long)shape.keys);
  if (shape.keys == 0 && shape.queries > 0 && shape.slices() > 0)
    fail(TGC_ERROR_ARGUMENT, "%s: queries but no keys", function);
  if (device) {
    if (shape.dim != 64)
      fail(TGC_ERROR_ARGUMENT, "%s: D is %lld, expected 64", function, (long long)shape.dim);
    if (shape.queries % 64 != 0 || shape.keys % 64 != 0)
      fail(TGC_ERROR_ARGUMENT, "%s: Tq = %lld and Tk = %lld must be multiples of 64", function,
           (long long)shape.queries, (long long)shape.keys);
    if (shape.slices() > 65535)
      fail(TGC_ERROR_ARGUMENT, "%s: %lld slices (B * H), the kernels' grid takes at most 65535",
           function, (long long)shape.slices());
    for (auto [name, view] :
         {std::pair<const char *, const View *>{"q", &q}, {"k", &k}, {"v", &v}, {"out", &out}})
      checkDeviceView(function, name, *view);
    checkDeviceRows(function, "lse", lse);
  }
  return shape;
}

template <typename View>
AttentionShape checkAttentionBackward(const char *function, const View &q, const View &k,
                                      const View &v, const View &out, const View &dout,
                                      const tgc_memref3_f32 &lse, const View &dq, const View &dk,
                                      const View &dv, const tgc_memref3_f32 &delta, int64_t causal,
                                      bool device) {
  AttentionShape shape = checkAttentionForward(function, q, k, v, out, lse, causal, device);
  int64_t batch = shape.batch, heads = shape.heads;
  checkSizes<4>(function, "dout", dout, {batch, heads, shape.queries, shape.dim}, "[B, H, Tq, D]");
  checkSizes<4>(function, "dq", dq, {batch, heads, shape.queries, shape.dim}, "[B, H, Tq, D]");
  checkSizes<4>(function, "dk", dk, {batch, heads, shape.keys, shape.dim}, "[B, H, Tk, D]");
  checkSizes<4>(function, "dv", dv, {batch, heads, shape.keys, shape.dim}, "[B, H, Tk, D]");
  checkSizes<3>(function, "delta", delta, {batch, heads, shape.queries}, "[B, H, Tq]");
  if (device) {
    for (auto [name, view] : {std::pair<const char *, const View *>{"dout", &dout},
                              {"dq", &dq},
                              {"dk", &dk},
                              {"dv", &dv}})
      checkDeviceView(function, name, *view);
    checkDeviceRows(function, "delta", delta);
  }
  return shape;
}

template AttentionShape checkAttentionForward(const char *, const tgc_memref4_bf16 &,
                                              const tgc_memref4_bf16 &, const tgc_memref4_bf16 &,
                                              const tgc_memref4_bf16 &, const tgc_memref3_f32 &,
                                              int64_t, bool);
template AttentionShape checkAttentionForward(const char *, const tgc_memref4_f32 &,
                                              const tgc_memref4_f32 &, const tgc_memref4_f32 &,
                                              const tgc_memref4_f32 &, const tgc_memref3_f32 &,
                                              int64_t, bool);
template AttentionShape checkAttentionBackward(const char *, const tgc_memref4_bf16 &,
                                               const tgc_memref4_bf16 &, const tgc_memref4_bf16 &,
                                               const tgc_memref4_bf16 &, const tgc_memref4_bf16 &,
                                               const tgc_memref3_f32 &, const tgc_memref4_bf16 &,
                                               const tgc_memref4_bf16 &, const tgc_memref4_bf16 &,
                                               const tgc_memref3_f32 &, int64_t, bool);
template AttentionShape checkAttentionBackward(const char *, const tgc_memref4_f32 &,
                                               const tgc_memref4_f32 &, const tgc_memref4_f32 &,
                                               const tgc_memref4_f32 &, const tgc_memref4_f32 &,
                                               const tgc_memref3_f32 &, const tgc_memref4_f32 &,
                                               const tgc_memref4_f32 &, const tgc_memref4_f32 &,
                                               const tgc_memref3_f32 &, int64_t, bool);

namespace {

template <typename View>
void forward(const View &q, const View &k, const View &v, const View &out,
             const tgc_memref3_f32 &lse, int64_t causal, float scale) {
  orExit([&] {
    AttentionShape shape =
        checkAttentionForward("attention forward", q, k, v, out, lse, causal, false);
    forEachSlice(Forward<View>{q, k, v, out, lse, shape, causal != 0, scale});
  });
}

template <typename View>
void backward(const View &q, const View &k, const View &v, const View &out, const View &dout,
              const tgc_memref3_f32 &lse, const View &dq, const View &dk, const View &dv,
              const tgc_memref3_f32 &delta, int64_t causal, float scale) {
  orExit([&] {
    AttentionShape shape = checkAttentionBackward("attention backward", q, k, v, out, dout, lse, dq,
                                                  dk, dv, delta, causal, false);
    forEachSlice(
        Backward<View>{q, k, v, out, dout, lse, dq, dk, dv, delta, shape, causal != 0, scale});
  });
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_attention_forward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                             tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                             tgc_memref3_f32 *lse, int64_t causal, float scale) {
  forward(*q, *k, *v, *out, *lse, causal, scale);
}

void _mlir_ciface_tgc_attention_backward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                              tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                              tgc_memref4_bf16 *dout, tgc_memref3_f32 *lse,
                                              tgc_memref4_bf16 *dq, tgc_memref4_bf16 *dk,
                                              tgc_memref4_bf16 *dv, tgc_memref3_f32 *delta,
                                              int64_t causal, float scale) {
  backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale);
}

void _mlir_ciface_tgc_attention_forward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                            tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                            tgc_memref3_f32 *lse, int64_t causal, float scale) {
  forward(*q, *k, *v, *out, *lse, causal, scale);
}

void _mlir_ciface_tgc_attention_backward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                             tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                             tgc_memref4_f32 *dout, tgc_memref3_f32 *lse,
                                             tgc_memref4_f32 *dq, tgc_memref4_f32 *dk,
                                             tgc_memref4_f32 *dv, tgc_memref3_f32 *delta,
                                             int64_t causal, float scale) {
  backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale);
}

} // extern "C"
