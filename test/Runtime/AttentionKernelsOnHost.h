//===- AttentionKernelsOnHost.h - attention kernels run on the host -*- C++ -*-===//
//
// For the tests that compile a runtime attention kernel file as host C++
// (include SimtHost.h and the kernel file first): its three kernels behind
// the runtime's forward and backward signatures, the views checked and the
// kernels launched as CudaAttention.cpp does, each block's threads as
// SimtHost's fibers.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_RUNTIME_ATTENTION_KERNELS_ON_HOST_H
#define TGC_TEST_RUNTIME_ATTENTION_KERNELS_ON_HOST_H

#include "Attention.h"

#include "tgc/runtime.h"

namespace tgc::test {

/// The kernels of one element type and precision, with their dynamic shared
/// memory and a buffer as large as the largest takes. View is
/// tgc_memref4_f32 or tgc_memref4_bf16.
template <typename View> struct AttentionKernelsOnHost {
  using Kernel = void (*)(AttentionParams);
  Kernel forward, queries, keys;
  unsigned forwardShared, queriesShared, keysShared;
  float4 *shared;

  void operator()(View *q, View *k, View *v, View *out, tgc_memref3_f32 *lse, int64_t causal,
                  float scale) const {
    AttentionShape shape =
        checkAttentionForward("kernels on the host", *q, *k, *v, *out, *lse, causal, true);
    AttentionParams params = forwardParams(shape, *q, *k, *v, *out, *lse, causal, scale);
    simt::launch({unsigned(shape.queries / kAttentionTile), unsigned(shape.slices()), 1},
                 kAttentionThreads, shared, forwardShared, forward, params);
  }

  void operator()(View *q, View *k, View *v, View *out, View *dout, tgc_memref3_f32 *lse, View *dq,
                  View *dk, View *dv, tgc_memref3_f32 *delta, int64_t causal, float scale) const {
    AttentionShape shape = checkAttentionBackward("kernels on the host", *q, *k, *v, *out, *dout,
                                                  *lse, *dq, *dk, *dv, *delta, causal, true);
    AttentionParams params =
        backwardParams(shape, *q, *k, *v, *out, *dout, *lse, *dq, *dk, *dv, *delta, causal, scale);
    unsigned slices = unsigned(shape.slices());
    simt::launch({unsigned(shape.queries / kAttentionTile), slices, 1}, kAttentionThreads, shared,
                 queriesShared, queries, params);
    simt::launch({unsigned(shape.keys / kAttentionTile), slices, 1}, kAttentionThreads, shared,
                 keysShared, keys, params);
  }
};

} // namespace tgc::test

#endif // TGC_TEST_RUNTIME_ATTENTION_KERNELS_ON_HOST_H
