//===- LayerOps.cpp - composite layers: verifiers and decompositions ------===//
//
// linear, layer_norm, rms_norm, batch_norm, fake_quant, embedding, dropout,
// attention (and its derivative rules), attention_grad and conv2d.
// Each `decompose` builds the PyTorch-equivalent program from core tg ops and
// returns {} when it needs a static shape that the operands do not have; it
// checks that before building anything, so a failed decomposition leaves the
// IR untouched (the rewrite driver would otherwise retry it forever).
//
//===----------------------------------------------------------------------===//

#include "tg/Composite.h"
#include "tg/TGOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tg;
using namespace mlir::tg::composite;

/// Reduction axes of the normalization layers: the last dimension.
static constexpr int64_t kLastAxis[] = {-1};

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> weight = getWeight().getType().getShape();
  if (input.empty())
    return emitOpError("input must be [..., in], got a rank-0 tensor");
  if (weight.size() != 2)
    return emitOpError() << "weight must be [out, in], got "
                         << formatShape(weight);
  int64_t features = input.back();
  if (!dimsCompatible(weight[1], features))
    return emitOpError() << "weight is " << formatShape(weight)
                         << " but the input has " << features
                         << " features (last dim); expected [out, " << features
                         << "]";
  if (failed(verifySameElementType(*this, "weight", getWeight().getType(),
                                   "input", getInput().getType())))
    return failure();
  if (Value bias = getBias()) {
    ArrayRef<int64_t> biasShape = cast<ShapedType>(bias.getType()).getShape();
    if (biasShape.size() != 1 || !dimsCompatible(biasShape[0], weight[0]))
      return emitOpError() << "bias is " << formatShape(biasShape)
                           << " but the weight has " << formatDim(weight[0])
                           << " outputs; expected [" << formatDim(weight[0])
                           << "]";
    if (failed(verifySameElementType(*this, "bias", bias.getType(), "input",
                                     getInput().getType())))
      return failure();
  }
  if (failed(verifySameElementType(*this, "result", getType(), "input",
                                   getInput().getType())))
    return failure();
  Shape inferred(input.drop_back());
  inferred.push_back(weight[0]);
  return verifyResultShape(*this, getType(), inferred);
}

SmallVector<Value> LinearOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  RankedTensorType inputType = getInput().getType();
  Type elementType = inputType.getElementType();
  int64_t outputs = getWeight().getType().getDimSize(0);
  Value bias = getBias();

  // tg.matmul needs rank >= 2: a single vector becomes one row and back.
  // Leading (batch) dimensions are folded into the rows too: the weight's
  // gradient is then one product over all rows (a single GEMM with
  // K = batch x rows), not a product per batch element summed afterwards.
  bool reshaped =
      inputType.getRank() == 1 || (inputType.getRank() > 2 && inputType.hasStaticShape());
  Value input = getInput();
  if (reshaped) {
    int64_t rows = 1;
    for (int64_t size : inputType.getShape().drop_back())
      rows *= size;
    input = ReshapeOp::create(
        builder, loc, RankedTensorType::get({rows, inputType.getShape().back()}, elementType),
        input);
  }

  Shape productShape(cast<ShapedType>(input.getType()).getShape().drop_back());
  productShape.push_back(outputs);
  Type productType =
      (bias || reshaped) ? RankedTensorType::get(productShape, elementType) : getType();
  Value result = MatmulOp::create(builder, loc, productType, input, getWeight(),
                                  /*transpose_lhs=*/false,
                                  /*transpose_rhs=*/true);
  if (reshaped) {
    Shape resultShape(inputType.getShape().drop_back());
    resultShape.push_back(outputs);
    result = ReshapeOp::create(
        builder, loc, bias ? RankedTensorType::get(resultShape, elementType) : getType(), result);
  }
  if (bias)
    result = AddOp::create(builder, loc, getType(), result, bias);
  return {result};
}

//===----------------------------------------------------------------------===//
// layer_norm and rms_norm
//===----------------------------------------------------------------------===//

/// Shared checks of the normalization layers: the input has a last
/// dimension D, each per-feature parameter is [D] with the input's element
/// type, epsilon is positive, and the result has the input's type.
static LogicalResult
verifyNormalization(Operation *op, RankedTensorType inputType,
                    ArrayRef<std::pair<StringRef, RankedTensorType>> parameters,
                    double epsilon, RankedTensorType resultType) {
  if (inputType.getRank() == 0)
    return op->emitOpError(
        "input must have a last dimension to normalize, got a rank-0 tensor");
  int64_t features = inputType.getShape().back();
  for (auto [name, type] : parameters) {
    if (type.getRank() != 1 || !dimsCompatible(type.getDimSize(0), features))
      return op->emitOpError()
             << name << " is " << formatShape(type.getShape())
             << " but the input's last dimension is " << formatDim(features)
             << "; expected [" << formatDim(features) << "]";
    if (failed(verifySameElementType(op, name, type, "input", inputType)))
      return failure();
  }
  if (!(epsilon > 0.0))
    return op->emitOpError() << "epsilon must be positive, got "
                             << formatNumber(epsilon);
  if (failed(verifySameElementType(op, "result", resultType, "input", inputType)))
    return failure();
  return verifyResultShape(op, resultType, inputType.getShape());
}

