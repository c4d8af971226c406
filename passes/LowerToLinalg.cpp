//===- LowerToLinalg.cpp - core tg ops to linalg, tensor, arith and math --===//
//
// The first stage of code generation. Every core tg op becomes upstream
// tensor-level IR with exactly the meaning the reference interpreter
// (lib/Interpreter) gives it, one conversion pattern per op family:
//
//   constants     tg.constant, tg.fill -> arith.constant; tg.iota and
//                 tg.random -> linalg.generic (Philox 4x32-10 in arith ops)
//   elementwise   linalg.generic whose indexing maps broadcast (NumPy rules)
//   broadcast_to  tensor.collapse_shape of expanded unit dims + linalg.broadcast
//   reductions    linalg.reduce (+ a division for mean, an expand for keepdim)
//   matmul        linalg.matmul / linalg.batch_matmul with transposing maps,
//                 linalg.generic when batch dimensions broadcast
//   layout        linalg.transpose, tensor.collapse/expand_shape,
//                 tensor.extract_slice, tensor.pad (or linalg.fill +
//                 strided tensor.insert_slice for interior padding),
//                 tensor.concat
//   indexing      gather, take_along and one_hot -> linalg.generic (+ tensor.extract);
//                 scatter_add -> an scf.for nest of extract/add/insert
//   softmax       max-reduce, sum of exp(x - max), then normalize
//   identities    tg.stop_gradient, tg.straight_through -> their value
//
// Shapes must be static. Composite ops must have been decomposed
// (--tg-decompose), derivatives and train steps expanded; any other tg op
// left is reported by name. Globals whose initial value is a tg initializer
// attribute get dense storage: the splat for #tg.zeros, #tg.ones and
// #tg.constant, zeros otherwise (with the initializer kept as the
// `tg.initializer` attribute): @tgc_init (--tg-build-init) draws the values.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/TypeSwitch.h"

#include <array>
#include <cmath>
#include <limits>

namespace mlir::tg {
#define GEN_PASS_DEF_TGLOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorTypeOf(Value value) { return cast<RankedTensorType>(value.getType()); }

bool isBool(Type type) { return type.isInteger(1); }

/// `axis` counted from the front (tg axes may be negative).
int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// `value` as a number attribute of element type `type`: integer attributes
/// keep their bits, floats round to nearest and truncate toward zero for
/// integer types.
TypedAttr numberAttr(Type type, Attribute value) {
  if (auto floatType = dyn_cast<FloatType>(type)) {
    double number = 0;
    if (auto f = dyn_cast<FloatAttr>(value))
      number = f.getValueAsDouble();
    else if (auto i = dyn_cast<IntegerAttr>(value))
      number = isBool(i.getType()) ? double(i.getValue().getZExtValue())
                                   : double(i.getValue().getSExtValue());
    return FloatAttr::get(floatType, number);
  }
  int64_t number = 0;
  if (auto i = dyn_cast<IntegerAttr>(value))
    number =
        isBool(i.getType()) ? int64_t(i.getValue().getZExtValue()) : i.getValue().getSExtValue();
  else if (auto f = dyn_cast<FloatAttr>(value))
    number = int64_t(f.getValueAsDouble());
  unsigned width = type.getIntOrFloatBitWidth();
  if (width == 1)
    number = number != 0;
  return IntegerAttr::get(type, APInt(width, uint64_t(number), /*isSigned=*/true,
                                      /*implicitTrunc=*/true));
}

/// A scalar constant of element type `type`.
Value constant(OpBuilder &b, Location loc, Type type, double value) {
  if (auto floatType = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, FloatAttr::get(floatType, value));
  return arith::ConstantOp::create(b, loc, numberAttr(type, b.getI64IntegerAttr(int64_t(value))));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

SmallVector<OpFoldResult> indexAttrs(OpBuilder &b, ArrayRef<int64_t> values) {
  return llvm::map_to_vector(values, [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); });
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

/// A tensor of `type` with every element equal to `value`.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type, Value value) {
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{emptyTensor(b, loc, type)})
      .getResult(0);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// The map that reads an operand of `shape` at a point of a `resultShape`
/// iteration space with NumPy broadcasting: leading result dimensions are
/// dropped and size-1 dimensions that broadcast read index 0.
AffineMap broadcastMap(ArrayRef<int64_t> shape, ArrayRef<int64_t> resultShape,
                       MLIRContext *context) {
  int64_t skip = resultShape.size() - shape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [d, size] : llvm::enumerate(shape))
    exprs.push_back(size == 1 && resultShape[skip + d] != 1 ? getAffineConstantExpr(0, context)
                                                            : getAffineDimExpr(skip + d, context));
  return AffineMap::get(resultShape.size(), 0, exprs, context);
}

/// The identity map of a `rank`-D iteration space without dimension `axis`.
AffineMap dropDimMap(int64_t rank, int64_t axis, MLIRContext *context) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      exprs.push_back(getAffineDimExpr(d, context));
  return AffineMap::get(rank, 0, exprs, context);
}

using ScalarBuilder = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// result[i...] = body(inputs broadcast to i...): one parallel linalg.generic.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
                       ScalarBuilder body) {
  MLIRContext *context = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(broadcastMap(tensorTypeOf(input).getShape(), resultType.getShape(), context));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{emptyTensor(b, loc, resultType)}, maps,
      parallelIterators(resultType.getRank()),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value value = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, value);
      });
  return generic.getResult(0);
}

/// Groups dimensions for a collapse (or expand) that only removes (or adds)
/// the dimensions marked `isUnit`: each one joins its neighbouring kept
/// dimension; with no kept dimension at all the grouping is empty (rank 0).
SmallVector<ReassociationIndices> unitDimGroups(ArrayRef<bool> isUnit) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [d, unit] : llvm::enumerate(isUnit)) {
    pending.push_back(d);
    if (!unit) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!pending.empty() && !groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

/// Linear row-major index of the current linalg.generic point (i64).
Value linearIndex(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  Value linear;
  int64_t stride = 1;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    Value term = linalg::IndexOp::create(b, loc, d);
    if (stride != 1)
      term = arith::MulIOp::create(b, loc, term, indexConstant(b, loc, stride));
    linear = linear ? Value(arith::AddIOp::create(b, loc, linear, term)) : term;
    stride *= shape[d];
  }
  if (!linear)
    linear = indexConstant(b, loc, 0);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), linear);
}

/// An integer index value as `index`, clamped to [0, size) like the
/// interpreter does (out-of-range indices are undefined in tg).
Value clampedIndex(OpBuilder &b, Location loc, Value raw, int64_t size) {
  Value index = isBool(raw.getType())
                    ? Value(arith::IndexCastUIOp::create(b, loc, b.getIndexType(), raw))
                    : Value(arith::IndexCastOp::create(b, loc, b.getIndexType(), raw));
  index = arith::MaxSIOp::create(b, loc, index, indexConstant(b, loc, 0));
  return arith::MinSIOp::create(b, loc, index, indexConstant(b, loc, size - 1));
}

/// An integer as i64: sign-extended (i1 zero-extended), or truncated.
Value toI64(OpBuilder &b, Location loc, Value value) {
  unsigned width = value.getType().getIntOrFloatBitWidth();
  if (width == 64)
    return value;
  if (width == 1)
    return arith::ExtUIOp::create(b, loc, b.getI64Type(), value);
  if (width < 64)
    return arith::ExtSIOp::create(b, loc, b.getI64Type(), value);
  return arith::TruncIOp::create(b, loc, b.getI64Type(), value);
}

