//===- CudaAttention.cpp - fused attention: checks and launches -----------===//
//
// The host side of tgc_cuda_attention_{forward,backward}_bf16: checks the
// views against what the kernels (CudaAttention.cu) assume (Attention.h,
// shared with the host reference), then launches them on the runtime's
// stream. The kernels' PTX is embedded at build time
// (CMakeLists.txt: nvcc, compute_80); a runtime built without nvcc says so.
//
//===----------------------------------------------------------------------===//

#include "CudaAttention.h"

#include "Attention.h"
#include "Cuda.h"
#include "Error.h"

#include "tgc/runtime.h"

#include <cstdint>

#ifdef TGC_CUDA_ATTENTION_PTX
extern "C" const char tgc_attention_ptx[];
#endif

namespace tgc {
namespace {

constexpr int64_t kTile = 64, kThreads = 128;

/// Checked views (Attention.h) as the kernels address them.
AttentionView kernelView(const tgc_memref4_bf16 &view) {
  return {view.aligned + view.offset, view.strides[0], view.strides[1], view.strides[2]};
}

AttentionStatistics kernelStatistics(const tgc_memref3_f32 &view) {
  return {view.aligned + view.offset, view.strides[0], view.strides[1]};
}

AttentionParams forwardParams(const AttentionShape &shape, const tgc_memref4_bf16 &q,
                              const tgc_memref4_bf16 &k, const tgc_memref4_bf16 &v,
                              const tgc_memref4_bf16 &out, const tgc_memref3_f32 &lse,
                              int64_t causal, float scale) {
  AttentionParams params{};
  params.q = kernelView(q);
  params.k = kernelView(k);
  params.v = kernelView(v);
  params.out = kernelView(out);
  params.lse = kernelStatistics(lse);
  params.heads = int(shape.heads);
  params.queries = int(shape.queries);
  params.keys = int(shape.keys);
  params.causal = int(causal);
  params.scale = scale;
  return params;
}

void launch(const char *kernel, unsigned tiles, unsigned slices, AttentionParams &params) {
#ifdef TGC_CUDA_ATTENTION_PTX
  const unsigned grid[3] = {tiles, slices, 1}, block[3] = {unsigned(kThreads), 1, 1};
  void *arguments[] = {&params};
  cuda::launch(tgc_attention_ptx, kernel, grid, block, arguments);
#else
  (void)tiles, (void)slices, (void)params;
  fail(TGC_ERROR_DEVICE,
       "%s: this runtime was built without nvcc, so it has no attention "
       "kernels (rebuild with CUDA installed, or compile the model with "
       "tgc --no-fused-attention)",
       kernel);
#endif
}

void forward(const tgc_memref4_bf16 &q, const tgc_memref4_bf16 &k, const tgc_memref4_bf16 &v,
             const tgc_memref4_bf16 &out, const tgc_memref3_f32 &lse, int64_t causal, float scale) {
  AttentionShape shape =
      checkAttentionForward("attention forward (CUDA)", q, k, v, out, lse, causal, /*device=*/true);
  if (shape.slices() == 0 || shape.queries == 0)
    return;
  AttentionParams params = forwardParams(shape, q, k, v, out, lse, causal, scale);
  launch("tgc_attention_forward_bf16", unsigned(shape.queries / kTile), unsigned(shape.slices()),
         params);
}

void backward(const tgc_memref4_bf16 &q, const tgc_memref4_bf16 &k, const tgc_memref4_bf16 &v,
              const tgc_memref4_bf16 &out, const tgc_memref4_bf16 &dout, const tgc_memref3_f32 &lse,
              const tgc_memref4_bf16 &dq, const tgc_memref4_bf16 &dk, const tgc_memref4_bf16 &dv,
              const tgc_memref3_f32 &delta, int64_t causal, float scale) {
  AttentionShape shape = checkAttentionBackward("attention backward (CUDA)", q, k, v, out, dout,
                                                lse, dq, dk, dv, delta, causal, /*device=*/true);
  if (shape.slices() == 0)
    return;
  AttentionParams params = forwardParams(shape, q, k, v, out, lse, causal, scale);
  params.dout = kernelView(dout);
  params.dq = kernelView(dq);
  params.dk = kernelView(dk);
  params.dv = kernelView(dv);
  params.delta = kernelStatistics(delta);
  // dq and delta first: the keys' kernel reads delta.
  if (shape.queries > 0)
    launch("tgc_attention_backward_queries_bf16", unsigned(shape.queries / kTile),
           unsigned(shape.slices()), params);
  launch("tgc_attention_backward_keys_bf16", unsigned(shape.keys / kTile), unsigned(shape.slices()),
         params);
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_attention_forward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                  tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                  tgc_memref3_f32 *lse, int64_t causal,
                                                  float scale) {
  if (catchErrors([&] { forward(*q, *k, *v, *out, *lse, causal, scale); }) != TGC_OK)
    tgc_cuda_fail();
}

void _mlir_ciface_tgc_cuda_attention_backward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                   tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                   tgc_memref4_bf16 *dout, tgc_memref3_f32 *lse,
                                                   tgc_memref4_bf16 *dq, tgc_memref4_bf16 *dk,
                                                   tgc_memref4_bf16 *dv, tgc_memref3_f32 *delta,
                                                   int64_t causal, float scale) {
  if (catchErrors([&] {
        backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale);
      }) != TGC_OK)
    tgc_cuda_fail();
}

} // extern "C"
