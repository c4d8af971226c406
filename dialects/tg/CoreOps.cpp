//===- CoreOps.cpp - builders, verifiers and folders of core tg ops -------===//
//
// Shape rules live in ShapeInference.cpp; the verifiers here apply them to op
// types and word the failures in terms of the op's operands. ODS has already
// checked the operand and result type constraints when verify() runs.
//
//===----------------------------------------------------------------------===//

#include "tg/TGOps.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::tg;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

static Type elementTypeOf(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

/// Checks that a layout op (broadcast_to, transpose, ...) keeps the element
/// type of its input.
static LogicalResult verifySameElementType(Operation *op, Value input,
                                           Value result) {
  Type inputElement = elementTypeOf(input), resultElement = elementTypeOf(result);
  if (inputElement == resultElement)
    return success();
  return op->emitOpError() << "result element type " << resultElement
                           << " differs from the input's " << inputElement;
}

/// Checks the number in tg.fill and tg.pad: a scalar of the element type, so
/// that it can be splatted into a tensor of that type.
static LogicalResult verifyElementValue(Operation *op, TypedAttr value,
                                        Type elementType) {
  if (!isa<IntegerAttr, FloatAttr>(value))
    return op->emitOpError()
           << "value must be an integer or floating-point number, got " << value;
  if (value.getType() != elementType)
    return op->emitOpError() << "value type " << value.getType()
                             << " differs from the element type " << elementType;
  return success();
}

/// The number of elements of a static shape; none when a dimension is
/// dynamic or the count does not fit in int64_t.
static std::optional<int64_t> staticElementCount(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t dim : shape)
    if (ShapedType::isDynamic(dim) || llvm::MulOverflow(count, dim, count))
      return std::nullopt;
  return count;
}

/// The shape of `types` broadcast together. When they do not broadcast (or
/// are not ranked tensors), an all-dynamic shape of the largest rank, so that
/// the builder still makes an op and the verifier says what is wrong.
static Shape broadcastOrDynamic(ArrayRef<Type> types) {
  Shape shape;
  size_t rank = 0;
  bool ok = true;
  for (Type type : types) {
    auto ranked = dyn_cast<RankedTensorType>(type);
    if (!ranked) {
      ok = false;
      continue;
    }
    rank = std::max<size_t>(rank, ranked.getRank());
    std::string error;
    if (ok) {
      ShapeOrError next = broadcastShapes(shape, ranked.getShape(), error);
      ok = next.has_value();
      if (ok)
        shape = *next;
    }
  }
  return ok ? shape : Shape(rank, ShapedType::kDynamic);
}

//===----------------------------------------------------------------------===//
// Scalar literals of tg.fill and tg.pad
//===----------------------------------------------------------------------===//
//
// `tg.fill 0.0 : tensor<4xf32>` names the element type only after the number,
// so the number is read first and typed once the tensor type is known. Floats
// print as the shortest decimal that reads back to the same value, and as
// `inf`, `-inf` or `nan`; integers print in signed decimal, i1 as true/false.

namespace {
/// A number as written, before its element type is known.
struct ElementLiteral {
  enum class Kind { Integer, Float, Bool };
  Kind kind = Kind::Float;
  SMLoc loc;
  bool negative = false;
  APInt magnitude;
  double real = 0.0;
  bool boolean = false;
};
} // namespace

static ParseResult parseElementLiteral(OpAsmParser &parser,
                                       ElementLiteral &literal) {
  literal.loc = parser.getCurrentLocation();
  literal.negative = succeeded(parser.parseOptionalMinus());
  StringRef keyword;
  if (succeeded(parser.parseOptionalKeyword(&keyword,
                                            {"true", "false", "inf", "nan"}))) {
    if (keyword == "inf" || keyword == "nan") {
      literal.real = keyword == "inf" ? INFINITY : NAN;
      return success();
    }
    if (literal.negative)
      return parser.emitError(literal.loc, "expected a number after '-'");
    literal.kind = ElementLiteral::Kind::Bool;
    literal.boolean = keyword == "true";
    return success();
  }
  OptionalParseResult integer = parser.parseOptionalInteger(literal.magnitude);
  if (integer.has_value()) {
    literal.kind = ElementLiteral::Kind::Integer;
    return *integer;
  }
  return parser.parseFloat(literal.real);
}

