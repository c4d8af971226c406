//===- CudaSplitTF32.h - operands split for 3xTF32 products -----*- C++ -*-===//
//
// Shared by the split kernels (CudaSplitTF32.cu, compiled by nvcc, and as
// host C++ by the runtime tests and the fake driver) and their host side
// (CudaBlas.cpp): the parameter struct, passed by value, and the launch.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_RUNTIME_CUDA_SPLIT_TF32_H
#define TGC_RUNTIME_CUDA_SPLIT_TF32_H

/// Splits a batch of `rows` x `cols` matrices, columns contiguous: element
/// (b, i, j) of the source is source[b sourceBatchStride + i sourceRowStride
/// + j]. Each x becomes big = x rounded to TF32 and small = x - big, written
/// to the target's `blocks` (2 or 3) blocks, blockStride apart: `small` to
/// block smallBlock, `big` to the others; element (b, i, j) of block t is
/// target[b targetBatchStride + i targetRowStride + j + t blockStride].
struct SplitTF32Params {
  const float *source;
  float *target;
  long long sourceRowStride, sourceBatchStride;
  long long targetRowStride, targetBatchStride, blockStride;
  long long batch, rows, cols;
  int smallBlock, blocks;
};

enum { kSplitTF32Threads = 256 };

/// The kernels: one float or four (16-byte loads and stores; the columns,
/// strides and addresses must allow them) per thread and step.
inline constexpr const char *kSplitTF32Kernel = "tgc_split_tf32x3";
inline constexpr const char *kSplitTF32Kernel4 = "tgc_split_tf32x3_vec4";

/// Whether `params` can take the four-float kernel.
inline bool splitTF32Vectorized(const SplitTF32Params &params) {
  auto aligned = [](const void *pointer) {
    return reinterpret_cast<unsigned long long>(pointer) % 16 == 0;
  };
  return params.cols % 4 == 0 && (params.rows == 1 || params.sourceRowStride % 4 == 0) &&
         (params.batch == 1 || params.sourceBatchStride % 4 == 0) && aligned(params.source) &&
         aligned(params.target) && params.targetRowStride % 4 == 0 &&
         params.targetBatchStride % 4 == 0 && params.blockStride % 4 == 0;
}

/// The blocks of a launch: one thread per step's floats, at most
/// `maxBlocks` (the threads then stride over the rest), at least one.
inline unsigned splitTF32Blocks(const SplitTF32Params &params, bool vectorized,
                                unsigned maxBlocks) {
  long long steps = params.batch * params.rows * (params.cols / (vectorized ? 4 : 1));
  long long blocks = (steps + kSplitTF32Threads - 1) / kSplitTF32Threads;
  blocks = blocks < maxBlocks ? blocks : maxBlocks;
  return unsigned(blocks < 1 ? 1 : blocks);
}

#endif // TGC_RUNTIME_CUDA_SPLIT_TF32_H
