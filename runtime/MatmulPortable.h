//===- MatmulPortable.h - the matmul's kernels as plain loops -*- C++ -*-===//
//
// Plain loops over a fixed-size register tile that compilers vectorize: the
// kernels of CPUs without AVX2 and FMA, compiled by Matmul.cpp for baseline
// x86-64 (SSE2) or whatever else it targets. Internal linkage (an unnamed
// namespace), as the x86 sets' MatmulSimd.h.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_MATMULPORTABLE_H
#define TGC_RUNTIME_MATMULPORTABLE_H

#include "Matmul.h"

#include <cstdint>

namespace tgc {
namespace {

inline int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }

namespace portable {

template <typename T>
void pack(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t depthStride,
          int64_t count, int64_t depth) {
  for (int64_t first = 0; first < count; first += width, dst += width * depth) {
    int64_t panelCount = min(width, count - first);
    const T *panelSrc = src + first * indexStride;
    for (int64_t p = 0; p < depth; ++p)
      for (int64_t i = 0; i < width; ++i)
        dst[p * width + i] = i < panelCount ? panelSrc[i * indexStride + p * depthStride] : T(0);
  }
}

/// acc = A x B for one kMr x kNr tile, A's element (r, p) at
/// a[r * aRowStride + p * aColStride] and B's (p, s) at b[p * bRowStride + s].
/// Full tiles run constant trip counts, which compilers vectorize.
template <typename T, int64_t kMr, int64_t kNr, bool Full>
void multiplyTile(T (&acc)[kMr][kNr], int64_t rows, int64_t cols, int64_t k, const T *a,
                  int64_t aRowStride, int64_t aColStride, const T *b, int64_t bRowStride) {
  for (int64_t p = 0; p < k; ++p) {
    for (int64_t r = 0; r < (Full ? kMr : rows); ++r) {
      T aElement = a[r * aRowStride + p * aColStride];
      for (int64_t s = 0; s < (Full ? kNr : cols); ++s)
        acc[r][s] += aElement * b[p * bRowStride + s];
    }
  }
}

template <typename T, int64_t kMr, int64_t kNr>
void updateC(const T (&acc)[kMr][kNr], int64_t rows, int64_t cols, T *c, int64_t rowStride,
             int64_t colStride, bool overwrite) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t s = 0; s < cols; ++s) {
      T &element = c[r * rowStride + s * colStride];
      element = overwrite ? acc[r][s] : element + acc[r][s];
    }
  }
}

template <typename T, int64_t kMr, int64_t kNr>
void packedBlock(int64_t mc, int64_t nc, int64_t kc, const T *packedA, const T *packedB, T *c,
                 int64_t rowStride, int64_t colStride, bool overwrite) {
  for (int64_t j = 0; j < nc; j += kNr) {
    for (int64_t i = 0; i < mc; i += kMr) {
      // Packing padded the edge tiles with zeros: compute them whole.
      T acc[kMr][kNr] = {};
      multiplyTile<T, kMr, kNr, true>(acc, kMr, kNr, kc, packedA + i * kc, 1, kMr, packedB + j * kc,
                                      kNr);
      updateC(acc, min(kMr, mc - i), min(kNr, nc - j), c + i * rowStride + j * colStride, rowStride,
              colStride, overwrite);
    }
  }
}

template <typename T, int64_t kMr, int64_t kNr>
void directBlock(int64_t m, int64_t n, int64_t k, const T *a, int64_t aRowStride,
                 int64_t aColStride, const T *b, int64_t bRowStride, T *c, int64_t rowStride,
                 int64_t colStride, bool overwrite) {
  for (int64_t j = 0; j < n; j += kNr) {
    for (int64_t i = 0; i < m; i += kMr) {
      int64_t rows = min(kMr, m - i), cols = min(kNr, n - j);
      const T *aTile = a + i * aRowStride, *bTile = b + j;
      T acc[kMr][kNr] = {};
      if (rows == kMr && cols == kNr)
        multiplyTile<T, kMr, kNr, true>(acc, rows, cols, k, aTile, aRowStride, aColStride, bTile,
                                        bRowStride);
      else
        multiplyTile<T, kMr, kNr, false>(acc, rows, cols, k, aTile, aRowStride, aColStride, bTile,
                                         bRowStride);
      updateC(acc, rows, cols, c + i * rowStride + j * colStride, rowStride, colStride, overwrite);
    }
  }
}

/// The kernels for a kMr x kNr register tile.
template <typename T, int64_t kMr, int64_t kNr> constexpr MatmulKernels<T> kernels() {
  return {kMr,
          kNr,
          32 * kMr,
          256,
          64 * kNr,
          pack<T>,
          packedBlock<T, kMr, kNr>,
          kMr,
          kNr,
          directBlock<T, kMr, kNr>};
}

} // namespace portable

} // namespace
} // namespace tgc

#endif // TGC_RUNTIME_MATMULPORTABLE_H
