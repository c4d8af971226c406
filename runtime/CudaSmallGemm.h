//===- CudaSmallGemm.h - the small FP32 GEMM kernels' parameters -*- C++ -*-===//
//
// Shared by the kernels (CudaSmallGemm.cu, compiled by nvcc, and as host C++
// by the runtime tests) and their host side (CudaSmallGemm.cpp): the
// parameter struct, passed by value, and which kernel and grid a product
// gets.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_SMALL_GEMM_H
#define TGC_RUNTIME_CUDA_SMALL_GEMM_H

#include "tgc/runtime.h"

#include <algorithm>

/// A block: up to 16 warps, each multiplying the block's output tile over
/// its own slice of the reduction, which it streams through shared memory in
/// chunks of 8 terms, 4 stages deep.
enum {
  kSmallGemmMaxWarps = 16,
  kSmallGemmChunk = 8,
  kSmallGemmStages = 4,
  /// The fewest terms a warp's slice takes where the reduction is long
  /// enough: about 4 chunks, so that each warp's pipeline fills.
  kSmallGemmTermsPerWarp = 32,
};

/// Element (row, col) of batch item `batch` of a matrix is
/// data[batch * batchStride + row * rowStride + col * colStride].
struct SmallGemmMatrix {
  float *data;
  long long rowStride, colStride, batchStride;
};

/// C = act(A B + bias) or C (+)= A B, A [m, k], B [k, n], C [m, n]; bias
/// [n] (stride biasStride). epilogue: -1 none (then accumulate may be 1), or
/// TGC_EPILOGUE_* (runtime.h): 0 bias, 1 bias and relu, 2 bias and GELU's
/// tanh approximation. Warp w reduces terms [w kPerWarp, (w + 1) kPerWarp).
struct SmallGemmParams {
  SmallGemmMatrix a, b, c;
  const float *bias;
  long long biasStride;
  int m, n, k, kPerWarp, epilogue, accumulate;
};

/// The kernels, by output tile (rows x columns): a warp's 32 lanes each own
/// 4 x 4 outputs of the tile.
struct SmallGemmTile {
  int rows, cols;
  const char *kernel;
};
inline constexpr SmallGemmTile kSmallGemmTiles[] = {
    {16, 32, "tgc_small_gemm_f32_16x32"},
    {32, 16, "tgc_small_gemm_f32_32x16"},
    {64, 8, "tgc_small_gemm_f32_64x8"},
    {8, 64, "tgc_small_gemm_f32_8x64"},
};

/// The most blocks (output tiles times batch) a launch takes, about two
/// waves on 132 SMs, and the longest reduction: larger products are
/// cuBLAS's.
enum { kSmallGemmMaxBlocks = 1024, kSmallGemmMaxTerms = 4096 };

/// The floats of a tile's row in shared memory: 4 more than the tile (a
/// multiple of 4, not of 8), so that stores of consecutive terms spread over
/// the banks.
constexpr int smallGemmPitch(int tile) { return tile + 4; }

/// The dynamic shared memory of a launch of `warps` warps: each warp's
/// stages, then reused for the warps' partial tiles.
constexpr unsigned smallGemmShared(const SmallGemmTile &tile, int warps) {
  unsigned stages = warps * kSmallGemmStages * kSmallGemmChunk *
                    (smallGemmPitch(tile.rows) + smallGemmPitch(tile.cols));
  unsigned partials = warps * tile.rows * tile.cols;
  return 4 * (stages > partials ? stages : partials);
}

/// The most any launch takes (16 warps of 8 x 64: 160 KiB, within what
/// sm_80 and sm_90 allow a block).
constexpr unsigned kSmallGemmMaxShared = smallGemmShared(kSmallGemmTiles[3], kSmallGemmMaxWarps);

struct SmallGemmLaunch {
  const SmallGemmTile *tile;
  unsigned grid[3];
  unsigned threads, sharedBytes;
  int kPerWarp;
};

