//===- CudaSplitTF32.cu - FP32 operands split for 3xTF32 products ---------===//
//
// Under TGC_CUDA_MATMUL=3xtf32 an FP32 product runs on TF32 tensor cores and
// keeps FP32's accuracy (3xTF32, as CUTLASS's): each operand element x is
// split into big = x rounded to TF32 (10 mantissa bits) and small = x - big
// (exact in FP32; its own TF32 rounding costs about 2^-22 of x), and
// A B = As Bb + Ab Bs + Ab Bb, dropping As Bs (about 2^-22 of the
// product). CudaBlas.cpp makes that one TF32 GEMM over a reduction three
// times as long, [As Ab Ab] x [Bb; Bs; Bb], the corrections first, or two
// where the result is small beside the operands ([As Ab] x [Bb; Bs], then
// Ab Bb onto it); these kernels write the split operands, one read and
// three (or two) writes per element, keeping the source's contiguous
// dimension contiguous.
//
// Portable CUDA C++: the runtime tests and the fake driver also compile this
// file for the host (test/Runtime/SimtHost.h).
//
//===----------------------------------------------------------------------===//

#include "CudaSplitTF32.h"

namespace {

/// x rounded to the nearest TF32 value, ties away from zero (as
/// cvt.rna.tf32.f32), staying finite where x is (truncated where rounding
/// up would overflow); infinities and NaNs stay themselves.
__device__ __forceinline__ float roundToTF32(float x) {
  unsigned bits = __float_as_uint(x);
  constexpr unsigned kExponent = 0x7f800000u, kTF32 = 0xffffe000u;
  if ((bits & kExponent) == kExponent)
    return x;
  unsigned rounded = (bits + 0x1000u) & kTF32;
  if ((rounded & kExponent) == kExponent)
    rounded = bits & kTF32;
  return __uint_as_float(rounded);
}

/// The small part of x (0 where x is not finite: its big part is x).
__device__ __forceinline__ float smallPart(float x, float big) { return big == x ? 0.0f : x - big; }

/// The thread's steps: one per `width` floats of the batch, in order.
template <int width, typename Body>
__device__ __forceinline__ void forEachStep(const SplitTF32Params &p, Body body) {
  long long groups = p.cols / width, steps = p.batch * p.rows * groups;
  for (long long step = blockIdx.x * (long long)blockDim.x + threadIdx.x; step < steps;
       step += (long long)gridDim.x * blockDim.x) {
    long long line = step / groups, j = (step - line * groups) * width;
    long long b = line / p.rows, i = line - b * p.rows;
    body(p.source + b * p.sourceBatchStride + i * p.sourceRowStride + j,
         p.target + b * p.targetBatchStride + i * p.targetRowStride + j);
  }
}

} // namespace

extern "C" __global__ void __launch_bounds__(kSplitTF32Threads)
    tgc_split_tf32x3(SplitTF32Params p) {
  forEachStep<1>(p, [&](const float *from, float *to) {
    float x = *from, big = roundToTF32(x), small = smallPart(x, big);
    for (int block = 0; block < p.blocks; ++block)
      to[block * p.blockStride] = block == p.smallBlock ? small : big;
  });
}

extern "C" __global__ void __launch_bounds__(kSplitTF32Threads)
    tgc_split_tf32x3_vec4(SplitTF32Params p) {
  forEachStep<4>(p, [&](const float *from, float *to) {
    float4 x = *reinterpret_cast<const float4 *>(from);
    float4 big = make_float4(roundToTF32(x.x), roundToTF32(x.y), roundToTF32(x.z), roundToTF32(x.w));
    float4 small = make_float4(smallPart(x.x, big.x), smallPart(x.y, big.y),
                               smallPart(x.z, big.z), smallPart(x.w, big.w));
    // Indexed as float4 so that the stores stay 16-byte ones: nvcc turned
    // float4 stores through `to + block * p.blockStride` into four 4-byte
    // stores each (its alignment lost in the loop's address arithmetic).
    float4 *target = reinterpret_cast<float4 *>(to);
    for (int block = 0; block < p.blocks; ++block)
      target[block * (p.blockStride / 4)] = block == p.smallBlock ? small : big;
  });
}
