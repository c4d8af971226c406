//===- Pipeline.cpp - the CPU code generation pipeline --------------------===//

#include "Compiler/Pipeline.h"

#include "Compiler/GlobalBufferization.h"

#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/ControlFlow/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/AllInterfaces.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/AllocationOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/BufferViewFlowOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/BufferDeallocationOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/BufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace mlir;

namespace {

/// Marks every public function with a body `llvm.emit_c_interface`, so that
/// func-to-llvm adds `_mlir_ciface_<name>`, which takes memrefs as pointers
/// to descriptors: the entry points the runtime and the JIT tests call.
struct EmitCInterfacePass : PassWrapper<EmitCInterfacePass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmitCInterfacePass)
  StringRef getName() const final { return "TGEmitCInterface"; }
  StringRef getArgument() const final { return "tg-emit-c-interface"; }
  StringRef getDescription() const final {
    return "Give every public function a C interface (_mlir_ciface_<name>)";
  }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(&getContext()));
  }
};

/// Marks the tensor arguments of every public function with a body
/// `bufferization.writable = false`: an entry point's batch is the caller's
/// memory (the CPU glue passes the caller's buffers, the CUDA glue device
/// memory the caller holds), so bufferization copies an argument rather than
/// writing into it, and a batch is the same after the call.
struct ReadOnlyArgumentsPass : PassWrapper<ReadOnlyArgumentsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ReadOnlyArgumentsPass)
  StringRef getName() const final { return "TGReadOnlyArguments"; }
  StringRef getArgument() const final { return "tg-read-only-arguments"; }
  StringRef getDescription() const final {
    return "Keep bufferization from writing into public functions' tensor arguments";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<bufferization::BufferizationDialect>();
  }
  void runOnOperation() override {
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        for (auto [index, type] : llvm::enumerate(func.getArgumentTypes()))
          if (isa<TensorType>(type))
            func.setArgAttr(index, bufferization::BufferizationDialect::kWritableAttrName,
                            readOnly);
  }
};

/// Rewrites memref.copy between non-contiguous buffers (strided slices,
/// interior padding) as linalg.copy, which becomes loops: finalize-memref-to-llvm
/// would otherwise call `memrefCopy` from MLIR's runner library. Contiguous
/// copies stay memcpy.
struct StridedCopiesToLinalgPass : PassWrapper<StridedCopiesToLinalgPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(StridedCopiesToLinalgPass)
  StringRef getName() const final { return "TGStridedCopiesToLinalg"; }
  StringRef getArgument() const final { return "tg-strided-copies-to-linalg"; }
  StringRef getDescription() const final {
    return "Rewrite memref.copy of non-contiguous buffers as linalg.copy";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    auto contiguous = [](Value value) {
      return memref::isStaticShapeAndContiguousRowMajor(cast<MemRefType>(value.getType()));
    };
    getOperation().walk([&](memref::CopyOp copy) {
      if (contiguous(copy.getSource()) && contiguous(copy.getTarget()))
        return;
      OpBuilder builder(copy);
      linalg::CopyOp::create(builder, copy.getLoc(), copy.getSource(), copy.getTarget());
      copy.erase();
    });
  }
};

} // namespace

void tg::buildBufferizePipeline(OpPassManager &pm,
                                llvm::function_ref<void(OpPassManager &)> onTensors, bool fuse,
                                const TGPipelineOptions &frontEnd) {
  // The tg front end (train steps, autodiff, decomposition), then tg ->
  // linalg on tensors.
  buildTGPipeline(pm, frontEnd);
  pm.addPass(createTGLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Fusion groups, each one linalg.generic: one loop nest, one GPU kernel,
  // no intermediate buffers. Inlined first, so that the gradient fuses with
  // the optimizer's update. Named matmuls stay named for the matmul kernels.
  if (fuse) {
    pm.addPass(createInlinerPass());
    pm.addPass(createTGFuse());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }
  // Unit dimensions out of the loops (a keepdim row statistic read as
  // [rows, 1] is indexed (i, 0), which is not a projected permutation), so
  // that the reduction splitting passes see plain maps.
  pm.addPass(createLinalgFoldUnitExtentDimsPass());
  pm.addPass(createCanonicalizerPass());
  if (onTensors)
    onTensors(pm);
  pm.addPass(createTGSplatsToFills());
  pm.addPass(createTGUnshareFillInits());

  // Tensors -> buffers. Functions take and return identity-layout memrefs;
  // every returned buffer is owned by the caller. Loops may carry fresh
  // buffers (each iteration of an RNN step computes a new state).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(std::make_unique<ReadOnlyArgumentsPass>());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void tg::buildCPUBufferizationPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // Float reductions in vector lanes and parallel chunks, in a fixed order.
  auto vectorizeReductions = [](OpPassManager &tensors) {
    tensors.addPass(createTGVectorizeReductions());
    tensors.addPass(createCanonicalizerPass());
  };
  buildBufferizePipeline(pm, vectorizeReductions, options.fuse);
  // Private functions (the gradient) write their results into buffers
  // their caller allocates, so the caller's deallocation sees only its own
  // allocations (no runtime alias checks); parameters and optimizer state
  // updated in their globals, no copies; buffers freed after their last
  // use, for the allocator to reuse.
  if (options.planMemory) {
    bufferization::BufferResultsToOutParamsPassOptions outParams;
    outParams.hoistStaticAllocs = true;
    pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
    pm.addPass(createTGUpdateGlobalsInPlace());
  }
  bufferization::buildBufferDeallocationPipeline(pm);
  if (options.planMemory)
    pm.addNestedPass<func::FuncOp>(createTGDeallocAfterLastUse());
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(std::make_unique<StridedCopiesToLinalgPass>());
}

void tg::buildCPUCodegenPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // Matmuls -> the runtime's kernel; the rest -> parallel loops, the big
  // ones on all cores (OpenMP), the inner loops left for LLVM to vectorize.
  pm.addPass(createTGMatmulToRuntimeCall());
  // Neighbouring loops over the same elements (an update's moments and
  // parameter) fused, then consecutive independent parallel loops (every
  // parameter's update) forked together.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Reductions' lanes as vector operations: accumulators in registers.
  pm.addNestedPass<func::FuncOp>(createTGVectorizeLaneLoops());
  if (options.planMemory) {
    // Scalar work (bias corrections) out from between an update's loops.
    pm.addPass(createTGHoistScalarWork());
    pm.addPass(createTGFuseParallelLoops());
  }
  pm.addNestedPass<func::FuncOp>(createTGParallelizeLoops());
  if (options.planMemory)
    pm.addPass(createTGGroupParallelLoops());
  pm.addPass(createTGApproximateMath());

  buildLLVMLoweringPipeline(pm, options);
}

