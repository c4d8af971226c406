//===- CudaAttention.cpp - fused attention: checks and launches -----------===//
//
// The host side of tgc_cuda_attention_{forward,backward}_bf16: checks the
// views against what the kernels (CudaAttention.cu) assume, then launches
// them on the runtime's stream. The kernels' PTX is embedded at build time
// (CMakeLists.txt: nvcc, compute_80); a runtime built without nvcc says so.
//
//===----------------------------------------------------------------------===//

#include "CudaAttention.h"

#include "Cuda.h"
#include "Error.h"

#include "tgc/runtime.h"

#include <cstdint>

#ifdef TGC_CUDA_ATTENTION_PTX
extern "C" const char tgc_attention_ptx[];
#endif

namespace tgc {
namespace {

constexpr int64_t kHead = 64, kTile = 64, kThreads = 128;

/// `view` as the kernels' [batch*heads, rows, 64] view, checked.
AttentionView attentionView(const char *name, const tgc_memref3_bf16 &view, int64_t batch,
                            int64_t rows) {
  const int64_t *sizes = view.sizes, *strides = view.strides;
  if (sizes[0] != batch || sizes[1] != rows || sizes[2] != kHead)
    fail(TGC_ERROR_ARGUMENT,
         "attention %s is [%lld, %lld, %lld]; expected [%lld, %lld, %lld] (head size 64)", name,
         (long long)sizes[0], (long long)sizes[1], (long long)sizes[2], (long long)batch,
         (long long)rows, (long long)kHead);
  const uint16_t *first = view.aligned + view.offset;
  // 16-byte rows: the kernels move 8 elements at a time.
  if (strides[2] != 1 || strides[1] % 8 != 0 || strides[0] % 8 != 0 ||
      reinterpret_cast<uintptr_t>(first) % 16 != 0)
    fail(TGC_ERROR_ARGUMENT,
         "attention %s has strides [%lld, %lld, %lld]: the kernels need contiguous, 16-byte "
         "aligned rows",
         name, (long long)strides[0], (long long)strides[1], (long long)strides[2]);
  return {first, strides[0], strides[1]};
}

/// A [batch*heads, queries] statistic with contiguous rows.
float *rowStatistic(const char *name, const tgc_memref2_f32 &view, int64_t batch, int64_t rows,
                    long long &stride) {
  if (view.sizes[0] != batch || view.sizes[1] != rows || view.strides[1] != 1)
    fail(TGC_ERROR_ARGUMENT,
         "attention %s is [%lld, %lld] with strides [%lld, %lld]; expected "
         "[%lld, %lld], rows contiguous",
         name, (long long)view.sizes[0], (long long)view.sizes[1], (long long)view.strides[0],
         (long long)view.strides[1], (long long)batch, (long long)rows);
  stride = view.strides[0];
  return view.aligned + view.offset;
}

/// The shape-checked parameters of both directions.
AttentionParams attentionParams(const tgc_memref3_bf16 &q, const tgc_memref3_bf16 &k,
                                const tgc_memref3_bf16 &v, const tgc_memref3_bf16 &out,
                                const tgc_memref2_f32 &lse, int64_t causal, float scale) {
  int64_t batch = q.sizes[0], queries = q.sizes[1], keys = k.sizes[1];
  if (queries % kTile != 0 || keys % kTile != 0 || queries == 0 || keys == 0)
    fail(TGC_ERROR_ARGUMENT,
         "attention of %lld queries and %lld keys: both must be positive multiples of 64",
         (long long)queries, (long long)keys);
  if (causal && keys < queries)
    fail(TGC_ERROR_ARGUMENT, "causal attention of %lld queries and only %lld keys",
         (long long)queries, (long long)keys);
  if (batch < 1 || batch > 65535 || queries > (1 << 24) || keys > (1 << 24))
    fail(TGC_ERROR_ARGUMENT, "attention of %lld slices of %lld x %lld is too large",
         (long long)batch, (long long)queries, (long long)keys);
  AttentionParams params{};
  params.q = attentionView("q", q, batch, queries);
  params.k = attentionView("k", k, batch, keys);
  params.v = attentionView("v", v, batch, keys);
  params.out = attentionView("out", out, batch, queries);
  params.lse = rowStatistic("lse", lse, batch, queries, params.lseStride);
  params.queries = int(queries);
  params.keys = int(keys);
  params.causal = causal != 0;
  params.scale = scale;
  return params;
}

void launch(const char *kernel, unsigned tiles, unsigned batch, AttentionParams &params) {
#ifdef TGC_CUDA_ATTENTION_PTX
  const unsigned grid[3] = {tiles, batch, 1}, block[3] = {unsigned(kThreads), 1, 1};
  void *arguments[] = {&params};
  cuda::launch(tgc_attention_ptx, kernel, grid, block, arguments);
#else
  (void)tiles, (void)batch, (void)params;
  fail(TGC_ERROR_DEVICE,
       "%s: this runtime was built without nvcc, so it has no attention "
       "kernels (rebuild with CUDA installed, or compile the model with "
       "tgc --no-fused-attention)",
       kernel);
#endif
}

void forward(const tgc_memref3_bf16 &q, const tgc_memref3_bf16 &k, const tgc_memref3_bf16 &v,
             const tgc_memref3_bf16 &out, const tgc_memref2_f32 &lse, int64_t causal, float scale) {
  AttentionParams params = attentionParams(q, k, v, out, lse, causal, scale);
  launch("tgc_attention_forward_bf16", unsigned(params.queries / kTile), unsigned(q.sizes[0]),
         params);
}

void backward(const tgc_memref3_bf16 &q, const tgc_memref3_bf16 &k, const tgc_memref3_bf16 &v,
              const tgc_memref3_bf16 &out, const tgc_memref3_bf16 &dout, const tgc_memref2_f32 &lse,
              const tgc_memref3_bf16 &dq, const tgc_memref3_bf16 &dk, const tgc_memref3_bf16 &dv,
              const tgc_memref2_f32 &delta, int64_t causal, float scale) {
  AttentionParams params = attentionParams(q, k, v, out, lse, causal, scale);
  int64_t batch = q.sizes[0];
  params.dout = attentionView("dout", dout, batch, params.queries);
  params.dq = attentionView("dq", dq, batch, params.queries);
  params.dk = attentionView("dk", dk, batch, params.keys);
  params.dv = attentionView("dv", dv, batch, params.keys);
  params.delta = rowStatistic("delta", delta, batch, params.queries, params.deltaStride);
  // dq and delta first: the keys' kernel reads delta.
  launch("tgc_attention_backward_queries_bf16", unsigned(params.queries / kTile), unsigned(batch),
         params);
  launch("tgc_attention_backward_keys_bf16", unsigned(params.keys / kTile), unsigned(batch),
         params);
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_attention_forward_bf16(tgc_memref3_bf16 *q, tgc_memref3_bf16 *k,
                                                  tgc_memref3_bf16 *v, tgc_memref3_bf16 *out,
                                                  tgc_memref2_f32 *lse, int64_t causal,
                                                  float scale) {
  if (catchErrors([&] { forward(*q, *k, *v, *out, *lse, causal, scale); }) != TGC_OK)
    tgc_cuda_fail();
}

void _mlir_ciface_tgc_cuda_attention_backward_bf16(tgc_memref3_bf16 *q, tgc_memref3_bf16 *k,
                                                   tgc_memref3_bf16 *v, tgc_memref3_bf16 *out,
                                                   tgc_memref3_bf16 *dout, tgc_memref2_f32 *lse,
                                                   tgc_memref3_bf16 *dq, tgc_memref3_bf16 *dk,
                                                   tgc_memref3_bf16 *dv, tgc_memref2_f32 *delta,
                                                   int64_t causal, float scale) {
  if (catchErrors([&] {
        backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale);
      }) != TGC_OK)
    tgc_cuda_fail();
}

} // extern "C"
