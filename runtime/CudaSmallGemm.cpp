//===- CudaSmallGemm.cpp - the small FP32 GEMM kernels' launches ----------===//
//
// The host side of CudaSmallGemm.cu: which kernel and grid a product gets
// (CudaSmallGemm.h) and its launch on the runtime's stream. CudaBlas.cpp
// sends FP32 matmuls here under TGC_CUDA_SMALL_GEMM=1, or where GEMM tuning
// timed them faster than cuBLAS. The kernels' PTX is embedded at build time
// like the attention kernels'.
//
//===----------------------------------------------------------------------===//

#include "CudaSmallGemm.h"

#include "Cuda.h"

#ifdef TGC_CUDA_KERNELS_PTX
extern "C" const char tgc_small_gemm_ptx[];
#endif

namespace tgc {

bool runSmallGemm(const tgc_memref3_f32 &a, const tgc_memref3_f32 &b, const tgc_memref3_f32 &c,
                  const tgc_memref1_f32 *bias, int64_t epilogue, int64_t accumulate) {
#ifdef TGC_CUDA_KERNELS_PTX
  SmallGemmLaunch launch;
  if (!planSmallGemm(c.sizes[0], c.sizes[1], c.sizes[2], a.sizes[2], launch))
    return false;
  SmallGemmParams params = smallGemmParams(launch, a, b, c, bias, epilogue, accumulate);
  const unsigned block[3] = {launch.threads, 1, 1};
  void *arguments[] = {&params};
  // TGC_CUDA_PROFILE=1 counts it under the kernel's name.
  cuda::launch(tgc_small_gemm_ptx, launch.tile->kernel, launch.grid, block, arguments,
               launch.sharedBytes);
  return true;
#else
  (void)a, (void)b, (void)c, (void)bias, (void)epilogue, (void)accumulate;
  return false; // built without nvcc: cuBLAS does them all
#endif
}

} // namespace tgc
