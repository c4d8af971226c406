//===- FakeCudaAttentionTF32.cpp - TF32 attention kernels for the fake driver ===//
//
// runtime/CudaAttentionTF32.cu on the host, for FakeCuda.cpp (FakeCudaAttention.h).
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttentionTF32.cu"

#include "FakeCudaAttention.h"

alignas(16) float4 tgcAttentionTF32Shared[kAttentionTF32KeysShared / sizeof(float4)];

const FakeAttentionKernels fakeAttentionTF32 = {
    {{"tgc_attention_forward_3xtf32", tgc_attention_forward_3xtf32, kAttentionTF32ForwardShared},
     {"tgc_attention_backward_queries_3xtf32", tgc_attention_backward_queries_3xtf32,
      kAttentionTF32QueriesShared},
     {"tgc_attention_backward_keys_3xtf32", tgc_attention_backward_keys_3xtf32,
      kAttentionTF32KeysShared},
     {"tgc_attention_forward_tf32", tgc_attention_forward_tf32, kAttentionTF32ForwardShared},
     {"tgc_attention_backward_queries_tf32", tgc_attention_backward_queries_tf32,
      kAttentionTF32QueriesShared},
     {"tgc_attention_backward_keys_tf32", tgc_attention_backward_keys_tf32,
      kAttentionTF32KeysShared}},
    6,
    tgcAttentionTF32Shared};