/// A rank-0 integer tensor's value as i64.
Value scalarAsI64(OpBuilder &b, Location loc, Value tensor) {
  return toI64(b, loc, tensor::ExtractOp::create(b, loc, tensor, ValueRange{}));
}

//===----------------------------------------------------------------------===//
// Elementwise ops: the scalar computation of each op
//===----------------------------------------------------------------------===//

// Each function builds the result element from the (broadcast) operand
// elements `x`, following the interpreter's formula and operation order so
// that f64 results agree bit for bit where libm does.

/// i1 addition saturates like the interpreter's (1 + 1 is true): or.
Value scalarOf(AddOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return arith::AddFOp::create(b, loc, x[0], x[1]);
  if (isBool(type))
    return arith::OrIOp::create(b, loc, x[0], x[1]);
  return arith::AddIOp::create(b, loc, x[0], x[1]);
}

Value scalarOf(SubOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  if (isa<FloatType>(x[0].getType()))
    return arith::SubFOp::create(b, loc, x[0], x[1]);
  return arith::SubIOp::create(b, loc, x[0], x[1]);
}

Value scalarOf(MulOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  if (isa<FloatType>(x[0].getType()))
    return arith::MulFOp::create(b, loc, x[0], x[1]);
  return arith::MulIOp::create(b, loc, x[0], x[1]);
}

/// Integer division truncates toward zero; x / 0 is 0 and x / -1 wraps
/// (neither traps).
Value scalarOf(DivOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return arith::DivFOp::create(b, loc, x[0], x[1]);
  Value zero = constant(b, loc, type, 0), one = constant(b, loc, type, 1);
  Value minusOne = constant(b, loc, type, -1);
  Value byZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x[1], zero);
  Value byMinusOne = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, x[1], minusOne);
  Value unsafe = arith::OrIOp::create(b, loc, byZero, byMinusOne);
  Value divisor = arith::SelectOp::create(b, loc, unsafe, one, x[1]);
  Value quotient = arith::DivSIOp::create(b, loc, x[0], divisor);
  Value negated = arith::SubIOp::create(b, loc, zero, x[0]);
  quotient = arith::SelectOp::create(b, loc, byMinusOne, negated, quotient);
  return arith::SelectOp::create(b, loc, byZero, zero, quotient);
}

Value scalarOf(PowOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::PowFOp::create(b, loc, x[0], x[1]);
}

/// NaN propagates (arith.maximumf / minimumf).
Value scalarOf(MaximumOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return arith::MaximumFOp::create(b, loc, x[0], x[1]);
  if (isBool(type))
    return arith::MaxUIOp::create(b, loc, x[0], x[1]);
  return arith::MaxSIOp::create(b, loc, x[0], x[1]);
}

Value scalarOf(MinimumOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return arith::MinimumFOp::create(b, loc, x[0], x[1]);
  if (isBool(type))
    return arith::MinUIOp::create(b, loc, x[0], x[1]);
  return arith::MinSIOp::create(b, loc, x[0], x[1]);
}

/// Ordered float predicates (NaN compares false) except `ne` (NaN != x).
arith::CmpFPredicate floatPredicate(ComparePredicate p) {
  switch (p) {
  case ComparePredicate::eq:
    return arith::CmpFPredicate::OEQ;
  case ComparePredicate::ne:
    return arith::CmpFPredicate::UNE;
  case ComparePredicate::lt:
    return arith::CmpFPredicate::OLT;
  case ComparePredicate::le:
    return arith::CmpFPredicate::OLE;
  case ComparePredicate::gt:
    return arith::CmpFPredicate::OGT;
  case ComparePredicate::ge:
    return arith::CmpFPredicate::OGE;
  }
  llvm_unreachable("unknown comparison predicate");
}

/// Signed integer predicates; i1 compares as 0 / 1 (unsigned).
arith::CmpIPredicate integerPredicate(ComparePredicate p, bool isUnsigned) {
  switch (p) {
  case ComparePredicate::eq:
    return arith::CmpIPredicate::eq;
  case ComparePredicate::ne:
    return arith::CmpIPredicate::ne;
  case ComparePredicate::lt:
    return isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt;
  case ComparePredicate::le:
    return isUnsigned ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle;
  case ComparePredicate::gt:
    return isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt;
  case ComparePredicate::ge:
    return isUnsigned ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge;
  }
  llvm_unreachable("unknown comparison predicate");
}

Value scalarOf(CompareOp op, OpBuilder &b, Location loc, ValueRange x, Type) {
  Type operandType = x[0].getType();
  if (isa<FloatType>(operandType))
    return arith::CmpFOp::create(b, loc, floatPredicate(op.getPredicate()), x[0], x[1]);
  return arith::CmpIOp::create(b, loc, integerPredicate(op.getPredicate(), isBool(operandType)),
                               x[0], x[1]);
}

Value scalarOf(SelectOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return arith::SelectOp::create(b, loc, x[0], x[1], x[2]);
}

/// Floats round to nearest even; float to integer truncates toward zero (and
/// wraps like the interpreter, through i64); anything to i1 is `x != 0`.
Value scalarOf(CastOp, OpBuilder &b, Location loc, ValueRange x, Type to) {
  Value in = x[0];
  Type from = in.getType();
  if (from == to)
    return in;
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() == toFloat.getWidth()) // f16 <-> bf16
      in = arith::ExtFOp::create(b, loc, b.getF32Type(), in);
    if (cast<FloatType>(in.getType()).getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, in);
    return arith::TruncFOp::create(b, loc, to, in);
  }
  if (toFloat) {
    if (isBool(from))
      return arith::UIToFPOp::create(b, loc, to, in);
    return arith::SIToFPOp::create(b, loc, to, in);
  }
  if (fromFloat) {
    if (isBool(to)) {
      Value truncated = math::TruncOp::create(b, loc, in);
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, truncated,
                                   constant(b, loc, from, 0));
    }
    Value wide = arith::FPToSIOp::create(b, loc, b.getI64Type(), in);
    if (to.getIntOrFloatBitWidth() == 64)
      return wide;
    return arith::TruncIOp::create(b, loc, to, wide);
  }
  if (isBool(to))
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, in, constant(b, loc, from, 0));
  if (isBool(from))
    return arith::ExtUIOp::create(b, loc, to, in);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtSIOp::create(b, loc, to, in);
  return arith::TruncIOp::create(b, loc, to, in);
}

Value scalarOf(NegOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return arith::NegFOp::create(b, loc, x[0]);
  return arith::SubIOp::create(b, loc, constant(b, loc, type, 0), x[0]);
}

Value scalarOf(AbsOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  if (isa<FloatType>(type))
    return math::AbsFOp::create(b, loc, x[0]);
  return math::AbsIOp::create(b, loc, x[0]);
}

