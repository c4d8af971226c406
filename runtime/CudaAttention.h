//===- CudaAttention.h - the attention kernels' parameters -------*- C++ -*-===//
//
// Shared by the kernels (CudaAttention.cu, compiled by nvcc) and their host
// side (CudaAttention.cpp): one struct passed by value, so both must agree on
// its layout; plain C types only.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_ATTENTION_H
#define TGC_RUNTIME_CUDA_ATTENTION_H

/// Slice `batch`, row `row` of a [batch*heads, T, 64] bf16 view starts at
/// data + batch * batchStride + row * rowStride (elements); rows are
/// contiguous and 16-byte aligned.
struct AttentionView {
  const void *data;
  long long batchStride, rowStride;
};

struct AttentionParams {
  AttentionView q, k, v, out, dout, dq, dk, dv;
  float *lse, *delta; // [batch*heads][queries], rows contiguous
  long long lseStride, deltaStride;
  int queries, keys, causal;
  float scale;
};

#endif // TGC_RUNTIME_CUDA_ATTENTION_H
