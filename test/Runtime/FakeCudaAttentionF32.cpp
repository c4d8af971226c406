//===- FakeCudaAttentionF32.cpp - f32 attention kernels for the fake driver ===//
//
// runtime/CudaAttentionF32.cu on the host, for FakeCuda.cpp (FakeCudaAttention.h).
//
//===----------------------------------------------------------------------===//

#include "SimtHost.h"

#include "CudaAttentionF32.cu"

#include "FakeCudaAttention.h"

alignas(16) float4 tgcAttentionF32Shared[kAttentionF32KeysShared / sizeof(float4)];

const FakeAttentionKernels fakeAttentionF32 = {
    {{"tgc_attention_forward_f32", tgc_attention_forward_f32, kAttentionF32ForwardShared},
     {"tgc_attention_backward_queries_f32", tgc_attention_backward_queries_f32,
      kAttentionF32QueriesShared},
     {"tgc_attention_backward_keys_f32", tgc_attention_backward_keys_f32, kAttentionF32KeysShared}},
    3,
    tgcAttentionF32Shared};