/// -1, 0 or 1; sign(NaN) is NaN.
Value scalarOf(SignOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  Value zero = constant(b, loc, type, 0);
  Value one = constant(b, loc, type, 1), minusOne = constant(b, loc, type, -1);
  if (!isa<FloatType>(type)) {
    Value positive = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, x[0], zero);
    Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x[0], zero);
    Value r = arith::SelectOp::create(b, loc, negative, minusOne, zero);
    return arith::SelectOp::create(b, loc, positive, one, r);
  }
  Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x[0], zero);
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x[0], zero);
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x[0], x[0]);
  Value r = arith::SelectOp::create(b, loc, negative, minusOne, zero);
  r = arith::SelectOp::create(b, loc, positive, one, r);
  return arith::SelectOp::create(b, loc, isNaN, x[0], r);
}

/// Ties to even, as the interpreter's std::nearbyint and torch.round.
Value scalarOf(RoundOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::RoundEvenOp::create(b, loc, x[0]);
}
Value scalarOf(ExpOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::ExpOp::create(b, loc, x[0]);
}
Value scalarOf(LogOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::LogOp::create(b, loc, x[0]);
}
Value scalarOf(SqrtOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::SqrtOp::create(b, loc, x[0]);
}
/// 1 / sqrt(x), as the interpreter computes it.
Value scalarOf(RsqrtOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  Value root = math::SqrtOp::create(b, loc, x[0]);
  return arith::DivFOp::create(b, loc, constant(b, loc, type, 1), root);
}
Value scalarOf(CosOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::CosOp::create(b, loc, x[0]);
}
Value scalarOf(SinOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::SinOp::create(b, loc, x[0]);
}
Value scalarOf(TanhOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::TanhOp::create(b, loc, x[0]);
}
Value scalarOf(ErfOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return math::ErfOp::create(b, loc, x[0]);
}

/// 1 / (1 + exp(-x)).
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value denominator = arith::AddFOp::create(b, loc, constant(b, loc, type, 1), e);
  return arith::DivFOp::create(b, loc, constant(b, loc, type, 1), denominator);
}
Value scalarOf(SigmoidOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return sigmoid(b, loc, x[0]);
}
Value scalarOf(SiluOp, OpBuilder &b, Location loc, ValueRange x, Type) {
  return arith::MulFOp::create(b, loc, x[0], sigmoid(b, loc, x[0]));
}

/// max(x, 0); NaN propagates.
Value scalarOf(ReluOp, OpBuilder &b, Location loc, ValueRange x, Type type) {
  Value zero = constant(b, loc, type, 0);
  if (isa<FloatType>(type))
    return arith::MaximumFOp::create(b, loc, x[0], zero);
  return arith::MaxSIOp::create(b, loc, x[0], zero);
}

/// erf:  0.5 x (1 + erf(x / sqrt(2)))
/// tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
Value scalarOf(GeluOp op, OpBuilder &b, Location loc, ValueRange x, Type type) {
  auto c = [&](double value) { return constant(b, loc, type, value); };
  Value inner;
  if (op.getApproximate() == GeluApproximation::tanh) {
    Value cube = arith::MulFOp::create(b, loc, c(0.044715), x[0]);
    cube = arith::MulFOp::create(b, loc, cube, x[0]);
    cube = arith::MulFOp::create(b, loc, cube, x[0]);
    Value sum = arith::AddFOp::create(b, loc, x[0], cube);
    Value scaled = arith::MulFOp::create(b, loc, c(0.79788456080286535587989211986876), sum);
    inner = math::TanhOp::create(b, loc, scaled);
  } else {
    Value scaled = arith::MulFOp::create(b, loc, x[0], c(M_SQRT1_2));
    inner = math::ErfOp::create(b, loc, scaled);
  }
  Value half = arith::MulFOp::create(b, loc, c(0.5), x[0]);
  return arith::MulFOp::create(b, loc, half, arith::AddFOp::create(b, loc, c(1), inner));
}

/// Every elementwise op: a linalg.generic over the result shape whose body
/// is `scalarOf(op, ...)`.
template <typename OpTy> struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    // An f16 or bf16 result computes in f32 from the widened operands and
    // rounds once, as PyTorch's ops do (opmath): a GELU is several
    // operations, each rounded in the half type otherwise. (One operation
    // computes the same either way.)
    auto half = dyn_cast<FloatType>(element);
    bool opmath = half && half.getWidth() == 16 && !std::is_same_v<OpTy, CastOp>;
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange x) {
          if (!opmath)
            return scalarOf(op, b, loc, x, element);
          Type f32 = b.getF32Type();
          SmallVector<Value> wide;
          for (Value value : x)
            wide.push_back(value.getType() == element
                               ? arith::ExtFOp::create(b, loc, f32, value).getResult()
                               : value);
          Value value = scalarOf(op, b, loc, wide, f32);
          return arith::TruncFOp::create(b, loc, element, value).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// tg.cast to the operand's own type is the operand.
struct CastLowering : ElementwiseLowering<CastOp> {
  using ElementwiseLowering::ElementwiseLowering;
  LogicalResult matchAndRewrite(CastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getInput().getType() == op.getType()) {
      rewriter.replaceOp(op, adaptor.getInput());
      return success();
    }
    return ElementwiseLowering::matchAndRewrite(op, adaptor, rewriter);
  }
};

//===----------------------------------------------------------------------===//
// Identities
//===----------------------------------------------------------------------===//

/// tg.stop_gradient and tg.straight_through only matter to autodiff: the
/// value is the operand (the `forward` operand for straight_through).
struct StopGradientLowering : OpConversionPattern<StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(StopGradientOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct StraightThroughLowering : OpConversionPattern<StraightThroughOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(StraightThroughOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getForward());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Constants and generators
//===----------------------------------------------------------------------===//

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct FillLowering : OpConversionPattern<FillOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(FillOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    auto splat = DenseElementsAttr::get(type, numberAttr(type.getElementType(), op.getValue()));
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, splat);
    return success();
  }
};

/// result[i...] = i_dim.
struct IotaLowering : OpConversionPattern<IotaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(IotaOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    int64_t dim = op.getDim();
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, {}, [&](OpBuilder &b, Location loc, ValueRange) {
          Value index = linalg::IndexOp::create(b, loc, dim);
          if (!isa<FloatType>(element))
            return Value(arith::IndexCastOp::create(b, loc, element, index));
          Value wide = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
          return Value(arith::SIToFPOp::create(b, loc, element, wide));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Philox 4x32-10 on the counter (ctr, 0) with key `seed`, in i32 arith ops:
/// the same rounds as tgc::philox4x32 (include/tgc/Philox.h).
std::array<Value, 4> buildPhilox(OpBuilder &b, Location loc, Value seed, Value ctr) {
  Type i32 = b.getI32Type();
  auto c32 = [&](uint32_t value) -> Value {
    return arith::ConstantOp::create(b, loc, IntegerAttr::get(i32, APInt(32, value)));
  };
  auto low = [&](Value v) -> Value { return arith::TruncIOp::create(b, loc, i32, v); };
  auto high = [&](Value v) -> Value {
    Value shift = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(32));
    return low(arith::ShRUIOp::create(b, loc, v, shift));
  };
  Value c0 = low(ctr), c1 = high(ctr), c2 = c32(0), c3 = c32(0);
  Value k0 = low(seed), k1 = high(seed);
  Value mul0 = c32(0xD2511F53), mul1 = c32(0xCD9E8D57);
  Value weyl0 = c32(0x9E3779B9), weyl1 = c32(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    auto p0 = arith::MulUIExtendedOp::create(b, loc, mul0, c0);
    auto p1 = arith::MulUIExtendedOp::create(b, loc, mul1, c2);
    Value n0 = arith::XOrIOp::create(b, loc, arith::XOrIOp::create(b, loc, p1.getHigh(), c1), k0);
    Value n2 = arith::XOrIOp::create(b, loc, arith::XOrIOp::create(b, loc, p0.getHigh(), c3), k1);
    c0 = n0, c1 = p1.getLow(), c2 = n2, c3 = p0.getLow();
    k0 = arith::AddIOp::create(b, loc, k0, weyl0);
    k1 = arith::AddIOp::create(b, loc, k1, weyl1);
  }
  return {c0, c1, c2, c3};
}

/// (bits >> 8) * 2^-24 in `type` (f32 or f64: exact in both).
Value bitsToUniform(OpBuilder &b, Location loc, Value bits, FloatType type) {
  Value shift = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(8));
  Value top = arith::ShRUIOp::create(b, loc, bits, shift);
  Value asFloat = arith::UIToFPOp::create(b, loc, type, top);
  return arith::MulFOp::create(b, loc, asFloat, constant(b, loc, type, 1.0 / 16777216.0));
}

