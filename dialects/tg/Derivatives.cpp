//===- Derivatives.cpp - derivative rules of the core tg ops --------------===//
//
// One vjp (reverse) and one jvp (forward) rule per op, written as tg ops.
// Conventions (DifferentiableOpInterface): a null Value is a zero tangent or
// cotangent; cotangents of broadcasting operands are summed back to the
// operand's shape with sumToType.
//
//===----------------------------------------------------------------------===//

#include "tg/Derivatives.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tg;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value tg::scalar(OpBuilder &builder, Location loc, Type elementType,
                 double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr = isa<FloatType>(elementType)
                       ? Attribute(builder.getFloatAttr(elementType, value))
                       : Attribute(builder.getIntegerAttr(elementType, int64_t(value)));
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(type, attr));
}

Value tg::splat(OpBuilder &builder, Location loc, Type type, double value) {
  auto tensorType = cast<RankedTensorType>(type);
  Type elementType = tensorType.getElementType();
  Attribute attr = isa<FloatType>(elementType)
                       ? Attribute(builder.getFloatAttr(elementType, value))
                       : Attribute(builder.getIntegerAttr(elementType, int64_t(value)));
  return ConstantOp::create(builder, loc, DenseElementsAttr::get(tensorType, attr));
}

Value tg::broadcastToType(OpBuilder &builder, Location loc, Value value,
                          Type type) {
  if (value.getType() == type)
    return value;
  return BroadcastToOp::create(builder, loc, type, value);
}

Value tg::sumToType(OpBuilder &builder, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  auto from = cast<RankedTensorType>(value.getType());
  auto to = cast<RankedTensorType>(type);
  int64_t lead = from.getRank() - to.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 0; d < from.getRank(); ++d)
    if (d < lead || (to.getDimSize(d - lead) == 1 && from.getDimSize(d) != 1))
      axes.push_back(d);
  Value sum = axes.empty()
                  ? value
                  : Value(ReduceSumOp::create(builder, loc, value, axes,
                                              /*keepdim=*/true));
  if (sum.getType() != type)
    sum = ReshapeOp::create(builder, loc, type, sum);
  return sum;
}

namespace {

/// Builds tg arithmetic at one location with short names; null operands
/// stand for zeros where that is harmless (see `add`).
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value add(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return AddOp::create(b, loc, x, y);
  }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value log(Value x) { return LogOp::create(b, loc, x); }
  Value tanh(Value x) { return TanhOp::create(b, loc, x); }
  Value erf(Value x) { return ErfOp::create(b, loc, x); }
  Value sigmoid(Value x) { return SigmoidOp::create(b, loc, x); }
  Value sign(Value x) { return SignOp::create(b, loc, x); }
  Value pow(Value x, Value y) { return PowOp::create(b, loc, x, y); }
  Value scalarLike(Value like, double value) {
    return scalar(b, loc, cast<ShapedType>(like.getType()).getElementType(), value);
  }
  Value zerosLike(Value like) { return splat(b, loc, like.getType(), 0.0); }
  Value compare(ComparePredicate p, Value x, Value y) {
    return CompareOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value t, Value f) { return SelectOp::create(b, loc, c, t, f); }
  Value sumTo(Value x, Value like) { return sumToType(b, loc, x, like.getType()); }
  Value broadcastTo(Value x, Type type) { return broadcastToType(b, loc, x, type); }
  /// x * f'(input) for a unary op whose derivative is `derivative`.
  Value chain(Value x, Value derivative) { return x ? mul(x, derivative) : Value(); }
};

/// Reshapes a reduction's result (or cotangent) to the keepdim shape and
/// broadcasts it back over the reduced axes of `inputType`.
Value expandReduced(Emitter &e, Value value, RankedTensorType inputType,
                    ArrayRef<int64_t> axes) {
  SmallVector<int64_t> keepShape(inputType.getShape());
  for (int64_t axis : axes)
    keepShape[axis < 0 ? axis + inputType.getRank() : axis] = 1;
  auto keepType = RankedTensorType::get(
      keepShape, cast<ShapedType>(value.getType()).getElementType());
  if (value.getType() != keepType)
    value = ReshapeOp::create(e.b, e.loc, keepType, value);
  return e.broadcastTo(value, RankedTensorType::get(inputType.getShape(),
                                                    keepType.getElementType()));
}

