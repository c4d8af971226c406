//===- Decomposition.cpp - composite tg ops to core ops, as PyTorch rounds ===//

#include "tg/Decomposition.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::tg;

/// The half-precision float type (f16 or bf16) of `op`'s float operands and
/// results when they all have it; null otherwise.
static FloatType halfPrecisionType(Operation *op) {
  FloatType half;
  for (Type type : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    auto element = dyn_cast<FloatType>(getElementTypeOrSelf(type));
    if (!element)
      continue;
    if (element.getWidth() != 16 || (half && element != half))
      return nullptr;
    half = element;
  }
  return half;
}

/// `value` with its float elements converted to `type` (a tg.cast).
static Value castElements(OpBuilder &builder, Location loc, Value value, Type type) {
  auto tensor = cast<RankedTensorType>(value.getType());
  return CastOp::create(builder, loc, tensor.clone(type), value);
}

/// A copy of `op` computing in f32, at `op`'s place, when `op`'s float
/// operands and results are all f16 or all bf16: its half operands widened by
/// tg.cast, its half results f32. Null otherwise, or when the f32 copy does
/// not verify.
static Operation *cloneInF32(RewriterBase &rewriter, Operation *op) {
  FloatType half = halfPrecisionType(op);
  if (!half)
    return nullptr;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Type f32 = rewriter.getF32Type();
  auto widened = [&](Type type) -> Type {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getElementType() == half ? tensor.clone(f32) : type;
  };
  SmallVector<Value> operands;
  for (Value operand : op->getOperands())
    operands.push_back(widened(operand.getType()) == operand.getType()
                           ? operand
                           : castElements(rewriter, op->getLoc(), operand, f32));
  SmallVector<Type> types = llvm::map_to_vector(op->getResultTypes(), widened);
  Operation *wide = mlir::clone(rewriter, op, types, operands);
  if (failed(mlir::verify(wide))) {
    rewriter.eraseOp(wide);
    return nullptr;
  }
  return wide;
}

/// `values` (the results of cloneInF32(op)) rounded back to `op`'s result
/// types by tg.cast where those differ, before `op`.
static SmallVector<Value> roundToResultTypes(RewriterBase &rewriter, Operation *op,
                                             ValueRange values) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  SmallVector<Value> rounded;
  for (auto [result, value] : llvm::zip_equal(op->getResults(), values)) {
    Type element = getElementTypeOrSelf(result.getType());
    rounded.push_back(result.getType() == value.getType()
                          ? value
                          : castElements(rewriter, op->getLoc(), value, element));
  }
  return rounded;
}

LogicalResult tg::computeInF32(RewriterBase &rewriter, Operation *op) {
  Operation *wide = cloneInF32(rewriter, op);
  if (!wide)
    return failure();
  rewriter.replaceOp(op, roundToResultTypes(rewriter, op, wide->getResults()));
  return success();
}

FailureOr<SmallVector<Value>> tg::decomposeComposite(RewriterBase &rewriter,
                                                     DecomposableOpInterface op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  bool exact = isa<EmbeddingOp, DropoutOp>(op.getOperation());
  if (Operation *wide = exact ? nullptr : cloneInF32(rewriter, op)) {
    rewriter.setInsertionPoint(wide);
    SmallVector<Value> wideResults = cast<DecomposableOpInterface>(wide).decompose(rewriter);
    rewriter.setInsertionPoint(op);
    rewriter.eraseOp(wide);
    if (wideResults.size() != op->getNumResults())
      return failure();
    return roundToResultTypes(rewriter, op, wideResults);
  }
  SmallVector<Value> replacements = op.decompose(rewriter);
  if (replacements.size() != op->getNumResults())
    return failure();
  return replacements;
}
