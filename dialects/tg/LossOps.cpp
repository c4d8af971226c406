//===- LossOps.cpp - composite losses: verifiers and decompositions -------===//
//
// mse_loss, softmax_cross_entropy and bce_with_logits. Each decomposes to a
// per-element (or per-example) term followed by a mean or sum over all
// dimensions, as PyTorch's losses with reduction='mean' / 'sum'.
//
//===----------------------------------------------------------------------===//

#include "tg/Composite.h"
#include "tg/TGOps.h"

#include "llvm/ADT/Sequence.h"

using namespace mlir;
using namespace mlir::tg;
using namespace mlir::tg::composite;

/// Combines `terms` into the rank-0 `resultType` by `reduction` over all of
/// its dimensions.
static Value reduceAll(OpBuilder &builder, Location loc, Value terms,
                       Reduction reduction, Type resultType) {
  int64_t rank = cast<ShapedType>(terms.getType()).getRank();
  if (rank == 0)
    return terms;
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  if (reduction == Reduction::mean)
    return ReduceMeanOp::create(builder, loc, resultType, terms, axes);
  return ReduceSumOp::create(builder, loc, resultType, terms, axes);
}

//===----------------------------------------------------------------------===//
// mse_loss
//===----------------------------------------------------------------------===//

LogicalResult MSELossOp::verify() {
  // ODS makes input and target one type and the result a float scalar.
  return verifySameElementType(*this, "result", getType(), "input",
                               getInput().getType());
}

SmallVector<Value> MSELossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value difference = SubOp::create(builder, loc, getInput(), getTarget());
  Value squares = MulOp::create(builder, loc, difference, difference);
  return {reduceAll(builder, loc, squares, getReduction(), getType())};
}

//===----------------------------------------------------------------------===//
// softmax_cross_entropy
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxCrossEntropyOp::verify() {
  ArrayRef<int64_t> logits = getLogits().getType().getShape();
  ArrayRef<int64_t> labels = getLabels().getType().getShape();
  if (logits.empty())
    return emitOpError(
        "logits must be [..., C] with a class dimension, got a rank-0 tensor");
  if (!shapesCompatible(labels, logits.drop_back()))
    return emitOpError() << "labels are " << formatShape(labels)
                         << " but logits " << formatShape(logits)
                         << " need labels of shape "
                         << formatShape(logits.drop_back())
                         << " (the logits without the class dimension)";
  return verifySameElementType(*this, "result", getType(), "logits",
                               getLogits().getType());
}

SmallVector<Value> SoftmaxCrossEntropyOp::decompose(OpBuilder &builder) {
  RankedTensorType logitsType = getLogits().getType();
  // tg.one_hot takes the class count as an attribute.
  int64_t classes = logitsType.getShape().back();
  if (ShapedType::isDynamic(classes))
    return {};
  Location loc = getLoc();
  Value logProbs = LogSoftmaxOp::create(builder, loc, getLogits());
  Shape oneHotShape(getLabels().getType().getShape());
  oneHotShape.push_back(classes);
  Value oneHot = OneHotOp::create(
      builder, loc,
      RankedTensorType::get(oneHotShape, logitsType.getElementType()),
      getLabels(), builder.getI64IntegerAttr(classes));
  // sum_c onehot[c] * log p[c] picks log p[label] for each example.
  Value picked = MulOp::create(builder, loc, oneHot, logProbs);
  SmallVector<int64_t> classAxis = {-1};
  Value labelLogProbs = ReduceSumOp::create(builder, loc, picked, classAxis);
  // Negating after the reduction is one op on a scalar instead of one per
  // example.
  Value total =
      reduceAll(builder, loc, labelLogProbs, getReduction(), getType());
  return {NegOp::create(builder, loc, total)};
}

//===----------------------------------------------------------------------===//
// bce_with_logits
//===----------------------------------------------------------------------===//

LogicalResult BCEWithLogitsOp::verify() {
  // ODS makes logits and targets one type and the result a float scalar.
  return verifySameElementType(*this, "result", getType(), "logits",
                               getLogits().getType());
}

SmallVector<Value> BCEWithLogitsOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value logits = getLogits();
  Type elementType = getLogits().getType().getElementType();
  // max(x, 0) - x t + log(1 + exp(-|x|)): exp never overflows, and the log's
  // argument lies in (1, 2].
  Value positivePart = MaximumOp::create(
      builder, loc, logits, scalarConstant(builder, loc, elementType, 0.0));
  Value product = MulOp::create(builder, loc, logits, getTargets());
  Value decay = ExpOp::create(
      builder, loc,
      NegOp::create(builder, loc, AbsOp::create(builder, loc, logits)));
  Value softplus = LogOp::create(
      builder, loc,
      AddOp::create(builder, loc, decay,
                    scalarConstant(builder, loc, elementType, 1.0)));
  Value terms = AddOp::create(
      builder, loc, SubOp::create(builder, loc, positivePart, product), softplus);
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}
