//===- CudaSmallGemm.cu - FP32 GEMMs too small to fill the GPU -----------===//
//
// The device side of the small-GEMM path of tgc_cuda_matmul_f32 and
// tgc_cuda_matmul_bias_f32 (CudaSmallGemm.cpp): products like a batch-128
// MLP's, 128 x 512 x 784, which are a few microseconds of work for the whole
// GPU. cuBLAS gives them few tiles, so it splits the reduction over blocks
// and adds a second kernel that sums the splits (and applies the
// epilogue): two graph nodes of latency for each. Here one kernel does it:
// a block owns a small output tile (16 x 32, 32 x 16, 64 x 8 or 8 x 64) and
// its warps (up to 16, planSmallGemm) each multiply the tile over a slice
// of the reduction, then the block sums the partial tiles in warp order in
// shared memory and applies the bias and activation. The sums' order
// depends on the shape only: the results do not depend on scheduling
// (they differ from cuBLAS's in the last bits).
//
// A warp streams its terms of A ([term][rows]) and B ([term][cols])
// through shared memory in chunks of 8 terms, 4 stages deep: asynchronous
// copies (cp.async: no registers, 3 chunks in flight while one is
// multiplied), 16 bytes of 4 rows where the rows are contiguous, else 4
// bytes with consecutive lanes along the terms or the rows, zero-filling
// rows and terms outside the matrices (a partial chunk multiplies as a
// whole one). Each lane owns 4 x 4 outputs and, for each term, reads one
// float4 of each chunk (broadcast within the warp: no bank conflicts) for
// 16 FMAs, the next term's while this term's FMAs run.
//
// Portable CUDA C++: the runtime tests also compile this file for the host
// and run the kernels there (test/Runtime/SimtHost.h, which writes the
// asynchronous copies as late, and again as early, as a GPU may).
//
//===----------------------------------------------------------------------===//

#include "CudaSmallGemm.h"

#ifdef __CUDACC__
#include <cuda_pipeline_primitives.h>
#endif

extern __shared__ float4 tgcSmallGemmShared[];

