//===- LossOps.cpp - composite losses: verifiers and decompositions -------===//
//
// The classification losses (softmax_cross_entropy, focal_loss,
// stablemax_cross_entropy, nce_rce_loss), bce_with_logits and the regression
// losses (mse, huber, pseudo-Huber, Cauchy). Each decomposes to a
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
// Regression losses
//===----------------------------------------------------------------------===//

/// The shared checks of the losses with a positive shape parameter.
static LogicalResult verifyRegressionLoss(Operation *op, StringRef name,
                                          double parameter, Type result,
                                          Type input) {
  if (!(parameter > 0.0))
    return op->emitOpError() << name << " must be positive, got "
                             << formatNumber(parameter);
  return verifySameElementType(op, "result", result, "input", input);
}

LogicalResult HuberLossOp::verify() {
  return verifyRegressionLoss(*this, "delta", getDelta().convertToDouble(),
                              getType(), getInput().getType());
}

SmallVector<Value> HuberLossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  RankedTensorType type = getInput().getType();
  Type elementType = type.getElementType();
  double delta = getDelta().convertToDouble();
  Value distance = AbsOp::create(
      builder, loc, SubOp::create(builder, loc, getInput(), getTarget()));
  Value quadratic = MulOp::create(
      builder, loc, MulOp::create(builder, loc, distance, distance),
      scalarConstant(builder, loc, elementType, 0.5));
  Value linear = MulOp::create(
      builder, loc,
      SubOp::create(builder, loc, distance,
                    scalarConstant(builder, loc, elementType, 0.5 * delta)),
      scalarConstant(builder, loc, elementType, delta));
  Value inside = CompareOp::create(
      builder, loc, RankedTensorType::get(type.getShape(), builder.getI1Type()),
      ComparePredicate::lt, distance,
      scalarConstant(builder, loc, elementType, delta));
  Value terms = SelectOp::create(builder, loc, type, inside, quadratic, linear);
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

LogicalResult PseudoHuberLossOp::verify() {
  return verifyRegressionLoss(*this, "c", getC().convertToDouble(), getType(),
                              getInput().getType());
}

SmallVector<Value> PseudoHuberLossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Type elementType = getInput().getType().getElementType();
  double c = getC().convertToDouble();
  Value difference = SubOp::create(builder, loc, getInput(), getTarget());
  Value squares = MulOp::create(builder, loc, difference, difference);
  Value root = SqrtOp::create(
      builder, loc,
      AddOp::create(builder, loc, squares,
                    scalarConstant(builder, loc, elementType, c * c)));
  Value terms = SubOp::create(builder, loc, root,
                              scalarConstant(builder, loc, elementType, c));
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

LogicalResult CauchyLossOp::verify() {
  return verifyRegressionLoss(*this, "c", getC().convertToDouble(), getType(),
                              getInput().getType());
}

SmallVector<Value> CauchyLossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Type elementType = getInput().getType().getElementType();
  double c = getC().convertToDouble();
  Value difference = SubOp::create(builder, loc, getInput(), getTarget());
  Value scaled = MulOp::create(
      builder, loc, MulOp::create(builder, loc, difference, difference),
      scalarConstant(builder, loc, elementType, 1.0 / (c * c)));
  Value terms = LogOp::create(
      builder, loc,
      AddOp::create(builder, loc, scaled,
                    scalarConstant(builder, loc, elementType, 1.0)));
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

//===----------------------------------------------------------------------===//
// Classification losses
//===----------------------------------------------------------------------===//

/// The shared checks of the losses on [..., C] logits and [...] labels.
static LogicalResult verifyClassificationLoss(Operation *op,
                                              RankedTensorType logitsType,
                                              RankedTensorType labelsType,
                                              Type resultType) {
  ArrayRef<int64_t> logits = logitsType.getShape();
  ArrayRef<int64_t> labels = labelsType.getShape();
  if (logits.empty())
    return op->emitOpError(
        "logits must be [..., C] with a class dimension, got a rank-0 tensor");
  if (!shapesCompatible(labels, logits.drop_back()))
    return op->emitOpError() << "labels are " << formatShape(labels)
                             << " but logits " << formatShape(logits)
                             << " need labels of shape "
                             << formatShape(logits.drop_back())
                             << " (the logits without the class dimension)";
  return verifySameElementType(op, "result", resultType, "logits", logitsType);
}

