//===- Matmul.cpp - batched strided matmul --------------------------------===//
// A portable reference loop nest; the packed AVX-512 kernel replaces it.
#include "tgc/runtime.h"

namespace {
template <typename T, typename View>
void matmul(const View &a, const View &b, const View &c, bool accumulate) {
  int64_t batch = c.sizes[0], m = c.sizes[1], n = c.sizes[2], k = a.sizes[2];
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        T sum = 0;
        for (int64_t l = 0; l < k; ++l)
          sum += a.aligned[a.offset + p * a.strides[0] + i * a.strides[1] + l * a.strides[2]] *
                 b.aligned[b.offset + p * b.strides[0] + l * b.strides[1] + j * b.strides[2]];
        T &out = c.aligned[c.offset + p * c.strides[0] + i * c.strides[1] + j * c.strides[2]];
        out = accumulate ? out + sum : sum;
      }
}
} // namespace

extern "C" {
void _mlir_ciface_tgc_matmul_f32(tgc_memref3_f32 *a, tgc_memref3_f32 *b, tgc_memref3_f32 *c,
                                 int64_t accumulate) {
  matmul<float>(*a, *b, *c, accumulate != 0);
}
void _mlir_ciface_tgc_matmul_f64(tgc_memref3_f64 *a, tgc_memref3_f64 *b, tgc_memref3_f64 *c,
                                 int64_t accumulate) {
  matmul<double>(*a, *b, *c, accumulate != 0);
}
}
