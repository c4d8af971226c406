//===- CudaAttention.h - the attention kernels' parameters -------*- C++ -*-===//
//
// Shared by the kernels (CudaAttention.cu, compiled by nvcc) and their host
// side (CudaAttention.cpp): one struct passed by value, so both must agree on
// its layout; plain C types only.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_ATTENTION_H
#define TGC_RUNTIME_CUDA_ATTENTION_H

/// The kernels' tiles: 64 rows of 64 elements, a block of 128 threads each.
enum { kAttentionTile = 64, kAttentionThreads = 128 };

/// The dynamic shared memory of the bf16 kernels (CudaAttention.cu): 4
/// tiles of 64 rows of 72 bf16, and for the dQ and dK/dV kernels 2 and 4
/// rows' statistics of 64 floats.
enum {
  kAttentionBF16ForwardShared = 4 * 64 * 72 * 2,
  kAttentionBF16QueriesShared = 4 * 64 * 72 * 2 + 2 * 64 * 4,
  kAttentionBF16KeysShared = 4 * 64 * 72 * 2 + 4 * 64 * 4,
};

/// The dynamic shared memory of the f32 kernels (CudaAttentionF32.cu): 3, 5
/// and 6 tiles of 64 x 64 floats.
enum {
  kAttentionF32ForwardShared = 3 * 64 * 64 * 4,
  kAttentionF32QueriesShared = 5 * 64 * 64 * 4,
  kAttentionF32KeysShared = 6 * 64 * 64 * 4,
};

/// The dynamic shared memory of the TF32 kernels (CudaAttentionTF32.cu): 4,
/// 6 and 6 tiles of 64 rows of 68 floats, and for the dK/dV kernel two
/// query tiles' statistics.
enum {
  kAttentionTF32ForwardShared = 4 * 64 * 68 * 4,
  kAttentionTF32QueriesShared = 6 * 64 * 68 * 4,
  kAttentionTF32KeysShared = 6 * 64 * 68 * 4 + 2 * 2 * 64 * 4,
};

/// Row `row` of slice (batch, head) of a [B, H, T, 64] bf16 or f32 view starts at
/// data + batch * batchStride + head * headStride + row * rowStride
/// (elements); rows are contiguous and 16-byte aligned.
struct AttentionView {
  const void *data;
  long long batchStride, headStride, rowStride;
};

/// Row `row` of slice (batch, head) of [B, H, T] f32 statistics is
/// data[batch * batchStride + head * headStride + row].
struct AttentionStatistics {
  float *data;
  long long batchStride, headStride;
};

struct AttentionParams {
  AttentionView q, k, v, out, dout, dq, dk, dv;
  AttentionStatistics lse, delta;
  int heads, queries, keys, causal;
  float scale;
};

#endif // TGC_RUNTIME_CUDA_ATTENTION_H