/// The one-hot [..., C] float encoding of `labels` for `logits`, or null
/// when C is dynamic (tg.one_hot takes it as an attribute).
static Value buildOneHot(OpBuilder &builder, Location loc, Value logits,
                         Value labels) {
  auto logitsType = cast<RankedTensorType>(logits.getType());
  int64_t classes = logitsType.getShape().back();
  if (ShapedType::isDynamic(classes))
    return {};
  Shape shape(cast<ShapedType>(labels.getType()).getShape());
  shape.push_back(classes);
  return OneHotOp::create(
      builder, loc, RankedTensorType::get(shape, logitsType.getElementType()),
      labels, builder.getI64IntegerAttr(classes));
}

/// sum_c weights[..., c] * values[..., c]: with one-hot weights, the label's
/// entry of each example.
static Value sumOverClasses(OpBuilder &builder, Location loc, Value weights,
                            Value values) {
  Value products = MulOp::create(builder, loc, weights, values);
  return ReduceSumOp::create(builder, loc, products, ArrayRef<int64_t>{-1});
}

LogicalResult SoftmaxCrossEntropyOp::verify() {
  double smoothing = getLabelSmoothing().convertToDouble();
  if (!(smoothing >= 0.0 && smoothing <= 1.0))
    return emitOpError() << "label_smoothing must be in [0, 1], got "
                         << formatNumber(smoothing);
  double poly1 = getPoly1().convertToDouble();
  if (!(poly1 >= -1.0))
    return emitOpError() << "poly1 must be at least -1 (the loss must grow "
                            "with the error), got "
                         << formatNumber(poly1);
  double zLoss = getZLoss().convertToDouble();
  if (!(zLoss >= 0.0))
    return emitOpError() << "z_loss must be non-negative, got "
                         << formatNumber(zLoss);
  return verifyClassificationLoss(*this, getLogits().getType(),
                                  getLabels().getType(), getType());
}

SmallVector<Value> SoftmaxCrossEntropyOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value logits = getLogits();
  RankedTensorType logitsType = getLogits().getType();
  if (ShapedType::isDynamic(logitsType.getShape().back()))
    return {};
  Type elementType = logitsType.getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  double smoothing = getLabelSmoothing().convertToDouble();
  double poly1 = getPoly1().convertToDouble();
  double zLoss = getZLoss().convertToDouble();
  // log Z = max + log sum exp(x - max) per example ([..., 1]), exact where
  // exp would overflow. The max is a constant for differentiation: log Z
  // does not depend on it, and its derivative would be a pass over the
  // logits for nothing.
  SmallVector<int64_t> classAxis = {-1};
  Value maximum = StopGradientOp::create(
      builder, loc,
      ReduceMaxOp::create(builder, loc, logits, classAxis, /*keepdim=*/true));
  Value shifted =
      ExpOp::create(builder, loc, SubOp::create(builder, loc, logits, maximum));
  Value logPartition = AddOp::create(
      builder, loc, maximum,
      LogOp::create(builder, loc,
                    ReduceSumOp::create(builder, loc, shifted, classAxis,
                                        /*keepdim=*/true)));
  auto exampleType = RankedTensorType::get(
      logitsType.getShape().drop_back(), elementType);
  Value exampleLogPartition =
      ReshapeOp::create(builder, loc, exampleType, logPartition);
  // sum_c q_c log p_c per example. One-hot q: log p[label] = x[label] - log Z,
  // one element per example (its derivative is elementwise, with no one-hot
  // tensor to sum). Smoothed q: the full sum over log_softmax.
  Value target, logProbs, targetLogProbs;
  if (smoothing == 0.0) {
    targetLogProbs = SubOp::create(
        builder, loc,
        TakeAlongOp::create(builder, loc, exampleType, logits, getLabels()),
        exampleLogPartition);
  } else {
    double classes = double(logitsType.getShape().back());
    target = AddOp::create(
        builder, loc,
        MulOp::create(builder, loc, buildOneHot(builder, loc, logits, getLabels()),
                      constant(1.0 - smoothing)),
        constant(smoothing / classes));
    logProbs = SubOp::create(builder, loc, logits, logPartition);
    targetLogProbs = sumOverClasses(builder, loc, target, logProbs);
  }
  if (poly1 == 0.0 && zLoss == 0.0) {
    // Negating after the reduction is one op on a scalar instead of one per
    // example.
    Value total =
        reduceAll(builder, loc, targetLogProbs, getReduction(), getType());
    return {NegOp::create(builder, loc, total)};
  }
  Value terms = NegOp::create(builder, loc, targetLogProbs);
  if (poly1 != 0.0) {
    // p_t = sum_c q_c p_c: exp(log p[label]) for one-hot q.
    Value targetProb =
        target ? sumOverClasses(builder, loc, target, ExpOp::create(builder, loc, logProbs))
               : Value(ExpOp::create(builder, loc, targetLogProbs));
    Value miss = SubOp::create(builder, loc, constant(1.0), targetProb);
    terms = AddOp::create(builder, loc, terms,
                          MulOp::create(builder, loc, miss, constant(poly1)));
  }
  if (zLoss != 0.0) {
    Value squared =
        MulOp::create(builder, loc, exampleLogPartition, exampleLogPartition);
    terms = AddOp::create(builder, loc, terms,
                          MulOp::create(builder, loc, squared, constant(zLoss)));
  }
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

