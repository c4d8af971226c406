//===- GPUAttentionToRuntimeCall.cpp - fused attention ops -> kernel calls -===//
//
// After bufferization, tg.fused_attention_forward/_backward on device
// buffers become calls of the runtime's CUDA kernels
// (tgc_cuda_attention_forward_bf16/_backward_bf16, or the _f32 ones for f32
// attentions; include/tgc/runtime.h), declared and called as
// tg-matmul-to-runtime-call does the cuBLAS matmuls: every buffer cast to
// the fully dynamic strided view (tg::stridedViewType), the declaration
// private with a C interface. The calls take device pointers and stay on
// the host through tg-gpu-launch, like the matmuls' (a call is neither a
// memory access nor pure there).
//
//===----------------------------------------------------------------------===//

#include "passes/MatmulViews.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUATTENTIONTORUNTIMECALL
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// `buffer` as the runtime's view: memref<?x...xT, strided<[?,...], offset: ?>>.
Value stridedView(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  MemRefType view = tg::stridedViewType(type.getElementType(), type.getRank());
  if (type == view)
    return buffer;
  return memref::CastOp::create(b, loc, view, buffer);
}

/// `op` (on buffers) as a call of the runtime function `name` for its
/// element type (`name`_bf16 or `name`_f32): its operands' views, then causal
/// (i64) and scale (f32).
template <typename KernelOp> void callRuntime(ModuleOp module, KernelOp op, StringRef name) {
  std::string callee =
      (name + (getElementTypeOrSelf(op.getQuery().getType()).isF32() ? "_f32" : "_bf16")).str();
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Value> arguments;
  for (Value operand : op->getOperands())
    arguments.push_back(stridedView(b, loc, operand));
  arguments.push_back(arith::ConstantIntOp::create(b, loc, op.getCausal() ? 1 : 0, 64));
  arguments.push_back(arith::ConstantOp::create(b, loc, op.getScaleAttr()));
  func::FuncOp kernel =
      tg::getOrDeclareRuntimeFunction(module, callee, ValueRange(arguments).getTypes());
  func::CallOp::create(b, loc, kernel, arguments);
  op.erase();
}

struct TGGPUAttentionToRuntimeCallPass
    : tg::impl::TGGPUAttentionToRuntimeCallBase<TGGPUAttentionToRuntimeCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> kernels;
    module.walk([&](Operation *op) {
      if (isa<tg::FusedAttentionForwardOp, tg::FusedAttentionBackwardOp>(op))
        kernels.push_back(op);
    });
    for (Operation *op : kernels) {
      if (op->getNumResults() != 0) {
        op->emitOpError("is still on tensors: bufferize before "
                        "--tg-gpu-attention-to-runtime-call");
        return signalPassFailure();
      }
      if (auto forward = dyn_cast<tg::FusedAttentionForwardOp>(op))
        callRuntime(module, forward, "tgc_cuda_attention_forward");
      else
        callRuntime(module, cast<tg::FusedAttentionBackwardOp>(op), "tgc_cuda_attention_backward");
    }
  }
};

} // namespace
