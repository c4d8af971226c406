//===- CudaAttention.cu - fused attention kernels (bf16, tensor cores) ----===//
//
// The device side of tgc_cuda_attention_{forward,backward}_bf16
// (CudaAttention.cpp): flash attention in the manner of FlashAttention-2.
// Scores and probabilities live in registers, never in memory; the forward
// keeps each row's log-sum-exp so the backward recomputes the probabilities.
//
// Compiled to PTX at build time (nvcc, compute_80: mma.sync runs on sm_80 and
// sm_90) and embedded in the runtime, which loads it through the driver API.
//
// Shapes: [B, H, T, 64] bf16 views, unit stride along the head size, T a
// multiple of 64; the grid's y is the slice, batch * H + head. A block of 4
// warps owns 64 rows (queries, or keys in the dK/dV kernel), 16 a warp, and
// walks the other side in tiles of 64 through shared memory. Products are
// mma.m16n8k16 (bf16 in, f32 accumulation); fragments come from shared memory
// by ldmatrix, and a product's f32 accumulators are reused in registers as
// the next product's bf16 A operand (their layouts agree).
//
// Numerics: see the precision contract in include/tgc/runtime.h. Exponents
// are base 2 (scores scaled by scale * log2(e)).
//
// Portable CUDA C++ but for ldmatrix and mma, which test/Runtime/SimtHost.h
// emulates: the runtime tests run these kernels on the host.
//
//===----------------------------------------------------------------------===//

#include "CudaAttentionKernels.h"

#ifdef __CUDACC__
#include <cuda_bf16.h>
#include <cuda_pipeline_primitives.h>
#endif
#include <stdint.h>

namespace {

using namespace tgc_attention;

constexpr int kWarps = 4; // 16 rows each
constexpr int kThreads = kWarps * 32;
static_assert(kThreads == kAttentionThreads, "CudaAttention.cpp launches kAttentionThreads");
constexpr int kStride = kHead + 8; // shared rows padded: conflict-free ldmatrix

using Tile = __nv_bfloat16[kTile][kStride];

/// Starts copying rows [first, first + 64) of `slice` into `tile`, 16
/// bytes a thread at a time (cp.async: the copy overlaps the products on the
/// other buffer; commitLoads ends a group, waitLoads<n> waits for all but the
/// last n groups). A thread copies the same 8 columns of every 16th row, one
/// address computed, then stepped (computed for each copy, the addresses
/// took some 20 instructions a copy, a third of the forward's).
__device__ __forceinline__ void loadTile(Tile &tile, AttentionView view, Slice slice, int first) {
  constexpr int kChunks = kHead / 8, kRowsApart = kThreads / kChunks; // 8 a row, 16 rows
  unsigned row = threadIdx.x / kChunks, column = threadIdx.x % kChunks * 8;
  const __nv_bfloat16 *source = rowOf<__nv_bfloat16>(view, slice, first + int(row)) + column;
  __nv_bfloat16 *target = &tile[row][column];
  // Not unrolled: the dK/dV kernel has no registers for all four addresses.
#pragma unroll 1
  for (int k = 0; k < kTile / kRowsApart; ++k) {
    __pipeline_memcpy_async(target, source, 16);
    source += kRowsApart * view.rowStride;
    target += kRowsApart * kStride;
  }
}

__device__ __forceinline__ void commitLoads() { __pipeline_commit(); }

template <int pending> __device__ __forceinline__ void waitLoads() {
  __pipeline_wait_prior(pending);
}

/// Makes tile `tile` ready in its buffer, first starting the loads of tile
/// + 1 into the other one (`load(next)` starts and commits them) unless
/// `tile` is the last: the next tile's copy overlaps this one's products.
template <typename Load>
__device__ __forceinline__ void nextTile(int tile, int last, const Load &load) {
  __syncthreads(); // the other buffer is free
  if (tile < last) {
    load(tile + 1);
    waitLoads<1>();
  } else {
    waitLoads<0>();
  }
  __syncthreads();
}

/// Key and value tiles of one slice, double-buffered in shared memory.
struct KeyValueTiles {
  Tile (&keys)[2], (&values)[2];
  const AttentionParams &params;
  Slice slice;

