//===- FakeCudaAttention.h - attention kernels for the fake driver -*- C++ -*-===//
//
// The runtime's attention kernels compiled as host C++ (SimtHost.h), each
// kernel file in a translation unit of its own (their helpers share names):
// FakeCudaAttentionBF16.cpp, FakeCudaAttentionF32.cpp and
// FakeCudaAttentionTF32.cpp. FakeCuda.cpp runs them where the runtime
// launches them.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_RUNTIME_FAKE_CUDA_ATTENTION_H
#define TGC_TEST_RUNTIME_FAKE_CUDA_ATTENTION_H

#include "CudaAttention.h"

struct float4;

/// One kernel: its name, its host build and the dynamic shared memory it
/// uses (CudaAttention.h's sizes).
struct FakeAttentionKernel {
  const char *name;
  void (*kernel)(AttentionParams);
  unsigned sharedBytes;
};

/// A kernel file's kernels and the shared memory array they address (its
/// `extern __shared__` array, as large as the largest takes).
struct FakeAttentionKernels {
  FakeAttentionKernel kernels[6];
  int count;
  float4 *shared;
};

extern const FakeAttentionKernels fakeAttentionBF16, fakeAttentionF32, fakeAttentionTF32;

#endif // TGC_TEST_RUNTIME_FAKE_CUDA_ATTENTION_H
