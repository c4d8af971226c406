//===- MatmulAvx512.cpp - the matmul's AVX-512 kernels --------------------===//
//
// The only file compiled with AVX-512 enabled; Matmul.cpp calls into it only
// after checking that the CPU has AVX-512. The kernels are MatmulSimd.h's
// on 512-bit vectors (zmm registers): a 14 x 2-vector tile of C (14 x 32
// floats, 14 x 16 doubles).
//
//===----------------------------------------------------------------------===//

#include "MatmulSimd.h"

namespace tgc {
namespace {

template <typename T> struct Zmm;

template <> struct Zmm<float> {
  using Scalar = float;
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
  using Scalar = double;
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

/// 14 x 2 vectors of C in 28 of the 32 zmm registers: 28 FMAs for 16 loads
/// per step of k, which keeps both FMA units busy.
constexpr int kMr = 14;
/// The direct kernel: 6 rows (one pointer each) by 4 vectors.
template <typename T> using Avx512Kernels = simd::Kernels<Zmm<T>, kMr, 6, 4>;

} // namespace

// Blocks: a kc x nr panel of B (32 KiB) fits L1 next to the A panel
// streaming through it; an mc x kc block of A (168 KiB) sits in L2.
const MatmulKernels<float> kAvx512MatmulKernelsF32 =
    Avx512Kernels<float>::table(12 * kMr, 256, 2048);
const MatmulKernels<double> kAvx512MatmulKernelsF64 =
    Avx512Kernels<double>::table(12 * kMr, 256, 1024);

} // namespace tgc
