//===- MatmulSimd.h - the matmul's kernels on explicit vectors -*- C++ -*-===//
//
// The kernels of the x86 sets, written once against a vector type's traits
// (Zmm in MatmulAvx512.cpp, Ymm in MatmulAvx2.cpp):
//
//   Scalar, Vec, Mask, kLanes      the element, vector and lane mask types
//   firstLanes(n)                  a mask of the first n lanes (n clamped)
//   zero(), load(p), load(m, p)    a masked load reads zeros past the mask
//   store(p, v), store(m, p, v)    and never touches memory there
//   broadcast(p), fma(a, b, c), add(a, b)
//   transpose(rows[kLanes])        rows[j] becomes column j
//
// The micro-kernel keeps an Mr x 2-vector tile of C in registers: per step
// of k it loads two vectors of packed B and multiplies them by Mr broadcast
// elements of packed A. Tiles at the edges of C use the same loop with
// fewer rows (a template argument) and masked stores, so every element of C
// is the same chain of FMAs wherever it lies.
//
// Everything has internal linkage (an unnamed namespace) and instantiates
// no library template, so the linker cannot hand code compiled for one
// instruction set to callers compiled for another.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_MATMULSIMD_H
#define TGC_RUNTIME_MATMULSIMD_H

#include "Matmul.h"

#include <immintrin.h>

#include <cstdint>
#include <utility>

namespace tgc {
namespace {
namespace simd {

inline int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }

template <typename Fn, int... I>
void withConstantImpl(int64_t value, Fn &fn, std::integer_sequence<int, I...>) {
  (void)((value == I + 1 ? (fn(std::integral_constant<int, I + 1>()), true) : false) || ...);
}

/// Calls fn(std::integral_constant<int, value>()) for 1 <= value <= Max:
/// a run-time tile size to the kernel compiled for it.
template <int Max, typename Fn> void withConstant(int64_t value, Fn &&fn) {
  withConstantImpl(value, fn, std::make_integer_sequence<int, Max>());
}

/// The kernels for vector traits Z: packed tiles of Mr x 2 vectors, direct
/// tiles of DirectRows x DirectVectors vectors.
template <typename Z, int Mr, int DirectRows, int DirectVectors> struct Kernels {
  using T = typename Z::Scalar;
  using Vec = typename Z::Vec;
  using Mask = typename Z::Mask;
  static constexpr int64_t kNr = 2 * Z::kLanes;

  /// The first n lanes at p, zeros past them. Masks only where needed: on
  /// some CPUs (AMD's) masked accesses cost several times plain ones.
  static Vec loadFirst(const T *p, int64_t n) {
    return n >= Z::kLanes ? Z::load(p) : Z::load(Z::firstLanes(n), p);
  }
  /// Stores the first n lanes of v at p; all of them when `overrun` says
  /// that what follows the n is written later anyway.
  static void storeFirst(T *p, int64_t n, Vec v, bool overrun) {
    if (n >= Z::kLanes || overrun)
      Z::store(p, v);
    else
      Z::store(Z::firstLanes(n), p, v);
  }

  /// C[Rows x cols] (+)= acc, cols <= Vectors * kLanes.
  template <int Rows, int Vectors>
  static void updateC(Vec (&acc)[Rows][Vectors], T *c, int64_t rowStride, int64_t colStride,
                      int64_t cols, bool overwrite) {
    if (colStride == 1) {
      for (int i = 0; i < Rows; ++i) {
        for (int v = 0; v < Vectors; ++v) {
          T *row = c + i * rowStride + v * Z::kLanes;
          int64_t lanes = cols - v * Z::kLanes;
          storeFirst(row, lanes, overwrite ? acc[i][v] : Z::add(loadFirst(row, lanes), acc[i][v]),
                     false);
        }
      }
      return;
    }
    // C strided along its rows: through memory, with the same additions.
    alignas(64) T tile[Rows][Vectors * Z::kLanes];
    for (int i = 0; i < Rows; ++i)
      for (int v = 0; v < Vectors; ++v)
        Z::store(&tile[i][v * Z::kLanes], acc[i][v]);
    for (int i = 0; i < Rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        T &element = c[i * rowStride + j * colStride];
        element = overwrite ? tile[i][j] : element + tile[i][j];
      }
    }
  }

