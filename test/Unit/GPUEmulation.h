//===- GPUEmulation.h - run the GPU mapping on the CPU ----------*- C++ -*-===//
//
// The unit tests have no GPU, but they can check what tg-gpu-launch builds:
// the CUDA pipeline up to its kernel mapping, then every gpu.launch as a
// loop nest over its blocks and threads (one after another; all of a
// block's threads reach each gpu.barrier or gpu.all_reduce before any goes
// on, as on the device) and the GPU memory ops as host ones, then the CPU's
// lowering. A wrong flattening, guard, interchange, grouping, row kernel or
// merged launch gives wrong numbers.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_TEST_UNIT_GPUEMULATION_H
#define TGC_TEST_UNIT_GPUEMULATION_H

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace tgc::test {

/// With tg-gpu-concurrent-branches, the order one thread runs each fork ..
/// join region's device work in: one of the two most extreme that the
/// branch calls allow, the side stream's work as late as possible or as
/// early as possible. A dependence the pass missed then reads or writes
/// memory in the wrong order, and the step's numbers change.
enum class EmulatedBranches { Off, SideLate, SideEarly };

/// The kernel mapping of the CUDA pipeline, emulated on the CPU, down to the
/// LLVM dialect (a module pass manager). `fusedAttention` and
/// `fusedAttentionF32` as in CUDAPipelineOptions: the kernels' calls run the
/// runtime's host reference (tgc_attention_*_bf16, tgc_attention_*_f32).
void buildGPUEmulationPipeline(mlir::OpPassManager &pm, bool fusedAttention = false,
                               EmulatedBranches branches = EmulatedBranches::Off,
                               bool fusedAttentionF32 = false);

/// How many tgc_cuda_fork calls the emulation has dropped so far.
long droppedForks();

void registerGPUEmulationDependencies(mlir::DialectRegistry &registry);

} // namespace tgc::test

#endif // TGC_TEST_UNIT_GPUEMULATION_H
