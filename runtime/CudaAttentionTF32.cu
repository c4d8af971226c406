//===- CudaAttentionTF32.cu - fused f32 attention on TF32 tensor cores ----===//
//
// The device side of tgc_cuda_attention_{forward,backward}_f32 when FP32
// products may use tensor cores (TGC_CUDA_MATMUL=3xtf32, tf32 or bf16; see
// CudaAttention.cpp): the algorithm of the f32 kernels on CUDA cores
// (CudaAttentionF32.cu: flash attention; the forward keeps each row's
// log-sum-exp, the backward has one kernel for dQ and delta and one for dK
// and dV, so every sum has one writer), with every product on tensor cores:
// mma.m16n8k8, TF32 operands, f32 accumulation. In three passes (3xTF32, as
// CudaSplitTF32.cu's GEMMs) each operand x is split in registers into big =
// x rounded to TF32 and small = x - big (SplitTF32), and a product is As Bb
// + Ab Bs + Ab Bb: f32's accuracy. In one pass it is Ab Bb, TF32's.
//
// Shapes as the f32 kernels': [B, H, T, 64] f32 views with contiguous,
// 16-byte aligned rows, T a multiple of 64; the grid's y is the slice. A
// block of 4 warps owns 64 rows (queries, or keys in the dK/dV kernel), 16
// a warp, and walks the other side in tiles of 64 rows, double-buffered in
// shared memory by asynchronous copies.
//
// Fragments (lane = 4 g + t): A's rows g and g + 8, B's column g, C's rows g
// and g + 8 at columns 2t and 2t + 1 of each 8. A product over the head
// dimension reads reduction step t and t + 4 of each 8 from both operands
// as the instruction defines them; a product over the rows of the other
// side takes the previous product's accumulators as its A operand in
// registers, which makes step t column 2t and step t + 4 column 2t + 1, and
// reads B in that order. Shared-memory rows are 68 floats: every fragment
// read is free of bank conflicts in both orders.
//
// Portable CUDA C++ but for the mma, which test/Runtime/SimtHost.h
// emulates: the runtime tests run these kernels on the host.
//
//===----------------------------------------------------------------------===//

#include "CudaAttentionKernels.h"

#ifdef __CUDACC__
#include <cuda_pipeline_primitives.h>
#endif

namespace {

using namespace tgc_attention;

constexpr int kWarps = 4; // 16 rows each
constexpr int kThreads = kWarps * 32;
static_assert(kThreads == kAttentionThreads, "CudaAttention.cpp launches kAttentionThreads");
constexpr int kStride = kHead + 4; // shared-memory rows: conflict-free fragment reads

/// 64 rows of 64 floats in shared memory.
using Tile = float[kTile][kStride];

#ifdef __CUDACC__
/// d += a b for the warp: a 16 x 8 (TF32), b 8 x 8 (TF32), d 16 x 8 (f32).
__device__ __forceinline__ void mmaTF32(float (&d)[4], const float (&a)[4], float b0, float b1) {
  asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(__float_as_uint(a[0])), "r"(__float_as_uint(a[1])), "r"(__float_as_uint(a[2])),
        "r"(__float_as_uint(a[3])), "r"(__float_as_uint(b0)), "r"(__float_as_uint(b1)));
}
#else
using simt::mmaTF32;
#endif

/// The calling lane's place in the fragments.
struct Lane {
  int group, index; // g and t
  __device__ __forceinline__ Lane() : group(threadIdx.x % 32 / 4), index(threadIdx.x % 4) {}
};

/// x as a TF32 operand in one pass, rounded to nearest with ties away from
/// zero, as cvt.rna.tf32.f32: half an ulp added to a finite x, whose low 13
/// bits the tensor cores then drop (CUTLASS's round_half_ulp_truncate; the
/// two instructions ptxas makes of a cvt that only feeds an mma, written
/// out so that the host tests run them).
__device__ __forceinline__ float roundedTF32Operand(float x) {
  return fabsf(x) < INFINITY ? __uint_as_float(__float_as_uint(x) + 0x1000u) : x;
}