/// The launch of a [batch] m x n x k product: the tile that pads the output
/// least (the first of equals), and as many warps (at most 16) as give each
/// a slice of at least kSmallGemmTermsPerWarp terms, a multiple of the chunk
/// (so that only the last warp's last chunk is partial); or false when the
/// product is too large (or empty) for these kernels. The warps, and with
/// them the order of the sums, depend on the shape only.
inline bool planSmallGemm(long long batch, long long m, long long n, long long k,
                          SmallGemmLaunch &launch) {
  if (batch < 1 || m < 1 || n < 1 || k < 1 || batch > 65535 || m > (1 << 30) || n > (1 << 30) ||
      k > kSmallGemmMaxTerms)
    return false;
  const SmallGemmTile *best = nullptr;
  long long bestArea = 0;
  for (const SmallGemmTile &tile : kSmallGemmTiles) {
    long long rows = (m + tile.rows - 1) / tile.rows, cols = (n + tile.cols - 1) / tile.cols;
    long long area = rows * tile.rows * cols * tile.cols;
    if (rows * cols * batch > kSmallGemmMaxBlocks)
      continue;
    if (!best || area < bestArea)
      best = &tile, bestArea = area;
  }
  if (!best)
    return false;
  launch.tile = best;
  launch.grid[0] = unsigned((n + best->cols - 1) / best->cols);
  launch.grid[1] = unsigned((m + best->rows - 1) / best->rows);
  launch.grid[2] = unsigned(batch);
  long long warps =
      std::min<long long>(kSmallGemmMaxWarps, std::max<long long>(1, k / kSmallGemmTermsPerWarp));
  long long kPerWarp = (k + warps - 1) / warps;
  kPerWarp = (kPerWarp + kSmallGemmChunk - 1) / kSmallGemmChunk * kSmallGemmChunk;
  warps = (k + kPerWarp - 1) / kPerWarp;
  launch.kPerWarp = int(kPerWarp);
  launch.threads = unsigned(32 * warps);
  launch.sharedBytes = smallGemmShared(*best, int(warps));
  return true;
}

/// Whether a product planned as `launch` runs in these kernels by default
/// (TGC_CUDA_SMALL_GEMM unset): when its blocks fit in one wave, a block
/// per SM, where cuBLAS splits the reduction over blocks and adds a kernel
/// that sums the splits. On an H100 this takes the MLP's forward products
/// and its input gradients (4 to 128 blocks, 1.1 to 1.5x faster than cuBLAS
/// in a graph) and leaves its weight gradients (512 and 784 blocks of 4
/// warps, 1.3 and 1.55x slower) to cuBLAS (bench/RESULTS.md).
inline bool smallGemmByDefault(const SmallGemmLaunch &launch, int multiprocessors) {
  return (long long)launch.grid[0] * launch.grid[1] * launch.grid[2] <= multiprocessors;
}

/// The kernels' view of a [batch, rows, cols] memref (runtime.h's ABI).
inline SmallGemmMatrix smallGemmMatrix(const tgc_memref3_f32 &view) {
  return {view.aligned + view.offset, view.strides[1], view.strides[2], view.strides[0]};
}

/// The parameters of C (+)= A B (epilogue < 0) or C = act(A B + bias), for
/// `launch` (planSmallGemm of c's and a's sizes).
inline SmallGemmParams smallGemmParams(const SmallGemmLaunch &launch, const tgc_memref3_f32 &a,
                                       const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                                       const tgc_memref1_f32 *bias, int64_t epilogue,
                                       int64_t accumulate) {
  SmallGemmParams params;
  params.a = smallGemmMatrix(a);
  params.b = smallGemmMatrix(b);
  params.c = smallGemmMatrix(c);
  params.bias = bias ? bias->aligned + bias->offset : nullptr;
  params.biasStride = bias ? bias->strides[0] : 0;
  params.m = int(c.sizes[1]);
  params.n = int(c.sizes[2]);
  params.k = int(a.sizes[2]);
  params.kPerWarp = launch.kPerWarp;
  params.epilogue = int(epilogue);
  params.accumulate = accumulate != 0;
  return params;
}

namespace tgc {
/// Queues C (+)= A B or C = act(A B + bias) (as smallGemmParams) on the
/// runtime's stream when planSmallGemm takes the product and the runtime
/// has the kernels; false (nothing queued) otherwise.
bool runSmallGemm(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                  const tgc_memref1_f32 *bias, int64_t epilogue, int64_t accumulate);
} // namespace tgc

#endif // TGC_RUNTIME_CUDA_SMALL_GEMM_H