/// `input * rsqrt(meanOfSquares + epsilon)`, the shared core of both norms;
/// `meanOfSquares` keeps the normalized dimension as size 1.
static Value scaleByInverseRms(OpBuilder &builder, Location loc, Value input,
                               Value meanOfSquares, double epsilon) {
  Type elementType = cast<ShapedType>(input.getType()).getElementType();
  Value shifted = AddOp::create(builder, loc, meanOfSquares,
                                scalarConstant(builder, loc, elementType, epsilon));
  Value inverse = RsqrtOp::create(builder, loc, shifted);
  return MulOp::create(builder, loc, input, inverse);
}

LogicalResult LayerNormOp::verify() {
  return verifyNormalization(*this, getInput().getType(),
                             {{"weight", getWeight().getType()},
                              {"bias", getBias().getType()}},
                             getEpsilon().convertToDouble(), getType());
}

SmallVector<Value> LayerNormOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value input = getInput();
  // Two passes (mean, then the mean of squared deviations) rather than
  // E[x^2] - E[x]^2, which cancels catastrophically when |mean| >> std.
  Value mean = ReduceMeanOp::create(builder, loc, input, kLastAxis,
                                    /*keepdim=*/true);
  Value centered = SubOp::create(builder, loc, input, mean);
  Value squares = MulOp::create(builder, loc, centered, centered);
  Value variance = ReduceMeanOp::create(builder, loc, squares, kLastAxis,
                                        /*keepdim=*/true);
  Value normalized = scaleByInverseRms(builder, loc, centered, variance,
                                       getEpsilon().convertToDouble());
  Value scaled = MulOp::create(builder, loc, normalized, getWeight());
  return {AddOp::create(builder, loc, getType(), scaled, getBias())};
}

LogicalResult RMSNormOp::verify() {
  return verifyNormalization(*this, getInput().getType(),
                             {{"weight", getWeight().getType()}},
                             getEpsilon().convertToDouble(), getType());
}

SmallVector<Value> RMSNormOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  Value input = getInput();
  Value squares = MulOp::create(builder, loc, input, input);
  Value meanOfSquares = ReduceMeanOp::create(builder, loc, squares, kLastAxis,
                                             /*keepdim=*/true);
  Value normalized = scaleByInverseRms(builder, loc, input, meanOfSquares,
                                       getEpsilon().convertToDouble());
  return {MulOp::create(builder, loc, getType(), normalized, getWeight())};
}

//===----------------------------------------------------------------------===//
// batch_norm
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (inputType.getRank() < 2)
    return emitOpError() << "input must be [N, C, ...] (rank >= 2), got "
                         << formatShape(inputType.getShape());
  int64_t channels = inputType.getDimSize(1);
  for (auto [name, value] :
       {std::make_pair("weight", getWeight()), std::make_pair("bias", getBias()),
        std::make_pair("running_mean", getRunningMean()),
        std::make_pair("running_var", getRunningVar())}) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != 1 || !dimsCompatible(type.getDimSize(0), channels))
      return emitOpError() << name << " is " << formatShape(type.getShape())
                           << " but the input has " << formatDim(channels)
                           << " channels (dim 1); expected ["
                           << formatDim(channels) << "]";
    if (failed(verifySameElementType(*this, name, type, "input", inputType)))
      return failure();
  }
  double momentum = getMomentum().convertToDouble();
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return emitOpError() << "momentum must be in [0, 1], got "
                         << formatNumber(momentum);
  double epsilon = getEpsilon().convertToDouble();
  if (!(epsilon > 0.0))
    return emitOpError() << "epsilon must be positive, got "
                         << formatNumber(epsilon);
  return success();
}

SmallVector<Value> BatchNormOp::decompose(OpBuilder &builder) {
  RankedTensorType inputType = getInput().getType();
  if (!inputType.hasStaticShape())
    return {};
  Location loc = getLoc();
  Type elementType = inputType.getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  ArrayRef<int64_t> shape = inputType.getShape();
  int64_t channels = shape[1];
  // Per-channel vectors broadcast against the input as [C, 1, ...].
  Shape channelShape(shape.size() - 1, 1);
  channelShape[0] = channels;
  auto channelType = RankedTensorType::get(channelShape, elementType);
  auto toChannels = [&](Value vector) -> Value {
    if (channelShape.size() == 1)
      return vector;
    return ReshapeOp::create(builder, loc, channelType, vector);
  };
  auto toVector = [&](Value keptDims) -> Value {
    return ReshapeOp::create(builder, loc,
                             RankedTensorType::get({channels}, elementType),
                             keptDims);
  };

  Value mean, variance, centered;
  if (getTraining()) {
    SmallVector<int64_t> axes = {0};
    for (int64_t d = 2; d < inputType.getRank(); ++d)
      axes.push_back(d);
    // Two passes, as layer_norm: no cancellation in E[x^2] - E[x]^2.
    mean = ReduceMeanOp::create(builder, loc, getInput(), axes, /*keepdim=*/true);
    centered = SubOp::create(builder, loc, getInput(), mean);
    variance = ReduceMeanOp::create(
        builder, loc, MulOp::create(builder, loc, centered, centered), axes,
        /*keepdim=*/true);
  } else {
    centered = SubOp::create(builder, loc, getInput(),
                             toChannels(getRunningMean()));
    variance = toChannels(getRunningVar());
  }
  Value normalized = MulOp::create(
      builder, loc, centered,
      RsqrtOp::create(builder, loc,
                      AddOp::create(builder, loc, variance,
                                    constant(getEpsilon().convertToDouble()))));
  Value result = AddOp::create(
      builder, loc, getResult().getType(),
      MulOp::create(builder, loc, normalized, toChannels(getWeight())),
      toChannels(getBias()));
  if (!getTraining())
    return {result, getRunningMean(), getRunningVar()};

  // The running variance is unbiased (n / (n - 1)), as PyTorch's.
  double momentum = getMomentum().convertToDouble();
  double count = double(inputType.getNumElements() / channels);
  double correction = count > 1 ? count / (count - 1) : 1.0;
  auto blend = [&](Value running, Value batch, double batchScale) -> Value {
    return AddOp::create(
        builder, loc,
        MulOp::create(builder, loc, running, constant(1.0 - momentum)),
        MulOp::create(builder, loc, toVector(batch),
                      constant(momentum * batchScale)));
  };
  return {result, blend(getRunningMean(), mean, 1.0),
          blend(getRunningVar(), variance, correction)};
}