/// Number of elements a reduction over `axes` combines (static shapes).
double reducedCount(RankedTensorType type, ArrayRef<int64_t> axes) {
  double count = 1;
  for (int64_t axis : axes)
    count *= type.getDimSize(axis < 0 ? axis + type.getRank() : axis);
  return count;
}

template <typename OpT>
Emitter emitterFor(OpBuilder &builder, OpT op) {
  return Emitter{builder, op.getLoc()};
}

} // namespace

//===----------------------------------------------------------------------===//
// Binary arithmetic
//===----------------------------------------------------------------------===//

SmallVector<Value> AddOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {e.sumTo(cts[0], getLhs()), e.sumTo(cts[0], getRhs())};
}
SmallVector<Value> AddOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value lhs = ts[0] ? e.broadcastTo(ts[0], getType()) : Value();
  Value rhs = ts[1] ? e.broadcastTo(ts[1], getType()) : Value();
  return {e.add(lhs, rhs)};
}

SmallVector<Value> SubOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {e.sumTo(cts[0], getLhs()), e.sumTo(e.neg(cts[0]), getRhs())};
}
SmallVector<Value> SubOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value lhs = ts[0] ? e.broadcastTo(ts[0], getType()) : Value();
  Value rhs = ts[1] ? e.broadcastTo(e.neg(ts[1]), getType()) : Value();
  return {e.add(lhs, rhs)};
}

SmallVector<Value> MulOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {e.sumTo(e.mul(cts[0], getRhs()), getLhs()),
          e.sumTo(e.mul(cts[0], getLhs()), getRhs())};
}
SmallVector<Value> MulOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value lhs = ts[0] ? e.broadcastTo(e.mul(ts[0], getRhs()), getType()) : Value();
  Value rhs = ts[1] ? e.broadcastTo(e.mul(getLhs(), ts[1]), getType()) : Value();
  return {e.add(lhs, rhs)};
}

// z = x / y: dz/dx = 1 / y, dz/dy = -z / y.
SmallVector<Value> DivOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  Value dx = e.div(cts[0], getRhs());
  return {e.sumTo(dx, getLhs()), e.sumTo(e.neg(e.mul(dx, getResult())), getRhs())};
}
SmallVector<Value> DivOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value lhs = ts[0] ? e.broadcastTo(e.div(ts[0], getRhs()), getType()) : Value();
  Value rhs = ts[1] ? e.neg(e.div(e.mul(ts[1], getResult()), getRhs())) : Value();
  return {e.add(lhs, rhs)};
}

// z = x ^ y: dz/dx = y x^(y-1), dz/dy = z ln x.
SmallVector<Value> PowOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  Value x = getLhs(), y = getRhs();
  Value dx = e.mul(y, e.pow(x, e.sub(y, e.scalarLike(y, 1.0))));
  return {e.sumTo(e.mul(cts[0], dx), x),
          e.sumTo(e.mul(cts[0], e.mul(getResult(), e.log(x))), y)};
}
SmallVector<Value> PowOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value x = getLhs(), y = getRhs();
  Value lhs, rhs;
  if (ts[0])
    lhs = e.broadcastTo(
        e.mul(ts[0], e.mul(y, e.pow(x, e.sub(y, e.scalarLike(y, 1.0))))), getType());
  if (ts[1])
    rhs = e.broadcastTo(e.mul(ts[1], e.mul(getResult(), e.log(x))), getType());
  return {e.add(lhs, rhs)};
}

/// The share of the cotangent that goes to the lhs of maximum/minimum: all of
/// it where lhs wins, half on ties (as PyTorch does), none where rhs wins.
static Value lhsShare(Emitter &e, ComparePredicate wins, Value lhs, Value rhs,
                      Value value) {
  Value half = e.mul(value, e.scalarLike(value, 0.5));
  Value zero = e.zerosLike(value);
  Value tie = e.select(e.compare(ComparePredicate::eq, lhs, rhs), half, zero);
  return e.select(e.compare(wins, lhs, rhs), value, tie);
}

