//===- CudaAttention.cpp - fused attention: checks and launches -----------===//
//
// The host side of tgc_cuda_attention_{forward,backward}_{bf16,f32}: checks
// the views against what the kernels (CudaAttention.cu; for f32
// CudaAttentionF32.cu, or CudaAttentionTF32.cu where TGC_CUDA_MATMUL lets
// FP32 products use tensor cores) assume (Attention.h, shared with the host
// reference), then launches them on the runtime's stream. The kernels' PTX
// is embedded at build time (CMakeLists.txt: nvcc, compute_80); a runtime
// built without nvcc says so.
//
//===----------------------------------------------------------------------===//

#include "CudaAttention.h"

#include "Attention.h"
#include "Cuda.h"
#include "Error.h"

#include "tgc/runtime.h"

#include <array>
#include <cstdint>
#include <optional>

#ifdef TGC_CUDA_KERNELS_PTX
extern "C" const char tgc_attention_ptx[];
extern "C" const char tgc_attention_f32_ptx[];
extern "C" const char tgc_attention_tf32_ptx[];
#endif

namespace tgc {
namespace {

/// The kernels of one element type and precision: their PTX (null in a
/// runtime built without nvcc), names and dynamic shared memory.
struct Kernels {
  const char *image;
  const char *forward, *queries, *keys;
  unsigned forwardShared, queriesShared, keysShared;
};

#ifdef TGC_CUDA_KERNELS_PTX
#define TGC_ATTENTION_PTX(symbol) symbol
#else
#define TGC_ATTENTION_PTX(symbol) nullptr
#endif

/// bf16 views: tensor cores.
Kernels bf16Kernels() {
  return {TGC_ATTENTION_PTX(tgc_attention_ptx),
          "tgc_attention_forward_bf16",
          "tgc_attention_backward_queries_bf16",
          "tgc_attention_backward_keys_bf16",
          kAttentionBF16ForwardShared,
          kAttentionBF16QueriesShared,
          kAttentionBF16KeysShared};
}

/// f32 views: exact FP32 products on CUDA cores.
Kernels cudaCoreKernels() {
  return {TGC_ATTENTION_PTX(tgc_attention_f32_ptx),
          "tgc_attention_forward_f32",
          "tgc_attention_backward_queries_f32",
          "tgc_attention_backward_keys_f32",
          kAttentionF32ForwardShared,
          kAttentionF32QueriesShared,
          kAttentionF32KeysShared};
}

/// f32 views on TF32 tensor cores: 3xTF32 (`split`, f32's accuracy) or one
/// TF32 pass.
Kernels tensorCoreKernels(bool split) {
  return {TGC_ATTENTION_PTX(tgc_attention_tf32_ptx),
          split ? "tgc_attention_forward_3xtf32" : "tgc_attention_forward_tf32",
          split ? "tgc_attention_backward_queries_3xtf32" : "tgc_attention_backward_queries_tf32",
          split ? "tgc_attention_backward_keys_3xtf32" : "tgc_attention_backward_keys_tf32",
          kAttentionTF32ForwardShared,
          kAttentionTF32QueriesShared,
          kAttentionTF32KeysShared};
}

#undef TGC_ATTENTION_PTX

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

/// Runs the forward with `kernels`.
void launchForward(const Kernels &kernels, const AttentionShape &shape, AttentionParams &params) {
  launch(kernels.image, kernels.forward, shape.queries / kAttentionTile, shape.slices(),
         kernels.forwardShared, params);
}

/// Runs the backward with `kernels`: dq and delta first, the keys' kernel
/// reads delta.
void launchBackward(const Kernels &kernels, const AttentionShape &shape, AttentionParams &params) {
  if (shape.queries > 0)
    launch(kernels.image, kernels.queries, shape.queries / kAttentionTile, shape.slices(),
           kernels.queriesShared, params);
  launch(kernels.image, kernels.keys, shape.keys / kAttentionTile, shape.slices(),
         kernels.keysShared, params);
}

/// The kernels of a bf16 call.
template <typename Launch>
Kernels kernelsFor(const tgc_memref4_bf16 &, const AttentionShape &, int64_t, bool,
                   const Launch &) {
  return bf16Kernels();
}

/// The kernels of an f32 call: on CUDA cores, unless TGC_CUDA_MATMUL lets
/// FP32 products use tensor cores: then 3xTF32 (3xtf32), or one TF32 pass
/// (tf32, and bf16, which TF32 is more accurate than). Under 3xtf32 with
/// TGC_CUDA_GEMM_TUNING=1, the faster of 3xTF32 and CUDA cores (both have
/// f32's accuracy), each timed on the call's own arguments (`launch(kernels)`
/// runs the call; its results are a function of its inputs) at its shape's
/// first eager call.
template <typename Launch>
Kernels kernelsFor(const tgc_memref4_f32 &, const AttentionShape &shape, int64_t causal,
                   bool backward, const Launch &launch) {
  cuda::Fp32Products products = cuda::fp32Products();
  if (products == cuda::Fp32Products::Exact)
    return cudaCoreKernels();
  Kernels tensorCores = tensorCoreKernels(products == cuda::Fp32Products::Split3xTF32);
  if (products != cuda::Fp32Products::Split3xTF32 || !cuda::gemmTuning())
    return tensorCores;
  using Key = std::array<int64_t, 5>; // slices, queries, keys, causal, backward
  static cuda::TimedChoice<Key> *cudaCoresFaster = new cuda::TimedChoice<Key>; // never destroyed
  Kernels cudaCores = cudaCoreKernels();
  std::optional<bool> faster = cudaCoresFaster->candidateFaster(
      {shape.slices(), shape.queries, shape.keys, causal, backward},
      [&] {
        launch(cudaCores);
        return true;
      },
      [&] { launch(tensorCores); });
  // Inside a capture, the tensor cores until an eager call decides.
  return faster.value_or(false) ? cudaCores : tensorCores;
}

template <typename View>
void forward(const View &q, const View &k, const View &v, const View &out,
             const tgc_memref3_f32 &lse, int64_t causal, float scale) {
  AttentionShape shape =
      checkAttentionForward("attention forward (CUDA)", q, k, v, out, lse, causal, /*device=*/true);
  if (shape.slices() == 0 || shape.queries == 0)
    return;
  AttentionParams params = forwardParams(shape, q, k, v, out, lse, causal, scale);
  auto run = [&](const Kernels &kernels) { launchForward(kernels, shape, params); };
  run(kernelsFor(q, shape, causal, /*backward=*/false, run));
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
  auto run = [&](const Kernels &kernels) { launchBackward(kernels, shape, params); };
  run(kernelsFor(q, shape, causal, /*backward=*/true, run));
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