void tg::buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  buildCPUBufferizationPipeline(pm, options);
  buildCPUCodegenPipeline(pm, options);
}

void tg::buildLLVMLoweringPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  // Loops and scalars -> LLVM dialect.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(math::createMathExtendToSupportedTypes());
  // bf16 arithmetic in f32, rounded back, and the roundings as integer
  // arithmetic: LLVM would call __truncsfbf2 for both on CPUs without a
  // bf16 conversion instruction (AVX512-BF16), which Debian 12's libgcc
  // lacks, so autocast models would not link there.
  arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16"};
  pm.addPass(arith::createArithEmulateUnsupportedFloats(emulate));
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createEmitCInterfacePass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = options.runtimeAllocator;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

std::unique_ptr<Pass> tg::createEmitCInterfacePass() {
  return std::make_unique<EmitCInterfacePass>();
}

void tg::registerCPUPipelineDependencies(DialectRegistry &registry) {
  registry.insert<arith::ArithDialect, bufferization::BufferizationDialect, cf::ControlFlowDialect,
                  func::FuncDialect, linalg::LinalgDialect, LLVM::LLVMDialect, math::MathDialect,
                  memref::MemRefDialect, ml_program::MLProgramDialect, omp::OpenMPDialect,
                  scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>();
  arith::registerBufferizableOpInterfaceExternalModels(registry);
  arith::registerBufferDeallocationOpInterfaceExternalModels(registry);
  arith::registerBufferViewFlowOpInterfaceExternalModels(registry);
  bufferization::func_ext::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferizableOpInterfaceExternalModels(registry);
  cf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  func::registerInlinerExtension(registry);
  linalg::registerAllDialectInterfaceImplementations(registry);
  memref::registerAllocationOpInterfaceExternalModels(registry);
  memref::registerBufferViewFlowOpInterfaceExternalModels(registry);
  registerGlobalBufferizationModels(registry); // not ml_program's (see there)
  scf::registerBufferizableOpInterfaceExternalModels(registry);
  scf::registerBufferDeallocationOpInterfaceExternalModels(registry);
  tensor::registerBufferizableOpInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void tg::bindRuntimeEntryPoints(llvm::Module &module) {
  // OpenMPIRBuilder calls libomp (__kmpc_fork_call, ...); the runtime
  // implements the few it needs as tgc_omp_* (runtime/ParallelRegions.cpp).
  for (llvm::Function &function : module.functions()) {
    llvm::StringRef name = function.getName();
    if (function.isDeclaration() && name.consume_front("__kmpc_"))
      function.setName("tgc_omp_" + name.str());
  }
}

void tg::adviseHugePagesForGlobals(llvm::Module &module) {
  constexpr uint64_t kMinBytes = uint64_t(64) << 10;
  const llvm::DataLayout &layout = module.getDataLayout();
  llvm::SmallVector<std::pair<llvm::GlobalVariable *, uint64_t>> large;
  for (llvm::GlobalVariable &global : module.globals()) {
    if (global.isDeclaration() || global.isConstant())
      continue;
    uint64_t bytes = layout.getTypeAllocSize(global.getValueType());
    if (bytes >= kMinBytes)
      large.emplace_back(&global, bytes);
  }
  if (large.empty())
    return;
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *sizeType = layout.getIntPtrType(context);
  llvm::FunctionCallee advise =
      module.getOrInsertFunction("tgc_advise_huge_pages", llvm::Type::getVoidTy(context),
                                 llvm::PointerType::get(context, 0), sizeType);
  auto *constructor = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                                                     /*isVarArg=*/false),
                                             llvm::GlobalValue::InternalLinkage,
                                             "tgc_advise_huge_pages_for_globals", module);
  llvm::IRBuilder<> builder(llvm::BasicBlock::Create(context, "entry", constructor));
  for (auto [global, bytes] : large)
    builder.CreateCall(advise, {global, llvm::ConstantInt::get(sizeType, bytes)});
  builder.CreateRetVoid();
  llvm::appendToGlobalCtors(module, constructor, /*Priority=*/65535);
}

void tg::registerCPUPipeline() {
  PassRegistration<EmitCInterfacePass>();
  PassRegistration<ReadOnlyArgumentsPass>();
  PassRegistration<StridedCopiesToLinalgPass>();
  PassPipelineRegistration<>("tg-cpu-pipeline",
                             "tg to the LLVM dialect for the CPU: --tg-pipeline, lower to linalg, "
                             "bufferize, loops, LLVM",
                             [](OpPassManager &pm) { buildCPUPipeline(pm); });
}