//===----------------------------------------------------------------------===//
// fake_quant
//===----------------------------------------------------------------------===//

std::pair<double, double> FakeQuantOp::getRange() {
  double levels = std::ldexp(1.0, int(getBits()));
  if (getUnsignedRange())
    return {0.0, levels - 1};
  return {-levels / 2, levels / 2 - 1};
}

LogicalResult FakeQuantOp::verify() {
  int64_t bits = getBits();
  if (bits < 2 || bits > 16)
    return emitOpError() << "bits must be in [2, 16], got " << bits;
  RankedTensorType inputType = getInput().getType();
  RankedTensorType scaleType = getScale().getType();
  if (failed(verifySameElementType(*this, "scale", scaleType, "input",
                                   inputType)))
    return failure();
  if (std::optional<APFloat> gradScale = getGradScale())
    if (!(gradScale->convertToDouble() > 0.0))
      return emitOpError() << "grad_scale must be positive, got "
                           << formatNumber(gradScale->convertToDouble());
  std::optional<int64_t> axis = getAxis();
  if (!axis) {
    if (scaleType.getRank() != 0)
      return emitOpError() << "scale is " << formatShape(scaleType.getShape())
                           << " without an axis; a per-tensor scale is a "
                              "scalar, a per-channel one needs `axis`";
    return success();
  }
  std::string error;
  std::optional<int64_t> channelAxis =
      normalizeAxis(*axis, inputType.getRank(), error);
  if (!channelAxis)
    return emitOpError() << error;
  int64_t channels = inputType.getDimSize(*channelAxis);
  if (scaleType.getRank() != 1 ||
      !dimsCompatible(scaleType.getDimSize(0), channels))
    return emitOpError() << "scale is " << formatShape(scaleType.getShape())
                         << " but the input has " << formatDim(channels)
                         << " channels on axis " << *axis << "; expected ["
                         << formatDim(channels) << "]";
  return success();
}

SmallVector<Value> FakeQuantOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  RankedTensorType inputType = getInput().getType();
  Type elementType = inputType.getElementType();
  auto constant = [&](double value) {
    return scalarConstant(builder, loc, elementType, value);
  };
  auto [low, high] = getRange();
  int64_t rank = inputType.getRank();
  std::optional<int64_t> channelAxis;
  if (std::optional<int64_t> axis = getAxis())
    channelAxis = *axis < 0 ? *axis + rank : *axis;
  // The default gradient scale needs the number of elements per scale.
  int64_t perScale = inputType.getNumElements();
  if (channelAxis)
    perScale /= inputType.getDimSize(*channelAxis);
  if (!getGradScale() && !inputType.hasStaticShape())
    return {};
  double gradScale = getGradScale() ? getGradScale()->convertToDouble()
                                    : 1.0 / std::sqrt(double(perScale) * high);

  // The scale's value, with the derivative of gradScale * scale.
  Value scale = getScale();
  if (gradScale != 1.0)
    scale = StraightThroughOp::create(
        builder, loc, MulOp::create(builder, loc, scale, constant(gradScale)),
        scale, /*clip=*/ArrayAttr());
  // A per-channel scale broadcasts as [C, 1, ...] from the channel axis on.
  if (channelAxis && *channelAxis != rank - 1) {
    Shape shape(rank - *channelAxis, 1);
    shape[0] = inputType.getDimSize(*channelAxis);
    scale = ReshapeOp::create(builder, loc,
                              RankedTensorType::get(shape, elementType), scale);
  }
  // Clamping before rounding gives LSQ's gradients: d/dx is the clipped
  // identity, and d/ds is round(v) - v inside the range, Qn or Qp outside.
  Value scaled = DivOp::create(builder, loc, getInput(), scale);
  Value clamped = MinimumOp::create(
      builder, loc, MaximumOp::create(builder, loc, scaled, constant(low)),
      constant(high));
  Value rounded = StraightThroughOp::create(
      builder, loc, clamped, RoundOp::create(builder, loc, clamped),
      /*clip=*/ArrayAttr());
  return {MulOp::create(builder, loc, getType(), rounded, scale)};
}

//===----------------------------------------------------------------------===//
// embedding
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  ArrayRef<int64_t> table = getTable().getType().getShape();
  if (table.size() != 2)
    return emitOpError() << "table must be [vocabulary, D], got "
                         << formatShape(table);
  if (failed(verifySameElementType(*this, "result", getType(), "table",
                                   getTable().getType())))
    return failure();
  // gatherShape on axis 0: ids.shape ++ [D].
  std::string error;
  ShapeOrError inferred =
      gatherShape(table, getIds().getType().getShape(), /*axis=*/0, error);
  return verifyResultShape(*this, getType(), *inferred);
}

SmallVector<Value> EmbeddingOp::decompose(OpBuilder &builder) {
  return {GatherOp::create(builder, getLoc(), getType(), getTable(), getIds(),
                           builder.getI64IntegerAttr(0))};
}

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