/// The literal as an attribute of `elementType`, or null after reporting why
/// it does not fit.
static TypedAttr typeElementLiteral(OpAsmParser &parser,
                                    const ElementLiteral &literal,
                                    Type elementType) {
  using Kind = ElementLiteral::Kind;
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    if (literal.kind != Kind::Float) {
      parser.emitError(literal.loc, "expected a floating-point literal such as "
                                    "1.0 for element type ")
          << elementType;
      return {};
    }
    APFloat value(literal.negative ? -literal.real : literal.real);
    bool losesInfo;
    APFloat::opStatus status = value.convert(
        floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
    if (status & APFloat::opOverflow) {
      parser.emitError(literal.loc, "floating-point literal does not fit in ")
          << elementType;
      return {};
    }
    return FloatAttr::get(floatType, value);
  }
  auto intType = dyn_cast<IntegerType>(elementType);
  if (!intType) {
    parser.emitError(literal.loc, "expected a tensor of integers or floats, got "
                                  "element type ")
        << elementType;
    return {};
  }
  unsigned width = intType.getWidth();
  if (literal.kind == Kind::Bool) {
    if (width != 1) {
      parser.emitError(literal.loc, "true and false need element type i1, got ")
          << elementType;
      return {};
    }
    return IntegerAttr::get(intType, APInt(1, literal.boolean));
  }
  if (literal.kind != Kind::Integer) {
    parser.emitError(literal.loc, "expected an integer literal for element type ")
        << elementType;
    return {};
  }
  // Signless integers take values in [-2^(w-1), 2^w), as in MLIR's own parser.
  unsigned wide = std::max(width, literal.magnitude.getBitWidth()) + 2;
  APInt value = literal.magnitude.zext(wide);
  if (literal.negative)
    value.negate();
  if (!value.isSignedIntN(width) && (literal.negative || !value.isIntN(width))) {
    parser.emitError(literal.loc, "integer literal does not fit in ")
        << elementType;
    return {};
  }
  return IntegerAttr::get(intType, value.trunc(width));
}

static void printElementLiteral(OpAsmPrinter &printer, TypedAttr value,
                                Type elementType) {
  if (value.getType() == elementType) {
    if (auto number = dyn_cast<FloatAttr>(value)) {
      APFloat real = number.getValue();
      if (real.isNaN())
        printer << "nan";
      else if (real.isInfinity())
        printer << (real.isNegative() ? "-inf" : "inf");
      else
        printer << formatShortestFloat(real);
      return;
    }
    if (auto number = dyn_cast<IntegerAttr>(value)) {
      if (elementType.isInteger(1))
        printer << (number.getValue().isZero() ? "false" : "true");
      else
        printer << number.getValue(); // signed decimal
      return;
    }
  }
  // Not a number of the element type (the verifier rejects it): print it with
  // its type so that nothing is hidden.
  printer.printAttribute(value);
}

//===----------------------------------------------------------------------===//
// ConstantOp, FillOp, IotaOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

ParseResult FillOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementLiteral literal;
  RankedTensorType type;
  if (parseElementLiteral(parser, literal) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseColon() ||
      parser.parseType(type))
    return failure();
  TypedAttr value = typeElementLiteral(parser, literal, type.getElementType());
  if (!value)
    return failure();
  result.getOrAddProperties<Properties>().value = value;
  result.addTypes(type);
  return success();
}

void FillOp::print(OpAsmPrinter &printer) {
  printer << ' ';
  printElementLiteral(printer, getValue(), getType().getElementType());
  printer.printOptionalAttrDict((*this)->getAttrs(), {getValueAttrName()});
  printer << " : " << getType();
}

