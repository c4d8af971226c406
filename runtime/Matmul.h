//===- Matmul.h - the matmul's driver and kernel sets -----------*- C++ -*-===//
//
// The driver (Matmul.cpp) splits a batched matmul over threads, blocks it for
// the caches and packs operands; a kernel set does the arithmetic. There is
// one set per instruction set: portable C++ (Matmul.cpp), AVX2 + FMA
// and AVX-512 (MatmulSimd.h's kernels, compiled in MatmulAvx2.cpp and
// MatmulAvx512.cpp, the only files built for those instruction sets).
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_MATMUL_H
#define TGC_RUNTIME_MATMUL_H

#include "tgc/runtime.h"

#include <cstdint>

namespace tgc {

/// The arithmetic of a matmul on one instruction set. Matrices are given by
/// a pointer to element (0, 0), a row stride and a column stride (in
/// elements). `overwrite` asks for C = A x B rather than C += A x B.
template <typename T> struct MatmulKernels {
  /// The register tile of packedBlock: mr rows by nr columns of C.
  int64_t mr, nr;
  /// Cache blocking: packed A blocks are at most mc x kc, packed B blocks
  /// kc x nc (mc a multiple of mr, nc of nr).
  int64_t mc, kc, nc;

  /// Copies `count` x `depth` elements, element (i, p) at
  /// src[i * indexStride + p * depthStride], into ceil(count / width)
  /// panels of depth x width: panel q holds element (q * width + i, p) at
  /// [q * width * depth + p * width + i], and zeros past `count`. A block of
  /// A is packed with width mr (index: its rows), one of B with width nr
  /// (index: its columns).
  void (*pack)(T *dst, int64_t width, const T *src, int64_t indexStride, int64_t depthStride,
               int64_t count, int64_t depth);

  /// C[mc x nc] (+)= A x B, from A packed with width mr and B packed with
  /// width nr (both of depth kc). C's strides are any.
  void (*packedBlock)(int64_t mc, int64_t nc, int64_t kc, const T *packedA, const T *packedB, T *c,
                      int64_t cRowStride, int64_t cColStride, bool overwrite);

  /// C[m x n] (+)= A[m x k] x B[k x n] read in place: no packing, for
  /// problems too small or thin to pay for it. B's column stride must be 1
  /// (the driver copies a B whose is not). Its register tile is
  /// directMr x directNr.
  int64_t directMr, directNr;
  void (*directBlock)(int64_t m, int64_t n, int64_t k, const T *a, int64_t aRowStride,
                      int64_t aColStride, const T *b, int64_t bRowStride, T *c,
                      int64_t cRowStride, int64_t cColStride, bool overwrite);
};

extern const MatmulKernels<float> kAvx512MatmulKernelsF32;
extern const MatmulKernels<double> kAvx512MatmulKernelsF64;
extern const MatmulKernels<float> kAvx2MatmulKernelsF32;
extern const MatmulKernels<double> kAvx2MatmulKernelsF64;

/// Which kernel set the matmul uses.
enum class MatmulIsa { Portable, Avx2, Avx512 };

/// What the CPU supports best.
MatmulIsa bestMatmulIsa();

/// Whether the operands are packed in blocks or read in place (Auto: as the
/// shapes and strides make faster).
enum class MatmulPath { Auto, Direct, Packed };

struct MatmulOptions {
  MatmulIsa isa = bestMatmulIsa();
  /// The threads to split the work for; it then runs on the pool, whatever
  /// its size. Results do not depend on it: threads split C, never a sum.
  int numThreads = 1;
  MatmulPath path = MatmulPath::Auto;
};

/// _mlir_ciface_tgc_matmul_f32 and _f64 with explicit options.
void matmul(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
            bool accumulate, const MatmulOptions &options);
void matmul(const tgc_memref3_f64 &a, const tgc_memref3_f64 &b, const tgc_memref3_f64 &c,
            bool accumulate, const MatmulOptions &options);

} // namespace tgc

#endif // TGC_RUNTIME_MATMUL_H
