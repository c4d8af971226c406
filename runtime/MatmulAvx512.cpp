//===- MatmulAvx512.cpp - the matmul's AVX-512 kernels --------------------===//
//
// The only file compiled with AVX-512 enabled; Matmul.cpp calls into it only
// after checking that the CPU has AVX-512. Everything but the two kernel
// tables has internal linkage, and nothing here instantiates a library
// template, so the linker cannot hand code compiled for AVX-512 to callers
// elsewhere that must run on any x86-64.
//
// The micro-kernel keeps a 14 x 2-vector tile of C (14 x 32 floats, 14 x 16
// doubles) in 28 of the 32 zmm registers: per step of k it loads two vectors
// of packed B and multiplies them by 14 broadcast elements of packed A, 28
// FMAs for 16 loads, which keeps both FMA units busy. Tiles at the edges of
// C use the same loop with fewer rows (a template argument) and masked
// stores, so every element of C is the same chain of FMAs wherever it lies.
//
//===----------------------------------------------------------------------===//

#include "Matmul.h"

#include <immintrin.h>

#include <cstdint>
#include <utility>

namespace tgc {
namespace {

template <typename T> struct Zmm;

template <> struct Zmm<float> {
  using Vec = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;

  /// The first `n` lanes, n clamped to [0, kLanes].
  static Mask firstLanes(int64_t n) {
    return n <= 0 ? 0 : n >= kLanes ? Mask(0xffff) : Mask((1u << n) - 1);
  }
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec load(const float *p) { return _mm512_loadu_ps(p); }
  static Vec load(Mask m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
  static void store(Mask m, float *p, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
  static void store(float *p, Vec v) { _mm512_storeu_ps(p, v); }
  static Vec broadcast(const float *p) { return _mm512_set1_ps(*p); }
  static Vec fma(Vec a, Vec b, Vec acc) { return _mm512_fmadd_ps(a, b, acc); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }

  /// rows[j] becomes column j of the 16 x 16 matrix with rows `rows`.
  static void transpose(Vec rows[kLanes]) {
    // Pairs of rows interleaved, then pairs of pairs: u[4g + c] holds, in
    // 128-bit block b, column 4b + c of rows 4g..4g+3.
    Vec t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(rows[i], rows[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int g = 0; g < 16; g += 4) {
      for (int h = 0; h < 2; ++h) {
        __m512d lo = _mm512_castps_pd(t[g + h]), hi = _mm512_castps_pd(t[g + h + 2]);
        u[g + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo, hi));
        u[g + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo, hi));
      }
    }
    // Then gather block b of u[c], u[4 + c], u[8 + c], u[12 + c].
    for (int c = 0; c < 4; ++c) {
      Vec even01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
      Vec odd01 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xdd);
      Vec even23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
      Vec odd23 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xdd);
      rows[c] = _mm512_shuffle_f32x4(even01, even23, 0x88);
      rows[4 + c] = _mm512_shuffle_f32x4(odd01, odd23, 0x88);
      rows[8 + c] = _mm512_shuffle_f32x4(even01, even23, 0xdd);
      rows[12 + c] = _mm512_shuffle_f32x4(odd01, odd23, 0xdd);
    }
  }
};

template <> struct Zmm<double> {
  using Vec = __m512d;
  using Mask = __mmask8;
  static constexpr int kLanes = 8;

  static Mask firstLanes(int64_t n) {
    return n <= 0 ? 0 : n >= kLanes ? Mask(0xff) : Mask((1u << n) - 1);
  }
  static Vec zero() { return _mm512_setzero_pd(); }
  static Vec load(const double *p) { return _mm512_loadu_pd(p); }
  static Vec load(Mask m, const double *p) { return _mm512_maskz_loadu_pd(m, p); }
  static void store(Mask m, double *p, Vec v) { _mm512_mask_storeu_pd(p, m, v); }
  static void store(double *p, Vec v) { _mm512_storeu_pd(p, v); }
  static Vec broadcast(const double *p) { return _mm512_set1_pd(*p); }
  static Vec fma(Vec a, Vec b, Vec acc) { return _mm512_fmadd_pd(a, b, acc); }
  static Vec add(Vec a, Vec b) { return _mm512_add_pd(a, b); }

  static void transpose(Vec rows[kLanes]) {
    // t[2g + c] holds, in 128-bit block b, column 2b + c of rows 2g, 2g + 1.
    Vec t[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm512_unpacklo_pd(rows[i], rows[i + 1]);
      t[i + 1] = _mm512_unpackhi_pd(rows[i], rows[i + 1]);
    }
    for (int c = 0; c < 2; ++c) {
      Vec even01 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0x88);
      Vec odd01 = _mm512_shuffle_f64x2(t[c], t[2 + c], 0xdd);
      Vec even23 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0x88);
      Vec odd23 = _mm512_shuffle_f64x2(t[4 + c], t[6 + c], 0xdd);
      rows[c] = _mm512_shuffle_f64x2(even01, even23, 0x88);
      rows[2 + c] = _mm512_shuffle_f64x2(odd01, odd23, 0x88);
      rows[4 + c] = _mm512_shuffle_f64x2(even01, even23, 0xdd);
      rows[6 + c] = _mm512_shuffle_f64x2(odd01, odd23, 0xdd);
    }
  }
};

