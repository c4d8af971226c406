//===- GPUPipeline.cpp - the CUDA code generation pipeline ----------------===//

#include "Compiler/GPUPipeline.h"

#include "Compiler/KernelBufferization.h"
#include "Compiler/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUCommon/GPUToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

bool tg::isSupportedCUDAChip(const std::string &chip) { return chip == "sm_80" || chip == "sm_90"; }

void tg::buildCUDAKernelMappingPipeline(OpPassManager &pm, bool matmulEpilogues,
                                        bool fusedAttention, bool fusedAttentionF32) {
  // Eligible bf16 (and optionally f32) attentions: the runtime's fused
  // kernels, from the tg level on (tg-gpu-fused-attention).
  TGPipelineOptions frontEnd;
  frontEnd.fusedAttention = fusedAttention;
  frontEnd.fusedAttentionF32 = fusedAttentionF32;
  // Long reductions in two steps, each with many threads; row reductions
  // are tg-gpu-row-kernels' (a block per row).
  buildBufferizePipeline(
      pm,
      [&](OpPassManager &tensors) {
        // bf16 matmuls on bf16 operands, without f32 copies of them.
        tensors.addPass(createTGGPUBF16MatmulOperands());
        // Products only ever read rounded to bf16 written as bf16 by cuBLAS.
        tensors.addPass(createTGGPUBF16MatmulResults());
        // The f32 copies the matmuls no longer read fuse into their other
        // consumers (a bias gradient's sum widens the bf16 rows it reads).
        tensors.addPass(createTGFuse());
        tensors.addPass(createCanonicalizerPass());
        TGSplitReductionsOptions split;
        split.leaveRows = true;
        tensors.addNestedPass<func::FuncOp>(createTGSplitReductions(split));
        tensors.addPass(createCanonicalizerPass());
      },
      /*fuse=*/true, frontEnd);

  // Ownership-based deallocation, as on the CPU, but its bufferization.dealloc
  // ops are lowered only after tg-gpu-launch: the pointer lists that lowering
  // builds are host memory, unlike every buffer of the program.
  // Memory planning as on the CPU: the gradient writes into buffers its
  // caller allocates, and parameters and optimizer state are updated in
  // their (device) globals rather than copied in and out every step.
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createTGUpdateGlobalsInPlace());
  pm.addNestedPass<func::FuncOp>(memref::createExpandReallocPass({/*emitDeallocs=*/false}));
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addNestedPass<func::FuncOp>(createCanonicalizerPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  // Fused attentions take the heads' split and merge as strided views.
  if (fusedAttention)
    pm.addPass(createTGGPUAttentionViews());

  // Matmuls: cuBLAS, through runtime calls that stay on the host; a linear
  // layer's bias and activation in its matmul's epilogue (cuBLASLt); a bf16
  // product's rounding in the GEMM (bf16 C).
  if (matmulEpilogues)
    pm.addPass(createTGGPUMatmulEpilogues());
  // (A reduction of at most 16 stays loops, which fuse with its consumer.)
  pm.addPass(createTGMatmulToRuntimeCall({/*cuda=*/true, /*loopReductionLimit=*/16}));
  // Fused attentions: the runtime's kernels, called like cuBLAS.
  pm.addPass(createTGGPUAttentionToRuntimeCall());

  // Loops, then kernels: one per parallel loop (all parallel dimensions of
  // a linalg op, reductions sequential inside), one-thread launches for
  // what is left.
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  pm.addPass(createTGParallelDimsFirst());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  // Neighbouring loops over the same elements fused, as on the CPU: one
  // kernel reads a parameter, its gradient and its moments once and writes
  // them once. Scalar work first moves up out of their way, next to the
  // step counter's one-thread launch.
  pm.addPass(createTGHoistScalarWork());
  pm.addPass(createTGFuseParallelLoops());
  // Reductions sum in registers: in a kernel, LLVM cannot tell that the
  // output element is not also an input.
  pm.addPass(createTGAccumulateInRegisters());
  // One value per global: a row chain updates a global in place through
  // the buffer it reads it by.
  pm.addPass(createCSEPass());
  pm.addPass(createTGGPURowKernels());
  // Reductions over a matrix's rows (bias gradients), with their producer.
  pm.addPass(createTGGPUColumnKernels());
  // Consecutive independent loops (every parameter's update) as one
  // multi-tensor kernel; after the row kernels, which take whole rows.
  pm.addPass(createTGGPUGroupParallelLoops());
  pm.addPass(createTGGPULaunch());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Device buffers freed right after their last use, for the arena to reuse
  // (stream order keeps a later kernel from writing them too early).
  pm.addNestedPass<func::FuncOp>(createTGDeallocAfterLastUse());
  pm.addPass(createTGGPUDeviceDeallocs());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // A small model's chains of tiny kernels as one block each, passing
  // values through shared memory.
  pm.addPass(createTGGPUMergeSmallLaunches());
  pm.addPass(createTGGPUBlockLocalBuffers());
}