namespace {

/// shared = (valid ? *global : 0), asynchronously: complete once this
/// thread has waited for its group (waitForCopies). `global` must be
/// readable even where !valid.
__device__ __forceinline__ void copyAsync(float *shared, const float *global, bool valid) {
  __pipeline_memcpy_async(shared, global, sizeof(float), valid ? 0 : sizeof(float));
}

/// shared[0, 4) = the first `count` (0 to 4) floats of global, then zeros;
/// both 16-byte aligned.
__device__ __forceinline__ void copyAsync4(float *shared, const float *global, int count) {
  __pipeline_memcpy_async(shared, global, 4 * sizeof(float), (4 - count) * sizeof(float));
}

/// Closes this thread's group of copies (one per chunk, empty or not).
__device__ __forceinline__ void commitCopies() { __pipeline_commit(); }

/// Waits until all but this thread's latest kSmallGemmStages - 1 groups of
/// copies are complete, then for the warp's other lanes.
__device__ __forceinline__ void waitForCopies() {
  __pipeline_wait_prior(kSmallGemmStages - 1);
  __syncwarp();
}

/// How a warp copies an operand's chunks, by its layout in memory.
enum class CopyPath {
  /// Terms contiguous: 4-byte copies, lanes along the terms.
  Terms,
  /// Rows contiguous, 16-byte aligned: 16-byte copies of 4 rows each.
  RowVectors,
  /// Anything else: 4-byte copies, lanes along the rows.
  Rows,
};

/// One operand of the block's tile: element (r, t) is
/// data[r * rowStride + t * termStride] (the tile's first row at r = 0,
/// the warp's first term at t = 0), rows < `rows` inside the matrix. For
/// the Terms and RowVectors paths, this lane's first copy of each chunk is
/// of its element (laneRow, laneTerm), at data + laneOffset (plus the
/// chunk's first term), and its next copies are copyStride further.
struct Operand {
  const float *data;
  long long rowStride, termStride;
  int rows;
  CopyPath path;
  int laneRow, laneTerm;
  long long laneOffset, copyStride;
};

/// The lanes' copies of a chunk of 8 terms of `Rows` rows along the terms
/// (Terms: 4 rows by 8 terms, 32 contiguous bytes of each row, and 32
/// different banks, 8 rows `pitch` apart times 4 neighbours) or along the
/// rows (RowVectors: consecutive lanes copy consecutive 16 bytes of a
/// term's rows).
template <int Rows> struct ChunkCopies {
  static constexpr int kTermsLaneRows = 4, kVectors = Rows / 4;
  static constexpr int kVectorTermsPerPass = 32 / kVectors;
  static constexpr int kVectorCopies = (kVectors * kSmallGemmChunk + 31) / 32;
};

template <int Rows>
__device__ __forceinline__ Operand operand(const float *data, long long rowStride,
                                           long long termStride, int rows) {
  using Copies = ChunkCopies<Rows>;
  const int lane = threadIdx.x % 32;
  Operand x = {data, rowStride, termStride, rows, CopyPath::Rows, 0, 0, 0, 0};
  if (termStride == 1 && rowStride != 1) {
    x.path = CopyPath::Terms;
    x.laneRow = lane % Copies::kTermsLaneRows;
    x.laneTerm = lane / Copies::kTermsLaneRows;
    x.copyStride = Copies::kTermsLaneRows * rowStride;
  } else if (rowStride == 1 && termStride % 4 == 0 &&
             reinterpret_cast<unsigned long long>(data) % 16 == 0) {
    x.path = CopyPath::RowVectors;
    x.laneRow = lane % Copies::kVectors * 4;
    x.laneTerm = lane / Copies::kVectors;
    x.copyStride = Copies::kVectorTermsPerPass * termStride;
  }
  x.laneOffset = x.laneRow * rowStride + x.laneTerm * termStride;
  return x;
}

/// chunk[t][r] = x(r, term + t) for the tile's Rows rows and 8 terms, zero
/// for rows and terms outside the matrix or past `count` terms (so that a
/// partial chunk multiplies as a whole one); chunk rows are
/// smallGemmPitch(Rows) apart (a multiple of 4, not of 8). Whole: every
/// row and term is inside (most chunks), and the copies need no
/// conditions.
template <int Rows, bool Whole>
__device__ __forceinline__ void copyChunk(float *chunk, const Operand &x, int term, int count) {
  static_assert(kSmallGemmChunk == 8 && Rows % 4 == 0, "lanes as 4 rows by 8 terms");
  using Copies = ChunkCopies<Rows>;
  constexpr int kPitch = Rows + 4; // smallGemmPitch
  // The chunk's first element (inside the matrix): what copies that read
  // nothing point at.
  const float *origin = x.data + term * x.termStride;
  const float *from = origin + x.laneOffset;
  float *to = chunk + x.laneTerm * kPitch + x.laneRow;
  if (x.path == CopyPath::Terms) {
#pragma unroll
    for (int i = 0; i < Rows / Copies::kTermsLaneRows; ++i, from += x.copyStride) {
      const int r = x.laneRow + i * Copies::kTermsLaneRows;
      bool valid = Whole || (x.laneTerm < count && r < x.rows);
      copyAsync(to + i * Copies::kTermsLaneRows, valid ? from : origin, valid);
    }
  } else if (x.path == CopyPath::RowVectors) {
#pragma unroll
    for (int i = 0; i < Copies::kVectorCopies; ++i, from += x.copyStride) {
      if (Copies::kVectors * kSmallGemmChunk < 32 && threadIdx.x % 32 >= Copies::kVectors * 8)
        break; // 8 rows: 16 copies
      const int t = x.laneTerm + i * Copies::kVectorTermsPerPass;
      const int count4 = Whole ? 4 : t < count ? min(4, max(0, x.rows - x.laneRow)) : 0;
      copyAsync4(to + i * Copies::kVectorTermsPerPass * kPitch, count4 ? from : origin, count4);
    }
  } else {
#pragma unroll
    for (int i = threadIdx.x % 32; i < Rows * kSmallGemmChunk; i += 32) {
      const int r = i % Rows, t = i / Rows;
      bool valid = Whole || (t < count && r < x.rows);
      copyAsync(&chunk[t * kPitch + r],
                valid ? origin + r * x.rowStride + t * x.termStride : origin, valid);
    }
  }
}

template <int Rows, int Cols> __device__ __forceinline__ void smallGemm(const SmallGemmParams &p) {
  constexpr int kLanesAlongCols = Cols / 4;
  static_assert(Rows / 4 * kLanesAlongCols == 32, "a lane owns 4 x 4 outputs of the tile");
  constexpr int kPitchA = Rows + 4, kPitchB = Cols + 4; // smallGemmPitch
  constexpr int kStage = kSmallGemmChunk * (kPitchA + kPitchB);
  float *shared = reinterpret_cast<float *>(tgcSmallGemmShared);
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.y * Rows, col0 = blockIdx.x * Cols;
  const long long batch = blockIdx.z;
  const int first = warp * p.kPerWarp;
  const int terms = max(0, min(p.kPerWarp, p.k - first));
  const int chunks = (terms + kSmallGemmChunk - 1) / kSmallGemmChunk;

  // This warp's stages, each a chunk of A's rows and B's columns.
  float *stages = shared + warp * kSmallGemmStages * kStage;
  const Operand a = operand<Rows>(p.a.data + batch * p.a.batchStride + row0 * p.a.rowStride +
                                      first * p.a.colStride,
                                  p.a.rowStride, p.a.colStride, min(Rows, p.m - row0));
  const Operand b = operand<Cols>(p.b.data + batch * p.b.batchStride + col0 * p.b.colStride +
                                      first * p.b.rowStride,
                                  p.b.colStride, p.b.rowStride, min(Cols, p.n - col0));
  auto issue = [&](int chunk) {
    if (chunk < chunks) {
      int term = chunk * kSmallGemmChunk;
      int count = min(int(kSmallGemmChunk), terms - term);
      float *stage = stages + chunk % kSmallGemmStages * kStage;
      if (count == kSmallGemmChunk && a.rows == Rows && b.rows == Cols) {
        copyChunk<Rows, true>(stage, a, term, count);
        copyChunk<Cols, true>(stage + kSmallGemmChunk * kPitchA, b, term, count);
      } else {
        copyChunk<Rows, false>(stage, a, term, count);
        copyChunk<Cols, false>(stage + kSmallGemmChunk * kPitchA, b, term, count);
      }
    }
    commitCopies();
  };
  // A term's operands: a float4 of A's rows and one of B's columns.
  const int laneRow = lane / kLanesAlongCols * 4, laneCol = lane % kLanesAlongCols * 4;
  auto load = [&](int chunk, int t, float4 &x, float4 &y) {
    const float *stageA = stages + chunk % kSmallGemmStages * kStage;
    x = *reinterpret_cast<const float4 *>(&stageA[t * kPitchA + laneRow]);
    y = *reinterpret_cast<const float4 *>(
        &stageA[kSmallGemmChunk * kPitchA + t * kPitchB + laneCol]);
  };
  for (int chunk = 0; chunk < kSmallGemmStages; ++chunk)
    issue(chunk);
  waitForCopies();

  // Each term's operands are loaded from shared memory while the previous
  // term's 16 FMAs run (the loads' latency hidden behind them), across
  // chunks too: before the last term of a chunk, the warp refills the
  // chunk's stage (every lane holds its operands) and waits for the next
  // chunk. Whole chunks: a partial one is zero past its terms.
  float4 x = {}, y = {};
  if (chunks > 0)
    load(0, 0, x, y);
  float sum[4][4] = {};
  for (int chunk = 0; chunk < chunks; ++chunk) {
#pragma unroll
    for (int t = 0; t < kSmallGemmChunk; ++t) {
      float4 nextX = {}, nextY = {};
      if (t + 1 < kSmallGemmChunk) {
        load(chunk, t + 1, nextX, nextY);
      } else if (chunk + 1 < chunks) {
        __syncwarp(); // every lane has read the stage before it is refilled
        issue(chunk + kSmallGemmStages);
        waitForCopies();
        load(chunk + 1, 0, nextX, nextY);
      }
      const float xs[4] = {x.x, x.y, x.z, x.w}, ys[4] = {y.x, y.y, y.z, y.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          sum[i][j] = fmaf(xs[i], ys[j], sum[i][j]);
      x = nextX;
      y = nextY;
    }
  }

  // The warps' partial tiles, [warp][Rows][Cols], over the slices.
  __syncthreads();
  float *partials = shared;
#pragma unroll
  for (int i = 0; i < 4; ++i)
    *reinterpret_cast<float4 *>(&partials[(warp * Rows + laneRow + i) * Cols + laneCol]) =
        make_float4(sum[i][0], sum[i][1], sum[i][2], sum[i][3]);
  __syncthreads();

  // Consecutive threads write consecutive addresses of C.
  float *c = p.c.data + batch * p.c.batchStride;
  const bool alongCols = p.c.colStride == 1;
  for (int e = threadIdx.x; e < Rows * Cols; e += blockDim.x) {
    int r = alongCols ? e / Cols : e % Rows, col = alongCols ? e % Cols : e / Rows;
    int row = row0 + r, column = col0 + col;
    if (row >= p.m || column >= p.n)
      continue;
    float value = partials[r * Cols + col];
    for (int w = 1; w < warps; ++w)
      value += partials[(w * Rows + r) * Cols + col];
    float &out = c[row * p.c.rowStride + column * p.c.colStride];
    if (p.epilogue < 0) {
      out = p.accumulate ? out + value : value;
      continue;
    }
    value += p.bias[column * p.biasStride];
    if (p.epilogue == TGC_EPILOGUE_BIAS_RELU) {
      value = fmaxf(value, 0.0f);
    } else if (p.epilogue == TGC_EPILOGUE_BIAS_GELU_TANH) {
      const float kSqrt2OverPi = 0.7978845608028654f;
      value =
          0.5f * value * (1.0f + tanhf(kSqrt2OverPi * (value + 0.044715f * value * value * value)));
    }
    out = value;
  }
}

} // namespace

#define TGC_SMALL_GEMM_KERNEL(ROWS, COLS)                                                          \
  extern "C" __global__ void __launch_bounds__(32 * kSmallGemmMaxWarps)                            \
      tgc_small_gemm_f32_##ROWS##x##COLS(SmallGemmParams params) {                                 \
    smallGemm<ROWS, COLS>(params);                                                                 \
  }

TGC_SMALL_GEMM_KERNEL(16, 32)
TGC_SMALL_GEMM_KERNEL(32, 16)
TGC_SMALL_GEMM_KERNEL(64, 8)
TGC_SMALL_GEMM_KERNEL(8, 64)

/// The kernels in kSmallGemmTiles' order, for host code that launches them
/// itself (the host tests, bench/gpu/mlp_gemms.cu); the runtime loads them
/// by name.
using SmallGemmKernel = void (*)(SmallGemmParams);
inline constexpr SmallGemmKernel kSmallGemmKernels[] = {
    tgc_small_gemm_f32_16x32, tgc_small_gemm_f32_32x16, tgc_small_gemm_f32_64x8,
    tgc_small_gemm_f32_8x64};
