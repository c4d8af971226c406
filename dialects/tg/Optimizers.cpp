//===- Optimizers.cpp - optimizer attributes and their update rules -------===//
//
// Each optimizer attribute verifies its hyperparameters, names its state and
// builds its update as tg ops (OptimizerAttrInterface). The rules follow
// PyTorch's order of operations, so that a model trained by tgc rounds like
// the same model trained with torch.optim; the helpers below hold the pieces
// that optimizers share (moving averages, bias corrections, weight decay).
//
//===----------------------------------------------------------------------===//

#include "tg/Derivatives.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tg;

namespace {

/// Checks an optimizer's hyperparameters in order and reports the first bad
/// one in the spec's terms: `#tg.adam needs beta2 in [0, 1), got 1`.
class HyperparameterCheck {
public:
  HyperparameterCheck(function_ref<InFlightDiagnostic()> emitError,
                      StringRef optimizer)
      : emitError(emitError), optimizer(optimizer) {}

  /// Finite and > 0: learning rates, eps.
  HyperparameterCheck &positive(StringRef name, const APFloat &value) {
    double v = value.convertToDouble();
    return check(std::isfinite(v) && v > 0, "a finite " + name + " > 0", v);
  }
  /// Finite and >= 0: weight decay and the like.
  HyperparameterCheck &nonNegative(StringRef name, const APFloat &value) {
    double v = value.convertToDouble();
    return check(std::isfinite(v) && v >= 0, "a finite " + name + " >= 0", v);
  }
  /// In [0, 1): the decay rate of a moving average (betas, momentum).
  HyperparameterCheck &decayRate(StringRef name, const APFloat &value) {
    double v = value.convertToDouble();
    return check(v >= 0 && v < 1, name + " in [0, 1)", v);
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

  Value add(Value x, Value y) { return AddOp::create(b, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, x, y); }
  Value mul(double x, Value y) { return mul(constant(x), y); }
  Value maximum(Value x, Value y) { return MaximumOp::create(b, x, y); }
  Value sqrt(Value x) { return SqrtOp::create(b, x); }
  Value abs(Value x) { return AbsOp::create(b, x); }
  Value sign(Value x) { return SignOp::create(b, x); }

  /// avg * beta + (1 - beta) * x: the exponential moving average of x.
  Value ema(Value avg, Value x, const APFloat &beta) {
    double value = beta.convertToDouble();
    return add(mul(avg, constant(value)), mul(1 - value, x));
  }
  /// avg * beta + (1 - beta) * x * x: the moving average of the square.
  Value emaOfSquare(Value avg, Value x, const APFloat &beta) {
    double value = beta.convertToDouble();
    return add(mul(avg, constant(value)), mul(mul(1 - value, x), x));
  }
  /// grad + weight_decay * param: L2 regularization through the gradient.
  Value addWeightDecay(Value grad, Value param, const APFloat &weightDecay) {
    if (weightDecay.isZero())
      return grad;
    return add(grad, mul(constant(weightDecay), param));
  }
  /// param * (1 - lr * weight_decay): decoupled weight decay.
  Value decayWeight(Value param, const APFloat &lr,
                    const APFloat &weightDecay) {
    if (weightDecay.isZero())
      return param;
    return mul(param, constant(1 - lr.convertToDouble() *
                                       weightDecay.convertToDouble()));
  }

  // Scalars of the step, in f64 (rank-0 tensors).

  Value f64(double value) {
    return scalar(b, b.getLoc(), b.getF64Type(), value);
  }
  Value f64(const APFloat &value) { return f64(value.convertToDouble()); }
  /// The step number t (1 on the first step).
  Value t() {
    if (!stepAsF64)
      stepAsF64 =
          CastOp::create(b, RankedTensorType::get({}, b.getF64Type()), step);
    return stepAsF64;
  }
  /// base^exponent.
  Value pow(const APFloat &base, Value exponent) {
    return PowOp::create(b, f64(base), exponent);
  }
  /// 1 - beta^t: corrects the bias of a moving average started at zero.
  Value biasCorrection(const APFloat &beta) {
    return sub(f64(1.0), pow(beta, t()));
  }
  /// -lr / (1 - beta1^t), rounded: the factor of the bias-corrected first
  /// moment m in Adam-type steps p + factor * m / d.
  Value descentStepSize(const APFloat &lr, const APFloat &beta1) {
    return round(div(f64(-lr.convertToDouble()), biasCorrection(beta1)));
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

} // namespace

//===----------------------------------------------------------------------===//
// SGD
//===----------------------------------------------------------------------===//

LogicalResult SGDAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat lr, APFloat momentum, bool nesterov,
                              APFloat weightDecay) {
  return HyperparameterCheck(emitError, "sgd")
      .positive("lr", lr)
      .decayRate("momentum", momentum)
      .require(!nesterov || !momentum.isZero(),
               "with nesterov = true needs momentum > 0")
      .nonNegative("weight_decay", weightDecay);
}

SmallVector<OptimizerStateSlot> SGDAttr::getStateSlots() const {
  if (getMomentum().isZero())
    return {};
  return {{"momentum_buffer"}};
}

// PyTorch's torch.optim.SGD with dampening 0. The momentum buffer starts at
// zero, so momentum * 0 + g reproduces PyTorch's first step (buffer = g).
SmallVector<Value> SGDAttr::buildUpdate(OpBuilder &builder, Location loc,
                                        Value param, Value grad,
                                        ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  SmallVector<Value> results = {Value()};
  if (!getMomentum().isZero()) {
    Value momentum = u.constant(getMomentum());
    Value buffer = u.add(u.mul(momentum, state[0]), g);
    g = getNesterov() ? u.add(g, u.mul(momentum, buffer)) : buffer;
    results.push_back(buffer);
  }
  results[0] = u.sub(param, u.mul(u.constant(getLr()), g));
  return results;
}

//===----------------------------------------------------------------------===//
// Adam, AdamW
//===----------------------------------------------------------------------===//

static LogicalResult verifyAdam(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, APFloat lr, APFloat beta1,
                                APFloat beta2, APFloat eps,
                                APFloat weightDecay) {
  return HyperparameterCheck(emitError, name)
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay);
}

static SmallVector<OptimizerStateSlot> adamSlots(bool amsgrad) {
  SmallVector<OptimizerStateSlot> slots = {{"exp_avg"}, {"exp_avg_sq"}};
  if (amsgrad)
    slots.push_back({"max_exp_avg_sq"});
  return slots;
}

/// sqrt(v) / sqrt(1 - beta2^t) + eps: the bias-corrected root of the second
/// moment, Adam's denominator.
static Value adamDenominator(UpdateBuilder &u, Value v, const APFloat &beta2,
                             const APFloat &eps) {
  Value correction = u.round(u.sqrt(u.biasCorrection(beta2)));
  return u.add(u.div(u.sqrt(v), correction), u.constant(eps));
}

/// Adam (decoupled = false, weight decay through the gradient) and AdamW,
/// as torch.optim.Adam and AdamW compute them.
static SmallVector<Value>
buildAdamUpdate(UpdateBuilder &u, Value param, Value grad, ValueRange state,
                APFloat lr, APFloat beta1, APFloat beta2, APFloat eps,
                APFloat weightDecay, bool amsgrad, bool decoupled) {
  Value p = param, g = grad;
  if (decoupled)
    p = u.decayWeight(param, lr, weightDecay);
  else
    g = u.addWeightDecay(grad, param, weightDecay);
  Value m = u.ema(state[0], g, beta1);
  Value v = u.emaOfSquare(state[1], g, beta2);
  SmallVector<Value> results = {Value(), m, v};
  if (amsgrad) {
    v = u.maximum(state[2], v);
    results.push_back(v);
  }
  // p - lr / (1 - beta1^t) * m / d, as p + (-step_size * m) / d.
  Value stepSize = u.descentStepSize(lr, beta1);
  results[0] =
      u.add(p, u.div(u.mul(stepSize, m), adamDenominator(u, v, beta2, eps)));
  return results;
}

LogicalResult AdamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat lr, APFloat beta1, APFloat beta2,
                               APFloat eps, APFloat weightDecay, bool) {
  return verifyAdam(emitError, "adam", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamAttr::getStateSlots() const {
  return adamSlots(getAmsgrad());
}

SmallVector<Value> AdamAttr::buildUpdate(OpBuilder &builder, Location loc,
                                         Value param, Value grad,
                                         ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  return buildAdamUpdate(u, param, grad, state, getLr(), getBeta1(), getBeta2(),
                         getEps(), getWeightDecay(), getAmsgrad(),
                         /*decoupled=*/false);
}

LogicalResult AdamWAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat lr, APFloat beta1, APFloat beta2,
                                APFloat eps, APFloat weightDecay, bool) {
  return verifyAdam(emitError, "adamw", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamWAttr::getStateSlots() const {
  return adamSlots(getAmsgrad());
}

SmallVector<Value> AdamWAttr::buildUpdate(OpBuilder &builder, Location loc,
                                          Value param, Value grad,
                                          ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  return buildAdamUpdate(u, param, grad, state, getLr(), getBeta1(), getBeta2(),
                         getEps(), getWeightDecay(), getAmsgrad(),
                         /*decoupled=*/true);
}

//===----------------------------------------------------------------------===//
// Adamax
//===----------------------------------------------------------------------===//

LogicalResult AdamaxAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 APFloat lr, APFloat beta1, APFloat beta2,
                                 APFloat eps, APFloat weightDecay) {
  return verifyAdam(emitError, "adamax", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamaxAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_inf"}};
}

// torch.optim.Adamax: eps inside the maximum keeps u > 0 from the first step.
SmallVector<Value> AdamaxAttr::buildUpdate(OpBuilder &builder, Location loc,
                                           Value param, Value grad,
                                           ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value m = u.ema(state[0], g, getBeta1());
  Value norm = u.maximum(u.mul(state[1], u.constant(getBeta2())),
                         u.add(u.abs(g), u.constant(getEps())));
  Value stepSize = u.descentStepSize(getLr(), getBeta1());
  return {u.add(param, u.div(u.mul(stepSize, m), norm)), m, norm};
}

//===----------------------------------------------------------------------===//
// Adagrad
//===----------------------------------------------------------------------===//

LogicalResult AdagradAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  APFloat lr, APFloat lrDecay,
                                  APFloat weightDecay,
                                  APFloat initialAccumulatorValue,
                                  APFloat eps) {
  return HyperparameterCheck(emitError, "adagrad")
      .positive("lr", lr)
      .nonNegative("lr_decay", lrDecay)
      .nonNegative("weight_decay", weightDecay)
      .nonNegative("initial_accumulator_value", initialAccumulatorValue)
      .positive("eps", eps);
}

SmallVector<OptimizerStateSlot> AdagradAttr::getStateSlots() const {
  return {{"sum", getInitialAccumulatorValue().convertToDouble()}};
}

SmallVector<Value> AdagradAttr::buildUpdate(OpBuilder &builder, Location loc,
                                            Value param, Value grad,
                                            ValueRange state,
                                            Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value sum = u.add(state[0], u.mul(g, g));
  Value std = u.add(u.sqrt(sum), u.constant(getEps()));
  // -lr / (1 + (t - 1) * lr_decay)
  Value clr = u.f64(-getLr().convertToDouble());
  if (!getLrDecay().isZero())
    clr = u.div(clr, u.add(u.f64(1.0), u.mul(u.sub(u.t(), u.f64(1.0)),
                                             u.f64(getLrDecay()))));
  return {u.add(param, u.div(u.mul(u.round(clr), g), std)), sum};
}

//===----------------------------------------------------------------------===//
// RMSprop
//===----------------------------------------------------------------------===//

LogicalResult RMSpropAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  APFloat lr, APFloat alpha, APFloat eps,
                                  APFloat weightDecay, APFloat momentum, bool) {
  return HyperparameterCheck(emitError, "rmsprop")
      .positive("lr", lr)
      .decayRate("alpha", alpha)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay)
      .decayRate("momentum", momentum);
}

