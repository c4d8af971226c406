//===- MatmulAvx2.cpp - the matmul's AVX2 + FMA kernels -------------------===//
//
// The only file compiled with AVX2 and FMA enabled; Matmul.cpp calls into it
// only after checking that the CPU has both (an AMD EPYC without AVX-512,
// say). The kernels are MatmulSimd.h's on 256-bit vectors (ymm registers):
// a 6 x 2-vector tile of C (6 x 16 floats, 6 x 8 doubles) in 12 of the 16
// registers, with two for B and one for the broadcast element of A.
//
//===----------------------------------------------------------------------===//

#include "MatmulSimd.h"

namespace tgc {
namespace {

template <typename T> struct Ymm;

template <> struct Ymm<float> {
  using Scalar = float;
  using Vec = __m256;
  /// AVX2 masks are vectors: all ones in the lanes taken.
  using Mask = __m256i;
  static constexpr int kLanes = 8;

  static Mask firstLanes(int64_t n) {
    int clamped = n <= 0 ? 0 : n >= kLanes ? kLanes : int(n);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(clamped),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec load(const float *p) { return _mm256_loadu_ps(p); }
  static Vec load(Mask m, const float *p) { return _mm256_maskload_ps(p, m); }
  static void store(Mask m, float *p, Vec v) { _mm256_maskstore_ps(p, m, v); }
  static void store(float *p, Vec v) { _mm256_storeu_ps(p, v); }
  static Vec broadcast(const float *p) { return _mm256_broadcast_ss(p); }
  static Vec fma(Vec a, Vec b, Vec acc) { return _mm256_fmadd_ps(a, b, acc); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }

  static void transpose(Vec rows[kLanes]) {
    // Pairs of rows interleaved, then pairs of pairs: u[4g + c] holds, in
    // 128-bit half h, column 4h + c of rows 4g..4g+3.
    Vec t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(rows[i], rows[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(rows[i], rows[i + 1]);
    }
    for (int g = 0; g < 8; g += 4) {
      u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
      u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xee);
      u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
      u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xee);
    }
    for (int c = 0; c < 4; ++c) {
      rows[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
      rows[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
    }
  }
};

template <> struct Ymm<double> {
  using Scalar = double;
  using Vec = __m256d;
  using Mask = __m256i;
  static constexpr int kLanes = 4;

  static Mask firstLanes(int64_t n) {
    int64_t clamped = n <= 0 ? 0 : n >= kLanes ? kLanes : n;
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(clamped), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static Vec zero() { return _mm256_setzero_pd(); }
  static Vec load(const double *p) { return _mm256_loadu_pd(p); }
  static Vec load(Mask m, const double *p) { return _mm256_maskload_pd(p, m); }
  static void store(Mask m, double *p, Vec v) { _mm256_maskstore_pd(p, m, v); }
  static void store(double *p, Vec v) { _mm256_storeu_pd(p, v); }
  static Vec broadcast(const double *p) { return _mm256_broadcast_sd(p); }
  static Vec fma(Vec a, Vec b, Vec acc) { return _mm256_fmadd_pd(a, b, acc); }
  static Vec add(Vec a, Vec b) { return _mm256_add_pd(a, b); }

  static void transpose(Vec rows[kLanes]) {
    // t[2g + c] holds, in 128-bit half h, column 2h + c of rows 2g, 2g + 1.
    Vec t[4];
    for (int i = 0; i < 4; i += 2) {
      t[i] = _mm256_unpacklo_pd(rows[i], rows[i + 1]);
      t[i + 1] = _mm256_unpackhi_pd(rows[i], rows[i + 1]);
    }
    for (int c = 0; c < 2; ++c) {
      rows[c] = _mm256_permute2f128_pd(t[c], t[2 + c], 0x20);
      rows[2 + c] = _mm256_permute2f128_pd(t[c], t[2 + c], 0x31);
    }
  }
};

/// The direct kernel: 6 rows (one pointer each) by 2 vectors, the packed
/// kernel's registers.
template <typename T> using Avx2Kernels = simd::Kernels<Ymm<T>, 6, 6, 2>;

} // namespace

// Blocks: a kc x nr panel of B (16 KiB of floats) fits L1 next to the A
// panel streaming through it; an mc x kc block of A (192 KiB) sits in L2.
const MatmulKernels<float> kAvx2MatmulKernelsF32 = Avx2Kernels<float>::table(192, 256, 1024);
const MatmulKernels<double> kAvx2MatmulKernelsF64 = Avx2Kernels<double>::table(192, 256, 512);

} // namespace tgc