LogicalResult FocalLossOp::verify() {
  double gamma = getGamma().convertToDouble();
  if (!(gamma >= 0.0))
    return emitOpError() << "gamma must be non-negative, got "
                         << formatNumber(gamma);
  return verifyClassificationLoss(*this, getLogits().getType(),
                                  getLabels().getType(), getType());
}

SmallVector<Value> FocalLossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value oneHot = buildOneHot(builder, loc, getLogits(), getLabels());
  if (!oneHot)
    return {};
  Type elementType = getLogits().getType().getElementType();
  Value logProbs = LogSoftmaxOp::create(builder, loc, getLogits());
  Value labelLogProb = sumOverClasses(builder, loc, oneHot, logProbs);
  Value terms = NegOp::create(builder, loc, labelLogProb);
  double gamma = getGamma().convertToDouble();
  // At gamma 0 the factor is 1, and pow's derivative 0 * 0^-1 would be NaN
  // where p_t = 1.
  if (gamma != 0.0) {
    Value miss = SubOp::create(builder, loc,
                               scalarConstant(builder, loc, elementType, 1.0),
                               ExpOp::create(builder, loc, labelLogProb));
    Value factor = PowOp::create(builder, loc, miss,
                                 scalarConstant(builder, loc, elementType, gamma));
    terms = MulOp::create(builder, loc, factor, terms);
  }
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

LogicalResult StableMaxCrossEntropyOp::verify() {
  return verifyClassificationLoss(*this, getLogits().getType(),
                                  getLabels().getType(), getType());
}

SmallVector<Value> StableMaxCrossEntropyOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value logits = getLogits();
  Value oneHot = buildOneHot(builder, loc, logits, getLabels());
  if (!oneHot)
    return {};
  RankedTensorType type = getLogits().getType();
  Type elementType = type.getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  // s(x) = x + 1 for x >= 0, 1 / (1 - x) below. The negative branch reads
  // min(x, 0) so that neither branch divides by zero where it is not taken:
  // select's derivative would still multiply 0 by an infinite one.
  Value positive = AddOp::create(builder, loc, logits, constant(1.0));
  Value negative = DivOp::create(
      builder, loc, constant(1.0),
      SubOp::create(builder, loc, constant(1.0),
                    MinimumOp::create(builder, loc, logits, constant(0.0))));
  Value nonNegative = CompareOp::create(
      builder, loc, RankedTensorType::get(type.getShape(), builder.getI1Type()),
      ComparePredicate::ge, logits, constant(0.0));
  Value s = SelectOp::create(builder, loc, type, nonNegative, positive, negative);
  // -log(s_y / sum_c s_c) = log sum_c s_c - log s_y.
  SmallVector<int64_t> classAxis = {-1};
  Value logSum = LogOp::create(builder, loc,
                               ReduceSumOp::create(builder, loc, s, classAxis));
  Value labelLog =
      sumOverClasses(builder, loc, oneHot, LogOp::create(builder, loc, s));
  Value terms = SubOp::create(builder, loc, logSum, labelLog);
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

LogicalResult NceRceLossOp::verify() {
  if (getAlpha().isZero() && getBeta().isZero())
    return emitOpError("alpha and beta are both 0: the loss would be constant");
  double logZero = getLogZero().convertToDouble();
  if (!(logZero < 0.0))
    return emitOpError() << "log_zero stands for log 0 and must be negative, got "
                         << formatNumber(logZero);
  return verifyClassificationLoss(*this, getLogits().getType(),
                                  getLabels().getType(), getType());
}