  /// Starts loading key tile `tile` into buffer tile % 2.
  __device__ __forceinline__ void operator()(int tile) const {
    loadTile(keys[tile % 2], params.k, slice, tile * kTile);
    loadTile(values[tile % 2], params.v, slice, tile * kTile);
    commitLoads();
  }
};

#ifdef __CUDACC__
/// ldmatrix.x4 (`transposed`: .trans): four 8 x 8 bf16 matrices, the lanes
/// 8 m to 8 m + 7 giving the rows of matrix m at `row`.
template <bool transposed>
__device__ __forceinline__ void loadMatrices(uint32_t r[4], const __nv_bfloat16 *row) {
  uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(row));
  if (transposed)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
  else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

/// c += a b for the warp: a 16 x 16 (bf16), b 16 x 8 (bf16), c 16 x 8 (f32).
__device__ __forceinline__ void mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
#else
template <bool transposed> void loadMatrices(uint32_t r[4], const __nv_bfloat16 *row) {
  simt::loadMatrices(r, row, transposed);
}
inline void mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  simt::mmaBF16(c, a, b0, b1);
}
#endif

/// The A operand (16x16, row-major) at (row, column) of `tile`.
__device__ __forceinline__ void loadA(uint32_t a[4], const Tile &tile, int row, int column) {
  int lane = threadIdx.x % 32, matrix = lane / 8;
  loadMatrices<false>(a, &tile[row + matrix % 2 * 8 + lane % 8][column + matrix / 2 * 8]);
}

/// B operands of two k-steps, (k, n) = tile[n0 + n][k0 + k]: the tile holds
/// B transposed (keys by head dimension for q k^T). b[0..1] for k0, b[2..3]
/// for k0 + 16.
__device__ __forceinline__ void loadBTransposed(uint32_t b[4], const Tile &tile, int n0, int k0) {
  int lane = threadIdx.x % 32;
  loadMatrices<false>(b, &tile[n0 + lane % 8][k0 + lane / 8 * 8]);
}

/// B operands of two n-tiles, (k, n) = tile[k0 + k][n0 + n] (as p v: keys
/// by head dimension). b[0..1] for n0, b[2..3] for n0 + 8.
__device__ __forceinline__ void loadB(uint32_t b[4], const Tile &tile, int k0, int n0) {
  int lane = threadIdx.x % 32, matrix = lane / 8;
  loadMatrices<true>(b, &tile[k0 + matrix % 2 * 8 + lane % 8][n0 + matrix / 2 * 8]);
}

__device__ __forceinline__ uint32_t pack(float low, float high) {
  __nv_bfloat162 pair = __floats2bfloat162_rn(low, high);
  return *reinterpret_cast<uint32_t *>(&pair);
}

/// acc[16 x 64] = A (this warp's 16 rows, four k-steps of the head
/// dimension, in registers) x `b` transposed: 8 n-tiles of 8 columns, each 4
/// floats a thread.
__device__ __forceinline__ void productTransposed(float acc[8][4], const uint32_t a[4][4],
                                                  const Tile &b) {
  for (int n = 0; n < 8; ++n)
    for (int i = 0; i < 4; ++i)
      acc[n][i] = 0.f;
  for (int k = 0; k < kHead; k += 32)
    for (int n = 0; n < 8; ++n) {
      uint32_t bs[4];
      loadBTransposed(bs, b, n * 8, k);
      mma(acc[n], a[k / 16], bs[0], bs[1]);
      mma(acc[n], a[k / 16 + 1], bs[2], bs[3]);
    }
}

/// out[16 x 64] += P x tile, P the 16 x 64 accumulators `p` rounded to bf16
/// (the C layout of two n-tiles is the A layout of one k-step).
__device__ __forceinline__ void accumulateProduct(float out[8][4], const float p[8][4],
                                                  const Tile &tile) {
  for (int k = 0; k < 4; ++k) {
    uint32_t a[4] = {pack(p[2 * k][0], p[2 * k][1]), pack(p[2 * k][2], p[2 * k][3]),
                     pack(p[2 * k + 1][0], p[2 * k + 1][1]),
                     pack(p[2 * k + 1][2], p[2 * k + 1][3])};
    for (int n = 0; n < 8; n += 2) {
      uint32_t bs[4];
      loadB(bs, tile, k * 16, n * 8);
      mma(out[n], a, bs[0], bs[1]);
      mma(out[n + 1], a, bs[2], bs[3]);
    }
  }
}