/// Element i from (seed, counter), as in Philox.h:
///   uniform: block counter + i / 4, lane i % 4, (bits >> 8) * 2^-24;
///   normal:  block counter + i / 2, lanes 2 (i % 2) and 2 (i % 2) + 1,
///            Box-Muller sqrt(-2 ln(1 - u1)) cos(2 pi u2) in f64.
/// The result is rounded to the element type once, like the interpreter's.
struct RandomLowering : OpConversionPattern<RandomOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(RandomOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto element = cast<FloatType>(type.getElementType());
    Value seed = scalarAsI64(rewriter, loc, adaptor.getSeed());
    Value counter = scalarAsI64(rewriter, loc, adaptor.getCounter());
    bool uniform = op.getDistribution() == Distribution::uniform;
    Value result =
        buildElementwise(rewriter, loc, type, {}, [&](OpBuilder &b, Location loc, ValueRange) {
          auto i64 = [&](int64_t v) -> Value {
            return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
          };
          Value index = linearIndex(b, loc, type.getShape());
          Value shift = i64(uniform ? 2 : 1);
          Value block = arith::ShRUIOp::create(b, loc, index, shift);
          Value lane = arith::AndIOp::create(b, loc, index, i64(uniform ? 3 : 1));
          Value ctr = arith::AddIOp::create(b, loc, counter, block);
          std::array<Value, 4> bits = buildPhilox(b, loc, seed, ctr);
          auto laneIs = [&](int64_t l) -> Value {
            return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, i64(l));
          };
          Value value;
          if (uniform) {
            Value chosen = arith::SelectOp::create(b, loc, laneIs(2), bits[2], bits[3]);
            chosen = arith::SelectOp::create(b, loc, laneIs(1), bits[1], chosen);
            chosen = arith::SelectOp::create(b, loc, laneIs(0), bits[0], chosen);
            FloatType wide = element.isF64() ? b.getF64Type() : b.getF32Type();
            value = bitsToUniform(b, loc, chosen, wide);
          } else {
            Value first = laneIs(0);
            Value bits1 = arith::SelectOp::create(b, loc, first, bits[0], bits[2]);
            Value bits2 = arith::SelectOp::create(b, loc, first, bits[1], bits[3]);
            FloatType f64 = b.getF64Type();
            Value u1 = bitsToUniform(b, loc, bits1, f64);
            Value u2 = bitsToUniform(b, loc, bits2, f64);
            Value oneMinus = arith::SubFOp::create(b, loc, constant(b, loc, f64, 1), u1);
            Value logTerm = arith::MulFOp::create(b, loc, constant(b, loc, f64, -2),
                                                  math::LogOp::create(b, loc, oneMinus));
            Value radius = math::SqrtOp::create(b, loc, logTerm);
            Value angle = arith::MulFOp::create(
                b, loc, constant(b, loc, f64, 6.283185307179586476925286766559), u2);
            value = arith::MulFOp::create(b, loc, radius, math::CosOp::create(b, loc, angle));
          }
          if (value.getType() != element)
            value = arith::TruncFOp::create(b, loc, element, value);
          return value;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Broadcast
//===----------------------------------------------------------------------===//

/// Size-1 dimensions that expand are collapsed away, then linalg.broadcast
/// adds every result dimension the operand lacks.
struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    RankedTensorType inType = tensorTypeOf(input);
    auto outType = cast<RankedTensorType>(op.getType());
    if (inType == outType) {
      rewriter.replaceOp(op, input);
      return success();
    }
    ArrayRef<int64_t> in = inType.getShape(), out = outType.getShape();
    int64_t skip = out.size() - in.size();
    SmallVector<bool> expands;
    SmallVector<int64_t> keptShape;
    SmallVector<bool> resultHasInput(out.size(), false);
    for (auto [d, size] : llvm::enumerate(in)) {
      bool expand = size == 1 && out[skip + d] != 1;
      expands.push_back(expand);
      if (!expand) {
        keptShape.push_back(size);
        resultHasInput[skip + d] = true;
      }
    }
    if (llvm::is_contained(expands, true))
      input = tensor::CollapseShapeOp::create(
          rewriter, loc, RankedTensorType::get(keptShape, inType.getElementType()), input,
          unitDimGroups(expands));
    SmallVector<int64_t> added;
    for (auto [d, has] : llvm::enumerate(resultHasInput))
      if (!has)
        added.push_back(d);
    auto broadcast = linalg::BroadcastOp::create(rewriter, loc, input,
                                                 emptyTensor(rewriter, loc, outType), added);
    rewriter.replaceOp(op, broadcast.getResult());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, Max, Min };

ReduceKind reduceKindOf(ReduceSumOp) { return ReduceKind::Sum; }
ReduceKind reduceKindOf(ReduceMeanOp) { return ReduceKind::Mean; }
ReduceKind reduceKindOf(ReduceMaxOp) { return ReduceKind::Max; }
ReduceKind reduceKindOf(ReduceMinOp) { return ReduceKind::Min; }

/// The identity of a reduction: 0, -inf / the smallest integer, +inf / the
/// largest integer.
Value reduceInit(OpBuilder &b, Location loc, ReduceKind kind, Type type) {
  if (kind == ReduceKind::Sum || kind == ReduceKind::Mean)
    return constant(b, loc, type, 0);
  bool max = kind == ReduceKind::Max;
  if (isa<FloatType>(type))
    return constant(b, loc, type,
                    max ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity());
  unsigned width = type.getIntOrFloatBitWidth();
  APInt value = width == 1
                    ? APInt(1, max ? 0 : 1)
                    : (max ? APInt::getSignedMinValue(width) : APInt::getSignedMaxValue(width));
  return arith::ConstantOp::create(b, loc, IntegerAttr::get(type, value));
}

Value reduceCombine(OpBuilder &b, Location loc, ReduceKind kind, Value x, Value acc) {
  Type type = x.getType();
  bool isFloat = isa<FloatType>(type);
  switch (kind) {
  case ReduceKind::Sum:
  case ReduceKind::Mean:
    if (isFloat)
      return arith::AddFOp::create(b, loc, acc, x);
    if (isBool(type))
      return arith::OrIOp::create(b, loc, acc, x);
    return arith::AddIOp::create(b, loc, acc, x);
  case ReduceKind::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, acc, x);
    if (isBool(type))
      return arith::MaxUIOp::create(b, loc, acc, x);
    return arith::MaxSIOp::create(b, loc, acc, x);
  case ReduceKind::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, acc, x);
    if (isBool(type))
      return arith::MinUIOp::create(b, loc, acc, x);
    return arith::MinSIOp::create(b, loc, acc, x);
  }
  llvm_unreachable("unknown reduction");
}