SmallVector<Value> NceRceLossOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value oneHot = buildOneHot(builder, loc, getLogits(), getLabels());
  if (!oneHot)
    return {};
  Type elementType = getLogits().getType().getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  double alpha = getAlpha().convertToDouble(), beta = getBeta().convertToDouble();
  Value logProbs = LogSoftmaxOp::create(builder, loc, getLogits());
  Value labelLogProb = sumOverClasses(builder, loc, oneHot, logProbs);
  Value terms;
  if (alpha != 0.0) {
    Value allLogProbs = ReduceSumOp::create(builder, loc, logProbs,
                                            ArrayRef<int64_t>{-1});
    Value nce = DivOp::create(builder, loc, labelLogProb, allLogProbs);
    terms = MulOp::create(builder, loc, nce, constant(alpha));
  }
  if (beta != 0.0) {
    // -sum_c p_c log q_c: only the classes other than the label contribute,
    // each log_zero, so the sum is -log_zero (1 - p[label]).
    Value miss = SubOp::create(builder, loc, constant(1.0),
                               ExpOp::create(builder, loc, labelLogProb));
    Value rce = MulOp::create(
        builder, loc, miss,
        constant(-beta * getLogZero().convertToDouble()));
    terms = terms ? Value(AddOp::create(builder, loc, terms, rce)) : rce;
  }
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}

//===----------------------------------------------------------------------===//
// bce_with_logits
//===----------------------------------------------------------------------===//

LogicalResult BCEWithLogitsOp::verify() {
  // ODS makes logits and targets one type and the result a float scalar.
  RankedTensorType logitsType = getLogits().getType();
  if (Value weight = getPosWeight()) {
    auto weightType = cast<RankedTensorType>(weight.getType());
    std::string error;
    if (!isBroadcastableTo(weightType.getShape(), logitsType.getShape(), error))
      return emitOpError() << "pos_weight is "
                           << formatShape(weightType.getShape())
                           << ", which does not broadcast to the logits "
                           << formatShape(logitsType.getShape());
    if (failed(verifySameElementType(*this, "pos_weight", weightType, "logits",
                                     logitsType)))
      return failure();
  }
  return verifySameElementType(*this, "result", getType(), "logits",
                               logitsType);
}

SmallVector<Value> BCEWithLogitsOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value logits = getLogits();
  Type elementType = getLogits().getType().getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  // log(1 + exp(-|x|)): exp never overflows, and the log's argument lies in
  // (1, 2].
  auto buildSoftplusOfMinusAbs = [&] {
    Value decay = ExpOp::create(
        builder, loc,
        NegOp::create(builder, loc, AbsOp::create(builder, loc, logits)));
    return LogOp::create(builder, loc,
                         AddOp::create(builder, loc, decay, constant(1.0)));
  };
  Value terms;
  if (Value weight = getPosWeight()) {
    // (1 - t) x + (1 + (w - 1) t) softplus(-x), with
    // softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)), as PyTorch computes it.
    Value targets = getTargets();
    Value negativePart = MaximumOp::create(
        builder, loc, NegOp::create(builder, loc, logits), constant(0.0));
    Value softplusNegative =
        AddOp::create(builder, loc, negativePart, buildSoftplusOfMinusAbs());
    Value logWeight = AddOp::create(
        builder, loc,
        MulOp::create(builder, loc,
                      SubOp::create(builder, loc, weight, constant(1.0)),
                      targets),
        constant(1.0));
    Value negativeTerm = MulOp::create(
        builder, loc, SubOp::create(builder, loc, constant(1.0), targets), logits);
    terms = AddOp::create(builder, loc, negativeTerm,
                          MulOp::create(builder, loc, logWeight, softplusNegative));
  } else {
    // max(x, 0) - x t + log(1 + exp(-|x|)).
    Value positivePart = MaximumOp::create(builder, loc, logits, constant(0.0));
    Value product = MulOp::create(builder, loc, logits, getTargets());
    Value softplus = buildSoftplusOfMinusAbs();
    terms = AddOp::create(builder, loc,
                          SubOp::create(builder, loc, positivePart, product),
                          softplus);
  }
  return {reduceAll(builder, loc, terms, getReduction(), getType())};
}