/// This warp's 16 x 64 accumulators, times `scale`, as bf16 rows
/// [first + 16 warp, +16) of `slice`.
__device__ __forceinline__ void storeRows(AttentionView view, Slice slice, int first,
                                          const float acc[8][4], float scale) {
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int row = first + warp * 16 + lane / 4;
  __nv_bfloat16 *top = rowOf<__nv_bfloat16>(view, slice, row);
  __nv_bfloat16 *bottom = top + 8 * view.rowStride;
  for (int n = 0; n < 8; ++n) {
    int column = n * 8 + lane % 4 * 2;
    *reinterpret_cast<uint32_t *>(top + column) = pack(acc[n][0] * scale, acc[n][1] * scale);
    *reinterpret_cast<uint32_t *>(bottom + column) = pack(acc[n][2] * scale, acc[n][3] * scale);
  }
}

/// A value's maximum or sum over the 4 threads that hold a row.
__device__ __forceinline__ float rowMax(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float rowSum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

/// Whether query `query` sees key `key`.
__device__ __forceinline__ bool visible(bool causal, int key, int query, int offset) {
  return !causal || key <= query + offset;
}

/// The last key tile that query tile `queryTile` sees.
__device__ __forceinline__ int lastKeyTile(bool causal, int queryTile, int keys, int offset) {
  int last = keys / kTile - 1;
  return causal ? min(last, (queryTile * kTile + kTile - 1 + offset) / kTile) : last;
}

/// Two operands' tiles, double-buffered: the start of shared memory.
struct Tiles {
  Tile first[2], second[2];
};
static_assert(sizeof(Tiles) == kAttentionBF16ForwardShared, "CudaAttention.h's sizes");

} // namespace

/// The kernels' dynamic shared memory (CudaAttention.cpp sizes it): Tiles,
/// then the rows' statistics.
extern __shared__ float4 tgcAttentionShared[];

static __device__ __forceinline__ Tiles &sharedTiles() {
  return *reinterpret_cast<Tiles *>(tgcAttentionShared);
}

/// The rows' statistics after the tiles, 64 floats each.
static __device__ __forceinline__ float (*sharedStatistics())[kTile] {
  return reinterpret_cast<float (*)[kTile]>(&sharedTiles() + 1);
}

extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_forward_bf16(AttentionParams params) {
  // Key and value tiles; the queries pass through the second buffer on
  // their way to registers.
  Tile(&keys)[2] = sharedTiles().first, (&values)[2] = sharedTiles().second;
  Slice slice = blockSlice(params);
  int first = blockIdx.x * kTile;
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int offset = params.keys - params.queries;
  bool causal = params.causal;
  float scale = params.scale * kLog2e;

  KeyValueTiles load{keys, values, params, slice};

  loadTile(keys[1], params.q, slice, first);
  commitLoads();
  load(0);
  waitLoads<1>();
  __syncthreads();
  uint32_t q[4][4];
  for (int k = 0; k < 4; ++k)
    loadA(q[k], keys[1], warp * 16, k * 16);

  // Rows lane / 4 and lane / 4 + 8 of the warp's 16.
  int query[2] = {first + warp * 16 + lane / 4, first + warp * 16 + lane / 4 + 8};
  float maximum[2] = {-INFINITY, -INFINITY}, sum[2] = {0.f, 0.f};
  float out[8][4] = {};
  int last = lastKeyTile(causal, blockIdx.x, params.keys, offset);
  for (int tile = 0; tile <= last; ++tile) {
    nextTile(tile, last, load);
    const Tile &keyTile = keys[tile % 2], &valueTile = values[tile % 2];
    float s[8][4];
    productTransposed(s, q, keyTile);
    bool masked = causal && tile * kTile + kTile - 1 > first + offset;
    for (int h = 0; h < 2; ++h) {
      float tileMax = -INFINITY;
      for (int n = 0; n < 8; ++n)
        for (int i = 0; i < 2; ++i) {
          float &x = s[n][2 * h + i];
          x *= scale;
          if (masked && !visible(true, tile * kTile + n * 8 + lane % 4 * 2 + i, query[h], offset))
            x = -INFINITY;
          tileMax = fmaxf(tileMax, x);
        }
      // Key tile 0 is visible to every query, so the maximum is finite.
      float newMax = fmaxf(maximum[h], rowMax(tileMax));
      float rescale = exp2f(maximum[h] - newMax);
      maximum[h] = newMax;
      float tileSum = 0.f;
      for (int n = 0; n < 8; ++n)
        for (int i = 0; i < 2; ++i) {
          float &x = s[n][2 * h + i];
          x = exp2f(x - newMax);
          tileSum += x;
        }
      sum[h] = sum[h] * rescale + tileSum; // this thread's part of the row
      for (int n = 0; n < 8; ++n) {
        out[n][2 * h] *= rescale;
        out[n][2 * h + 1] *= rescale;
      }
    }
    accumulateProduct(out, s, valueTile);
  }

  float inverse[2];
  for (int h = 0; h < 2; ++h) {
    float total = rowSum(sum[h]);
    inverse[h] = 1.f / total;
    if (lane % 4 == 0)
      rowOf(params.lse, slice, query[h]) = (maximum[h] + log2f(total)) / kLog2e;
  }
  for (int n = 0; n < 8; ++n) {
    out[n][0] *= inverse[0];
    out[n][1] *= inverse[0];
    out[n][2] *= inverse[1];
    out[n][3] *= inverse[1];
  }
  storeRows(params.out, slice, first, out, 1.f);
}

