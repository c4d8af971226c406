//===- CudaAttentionKernels.h - what the attention kernels share -*- C++ -*-===//
//
// Device code included by the attention kernel files (CudaAttention.cu,
// bf16; CudaAttentionF32.cu, f32 on CUDA cores; CudaAttentionTF32.cu, f32 on
// tensor cores): a block's slice, the addresses of rows and statistics in
// the views, the f32 kernels' tile copies and causal mask. Portable CUDA C++ (the
// runtime tests compile it for the host too).
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_ATTENTION_KERNELS_H
#define TGC_RUNTIME_CUDA_ATTENTION_KERNELS_H

#include "CudaAttention.h"

namespace tgc_attention {

constexpr int kHead = 64;             // head size D
constexpr int kTile = kAttentionTile; // rows of a block and of a tile (64)
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

/// The (batch, head) slice a block works on.
struct Slice {
  int batch, head;
};

/// This block's slice: the grid's y is batch * heads + head.
__device__ __forceinline__ Slice blockSlice(const AttentionParams &params) {
  return {int(blockIdx.y) / params.heads, int(blockIdx.y) % params.heads};
}

/// Row `row` of `slice` of a view of `Element`s. Addresses are computed
/// where they are used: pointers moved to the slice once, at a kernel's
/// start, stay live in registers and make ptxas spill.
template <typename Element = float>
__device__ __forceinline__ Element *rowOf(AttentionView view, Slice slice, int row) {
  return const_cast<Element *>(static_cast<const Element *>(view.data)) +
         slice.batch * view.batchStride + slice.head * view.headStride + row * view.rowStride;
}

/// Row `row`'s statistic in `slice`.
__device__ __forceinline__ float &rowOf(AttentionStatistics statistics, Slice slice, int row) {
  return statistics
      .data[slice.batch * statistics.batchStride + slice.head * statistics.headStride + row];
}

/// `body(target, source)` for the 16-byte chunks of rows [first, first +
/// 64) of `view` that this thread (of kAttentionThreads) moves into `tile`
/// (64 rows of `Element`, padded to kStride or not): the same columns of
/// every few rows, one address computed, then stepped (computed for each
/// chunk, the addresses took some 20 instructions a copy).
template <typename Element, int kStride, typename Body>
__device__ __forceinline__ void forEachChunk(Element (&tile)[kTile][kStride], AttentionView view,
                                             Slice slice, int first, Body body) {
  constexpr int kPerChunk = 16 / sizeof(Element), kChunks = kHead / kPerChunk;
  constexpr int kRowsApart = kAttentionThreads / kChunks;
  unsigned row = threadIdx.x / kChunks, column = threadIdx.x % kChunks * kPerChunk;
  const Element *source = rowOf<Element>(view, slice, first + int(row)) + column;
  Element *target = &tile[row][column];
#pragma unroll
  for (int k = 0; k < kTile / kRowsApart; ++k)
    body(target + k * kRowsApart * kStride, source + k * kRowsApart * view.rowStride);
}

/// The last key tile that queries [first, first + 64) see.
__device__ __forceinline__ int lastKeyTile(const AttentionParams &params, int first) {
  if (!params.causal)
    return params.keys / kTile - 1;
  return (first + kTile - 1 + params.keys - params.queries) / kTile;
}

/// The first query tile that sees keys [first, first + 64).
__device__ __forceinline__ int firstQueryTile(const AttentionParams &params, int first) {
  int offset = params.keys - params.queries;
  return params.causal ? max(0, (first - offset) / kTile) : 0;
}

/// Whether key `key` is hidden from query `query`.
__device__ __forceinline__ bool masked(const AttentionParams &params, int query, int key) {
  return params.causal && key > query + (params.keys - params.queries);
}

} // namespace tgc_attention

#endif // TGC_RUNTIME_CUDA_ATTENTION_KERNELS_H
