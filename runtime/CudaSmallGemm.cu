//===- CudaSmallGemm.cu - FP32 GEMMs too small to fill the GPU -----------===//
//
// The device side of the small-GEMM path of tgc_cuda_matmul_f32 and
// tgc_cuda_matmul_bias_f32 (CudaSmallGemm.cpp): products like a batch-128
// MLP's, 128 x 512 x 784, which are a few microseconds of work for the whole
// GPU. cuBLAS gives them few tiles, so it splits the reduction over blocks
// and adds a second kernel that sums the splits (and applies the
// epilogue): two graph nodes of latency for each. Here one kernel does it:
// a block owns a small output tile (16 x 32, 32 x 16, 64 x 8 or 8 x 64) and
// its 8 warps each multiply the tile over an eighth of the reduction, then
// the block sums the 8 partial tiles in warp order in shared memory and
// applies the bias and activation. The sums' order is fixed: the results do
// not depend on scheduling (they differ from cuBLAS's in the last bits).
//
// A warp streams its terms of A ([term][rows]) and B ([term][cols])
// through shared memory in chunks of 8 terms, 4 stages deep: asynchronous
// 4-byte copies (cp.async: no registers, 3 chunks in flight while one is
// multiplied), consecutive lanes along whichever dimension is contiguous in
// memory, zero-filling rows and columns outside the matrices. Each lane
// owns 4 x 4 outputs and, for each term, reads one float4 of each chunk
// (broadcast within the warp: no bank conflicts) for 16 FMAs.
//
// Portable CUDA C++: the runtime tests also compile this file for the host
// and run the kernels there (test/Runtime/SimtHost.h).
//
//===----------------------------------------------------------------------===//

#include "CudaSmallGemm.h"

#ifdef __CUDACC__
#include <cuda_pipeline_primitives.h>
#endif

extern __shared__ float4 tgcSmallGemmShared[];