LogicalResult FillOp::verify() {
  return verifyElementValue(*this, getValue(), getType().getElementType());
}

OpFoldResult FillOp::fold(FoldAdaptor) {
  RankedTensorType type = getType();
  // A dense attribute needs a static shape; a malformed value is left to the
  // verifier.
  if (!type.hasStaticShape() || !isa<IntegerAttr, FloatAttr>(getValue()) ||
      getValue().getType() != type.getElementType())
    return {};
  return DenseElementsAttr::get(type, ArrayRef<Attribute>(getValue()));
}

LogicalResult IotaOp::verify() {
  // I64Attr getters return uint64_t; read the attribute as signed.
  int64_t dim = getDimAttr().getInt(), rank = getType().getRank();
  if (dim < 0 || dim >= rank)
    return emitOpError() << "dimension " << dim
                         << " is out of range for a result of rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

/// The element of a splat constant operand, or null.
static Attribute getSplatElement(Attribute constant) {
  auto elements = dyn_cast_if_present<DenseElementsAttr>(constant);
  if (!elements || !elements.isSplat())
    return {};
  return elements.getSplatValue<Attribute>();
}

/// Whether `lhs <op> rhs` is `lhs` itself once `rhs` is known to be the
/// identity element: the result has lhs's type, and the constant, broadcast
/// against lhs, never enlarges it (a dynamic lhs dimension could be 1 at run
/// time, so it only meets constant dimensions of size 1).
static bool isIdentityOnLhs(Value lhs, Value rhs, Type resultType) {
  auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
  if (!lhsType || !rhsType || lhsType != resultType)
    return false;
  ArrayRef<int64_t> lhsShape = lhsType.getShape(), rhsShape = rhsType.getShape();
  if (rhsShape.size() > lhsShape.size())
    return false;
  ArrayRef<int64_t> aligned = lhsShape.take_back(rhsShape.size());
  return llvm::all_of(llvm::zip(rhsShape, aligned), [](auto dims) {
    auto [r, l] = dims;
    return r == 1 || (r == l && !ShapedType::isDynamic(l));
  });
}

/// What a splat constant element satisfies, for the identity folds below.
/// Folds `lhs op rhs` to `lhs` when `rhs` is a splat that is the op's right
/// identity (per `isIntegerIdentity` / `isFloatIdentity`) and broadcasting
/// leaves lhs's type unchanged.
template <typename OpT>
static OpFoldResult foldRightIdentity(OpT op, Attribute rhsConstant,
                                      function_ref<bool(const APInt &)> isIntegerIdentity,
                                      function_ref<bool(const APFloat &)> isFloatIdentity) {
  Attribute rhs = getSplatElement(rhsConstant);
  auto integer = dyn_cast_if_present<IntegerAttr>(rhs);
  auto real = dyn_cast_if_present<FloatAttr>(rhs);
  bool identity = (integer && isIntegerIdentity(integer.getValue())) ||
                  (real && isFloatIdentity(real.getValue()));
  if (identity && isIdentityOnLhs(op.getLhs(), op.getRhs(), op.getType()))
    return op.getLhs();
  return {};
}

// x + 0 -> x. For floats only -0.0 is the identity: -0.0 + 0.0 is +0.0.
OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(
      *this, adaptor.getRhs(), [](const APInt &v) { return v.isZero(); },
      [](const APFloat &v) { return v.isNegZero(); });
}

// x - 0 -> x; for floats x - (+0.0) is exactly x, -0.0 included.
OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(
      *this, adaptor.getRhs(), [](const APInt &v) { return v.isZero(); },
      [](const APFloat &v) { return v.isPosZero(); });
}

// x * 1 -> x.
OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(
      *this, adaptor.getRhs(), [](const APInt &v) { return v.isOne(); },
      [](const APFloat &v) { return v.isExactlyValue(1.0); });
}

