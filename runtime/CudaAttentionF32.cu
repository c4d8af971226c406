//===- CudaAttentionF32.cu - fused attention kernels (f32, CUDA cores) ----===//
//
// The device side of tgc_cuda_attention_{forward,backward}_f32
// (CudaAttention.cpp): flash attention in f32 on CUDA cores, the same
// algorithm as the bf16 kernels (CudaAttention.cu): the forward keeps each
// row's log-sum-exp, the backward recomputes the probabilities from it, one
// kernel for dQ (and delta = rowsum(dO * O)) and one for dK and dV, so every
// sum has one writer and the results do not depend on scheduling.
//
// Shapes: [B, H, T, 64] f32 views with contiguous, 16-byte aligned rows, T a
// multiple of 64; the grid's y is the slice, batch * H + head. A block of
// 128 threads owns 64 rows (queries, or keys in the dK/dV kernel) and walks
// the other side in tiles of 64 through shared memory. Every product is a
// 64 x 64 x 64 one, `accumulate`: a thread owns a 4 x 8 block of the result
// (rows 4 * rowGroup + r, columns 4 * column + x and 32 + 4 * column + x,
// rowGroup = thread / 8, column = thread % 8), and for each of the 64 terms
// reads one float4 of the left operand and two of the right, all from tiles
// stored [term][64]: 32 FMAs a thread per 48 bytes of shared memory, whose
// reads are broadcast or contiguous within a warp (no bank conflicts). Tiles
// read as left operands come from registers (the probabilities, dS) and are
// stored with their 16-byte chunks swizzled by the term (`storeSwizzled`),
// so that those stores take the fewest shared-memory wavefronts.
//
// Portable CUDA C++, no inline PTX: the runtime tests also compile this file
// for the host and run the kernels there (test/Runtime/SimtHost.h).
//
//===----------------------------------------------------------------------===//

#include "CudaAttentionKernels.h"

