//===- FakeCudaAttentionBF16.cpp - bf16 attention kernels for the fake driver ===//
//
// runtime/CudaAttention.cu on the host, for FakeCuda.cpp (FakeCudaAttention.h).
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttention.cu"

#include "FakeCudaAttention.h"

alignas(16) float4 tgcAttentionShared[kAttentionBF16KeysShared / sizeof(float4)];

const FakeAttentionKernels fakeAttentionBF16 = {
    {{"tgc_attention_forward_bf16", tgc_attention_forward_bf16, kAttentionBF16ForwardShared},
     {"tgc_attention_backward_queries_bf16", tgc_attention_backward_queries_bf16,
      kAttentionBF16QueriesShared},
     {"tgc_attention_backward_keys_bf16", tgc_attention_backward_keys_bf16,
      kAttentionBF16KeysShared}},
    3,
    tgcAttentionShared};