template <typename OpT>
static SmallVector<Value> extremumVjp(OpT op, OpBuilder &builder, ValueRange cts,
                                      ComparePredicate wins) {
  Emitter e = emitterFor(builder, op);
  Value ct = cts[0];
  Value toLhs = lhsShare(e, wins, op.getLhs(), op.getRhs(), ct);
  return {e.sumTo(toLhs, op.getLhs()), e.sumTo(e.sub(ct, toLhs), op.getRhs())};
}

template <typename OpT>
static SmallVector<Value> extremumJvp(OpT op, OpBuilder &builder, ValueRange ts,
                                      ComparePredicate wins) {
  Emitter e = emitterFor(builder, op);
  Type type = op.getType();
  Value tl = ts[0] ? e.broadcastTo(ts[0], type) : e.zerosLike(op.getResult());
  Value tr = ts[1] ? e.broadcastTo(ts[1], type) : e.zerosLike(op.getResult());
  // lhsShare(tl) + (tr - lhsShare(tr)) selects tl, tr or their mean.
  Value fromLhs = lhsShare(e, wins, op.getLhs(), op.getRhs(), tl);
  Value fromRhs = e.sub(tr, lhsShare(e, wins, op.getLhs(), op.getRhs(), tr));
  return {e.add(fromLhs, fromRhs)};
}

SmallVector<Value> MaximumOp::vjp(OpBuilder &builder, ValueRange cts) {
  return extremumVjp(*this, builder, cts, ComparePredicate::gt);
}
SmallVector<Value> MaximumOp::jvp(OpBuilder &builder, ValueRange ts) {
  return extremumJvp(*this, builder, ts, ComparePredicate::gt);
}
SmallVector<Value> MinimumOp::vjp(OpBuilder &builder, ValueRange cts) {
  return extremumVjp(*this, builder, cts, ComparePredicate::lt);
}
SmallVector<Value> MinimumOp::jvp(OpBuilder &builder, ValueRange ts) {
  return extremumJvp(*this, builder, ts, ComparePredicate::lt);
}

//===----------------------------------------------------------------------===//
// Unary math: both rules multiply by f'(x) (TG_UnaryElementwiseOp), which
// each op builds here from its input x and result y.
//===----------------------------------------------------------------------===//

Value tg::scaleByDerivative(OpBuilder &builder, Location loc, Value value,
                            function_ref<Value()> derivative) {
  if (!value)
    return {};
  Value factor = derivative();
  return factor ? Value(MulOp::create(builder, loc, value, factor)) : Value();
}

Value NegOp::buildDerivative(OpBuilder &builder) {
  return emitterFor(builder, *this).scalarLike(getInput(), -1.0);
}
Value AbsOp::buildDerivative(OpBuilder &builder) {
  return emitterFor(builder, *this).sign(getInput());
}
// sign is piecewise constant: its derivative is zero almost everywhere.
Value SignOp::buildDerivative(OpBuilder &) { return {}; }