constexpr int64_t kMr = 14;
/// Rows of the direct kernel: it reads A through one pointer per row.
constexpr int64_t kDirectRows = 6;
/// Vectors per row of the direct kernel.
constexpr int kDirectVectors = 4;

int64_t min(int64_t a, int64_t b) { return a < b ? a : b; }

template <typename Fn, int... I>
void withConstantImpl(int64_t value, Fn &fn, std::integer_sequence<int, I...>) {
  (void)((value == I + 1 ? (fn(std::integral_constant<int, I + 1>()), true) : false) || ...);
}

/// Calls fn(std::integral_constant<int, value>()) for 1 <= value <= Max:
/// a run-time tile size to the kernel compiled for it.
template <int Max, typename Fn> void withConstant(int64_t value, Fn &&fn) {
  withConstantImpl(value, fn, std::make_integer_sequence<int, Max>());
}

/// C[Rows x cols] (+)= acc, cols <= Vectors * kLanes.
template <typename T, int Rows, int Vectors>
void updateC(typename Zmm<T>::Vec (&acc)[Rows][Vectors], T *c, int64_t rowStride,
             int64_t colStride, int64_t cols, bool overwrite) {
  using Z = Zmm<T>;
  if (colStride == 1) {
    for (int i = 0; i < Rows; ++i) {
      for (int v = 0; v < Vectors; ++v) {
        T *row = c + i * rowStride + v * Z::kLanes;
        typename Z::Mask mask = Z::firstLanes(cols - v * Z::kLanes);
        Z::store(mask, row, overwrite ? acc[i][v] : Z::add(Z::load(mask, row), acc[i][v]));
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

/// C[Rows x cols] (+)= A x B from an A panel packed with width kMr and a B
/// panel packed with width 2 vectors.
template <typename T, int Rows>
void packedTile(int64_t kc, const T *a, const T *b, T *c, int64_t rowStride, int64_t colStride,
                int64_t cols, bool overwrite) {
  using Z = Zmm<T>;
  // C's tile is needed only at the end: fetch it now, under the FMAs, into
  // L2 (rows a power of two apart share L1 sets and would evict each other).
  if (colStride == 1) {
    for (int i = 0; i < Rows; ++i)
      for (int element : {0, Z::kLanes, 2 * Z::kLanes - 1})
        _mm_prefetch(reinterpret_cast<const char *>(c + i * rowStride + element), _MM_HINT_T1);
  }
  typename Z::Vec acc[Rows][2];
  for (int i = 0; i < Rows; ++i)
    acc[i][0] = acc[i][1] = Z::zero();
  for (int64_t p = 0; p < kc; ++p, a += kMr, b += 2 * Z::kLanes) {
    typename Z::Vec b0 = Z::load(b), b1 = Z::load(b + Z::kLanes);
    for (int i = 0; i < Rows; ++i) {
      typename Z::Vec ai = Z::broadcast(a + i);
      acc[i][0] = Z::fma(ai, b0, acc[i][0]);
      acc[i][1] = Z::fma(ai, b1, acc[i][1]);
    }
  }
  updateC<T, Rows, 2>(acc, c, rowStride, colStride, cols, overwrite);
}

template <typename T>
void packedBlock(int64_t mc, int64_t nc, int64_t kc, const T *packedA, const T *packedB, T *c,
                 int64_t rowStride, int64_t colStride, bool overwrite) {
  constexpr int64_t nr = 2 * Zmm<T>::kLanes;
  // Column panels outside: the kc x nr panel of B stays in L1 while the
  // panels of A stream through it from L2.
  for (int64_t j = 0; j < nc; j += nr) {
    int64_t cols = min(nr, nc - j);
    const T *b = packedB + j * kc;
    for (int64_t i = 0; i < mc; i += kMr) {
      const T *a = packedA + i * kc;
      T *cTile = c + i * rowStride + j * colStride;
      if (mc - i >= kMr) {
        packedTile<T, kMr>(kc, a, b, cTile, rowStride, colStride, cols, overwrite);
        continue;
      }
      withConstant<kMr - 1>(mc - i, [&](auto rows) {
        packedTile<T, rows>(kc, a, b, cTile, rowStride, colStride, cols, overwrite);
      });
    }
  }
}

/// C[Rows x cols] (+)= A x B with A and B in place: A through one pointer
/// per row, B (column stride 1) by rows. When Masked, the last vector of B
/// is loaded through a mask that stays inside B (only there: a masked load
/// costs an extra uop on the FMA ports).
template <typename T, int Rows, int Vectors, bool Masked>
void directTile(int64_t k, const T *a, int64_t aRowStride, int64_t aColStride, const T *b,
                int64_t bRowStride, T *c, int64_t rowStride, int64_t colStride, int64_t cols,
                bool overwrite) {
  using Z = Zmm<T>;
  const T *aRows[Rows];
  typename Z::Vec acc[Rows][Vectors];
  for (int i = 0; i < Rows; ++i) {
    aRows[i] = a + i * aRowStride;
    for (int v = 0; v < Vectors; ++v)
      acc[i][v] = Z::zero();
  }
  typename Z::Mask lastMask = Z::firstLanes(cols - (Vectors - 1) * Z::kLanes);
  for (int64_t p = 0, aOffset = 0; p < k; ++p, aOffset += aColStride, b += bRowStride) {
    typename Z::Vec bv[Vectors];
    for (int v = 0; v < Vectors; ++v) {
      bool masked = Masked && v == Vectors - 1;
      bv[v] = masked ? Z::load(lastMask, b + v * Z::kLanes) : Z::load(b + v * Z::kLanes);
    }
    for (int i = 0; i < Rows; ++i) {
      typename Z::Vec ai = Z::broadcast(aRows[i] + aOffset);
      for (int v = 0; v < Vectors; ++v)
        acc[i][v] = Z::fma(ai, bv[v], acc[i][v]);
    }
  }
  updateC<T, Rows, Vectors>(acc, c, rowStride, colStride, cols, overwrite);
}

template <typename T>
void directBlock(int64_t m, int64_t n, int64_t k, const T *a, int64_t aRowStride,
                 int64_t aColStride, const T *b, int64_t bRowStride, T *c, int64_t rowStride,
                 int64_t colStride, bool overwrite) {
  constexpr int64_t lanes = Zmm<T>::kLanes;
  // Columns [j, j + cols) in tiles of every row.
  auto columnOfTiles = [&](int64_t j, int64_t cols, auto vectors, auto masked) {
    for (int64_t i = 0; i < m; i += kDirectRows) {
      withConstant<kDirectRows>(min(kDirectRows, m - i), [&](auto rows) {
        directTile<T, rows, vectors, masked>(k, a + i * aRowStride, aRowStride, aColStride,
                                             b + j, bRowStride, c + i * rowStride + j * colStride,
                                             rowStride, colStride, cols, overwrite);
      });
    }
  };
  // Whole vectors first, then what is left in one masked vector.
  int64_t wholeCols = n / lanes * lanes;
  for (int64_t j = 0; j < wholeCols; j += kDirectVectors * lanes) {
    int64_t cols = min(kDirectVectors * lanes, wholeCols - j);
    withConstant<kDirectVectors>(cols / lanes, [&](auto vectors) {
      columnOfTiles(j, cols, vectors, std::false_type());
    });
  }
  if (wholeCols < n)
    columnOfTiles(wholeCols, n - wholeCols, std::integral_constant<int, 1>(), std::true_type());
}

/// pack() where the index runs along memory (a row-major B, a transposed
/// A): source row by source row, so that reads stream through whole rows
/// rather than hop from page to page.
template <typename T>
void packContiguous(T *dst, int64_t width, const T *src, int64_t depthStride, int64_t count,
                    int64_t depth) {
  using Z = Zmm<T>;
  for (int64_t p = 0; p < depth; ++p, src += depthStride) {
    for (int64_t first = 0; first < count; first += width) {
      T *panelRow = dst + first * depth + p * width;
      if (count - first >= width && width % Z::kLanes == 0) {
        for (int64_t lane = 0; lane < width; lane += Z::kLanes)
          Z::store(panelRow + lane, Z::load(src + first + lane));
        continue;
      }
      for (int64_t lane = 0; lane < width; lane += Z::kLanes)
        Z::store(Z::firstLanes(width - lane), panelRow + lane,
                 Z::load(Z::firstLanes(count - first - lane), src + first + lane));
    }
  }
}

/// One panel of pack() whose depth runs along memory (a row-major A, a
/// transposed B): kLanes x kLanes blocks loaded by index, transposed in
/// registers and stored by depth.
template <typename T>
void packTransposedPanel(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t count,
                         int64_t depth) {
  using Z = Zmm<T>;
  for (int64_t p = 0; p < depth; p += Z::kLanes) {
    int64_t depthLeft = min(Z::kLanes, depth - p);
    typename Z::Mask depthMask = Z::firstLanes(depthLeft);
    for (int64_t first = 0; first < width; first += Z::kLanes) {
      typename Z::Vec block[Z::kLanes];
      for (int64_t i = 0; i < Z::kLanes; ++i) {
        int64_t index = first + i;
        block[i] = index < count ? Z::load(depthMask, src + index * indexStride + p) : Z::zero();
      }
      Z::transpose(block);
      typename Z::Mask widthMask = Z::firstLanes(width - first);
      for (int64_t q = 0; q < depthLeft; ++q)
        Z::store(widthMask, dst + (p + q) * width + first, block[q]);
    }
  }
}

template <typename T>
void pack(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t depthStride,
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
          dst[p * width + i] = i < panelCount ? panelSrc[i * indexStride + p * depthStride] : T(0);
    }
    dst += width * depth;
  }
}

} // namespace

// Blocks: a kc x nr panel of B (32 KiB) fits L1 next to the A panel
// streaming through it; an mc x kc block of A (168 KiB) sits in L2.
const MatmulKernels<float> kAvx512MatmulKernelsF32 = {
    kMr,          32, 12 * kMr, 256, 2048, pack<float>, packedBlock<float>, kDirectRows,
    kDirectVectors * 16, directBlock<float>};
const MatmulKernels<double> kAvx512MatmulKernelsF64 = {
    kMr,         16, 12 * kMr, 256, 1024, pack<double>, packedBlock<double>, kDirectRows,
    kDirectVectors * 8, directBlock<double>};

} // namespace tgc
