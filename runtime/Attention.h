//===- Attention.h - what the attention reference and kernels share -*- C++ -*-===//
//
// The host reference (Attention.cpp) and the CUDA kernels
// (CudaAttention.cpp) take the same views (runtime.h, Attention): both check
// them here, and both round to bf16 the same way (bf16 views; f32 views are
// never rounded).
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_ATTENTION_H
#define TGC_RUNTIME_ATTENTION_H

#include "CudaAttention.h"

#include "tgc/runtime.h"

#include <cstdint>
#include <cstring>

namespace tgc {

/// The float a bf16 holds (its bits are the float's upper half).
inline float bf16ToFloat(uint16_t bits) {
  uint32_t word = uint32_t(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof(value));
  return value;
}

/// `value` rounded to bf16, to nearest even; NaN stays a (quiet) NaN.
inline uint16_t floatToBF16(float value) {
  uint32_t word;
  std::memcpy(&word, &value, sizeof(word));
  if ((word & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((word >> 16) | 0x40u);
  word += 0x7fffu + ((word >> 16) & 1u);
  return uint16_t(word >> 16);
}

/// The sizes an attention call works on: batch * heads slices of Tq
/// queries and Tk keys of D elements.
struct AttentionShape {
  int64_t batch, heads, queries, keys, dim;
  int64_t slices() const { return batch * heads; }
};

/// The forward's views: q [B, H, Tq, D], k and v [B, H, Tk, D],
/// out [B, H, Tq, D], lse [B, H, Tq], `causal` 0 or 1 (then Tk >= Tq), at
/// least one key when there are queries. With `device`, also what the
/// kernels need: D == 64, Tq and Tk multiples of 64, at most 65535 slices,
/// unit stride along D, strides along B, H and T multiples of 16 bytes and
/// the first element 16-byte aligned (rows 16-byte aligned), statistics of
/// unit stride along Tq. Throws a RuntimeError (TGC_ERROR_ARGUMENT) that
/// names `function` and the first view that does not fit. View4 is
/// tgc_memref4_bf16 or tgc_memref4_f32.
template <typename View4>
AttentionShape checkAttentionForward(const char *function, const View4 &q, const View4 &k,
                                     const View4 &v, const View4 &out, const tgc_memref3_f32 &lse,
                                     int64_t causal, bool device);

/// The backward's: the forward's, and dout [B, H, Tq, D], dq, dk and dv
/// shaped as q, k and v, delta [B, H, Tq].
template <typename View4>
AttentionShape checkAttentionBackward(const char *function, const View4 &q, const View4 &k,
                                      const View4 &v, const View4 &out, const View4 &dout,
                                      const tgc_memref3_f32 &lse, const View4 &dq, const View4 &dk,
                                      const View4 &dv, const tgc_memref3_f32 &delta, int64_t causal,
                                      bool device);

/// A checked view as the kernels address it.
template <typename View> AttentionView kernelView(const View &view) {
  return {view.aligned + view.offset, view.strides[0], view.strides[1], view.strides[2]};
}

inline AttentionStatistics kernelStatistics(const tgc_memref3_f32 &view) {
  return {view.aligned + view.offset, view.strides[0], view.strides[1]};
}

/// The kernels' parameters for the forward's checked views.
template <typename View>
AttentionParams forwardParams(const AttentionShape &shape, const View &q, const View &k,
                              const View &v, const View &out, const tgc_memref3_f32 &lse,
                              int64_t causal, float scale) {
  AttentionParams params{};
  params.q = kernelView(q);
  params.k = kernelView(k);
  params.v = kernelView(v);
  params.out = kernelView(out);
  params.lse = kernelStatistics(lse);
  params.heads = int(shape.heads);
  params.queries = int(shape.queries);
  params.keys = int(shape.keys);
  params.causal = int(causal);
  params.scale = scale;
  return params;
}

/// The kernels' parameters for the backward's checked views.
template <typename View>
AttentionParams backwardParams(const AttentionShape &shape, const View &q, const View &k,
                               const View &v, const View &out, const View &dout,
                               const tgc_memref3_f32 &lse, const View &dq, const View &dk,
                               const View &dv, const tgc_memref3_f32 &delta, int64_t causal,
                               float scale) {
  AttentionParams params = forwardParams(shape, q, k, v, out, lse, causal, scale);
  params.dout = kernelView(dout);
  params.dq = kernelView(dq);
  params.dk = kernelView(dk);
  params.dv = kernelView(dv);
  params.delta = kernelStatistics(delta);
  return params;
}

} // namespace tgc

#endif // TGC_RUNTIME_ATTENTION_H
