//===- CudaAttention.cpp - fused attention on the device (placeholder) ----===//
//
// TEMPORARY, until the kernels land: the CUDA pipeline calls these for
// eligible attentions (tg-gpu-fused-attention); they check their views as
// the kernels will and then fail, as a failing cuBLAS call does (one line,
// exit status 1), so that the runtime links and nothing computes garbage.
//
//===----------------------------------------------------------------------===//

#include "Attention.h"
#include "Error.h"

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_attention_forward_bf16(tgc_memref3_bf16 *q, tgc_memref3_bf16 *k,
                                                  tgc_memref3_bf16 *v, tgc_memref3_bf16 *out,
                                                  tgc_memref2_f32 *lse, int64_t causal,
                                                  float /*scale*/) {
  const char *function = "CUDA attention forward";
  if (catchErrors([&] {
        checkAttentionForward(function, *q, *k, *v, *out, *lse, causal, true);
        fail(TGC_ERROR_DEVICE, "%s: the kernels are not built into this runtime", function);
      }) != TGC_OK)
    tgc_cuda_fail();
}

void _mlir_ciface_tgc_cuda_attention_backward_bf16(tgc_memref3_bf16 *q, tgc_memref3_bf16 *k,
                                                   tgc_memref3_bf16 *v, tgc_memref3_bf16 *out,
                                                   tgc_memref3_bf16 *dout, tgc_memref2_f32 *lse,
                                                   tgc_memref3_bf16 *dq, tgc_memref3_bf16 *dk,
                                                   tgc_memref3_bf16 *dv, tgc_memref2_f32 *delta,
                                                   int64_t causal, float /*scale*/) {
  const char *function = "CUDA attention backward";
  if (catchErrors([&] {
        checkAttentionBackward(function, *q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta,
                               causal, true);
        fail(TGC_ERROR_DEVICE, "%s: the kernels are not built into this runtime", function);
      }) != TGC_OK)
    tgc_cuda_fail();
}

} // extern "C"