namespace {

using namespace tgc_attention;

constexpr int kThreads = kAttentionThreads; // 128: the 4 x 8 blocks of a 64 x 64 result

/// A 64 x 64 f32 tile in shared memory, [term][64].
using Tile = float[kTile][kHead];

/// This thread's 4 x 8 block of a 64 x 64 result.
struct Owner {
  int rowGroup, column;
  __device__ __forceinline__ Owner() : rowGroup(threadIdx.x / 8), column(threadIdx.x % 8) {}
  __device__ __forceinline__ int row(int r) const { return rowGroup * 4 + r; }
  __device__ __forceinline__ int columnOf(int x) const { return x / 4 * 32 + column * 4 + x % 4; }
};

/// Rows [first, first + 64) of `view` into `tile` transposed ([d][row]),
/// times `factor`. Consecutive threads take consecutive rows: conflict-free
/// stores. A thread loads every other chunk of one row, one address
/// computed, then stepped (as forEachChunk).
__device__ __forceinline__ void loadTransposed(Tile &tile, AttentionView view, Slice slice,
                                               int first, float factor) {
  constexpr int kChunks = kHead / 4, kChunksApart = kThreads / kTile; // 16 a row, 2
  unsigned row = threadIdx.x % kTile, firstChunk = threadIdx.x / kTile;
  const float *source = rowOf(view, slice, first + int(row)) + firstChunk * 4;
#pragma unroll
  for (int k = 0; k < kChunks / kChunksApart; ++k) {
    float4 value = *reinterpret_cast<const float4 *>(source + k * kChunksApart * 4);
    int d = (firstChunk + k * kChunksApart) * 4;
    tile[d + 0][row] = value.x * factor;
    tile[d + 1][row] = value.y * factor;
    tile[d + 2][row] = value.z * factor;
    tile[d + 3][row] = value.w * factor;
  }
}

/// Rows [first, first + 64) of `view` into `tile` as they are ([row][d]).
__device__ __forceinline__ void loadRows(Tile &tile, AttentionView view, Slice slice, int first) {
  forEachChunk(tile, view, slice, first, [](float *target, const float *source) {
    *reinterpret_cast<float4 *>(target) = *reinterpret_cast<const float4 *>(source);
  });
}

/// The 16-byte chunk of term `term` that holds rows [4 * rowGroup, + 4) of a
/// swizzled tile.
__device__ __forceinline__ int swizzledChunk(int rowGroup, int term) {
  return rowGroup ^ (term >> 2 & 7);
}

/// `values` (this thread's block, rows by terms) into `tile` as a left
/// operand: term-major, rows' chunks swizzled.
__device__ __forceinline__ void storeSwizzled(Tile &tile, const float (&values)[4][8],
                                              const Owner &owner) {
#pragma unroll
  for (int x = 0; x < 8; ++x) {
    int term = owner.columnOf(x);
    *reinterpret_cast<float4 *>(&tile[term][swizzledChunk(owner.rowGroup, term) * 4]) =
        make_float4(values[0][x], values[1][x], values[2][x], values[3][x]);
  }
}

/// result += left^T right over the 64 terms: left [term][row] (chunks
/// swizzled when `Swizzled`), right [term][column].
template <bool Swizzled>
__device__ __forceinline__ void accumulate(float (&result)[4][8], const Tile &left,
                                           const Tile &right, const Owner &owner) {
#pragma unroll 4
  for (int term = 0; term < kTile; ++term) {
    int chunk = Swizzled ? swizzledChunk(owner.rowGroup, term) : owner.rowGroup;
    float4 a = *reinterpret_cast<const float4 *>(&left[term][chunk * 4]);
    float4 b0 = *reinterpret_cast<const float4 *>(&right[term][owner.column * 4]);
    float4 b1 = *reinterpret_cast<const float4 *>(&right[term][32 + owner.column * 4]);
    const float as[4] = {a.x, a.y, a.z, a.w};
    const float bs[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
      for (int x = 0; x < 8; ++x)
        result[r][x] = fmaf(as[r], bs[x], result[r][x]);
  }
}

/// The sum or maximum of `value` over the 8 threads that share a row group
/// (consecutive lanes).
__device__ __forceinline__ float rowSum(float value) {
  for (int mask = 1; mask < 8; mask <<= 1)
    value += __shfl_xor_sync(0xffffffffu, value, mask);
  return value;
}

__device__ __forceinline__ float rowMax(float value) {
  for (int mask = 1; mask < 8; mask <<= 1)
    value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, mask));
  return value;
}

/// Writes this thread's block of rows [first, first + 64) of `view`, times
/// `factor`.
__device__ __forceinline__ void storeRows(AttentionView view, Slice slice, int first,
                                          const float (&values)[4][8], const Owner &owner,
                                          float factor) {
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    float *row = rowOf(view, slice, first + owner.row(r));
    const float(&v)[8] = values[r];
    *reinterpret_cast<float4 *>(row + owner.column * 4) =
        make_float4(v[0] * factor, v[1] * factor, v[2] * factor, v[3] * factor);
    *reinterpret_cast<float4 *>(row + 32 + owner.column * 4) =
        make_float4(v[4] * factor, v[5] * factor, v[6] * factor, v[7] * factor);
  }
}

} // namespace

/// The kernels' dynamic shared memory (CudaAttention.cpp sizes it).
extern __shared__ float4 tgcAttentionF32Shared[];

static __device__ __forceinline__ Tile *sharedTiles() {
  return reinterpret_cast<Tile *>(tgcAttentionF32Shared);
}

