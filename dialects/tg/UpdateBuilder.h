//===- UpdateBuilder.h - building optimizer and transform rules -*- C++ -*-===//
//
// The pieces that optimizer updates and gradient transforms share: range
// checks of hyperparameters with uniform messages, and a builder of tg ops
// for update rules (moving averages, bias corrections, weight decay,
// scheduled hyperparameters).
//
//===----------------------------------------------------------------------===//

#ifndef TG_UPDATEBUILDER_H
#define TG_UPDATEBUILDER_H

#include "tg/Derivatives.h"
#include "tgc/Philox.h"

#include "llvm/ADT/Sequence.h"

#include <cmath>

namespace mlir::tg {

/// Checks an optimizer's hyperparameters in order and reports the first bad
/// one in the spec's terms: `#tg.adam needs beta2 in [0, 1), got 1`.
class HyperparameterCheck {
public:
  HyperparameterCheck(function_ref<InFlightDiagnostic()> emitError,
                      StringRef optimizer)
      : emitError(emitError), optimizer(optimizer) {}

  /// Finite and > 0: learning rates, eps. A schedule may pass through 0.
  HyperparameterCheck &positive(StringRef name, const Hyperparameter &value) {
    if (value.isScheduled())
      return inRange(name, value, "a finite " + name + " >= 0",
                     [](double v) { return std::isfinite(v) && v >= 0; });
    double v = value.convertToDouble();
    return check(std::isfinite(v) && v > 0, "a finite " + name + " > 0", v);
  }
  /// Finite and >= 0: weight decay and the like.
  HyperparameterCheck &nonNegative(StringRef name,
                                   const Hyperparameter &value) {
    return inRange(name, value, "a finite " + name + " >= 0",
                   [](double v) { return std::isfinite(v) && v >= 0; });
  }
  /// In [0, 1): the decay rate of a moving average (betas, momentum).
  HyperparameterCheck &decayRate(StringRef name, const Hyperparameter &value) {
    return inRange(name, value, name + " in [0, 1)",
                   [](double v) { return v >= 0 && v < 1; });
  }
  /// A number, not a schedule: hyperparameters that set initial state or
  /// that the rule needs when it is compiled.
  HyperparameterCheck &fixed(StringRef name, const Hyperparameter &value) {
    return require(!value.isScheduled(),
                   "takes a number, not a schedule, for " + name);
  }
  /// Any other rule, with its own message.
  HyperparameterCheck &require(bool ok, const Twine &message) {
    if (!failed && !ok) {
      emitError() << "#tg." << optimizer << " " << message;
      failed = true;
    }
    return *this;
  }

  operator LogicalResult() const { return failure(failed); }

  /// Every value of a number or schedule passes `ok`.
  HyperparameterCheck &inRange(StringRef name, const Hyperparameter &value,
                               const Twine &expected,
                               function_ref<bool(double)> ok) {
    for (double v : value.getRangeEnds())
      if (!ok(v))
        return check(false, expected + (value.isScheduled() ? " throughout its schedule" : ""), v);
    return *this;
  }
private:
  HyperparameterCheck &check(bool ok, const Twine &expected, double value) {
    return require(ok, "needs " + expected + ", got " + formatNumber(value));
  }

  function_ref<InFlightDiagnostic()> emitError;
  StringRef optimizer;
  bool failed = false;
};

/// Builds an update rule as tg ops. Tensor arithmetic is in the update's
/// element type; scalars that depend on the step (bias corrections, decayed
/// learning rates) are computed in f64 and rounded once, as PyTorch computes
/// them in Python floats, so that both round alike.
class UpdateBuilder {
public:
  UpdateBuilder(OpBuilder &builder, Location loc, Value param, Value step)
      : b(loc, builder), step(step),
        element(cast<ShapedType>(param.getType()).getElementType()) {}