/// x = big + small for three passes. big is x rounded to TF32 (half an ulp
/// added to the magnitude, then truncated: cvt.rna's result for finite x);
/// small = x - big is exact in f32 and reaches the tensor cores as it is,
/// which read its top 11 bits: |small| <= 2^-11 |x|, so its truncation
/// costs at most 2^-21 |x|, the order of the As Bs term that 3xTF32 drops.
/// Three instructions (CUTLASS's 3xTF32 truncates big and rounds small
/// instead: the same bound); with cvt for both parts the split, not the mma,
/// was most of the kernels' instructions. A NaN x keeps a NaN small.
struct SplitTF32 {
  float big, small;
  // Assigned in the body: nvcc's host pass keeps a __device__
  // constructor's initializers, where the device intrinsics are undeclared.
  __device__ __forceinline__ explicit SplitTF32(float x) {
    big = __uint_as_float((__float_as_uint(x) + 0x1000u) & 0xffffe000u);
    small = x - big;
  }
};

/// One reduction step of an A operand: TF32 big and small parts in three
/// passes, x rounded to TF32 in one (small unused).
template <int kPasses> struct Fragment {
  float big[4], small[4];
  __device__ __forceinline__ Fragment(float a0, float a1, float a2, float a3) {
    const float a[4] = {a0, a1, a2, a3};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      if (kPasses == 3) {
        SplitTF32 split(a[i]);
        big[i] = split.big;
        small[i] = split.small;
      } else {
        big[i] = roundedTF32Operand(a[i]);
        small[i] = 0.0f;
      }
    }
  }
};

/// d += a b over one reduction step: (b0, b1) is B's column g at steps t
/// and t + 4. The corrections come first, the largest term last.
template <int kPasses>
__device__ __forceinline__ void multiplyAdd(float (&d)[4], const Fragment<kPasses> &a, float b0,
                                            float b1) {
  if (kPasses == 3) {
    SplitTF32 split0(b0), split1(b1);
    mmaTF32(d, a.small, split0.big, split1.big);
    mmaTF32(d, a.big, split0.small, split1.small);
    mmaTF32(d, a.big, split0.big, split1.big);
  } else {
    mmaTF32(d, a.big, roundedTF32Operand(b0), roundedTF32Operand(b1));
  }
}

/// Reduction step `step` (head dimensions 8 step to 8 step + 7) of the A
/// operand held in rows [row0, row0 + 16) of `tile`.
template <int kPasses>
__device__ __forceinline__ Fragment<kPasses> headStep(const Tile &tile, int row0, int step,
                                                      const Lane &lane) {
  const float *top = tile[row0 + lane.group] + 8 * step + lane.index;
  const float *bottom = top + 8 * kStride;
  return Fragment<kPasses>(top[0], bottom[0], top[4], bottom[4]);
}

/// acc[j] = A B^T over the head dimension for the 64 rows of `tile` (B's
/// rows, 8 j to 8 j + 7 for acc[j]); `a` holds A's 8 reduction steps.
template <int kPasses, typename Steps>
__device__ __forceinline__ void productOverHead(float (&acc)[8][4], const Steps &a,
                                                const Tile &tile, const Lane &lane) {
#pragma unroll
  for (int j = 0; j < 8; ++j)
#pragma unroll
    for (int i = 0; i < 4; ++i)
      acc[j][i] = 0.0f;
#pragma unroll
  for (int step = 0; step < 8; ++step) {
    Fragment<kPasses> fragment = a(step);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const float *row = tile[8 * j + lane.group] + 8 * step + lane.index;
      multiplyAdd(acc[j], fragment, row[0], row[4]);
    }
  }
}

/// out += P B, P the 16 x 64 accumulators `p` of a product over the head
/// dimension (its columns: the rows of `tile`, which holds B).
template <int kPasses>
__device__ __forceinline__ void productOverRows(float (&out)[8][4], const float (&p)[8][4],
                                                const Tile &tile, const Lane &lane) {
#pragma unroll
  for (int step = 0; step < 8; ++step) {
    Fragment<kPasses> fragment(p[step][0], p[step][2], p[step][1], p[step][3]);
    const float *even = tile[8 * step + 2 * lane.index] + lane.group;
    const float *odd = even + kStride;
#pragma unroll
    for (int n = 0; n < 8; ++n)
      multiplyAdd(out[n], fragment, even[8 * n], odd[8 * n]);
  }
}

/// Starts copying rows [first, first + 64) of `view` into `tile`, 16 bytes
/// at a time (the caller commits the group).
__device__ __forceinline__ void copyTile(Tile &tile, AttentionView view, Slice slice, int first) {
  forEachChunk(tile, view, slice, first, [](float *target, const float *source) {
    __pipeline_memcpy_async(target, source, 4 * sizeof(float));
  });
}