/// dQ for a tile of 64 queries, and delta = rowsum(dout * out) of its rows,
/// which tgc_attention_backward_keys_bf16 reads afterwards.
extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_backward_queries_bf16(AttentionParams params) {
  // Key and value tiles; the queries and their output gradients pass
  // through the second buffer on their way to registers.
  Tile(&keys)[2] = sharedTiles().first, (&values)[2] = sharedTiles().second;
  float *rowLse = sharedStatistics()[0], *rowDelta = sharedStatistics()[1];
  Slice slice = blockSlice(params);
  int first = blockIdx.x * kTile;
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int offset = params.keys - params.queries;
  bool causal = params.causal;
  float scale = params.scale * kLog2e;

  KeyValueTiles load{keys, values, params, slice};

  loadTile(keys[1], params.q, slice, first);
  loadTile(values[1], params.dout, slice, first);
  commitLoads();
  load(0);
  {
    // Two threads a row, 32 elements each.
    int row = threadIdx.x / 2, half = threadIdx.x % 2 * 32;
    const __nv_bfloat16 *o = rowOf<__nv_bfloat16>(params.out, slice, first + row) + half;
    const __nv_bfloat16 *g = rowOf<__nv_bfloat16>(params.dout, slice, first + row) + half;
    float dot = 0.f;
    for (int i = 0; i < 32; i += 8) {
      // 16 bytes at a time (as float4: 4 pairs of bf16).
      float4 oChunk = *reinterpret_cast<const float4 *>(o + i);
      float4 gChunk = *reinterpret_cast<const float4 *>(g + i);
      const __nv_bfloat162 *oPairs = reinterpret_cast<const __nv_bfloat162 *>(&oChunk);
      const __nv_bfloat162 *gPairs = reinterpret_cast<const __nv_bfloat162 *>(&gChunk);
      for (int pair = 0; pair < 4; ++pair) {
        float2 x = __bfloat1622float2(oPairs[pair]), y = __bfloat1622float2(gPairs[pair]);
        dot += x.x * y.x + x.y * y.y;
      }
    }
    dot += __shfl_xor_sync(0xffffffffu, dot, 1);
    if (threadIdx.x % 2 == 0) {
      rowDelta[row] = dot;
      rowOf(params.delta, slice, first + row) = dot;
      rowLse[row] = rowOf(params.lse, slice, first + row) * kLog2e;
    }
  }
  waitLoads<1>();
  __syncthreads();
  uint32_t q[4][4], dout[4][4];
  for (int k = 0; k < 4; ++k) {
    loadA(q[k], keys[1], warp * 16, k * 16);
    loadA(dout[k], values[1], warp * 16, k * 16);
  }
  int local[2] = {warp * 16 + lane / 4, warp * 16 + lane / 4 + 8};
  float lse[2] = {rowLse[local[0]], rowLse[local[1]]};
  float delta[2] = {rowDelta[local[0]], rowDelta[local[1]]};

  float dq[8][4] = {};
  int last = lastKeyTile(causal, blockIdx.x, params.keys, offset);
  for (int tile = 0; tile <= last; ++tile) {
    nextTile(tile, last, load);
    const Tile &keyTile = keys[tile % 2], &valueTile = values[tile % 2];
    float p[8][4], dp[8][4];
    productTransposed(p, q, keyTile);
    productTransposed(dp, dout, valueTile);
    bool masked = causal && tile * kTile + kTile - 1 > first + offset;
    for (int n = 0; n < 8; ++n)
      for (int i = 0; i < 4; ++i) {
        int h = i / 2;
        float x = exp2f(p[n][i] * scale - lse[h]);
        if (masked &&
            !visible(true, tile * kTile + n * 8 + lane % 4 * 2 + i % 2, first + local[h], offset))
          x = 0.f;
        p[n][i] = x * (dp[n][i] - delta[h]); // dS
      }
    // dS (queries x keys) x K (keys x head): K's tile is B untransposed.
    accumulateProduct(dq, p, keyTile);
  }
  storeRows(params.dq, slice, first, dq, params.scale);
}