// Zero almost everywhere, as sign's.
Value RoundOp::buildDerivative(OpBuilder &) { return {}; }
Value ExpOp::buildDerivative(OpBuilder &) { return getResult(); }
Value LogOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  return e.div(e.scalarLike(getInput(), 1.0), getInput());
}
Value SqrtOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  return e.div(e.scalarLike(getInput(), 0.5), getResult());
}
// d/dx x^(-1/2) = -1/2 y / x
Value RsqrtOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  return e.div(e.mul(getResult(), e.scalarLike(getInput(), -0.5)), getInput());
}
// cos' = -sin, sin' = cos: each builds the other op on the same input.
Value CosOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  return e.neg(SinOp::create(builder, getLoc(), getInput()));
}
Value SinOp::buildDerivative(OpBuilder &builder) {
  return CosOp::create(builder, getLoc(), getInput());
}
Value TanhOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  Value y = getResult();
  return e.sub(e.scalarLike(y, 1.0), e.mul(y, y));
}
Value SigmoidOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  Value y = getResult();
  return e.mul(y, e.sub(e.scalarLike(y, 1.0), y));
}
// relu'(x) = [x > 0] = [relu(x) > 0]: from the result, so the backward
// does not keep the input alive (a linear layer's bias and relu then fuse
// into its GEMM's epilogue, which never writes the pre-activation).
Value ReluOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  Value y = getResult();
  return e.select(e.compare(ComparePredicate::gt, y, e.scalarLike(y, 0.0)), e.scalarLike(y, 1.0),
                  e.scalarLike(y, 0.0));
}
// silu'(x) = s (1 + x (1 - s)), s = sigmoid(x)
Value SiluOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  Value x = getInput(), s = e.sigmoid(x), one = e.scalarLike(x, 1.0);
  return e.mul(s, e.add(one, e.mul(x, e.sub(one, s))));
}
// erf'(x) = 2 / sqrt(pi) exp(-x^2)
Value ErfOp::buildDerivative(OpBuilder &builder) {
  Emitter e = emitterFor(builder, *this);
  Value x = getInput();
  return e.mul(e.scalarLike(x, 1.1283791670955125739), e.exp(e.neg(e.mul(x, x))));
}

// stop_gradient: the identity whose derivative is declared zero.
SmallVector<Value> StopGradientOp::vjp(OpBuilder &, ValueRange) { return {Value()}; }
SmallVector<Value> StopGradientOp::jvp(OpBuilder &, ValueRange) { return {Value()}; }

/// gelu'(x) for either formula.
static Value geluDerivative(Emitter &e, Value x, GeluApproximation approximation) {
  Value half = e.scalarLike(x, 0.5), one = e.scalarLike(x, 1.0);
  if (approximation == GeluApproximation::erf) {
    // Phi(x) + x phi(x)
    Value cdf = e.mul(half, e.add(one, e.erf(e.mul(x, e.scalarLike(x, M_SQRT1_2)))));
    Value pdf = e.mul(e.scalarLike(x, 0.39894228040143267794),
                      e.exp(e.mul(e.scalarLike(x, -0.5), e.mul(x, x))));
    return e.add(cdf, e.mul(x, pdf));
  }
  // u = c (x + k x^3), t = tanh(u):
  // 1/2 (1 + t) + 1/2 x (1 - t^2) c (1 + 3 k x^2)
  Value c = e.scalarLike(x, 0.79788456080286535588);
  Value k = e.scalarLike(x, 0.044715);
  Value x2 = e.mul(x, x);
  Value t = e.tanh(e.mul(c, e.add(x, e.mul(k, e.mul(x2, x)))));
  Value du = e.mul(c, e.add(one, e.mul(e.scalarLike(x, 3 * 0.044715), x2)));
  return e.add(e.mul(half, e.add(one, t)),
               e.mul(e.mul(half, x), e.mul(e.sub(one, e.mul(t, t)), du)));
}

SmallVector<Value> GeluOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {e.chain(cts[0], geluDerivative(e, getInput(), getApproximate()))};
}
SmallVector<Value> GeluOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  return {e.chain(ts[0], geluDerivative(e, getInput(), getApproximate()))};
}

// Float-to-float casts carry derivatives across precisions; anything
// involving integers has none.
static bool isFloatTensor(Type type) {
  return isa<FloatType>(cast<ShapedType>(type).getElementType());
}
SmallVector<Value> CastOp::vjp(OpBuilder &builder, ValueRange cts) {
  if (!cts[0] || !isFloatTensor(getInput().getType()) || !isFloatTensor(getType()))
    return {Value()};
  return {CastOp::create(builder, getLoc(), getInput().getType(), cts[0])};
}
SmallVector<Value> CastOp::jvp(OpBuilder &builder, ValueRange ts) {
  if (!ts[0] || !isFloatTensor(getInput().getType()) || !isFloatTensor(getType()))
    return {Value()};
  return {CastOp::create(builder, getLoc(), getType(), ts[0])};
}

//===----------------------------------------------------------------------===//
// Selection
//===----------------------------------------------------------------------===//

