//===- GPULowerAllReduce.cpp - gpu.all_reduce to shuffles -----------------===//
//
// The block reductions of tg-gpu-row-kernels, lowered with upstream's
// patterns once they are in gpu.func kernels (the patterns add the shared
// memory a reduction needs to the kernel).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPULOWERALLREDUCE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGGPULowerAllReduce : tg::impl::TGGPULowerAllReduceBase<TGGPULowerAllReduce> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateGpuAllReducePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
