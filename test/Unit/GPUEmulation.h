//===- GPUEmulation.h - run the GPU mapping on the CPU ----------*- C++ -*-===//
//
// The unit tests have no GPU, but they can check what tg-gpu-launch builds:
// the CUDA pipeline up to its kernel mapping, then every gpu.launch as a
// loop nest over its blocks and threads (one after another) and the GPU
// memory ops as host ones, then the CPU's lowering. A wrong flattening,
// guard, interchange or grouping gives wrong numbers.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_UNIT_GPUEMULATION_H
#define TGC_TEST_UNIT_GPUEMULATION_H

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace tgc::test {

/// The kernel mapping of the CUDA pipeline, emulated on the CPU, down to the
/// LLVM dialect (a module pass manager). `fusedAttention` and
/// `concurrentBranches` as in CUDAPipelineOptions: the kernels' calls run the
/// runtime's host reference (tgc_attention_*_bf16); the branches' calls are
/// dropped (one thread runs everything in program order).
void buildGPUEmulationPipeline(mlir::OpPassManager &pm, bool fusedAttention = false,
                               bool concurrentBranches = false);

/// How many tgc_cuda_fork calls the emulation has dropped so far.
long droppedForks();

void registerGPUEmulationDependencies(mlir::DialectRegistry &registry);

} // namespace tgc::test

#endif // TGC_TEST_UNIT_GPUEMULATION_H