/// linalg.reduce over the axes (accumulating in row-major order, as the
/// interpreter does), a division by the count for mean, and an expand_shape
/// that restores size-1 dimensions for keepdim.
template <typename OpTy> struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ReduceKind kind = reduceKindOf(op);
    Value input = adaptor.getInput();
    RankedTensorType inType = tensorTypeOf(input);
    auto outType = cast<RankedTensorType>(op.getType());
    Type element = inType.getElementType();
    int64_t rank = inType.getRank();
    SmallVector<bool> reduced(rank, false);
    for (int64_t axis : op.getAxes())
      reduced[normalizeAxis(axis, rank)] = true;
    SmallVector<int64_t> dims, keptShape;
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (reduced[d]) {
        dims.push_back(d);
        count *= inType.getDimSize(d);
      } else {
        keptShape.push_back(inType.getDimSize(d));
      }
    }
    if (dims.empty()) {
      rewriter.replaceOp(op, input);
      return success();
    }
    // Sums of f16 and bf16 accumulate in f32, as PyTorch's do: in their
    // own type a sum of a thousand terms would lose several bits.
    Type accumulator = element;
    if (kind != ReduceKind::Max && kind != ReduceKind::Min && isa<FloatType>(element) &&
        element.getIntOrFloatBitWidth() < 32)
      accumulator = rewriter.getF32Type();
    auto keptType = RankedTensorType::get(keptShape, accumulator);
    Value init =
        filledTensor(rewriter, loc, keptType, reduceInit(rewriter, loc, kind, accumulator));
    auto reduce = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{input}, ValueRange{init}, dims,
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          Value x = args[0];
          if (accumulator != element)
            x = arith::ExtFOp::create(b, nestedLoc, accumulator, x);
          linalg::YieldOp::create(b, nestedLoc, reduceCombine(b, nestedLoc, kind, x, args[1]));
        });
    Value result = reduce.getResult(0);
    if (kind == ReduceKind::Mean)
      result = buildElementwise(
          rewriter, loc, keptType, {result}, [&](OpBuilder &b, Location nestedLoc, ValueRange x) {
            return Value(arith::DivFOp::create(
                b, nestedLoc, x[0], constant(b, nestedLoc, accumulator, double(count))));
          });
    if (accumulator != element)
      result = buildElementwise(rewriter, loc, RankedTensorType::get(keptShape, element), {result},
                                [&](OpBuilder &b, Location nestedLoc, ValueRange x) {
                                  return Value(
                                      arith::TruncFOp::create(b, nestedLoc, element, x[0]));
                                });
    if (op.getKeepdim())
      result =
          tensor::ExpandShapeOp::create(rewriter, loc, outType, result, unitDimGroups(reduced));
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// result[b..., i, j] = sum_k lhs[b..., i, k] * rhs[b..., k, j], summed from
/// zero in increasing k:
///   * no batch dimensions: linalg.matmul, transposes as indexing maps;
///   * a 2-D rhs and an untransposed lhs: the lhs batch dimensions fold into
///     its rows, one linalg.matmul;
///   * equal batch shapes: batch dimensions collapse into one,
///     linalg.batch_matmul with transposing maps;
///   * broadcasting batch dimensions: a linalg.generic contraction.
struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    RankedTensorType lhsType = tensorTypeOf(lhs), rhsType = tensorTypeOf(rhs);
    auto outType = cast<RankedTensorType>(op.getType());
    bool tl = op.getTransposeLhs(), tr = op.getTransposeRhs();
    int64_t batch = outType.getRank() - 2;
    ArrayRef<int64_t> outBatch = outType.getShape().drop_back(2);
    ArrayRef<int64_t> lhsBatch = lhsType.getShape().drop_back(2);
    ArrayRef<int64_t> rhsBatch = rhsType.getShape().drop_back(2);
    Type element = outType.getElementType();

    if (batch == 0) {
      rewriter.replaceOp(op, namedMatmul(rewriter, loc, lhs, rhs, outType, tl, tr));
      return success();
    }
    if (rhsBatch.empty() && !tl) {
      // [b..., m, k] -> [b * ... * m, k], one matmul, then back.
      int64_t rows = lhsType.getNumElements() / lhsType.getShape().back();
      auto flatLhs = RankedTensorType::get({rows, lhsType.getShape().back()}, element);
      ReassociationIndices front;
      for (int64_t d = 0; d < lhsType.getRank() - 1; ++d)
        front.push_back(d);
      Value collapsed = tensor::CollapseShapeOp::create(
          rewriter, loc, flatLhs, lhs,
          SmallVector<ReassociationIndices>{front, {lhsType.getRank() - 1}});
      auto flatOut = RankedTensorType::get({rows, outType.getShape().back()}, element);
      Value product = namedMatmul(rewriter, loc, collapsed, rhs, flatOut, false, tr);
      ReassociationIndices outFront;
      for (int64_t d = 0; d < outType.getRank() - 1; ++d)
        outFront.push_back(d);
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
          op, outType, product,
          SmallVector<ReassociationIndices>{outFront, {outType.getRank() - 1}});
      return success();
    }
    if (lhsBatch == outBatch && rhsBatch == outBatch) {
      rewriter.replaceOp(op, batchMatmul(rewriter, loc, lhs, rhs, outType, tl, tr));
      return success();
    }
    rewriter.replaceOp(op, genericMatmul(rewriter, loc, lhs, rhs, outType, tl, tr));
    return success();
  }