  /// C[Rows x cols] (+)= A x B from an A panel packed with width Mr and a B
  /// panel packed with width kNr.
  template <int Rows>
  static void packedTile(int64_t kc, const T *a, const T *b, T *c, int64_t rowStride,
                         int64_t colStride, int64_t cols, bool overwrite) {
    // C's tile is needed only at the end: fetch it now, under the FMAs, into
    // L2 (rows a power of two apart share L1 sets and would evict each other).
    if (colStride == 1) {
      for (int i = 0; i < Rows; ++i)
        for (int element : {0, Z::kLanes, 2 * Z::kLanes - 1})
          _mm_prefetch(reinterpret_cast<const char *>(c + i * rowStride + element), _MM_HINT_T1);
    }
    Vec acc[Rows][2];
    for (int i = 0; i < Rows; ++i)
      acc[i][0] = acc[i][1] = Z::zero();
    for (int64_t p = 0; p < kc; ++p, a += Mr, b += kNr) {
      Vec b0 = Z::load(b), b1 = Z::load(b + Z::kLanes);
      for (int i = 0; i < Rows; ++i) {
        Vec ai = Z::broadcast(a + i);
        acc[i][0] = Z::fma(ai, b0, acc[i][0]);
        acc[i][1] = Z::fma(ai, b1, acc[i][1]);
      }
    }
    updateC<Rows, 2>(acc, c, rowStride, colStride, cols, overwrite);
  }

  static void packedBlock(int64_t mc, int64_t nc, int64_t kc, const T *packedA, const T *packedB,
                          T *c, int64_t rowStride, int64_t colStride, bool overwrite) {
    // Column panels outside: the kc x kNr panel of B stays in L1 while the
    // panels of A stream through it from L2.
    for (int64_t j = 0; j < nc; j += kNr) {
      int64_t cols = min(kNr, nc - j);
      const T *b = packedB + j * kc;
      for (int64_t i = 0; i < mc; i += Mr) {
        const T *a = packedA + i * kc;
        T *cTile = c + i * rowStride + j * colStride;
        if (mc - i >= Mr) {
          packedTile<Mr>(kc, a, b, cTile, rowStride, colStride, cols, overwrite);
          continue;
        }
        withConstant<Mr - 1>(mc - i, [&](auto rows) {
          packedTile<rows>(kc, a, b, cTile, rowStride, colStride, cols, overwrite);
        });
      }
    }
  }

  /// C[Rows x cols] (+)= A x B with A and B in place: A through one pointer
  /// per row, B (column stride 1) by rows. When Masked, the last vector of B
  /// is loaded through a mask that stays inside B (only there: a masked
  /// load costs more than a plain one).
  template <int Rows, int Vectors, bool Masked>
  static void directTile(int64_t k, const T *a, int64_t aRowStride, int64_t aColStride, const T *b,
                         int64_t bRowStride, T *c, int64_t rowStride, int64_t colStride,
                         int64_t cols, bool overwrite) {
    const T *aRows[Rows];
    Vec acc[Rows][Vectors];
    for (int i = 0; i < Rows; ++i) {
      aRows[i] = a + i * aRowStride;
      for (int v = 0; v < Vectors; ++v)
        acc[i][v] = Z::zero();
    }
    Mask lastMask = Z::firstLanes(cols - (Vectors - 1) * Z::kLanes);
    for (int64_t p = 0, aOffset = 0; p < k; ++p, aOffset += aColStride, b += bRowStride) {
      Vec bv[Vectors];
      for (int v = 0; v < Vectors; ++v) {
        bool masked = Masked && v == Vectors - 1;
        bv[v] = masked ? Z::load(lastMask, b + v * Z::kLanes) : Z::load(b + v * Z::kLanes);
      }
      for (int i = 0; i < Rows; ++i) {
        Vec ai = Z::broadcast(aRows[i] + aOffset);
        for (int v = 0; v < Vectors; ++v)
          acc[i][v] = Z::fma(ai, bv[v], acc[i][v]);
      }
    }
    updateC<Rows, Vectors>(acc, c, rowStride, colStride, cols, overwrite);
  }