// x / 1 -> x. An i1 "1" is -1 when read as signed, so i1 is left alone.
OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(
      *this, adaptor.getRhs(),
      [](const APInt &v) { return v.getBitWidth() > 1 && v.isOne(); },
      [](const APFloat &v) { return v.isExactlyValue(1.0); });
}

//===----------------------------------------------------------------------===//
// CompareOp, SelectOp, CastOp
//===----------------------------------------------------------------------===//

void CompareOp::build(OpBuilder &builder, OperationState &state,
                      ComparePredicate predicate, Value lhs, Value rhs) {
  Shape shape = broadcastOrDynamic({lhs.getType(), rhs.getType()});
  build(builder, state, RankedTensorType::get(shape, builder.getI1Type()),
        predicate, lhs, rhs);
}

LogicalResult CompareOp::verify() {
  Type lhsElement = elementTypeOf(getLhs()), rhsElement = elementTypeOf(getRhs());
  if (lhsElement != rhsElement)
    return emitOpError() << "compares lhs of element type " << lhsElement
                         << " with rhs of element type " << rhsElement;
  std::string error;
  ShapeOrError shape = broadcastShapes(shapeOf(getLhs()), shapeOf(getRhs()), error);
  if (!shape)
    return emitOpError() << "operands are not broadcast-compatible: " << error;
  return verifyResultShape(*this, getType(), *shape);
}

void SelectOp::build(OpBuilder &builder, OperationState &state, Value condition,
                     Value trueValue, Value falseValue) {
  Shape shape = broadcastOrDynamic(
      {condition.getType(), trueValue.getType(), falseValue.getType()});
  Type element = getElementTypeOrSelf(trueValue);
  build(builder, state, RankedTensorType::get(shape, element), condition,
        trueValue, falseValue);
}

LogicalResult SelectOp::verify() {
  Type trueElement = elementTypeOf(getTrueValue());
  Type falseElement = elementTypeOf(getFalseValue());
  if (trueElement != falseElement)
    return emitOpError() << "true_value has element type " << trueElement
                         << " but false_value has " << falseElement;
  Type resultElement = getType().getElementType();
  if (resultElement != trueElement)
    return emitOpError() << "result element type " << resultElement
                         << " differs from the values' " << trueElement;
  Shape shape;
  for (Value operand : getOperands()) {
    std::string error;
    ShapeOrError next = broadcastShapes(shape, shapeOf(operand), error);
    if (!next)
      return emitOpError()
             << "condition and values are not broadcast-compatible: " << error;
    shape = *next;
  }
  return verifyResultShape(*this, getType(), shape);
}

LogicalResult CastOp::verify() {
  ArrayRef<int64_t> inputShape = shapeOf(getInput());
  ArrayRef<int64_t> resultShape = getType().getShape();
  if (!shapesCompatible(inputShape, resultShape))
    return emitOpError() << "input shape " << formatShape(inputShape)
                         << " differs from result shape "
                         << formatShape(resultShape);
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A float widened and narrowed back is itself (bf16 -> f32 -> bf16, as
  // autocast leaves around ops that keep their operands' type).
  if (auto widening = getInput().getDefiningOp<CastOp>()) {
    Value original = widening.getInput();
    auto from = dyn_cast<FloatType>(getElementTypeOrSelf(original.getType()));
    auto through = dyn_cast<FloatType>(getElementTypeOrSelf(widening.getType()));
    if (original.getType() == getType() && from && through &&
        APFloat::isRepresentableBy(from.getFloatSemantics(), through.getFloatSemantics()))
      return original;
  }
  return {};
}

namespace {
/// cast(layout(y)) -> layout(cast(y)) for a cast that narrows a float: the
/// layout op moves fewer bytes, and the cast meets the cast that made y,
/// which folds away when it widened exactly (autocast's bf16 -> f32 -> bf16
/// round trips around a transformer's head split: each was a kernel).
template <typename LayoutOp> struct NarrowBeforeLayout : OpRewritePattern<CastOp> {
  using OpRewritePattern<CastOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(CastOp narrowing, PatternRewriter &rewriter) const override {
    auto layout = narrowing.getInput().getDefiningOp<LayoutOp>();
    auto from = dyn_cast<FloatType>(getElementTypeOrSelf(narrowing.getInput().getType()));
    auto to = dyn_cast<FloatType>(getElementTypeOrSelf(narrowing.getType()));
    if (!layout || !layout->hasOneUse() || !from || !to || to.getWidth() >= from.getWidth())
      return failure();
    Value input = layout.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Value narrowed = CastOp::create(rewriter, narrowing.getLoc(), inputType.clone(to), input);
    IRMapping mapping;
    mapping.map(input, narrowed);
    Operation *moved = rewriter.clone(*layout, mapping);
    moved->getResult(0).setType(narrowing.getType());
    rewriter.replaceOp(narrowing, moved->getResults());
    return success();
  }
};
} // namespace

void CastOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<NarrowBeforeLayout<ReshapeOp>, NarrowBeforeLayout<TransposeOp>>(context);
}

