//===- GPUAssumeAlignment.cpp - kernel buffers are 16-byte aligned --------===//
//
// Every buffer a tgc kernel gets starts on a block of the runtime's device
// arena (runtime/Cuda.cpp: 512-byte granules, cuMemAlloc aligns to 256), so
// a buffer of identity layout (no offset) is 16-byte aligned. Said to
// LLVM, this lets its load/store vectorizer turn four neighbouring floats
// into one 128-bit access (the four iterations a thread runs after
// tg-gpu-group-parallel-loops' coarsening).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUASSUMEALIGNMENT
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGGPUAssumeAlignment : tg::impl::TGGPUAssumeAlignmentBase<TGGPUAssumeAlignment> {
  void runOnOperation() override {
    getOperation().walk([](gpu::GPUFuncOp kernel) {
      if (!kernel.isKernel() || kernel.getBody().empty())
        return;
      Block &entry = kernel.getBody().front();
      OpBuilder builder = OpBuilder::atBlockBegin(&entry);
      for (BlockArgument argument : kernel.getArguments()) {
        auto type = dyn_cast<MemRefType>(argument.getType());
        if (!type || !type.getLayout().isIdentity() || argument.use_empty())
          continue;
        auto aligned = memref::AssumeAlignmentOp::create(builder, kernel.getLoc(), argument, 16);
        argument.replaceAllUsesExcept(aligned.getResult(), aligned);
      }
    });
  }
};

} // namespace