SmallVector<Value> SelectOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  Value ct = cts[0], zero = e.scalarLike(ct, 0.0);
  return {Value(), e.sumTo(e.select(getCondition(), ct, zero), getTrueValue()),
          e.sumTo(e.select(getCondition(), zero, ct), getFalseValue())};
}
SmallVector<Value> SelectOp::jvp(OpBuilder &builder, ValueRange ts) {
  if (!ts[1] && !ts[2])
    return {Value()};
  Emitter e = emitterFor(builder, *this);
  Value zero = e.scalarLike(getResult(), 0.0);
  return {e.select(getCondition(), ts[1] ? ts[1] : zero, ts[2] ? ts[2] : zero)};
}

//===----------------------------------------------------------------------===//
// Shapes and reductions
//===----------------------------------------------------------------------===//

SmallVector<Value> BroadcastToOp::vjp(OpBuilder &builder, ValueRange cts) {
  return {sumToType(builder, getLoc(), cts[0], getInput().getType())};
}
SmallVector<Value> BroadcastToOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {BroadcastToOp::create(builder, getLoc(), getType(), ts[0])};
}

SmallVector<Value> ReduceSumOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {expandReduced(e, cts[0], getInput().getType(), getAxes())};
}
SmallVector<Value> ReduceSumOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {ReduceSumOp::create(builder, getLoc(), getType(), ts[0], getAxes(),
                              getKeepdim())};
}

SmallVector<Value> ReduceMeanOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  double count = reducedCount(getInput().getType(), getAxes());
  Value scaled = e.mul(cts[0], e.scalarLike(cts[0], 1.0 / count));
  return {expandReduced(e, scaled, getInput().getType(), getAxes())};
}
SmallVector<Value> ReduceMeanOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {ReduceMeanOp::create(builder, getLoc(), getType(), ts[0], getAxes(),
                               getKeepdim())};
}

/// For reduce_max/min: the fraction of the derivative each input element
/// receives: 1/k on the k elements equal to the extremum, 0 elsewhere.
template <typename OpT>
static Value extremumWeights(Emitter &e, OpT op) {
  auto inputType = op.getInput().getType();
  Value extremum = expandReduced(e, op.getResult(), inputType, op.getAxes());
  Value hits = e.compare(ComparePredicate::eq, op.getInput(), extremum);
  Value mask = e.select(hits, e.scalarLike(extremum, 1.0), e.scalarLike(extremum, 0.0));
  Value counts = ReduceSumOp::create(e.b, e.loc, mask, op.getAxes(), /*keepdim=*/true);
  return e.div(mask, e.broadcastTo(counts, mask.getType()));
}

template <typename OpT>
static SmallVector<Value> extremumReduceVjp(OpT op, OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, op);
  Value spread = expandReduced(e, cts[0], op.getInput().getType(), op.getAxes());
  return {e.mul(spread, extremumWeights(e, op))};
}
template <typename OpT>
static SmallVector<Value> extremumReduceJvp(OpT op, OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, op);
  Value weighted = e.mul(ts[0], extremumWeights(e, op));
  return {ReduceSumOp::create(builder, op.getLoc(), op.getType(), weighted,
                              op.getAxes(), op.getKeepdim())};
}
SmallVector<Value> ReduceMaxOp::vjp(OpBuilder &b, ValueRange cts) { return extremumReduceVjp(*this, b, cts); }
SmallVector<Value> ReduceMaxOp::jvp(OpBuilder &b, ValueRange ts) { return extremumReduceJvp(*this, b, ts); }
SmallVector<Value> ReduceMinOp::vjp(OpBuilder &b, ValueRange cts) { return extremumReduceVjp(*this, b, cts); }
SmallVector<Value> ReduceMinOp::jvp(OpBuilder &b, ValueRange ts) { return extremumReduceJvp(*this, b, ts); }