/// out and lse. 3 tiles of shared memory (48 KiB).
extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_forward_f32(AttentionParams params) {
  Tile *tiles = sharedTiles();
  Tile &queries = tiles[0]; // [d][query], times scale * log2(e)
  Tile &keys = tiles[1];    // [d][key], then the probabilities [key][query]
  Tile &values = tiles[2];  // [key][d]
  Slice slice = blockSlice(params);
  Owner owner;
  int first = (gridDim.x - 1 - blockIdx.x) * kTile; // the longest rows first when causal
  loadTransposed(queries, params.q, slice, first, params.scale * kLog2e);

  float out[4][8] = {}, maximum[4], sum[4] = {};
  for (int r = 0; r < 4; ++r)
    maximum[r] = -INFINITY;
  for (int tile = 0, last = lastKeyTile(params, first); tile <= last; ++tile) {
    __syncthreads(); // the previous tile's products are done
    loadTransposed(keys, params.k, slice, tile * kTile, 1.0f);
    loadRows(values, params.v, slice, tile * kTile);
    __syncthreads();
    float scores[4][8] = {};
    accumulate<false>(scores, queries, keys, owner);
    bool diagonal = params.causal && masked(params, first, tile * kTile + kTile - 1);
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      if (diagonal)
        for (int x = 0; x < 8; ++x)
          if (masked(params, first + owner.row(r), tile * kTile + owner.columnOf(x)))
            scores[r][x] = -INFINITY;
      float tileMaximum = scores[r][0];
      for (int x = 1; x < 8; ++x)
        tileMaximum = fmaxf(tileMaximum, scores[r][x]);
      float newMaximum = fmaxf(maximum[r], rowMax(tileMaximum));
      float correction = exp2f(maximum[r] - newMaximum);
      maximum[r] = newMaximum;
      sum[r] *= correction;
      for (int x = 0; x < 8; ++x) {
        out[r][x] *= correction;
        scores[r][x] = exp2f(scores[r][x] - newMaximum);
        sum[r] += scores[r][x];
      }
    }
    __syncthreads(); // every thread is done with the keys
    storeSwizzled(keys, scores, owner);
    __syncthreads();
    accumulate<true>(out, keys, values, owner);
  }

  float inverse[4];
  for (int r = 0; r < 4; ++r) {
    float total = rowSum(sum[r]);
    inverse[r] = 1.0f / total;
    if (owner.column == 0)
      rowOf(params.lse, slice, first + owner.row(r)) = (maximum[r] + log2f(total)) * kLn2;
  }
  for (int r = 0; r < 4; ++r)
    for (int x = 0; x < 8; ++x)
      out[r][x] *= inverse[r];
  storeRows(params.out, slice, first, out, owner, 1.0f);
}

/// dq and delta. 5 tiles of shared memory (80 KiB).
extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_backward_queries_f32(AttentionParams params) {
  Tile *tiles = sharedTiles();
  Tile &queries = tiles[0]; // [d][query], times scale * log2(e)
  Tile &douts = tiles[1];   // [d][query]
  Tile &keys = tiles[2];    // [d][key]
  Tile &values = tiles[3];  // [d][key], then dS [key][query]
  Tile &keyRows = tiles[4]; // [key][d]
  Slice slice = blockSlice(params);
  Owner owner;
  int first = (gridDim.x - 1 - blockIdx.x) * kTile;
  loadTransposed(queries, params.q, slice, first, params.scale * kLog2e);
  loadTransposed(douts, params.dout, slice, first, 1.0f);

  // delta = rowsum(dout * out), each row's 8 threads a part of it.
  float delta[4], lse[4];
  for (int r = 0; r < 4; ++r) {
    const float *dout = rowOf(params.dout, slice, first + owner.row(r));
    const float *out = rowOf(params.out, slice, first + owner.row(r));
    float partial = 0;
    for (int half = 0; half < 2; ++half) {
      float4 a = *reinterpret_cast<const float4 *>(dout + half * 32 + owner.column * 4);
      float4 b = *reinterpret_cast<const float4 *>(out + half * 32 + owner.column * 4);
      partial += a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
    }
    delta[r] = rowSum(partial);
    lse[r] = rowOf(params.lse, slice, first + owner.row(r)) * kLog2e;
    if (owner.column == 0)
      rowOf(params.delta, slice, first + owner.row(r)) = delta[r];
  }

  float dq[4][8] = {};
  for (int tile = 0, last = lastKeyTile(params, first); tile <= last; ++tile) {
    __syncthreads();
    loadTransposed(keys, params.k, slice, tile * kTile, 1.0f);
    loadTransposed(values, params.v, slice, tile * kTile, 1.0f);
    loadRows(keyRows, params.k, slice, tile * kTile);
    __syncthreads();
    float scores[4][8] = {}, dp[4][8] = {};
    accumulate<false>(scores, queries, keys, owner);
    accumulate<false>(dp, douts, values, owner);
    bool diagonal = params.causal && masked(params, first, tile * kTile + kTile - 1);
#pragma unroll
    for (int r = 0; r < 4; ++r)
      for (int x = 0; x < 8; ++x) {
        float p = exp2f(scores[r][x] - lse[r]);
        if (diagonal && masked(params, first + owner.row(r), tile * kTile + owner.columnOf(x)))
          p = 0.0f;
        scores[r][x] = p * (dp[r][x] - delta[r]); // dS
      }
    __syncthreads(); // every thread is done with the values
    storeSwizzled(values, scores, owner);
    __syncthreads();
    accumulate<true>(dq, values, keyRows, owner);
  }
  storeRows(params.dq, slice, first, dq, owner, params.scale);
}