private:
  /// Maps over (batch..., m, n, k) for lhs, rhs and the result; operand
  /// batch dimensions broadcast with NumPy rules.
  static SmallVector<AffineMap> contractionMaps(MLIRContext *context, ArrayRef<int64_t> lhsShape,
                                                ArrayRef<int64_t> rhsShape,
                                                ArrayRef<int64_t> outShape, bool tl, bool tr) {
    int64_t batch = outShape.size() - 2, loops = batch + 3;
    AffineExpr m = getAffineDimExpr(batch, context);
    AffineExpr n = getAffineDimExpr(batch + 1, context);
    AffineExpr k = getAffineDimExpr(batch + 2, context);
    auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr row, AffineExpr column) {
      AffineMap batchMap = broadcastMap(shape.drop_back(2), outShape.drop_back(2), context);
      SmallVector<AffineExpr> exprs(batchMap.getResults());
      exprs.push_back(row);
      exprs.push_back(column);
      return AffineMap::get(loops, 0, exprs, context);
    };
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < batch + 2; ++d)
      outExprs.push_back(getAffineDimExpr(d, context));
    return {tl ? operandMap(lhsShape, k, m) : operandMap(lhsShape, m, k),
            tr ? operandMap(rhsShape, n, k) : operandMap(rhsShape, k, n),
            AffineMap::get(loops, 0, outExprs, context)};
  }

  static Value zeros(OpBuilder &b, Location loc, RankedTensorType type) {
    return filledTensor(b, loc, type, constant(b, loc, type.getElementType(), 0));
  }

  static Value namedMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           RankedTensorType outType, bool tl, bool tr) {
    auto matmul = linalg::MatmulOp::create(b, loc, TypeRange{outType}, ValueRange{lhs, rhs},
                                           ValueRange{zeros(b, loc, outType)});
    if (tl || tr)
      matmul.setIndexingMapsAttr(b.getAffineMapArrayAttr(
          contractionMaps(b.getContext(), tensorTypeOf(lhs).getShape(),
                          tensorTypeOf(rhs).getShape(), outType.getShape(), tl, tr)));
    return matmul.getResult(0);
  }

  /// Collapses the leading `batch` dimensions of `value` into one.
  static Value collapseBatch(OpBuilder &b, Location loc, Value value, int64_t batch) {
    if (batch == 1)
      return value;
    ReassociationIndices front;
    for (int64_t d = 0; d < batch; ++d)
      front.push_back(d);
    SmallVector<ReassociationIndices> groups = {front, {batch}, {batch + 1}};
    return tensor::CollapseShapeOp::create(b, loc, value, groups);
  }

  static Value batchMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           RankedTensorType outType, bool tl, bool tr) {
    int64_t batch = outType.getRank() - 2;
    lhs = collapseBatch(b, loc, lhs, batch);
    rhs = collapseBatch(b, loc, rhs, batch);
    int64_t batchSize = 1;
    for (int64_t d = 0; d < batch; ++d)
      batchSize *= outType.getDimSize(d);
    auto flatOut =
        RankedTensorType::get({batchSize, outType.getDimSize(batch), outType.getDimSize(batch + 1)},
                              outType.getElementType());
    auto matmul = linalg::BatchMatmulOp::create(b, loc, TypeRange{flatOut}, ValueRange{lhs, rhs},
                                                ValueRange{zeros(b, loc, flatOut)});
    if (tl || tr)
      matmul.setIndexingMapsAttr(b.getAffineMapArrayAttr(
          contractionMaps(b.getContext(), tensorTypeOf(lhs).getShape(),
                          tensorTypeOf(rhs).getShape(), flatOut.getShape(), tl, tr)));
    Value result = matmul.getResult(0);
    if (batch == 1)
      return result;
    ReassociationIndices front;
    for (int64_t d = 0; d < batch; ++d)
      front.push_back(d);
    return tensor::ExpandShapeOp::create(
        b, loc, outType, result, SmallVector<ReassociationIndices>{front, {batch}, {batch + 1}});
  }

  static Value genericMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                             RankedTensorType outType, bool tl, bool tr) {
    int64_t batch = outType.getRank() - 2;
    SmallVector<utils::IteratorType> iterators = parallelIterators(batch + 2);
    iterators.push_back(utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{outType}, ValueRange{lhs, rhs}, ValueRange{zeros(b, loc, outType)},
        contractionMaps(b.getContext(), tensorTypeOf(lhs).getShape(), tensorTypeOf(rhs).getShape(),
                        outType.getShape(), tl, tr),
        iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          Value sum;
          if (isa<FloatType>(args[0].getType()))
            sum = arith::AddFOp::create(nested, nestedLoc, args[2],
                                        arith::MulFOp::create(nested, nestedLoc, args[0], args[1]));
          else
            sum = arith::AddIOp::create(nested, nestedLoc, args[2],
                                        arith::MulIOp::create(nested, nestedLoc, args[0], args[1]));
          linalg::YieldOp::create(nested, nestedLoc, sum);
        });
    return generic.getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// Layout: transpose, reshape, slice, pad, concat
//===----------------------------------------------------------------------===//

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto outType = cast<RankedTensorType>(op.getType());
    auto transpose = linalg::TransposeOp::create(rewriter, op.getLoc(), adaptor.getInput(),
                                                 emptyTensor(rewriter, op.getLoc(), outType),
                                                 op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

/// A collapse_shape or expand_shape when one describes the reshape,
/// otherwise a collapse to 1-D followed by an expand.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    RankedTensorType inType = tensorTypeOf(input);
    auto outType = cast<RankedTensorType>(op.getType());
    if (inType == outType) {
      rewriter.replaceOp(op, input);
      return success();
    }
    if (std::optional<SmallVector<ReassociationIndices>> groups =
            getReassociationIndicesForReshape(inType, outType)) {
      if (inType.getRank() > outType.getRank())
        rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, outType, input, *groups);
      else
        rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, outType, input, *groups);
      return success();
    }
    auto allDims = [](int64_t rank) {
      ReassociationIndices dims;
      for (int64_t d = 0; d < rank; ++d)
        dims.push_back(d);
      return SmallVector<ReassociationIndices>{dims};
    };
    auto flatType = RankedTensorType::get({inType.getNumElements()}, inType.getElementType());
    Value flat = input;
    if (inType.getRank() != 1)
      flat = tensor::CollapseShapeOp::create(rewriter, loc, flatType, input,
                                             allDims(inType.getRank()));
    if (outType.getRank() == 1) {
      rewriter.replaceOp(op, flat);
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, outType, flat,
                                                       allDims(outType.getRank()));
    return success();
  }
};

/// result[i...] = input[start + i * step ...]: a strided extract_slice.
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto outType = cast<RankedTensorType>(op.getType());
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, outType, adaptor.getInput(), indexAttrs(rewriter, op.getStart()),
        indexAttrs(rewriter, outType.getShape()), indexAttrs(rewriter, op.getStrides()));
    return success();
  }
};

/// tensor.pad without interior padding; with it, the input is inserted with
/// stride interior + 1 into a tensor filled with the padding value.
struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    Value padding = arith::ConstantOp::create(rewriter, loc,
                                              numberAttr(outType.getElementType(), op.getValue()));
    SmallVector<int64_t> interior = op.getInteriorOrZeros();
    if (llvm::all_of(interior, [](int64_t i) { return i == 0; })) {
      rewriter.replaceOpWithNewOp<tensor::PadOp>(op, outType, input,
                                                 indexAttrs(rewriter, op.getLow()),
                                                 indexAttrs(rewriter, op.getHigh()), padding);
      return success();
    }
    SmallVector<int64_t> strides = llvm::map_to_vector(interior, [](int64_t i) { return i + 1; });
    Value filled = filledTensor(rewriter, loc, outType, padding);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, input, filled, indexAttrs(rewriter, op.getLow()),
        indexAttrs(rewriter, tensorTypeOf(input).getShape()), indexAttrs(rewriter, strides));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t axis = normalizeAxis(int64_t(op.getAxis()), outType.getRank());
    if (adaptor.getInputs().size() == 1) {
      rewriter.replaceOp(op, adaptor.getInputs().front());
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, outType, uint64_t(axis), adaptor.getInputs());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Indexing: gather, scatter_add, take_along, one_hot
//===----------------------------------------------------------------------===//