// C = op(A) op(B) with op = transpose or identity. With G = dC:
//   C = A B      : dA = G B^T      dB = A^T G
//   C = A^T B    : dA = B G^T      dB = A G
//   C = A B^T    : dA = G B        dB = G^T A
//   C = A^T B^T  : dA = B^T G^T    dB = G^T A^T
// then batch dimensions that were broadcast are summed away.
SmallVector<Value> MatmulOp::vjp(OpBuilder &builder, ValueRange cts) {
  Location loc = getLoc();
  Value g = cts[0], a = getLhs(), b = getRhs();
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value da = ta ? MatmulOp::create(builder, loc, b, g, tb, true)
                : MatmulOp::create(builder, loc, g, b, false, !tb);
  Value db = tb ? MatmulOp::create(builder, loc, g, a, true, ta)
                : MatmulOp::create(builder, loc, a, g, !ta, false);
  return {sumToType(builder, loc, da, a.getType()),
          sumToType(builder, loc, db, b.getType())};
}
SmallVector<Value> MatmulOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  bool ta = getTransposeLhs(), tb = getTransposeRhs();
  Value lhs = ts[0] ? e.broadcastTo(MatmulOp::create(builder, getLoc(), ts[0], getRhs(), ta, tb), getType()) : Value();
  Value rhs = ts[1] ? e.broadcastTo(MatmulOp::create(builder, getLoc(), getLhs(), ts[1], ta, tb), getType()) : Value();
  return {e.add(lhs, rhs)};
}

SmallVector<Value> TransposeOp::vjp(OpBuilder &builder, ValueRange cts) {
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return {TransposeOp::create(builder, getLoc(), cts[0], inverse)};
}
SmallVector<Value> TransposeOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {TransposeOp::create(builder, getLoc(), ts[0], getPermutation())};
}

SmallVector<Value> ReshapeOp::vjp(OpBuilder &builder, ValueRange cts) {
  return {ReshapeOp::create(builder, getLoc(), getInput().getType(), cts[0])};
}
SmallVector<Value> ReshapeOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {ReshapeOp::create(builder, getLoc(), getType(), ts[0])};
}

// The cotangent of a strided slice scatters back into zeros: a pad whose
// interior padding puts step - 1 zeros between the taken elements.
SmallVector<Value> SliceOp::vjp(OpBuilder &builder, ValueRange cts) {
  auto inputType = getInput().getType();
  SmallVector<int64_t> step = getStrides(), high, interior;
  ArrayRef<int64_t> start = getStart();
  for (int64_t d = 0; d < inputType.getRank(); ++d) {
    int64_t count = getType().getDimSize(d);
    int64_t last = count == 0 ? start[d] - 1 : start[d] + (count - 1) * step[d];
    high.push_back(inputType.getDimSize(d) - last - 1);
    interior.push_back(count == 0 ? 0 : step[d] - 1);
  }
  Type element = inputType.getElementType();
  return {PadOp::create(builder, getLoc(), inputType, cts[0], start, high,
                        builder.getDenseI64ArrayAttr(interior),
                        builder.getFloatAttr(element, 0.0))};
}
SmallVector<Value> SliceOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {SliceOp::create(builder, getLoc(), getType(), ts[0], getStart(),
                          getLimit(), getStepAttr())};
}

// The cotangent of a pad is the slice that takes the original elements.
SmallVector<Value> PadOp::vjp(OpBuilder &builder, ValueRange cts) {
  auto inputType = getInput().getType();
  SmallVector<int64_t> limit, step;
  SmallVector<int64_t> interior = getInteriorOrZeros();
  for (int64_t d = 0; d < inputType.getRank(); ++d) {
    step.push_back(interior[d] + 1);
    int64_t size = inputType.getDimSize(d);
    limit.push_back(getLow()[d] + (size == 0 ? 0 : (size - 1) * step.back() + 1));
  }
  return {SliceOp::create(builder, getLoc(), inputType, cts[0], getLow(), limit,
                          builder.getDenseI64ArrayAttr(step)),
          /*padding value: a constant attribute, no operand*/};
}
SmallVector<Value> PadOp::jvp(OpBuilder &builder, ValueRange ts) {
  Type element = getType().getElementType();
  return {PadOp::create(builder, getLoc(), getType(), ts[0], getLowAttr(),
                        getHighAttr(), getInteriorAttr(),
                        builder.getFloatAttr(element, 0.0))};
}