LogicalResult DropoutOp::verify() {
  double rate = getRate().convertToDouble();
  if (!(rate >= 0.0 && rate < 1.0))
    return emitOpError() << "rate must be in [0, 1), got " << formatNumber(rate);
  return success();
}

SmallVector<Value> DropoutOp::decompose(OpBuilder &builder) {
  double rate = getRate().convertToDouble();
  if (rate == 0.0)
    return {getInput()};
  // tg.random takes its shape from its type: it has no size operands.
  RankedTensorType type = getInput().getType();
  if (!type.hasStaticShape())
    return {};
  Location loc = getLoc();
  Type elementType = type.getElementType();
  Value uniform = RandomOp::create(builder, loc, type, Distribution::uniform,
                                   getSeed(), getCounter());
  // P(u >= rate) = 1 - rate for u uniform on [0, 1).
  Value keep = CompareOp::create(
      builder, loc, RankedTensorType::get(type.getShape(), builder.getI1Type()),
      ComparePredicate::ge, uniform,
      scalarConstant(builder, loc, elementType, rate));
  Value scaled = MulOp::create(
      builder, loc, getInput(),
      scalarConstant(builder, loc, elementType, 1.0 / (1.0 - rate)));
  Value zero = scalarConstant(builder, loc, elementType, 0.0);
  return {SelectOp::create(builder, loc, type, keep, scaled, zero)};
}

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

/// The static one of two compatible dimensions, else kDynamic.
static int64_t mergeDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

/// Shape of q k^T: the leading dimensions (merged over q, k and v), Tq, Tk.
/// Assumes the verifier has accepted the operands.
static Shape attentionScoresShape(Value query, Value key, Value value) {
  ArrayRef<int64_t> q = cast<RankedTensorType>(query.getType()).getShape();
  ArrayRef<int64_t> k = cast<RankedTensorType>(key.getType()).getShape();
  ArrayRef<int64_t> v = cast<RankedTensorType>(value.getType()).getShape();
  size_t rank = q.size();
  Shape shape;
  for (size_t d = 0; d + 2 < rank; ++d)
    shape.push_back(mergeDims(q[d], mergeDims(k[d], v[d])));
  shape.push_back(q[rank - 2]);
  shape.push_back(mergeDims(k[rank - 2], v[rank - 2]));
  return shape;
}

/// The operand rules that tg.attention and tg.attention_grad share. Returns
/// the shape of the attention's result, or failure after a diagnostic.
static FailureOr<Shape> verifyAttentionOperands(Operation *op, Value query, Value key, Value value,
                                                std::optional<APFloat> scale) {
  auto queryType = cast<RankedTensorType>(query.getType());
  auto keyType = cast<RankedTensorType>(key.getType());
  auto valueType = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> q = queryType.getShape(), k = keyType.getShape(),
                    v = valueType.getShape();
  for (auto [name, shape] : {std::make_pair("query", q),
                             std::make_pair("key", k),
                             std::make_pair("value", v)})
    if (shape.size() < 2)
      return op->emitOpError() << name << " must be [..., T, D] (rank >= 2), got "
                               << formatShape(shape);
  if (q.size() != k.size() || q.size() != v.size())
    return op->emitOpError() << "query, key and value must have the same rank, got " << q.size()
                             << ", " << k.size() << " and " << v.size();
  size_t rank = q.size();
  for (size_t d = 0; d + 2 < rank; ++d)
    if (!dimsCompatible(q[d], k[d]) || !dimsCompatible(q[d], v[d]) ||
        !dimsCompatible(k[d], v[d]))
      return op->emitOpError() << "leading (batch and head) dimensions differ: query "
                               << formatShape(q.drop_back(2)) << ", key "
                               << formatShape(k.drop_back(2)) << ", value "
                               << formatShape(v.drop_back(2));
  if (!dimsCompatible(q[rank - 1], k[rank - 1]))
    return op->emitOpError() << "query has head size " << q[rank - 1] << " (last dim) but key has "
                             << k[rank - 1];
  if (!dimsCompatible(k[rank - 2], v[rank - 2]))
    return op->emitOpError() << "key has " << k[rank - 2] << " positions (dim -2) but value has "
                             << v[rank - 2];
  if (scale) {
    double factor = scale->convertToDouble();
    if (!(factor > 0.0))
      return op->emitOpError() << "scale must be positive, got " << formatNumber(factor);
  }
  if (failed(verifySameElementType(op, "key", keyType, "query", queryType)) ||
      failed(verifySameElementType(op, "value", valueType, "query", queryType)))
    return failure();
  Shape result = attentionScoresShape(query, key, value);
  result.back() = v[rank - 1];
  return result;
}

LogicalResult AttentionOp::verify() {
  FailureOr<Shape> inferred =
      verifyAttentionOperands(*this, getQuery(), getKey(), getValue(), getScale());
  if (failed(inferred) ||
      failed(verifySameElementType(*this, "result", getType(), "query", getQuery().getType())))
    return failure();
  return verifyResultShape(*this, getType(), *inferred);
}