void tg::buildCUDAPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  buildCUDAKernelMappingPipeline(pm, options.matmulEpilogues, options.fusedAttention,
                                 options.fusedAttentionF32);
  buildCUDACodegenPipeline(pm, options);
}

void tg::buildCUDACodegenPipeline(OpPassManager &pm, const CUDAPipelineOptions &options) {
  if (options.concurrentBranches)
    pm.addPass(createTGGPUConcurrentBranches());
  // Constant trip counts and strides into the kernels, where index
  // arithmetic by a constant folds (a 64-bit division by a kernel argument
  // costs dozens of instructions per element).
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createTGGPUMergeKernelModules());
  pm.addNestedPass<gpu::GPUModuleOp>(createTGGPULowerAllReduce());
  pm.addNestedPass<gpu::GPUModuleOp>(createTGGPUAssumeAlignment());
  pm.addNestedPass<gpu::GPUModuleOp>(createTGGPUPreciseSqrt());
  // One stream: every GPU op asynchronous, waits only where host code with
  // effects follows (the runtime makes those waits cheap, see Cuda.cpp).
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  // Both sides: views, affine maps and structured control flow to plain
  // arithmetic and branches.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(math::createMathExtendToSupportedTypes());

  // Kernels: NVVM; math functions come from libdevice.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = "+ptx80"; // sm_90 needs PTX 8.0; sm_80 accepts it too
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.indexBitwidth = 64;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps(nvvm));
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  // Kernel buffers that no other one overlaps, as __restrict__ (the host's
  // launches, still on memrefs, show it).
  pm.addPass(createTGGPUKernelNoAlias());

  // Host: the CPU's lowering, globals through their device copies, GPU ops
  // as runtime calls.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createEmitCInterfacePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createTGGPUDeviceGlobals());
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true; // host lists: the runtime's allocator
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());

  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkitPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void tg::registerCUDAPipelineDependencies(DialectRegistry &registry) {
  registry.insert<gpu::GPUDialect, index::IndexDialect, NVVM::NVVMDialect, ub::UBDialect>();
  registerKernelBufferizationModels(registry);
  // convert-gpu-to-nvvm and gpu-to-llvm lower every dialect through its
  // ConvertToLLVMPatternInterface.
  arith::registerConvertArithToLLVMInterface(registry);
  cf::registerConvertControlFlowToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  gpu::registerConvertGpuToLLVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
}

namespace {
struct CUDAPipelineCLOptions : PassPipelineOptions<CUDAPipelineCLOptions> {
  Option<std::string> chip{*this, "chip", llvm::cl::desc("GPU architecture: sm_90 or sm_80"),
                           llvm::cl::init("sm_90")};
  Option<std::string> format{*this, "format", llvm::cl::desc("kernels as PTX (isa) or cubin (bin)"),
                             llvm::cl::init("isa")};
  Option<bool> matmulEpilogues{
      *this, "matmul-epilogues",
      llvm::cl::desc("bias and activation of linear layers in their cuBLASLt matmul"),
      llvm::cl::init(true)};
  Option<bool> fusedAttention{
      *this, "fused-attention",
      llvm::cl::desc("eligible bf16 attentions as the runtime's fused attention kernels"),
      llvm::cl::init(false)};
  Option<bool> fusedAttentionF32{
      *this, "fused-attention-f32",
      llvm::cl::desc("with fused-attention: eligible f32 attentions too (CUDA-core kernels)"),
      llvm::cl::init(false)};
  Option<bool> concurrentBranches{
      *this, "concurrent-branches",
      llvm::cl::desc("independent device work on a second stream (tg-gpu-concurrent-branches)"),
      llvm::cl::init(true)};
};
} // namespace

void tg::registerCUDAPipeline() {
  PassPipelineRegistration<CUDAPipelineCLOptions>(
      "tg-cuda-pipeline", "tg to the LLVM dialect for the host and PTX kernels for an NVIDIA GPU",
      [](OpPassManager &pm, const CUDAPipelineCLOptions &cl) {
        CUDAPipelineOptions options;
        options.chip = cl.chip;
        options.format = cl.format;
        options.matmulEpilogues = cl.matmulEpilogues;
        options.fusedAttention = cl.fusedAttention;
        options.fusedAttentionF32 = cl.fusedAttentionF32;
        options.concurrentBranches = cl.concurrentBranches;
        buildCUDAPipeline(pm, options);
      });
}