/// dK and dV for a tile of 64 keys, over the queries that see them.
extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_backward_keys_bf16(AttentionParams params) {
  // Query and output gradient tiles with their rows' statistics,
  // double-buffered; the keys and values pass through the second buffer on
  // their way to registers.
  Tile(&queries)[2] = sharedTiles().first, (&grads)[2] = sharedTiles().second;
  float(*rowLses)[kTile] = sharedStatistics(), (*rowDeltas)[kTile] = sharedStatistics() + 2;
  Slice slice = blockSlice(params);
  int first = blockIdx.x * kTile;
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int offset = params.keys - params.queries;
  bool causal = params.causal;
  float scale = params.scale * kLog2e;
  // Query q sees key j iff j <= q + offset: the first query tile that sees
  // this key tile's first key.
  int firstTile = causal ? max(0, first - offset) / kTile : 0;
  int last = params.queries / kTile - 1;
  // Starts loading query tile `tile` into buffer tile % 2.
  auto load = [&](int tile) {
    loadTile(queries[tile % 2], params.q, slice, tile * kTile);
    loadTile(grads[tile % 2], params.dout, slice, tile * kTile);
    commitLoads();
    if (threadIdx.x < kTile) {
      int row = tile * kTile + threadIdx.x;
      rowLses[tile % 2][threadIdx.x] = rowOf(params.lse, slice, row) * kLog2e;
      rowDeltas[tile % 2][threadIdx.x] = rowOf(params.delta, slice, row);
    }
  };

  loadTile(queries[(firstTile + 1) % 2], params.k, slice, first);
  loadTile(grads[(firstTile + 1) % 2], params.v, slice, first);
  commitLoads();
  load(firstTile);
  waitLoads<1>();
  __syncthreads();
  uint32_t k[4][4], v[4][4];
  for (int d = 0; d < 4; ++d) {
    loadA(k[d], queries[(firstTile + 1) % 2], warp * 16, d * 16);
    loadA(v[d], grads[(firstTile + 1) % 2], warp * 16, d * 16);
  }
  int key[2] = {first + warp * 16 + lane / 4, first + warp * 16 + lane / 4 + 8};

  float dk[8][4] = {}, dv[8][4] = {};
  for (int tile = firstTile; tile <= last; ++tile) {
    nextTile(tile, last, load);
    const Tile &queryTile = queries[tile % 2], &gradTile = grads[tile % 2];
    const float *rowLse = rowLses[tile % 2], *rowDelta = rowDeltas[tile % 2];
    // Transposed scores: this warp's keys by the tile's queries.
    float p[8][4], dp[8][4];
    productTransposed(p, k, queryTile);
    productTransposed(dp, v, gradTile);
    bool masked = causal && first + kTile - 1 > tile * kTile + offset;
    for (int n = 0; n < 8; ++n)
      for (int i = 0; i < 4; ++i) {
        int column = n * 8 + lane % 4 * 2 + i % 2;
        float x = exp2f(p[n][i] * scale - rowLse[column]);
        if (masked && !visible(true, key[i / 2], tile * kTile + column, offset))
          x = 0.f;
        p[n][i] = x;
        dp[n][i] = x * (dp[n][i] - rowDelta[column]); // dS transposed
      }
    accumulateProduct(dv, p, gradTile);
    accumulateProduct(dk, dp, queryTile);
  }
  storeRows(params.dk, slice, first, dk, params.scale);
  storeRows(params.dv, slice, first, dv, 1.f);
}