LogicalResult AttentionGradOp::verify() {
  FailureOr<Shape> inferred =
      verifyAttentionOperands(*this, getQuery(), getKey(), getValue(), getScale());
  if (failed(inferred))
    return failure();
  for (auto [name, operand] :
       {std::make_pair("output", getOutput()), std::make_pair("output_grad", getOutputGrad())}) {
    if (failed(
            verifySameElementType(*this, name, operand.getType(), "query", getQuery().getType())))
      return failure();
    if (!shapesCompatible(operand.getType().getShape(), *inferred))
      return emitOpError() << name << " is " << formatShape(operand.getType().getShape())
                           << " but the attention's result is " << formatShape(*inferred);
  }
  for (auto [name, result, operandName, operand] :
       {std::make_tuple("query_grad", getQueryGrad(), "query", getQuery()),
        std::make_tuple("key_grad", getKeyGrad(), "key", getKey()),
        std::make_tuple("value_grad", getValueGrad(), "value", getValue())})
    if (result.getType() != operand.getType())
      return emitOpError() << name << " has type " << result.getType() << " but " << operandName
                           << " has " << operand.getType() << "; a gradient has its operand's type";
  return success();
}

/// The scale of an attention: its attribute, else 1 / sqrt(D); none when D
/// is dynamic.
template <typename OpT> static std::optional<double> attentionScale(OpT op) {
  if (std::optional<APFloat> given = op.getScale())
    return given->convertToDouble();
  int64_t headSize =
      mergeDims(op.getQuery().getType().getShape().back(), op.getKey().getType().getShape().back());
  if (ShapedType::isDynamic(headSize))
    return std::nullopt;
  return 1.0 / std::sqrt(double(headSize));
}

/// Rows of queries per chunk of a long causal attention: a chunk multiplies
/// only the keys its queries can see, so most of the masked half of the
/// scores is never computed (4 chunks of T = 1024: 62.5% of the products
/// and of the scores' traffic).
static constexpr int64_t kCausalChunkRows = 256;

/// How a causal attention (or its gradient) with these queries and keys
/// decomposes: query i sees key j iff j <= i + offset; `chunked` when it is
/// split into chunks of kCausalChunkRows queries.
struct CausalLayout {
  int64_t queries, keys, offset;
  bool chunked;
};

/// The causal layout of `op`, none when Tq or Tk is dynamic.
template <typename OpT> static std::optional<CausalLayout> causalLayout(OpT op) {
  Shape scoresShape = attentionScoresShape(op.getQuery(), op.getKey(), op.getValue());
  int64_t queries = scoresShape[scoresShape.size() - 2];
  int64_t keys = scoresShape.back();
  if (ShapedType::isDynamic(queries) || ShapedType::isDynamic(keys))
    return std::nullopt;
  // Query i sees key j iff j <= i + (Tk - Tq): the last query sees every
  // key, as when Tq new tokens follow Tk - Tq cached ones.
  int64_t offset = keys - queries;
  bool chunked = offset >= 0 && queries >= 2 * kCausalChunkRows &&
                 queries % kCausalChunkRows == 0 &&
                 llvm::all_of(op->getOperandTypes(),
                              [](Type type) { return cast<ShapedType>(type).hasStaticShape(); }) &&
                 llvm::all_of(op->getResultTypes(),
                              [](Type type) { return cast<ShapedType>(type).hasStaticShape(); });
  return CausalLayout{queries, keys, offset, chunked};
}

/// Whether query i sees key j, j <= i + visibleOffset: i1 [Tq, Tk].
static Value visibility(OpBuilder &builder, Location loc, int64_t queries, int64_t keys,
                        int64_t visibleOffset) {
  auto indexType = RankedTensorType::get({queries, keys}, builder.getI64Type());
  Value rows = IotaOp::create(builder, loc, indexType, builder.getI64IntegerAttr(0));
  Value cols = IotaOp::create(builder, loc, indexType, builder.getI64IntegerAttr(1));
  if (visibleOffset != 0)
    rows = AddOp::create(builder, loc, rows,
                         scalarConstant(builder, loc, builder.getI64Type(),
                                        builder.getI64IntegerAttr(visibleOffset)));
  return CompareOp::create(builder, loc,
                           RankedTensorType::get({queries, keys}, builder.getI1Type()),
                           ComparePredicate::le, cols, rows);
}

/// The attention weights softmax(q k^T * scale + mask), [..., Tq, Tk], where
/// with `visibleOffset` query i sees key j iff j <= i + visibleOffset.
static Value attentionWeights(OpBuilder &builder, Location loc, Value query, Value key, Value value,
                              double scale, std::optional<int64_t> visibleOffset) {
  Type elementType = cast<RankedTensorType>(query.getType()).getElementType();
  Shape scoresShape = attentionScoresShape(query, key, value);
  int64_t queries = scoresShape[scoresShape.size() - 2], keys = scoresShape.back();
  auto scoresType = RankedTensorType::get(scoresShape, elementType);
  Value scores = MatmulOp::create(builder, loc, scoresType, query, key,
                                  /*transpose_lhs=*/false,
                                  /*transpose_rhs=*/true);
  scores = MulOp::create(builder, loc, scoresType, scores,
                         scalarConstant(builder, loc, elementType, scale));

  if (visibleOffset) {
    Value visible = visibility(builder, loc, queries, keys, *visibleOffset);
    // The lowest finite value rather than -inf: a query that sees no key
    // (Tq > Tk) then averages the values instead of producing NaN.
    auto floatType = cast<FloatType>(elementType);
    Value lowest = scalarConstant(
        builder, loc, elementType,
        builder.getFloatAttr(floatType, APFloat::getLargest(
                                            floatType.getFloatSemantics(),
                                            /*Negative=*/true)));
    scores = SelectOp::create(builder, loc, scoresType, visible, scores, lowest);
  }
  return SoftmaxOp::create(builder, loc, scores);
}

