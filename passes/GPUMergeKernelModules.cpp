//===- GPUMergeKernelModules.cpp - one gpu.module for all kernels ---------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUMERGEKERNELMODULES
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

constexpr StringLiteral kMergedName = "tgc_kernels";

struct TGGPUMergeKernelModulesPass
    : tg::impl::TGGPUMergeKernelModulesBase<TGGPUMergeKernelModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> kernelModules(module.getOps<gpu::GPUModuleOp>());
    if (kernelModules.empty())
      return;
    MLIRContext *context = &getContext();
    OpBuilder b(kernelModules.front());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), kMergedName);
    b.setInsertionPointToStart(merged.getBody());

    // Old launch target (@module::@kernel) -> new one (@tgc_kernels::@module).
    DenseMap<Attribute, SymbolRefAttr> renamed;
    for (gpu::GPUModuleOp kernelModule : kernelModules) {
      for (Operation &op : llvm::make_early_inc_range(kernelModule.getBody()->getOperations())) {
        auto kernel = dyn_cast<gpu::GPUFuncOp>(op);
        if (!kernel) {
          op.emitError("a kernel module may only hold kernels here");
          return signalPassFailure();
        }
        auto oldTarget = SymbolRefAttr::get(kernelModule.getNameAttr(),
                                            {FlatSymbolRefAttr::get(kernel.getNameAttr())});
        kernel.setName(kernelModule.getName());
        kernel->moveBefore(merged.getBody(), merged.getBody()->end());
        renamed[oldTarget] = SymbolRefAttr::get(
            context, kMergedName, {FlatSymbolRefAttr::get(kernelModule.getNameAttr())});
      }
      kernelModule.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      if (SymbolRefAttr target = renamed.lookup(launch.getKernel()))
        launch.setKernelAttr(target);
    });
  }
};

} // namespace
