//===- MatmulToRuntimeCall.cpp - linalg matmuls -> the runtime's kernel ---===//
//
// Matmuls are where a training step spends its time, and a packed,
// register-blocked kernel is several times faster than anything the loop
// lowering produces; the runtime has one (runtime/Matmul.cpp). This pass
// passes each operand as a rank-3 strided view of its buffer
// (memref<?x?x?xT, strided<[?,?,?], offset: ?>>), so transposes and
// broadcast batches cost nothing: they are strides. The CUDA pipeline uses
// the same views for the runtime's cuBLAS call (option `cuda`), which also
// takes bf16 operands with an f32 result (tgc_cuda_matmul_bf16_f32).
//
//===----------------------------------------------------------------------===//

#include "passes/MatmulViews.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGMATMULTORUNTIMECALL
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGMatmulToRuntimeCall : tg::impl::TGMatmulToRuntimeCallBase<TGMatmulToRuntimeCall> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && op.hasPureBufferSemantics())
        matmuls.push_back(op);
    });
    for (linalg::LinalgOp op : matmuls)
      rewrite(op);
  }

  void rewrite(linalg::LinalgOp op) {
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    Type elementType = cast<MemRefType>(out.getType()).getElementType();
    if (!elementType.isF32() && !elementType.isF64())
      return;
    Type operandType = cast<MemRefType>(lhs.getType()).getElementType();
    // cuBLAS also takes bf16 operands with an f32 result.
    bool bf16 = cuda && operandType.isBF16() && elementType.isF32();
    if ((operandType != elementType && !bf16) ||
        cast<MemRefType>(rhs.getType()).getElementType() != operandType)
      return;
    linalg::FillOp zeroFill = tg::zeroFillBefore(op);
    OpBuilder b(op);
    FailureOr<std::array<Value, 3>> views = tg::matmulViews(b, op);
    if (failed(views))
      return; // unusual maps keep the loop lowering
    Value accumulate = arith::ConstantIntOp::create(b, op.getLoc(), zeroFill ? 0 : 1, 64);
    std::string name = std::string(cuda ? "tgc_cuda_matmul_" : "tgc_matmul_") +
                       (bf16 ? "bf16_" : "") + (elementType.isF32() ? "f32" : "f64");
    MemRefType view = tg::stridedViewType(elementType, 3);
    MemRefType operandView = tg::stridedViewType(operandType, 3);
    func::FuncOp kernel = tg::getOrDeclareRuntimeFunction(
        getOperation(), name, {operandView, operandView, view, b.getI64Type()});
    func::CallOp::create(b, op.getLoc(), kernel,
                         ValueRange{(*views)[0], (*views)[1], (*views)[2], accumulate});
    op.erase();
    if (zeroFill)
      zeroFill.erase();
  }
};

} // namespace