/// Rows [first, first + 64) of `view` into `tile`, times `factor`.
__device__ __forceinline__ void loadTile(Tile &tile, AttentionView view, Slice slice, int first,
                                         float factor) {
  forEachChunk(tile, view, slice, first, [&](float *target, const float *source) {
    float4 value = *reinterpret_cast<const float4 *>(source);
    *reinterpret_cast<float4 *>(target) =
        make_float4(value.x * factor, value.y * factor, value.z * factor, value.w * factor);
  });
}

/// Makes tile `tile` of a double-buffered walk ready, first starting the
/// copies of tile + 1 into the other buffer (`copy(next)` starts and
/// commits them) unless `tile` is the last.
template <typename Copy>
__device__ __forceinline__ void nextTile(int tile, int last, const Copy &copy) {
  __syncthreads(); // the other buffer is free
  if (tile < last) {
    copy(tile + 1);
    __pipeline_wait_prior(1);
  } else {
    __pipeline_wait_prior(0);
  }
  __syncthreads();
}

/// The sum or maximum of `value` over the 4 lanes that hold a row.
__device__ __forceinline__ float rowSum(float value) {
  value += __shfl_xor_sync(0xffffffffu, value, 1);
  return value + __shfl_xor_sync(0xffffffffu, value, 2);
}

__device__ __forceinline__ float rowMax(float value) {
  value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, 1));
  return fmaxf(value, __shfl_xor_sync(0xffffffffu, value, 2));
}

/// Writes this warp's 16 x 64 accumulators, times `factor`, as rows
/// [row0, row0 + 16) of `view`.
__device__ __forceinline__ void storeRows(AttentionView view, Slice slice, int row0,
                                          const float (&acc)[8][4], const float (&factor)[2],
                                          const Lane &lane) {
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float *row = rowOf(view, slice, row0 + lane.group + 8 * half) + 2 * lane.index;
#pragma unroll
    for (int n = 0; n < 8; ++n)
      *reinterpret_cast<float2 *>(row + 8 * n) =
          make_float2(acc[n][2 * half] * factor[half], acc[n][2 * half + 1] * factor[half]);
  }
}

} // namespace

/// The kernels' dynamic shared memory (CudaAttention.cpp sizes it).
extern __shared__ float4 tgcAttentionTF32Shared[];

namespace {

__device__ __forceinline__ Tile *sharedTiles() {
  return reinterpret_cast<Tile *>(tgcAttentionTF32Shared);
}

/// out and lse. 4 tiles of shared memory: keys and values, double-buffered.
template <int kPasses> __device__ __forceinline__ void forward(const AttentionParams &params) {
  Tile *tiles = sharedTiles(); // keys [key][d] in 0 and 1, values [key][d] in 2 and 3
  Slice slice = blockSlice(params);
  Lane lane;
  int first = (gridDim.x - 1 - blockIdx.x) * kTile; // the longest rows first when causal
  int row0 = first + threadIdx.x / 32 * 16, last = lastKeyTile(params, first);
  auto copy = [&](int tile) {
    copyTile(tiles[tile % 2], params.k, slice, tile * kTile);
    copyTile(tiles[2 + tile % 2], params.v, slice, tile * kTile);
    __pipeline_commit();
  };
  copy(0);

  // The queries, times scale * log2(e), as A operands in registers.
  const float factor = params.scale * kLog2e;
  const float *top = rowOf(params.q, slice, row0 + lane.group) + lane.index;
  const float *bottom = rowOf(params.q, slice, row0 + lane.group + 8) + lane.index;
  Fragment<kPasses> queries[8] = {
#define TGC_QUERY_STEP(s)                                                                          \
  {top[8 * s] * factor, bottom[8 * s] * factor, top[8 * s + 4] * factor, bottom[8 * s + 4] * factor}
      TGC_QUERY_STEP(0), TGC_QUERY_STEP(1), TGC_QUERY_STEP(2), TGC_QUERY_STEP(3),
      TGC_QUERY_STEP(4), TGC_QUERY_STEP(5), TGC_QUERY_STEP(6), TGC_QUERY_STEP(7)};
#undef TGC_QUERY_STEP

  float out[8][4] = {}, maximum[2] = {-INFINITY, -INFINITY}, sum[2] = {};
  for (int tile = 0; tile <= last; ++tile) {
    nextTile(tile, last, copy);
    const Tile &keys = tiles[tile % 2], &values = tiles[2 + tile % 2];
    float scores[8][4];
    productOverHead<kPasses>(scores, [&](int step) { return queries[step]; }, keys, lane);
    bool diagonal = masked(params, first, tile * kTile + kTile - 1);
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      int query = row0 + lane.group + 8 * half;
      float tileMaximum = -INFINITY;
#pragma unroll
      for (int j = 0; j < 8; ++j)
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          float &score = scores[j][2 * half + e];
          if (diagonal && masked(params, query, tile * kTile + 8 * j + 2 * lane.index + e))
            score = -INFINITY;
          tileMaximum = fmaxf(tileMaximum, score);
        }
      float newMaximum = fmaxf(maximum[half], rowMax(tileMaximum));
      float correction = exp2f(maximum[half] - newMaximum);
      maximum[half] = newMaximum;
      sum[half] *= correction;
#pragma unroll
      for (int j = 0; j < 8; ++j)
#pragma unroll
        for (int e = 0; e < 2; ++e) {
          out[j][2 * half + e] *= correction;
          float &score = scores[j][2 * half + e];
          score = exp2f(score - newMaximum);
          sum[half] += score;
        }
    }
    productOverRows<kPasses>(out, scores, values, lane);
  }

  float inverse[2];
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    float total = rowSum(sum[half]);
    inverse[half] = 1.0f / total;
    if (lane.index == 0)
      rowOf(params.lse, slice, row0 + lane.group + 8 * half) =
          (maximum[half] + log2f(total)) * kLn2;
  }
  storeRows(params.out, slice, row0, out, inverse, lane);
}