/// softmax(q k^T * scale + mask) v, where with `visibleOffset` query i sees
/// key j iff j <= i + visibleOffset.
static Value attend(OpBuilder &builder, Location loc, Value query, Value key, Value value,
                    double scale, std::optional<int64_t> visibleOffset) {
  auto valueType = cast<RankedTensorType>(value.getType());
  Value weights = attentionWeights(builder, loc, query, key, value, scale, visibleOffset);
  Shape resultShape(cast<RankedTensorType>(weights.getType()).getShape().drop_back());
  resultShape.push_back(valueType.getShape().back());
  return MatmulOp::create(
      builder, loc, RankedTensorType::get(resultShape, valueType.getElementType()), weights, value);
}

/// The gradients (dq, dk, dv) of `output` = attend(query, key, value, scale,
/// visibleOffset) given its cotangent `outputGrad`, with the weights P
/// recomputed: dV = P^T dO, dS = P * (dO V^T - rowsum(dO * O)), dQ = scale dS
/// K, dK = scale dS^T Q. Each has its operand's type.
static SmallVector<Value> attendGrad(OpBuilder &builder, Location loc, Value query, Value key,
                                     Value value, Value output, Value outputGrad, double scale,
                                     std::optional<int64_t> visibleOffset) {
  Value weights = attentionWeights(builder, loc, query, key, value, scale, visibleOffset);
  auto scoresType = cast<RankedTensorType>(weights.getType());
  Type elementType = scoresType.getElementType();
  Value valueGrad = MatmulOp::create(builder, loc, value.getType(), weights, outputGrad,
                                     /*transpose_lhs=*/true, /*transpose_rhs=*/false);
  Value weightsGrad = MatmulOp::create(builder, loc, scoresType, outputGrad, value,
                                       /*transpose_lhs=*/false, /*transpose_rhs=*/true);
  // rowsum(dO * O) = rowsum(P * dP): the softmax's correction, from [Tq, Dv]
  // values rather than [Tq, Tk] ones.
  Value delta = ReduceSumOp::create(builder, loc, MulOp::create(builder, loc, outputGrad, output),
                                    ArrayRef<int64_t>{-1}, /*keepdim=*/true);
  Value scoresGrad =
      MulOp::create(builder, loc, weights, SubOp::create(builder, loc, weightsGrad, delta));
  // Where P is 0 (hidden keys) dS is 0 too, except in the rows of queries
  // that see no key (Tq > Tk): their P is uniform, but they do not depend on
  // q or k at all.
  if (visibleOffset && *visibleOffset < 0) {
    int64_t rank = scoresType.getRank();
    Value visible = visibility(builder, loc, scoresType.getDimSize(rank - 2),
                               scoresType.getDimSize(rank - 1), *visibleOffset);
    scoresGrad = SelectOp::create(builder, loc, scoresType, visible, scoresGrad,
                                  scalarConstant(builder, loc, elementType, 0.0));
  }
  scoresGrad = MulOp::create(builder, loc, scoresType, scoresGrad,
                             scalarConstant(builder, loc, elementType, scale));
  Value queryGrad = MatmulOp::create(builder, loc, query.getType(), scoresGrad, key);
  Value keyGrad = MatmulOp::create(builder, loc, key.getType(), scoresGrad, query,
                                   /*transpose_lhs=*/true, /*transpose_rhs=*/false);
  return {queryGrad, keyGrad, valueGrad};
}

/// Positions [first, first + count) (dim -2) of `tensor`, static shape.
static Value positions(OpBuilder &builder, Location loc, Value tensor, int64_t first,
                       int64_t count) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  if (first == 0 && count == type.getDimSize(rank - 2))
    return tensor;
  SmallVector<int64_t> start(rank, 0), limit(type.getShape());
  start[rank - 2] = first;
  limit[rank - 2] = first + count;
  SmallVector<int64_t> shape(type.getShape());
  shape[rank - 2] = count;
  return SliceOp::create(builder, loc, RankedTensorType::get(shape, type.getElementType()), tensor,
                         start, limit, DenseI64ArrayAttr());
}

SmallVector<Value> AttentionOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  std::optional<double> scale = attentionScale(*this);
  if (!scale)
    return {};
  if (!getCausal())
    return {attend(builder, loc, getQuery(), getKey(), getValue(), *scale, std::nullopt)};
  std::optional<CausalLayout> layout = causalLayout(*this);
  if (!layout)
    return {};
  if (!layout->chunked)
    return {attend(builder, loc, getQuery(), getKey(), getValue(), *scale, layout->offset)};
  SmallVector<Value> outputs;
  for (int64_t first = 0; first < layout->queries; first += kCausalChunkRows) {
    int64_t visibleKeys = first + kCausalChunkRows + layout->offset;
    outputs.push_back(attend(
        builder, loc, positions(builder, loc, getQuery(), first, kCausalChunkRows),
        positions(builder, loc, getKey(), 0, visibleKeys),
        positions(builder, loc, getValue(), 0, visibleKeys), *scale, first + layout->offset));
  }
  return {ConcatOp::create(builder, loc, getType(), outputs, int64_t(getType().getRank() - 2))};
}

// Reverse mode: one tg.attention_grad, which a fused kernel can compute from
// the forward's statistics (tg-autodiff keeps tg.attention only with
// keep-attention; otherwise its decomposition is differentiated).
SmallVector<Value> AttentionOp::vjp(OpBuilder &builder, ValueRange cts) {
  if (!cts[0])
    return {Value(), Value(), Value()};
  auto grad = AttentionGradOp::create(builder, getLoc(), getQuery().getType(), getKey().getType(),
                                      getValue().getType(), getQuery(), getKey(), getValue(),
                                      getResult(), cts[0], getCausalAttr(), getScaleAttr());
  return SmallVector<Value>(grad->getResults());
}

