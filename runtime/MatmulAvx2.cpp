//===- MatmulAvx2.cpp - the matmul's AVX2 + FMA kernels -------------------===//
//
// The portable kernels (MatmulPortable.h) compiled for AVX2 and FMA, with a
// 6 x 16 tile of floats (6 x 8 doubles): 12 accumulators of 8 floats in the
// 16 ymm registers, two loads of B and 12 FMAs per step. Matmul.cpp calls
// them only after checking that the CPU has AVX2 and FMA (an AMD EPYC
// without AVX-512: the SSE2 kernels ran the MLP benchmark at 29 GFLOP/s).
//
//===----------------------------------------------------------------------===//

#include "MatmulPortable.h"

namespace tgc {

const MatmulKernels<float> kAvx2MatmulKernelsF32 = portable::kernels<float, 6, 16>();
const MatmulKernels<double> kAvx2MatmulKernelsF64 = portable::kernels<double, 6, 8>();

} // namespace tgc