  /// A rank-0 constant of the update's element type.
  Value constant(double value) { return scalar(b, b.getLoc(), element, value); }
  Value constant(const APFloat &value) {
    return constant(value.convertToDouble());
  }
  /// A hyperparameter in the update's element type: its number, or its
  /// schedule's value at this step rounded once.
  Value constant(const Hyperparameter &value) {
    if (value.isScheduled())
      return round(f64(value));
    return constant(value.convertToDouble());
  }
  /// -value in the update's element type.
  Value negated(const Hyperparameter &value) {
    if (value.isScheduled())
      return round(negatedF64(value));
    return constant(-value.convertToDouble());
  }
  /// 1 - value in the update's element type, computed in f64.
  Value oneMinus(const Hyperparameter &value) {
    if (value.isScheduled())
      return round(sub(f64(1.0), f64(value)));
    return constant(1 - value.convertToDouble());
  }

  Value add(Value x, Value y) { return AddOp::create(b, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, x, y); }
  Value mul(double x, Value y) { return mul(constant(x), y); }
  Value maximum(Value x, Value y) { return MaximumOp::create(b, x, y); }
  Value minimum(Value x, Value y) { return MinimumOp::create(b, x, y); }
  Value sqrt(Value x) { return SqrtOp::create(b, x); }
  Value abs(Value x) { return AbsOp::create(b, x); }
  Value sign(Value x) { return SignOp::create(b, x); }
  Value exp(Value x) { return ExpOp::create(b, x); }
  Value select(Value condition, Value x, Value y) {
    return SelectOp::create(b, condition, x, y);
  }
  Value compare(ComparePredicate predicate, Value x, Value y) {
    return CompareOp::create(b, predicate, x, y);
  }
  /// min(max(x, low), high), as torch.clamp.
  Value clamp(Value x, Value low, Value high) {
    return minimum(maximum(x, low), high);
  }
  /// PyTorch's torch.lerp, x + w (y - x), in the form exact at both ends:
  /// from x when w < 0.5, from y otherwise. `w` is a scalar.
  Value lerp(Value x, Value y, Value w) {
    Value difference = sub(y, x);
    Value fromX = add(x, mul(w, difference));
    Value fromY = sub(y, mul(difference, sub(constant(1.0), w)));
    return select(compare(ComparePredicate::lt, w, constant(0.5)), fromX,
                  fromY);
  }
  /// The sum of all elements of x, in f64: a statistic.
  Value sumAll(Value x) {
    auto axes = llvm::to_vector(
        llvm::seq<int64_t>(0, cast<ShapedType>(x.getType()).getRank()));
    return widen(ReduceSumOp::create(b, x, axes));
  }

  /// avg * beta + (1 - beta) * x: the exponential moving average of x.
  Value ema(Value avg, Value x, const Hyperparameter &beta) {
    return add(mul(avg, constant(beta)), mul(oneMinus(beta), x));
  }
  /// avg * beta + (1 - beta) * x * x: the moving average of the square.
  Value emaOfSquare(Value avg, Value x, const Hyperparameter &beta) {
    return add(mul(avg, constant(beta)), mul(mul(oneMinus(beta), x), x));
  }
  /// grad + weight_decay * param: L2 regularization through the gradient.
  Value addWeightDecay(Value grad, Value param,
                       const Hyperparameter &weightDecay) {
    if (weightDecay.isZero())
      return grad;
    return add(grad, mul(constant(weightDecay), param));
  }
  /// param * (1 - lr * weight_decay): decoupled weight decay.
  Value decayWeight(Value param, const Hyperparameter &lr,
                    const Hyperparameter &weightDecay) {
    if (weightDecay.isZero())
      return param;
    if (lr.isScheduled() || weightDecay.isScheduled())
      return mul(param, round(sub(f64(1.0), mul(f64(lr), f64(weightDecay)))));
    return mul(param, constant(1 - lr.convertToDouble() *
                                       weightDecay.convertToDouble()));
  }

  // Scalars of the step, in f64 (rank-0 tensors).