  static void directBlock(int64_t m, int64_t n, int64_t k, const T *a, int64_t aRowStride,
                          int64_t aColStride, const T *b, int64_t bRowStride, T *c,
                          int64_t rowStride, int64_t colStride, bool overwrite) {
    constexpr int64_t lanes = Z::kLanes;
    // Columns [j, j + cols) in tiles of every row.
    auto columnOfTiles = [&](int64_t j, int64_t cols, auto vectors, auto masked) {
      for (int64_t i = 0; i < m; i += DirectRows) {
        withConstant<DirectRows>(min(DirectRows, m - i), [&](auto rows) {
          directTile<rows, vectors, masked>(k, a + i * aRowStride, aRowStride, aColStride, b + j,
                                            bRowStride, c + i * rowStride + j * colStride,
                                            rowStride, colStride, cols, overwrite);
        });
      }
    };
    // Tiles of DirectVectors vectors; the last of the last tile masked when
    // the vectors do not divide n: 10 columns of 8 lanes are one pass over
    // A with two vectors, not one with a vector and one with a masked one.
    for (int64_t j = 0; j < n; j += DirectVectors * lanes) {
      int64_t cols = min(DirectVectors * lanes, n - j);
      int64_t vectors = (cols + lanes - 1) / lanes;
      withConstant<DirectVectors>(vectors, [&](auto constantVectors) {
        if (cols % lanes == 0)
          columnOfTiles(j, cols, constantVectors, std::false_type());
        else
          columnOfTiles(j, cols, constantVectors, std::true_type());
      });
    }
  }

  /// pack() where the index runs along memory (a row-major B, a transposed
  /// A): source row by source row, so that reads stream through whole rows
  /// rather than hop from page to page.
  static void packContiguous(T *dst, int64_t width, const T *src, int64_t depthStride,
                             int64_t count, int64_t depth) {
    // A panel narrower than a vector (an A panel of Mr < kLanes rows) may
    // spill into its next row, which a later p writes.
    bool narrow = width <= Z::kLanes;
    for (int64_t p = 0; p < depth; ++p, src += depthStride) {
      for (int64_t first = 0; first < count; first += width) {
        T *panelRow = dst + first * depth + p * width;
        for (int64_t lane = 0; lane < width; lane += Z::kLanes)
          storeFirst(panelRow + lane, width - lane,
                     loadFirst(src + first + lane, count - first - lane), narrow && p + 1 < depth);
      }
    }
  }

  /// One panel of pack() whose depth runs along memory (a row-major A, a
  /// transposed B): kLanes x kLanes blocks loaded by index, transposed in
  /// registers and stored by depth.
  static void packTransposedPanel(T *dst, int64_t width, const T *src, int64_t indexStride,
                                  int64_t count, int64_t depth) {
    for (int64_t p = 0; p < depth; p += Z::kLanes) {
      int64_t depthLeft = min(Z::kLanes, depth - p);
      for (int64_t first = 0; first < width; first += Z::kLanes) {
        Vec block[Z::kLanes];
        for (int64_t i = 0; i < Z::kLanes; ++i) {
          int64_t index = first + i;
          block[i] =
              index < count ? loadFirst(src + index * indexStride + p, depthLeft) : Z::zero();
        }
        Z::transpose(block);
        // As in packContiguous: a narrow panel's row may spill into the next.
        for (int64_t q = 0; q < depthLeft; ++q)
          storeFirst(dst + (p + q) * width + first, width - first, block[q],
                     width <= Z::kLanes && p + q + 1 < depth);
      }
    }
  }

  static void pack(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t depthStride,
                   int64_t count, int64_t depth) {
    if (indexStride == 1) {
      packContiguous(dst, width, src, depthStride, count, depth);
      return;
    }
    for (int64_t first = 0; first < count; first += width) {
      int64_t panelCount = min(width, count - first);
      const T *panelSrc = src + first * indexStride;
      if (depthStride == 1) {
        packTransposedPanel(dst, width, panelSrc, indexStride, panelCount, depth);
      } else {
        for (int64_t p = 0; p < depth; ++p)
          for (int64_t i = 0; i < width; ++i)
            dst[p * width + i] =
                i < panelCount ? panelSrc[i * indexStride + p * depthStride] : T(0);
      }
      dst += width * depth;
    }
  }

  /// The kernel set with cache blocks of mc x kc (A) and kc x nc (B).
  static constexpr MatmulKernels<T> table(int64_t mc, int64_t kc, int64_t nc) {
    return {Mr,         kNr, mc, kc, nc, pack, packedBlock, DirectRows, DirectVectors * Z::kLanes,
            directBlock};
  }
};

} // namespace simd
} // namespace
} // namespace tgc

#endif // TGC_RUNTIME_MATMULSIMD_H