/// dq and delta. 6 tiles of shared memory: the block's queries and douts,
/// keys and values double-buffered.
template <int kPasses>
__device__ __forceinline__ void backwardQueries(const AttentionParams &params) {
  Tile *tiles = sharedTiles();
  Tile &queries = tiles[0]; // [query][d], times scale * log2(e)
  Tile &douts = tiles[1];   // [query][d]
  Slice slice = blockSlice(params);
  Lane lane;
  int first = (gridDim.x - 1 - blockIdx.x) * kTile;
  int warpRow = threadIdx.x / 32 * 16, row0 = first + warpRow, last = lastKeyTile(params, first);
  auto copy = [&](int tile) {
    copyTile(tiles[2 + tile % 2], params.k, slice, tile * kTile);
    copyTile(tiles[4 + tile % 2], params.v, slice, tile * kTile);
    __pipeline_commit();
  };
  copy(0);
  loadTile(queries, params.q, slice, first, params.scale * kLog2e);
  loadTile(douts, params.dout, slice, first, 1.0f);

  // delta = rowsum(dout * out), each row's 4 lanes a quarter of it.
  float delta[2], lse[2];
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    int row = row0 + lane.group + 8 * half;
    const float *dout = rowOf(params.dout, slice, row), *out = rowOf(params.out, slice, row);
    float partial = 0.0f;
#pragma unroll
    for (int chunk = 0; chunk < 4; ++chunk) {
      int column = 16 * chunk + 4 * lane.index;
      float4 a = *reinterpret_cast<const float4 *>(dout + column);
      float4 b = *reinterpret_cast<const float4 *>(out + column);
      partial += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
    }
    delta[half] = rowSum(partial);
    lse[half] = rowOf(params.lse, slice, row) * kLog2e;
    if (lane.index == 0)
      rowOf(params.delta, slice, row) = delta[half];
  }

  float dq[8][4] = {};
  for (int tile = 0; tile <= last; ++tile) {
    nextTile(tile, last, copy); // also orders the stores of queries and douts
    const Tile &keys = tiles[2 + tile % 2], &values = tiles[4 + tile % 2];
    float scores[8][4], dp[8][4];
    productOverHead<kPasses>(
        scores, [&](int step) { return headStep<kPasses>(queries, warpRow, step, lane); }, keys,
        lane);
    productOverHead<kPasses>(
        dp, [&](int step) { return headStep<kPasses>(douts, warpRow, step, lane); }, values, lane);
    bool diagonal = masked(params, first, tile * kTile + kTile - 1);
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        int half = i / 2, key = tile * kTile + 8 * j + 2 * lane.index + i % 2;
        float p = exp2f(scores[j][i] - lse[half]);
        if (diagonal && masked(params, row0 + lane.group + 8 * half, key))
          p = 0.0f;
        scores[j][i] = p * (dp[j][i] - delta[half]); // dS
      }
    productOverRows<kPasses>(dq, scores, keys, lane);
  }
  const float scale[2] = {params.scale, params.scale};
  storeRows(params.dq, slice, row0, dq, scale, lane);
}

