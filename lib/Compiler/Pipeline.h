//===- Pipeline.h - the CPU code generation pipeline -----------*- C++ -*-===//
//
// From a tg spec to the LLVM dialect for the host CPU:
//
//   tg-pipeline                          tg-expand-train-step, tg-autodiff,
//                                        tg-decompose, canonicalize, cse
//   tg-lower-to-linalg                   core tg ops to linalg/tensor/arith/math
//   canonicalize, cse
//   inline, tg-fuse                      fusion groups: each one linalg.generic
//   linalg-fold-unit-extent-dims         unit dimensions out of the loops
//   tg-vectorize-reductions              float reductions in vector lanes and
//                                        parallel chunks, in a fixed order
//   tg-unshare-fill-inits                a fill of its own for every destination
//   one-shot-bufferize                   tensors to memrefs; function boundaries
//                                        get identity layouts
//   buffer-results-to-out-params         private functions write into their
//                                        caller's buffers
//   tg-update-globals-in-place           state written into its globals, no copies
//   buffer-deallocation-pipeline         ownership-based deallocation; returned
//                                        buffers are always fresh allocations
//   tg-dealloc-after-last-use            dead buffers freed for the allocator to reuse
//   tg-matmul-to-runtime-call            f32/f64 matmuls call the runtime's
//                                        packed kernel (runtime/Matmul.cpp)
//   convert-linalg-to-parallel-loops
//   tg-fuse-parallel-loops               neighbouring loops over shared arrays fused
//   tg-parallelize-loops                 big outermost loops -> OpenMP
//                                        worksharing loops on all cores
//   tg-group-parallel-loops              independent loops forked together
//   ... -> LLVM dialect                  scf->cf, arith, math (intrinsics, then
//                                        libm for erf, tanh...), memref, func;
//                                        every public function gets a C
//                                        interface (`_mlir_ciface_<name>`)
//
// `tgc-opt spec.mlir --tg-cpu-pipeline` runs it; the JIT tests call the same
// builder.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_COMPILER_PIPELINE_H
#define TGC_COMPILER_PIPELINE_H

#include "passes/Passes.h"

#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir {
class DialectRegistry;
class OpPassManager;
class Pass;
} // namespace mlir

namespace mlir::tg {

struct CPUPipelineOptions {
  /// Allocate buffers through the runtime's caching allocator
  /// (`_mlir_memref_to_llvm_alloc/free`, runtime/) instead of malloc/free:
  /// what the `tgc` driver builds; JIT tests keep malloc.
  bool runtimeAllocator = false;
  /// Form fusion groups (`tg-fuse`); off, every op is its own loop nest:
  /// what the differential tests compare the fused code against.
  bool fuse = true;
  /// Plan a step's memory: parameters and optimizer state updated in their
  /// globals (tg-update-globals-in-place), buffers freed after their last
  /// use, an update's loops fused and every parameter's update forked
  /// together. Off, the step copies state in and out of fresh buffers: the
  /// reference the differential tests compare the planned code with.
  bool planMemory = true;
};

/// Appends the stages every target shares (a module pass manager): the tg
/// front end, tg-lower-to-linalg and one-shot bufferization, without
/// deallocation, which each target inserts and lowers in its own way.
/// `onTensors` adds a target's passes on linalg on tensors, before
/// bufferization. `fuse` runs the inliner and `tg-fuse`. `frontEnd` chooses
/// the tg pipeline's target passes.
void buildBufferizePipeline(OpPassManager &pm,
                            llvm::function_ref<void(OpPassManager &)> onTensors = {},
                            bool fuse = true, const TGPipelineOptions &frontEnd = {});

/// Appends the CPU pipeline (a module pass manager) to `pm`.
void buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options = {});

/// buildCPUPipeline in two halves: up to buffers with explicit
/// deallocations (what `tgc --memory-report` measures), then the rest.
void buildCPUBufferizationPipeline(OpPassManager &pm, const CPUPipelineOptions &options = {});
void buildCPUCodegenPipeline(OpPassManager &pm, const CPUPipelineOptions &options = {});

/// The CPU pipeline's last stage: loops, scalars and memrefs (no linalg
/// left) to the LLVM dialect.
void buildLLVMLoweringPipeline(OpPassManager &pm, const CPUPipelineOptions &options = {});

/// `tg-emit-c-interface`: every public function with a body gets a C
/// interface (`_mlir_ciface_<name>`), the entry points of the runtime.
std::unique_ptr<Pass> createEmitCInterfacePass();

/// The dialects and external interface models the pipeline needs: the
/// bufferization and deallocation models of every dialect it bufferizes, and
/// the LLVM IR translations (for a JIT or an object file).
void registerCPUPipelineDependencies(DialectRegistry &registry);

/// Points the calls that translation to LLVM IR introduced at the runtime:
/// the libomp entry points of parallel loops (__kmpc_*) become tgc_omp_*.
/// Call it on every translated module before it is compiled or JIT-linked.
void bindRuntimeEntryPoints(llvm::Module &module);

/// Adds a constructor that asks the runtime (tgc_advise_huge_pages) to back
/// every global of at least 64 KiB (parameters, optimizer state) with
/// transparent huge pages before anything touches them: a step streams them
/// all, and 4 KiB pages cost bench B1 a quarter of its time in TLB misses.
/// Needs the module's data layout.
void adviseHugePagesForGlobals(llvm::Module &module);

/// Registers `--tg-cpu-pipeline` and the helper passes it uses.
void registerCPUPipeline();

} // namespace mlir::tg

#endif // TGC_COMPILER_PIPELINE_H