namespace {

/// shared = (valid ? *global : 0), asynchronously on the GPU: complete
/// once this thread has waited for its group (waitForCopies).
__device__ __forceinline__ void copyAsync(float *shared, const float *global, bool valid) {
#ifdef __CUDACC__
  __pipeline_memcpy_async(shared, global, sizeof(float), valid ? 0 : sizeof(float));
#else
  *shared = valid ? *global : 0.0f;
#endif
}

/// Closes this thread's group of copies (one per chunk, empty or not).
__device__ __forceinline__ void commitCopies() {
#ifdef __CUDACC__
  __pipeline_commit();
#endif
}

/// Waits until all but this thread's latest kSmallGemmStages - 1 groups of
/// copies are complete, then for the warp's other lanes.
__device__ __forceinline__ void waitForCopies() {
#ifdef __CUDACC__
  __pipeline_wait_prior(kSmallGemmStages - 1);
#endif
  __syncwarp();
}

/// chunk[t][r] = x(r, t) for the `rows` rows (padded with zeros to Rows)
/// and `terms` (at most kSmallGemmChunk) terms of a matrix whose element
/// (r, t) is base[r * rowStride + t * termStride]; the chunk's rows are
/// `pitch` apart (a multiple of 4, not of 8).
template <int Rows>
__device__ __forceinline__ void copyChunk(float *chunk, int pitch, const float *base,
                                          long long rowStride, long long termStride, int rows,
                                          int terms, const float *anyValid) {
  const int lane = threadIdx.x % 32;
  auto copy = [&](int r, int t) {
    bool valid = r < rows;
    copyAsync(&chunk[t * pitch + r], valid ? base + r * rowStride + t * termStride : anyValid,
              valid);
  };
  if (termStride == 1 && rowStride != 1) {
    // Lanes take 4 rows by 8 terms: 32 contiguous bytes of each row, and
    // 32 different banks (8 rows `pitch` apart times 4 neighbours).
    static_assert(kSmallGemmChunk == 8 && Rows % 4 == 0, "lanes as 4 rows by 8 terms");
    int t = lane / 4;
    if (t < terms)
      for (int r = lane % 4; r < Rows; r += 4)
        copy(r, t);
  } else {
    for (int i = lane; i < Rows * terms; i += 32)
      copy(i % Rows, i / Rows);
  }
}

template <int Rows, int Cols> __device__ __forceinline__ void smallGemm(const SmallGemmParams &p) {
  constexpr int kLanesAlongCols = Cols / 4;
  static_assert(Rows / 4 * kLanesAlongCols == 32, "a lane owns 4 x 4 outputs of the tile");
  constexpr int kPitchA = Rows + 4, kPitchB = Cols + 4; // smallGemmPitch
  constexpr int kStage = kSmallGemmChunk * (kPitchA + kPitchB);
  float *shared = reinterpret_cast<float *>(tgcSmallGemmShared);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row0 = blockIdx.y * Rows, col0 = blockIdx.x * Cols;
  const long long batch = blockIdx.z;
  const int first = warp * p.kPerWarp;
  const int terms = max(0, min(p.kPerWarp, p.k - first));
  const int chunks = (terms + kSmallGemmChunk - 1) / kSmallGemmChunk;

  // This warp's stages, each a chunk of A's rows and B's columns.
  float *stages = shared + warp * kSmallGemmStages * kStage;
  const float *a = p.a.data + batch * p.a.batchStride + row0 * p.a.rowStride;
  const float *b = p.b.data + batch * p.b.batchStride + col0 * p.b.colStride;
  const int rowsA = min(Rows, p.m - row0), colsB = min(Cols, p.n - col0);
  auto issue = [&](int chunk) {
    if (chunk < chunks) {
      int term = first + chunk * kSmallGemmChunk;
      int count = min(int(kSmallGemmChunk), terms - chunk * kSmallGemmChunk);
      float *stage = stages + chunk % kSmallGemmStages * kStage;
      copyChunk<Rows>(stage, kPitchA, a + term * p.a.colStride, p.a.rowStride, p.a.colStride, rowsA,
                      count, p.a.data);
      copyChunk<Cols>(stage + kSmallGemmChunk * kPitchA, kPitchB, b + term * p.b.rowStride,
                      p.b.colStride, p.b.rowStride, colsB, count, p.b.data);
    }
    commitCopies();
  };
  for (int chunk = 0; chunk < kSmallGemmStages - 1; ++chunk)
    issue(chunk);

  const int laneRow = lane / kLanesAlongCols * 4, laneCol = lane % kLanesAlongCols * 4;
  float sum[4][4] = {};
  for (int chunk = 0; chunk < chunks; ++chunk) {
    // Refill the stage of chunk - 1 (every lane has read it), then wait for
    // chunk `chunk`.
    issue(chunk + kSmallGemmStages - 1);
    waitForCopies();
    const float *stageA = stages + chunk % kSmallGemmStages * kStage;
    const float *stageB = stageA + kSmallGemmChunk * kPitchA;
    int count = min(int(kSmallGemmChunk), terms - chunk * kSmallGemmChunk);
    for (int t = 0; t < count; ++t) {
      float4 x = *reinterpret_cast<const float4 *>(&stageA[t * kPitchA + laneRow]);
      float4 y = *reinterpret_cast<const float4 *>(&stageB[t * kPitchB + laneCol]);
      const float xs[4] = {x.x, x.y, x.z, x.w}, ys[4] = {y.x, y.y, y.z, y.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j)
          sum[i][j] = fmaf(xs[i], ys[j], sum[i][j]);
    }
    __syncwarp(); // every lane has read the stage before it is refilled
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
  for (int e = threadIdx.x; e < Rows * Cols; e += kSmallGemmThreads) {
    int r = alongCols ? e / Cols : e % Rows, col = alongCols ? e % Cols : e / Rows;
    int row = row0 + r, column = col0 + col;
    if (row >= p.m || column >= p.n)
      continue;
    float value = partials[r * Cols + col];
    for (int w = 1; w < kSmallGemmWarps; ++w)
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
  extern "C" __global__ void __launch_bounds__(kSmallGemmThreads)                                  \
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