/// dk and dv; reads the delta the queries' kernel wrote. 6 tiles of shared
/// memory (the block's keys and values, queries and douts double-buffered)
/// and the query tiles' statistics.
template <int kPasses> __device__ __forceinline__ void backwardKeys(const AttentionParams &params) {
  Tile *tiles = sharedTiles();
  Tile &keys = tiles[0];   // [key][d], times scale * log2(e)
  Tile &values = tiles[1]; // [key][d]
  // lse (times log2(e) when read) and delta of the query tiles, double-buffered.
  float(*statistics)[2][kTile] = reinterpret_cast<float(*)[2][kTile]>(tiles + 6);
  Slice slice = blockSlice(params);
  Lane lane;
  int first = blockIdx.x * kTile; // the keys with the most queries first when causal
  int warpRow = threadIdx.x / 32 * 16, row0 = first + warpRow;
  int firstTile = firstQueryTile(params, first), last = params.queries / kTile - 1;
  auto copy = [&](int tile) {
    int buffer = tile % 2;
    copyTile(tiles[2 + buffer], params.q, slice, tile * kTile);
    copyTile(tiles[4 + buffer], params.dout, slice, tile * kTile);
    if (threadIdx.x < 2 * kTile) {
      int which = threadIdx.x / kTile, row = tile * kTile + threadIdx.x % kTile;
      __pipeline_memcpy_async(&statistics[buffer][which][threadIdx.x % kTile],
                              &rowOf(which == 0 ? params.lse : params.delta, slice, row),
                              sizeof(float));
    }
    __pipeline_commit();
  };
  if (firstTile <= last)
    copy(firstTile);
  loadTile(keys, params.k, slice, first, params.scale * kLog2e);
  loadTile(values, params.v, slice, first, 1.0f);

  float dk[8][4] = {}, dv[8][4] = {};
  for (int tile = firstTile; tile <= last; ++tile) {
    nextTile(tile, last, copy);
    int buffer = tile % 2;
    const Tile &queries = tiles[2 + buffer], &douts = tiles[4 + buffer];
    // Transposed: rows keys, columns queries.
    float scores[8][4], dp[8][4];
    productOverHead<kPasses>(
        scores, [&](int step) { return headStep<kPasses>(keys, warpRow, step, lane); }, queries,
        lane);
    productOverHead<kPasses>(
        dp, [&](int step) { return headStep<kPasses>(values, warpRow, step, lane); }, douts, lane);
    bool diagonal = masked(params, tile * kTile, first + kTile - 1);
#pragma unroll
    for (int j = 0; j < 8; ++j)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        int column = 8 * j + 2 * lane.index + i % 2, key = row0 + lane.group + 8 * (i / 2);
        float p = exp2f(scores[j][i] - statistics[buffer][0][column] * kLog2e);
        if (diagonal && masked(params, tile * kTile + column, key))
          p = 0.0f;
        scores[j][i] = p;
        dp[j][i] = p * (dp[j][i] - statistics[buffer][1][column]); // dS
      }
    productOverRows<kPasses>(dv, scores, douts, lane);
    productOverRows<kPasses>(dk, dp, queries, lane);
  }
  const float scale[2] = {params.scale, params.scale}, one[2] = {1.0f, 1.0f};
  storeRows(params.dk, slice, row0, dk, scale, lane);
  storeRows(params.dv, slice, row0, dv, one, lane);
}

} // namespace

// The entry points, each a pass count of the three kernels (full names
// spelled out, so that a search for a kernel's name finds it).
#define TGC_TF32_ATTENTION_KERNEL(name, body)                                                      \
  extern "C" __global__ void __launch_bounds__(kThreads) name(AttentionParams params) {           \
    body(params);                                                                                  \
  }
TGC_TF32_ATTENTION_KERNEL(tgc_attention_forward_3xtf32, forward<3>)
TGC_TF32_ATTENTION_KERNEL(tgc_attention_backward_queries_3xtf32, backwardQueries<3>)
TGC_TF32_ATTENTION_KERNEL(tgc_attention_backward_keys_3xtf32, backwardKeys<3>)
TGC_TF32_ATTENTION_KERNEL(tgc_attention_forward_tf32, forward<1>)
TGC_TF32_ATTENTION_KERNEL(tgc_attention_backward_queries_tf32, backwardQueries<1>)
TGC_TF32_ATTENTION_KERNEL(tgc_attention_backward_keys_tf32, backwardKeys<1>)
#undef TGC_TF32_ATTENTION_KERNEL