/// result[a..., i..., b...] = input[a..., indices[i...], b...]: a
/// linalg.generic reading the index and extracting the element (indices
/// clamped into range like the interpreter's).
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    RankedTensorType inType = tensorTypeOf(input);
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = inType.getRank(), indexRank = tensorTypeOf(indices).getRank();
    int64_t axis = normalizeAxis(int64_t(op.getAxis()), rank);
    MLIRContext *context = rewriter.getContext();
    SmallVector<AffineExpr> indexExprs;
    for (int64_t d = 0; d < indexRank; ++d)
      indexExprs.push_back(getAffineDimExpr(axis + d, context));
    SmallVector<AffineMap> maps = {AffineMap::get(outType.getRank(), 0, indexExprs, context),
                                   rewriter.getMultiDimIdentityMap(outType.getRank())};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{indices},
        ValueRange{emptyTensor(rewriter, loc, outType)}, maps, parallelIterators(outType.getRank()),
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          SmallVector<Value> coords;
          for (int64_t d = 0; d < axis; ++d)
            coords.push_back(linalg::IndexOp::create(b, nestedLoc, d));
          coords.push_back(clampedIndex(b, nestedLoc, args[0], inType.getDimSize(axis)));
          for (int64_t d = axis + 1; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, nestedLoc, d - 1 + indexRank));
          Value element = tensor::ExtractOp::create(b, nestedLoc, input, coords);
          linalg::YieldOp::create(b, nestedLoc, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// result = input, then result[a..., indices[i...], b...] +=
/// updates[a..., i..., b...] in row-major order of the updates: an scf.for
/// nest carrying the result tensor (repeated indices accumulate in order).
struct ScatterAddLowering : OpConversionPattern<ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ScatterAddOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput(), indices = adaptor.getIndices();
    Value updates = adaptor.getUpdates();
    RankedTensorType inType = tensorTypeOf(input);
    RankedTensorType updatesType = tensorTypeOf(updates);
    int64_t rank = inType.getRank(), indexRank = tensorTypeOf(indices).getRank();
    int64_t axis = normalizeAxis(int64_t(op.getAxis()), rank);
    SmallVector<Value> lbs, ubs, steps;
    for (int64_t size : updatesType.getShape()) {
      lbs.push_back(indexConstant(rewriter, loc, 0));
      ubs.push_back(indexConstant(rewriter, loc, size));
      steps.push_back(indexConstant(rewriter, loc, 1));
    }
    scf::LoopNest nest = scf::buildLoopNest(
        rewriter, loc, lbs, ubs, steps, ValueRange{input},
        [&](OpBuilder &b, Location nestedLoc, ValueRange ivs,
            ValueRange carried) -> scf::ValueVector {
          Value raw = tensor::ExtractOp::create(b, nestedLoc, indices, ivs.slice(axis, indexRank));
          SmallVector<Value> coords(ivs.take_front(axis));
          coords.push_back(clampedIndex(b, nestedLoc, raw, inType.getDimSize(axis)));
          coords.append(ivs.begin() + axis + indexRank, ivs.end());
          Value current = tensor::ExtractOp::create(b, nestedLoc, carried[0], coords);
          Value update = tensor::ExtractOp::create(b, nestedLoc, updates, ivs);
          Value sum = isa<FloatType>(current.getType())
                          ? Value(arith::AddFOp::create(b, nestedLoc, current, update))
                          : Value(arith::AddIOp::create(b, nestedLoc, current, update));
          return {tensor::InsertOp::create(b, nestedLoc, sum, carried[0], coords)};
        });
    rewriter.replaceOp(op, nest.results.front());
    return success();
  }
};

/// result[i...] = input[i..., indices[i...]] when the index is in range,
/// else 0: a linalg.generic over the result that extracts one element (the
/// index clamped, so that no read leaves the row).
struct TakeAlongLowering : OpConversionPattern<TakeAlongOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TakeAlongOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    int64_t classes = tensorTypeOf(input).getShape().back();
    if (ShapedType::isDynamic(classes))
      return rewriter.notifyMatchFailure(op, "needs a static last dimension");
    Type element = outType.getElementType();
    SmallVector<AffineMap> maps(2, rewriter.getMultiDimIdentityMap(rank));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{adaptor.getIndices()},
        ValueRange{emptyTensor(rewriter, loc, outType)}, maps, parallelIterators(rank),
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          Value label = toI64(b, nestedLoc, args[0]);
          Value inRange = arith::AndIOp::create(
              b, nestedLoc,
              arith::CmpIOp::create(b, nestedLoc, arith::CmpIPredicate::sge, label,
                                    constant(b, nestedLoc, b.getI64Type(), 0)),
              arith::CmpIOp::create(b, nestedLoc, arith::CmpIPredicate::slt, label,
                                    constant(b, nestedLoc, b.getI64Type(), classes)));
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, nestedLoc, d));
          coords.push_back(clampedIndex(b, nestedLoc, args[0], classes));
          Value picked = tensor::ExtractOp::create(b, nestedLoc, input, coords);
          Value value = arith::SelectOp::create(b, nestedLoc, inRange, picked,
                                                constant(b, nestedLoc, element, 0));
          linalg::YieldOp::create(b, nestedLoc, value);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// result[i..., c] = indices[i...] == c ? 1 : 0.