//===----------------------------------------------------------------------===//
// Shapes and layout
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  std::string error;
  if (!isBroadcastableTo(shapeOf(getInput()), getType().getShape(), error))
    return emitOpError() << error;
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

void MatmulOp::build(OpBuilder &builder, OperationState &state, Value lhs,
                     Value rhs, bool transposeLhs, bool transposeRhs) {
  auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
  auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
  Shape shape;
  if (lhsType && rhsType) {
    std::string error;
    if (ShapeOrError inferred = matmulShape(lhsType.getShape(), rhsType.getShape(),
                                            transposeLhs, transposeRhs, error))
      shape = *inferred;
    else
      shape.assign(std::max<int64_t>({lhsType.getRank(), rhsType.getRank(), 2}),
                   ShapedType::kDynamic);
  }
  Type element = getElementTypeOrSelf(lhs);
  build(builder, state, RankedTensorType::get(shape, element), lhs, rhs,
        transposeLhs, transposeRhs);
}

LogicalResult MatmulOp::verify() {
  Type lhsElement = elementTypeOf(getLhs()), rhsElement = elementTypeOf(getRhs());
  if (lhsElement != rhsElement)
    return emitOpError() << "lhs has element type " << lhsElement
                         << " but rhs has " << rhsElement;
  Type resultElement = getType().getElementType();
  if (resultElement != lhsElement)
    return emitOpError() << "result element type " << resultElement
                         << " differs from the operands' " << lhsElement;
  std::string error;
  ShapeOrError shape = matmulShape(shapeOf(getLhs()), shapeOf(getRhs()),
                                   getTransposeLhs(), getTransposeRhs(), error);
  if (!shape)
    return emitOpError() << error;
  return verifyResultShape(*this, getType(), *shape);
}

void TransposeOp::build(OpBuilder &builder, OperationState &state, Value input,
                        ArrayRef<int64_t> permutation) {
  Shape shape(permutation.size(), ShapedType::kDynamic);
  if (auto inputType = dyn_cast<RankedTensorType>(input.getType())) {
    std::string error;
    if (ShapeOrError inferred =
            transposeShape(inputType.getShape(), permutation, error))
      shape = *inferred;
  }
  Type element = getElementTypeOrSelf(input);
  build(builder, state, RankedTensorType::get(shape, element), input,
        permutation);
}

