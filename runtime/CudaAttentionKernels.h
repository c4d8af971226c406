//===- CudaAttentionKernels.h - what the attention kernels share -*- C++ -*-===//
//
// Device code included by the attention kernel files (CudaAttention.cu,
// bf16; CudaAttentionF32.cu, f32 on CUDA cores; CudaAttentionTF32.cu, f32 on
// tensor cores): a block's slice, the addresses of rows and statistics in
// the views, and the f32 kernels' causal mask. Portable CUDA C++ (the
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