struct OneHotLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto outType = cast<RankedTensorType>(op.getType());
    int64_t rank = outType.getRank();
    Type element = outType.getElementType();
    SmallVector<AffineMap> maps = {dropDimMap(rank, rank - 1, rewriter.getContext()),
                                   rewriter.getMultiDimIdentityMap(rank)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{adaptor.getIndices()},
        ValueRange{emptyTensor(rewriter, loc, outType)}, maps, parallelIterators(rank),
        [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
          Value label = toI64(b, nestedLoc, args[0]);
          Value index = linalg::IndexOp::create(b, nestedLoc, rank - 1);
          Value classIndex = arith::IndexCastOp::create(b, nestedLoc, b.getI64Type(), index);
          Value hit =
              arith::CmpIOp::create(b, nestedLoc, arith::CmpIPredicate::eq, label, classIndex);
          Value value =
              arith::SelectOp::create(b, nestedLoc, hit, constant(b, nestedLoc, element, 1),
                                      constant(b, nestedLoc, element, 0));
          linalg::YieldOp::create(b, nestedLoc, value);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and log-softmax
//===----------------------------------------------------------------------===//

/// m = max(x), s = sum(exp(x - m)) along the axis, then
///   softmax:     exp(x - m) / s
///   log_softmax: (x - m) - log(s)
/// f16 and bf16 compute in f32 from x - m on and round once, as PyTorch's.
template <typename OpTy> struct SoftmaxLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  static constexpr bool kLogarithm = std::is_same_v<OpTy, LogSoftmaxOp>;

  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value x = adaptor.getInput();
    RankedTensorType type = tensorTypeOf(x);
    Type element = type.getElementType();
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(int64_t(op.getAxis()), rank);
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape.erase(rowShape.begin() + axis);
    auto rowType = RankedTensorType::get(rowShape, element);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rowMap = dropDimMap(rank, axis, context);

    Value maxInit =
        filledTensor(rewriter, loc, rowType, reduceInit(rewriter, loc, ReduceKind::Max, element));
    Value max = linalg::ReduceOp::create(
                    rewriter, loc, ValueRange{x}, ValueRange{maxInit}, SmallVector<int64_t>{axis},
                    [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
                      Value max = arith::MaximumFOp::create(b, nestedLoc, args[1], args[0]);
                      linalg::YieldOp::create(b, nestedLoc, max);
                    })
                    .getResult(0);

    Type compute = element.getIntOrFloatBitWidth() < 32 ? rewriter.getF32Type() : element;
    // x - m in the compute type.
    auto shift = [&](OpBuilder &b, Location nestedLoc, Value value, Value rowMax) -> Value {
      if (compute != element) {
        value = arith::ExtFOp::create(b, nestedLoc, compute, value);
        rowMax = arith::ExtFOp::create(b, nestedLoc, compute, rowMax);
      }
      return arith::SubFOp::create(b, nestedLoc, value, rowMax);
    };
    auto sumType = RankedTensorType::get(rowShape, compute);
    SmallVector<utils::IteratorType> sumIterators = parallelIterators(rank);
    sumIterators[axis] = utils::IteratorType::reduction;
    Value sumInit = filledTensor(rewriter, loc, sumType, constant(rewriter, loc, compute, 0));
    Value sum = linalg::GenericOp::create(
                    rewriter, loc, TypeRange{sumType}, ValueRange{x, max}, ValueRange{sumInit},
                    ArrayRef<AffineMap>{identity, rowMap, rowMap}, sumIterators,
                    [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
                      Value shifted = shift(b, nestedLoc, args[0], args[1]);
                      Value e = math::ExpOp::create(b, nestedLoc, shifted);
                      Value sum = arith::AddFOp::create(b, nestedLoc, args[2], e);
                      linalg::YieldOp::create(b, nestedLoc, sum);
                    })
                    .getResult(0);

    Value result =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{x, max, sum},
            ValueRange{emptyTensor(rewriter, loc, type)},
            ArrayRef<AffineMap>{identity, rowMap, rowMap, identity}, parallelIterators(rank),
            [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
              Value shifted = shift(b, nestedLoc, args[0], args[1]);
              Value value;
              if (kLogarithm)
                value = arith::SubFOp::create(b, nestedLoc, shifted,
                                              math::LogOp::create(b, nestedLoc, args[2]));
              else
                value = arith::DivFOp::create(b, nestedLoc,
                                              math::ExpOp::create(b, nestedLoc, shifted), args[2]);
              if (compute != element)
                value = arith::TruncFOp::create(b, nestedLoc, element, value);
              linalg::YieldOp::create(b, nestedLoc, value);
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Globals with an initializer attribute
//===----------------------------------------------------------------------===//

/// Bufferization needs dense initial data: constant initializers become their
/// splat; random ones (normal, uniform, kaiming, xavier) become zeros until
/// @tgc_init (--tg-build-init) runs, and the initializer stays on the global
/// as `tg.initializer`.
struct GlobalInitializerLowering : OpConversionPattern<ml_program::GlobalOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ml_program::GlobalOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto initializer =
        dyn_cast_or_null<InitializerAttrInterface>(op.getValue().value_or(Attribute()));
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!initializer || !type)
      return failure();
    Type element = type.getElementType();
    auto splat = [&](double value) -> Attribute {
      return DenseElementsAttr::get(
          type, numberAttr(element, FloatAttr::get(rewriter.getF64Type(), value)));
    };
    bool random = false;
    Attribute data =
        TypeSwitch<Attribute, Attribute>(initializer)
            .Case([&](ZerosAttr) { return splat(0); })
            .Case([&](OnesAttr) { return splat(1); })
            .Case([&](ConstantInitAttr c) { return splat(c.getValue().convertToDouble()); })
            .Default([&](Attribute) {
              random = true;
              return splat(0);
            });
    rewriter.modifyOpInPlace(op, [&] {
      op.setValueAttr(data);
      if (random)
        op->setAttr("tg.initializer", initializer);
    });
    return success();
  }
};

bool hasInitializerAttr(ml_program::GlobalOp op) {
  return isa_and_nonnull<InitializerAttrInterface>(op.getValue().value_or(Attribute()));
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// Reports tg ops that this pass does not lower, saying which pass should
/// have removed them, and dynamic shapes. Returns failure if any.
LogicalResult checkLowerable(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    if (op->getName().getDialectNamespace() != TGDialect::getDialectNamespace())
      return;
    auto fail = [&]() {
      ok = false;
      return op->emitOpError();
    };
    if (isa<DecomposableOpInterface>(op)) {
      fail() << "is a composite op: run --tg-decompose before --tg-lower-to-linalg";
      return;
    }
    if (isa<GradOp, ValueAndGradOp, JvpOp>(op)) {
      fail() << "must be expanded by --tg-autodiff before --tg-lower-to-linalg";
      return;
    }
    if (isa<TrainStepOp>(op)) {
      fail() << "must be expanded into a function by --tg-expand-train-step "
                "before --tg-lower-to-linalg";
      return;
    }
    for (Type type : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
      auto shaped = dyn_cast<ShapedType>(type);
      if (shaped && !shaped.hasStaticShape()) {
        fail() << "has a dynamic shape (" << type << "): --tg-lower-to-linalg needs static shapes";
        return;
      }
    }
  });
  return success(ok);
}

struct TGLowerToLinalgPass : tg::impl::TGLowerToLinalgBase<TGLowerToLinalgPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkLowerable(module)))
      return signalPassFailure();

    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    target.addIllegalDialect<TGDialect>();
    // Kernel ops (tg-gpu-fused-attention's) are already what the kernels
    // compute on: linalg's level.
    target.addLegalOp<FusedAttentionForwardOp, FusedAttentionBackwardOp>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                           scf::SCFDialect, tensor::TensorDialect>();
    target.addDynamicallyLegalOp<ml_program::GlobalOp>(
        [](ml_program::GlobalOp op) { return !hasInitializerAttr(op); });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(context);
    patterns.add<
        // constants and generators
        ConstantLowering, FillLowering, IotaLowering, RandomLowering,
        // elementwise
        ElementwiseLowering<AddOp>, ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
        ElementwiseLowering<DivOp>, ElementwiseLowering<PowOp>, ElementwiseLowering<MaximumOp>,
        ElementwiseLowering<MinimumOp>, ElementwiseLowering<CompareOp>,
        ElementwiseLowering<SelectOp>, CastLowering, ElementwiseLowering<NegOp>,
        ElementwiseLowering<AbsOp>, ElementwiseLowering<SignOp>, ElementwiseLowering<RoundOp>,
        ElementwiseLowering<ExpOp>, ElementwiseLowering<LogOp>, ElementwiseLowering<SqrtOp>,
        ElementwiseLowering<RsqrtOp>, ElementwiseLowering<CosOp>, ElementwiseLowering<SinOp>,
        ElementwiseLowering<TanhOp>, ElementwiseLowering<SigmoidOp>, ElementwiseLowering<ReluOp>,
        ElementwiseLowering<ErfOp>, ElementwiseLowering<SiluOp>, ElementwiseLowering<GeluOp>,
        // identities
        StopGradientLowering, StraightThroughLowering,
        // broadcast and reductions
        BroadcastToLowering, ReduceLowering<ReduceSumOp>, ReduceLowering<ReduceMeanOp>,
        ReduceLowering<ReduceMaxOp>, ReduceLowering<ReduceMinOp>,
        // matmul and layout
        MatmulLowering, TransposeLowering, ReshapeLowering, SliceLowering, PadLowering,
        ConcatLowering,
        // indexing
        GatherLowering, ScatterAddLowering, TakeAlongLowering, OneHotLowering,
        // normalized exponentials
        SoftmaxLowering<SoftmaxOp>, SoftmaxLowering<LogSoftmaxOp>,
        // globals
        GlobalInitializerLowering>(context);

    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
