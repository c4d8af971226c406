//===- Attention.h - what the attention reference and kernels share -*- C++ -*-===//
//
// The host reference (Attention.cpp) and the CUDA kernels
// (CudaAttention.cpp) take the same views (runtime.h, Attention): both check
// them here, and both round to bf16 the same way.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_ATTENTION_H
#define TGC_RUNTIME_ATTENTION_H

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
/// unit stride along D, strides along B, H and T multiples of 8 and the
/// first element 16-byte aligned (rows 16-byte aligned), statistics of unit
/// stride along Tq. Throws a RuntimeError (TGC_ERROR_ARGUMENT) that names
/// `function` and the first view that does not fit.
AttentionShape checkAttentionForward(const char *function, const tgc_memref4_bf16 &q,
                                     const tgc_memref4_bf16 &k, const tgc_memref4_bf16 &v,
                                     const tgc_memref4_bf16 &out, const tgc_memref3_f32 &lse,
                                     int64_t causal, bool device);

/// The backward's: the forward's, and dout [B, H, Tq, D], dq, dk and dv
/// shaped as q, k and v, delta [B, H, Tq].
AttentionShape checkAttentionBackward(const char *function, const tgc_memref4_bf16 &q,
                                      const tgc_memref4_bf16 &k, const tgc_memref4_bf16 &v,
                                      const tgc_memref4_bf16 &out, const tgc_memref4_bf16 &dout,
                                      const tgc_memref3_f32 &lse, const tgc_memref4_bf16 &dq,
                                      const tgc_memref4_bf16 &dk, const tgc_memref4_bf16 &dv,
                                      const tgc_memref3_f32 &delta, int64_t causal, bool device);

} // namespace tgc

#endif // TGC_RUNTIME_ATTENTION_H
