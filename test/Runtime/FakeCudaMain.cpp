//===- FakeCudaMain.cpp - the CUDA tests on the host's fake driver --------===//
//
// tgc-cuda-fake-tests: the CUDA GoogleTests that need no generated kernels,
// against FakeCuda.cpp (driver, cuBLAS and cuBLASLt on the host, and the
// runtime's own split and attention kernels), so that the runtime's CUDA
// layer, its cuBLAS calls, its graphs and its attention entry points are
// checked without a GPU.
//
//===----------------------------------------------------------------------===//

#include <gtest/gtest.h>

#include <cstdlib>

int main(int argc, char **argv) {
  setenv("TGC_CUDA_LIBRARY", TGC_FAKE_CUDA_LIBRARY, 1);
  setenv("TGC_CUBLAS_LIBRARY", TGC_FAKE_CUDA_LIBRARY, 1);
  setenv("TGC_CUBLASLT_LIBRARY", TGC_FAKE_CUDA_LIBRARY, 1);
  testing::InitGoogleTest(&argc, argv);
  if (GTEST_FLAG_GET(filter) == "*")
    GTEST_FLAG_SET(filter, "Cuda*:Shapes/CudaAttention*-CudaAvailability.*:*Kernel*:*Launch*");
  return RUN_ALL_TESTS();
}