SmallVector<OptimizerStateSlot> RMSpropAttr::getStateSlots() const {
  SmallVector<OptimizerStateSlot> slots = {{"square_avg"}};
  if (!getMomentum().isZero())
    slots.push_back({"momentum_buffer"});
  if (getCentered())
    slots.push_back({"grad_avg"});
  return slots;
}

SmallVector<Value> RMSpropAttr::buildUpdate(OpBuilder &builder, Location loc,
                                            Value param, Value grad,
                                            ValueRange state,
                                            Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  bool momentum = !getMomentum().isZero();
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value squareAvg = u.emaOfSquare(state[0], g, getAlpha());
  SmallVector<Value> results = {Value(), squareAvg};
  Value variance = squareAvg;
  if (getCentered()) {
    Value gradAvg = u.ema(state[momentum ? 2 : 1], g, getAlpha());
    variance = u.sub(squareAvg, u.mul(gradAvg, gradAvg));
    results.push_back(gradAvg);
  }
  Value avg = u.add(u.sqrt(variance), u.constant(getEps()));
  Value lr = u.constant(-getLr().convertToDouble());
  if (momentum) {
    Value buffer =
        u.add(u.mul(state[1], u.constant(getMomentum())), u.div(g, avg));
    results.insert(results.begin() + 2, buffer);
    results[0] = u.add(param, u.mul(lr, buffer));
  } else {
    results[0] = u.add(param, u.div(u.mul(lr, g), avg));
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Lion
//===----------------------------------------------------------------------===//

LogicalResult LionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat lr, APFloat beta1, APFloat beta2,
                               APFloat weightDecay) {
  return HyperparameterCheck(emitError, "lion")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .nonNegative("weight_decay", weightDecay);
}

SmallVector<OptimizerStateSlot> LionAttr::getStateSlots() const {
  return {{"exp_avg"}};
}

// The update's direction is the sign of an interpolation that weighs the
// gradient more (beta1) than the momentum kept for the next step (beta2).
SmallVector<Value> LionAttr::buildUpdate(OpBuilder &builder, Location loc,
                                         Value param, Value grad,
                                         ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  Value p = u.decayWeight(param, getLr(), getWeightDecay());
  Value direction = u.sign(u.ema(state[0], grad, getBeta1()));
  p = u.add(p, u.mul(u.constant(-getLr().convertToDouble()), direction));
  return {p, u.ema(state[0], grad, getBeta2())};
}

//===----------------------------------------------------------------------===//
// NAdam
//===----------------------------------------------------------------------===//

LogicalResult NAdamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat lr, APFloat beta1, APFloat beta2,
                                APFloat eps, APFloat weightDecay,
                                APFloat momentumDecay) {
  return HyperparameterCheck(emitError, "nadam")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay)
      .nonNegative("momentum_decay", momentumDecay);
}

