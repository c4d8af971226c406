//===- Autocast.cpp - bf16 mixed precision, as PyTorch's autocast ---------===//
//
// Matmul-like ops run on bf16 copies of their f32 operands and give bf16;
// ops that need the range or precision (normalizations, softmax, sums,
// losses, exp/log/pow/rsqrt) widen bf16 operands to f32; other ops keep
// their operands' type, promoting mixed bf16/f32 operands to f32. Globals
// stay f32 (master weights: the optimizer updates f32), and the casts are
// tg.cast ops, whose derivative rule carries the gradients back to f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "tg/TGDialect.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGAUTOCAST
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

enum class Policy { LowerPrecision, FP32, Default };

/// PyTorch's CUDA autocast lists, for the ops tg has: matmul-like ops are
/// on its lower-precision list; these on its fp32 list (layer_norm,
/// softmax, log_softmax, sum, the losses, exp, log, pow, rsqrt), and the
/// other normalizations and mean, which compute statistics, with them.
Policy policyOf(Operation *op) {
  if (isa<tg::LinearOp, tg::MatmulOp, tg::AttentionOp, tg::Conv2DOp>(op))
    return Policy::LowerPrecision;
  if (isa<tg::LayerNormOp, tg::RMSNormOp, tg::BatchNormOp, tg::SoftmaxOp, tg::LogSoftmaxOp,
          tg::ReduceSumOp, tg::ReduceMeanOp, tg::ExpOp, tg::LogOp, tg::PowOp, tg::RsqrtOp,
          tg::MSELossOp, tg::SoftmaxCrossEntropyOp, tg::FocalLossOp, tg::StableMaxCrossEntropyOp,
          tg::NceRceLossOp, tg::BCEWithLogitsOp, tg::HuberLossOp, tg::PseudoHuberLossOp,
          tg::CauchyLossOp>(op))
    return Policy::FP32;
  return Policy::Default;
}

Type elementType(Value value) { return cast<RankedTensorType>(value.getType()).getElementType(); }

bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

struct TGAutocast : tg::impl::TGAutocastBase<TGAutocast> {
  using Base::Base;

  /// The type each value had before this pass changed it.
  DenseMap<Value, Type> originalType;

  void runOnOperation() override {
    if (type != "bf16") {
      getOperation().emitError() << "tg-autocast: unsupported type '" << type
                                 << "' (expected bf16)";
      return signalPassFailure();
    }
    Builder builder(&getContext());
    Type low = builder.getBF16Type(), f32 = builder.getF32Type();
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      SmallVector<Operation *> ops;
      function.walk<WalkOrder::PreOrder>([&](Operation *op) { ops.push_back(op); });
      for (Operation *op : ops)
        autocast(op, low, f32);
    }
  }

  /// `value` cast to `element` before `op`.
  Value castBefore(Operation *op, Value value, Type element) {
    OpBuilder b(op);
    auto type = cast<RankedTensorType>(value.getType()).clone(element);
    return tg::CastOp::create(b, op->getLoc(), type, value);
  }

  /// Float operands of element type `from` cast to `to` before `op`.
  void castOperands(Operation *op, Type from, Type to) {
    for (OpOperand &operand : op->getOpOperands())
      if (isFloatTensor(operand.get()) && elementType(operand.get()) == from)
        operand.set(castBefore(op, operand.get(), to));
  }

  /// Float results of element type `from` become `to`.
  void retypeResults(Operation *op, Type from, Type to) {
    for (Value result : op->getResults())
      if (isFloatTensor(result) && elementType(result) == from) {
        originalType.try_emplace(result, result.getType());
        result.setType(cast<RankedTensorType>(result.getType()).clone(to));
      }
  }

  void autocast(Operation *op, Type low, Type f32) {
    // Other dialects (returns, calls, global stores) see the types they had.
    if (!isa<tg::TGDialect>(op->getDialect())) {
      for (OpOperand &operand : op->getOpOperands())
        if (Type type = originalType.lookup(operand.get()))
          operand.set(castBefore(op, operand.get(), cast<RankedTensorType>(type).getElementType()));
      return;
    }
    if (isa<tg::CastOp>(op))
      return;
    switch (policyOf(op)) {
    case Policy::LowerPrecision:
      castOperands(op, f32, low);
      retypeResults(op, f32, low);
      return;
    case Policy::FP32:
      castOperands(op, low, f32);
      retypeResults(op, low, f32);
      return;
    case Policy::Default:
      break;
    }
    // Type promotion: bf16 and f32 operands compute in f32; operands this
    // pass made bf16 (all of them) make f32 results bf16.
    bool changed = false, anyF32 = false;
    for (Value operand : op->getOperands()) {
      if (!isFloatTensor(operand))
        continue;
      changed |= originalType.count(operand) != 0;
      anyF32 |= elementType(operand) == f32;
    }
    if (!changed)
      return;
    if (anyF32) {
      castOperands(op, low, f32);
      return;
    }
    retypeResults(op, f32, low);
  }
};

} // namespace