// Forward mode, with the weights P recomputed: dS = scale (dq k^T + q dk^T)
// (zero where hidden), dP = P * (dS - rowsum(P * dS)), dO = dP v + P dv.
SmallVector<Value> AttentionOp::jvp(OpBuilder &builder, ValueRange ts) {
  Value queryTangent = ts[0], keyTangent = ts[1], valueTangent = ts[2];
  std::optional<double> scale = attentionScale(*this);
  std::optional<CausalLayout> layout = causalLayout(*this);
  // Autodiff only differentiates static shapes, which give both.
  if (!scale || !layout || (!queryTangent && !keyTangent && !valueTangent))
    return {Value()};
  Location loc = getLoc();
  std::optional<int64_t> visibleOffset;
  if (getCausal())
    visibleOffset = layout->offset;
  Value weights =
      attentionWeights(builder, loc, getQuery(), getKey(), getValue(), *scale, visibleOffset);
  auto scoresType = cast<RankedTensorType>(weights.getType());
  Type elementType = scoresType.getElementType();
  Value scoresTangent;
  if (queryTangent)
    scoresTangent = MatmulOp::create(builder, loc, scoresType, queryTangent, getKey(),
                                     /*transpose_lhs=*/false, /*transpose_rhs=*/true);
  if (keyTangent) {
    Value term = MatmulOp::create(builder, loc, scoresType, getQuery(), keyTangent,
                                  /*transpose_lhs=*/false, /*transpose_rhs=*/true);
    scoresTangent = scoresTangent ? AddOp::create(builder, loc, scoresTangent, term) : term;
  }
  Value tangent;
  if (scoresTangent) {
    scoresTangent = MulOp::create(builder, loc, scoresType, scoresTangent,
                                  scalarConstant(builder, loc, elementType, *scale));
    // As in attendGrad: only queries that see no key need the mask here.
    if (visibleOffset && *visibleOffset < 0)
      scoresTangent =
          SelectOp::create(builder, loc, scoresType,
                           visibility(builder, loc, layout->queries, layout->keys, *visibleOffset),
                           scoresTangent, scalarConstant(builder, loc, elementType, 0.0));
    Value correction =
        ReduceSumOp::create(builder, loc, MulOp::create(builder, loc, weights, scoresTangent),
                            ArrayRef<int64_t>{-1}, /*keepdim=*/true);
    Value weightsTangent = MulOp::create(builder, loc, weights,
                                         SubOp::create(builder, loc, scoresTangent, correction));
    tangent = MatmulOp::create(builder, loc, getType(), weightsTangent, getValue());
  }
  if (valueTangent) {
    Value term = MatmulOp::create(builder, loc, getType(), weights, valueTangent);
    tangent = tangent ? AddOp::create(builder, loc, tangent, term) : term;
  }
  return {tangent};
}

SmallVector<Value> AttentionGradOp::decompose(OpBuilder &builder) {
  Location loc = getLoc();
  std::optional<double> scale = attentionScale(*this);
  if (!scale)
    return {};
  if (!getCausal())
    return attendGrad(builder, loc, getQuery(), getKey(), getValue(), getOutput(), getOutputGrad(),
                      *scale, std::nullopt);
  std::optional<CausalLayout> layout = causalLayout(*this);
  if (!layout)
    return {};
  if (!layout->chunked)
    return attendGrad(builder, loc, getQuery(), getKey(), getValue(), getOutput(), getOutputGrad(),
                      *scale, layout->offset);
  // The forward's chunks: chunk c's queries against the keys they can see.
  // dq is the chunks' concatenation; a chunk's dk and dv cover only its
  // visible keys, zero-padded to Tk and summed over the chunks.
  SmallVector<Value> queryGrads;
  Value keyGrad, valueGrad;
  auto accumulate = [&](Value &sum, Value part, Value like) {
    auto type = cast<RankedTensorType>(like.getType());
    int64_t rank = type.getRank();
    SmallVector<int64_t> low(rank, 0), high(rank, 0);
    high[rank - 2] =
        type.getDimSize(rank - 2) - cast<ShapedType>(part.getType()).getDimSize(rank - 2);
    if (high[rank - 2] != 0)
      part = PadOp::create(builder, loc, type, part, low, high, DenseI64ArrayAttr(),
                           builder.getFloatAttr(type.getElementType(), 0.0));
    sum = sum ? AddOp::create(builder, loc, sum, part) : part;
  };
  for (int64_t first = 0; first < layout->queries; first += kCausalChunkRows) {
    int64_t visibleKeys = first + kCausalChunkRows + layout->offset;
    SmallVector<Value> grads =
        attendGrad(builder, loc, positions(builder, loc, getQuery(), first, kCausalChunkRows),
                   positions(builder, loc, getKey(), 0, visibleKeys),
                   positions(builder, loc, getValue(), 0, visibleKeys),
                   positions(builder, loc, getOutput(), first, kCausalChunkRows),
                   positions(builder, loc, getOutputGrad(), first, kCausalChunkRows), *scale,
                   first + layout->offset);
    queryGrads.push_back(grads[0]);
    accumulate(keyGrad, grads[1], getKey());
    accumulate(valueGrad, grads[2], getValue());
  }
  int64_t axis = getQuery().getType().getRank() - 2;
  return {ConcatOp::create(builder, loc, getQuery().getType(), queryGrads, axis), keyGrad,
          valueGrad};
}

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::verify() {
  RankedTensorType inputType = getInput().getType();
  RankedTensorType weightType = getWeight().getType();
  std::string error;
  ShapeOrError inferred =
      conv2dShape(inputType.getShape(), weightType.getShape(), getStride(),
                  getPadding(), getDilation(), error);
  if (!inferred)
    return emitOpError() << error;
  // conv2dShape accepts a 0-size kernel (an empty sum); PyTorch does not.
  ArrayRef<int64_t> kernel = weightType.getShape().drop_front(2);
  if (llvm::is_contained(kernel, 0))
    return emitOpError() << "weight has an empty kernel " << formatShape(kernel)
                         << " (KH, KW must be at least 1)";
  if (failed(verifySameElementType(*this, "weight", weightType, "input",
                                   inputType)))
    return failure();
  if (Value bias = getBias()) {
    ArrayRef<int64_t> biasShape = cast<ShapedType>(bias.getType()).getShape();
    int64_t outputs = weightType.getDimSize(0);
    if (biasShape.size() != 1 || !dimsCompatible(biasShape[0], outputs))
      return emitOpError() << "bias is " << formatShape(biasShape)
                           << " but the weight has " << formatDim(outputs)
                           << " output channels; expected ["
                           << formatDim(outputs) << "]";
    if (failed(verifySameElementType(*this, "bias", bias.getType(), "input",
                                     inputType)))
      return failure();
  }
  if (failed(verifySameElementType(*this, "result", getType(), "input",
                                   inputType)))
    return failure();
  return verifyResultShape(*this, getType(), *inferred);
}