SmallVector<OptimizerStateSlot> NAdamAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_avg_sq"}, {"mu_product", 1.0, /*scalar=*/true}};
}

// As torch.optim.NAdam's multi-tensor path (the paper's rule): two steps,
// along the gradient and along the momentum, each with its own Nesterov
// coefficient.
SmallVector<Value> NAdamAttr::buildUpdate(OpBuilder &builder, Location loc,
                                          Value param, Value grad,
                                          ValueRange state, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  double beta1 = getBeta1().convertToDouble(), lr = getLr().convertToDouble();
  // mu(s) = beta1 * (1 - 0.5 * 0.96^(s * momentum_decay)), for s = t, t + 1.
  auto mu = [&](Value s) {
    Value decay = u.pow(APFloat(0.96), u.mul(s, u.f64(getMomentumDecay())));
    return u.mul(u.f64(beta1), u.sub(u.f64(1.0), u.mul(u.f64(0.5), decay)));
  };
  Value muNow = mu(u.t()), muNext = mu(u.add(u.t(), u.f64(1.0)));
  // The running product is state in the update's type; the coefficients
  // read it back in f64.
  Value product = u.mul(state[2], u.round(muNow));
  Value productF64 = u.widen(product);
  Value one = u.f64(1.0);
  Value gradStep =
      u.div(u.mul(u.f64(-lr), u.sub(one, muNow)), u.sub(one, productF64));
  Value momentumStep =
      u.div(u.mul(u.f64(-lr), muNext), u.sub(one, u.mul(productF64, muNext)));

  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value m = u.ema(state[0], g, getBeta1());
  Value v = u.emaOfSquare(state[1], g, getBeta2());
  Value denom = adamDenominator(u, v, getBeta2(), getEps());
  Value p = u.add(param, u.div(u.mul(u.round(gradStep), g), denom));
  p = u.add(p, u.div(u.mul(u.round(momentumStep), m), denom));
  return {p, m, v, product};
}
