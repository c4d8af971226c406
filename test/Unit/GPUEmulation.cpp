//===- GPUEmulation.cpp - run the GPU mapping on the CPU ------------------===//

#include "GPUEmulation.h"

#include "Compiler/GPUPipeline.h"
#include "Compiler/Pipeline.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

namespace {

/// gpu.launch -> a loop nest over blocks then threads; gpu.alloc, dealloc
/// and memcpy -> their memref ops; the runtime's cuBLAS matmul -> its CPU
/// matmul.
struct EmulateGPUOnCPUPass : PassWrapper<EmulateGPUOnCPUPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmulateGPUOnCPUPass)
  StringRef getArgument() const final { return "test-emulate-gpu-on-cpu"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect, scf::SCFDialect>();
  }

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      emulate(launch);
    getOperation().walk([](gpu::AllocOp alloc) {
      OpBuilder b(alloc);
      auto host = memref::AllocOp::create(b, alloc.getLoc(), alloc.getMemref().getType(),
                                          alloc.getDynamicSizes(), alloc.getSymbolOperands());
      alloc.getMemref().replaceAllUsesWith(host);
      alloc.erase();
    });
    getOperation().walk([](gpu::DeallocOp dealloc) {
      OpBuilder b(dealloc);
      memref::DeallocOp::create(b, dealloc.getLoc(), dealloc.getMemref());
      dealloc.erase();
    });
    getOperation().walk([](gpu::MemcpyOp copy) {
      OpBuilder b(copy);
      memref::CopyOp::create(b, copy.getLoc(), copy.getSrc(), copy.getDst());
      copy.erase();
    });
    // cuBLAS matmuls -> the CPU kernel, which takes the same views.
    for (StringRef type : {"f32", "f64"}) {
      std::string cuda = ("tgc_cuda_matmul_" + type).str(), cpu = ("tgc_matmul_" + type).str();
      Operation *kernel = SymbolTable::lookupSymbolIn(getOperation(), cuda);
      if (!kernel)
        continue;
      if (failed(SymbolTable::replaceAllSymbolUses(kernel, StringAttr::get(&getContext(), cpu),
                                                   getOperation())))
        return signalPassFailure();
      SymbolTable::setSymbolName(kernel, cpu);
    }
  }

  void emulate(gpu::LaunchOp launch) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 gridSize = launch.getGridSizeOperandValues();
    gpu::KernelDim3 blockSize = launch.getBlockSizeOperandValues();
    Value bounds[6] = {gridSize.x, gridSize.y, gridSize.z, blockSize.x, blockSize.y, blockSize.z};
    Block &body = launch.getBody().front();
    gpu::KernelDim3 ids[2] = {launch.getBlockIds(), launch.getThreadIds()};
    gpu::KernelDim3 sizes[2] = {launch.getGridSize(), launch.getBlockSize()};
    IRMapping mapping;
    for (int level = 0; level < 2; ++level) {
      Value idValues[3] = {ids[level].x, ids[level].y, ids[level].z};
      Value sizeValues[3] = {sizes[level].x, sizes[level].y, sizes[level].z};
      for (int d = 0; d < 3; ++d) {
        auto loop = scf::ForOp::create(b, loc, zero, bounds[3 * level + d], one);
        mapping.map(idValues[d], loop.getInductionVar());
        mapping.map(sizeValues[d], bounds[3 * level + d]);
        b.setInsertionPointToStart(loop.getBody());
      }
    }
    for (Operation &op : body.without_terminator())
      b.clone(op, mapping);
    launch.erase();
  }
};

} // namespace

void tgc::test::buildGPUEmulationPipeline(OpPassManager &pm) {
  tg::buildCUDAKernelMappingPipeline(pm, /*rowKernels=*/false);
  pm.addPass(std::make_unique<EmulateGPUOnCPUPass>());
  tg::buildLLVMLoweringPipeline(pm);
}

void tgc::test::registerGPUEmulationDependencies(DialectRegistry &registry) {
  tg::registerCPUPipelineDependencies(registry);
  tg::registerCUDAPipelineDependencies(registry);
}