SmallVector<Value> ConcatOp::vjp(OpBuilder &builder, ValueRange cts) {
  auto type = getType();
  int64_t rank = type.getRank();
  int64_t axis = int64_t(getAxis()) < 0 ? int64_t(getAxis()) + rank : int64_t(getAxis());
  SmallVector<Value> grads;
  int64_t offset = 0;
  for (Value input : getInputs()) {
    auto inputType = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> start(rank, 0), limit(type.getShape());
    start[axis] = offset;
    limit[axis] = offset + inputType.getDimSize(axis);
    offset = limit[axis];
    grads.push_back(SliceOp::create(builder, getLoc(), inputType, cts[0], start,
                                    limit, DenseI64ArrayAttr()));
  }
  return grads;
}
SmallVector<Value> ConcatOp::jvp(OpBuilder &builder, ValueRange ts) {
  SmallVector<Value> parts;
  for (auto [input, tangent] : llvm::zip(getInputs(), ts))
    parts.push_back(tangent ? tangent : splat(builder, getLoc(), input.getType(), 0.0));
  return {ConcatOp::create(builder, getLoc(), getType(), parts, getAxis())};
}

SmallVector<Value> GatherOp::vjp(OpBuilder &builder, ValueRange cts) {
  Value zeros = splat(builder, getLoc(), getInput().getType(), 0.0);
  return {ScatterAddOp::create(builder, getLoc(), getInput().getType(), zeros,
                               getIndices(), cts[0], getAxis()),
          Value()};
}
SmallVector<Value> GatherOp::jvp(OpBuilder &builder, ValueRange ts) {
  if (!ts[0])
    return {Value()};
  return {GatherOp::create(builder, getLoc(), getType(), ts[0], getIndices(), getAxis())};
}

/// The cotangent goes to each row's indexed element: one_hot(indices) times
/// the cotangent broadcast along the last dimension.
SmallVector<Value> TakeAlongOp::vjp(OpBuilder &builder, ValueRange cts) {
  Location loc = getLoc();
  auto inputType = cast<RankedTensorType>(getInput().getType());
  Value oneHot = OneHotOp::create(builder, loc, inputType, getIndices(),
                                  inputType.getShape().back());
  SmallVector<int64_t> rowShape(getType().getShape());
  rowShape.push_back(1);
  Value rows = ReshapeOp::create(
      builder, loc, RankedTensorType::get(rowShape, inputType.getElementType()), cts[0]);
  return {MulOp::create(builder, loc, oneHot, broadcastToType(builder, loc, rows, inputType)),
          Value()};
}
SmallVector<Value> TakeAlongOp::jvp(OpBuilder &builder, ValueRange ts) {
  if (!ts[0])
    return {Value()};
  return {TakeAlongOp::create(builder, getLoc(), getType(), ts[0], getIndices())};
}

SmallVector<Value> ScatterAddOp::vjp(OpBuilder &builder, ValueRange cts) {
  Value updates = GatherOp::create(builder, getLoc(), getUpdates().getType(), cts[0],
                                   getIndices(), getAxis());
  return {cts[0], Value(), updates};
}
SmallVector<Value> ScatterAddOp::jvp(OpBuilder &builder, ValueRange ts) {
  if (!ts[0] && !ts[2])
    return {Value()};
  Value base = ts[0] ? ts[0] : splat(builder, getLoc(), getType(), 0.0);
  Value updates = ts[2] ? ts[2] : splat(builder, getLoc(), getUpdates().getType(), 0.0);
  return {ScatterAddOp::create(builder, getLoc(), getType(), base, getIndices(),
                               updates, getAxis())};
}

//===----------------------------------------------------------------------===//
// Normalized exponentials
//===----------------------------------------------------------------------===//

/// sum(value, axis, keepdim) broadcast back to value's shape.
static Value sumAlong(Emitter &e, Value value, int64_t axis) {
  Value sum = ReduceSumOp::create(e.b, e.loc, value, {axis}, /*keepdim=*/true);
  return e.broadcastTo(sum, value.getType());
}

// y = softmax(x): dx = y (g - sum(g y))
SmallVector<Value> SoftmaxOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  Value y = getResult();
  return {e.mul(y, e.sub(cts[0], sumAlong(e, e.mul(cts[0], y), getAxis())))};
}
SmallVector<Value> SoftmaxOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  Value y = getResult();
  return {e.mul(y, e.sub(ts[0], sumAlong(e, e.mul(ts[0], y), getAxis())))};
}