LogicalResult TransposeOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  std::string error;
  ShapeOrError shape = transposeShape(shapeOf(getInput()), getPermutation(), error);
  if (!shape)
    return emitOpError() << error;
  return verifyResultShape(*this, getType(), *shape);
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  bool identity = llvm::all_of(llvm::enumerate(getPermutation()), [](auto entry) {
    return entry.value() == int64_t(entry.index());
  });
  if (identity && getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult ReshapeOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  ArrayRef<int64_t> inputShape = shapeOf(getInput());
  ArrayRef<int64_t> resultShape = getType().getShape();
  std::optional<int64_t> inputCount = staticElementCount(inputShape);
  std::optional<int64_t> resultCount = staticElementCount(resultShape);
  if (inputCount && resultCount && *inputCount != *resultCount)
    return emitOpError() << "reshape changes the element count: input "
                         << formatShape(inputShape) << " has " << *inputCount
                         << ", result " << formatShape(resultShape) << " has "
                         << *resultCount;
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

SmallVector<int64_t> SliceOp::getStrides() {
  if (std::optional<ArrayRef<int64_t>> step = getStep())
    return SmallVector<int64_t>(*step);
  return SmallVector<int64_t>(getStart().size(), 1);
}

LogicalResult SliceOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  ArrayRef<int64_t> inputShape = shapeOf(getInput());
  // An explicit `step []` on a ranked input would read as "all ones" to the
  // shape rule, but getStrides() returns it as written.
  if (getStep() && getStep()->size() != inputShape.size())
    return emitOpError() << "start, limit and step need one entry per "
                            "dimension ("
                         << inputShape.size() << ")";
  std::string error;
  ShapeOrError shape =
      sliceShape(inputShape, getStart(), getLimit(), getStrides(), error);
  if (!shape)
    return emitOpError() << error;
  return verifyResultShape(*this, getType(), *shape);
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  if (getInput().getType() != getType() || !getType().hasStaticShape())
    return {};
  ArrayRef<int64_t> shape = getType().getShape();
  SmallVector<int64_t> strides = getStrides();
  if (getStart().size() != shape.size() || getLimit().size() != shape.size() ||
      strides.size() != shape.size())
    return {};
  for (size_t d = 0; d < shape.size(); ++d)
    if (getStart()[d] != 0 || getLimit()[d] != shape[d] || strides[d] != 1)
      return {};
  return getInput();
}

ParseResult PadOp::parse(OpAsmParser &parser, OperationState &result) {
  OpAsmParser::UnresolvedOperand input;
  DenseI64ArrayAttr low, high, interior;
  ElementLiteral literal;
  RankedTensorType inputType, resultType;
  if (parser.parseOperand(input) || parser.parseKeyword("low") ||
      parser.parseCustomAttributeWithFallback(low, Type{}) ||
      parser.parseKeyword("high") ||
      parser.parseCustomAttributeWithFallback(high, Type{}))
    return failure();
  if (succeeded(parser.parseOptionalKeyword("interior")) &&
      parser.parseCustomAttributeWithFallback(interior, Type{}))
    return failure();
  if (parser.parseKeyword("value") || parseElementLiteral(parser, literal) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseColon() ||
      parser.parseType(inputType) || parser.parseArrow() ||
      parser.parseType(resultType))
    return failure();
  TypedAttr value =
      typeElementLiteral(parser, literal, inputType.getElementType());
  if (!value)
    return failure();
  Properties &properties = result.getOrAddProperties<Properties>();
  properties.low = low;
  properties.high = high;
  properties.interior = interior;
  properties.value = value;
  result.addTypes(resultType);
  return parser.resolveOperand(input, inputType, result.operands);
}

void PadOp::print(OpAsmPrinter &printer) {
  printer << ' ' << getInput() << " low ";
  printer.printStrippedAttrOrType(getLowAttr());
  printer << " high ";
  printer.printStrippedAttrOrType(getHighAttr());
  if (DenseI64ArrayAttr interior = getInteriorAttr()) {
    printer << " interior ";
    printer.printStrippedAttrOrType(interior);
  }
  printer << " value ";
  printElementLiteral(printer, getValue(), elementTypeOf(getInput()));
  printer.printOptionalAttrDict(
      (*this)->getAttrs(),
      {getLowAttrName(), getHighAttrName(), getInteriorAttrName(),
       getValueAttrName()});
  printer << " : " << getInput().getType() << " -> " << getType();
}

