//===- GPUPipeline.h - the CUDA code generation pipeline -------*- C++ -*-===//
//
// From a tg spec to the LLVM dialect for the host, with the kernels as PTX
// (or cubin) in a gpu.binary that the host object embeds:
//
//   bufferize pipeline                   shared with the CPU (Pipeline.h);
//                                        with fusedAttention, tg-gpu-fused-attention
//                                        after tg-autodiff: bf16 (and with
//                                        fusedAttentionF32, f32) attentions as
//                                        fused kernel ops
//   ownership-based deallocation         not lowered yet: its bookkeeping
//                                        stays on the host
//   tg-gpu-attention-views               with fusedAttention: the heads' split
//                                        and merge as strided views
//   tg-gpu-matmul-epilogues              matmul + bias + activation: cuBLASLt
//   tg-matmul-to-runtime-call (cuda)     other matmuls: cuBLAS
//   tg-gpu-attention-to-runtime-call     fused attentions: the runtime's kernels
//   linalg-generalize-named-ops,
//   tg-parallel-dims-first,
//   convert-linalg-to-parallel-loops    one scf.parallel per linalg op
//   tg-split-reductions                  long reductions in two (rows excepted)
//   ... tg-accumulate-in-registers       reduction loops carry their sums
//   tg-gpu-row-kernels                   row reductions and what uses them:
//                                        a block per row, gpu.all_reduce
//   tg-gpu-launch                        parallel loops -> gpu.launch; other
//                                        memory accesses -> one-thread launches;
//                                        gpu.alloc, gpu.memcpy
//   lower deallocations,
//   tg-gpu-device-deallocs               gpu.dealloc for device buffers
//   tg-gpu-merge-small-launches          chains of tiny kernels as one block
//   tg-gpu-concurrent-branches           with concurrentBranches: independent
//                                        device work on a second stream
//   gpu-kernel-outlining,
//   tg-gpu-merge-kernel-modules          one gpu.module: one PTX text
//   tg-gpu-lower-all-reduce              shuffles and shared memory
//   gpu-async-region
//   kernels: convert-gpu-to-nvvm (libdevice for math), NVVM target <chip>
//   host: as the CPU, tg-gpu-device-globals, gpu-to-llvm (calls to the
//         mgpu* functions of runtime/Cuda.cpp)
//   gpu-module-to-binary                 PTX ("isa") or cubin ("bin", ptxas)
//
// `tgc-opt spec.mlir --tg-cuda-pipeline="chip=sm_80"` runs it; so does
// `tgc --target=cuda`.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_COMPILER_GPUPIPELINE_H
#define TGC_COMPILER_GPUPIPELINE_H

#include <string>

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace mlir::tg {

struct CUDAPipelineOptions {
  /// The GPU architecture: sm_80 (A100) or sm_90 (H100).
  std::string chip = "sm_90";
  /// What the gpu.binary holds: "isa" (PTX text, compiled by the driver
  /// when loaded) or "bin" (cubin, assembled by ptxas now).
  std::string format = "isa";
  /// The CUDA toolkit (for libdevice and ptxas); empty: MLIR's default.
  std::string toolkitPath;
  /// A linear layer's bias and activation in its cuBLASLt matmul
  /// (tg-gpu-matmul-epilogues); off: separate kernels, to compare against.
  bool matmulEpilogues = true;
  /// Eligible bf16 attentions (and their gradients) as the runtime's fused
  /// kernels (tg-gpu-fused-attention; tgc turns it on with
  /// --autocast=bf16); off: decomposed into GEMMs and softmax kernels.
  bool fusedAttention = false;
  /// With fusedAttention: eligible f32 attentions too, as the runtime's f32
  /// kernels (CUDA cores; tgc --fused-attention-f32). Off until measured.
  bool fusedAttentionF32 = false;
  /// Device work off the longest dependence path on a second stream,
  /// concurrently (tg-gpu-concurrent-branches; off: tgc --no-gpu-branches).
  bool concurrentBranches = true;
};

/// The architectures the pipeline supports.
bool isSupportedCUDAChip(const std::string &chip);

/// The CUDA pipeline up to and including tg-gpu-merge-small-launches:
/// functions whose memory work is in gpu.launch ops, before outlining. The
/// unit tests run its result on the CPU (test/Unit/GPUEmulation.cpp: each
/// block's threads one after another, up to each block-wide
/// synchronization). `matmulEpilogues`, `fusedAttention` and
/// `fusedAttentionF32` as in CUDAPipelineOptions.
void buildCUDAKernelMappingPipeline(OpPassManager &pm, bool matmulEpilogues = true,
                                    bool fusedAttention = false, bool fusedAttentionF32 = false);

/// Appends the CUDA pipeline (a module pass manager) to `pm`.
void buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options = {});

/// buildCUDAPipeline after buildCUDAKernelMappingPipeline, whose result
/// (device buffers as gpu.alloc and gpu.dealloc) `tgc --memory-report`
/// measures.
void buildCUDACodegenPipeline(OpPassManager &pm, const CUDAPipelineOptions &options = {});

/// The dialects, interfaces and translations the pipeline needs on top of
/// registerCPUPipelineDependencies.
void registerCUDAPipelineDependencies(DialectRegistry &registry);

/// Registers `--tg-cuda-pipeline`.
void registerCUDAPipeline();

} // namespace mlir::tg

#endif // TGC_COMPILER_GPUPIPELINE_H
