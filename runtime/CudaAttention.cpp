//===- CudaAttention.cpp - fused attention: checks and launches -----------===//
//
// The host side of tgc_cuda_attention_{forward,backward}_{bf16,f32}: checks
// the views against what the kernels (CudaAttention.cu, CudaAttentionF32.cu)
// assume (Attention.h, shared with the host reference), then launches them on
// the runtime's stream. The kernels' PTX is embedded at build time
// (CMakeLists.txt: nvcc, compute_80); a runtime built without nvcc says so.
//
//===----------------------------------------------------------------------===//

#include "CudaAttention.h"

#include "Attention.h"
#include "Cuda.h"
#include "Error.h"

#include "tgc/runtime.h"

#include <cstdint>

#ifdef TGC_CUDA_KERNELS_PTX
extern "C" const char tgc_attention_ptx[];
extern "C" const char tgc_attention_f32_ptx[];
#endif

namespace tgc {
namespace {

/// The kernels of one element type: their PTX, names and shared memory.
template <typename View> struct Kernels;

template <> struct Kernels<tgc_memref4_bf16> {
  static const char *image() {
#ifdef TGC_CUDA_KERNELS_PTX
    return tgc_attention_ptx;
#else
    return nullptr;
#endif
  }
  static constexpr const char *forward = "tgc_attention_forward_bf16";
  static constexpr const char *queries = "tgc_attention_backward_queries_bf16";
  static constexpr const char *keys = "tgc_attention_backward_keys_bf16";
  static constexpr unsigned forwardShared = 0, queriesShared = 0, keysShared = 0; // static
};

template <> struct Kernels<tgc_memref4_f32> {
  static const char *image() {
#ifdef TGC_CUDA_KERNELS_PTX
    return tgc_attention_f32_ptx;
#else
    return nullptr;
#endif
  }
  static constexpr const char *forward = "tgc_attention_forward_f32";
  static constexpr const char *queries = "tgc_attention_backward_queries_f32";
  static constexpr const char *keys = "tgc_attention_backward_keys_f32";
  static constexpr unsigned forwardShared = kAttentionF32ForwardShared,
                            queriesShared = kAttentionF32QueriesShared,
                            keysShared = kAttentionF32KeysShared;
};

/// Launches `kernel` of `image` on a grid of `tiles` x `slices` blocks.
void launch(const char *image, const char *kernel, int64_t tiles, int64_t slices,
            unsigned sharedBytes, AttentionParams &params) {
  if (!image)
    fail(TGC_ERROR_DEVICE,
         "%s: this runtime was built without nvcc, so it has no attention "
         "kernels (rebuild with CUDA installed, or compile the model with "
         "tgc --no-fused-attention)",
         kernel);
  const unsigned grid[3] = {unsigned(tiles), unsigned(slices), 1},
                 block[3] = {unsigned(kAttentionThreads), 1, 1};
  void *arguments[] = {&params};
  cuda::launch(image, kernel, grid, block, arguments, sharedBytes);
}

template <typename View>
void forward(const View &q, const View &k, const View &v, const View &out,
             const tgc_memref3_f32 &lse, int64_t causal, float scale) {
  AttentionShape shape =
      checkAttentionForward("attention forward (CUDA)", q, k, v, out, lse, causal, /*device=*/true);
  if (shape.slices() == 0 || shape.queries == 0)
    return;
  AttentionParams params = forwardParams(shape, q, k, v, out, lse, causal, scale);
  using K = Kernels<View>;
  launch(K::image(), K::forward, shape.queries / kAttentionTile, shape.slices(), K::forwardShared,
         params);
}

template <typename View>
void backward(const View &q, const View &k, const View &v, const View &out, const View &dout,
              const tgc_memref3_f32 &lse, const View &dq, const View &dk, const View &dv,
              const tgc_memref3_f32 &delta, int64_t causal, float scale) {
  AttentionShape shape = checkAttentionBackward("attention backward (CUDA)", q, k, v, out, dout,
                                                lse, dq, dk, dv, delta, causal, /*device=*/true);
  if (shape.slices() == 0)
    return;
  AttentionParams params =
      backwardParams(shape, q, k, v, out, dout, lse, dq, dk, dv, delta, causal, scale);
  using K = Kernels<View>;
  // dq and delta first: the keys' kernel reads delta.
  if (shape.queries > 0)
    launch(K::image(), K::queries, shape.queries / kAttentionTile, shape.slices(), K::queriesShared,
           params);
  launch(K::image(), K::keys, shape.keys / kAttentionTile, shape.slices(), K::keysShared, params);
}

} // namespace
} // namespace tgc

using namespace tgc;

extern "C" {

void _mlir_ciface_tgc_cuda_attention_forward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                  tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                  tgc_memref3_f32 *lse, int64_t causal,
                                                  float scale) {
  orExit([&] { forward(*q, *k, *v, *out, *lse, causal, scale); });
}

void _mlir_ciface_tgc_cuda_attention_backward_bf16(tgc_memref4_bf16 *q, tgc_memref4_bf16 *k,
                                                   tgc_memref4_bf16 *v, tgc_memref4_bf16 *out,
                                                   tgc_memref4_bf16 *dout, tgc_memref3_f32 *lse,
                                                   tgc_memref4_bf16 *dq, tgc_memref4_bf16 *dk,
                                                   tgc_memref4_bf16 *dv, tgc_memref3_f32 *delta,
                                                   int64_t causal, float scale) {
  orExit([&] { backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale); });
}

void _mlir_ciface_tgc_cuda_attention_forward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                                 tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                                 tgc_memref3_f32 *lse, int64_t causal,
                                                 float scale) {
  orExit([&] { forward(*q, *k, *v, *out, *lse, causal, scale); });
}

void _mlir_ciface_tgc_cuda_attention_backward_f32(tgc_memref4_f32 *q, tgc_memref4_f32 *k,
                                                  tgc_memref4_f32 *v, tgc_memref4_f32 *out,
                                                  tgc_memref4_f32 *dout, tgc_memref3_f32 *lse,
                                                  tgc_memref4_f32 *dq, tgc_memref4_f32 *dk,
                                                  tgc_memref4_f32 *dv, tgc_memref3_f32 *delta,
                                                  int64_t causal, float scale) {
  orExit([&] { backward(*q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale); });
}

} // extern "C"