// y = log_softmax(x): dx = g - exp(y) sum(g);  dy = t - sum(exp(y) t)
SmallVector<Value> LogSoftmaxOp::vjp(OpBuilder &builder, ValueRange cts) {
  Emitter e = emitterFor(builder, *this);
  return {e.sub(cts[0], e.mul(e.exp(getResult()), sumAlong(e, cts[0], getAxis())))};
}
SmallVector<Value> LogSoftmaxOp::jvp(OpBuilder &builder, ValueRange ts) {
  Emitter e = emitterFor(builder, *this);
  return {e.sub(ts[0], sumAlong(e, e.mul(e.exp(getResult()), ts[0]), getAxis()))};
}

//===----------------------------------------------------------------------===//
// Upstream tensor slices (external models)
//===----------------------------------------------------------------------===//

namespace {
/// y = x[offsets, sizes, strides]: the cotangent goes back into a zero tensor
/// of x's shape at the same place.
struct ExtractSliceDerivative
    : DifferentiableOpInterface::ExternalModel<ExtractSliceDerivative,
                                               tensor::ExtractSliceOp> {
  SmallVector<Value> vjp(Operation *op, OpBuilder &builder, ValueRange cts) const {
    auto slice = cast<tensor::ExtractSliceOp>(op);
    SmallVector<Value> grads(op->getNumOperands());
    Value zeros = splat(builder, op->getLoc(), slice.getSourceType(), 0.0);
    grads[0] = tensor::InsertSliceOp::create(
        builder, op->getLoc(), cts[0], zeros, slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides());
    return grads;
  }
  SmallVector<Value> jvp(Operation *op, OpBuilder &builder, ValueRange ts) const {
    auto slice = cast<tensor::ExtractSliceOp>(op);
    if (!ts[0])
      return {Value()};
    return {tensor::ExtractSliceOp::create(
        builder, op->getLoc(), slice.getType(), ts[0], slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides())};
  }
};

/// y = dest with source written at [offsets, sizes, strides]: the source's
/// cotangent is that window, the destination's is the rest.
struct InsertSliceDerivative
    : DifferentiableOpInterface::ExternalModel<InsertSliceDerivative,
                                               tensor::InsertSliceOp> {
  SmallVector<Value> vjp(Operation *op, OpBuilder &builder, ValueRange cts) const {
    auto slice = cast<tensor::InsertSliceOp>(op);
    Location loc = op->getLoc();
    SmallVector<Value> grads(op->getNumOperands());
    grads[0] = tensor::ExtractSliceOp::create(
        builder, loc, slice.getSourceType(), cts[0], slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides());
    Value zeros = splat(builder, loc, slice.getSourceType(), 0.0);
    grads[1] = tensor::InsertSliceOp::create(builder, loc, zeros, cts[0],
                                             slice.getMixedOffsets(),
                                             slice.getMixedSizes(),
                                             slice.getMixedStrides());
    return grads;
  }
  SmallVector<Value> jvp(Operation *op, OpBuilder &builder, ValueRange ts) const {
    auto slice = cast<tensor::InsertSliceOp>(op);
    if (!ts[0] && !ts[1])
      return {Value()};
    Location loc = op->getLoc();
    Value source = ts[0] ? ts[0] : splat(builder, loc, slice.getSourceType(), 0.0);
    Value dest = ts[1] ? ts[1] : splat(builder, loc, slice.getDestType(), 0.0);
    return {tensor::InsertSliceOp::create(builder, loc, source, dest,
                                          slice.getMixedOffsets(),
                                          slice.getMixedSizes(),
                                          slice.getMixedStrides())};
  }
};
} // namespace

void tg::registerDerivativeExternalModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, tensor::TensorDialect *) {
    tensor::ExtractSliceOp::attachInterface<ExtractSliceDerivative>(*context);
    tensor::InsertSliceOp::attachInterface<InsertSliceDerivative>(*context);
  });
}