  Value f64(double value) {
    return scalar(b, b.getLoc(), b.getF64Type(), value);
  }
  Value f64(const APFloat &value) { return f64(value.convertToDouble()); }
  /// A hyperparameter's value at this step.
  Value f64(const Hyperparameter &value) {
    if (value.isScheduled())
      return value.getSchedule().buildValue(b, b.getLoc(), t());
    return f64(value.convertToDouble());
  }
  Value negatedF64(const Hyperparameter &value) {
    if (value.isScheduled())
      return mul(f64(-1.0), f64(value));
    return f64(-value.convertToDouble());
  }
  Value log(Value x) { return LogOp::create(b, x); }
  /// The step number t (1 on the first step).
  Value t() {
    if (!stepAsF64)
      stepAsF64 =
          CastOp::create(b, RankedTensorType::get({}, b.getF64Type()), step);
    return stepAsF64;
  }
  /// base^exponent.
  Value pow(Value base, Value exponent) {
    return PowOp::create(b, base, exponent);
  }
  Value pow(const Hyperparameter &base, Value exponent) {
    return pow(f64(base), exponent);
  }
  /// 1 - beta^t: corrects the bias of a moving average started at zero.
  Value biasCorrection(const Hyperparameter &beta) {
    return sub(f64(1.0), pow(beta, t()));
  }
  /// -lr / (1 - beta1^t), rounded: the factor of the bias-corrected first
  /// moment m in Adam-type steps p + factor * m / d.
  Value descentStepSize(const Hyperparameter &lr,
                        const Hyperparameter &beta1) {
    return round(div(negatedF64(lr), biasCorrection(beta1)));
  }
  /// lr * sqrt(1 - beta2^t) / (1 - beta1^t): Adam's step size with both
  /// bias corrections folded in, for rules written as
  /// p - step_size * m / (sqrt(v) + eps) (eps outside the correction).
  Value foldedStepSize(const Hyperparameter &lr, const Hyperparameter &beta1,
                       const Hyperparameter &beta2) {
    return div(mul(f64(lr), sqrt(biasCorrection(beta2))),
               biasCorrection(beta1));
  }
  /// `first` on the first step, `otherwise` after it: state that starts as a
  /// copy of the parameter.
  Value atFirstStep(Value first, Value otherwise) {
    Value one = scalar(b, b.getLoc(), b.getI64Type(), 1);
    return select(compare(ComparePredicate::eq, step, one), first, otherwise);
  }
  /// An f64 scalar rounded to the update's element type.
  Value round(Value value) { return convert(value, element); }
  /// A scalar of the update's element type, read back in f64.
  Value widen(Value value) { return convert(value, b.getF64Type()); }

private:
  Value convert(Value value, Type to) {
    if (cast<ShapedType>(value.getType()).getElementType() == to)
      return value;
    return CastOp::create(b, RankedTensorType::get({}, to), value);
  }

  ImplicitLocOpBuilder b;
  Value step;
  Type element;
  Value stepAsF64;
};


/// The Philox counter (an i64 tensor) of the random draws a rule makes for
/// parameter `name` at step `step`: `offset` into the parameter's own stream
/// (tgc::philoxStreamForName), plus (t - 1) * `blocksPerStep`, so every step
/// draws fresh blocks, the same on every target and after a resume.
inline Value buildStepPhiloxCounter(OpBuilder &builder, Location loc, StringRef name,
                                    uint64_t offset, int64_t blocksPerStep, Value step) {
  Type i64 = builder.getI64Type();
  uint64_t base = tgc::philoxStreamForName(name.str().c_str()) + offset;
  return AddOp::create(
      builder, loc, scalar(builder, loc, i64, double(base)),
      MulOp::create(builder, loc, SubOp::create(builder, loc, step, scalar(builder, loc, i64, 1)),
                    scalar(builder, loc, i64, double(blocksPerStep))));
}

} // namespace mlir::tg

#endif // TG_UPDATEBUILDER_H