/// dk and dv; reads the delta the queries' kernel wrote. 6 tiles of shared
/// memory (96 KiB).
extern "C" __global__ void __launch_bounds__(kThreads)
    tgc_attention_backward_keys_f32(AttentionParams params) {
  Tile *tiles = sharedTiles();
  Tile &keys = tiles[0];      // [d][key], times scale * log2(e)
  Tile &values = tiles[1];    // [d][key]
  Tile &queries = tiles[2];   // [d][query], then P [query][key]
  Tile &douts = tiles[3];     // [d][query], then dS [query][key]
  Tile &queryRows = tiles[4]; // [query][d]
  Tile &doutRows = tiles[5];  // [query][d]
  Slice slice = blockSlice(params);
  Owner owner;
  int first = blockIdx.x * kTile; // the keys with the most queries first when causal
  loadTransposed(keys, params.k, slice, first, params.scale * kLog2e);
  loadTransposed(values, params.v, slice, first, 1.0f);

  int queryTiles = params.queries / kTile, firstTile = firstQueryTile(params, first);
  float dk[4][8] = {}, dv[4][8] = {};
  for (int tile = firstTile; tile < queryTiles; ++tile) {
    __syncthreads();
    loadTransposed(queries, params.q, slice, tile * kTile, 1.0f);
    loadTransposed(douts, params.dout, slice, tile * kTile, 1.0f);
    loadRows(queryRows, params.q, slice, tile * kTile);
    loadRows(doutRows, params.dout, slice, tile * kTile);
    __syncthreads();
    float scores[4][8] = {}, dp[4][8] = {}; // transposed: rows keys, columns queries
    accumulate<false>(scores, keys, queries, owner);
    accumulate<false>(dp, values, douts, owner);
    bool diagonal = params.causal && masked(params, tile * kTile, first + kTile - 1);
#pragma unroll
    for (int x = 0; x < 8; ++x) {
      int query = tile * kTile + owner.columnOf(x);
      float lse = rowOf(params.lse, slice, query) * kLog2e;
      float delta = rowOf(params.delta, slice, query);
      for (int r = 0; r < 4; ++r) {
        float p = exp2f(scores[r][x] - lse);
        if (diagonal && masked(params, query, first + owner.row(r)))
          p = 0.0f;
        scores[r][x] = p;
        dp[r][x] = p * (dp[r][x] - delta); // dS
      }
    }
    __syncthreads(); // every thread is done with the queries and douts
    storeSwizzled(queries, scores, owner);
    storeSwizzled(douts, dp, owner);
    __syncthreads();
    accumulate<true>(dv, queries, doutRows, owner);
    accumulate<true>(dk, douts, queryRows, owner);
  }
  storeRows(params.dk, slice, first, dk, owner, params.scale);
  storeRows(params.dv, slice, first, dv, owner, 1.0f);
}