SmallVector<Value> Conv2DOp::decompose(OpBuilder &builder) {
  // Every intermediate shape below is computed from the static sizes.
  RankedTensorType resultType = getType();
  Value bias = getBias();
  if (!getInput().getType().hasStaticShape() ||
      !getWeight().getType().hasStaticShape() || !resultType.hasStaticShape() ||
      (bias && !cast<ShapedType>(bias.getType()).hasStaticShape()))
    return {};
  Location loc = getLoc();
  Type elementType = resultType.getElementType();
  ArrayRef<int64_t> input = getInput().getType().getShape();
  ArrayRef<int64_t> weight = getWeight().getType().getShape();
  int64_t batch = input[0], channels = input[1];
  int64_t outChannels = weight[0], kernelH = weight[2], kernelW = weight[3];
  int64_t outH = resultType.getDimSize(2), outW = resultType.getDimSize(3);
  ArrayRef<int64_t> stride = getStride(), padding = getPadding(),
                    dilation = getDilation();
  auto tensorOf = [&](ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, elementType);
  };

  Value padded = getInput();
  if (padding[0] != 0 || padding[1] != 0) {
    SmallVector<int64_t> low = {0, 0, padding[0], padding[1]};
    padded = PadOp::create(
        builder, loc,
        tensorOf({batch, channels, input[2] + 2 * padding[0],
                  input[3] + 2 * padding[1]}),
        getInput(), low, /*high=*/low, /*interior=*/DenseI64ArrayAttr(),
        builder.getFloatAttr(elementType, 0.0));
  }

  // im2col: tap (kh, kw) is the strided window of the padded input that
  // kernel element (kh, kw) multiplies, one [N, C, OH, OW] slice per tap.
  int64_t positions = outH * outW;
  DenseI64ArrayAttr step;
  if (stride[0] != 1 || stride[1] != 1)
    step = builder.getDenseI64ArrayAttr({1, 1, stride[0], stride[1]});
  SmallVector<Value> taps;
  for (int64_t kh = 0; kh < kernelH; ++kh) {
    for (int64_t kw = 0; kw < kernelW; ++kw) {
      int64_t top = kh * dilation[0], left = kw * dilation[1];
      SmallVector<int64_t> start = {0, 0, top, left};
      SmallVector<int64_t> limit = {batch, channels,
                                    top + (outH - 1) * stride[0] + 1,
                                    left + (outW - 1) * stride[1] + 1};
      Value tap = SliceOp::create(builder, loc,
                                  tensorOf({batch, channels, outH, outW}),
                                  padded, start, limit, step);
      taps.push_back(ReshapeOp::create(
          builder, loc, tensorOf({batch, channels, 1, positions}), tap));
    }
  }
  // Stacking the taps on axis 2 orders the patch as (c, kh, kw), the
  // row-major order of the weight's [C, KH, KW].
  int64_t patchSize = channels * kernelH * kernelW;
  Value stacked =
      taps.size() == 1
          ? taps.front()
          : ConcatOp::create(
                builder, loc,
                tensorOf({batch, channels, kernelH * kernelW, positions}), taps,
                builder.getI64IntegerAttr(2));
  Value columns = ReshapeOp::create(
      builder, loc, tensorOf({batch, patchSize, positions}), stacked);
  Value kernel = ReshapeOp::create(builder, loc,
                                   tensorOf({outChannels, patchSize}), getWeight());
  // [O, C*KH*KW] x [N, C*KH*KW, OH*OW]: the weight broadcasts over the batch.
  Value product = MatmulOp::create(
      builder, loc, tensorOf({batch, outChannels, positions}), kernel, columns);
  Value output = ReshapeOp::create(builder, loc, resultType, product);
  if (!bias)
    return {output};
  Value channelBias = ReshapeOp::create(
      builder, loc, tensorOf({outChannels, 1, 1}), bias);
  return {AddOp::create(builder, loc, resultType, output, channelBias)};
}