SmallVector<int64_t> PadOp::getInteriorOrZeros() {
  if (std::optional<ArrayRef<int64_t>> interior = getInterior())
    return SmallVector<int64_t>(*interior);
  return SmallVector<int64_t>(getLow().size(), 0);
}

LogicalResult PadOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())) ||
      failed(verifyElementValue(*this, getValue(), getType().getElementType())))
    return failure();
  std::string error;
  ShapeOrError shape = padShape(shapeOf(getInput()), getLow(), getHigh(),
                                getInterior().value_or(ArrayRef<int64_t>()), error);
  if (!shape)
    return emitOpError() << error;
  return verifyResultShape(*this, getType(), *shape);
}

LogicalResult ConcatOp::verify() {
  SmallVector<Shape> shapes;
  for (Value input : getInputs())
    shapes.emplace_back(shapeOf(input));
  std::string error;
  ShapeOrError shape = concatShape(shapes, getAxisAttr().getInt(), error);
  if (!shape)
    return emitOpError() << error;
  // concatShape succeeded, so there is at least one input.
  Type element = elementTypeOf(getInputs().front());
  for (auto [index, input] : llvm::enumerate(getInputs()))
    if (elementTypeOf(input) != element)
      return emitOpError() << "input #" << index << " has element type "
                           << elementTypeOf(input) << " but input #0 has "
                           << element;
  if (getType().getElementType() != element)
    return emitOpError() << "result element type " << getType().getElementType()
                         << " differs from the inputs' " << element;
  return verifyResultShape(*this, getType(), *shape);
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  return {};
}

LogicalResult GatherOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  std::string error;
  ShapeOrError shape =
      gatherShape(shapeOf(getInput()), shapeOf(getIndices()),
                  getAxisAttr().getInt(), error);
  if (!shape)
    return emitOpError() << error;
  return verifyResultShape(*this, getType(), *shape);
}

LogicalResult ScatterAddOp::verify() {
  if (elementTypeOf(getUpdates()) != elementTypeOf(getInput()))
    return emitOpError() << "updates have element type " << elementTypeOf(getUpdates())
                         << " but the input has " << elementTypeOf(getInput());
  std::string error;
  ShapeOrError shape =
      gatherShape(shapeOf(getInput()), shapeOf(getIndices()),
                  getAxisAttr().getInt(), error);
  if (!shape)
    return emitOpError() << error;
  if (!shapesCompatible(shapeOf(getUpdates()), *shape))
    return emitOpError() << "updates are " << formatShape(shapeOf(getUpdates()))
                         << " but gathering the input at these indices gives "
                         << formatShape(*shape);
  return success();
}

LogicalResult OneHotOp::verify() {
  int64_t numClasses = getNumClassesAttr().getInt();
  if (numClasses <= 0)
    return emitOpError() << "num_classes must be positive, got " << numClasses;
  Shape shape(shapeOf(getIndices()));
  shape.push_back(numClasses);
  return verifyResultShape(*this, getType(), shape);
}

LogicalResult TakeAlongOp::verify() {
  if (failed(verifySameElementType(*this, getInput(), getResult())))
    return failure();
  Shape input(shapeOf(getInput()));
  if (input.empty())
    return emitOpError() << "input must have a last dimension to take along, got a scalar";
  input.pop_back();
  if (!shapesCompatible(shapeOf(getIndices()), input))
    return emitOpError() << "indices are " << formatShape(shapeOf(getIndices()))
                         << " but the input's leading dimensions are " << formatShape(input);
  return verifyResultShape(*this, getType(), input);
}

//===----------------------------------------------------------------------===//
// Normalized exponentials
//===----------------------------------------------------------------------===//

static LogicalResult verifySoftmaxAxis(Operation *op, int64_t axis,
                                       RankedTensorType type) {
  std::string error;
  if (!normalizeAxis(axis, type.getRank(), error))
    return op->emitOpError() << error;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifySoftmaxAxis(*this, getAxisAttr().getInt(), getType());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifySoftmaxAxis(*this, getAxisAttr().getInt(), getType());
}
