//===- Optimizers.cpp - optimizer attributes and their update rules -------===//
//
// Each optimizer attribute verifies its hyperparameters, names its state and
// builds its update as tg ops (OptimizerAttrInterface). The rules follow
// PyTorch's order of operations, so that a model trained by tgc rounds like
// the same model trained with torch.optim; the helpers below hold the pieces
// that optimizers share (moving averages, bias corrections, weight decay).
//
//===----------------------------------------------------------------------===//

#include "tg/UpdateBuilder.h"


#include <cmath>

using namespace mlir;
using namespace mlir::tg;


//===----------------------------------------------------------------------===//
// SGD
//===----------------------------------------------------------------------===//

LogicalResult SGDAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              Hyperparameter lr, Hyperparameter momentum, bool nesterov,
                              Hyperparameter weightDecay) {
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
                                        ValueRange state, ValueRange,
                                        ValueRange, Value step, Value) const {
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
                                StringRef name, Hyperparameter lr, Hyperparameter beta1,
                                Hyperparameter beta2, Hyperparameter eps,
                                Hyperparameter weightDecay) {
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
static Value adamDenominator(UpdateBuilder &u, Value v, const Hyperparameter &beta2,
                             const Hyperparameter &eps) {
  Value correction = u.round(u.sqrt(u.biasCorrection(beta2)));
  return u.add(u.div(u.sqrt(v), correction), u.constant(eps));
}

/// Adam (decoupled = false, weight decay through the gradient) and AdamW,
/// as torch.optim.Adam and AdamW compute them.
static SmallVector<Value>
buildAdamUpdate(UpdateBuilder &u, Value param, Value grad, ValueRange state,
                Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2, Hyperparameter eps,
                Hyperparameter weightDecay, bool amsgrad, bool decoupled) {
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
                               Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                               Hyperparameter eps, Hyperparameter weightDecay, bool) {
  return verifyAdam(emitError, "adam", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamAttr::getStateSlots() const {
  return adamSlots(getAmsgrad());
}

SmallVector<Value> AdamAttr::buildUpdate(OpBuilder &builder, Location loc,
                                         Value param, Value grad,
                                         ValueRange state, ValueRange,
                                         ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  return buildAdamUpdate(u, param, grad, state, getLr(), getBeta1(), getBeta2(),
                         getEps(), getWeightDecay(), getAmsgrad(),
                         /*decoupled=*/false);
}

LogicalResult AdamWAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                Hyperparameter eps, Hyperparameter weightDecay, bool) {
  return verifyAdam(emitError, "adamw", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamWAttr::getStateSlots() const {
  return adamSlots(getAmsgrad());
}

SmallVector<Value> AdamWAttr::buildUpdate(OpBuilder &builder, Location loc,
                                          Value param, Value grad,
                                          ValueRange state, ValueRange,
                                          ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  return buildAdamUpdate(u, param, grad, state, getLr(), getBeta1(), getBeta2(),
                         getEps(), getWeightDecay(), getAmsgrad(),
                         /*decoupled=*/true);
}

//===----------------------------------------------------------------------===//
// AdaHessian
//===----------------------------------------------------------------------===//

LogicalResult AdaHessianAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     Hyperparameter lr, Hyperparameter beta1,
                                     Hyperparameter beta2, Hyperparameter eps,
                                     Hyperparameter weightDecay,
                                     Hyperparameter hessianPower, int64_t seed) {
  return HyperparameterCheck(emitError, "adahessian")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay)
      .inRange("hessian_power", hessianPower, "hessian_power in [0, 1]",
               [](double v) { return v >= 0 && v <= 1; })
      .require(seed >= 0, "needs a seed >= 0, got " + std::to_string(seed));
}

SmallVector<OptimizerStateSlot> AdaHessianAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_hessian_diag_sq"}};
}

// Rademacher probes: +1 where a Philox uniform (drawn in f32, which holds
// its 24 bits exactly) is at least 1/2, i.e. where bit 31 of its lane is
// set. Step t reads ceil(n / 4) blocks at stream + 3 * 2^30 + (t - 1) *
// ceil(n / 4): the parameter's stream above its initializer's draws and
// gradient noise's.
Value AdaHessianAttr::buildHessianProbe(OpBuilder &builder, Location loc,
                                        RankedTensorType type, Value step,
                                        StringRef name) const {
  Value counter = buildStepPhiloxCounter(builder, loc, name, 3 * (uint64_t(1) << 30),
                                         (type.getNumElements() + 3) / 4, step);
  Value seed = scalar(builder, loc, builder.getI64Type(), double(getSeed()));
  Value uniform = RandomOp::create(builder, loc, type.clone(builder.getF32Type()),
                                   Distribution::uniform, seed, counter);
  Value half = scalar(builder, loc, builder.getF32Type(), 0.5);
  Value upper = CompareOp::create(builder, loc, ComparePredicate::ge, uniform, half);
  Type element = type.getElementType();
  return SelectOp::create(builder, loc, upper, scalar(builder, loc, element, 1.0),
                          scalar(builder, loc, element, -1.0));
}

// timm's Adahessian (decoupled weight decay first, then Adam with D * D in
// the second moment), in PyTorch's order of operations.
SmallVector<Value> AdaHessianAttr::buildUpdate(OpBuilder &builder, Location loc,
                                               Value param, Value grad,
                                               ValueRange state, ValueRange,
                                               ValueRange, Value step,
                                               Value hessianDiagonal) const {
  UpdateBuilder u(builder, loc, param, step);
  Value d = hessianDiagonal;
  // Convolution kernels [out, in, k...]: |D| averaged over each kernel's
  // spatial block, as the paper does; vectors and matrices have blocks of
  // one element, where |D| squares to the same as D.
  auto type = cast<RankedTensorType>(d.getType());
  if (type.getRank() >= 3) {
    auto spatial = llvm::to_vector(llvm::seq<int64_t>(2, type.getRank()));
    Value mean = ReduceMeanOp::create(builder, loc, u.abs(d), spatial, /*keepdim=*/true);
    d = BroadcastToOp::create(builder, loc, type, mean);
  }
  Value p = u.decayWeight(param, getLr(), getWeightDecay());
  Value m = u.ema(state[0], grad, getBeta1());
  Value v = u.emaOfSquare(state[1], d, getBeta2());
  // (v / (1 - beta2^t))^(k/2) + eps; PyTorch takes the power 1/2 as a sqrt.
  Value corrected = u.div(v, u.round(u.biasCorrection(getBeta2())));
  const Hyperparameter &power = getHessianPower();
  Value scaled =
      !power.isScheduled() && power.convertToDouble() == 1.0
          ? u.sqrt(corrected)
          : u.pow(corrected, u.round(u.mul(u.f64(power), u.f64(0.5))));
  Value denominator = u.add(scaled, u.constant(getEps()));
  Value stepSize = u.descentStepSize(getLr(), getBeta1());
  return {u.add(p, u.div(u.mul(stepSize, m), denominator)), m, v};
}

//===----------------------------------------------------------------------===//
// Adamax
//===----------------------------------------------------------------------===//

LogicalResult AdamaxAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                 Hyperparameter eps, Hyperparameter weightDecay) {
  return verifyAdam(emitError, "adamax", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> AdamaxAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_inf"}};
}

// torch.optim.Adamax: eps inside the maximum keeps u > 0 from the first step.
SmallVector<Value> AdamaxAttr::buildUpdate(OpBuilder &builder, Location loc,
                                           Value param, Value grad,
                                           ValueRange state, ValueRange,
                                           ValueRange, Value step, Value) const {
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
                                  Hyperparameter lr, Hyperparameter lrDecay,
                                  Hyperparameter weightDecay,
                                  Hyperparameter initialAccumulatorValue,
                                  Hyperparameter eps) {
  return HyperparameterCheck(emitError, "adagrad")
      .positive("lr", lr)
      .nonNegative("lr_decay", lrDecay)
      .nonNegative("weight_decay", weightDecay)
      .fixed("initial_accumulator_value", initialAccumulatorValue)
      .nonNegative("initial_accumulator_value", initialAccumulatorValue)
      .positive("eps", eps);
}

SmallVector<OptimizerStateSlot> AdagradAttr::getStateSlots() const {
  return {{"sum", getInitialAccumulatorValue().convertToDouble()}};
}

SmallVector<Value> AdagradAttr::buildUpdate(OpBuilder &builder, Location loc,
                                            Value param, Value grad,
                                            ValueRange state, ValueRange,
                                            ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value sum = u.add(state[0], u.mul(g, g));
  Value std = u.add(u.sqrt(sum), u.constant(getEps()));
  // -lr / (1 + (t - 1) * lr_decay)
  Value clr = u.negatedF64(getLr());
  if (!getLrDecay().isZero())
    clr = u.div(clr, u.add(u.f64(1.0), u.mul(u.sub(u.t(), u.f64(1.0)),
                                             u.f64(getLrDecay()))));
  return {u.add(param, u.div(u.mul(u.round(clr), g), std)), sum};
}

//===----------------------------------------------------------------------===//
// RMSprop
//===----------------------------------------------------------------------===//

LogicalResult RMSpropAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  Hyperparameter lr, Hyperparameter alpha, Hyperparameter eps,
                                  Hyperparameter weightDecay, Hyperparameter momentum, bool) {
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
                                            ValueRange state, ValueRange,
                                            ValueRange, Value step, Value) const {
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
  Value lr = u.negated(getLr());
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
                               Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                               Hyperparameter weightDecay) {
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
                                         ValueRange state, ValueRange,
                                         ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value p = u.decayWeight(param, getLr(), getWeightDecay());
  Value direction = u.sign(u.ema(state[0], grad, getBeta1()));
  p = u.add(p, u.mul(u.negated(getLr()), direction));
  return {p, u.ema(state[0], grad, getBeta2())};
}

//===----------------------------------------------------------------------===//
// NAdam
//===----------------------------------------------------------------------===//

LogicalResult NAdamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                Hyperparameter eps, Hyperparameter weightDecay,
                                Hyperparameter momentumDecay) {
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
                                          ValueRange state, ValueRange,
                                          ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value beta1 = u.f64(getBeta1()), lr = u.negatedF64(getLr());
  // mu(s) = beta1 * (1 - 0.5 * 0.96^(s * momentum_decay)), for s = t, t + 1.
  auto mu = [&](Value s) {
    Value decay = u.pow(APFloat(0.96), u.mul(s, u.f64(getMomentumDecay())));
    return u.mul(beta1, u.sub(u.f64(1.0), u.mul(u.f64(0.5), decay)));
  };
  Value muNow = mu(u.t()), muNext = mu(u.add(u.t(), u.f64(1.0)));
  // The running product is state in the update's type; the coefficients
  // read it back in f64.
  Value product = u.mul(state[2], u.round(muNow));
  Value productF64 = u.widen(product);
  Value one = u.f64(1.0);
  Value gradStep =
      u.div(u.mul(lr, u.sub(one, muNow)), u.sub(one, productF64));
  Value momentumStep =
      u.div(u.mul(lr, muNext), u.sub(one, u.mul(productF64, muNext)));

  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value m = u.ema(state[0], g, getBeta1());
  Value v = u.emaOfSquare(state[1], g, getBeta2());
  Value denom = adamDenominator(u, v, getBeta2(), getEps());
  Value p = u.add(param, u.div(u.mul(u.round(gradStep), g), denom));
  p = u.add(p, u.div(u.mul(u.round(momentumStep), m), denom));
  return {p, m, v, product};
}

//===----------------------------------------------------------------------===//
// diffGrad
//===----------------------------------------------------------------------===//

LogicalResult DiffGradAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                   Hyperparameter eps, Hyperparameter weightDecay) {
  return verifyAdam(emitError, "diffgrad", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> DiffGradAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_avg_sq"}, {"previous_grad"}};
}

SmallVector<Value> DiffGradAttr::buildUpdate(OpBuilder &builder, Location loc,
                                             Value param, Value grad,
                                             ValueRange state, ValueRange,
                                             ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value m = u.ema(state[0], g, getBeta1());
  Value v = u.emaOfSquare(state[1], g, getBeta2());
  Value denom = u.add(u.sqrt(v), u.constant(getEps()));
  // The friction 1 / (1 + exp(-|g_prev - g|)): 1/2 where the gradient holds
  // still, toward 1 where it changes fast.
  Value change = u.abs(u.sub(state[2], g));
  Value friction = u.div(u.constant(1.0),
                         u.add(u.constant(1.0), u.exp(u.mul(-1.0, change))));
  Value stepSize = u.round(
      u.mul(u.f64(-1.0), u.foldedStepSize(getLr(), getBeta1(), getBeta2())));
  Value p = u.add(param, u.div(u.mul(stepSize, u.mul(m, friction)), denom));
  return {p, m, v, g};
}

//===----------------------------------------------------------------------===//
// AdaBound
//===----------------------------------------------------------------------===//

LogicalResult AdaBoundAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                   Hyperparameter finalLr, Hyperparameter gamma, Hyperparameter eps,
                                   Hyperparameter weightDecay, bool) {
  return HyperparameterCheck(emitError, "adabound")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .positive("final_lr", finalLr)
      .decayRate("gamma", gamma)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay);
}

SmallVector<OptimizerStateSlot> AdaBoundAttr::getStateSlots() const {
  return adamSlots(getAmsbound());
}

SmallVector<Value> AdaBoundAttr::buildUpdate(OpBuilder &builder, Location loc,
                                             Value param, Value grad,
                                             ValueRange state, ValueRange,
                                             ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value m = u.ema(state[0], g, getBeta1());
  Value v = u.emaOfSquare(state[1], g, getBeta2());
  SmallVector<Value> results = {Value(), m, v};
  if (getAmsbound()) {
    v = u.maximum(state[2], v);
    results.push_back(v);
  }
  Value denom = u.add(u.sqrt(v), u.constant(getEps()));
  // Bounds final_lr * (1 -+ 1 / (gamma * t (+ 1))), both tending to final_lr.
  Value finalLr = u.f64(getFinalLr()), one = u.f64(1.0);
  Value gammaT = u.mul(u.f64(getGamma()), u.t());
  Value low = u.mul(finalLr, u.sub(one, u.div(one, u.add(gammaT, one))));
  Value high = u.mul(finalLr, u.add(one, u.div(one, gammaT)));
  Value stepSize = u.round(u.foldedStepSize(getLr(), getBeta1(), getBeta2()));
  Value eta = u.clamp(u.div(stepSize, denom), u.round(low), u.round(high));
  results[0] = u.sub(param, u.mul(eta, m));
  return results;
}

//===----------------------------------------------------------------------===//
// AdaMod
//===----------------------------------------------------------------------===//

LogicalResult AdaModAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                 Hyperparameter beta3, Hyperparameter eps,
                                 Hyperparameter weightDecay) {
  return HyperparameterCheck(emitError, "adamod")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .decayRate("beta3", beta3)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay);
}

SmallVector<OptimizerStateSlot> AdaModAttr::getStateSlots() const {
  return {{"exp_avg"}, {"exp_avg_sq"}, {"exp_avg_lr"}};
}

SmallVector<Value> AdaModAttr::buildUpdate(OpBuilder &builder, Location loc,
                                           Value param, Value grad,
                                           ValueRange state, ValueRange,
                                           ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value m = u.ema(state[0], grad, getBeta1());
  Value v = u.emaOfSquare(state[1], grad, getBeta2());
  Value denom = u.add(u.sqrt(v), u.constant(getEps()));
  // The authors' decoupled decay, p + (-lr * weight_decay) * p.
  Value p = param;
  if (!getWeightDecay().isZero())
    p = u.add(p, u.mul(u.round(u.mul(u.negatedF64(getLr()),
                                     u.f64(getWeightDecay()))),
                       p));
  // Each element's step size, capped by its own moving average.
  Value stepSize = u.round(u.foldedStepSize(getLr(), getBeta1(), getBeta2()));
  Value eta = u.div(stepSize, denom);
  Value average = u.ema(state[2], eta, getBeta3());
  p = u.sub(p, u.mul(u.minimum(eta, average), m));
  return {p, m, v, average};
}

//===----------------------------------------------------------------------===//
// Grams
//===----------------------------------------------------------------------===//

LogicalResult GramsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                Hyperparameter eps, Hyperparameter weightDecay) {
  return verifyAdam(emitError, "grams", lr, beta1, beta2, eps, weightDecay);
}

SmallVector<OptimizerStateSlot> GramsAttr::getStateSlots() const {
  return adamSlots(/*amsgrad=*/false);
}

// Adam's step, |lr * m_hat / (sqrt(v_hat) + eps)|, along -sign(g).
SmallVector<Value> GramsAttr::buildUpdate(OpBuilder &builder, Location loc,
                                          Value param, Value grad,
                                          ValueRange state, ValueRange,
                                          ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value p = u.decayWeight(param, getLr(), getWeightDecay());
  Value m = u.ema(state[0], grad, getBeta1());
  Value v = u.emaOfSquare(state[1], grad, getBeta2());
  Value adamStep = u.div(u.mul(u.descentStepSize(getLr(), getBeta1()), m),
                         adamDenominator(u, v, getBeta2(), getEps()));
  p = u.sub(p, u.mul(u.sign(grad), u.abs(adamStep)));
  return {p, m, v};
}

//===----------------------------------------------------------------------===//
// AdEMAMix
//===----------------------------------------------------------------------===//

LogicalResult AdEMAMixAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Hyperparameter lr, Hyperparameter beta1, Hyperparameter beta2,
                                   Hyperparameter beta3, Hyperparameter alpha,
                                   int64_t beta3Warmup, int64_t alphaWarmup,
                                   Hyperparameter eps, Hyperparameter weightDecay) {
  return HyperparameterCheck(emitError, "ademamix")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .decayRate("beta3", beta3)
      .require(beta3Warmup == 0 ||
                   (!beta1.isScheduled() && !beta3.isScheduled()),
               "with beta3_warmup takes numbers, not schedules, for beta1 "
               "and beta3")
      .nonNegative("alpha", alpha)
      .require(beta3Warmup >= 0,
               "needs beta3_warmup >= 0, got " + Twine(beta3Warmup))
      .require(alphaWarmup >= 0,
               "needs alpha_warmup >= 0, got " + Twine(alphaWarmup))
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay);
}

SmallVector<OptimizerStateSlot> AdEMAMixAttr::getStateSlots() const {
  return {{"exp_avg_fast"}, {"exp_avg_slow"}, {"exp_avg_sq"}};
}

/// Half-life in steps of a moving average with decay rate `beta`, minus one,
/// as the AdEMAMix code computes it: ln(0.5) / ln(beta + 1e-8) - 1.
static double halfLife(double beta) {
  return std::log(0.5) / std::log(beta + 1e-8) - 1;
}

SmallVector<Value> AdEMAMixAttr::buildUpdate(OpBuilder &builder, Location loc,
                                             Value param, Value grad,
                                             ValueRange state, ValueRange,
                                             ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value one = u.f64(1.0);
  // The warm-ups: alpha(t) = alpha * t / T linearly, beta3(t) linear in
  // half-life from beta1 to beta3; both constant from t = T on.
  auto warmup = [&](int64_t length, Value during, Value after) {
    Value end = u.f64(double(length));
    return u.select(u.compare(ComparePredicate::lt, u.t(), end), during, after);
  };
  Value alpha = u.f64(getAlpha());
  if (getAlphaWarmup() > 0)
    alpha = warmup(getAlphaWarmup(),
                   u.mul(u.div(u.t(), u.f64(double(getAlphaWarmup()))), alpha),
                   alpha);
  Value beta3 = u.f64(getBeta3());
  if (getBeta3Warmup() > 0) {
    Value a = u.div(u.t(), u.f64(double(getBeta3Warmup())));
    double start = halfLife(getBeta1().convertToDouble());
    double end = halfLife(getBeta3().convertToDouble());
    Value h = u.add(u.mul(u.sub(one, a), u.f64(start)), u.mul(a, u.f64(end)));
    beta3 = warmup(getBeta3Warmup(),
                   u.pow(u.f64(0.5), u.div(one, u.add(h, one))), beta3);
  }

  Value fast = u.ema(state[0], grad, getBeta1());
  // The slow average's rate is a value of the step: beta3 and 1 - beta3 are
  // computed in f64 and rounded, as the constants of ema() are.
  Value slow = u.add(u.mul(state[1], u.round(beta3)),
                     u.mul(u.round(u.sub(one, beta3)), grad));
  Value v = u.emaOfSquare(state[2], grad, getBeta2());
  Value denom = adamDenominator(u, v, getBeta2(), getEps());
  Value mix = u.add(u.div(fast, u.round(u.biasCorrection(getBeta1()))),
                    u.mul(u.round(alpha), slow));
  Value update = u.addWeightDecay(u.div(mix, denom), param, getWeightDecay());
  Value p = u.add(param, u.mul(u.negated(getLr()), update));
  return {p, fast, slow, v};
}

//===----------------------------------------------------------------------===//
// Schedule-Free AdamW
//===----------------------------------------------------------------------===//

LogicalResult ScheduleFreeAdamWAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, Hyperparameter lr, Hyperparameter beta1,
    Hyperparameter beta2, Hyperparameter eps, Hyperparameter weightDecay, int64_t warmupSteps,
    Hyperparameter r, Hyperparameter weightLrPower) {
  return HyperparameterCheck(emitError, "schedule_free_adamw")
      .positive("lr", lr)
      .fixed("beta1", beta1)
      .require(beta1.getValue().convertToDouble() > 0 &&
                   beta1.getValue().convertToDouble() < 1,
               "needs beta1 in (0, 1), got " +
                   formatNumber(beta1.getValue().convertToDouble()))
      .decayRate("beta2", beta2)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay)
      .require(warmupSteps >= 0,
               "needs warmup_steps >= 0, got " + Twine(warmupSteps))
      .nonNegative("r", r)
      .nonNegative("weight_lr_power", weightLrPower);
}

SmallVector<OptimizerStateSlot> ScheduleFreeAdamWAttr::getStateSlots() const {
  return {{"z"}, {"exp_avg_sq"}};
}

SmallVector<OptimizerStateSlot>
ScheduleFreeAdamWAttr::getSharedStateSlots() const {
  return {{"weight_sum"}};
}

/// The schedule of Schedule-Free AdamW at step t: gamma_t, the weight of
/// z_{t+1} in the average and the new sum of weights W (f64 scalars).
struct ScheduleFreeCoefficients {
  Value gamma, weight, weightSum;
};
static ScheduleFreeCoefficients
scheduleFreeCoefficients(UpdateBuilder &u, ScheduleFreeAdamWAttr attr,
                         Value weightSum) {
  // lr * min(1, t / warmup_steps) * sqrt(1 - beta2^t)
  Value lr = u.f64(attr.getLr());
  if (int64_t warmup = attr.getWarmupSteps())
    lr = u.mul(lr, u.minimum(u.div(u.t(), u.f64(double(warmup))), u.f64(1.0)));
  Value gamma = u.mul(lr, u.sqrt(u.biasCorrection(attr.getBeta2())));
  Value weight = u.mul(u.pow(u.t(), u.f64(attr.getR())),
                       u.pow(gamma, u.f64(attr.getWeightLrPower())));
  return {gamma, weight, u.add(weightSum, weight)};
}

SmallVector<Value> ScheduleFreeAdamWAttr::buildUpdate(
    OpBuilder &builder, Location loc, Value param, Value grad, ValueRange state,
    ValueRange shared, ValueRange, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  auto [gamma, weight, weightSum] =
      scheduleFreeCoefficients(u, *this, shared[0]);
  Value c = u.div(weight, weightSum);
  Value z = u.atFirstStep(param, state[0]);
  Value v = u.emaOfSquare(state[1], grad, getBeta2());
  Value d =
      u.addWeightDecay(u.div(grad, u.add(u.sqrt(v), u.constant(getEps()))),
                       param, getWeightDecay());
  // y moves toward z by c, then along d by gamma (beta1 (1 - c) - 1): the
  // average x and y = (1 - beta1) z + beta1 x without keeping x.
  Value yCoefficient = u.mul(
      gamma, u.sub(u.mul(u.f64(getBeta1()), u.sub(u.f64(1.0), c)), u.f64(1.0)));
  Value y =
      u.add(u.lerp(param, z, u.round(c)), u.mul(u.round(yCoefficient), d));
  z = u.sub(z, u.mul(u.round(gamma), d));
  return {y, z, v};
}

// AdamWScheduleFree.eval() and .train(): p.lerp_(z, 1 - 1/beta1) turns y
// into x, p.lerp_(z, 1 - beta1) x back into y. Before the first step z is
// not set yet, and both views are the parameter.
Value ScheduleFreeAdamWAttr::buildParameterView(OpBuilder &builder,
                                                Location loc, Value param,
                                                ValueRange state, Value step,
                                                bool toEval) const {
  UpdateBuilder u(builder, loc, param, step);
  double beta1 = getBeta1().convertToDouble();
  Value view = u.lerp(param, state[0], u.constant(toEval ? 1 - 1 / beta1 : 1 - beta1));
  Value zero = scalar(builder, loc, builder.getI64Type(), 0);
  return u.select(u.compare(ComparePredicate::eq, step, zero), param, view);
}

SmallVector<Value> ScheduleFreeAdamWAttr::buildSharedUpdate(OpBuilder &builder,
                                                            Location loc,
                                                            ValueRange shared,
                                                            ValueRange,
                                                            Value step) const {
  UpdateBuilder u(builder, loc, shared[0], step);
  return {scheduleFreeCoefficients(u, *this, shared[0]).weightSum};
}

//===----------------------------------------------------------------------===//
// DoG
//===----------------------------------------------------------------------===//

LogicalResult DoGAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              Hyperparameter lr, Hyperparameter repsRel, Hyperparameter weightDecay,
                              Hyperparameter eps, bool) {
  return HyperparameterCheck(emitError, "dog")
      .positive("lr", lr)
      .positive("reps_rel", repsRel)
      .nonNegative("weight_decay", weightDecay)
      .fixed("eps", eps)
      .positive("eps", eps);
}

// L-DoG keeps the distance and the gradient sum per parameter; DoG shares
// them between all parameters.
SmallVector<OptimizerStateSlot> DoGAttr::getStateSlots() const {
  SmallVector<OptimizerStateSlot> slots = {{"x0"}};
  if (getLayerwise()) {
    slots.push_back({"rbar", 0.0, /*scalar=*/true});
    slots.push_back({"G", getEps().convertToDouble(), /*scalar=*/true});
  }
  return slots;
}

SmallVector<OptimizerStateSlot> DoGAttr::getSharedStateSlots() const {
  if (getLayerwise())
    return {};
  return {{"rbar"}, {"G", getEps().convertToDouble()}};
}

/// |x - x0|^2 and |g|^2 of one parameter (f64). x0 holds zero before the
/// first step, when the first is |x|^2, which that step needs.
static std::pair<Value, Value> dogSquaredNorms(UpdateBuilder &u, DoGAttr attr,
                                               Value param, Value grad,
                                               Value x0) {
  Value g = u.addWeightDecay(grad, param, attr.getWeightDecay());
  Value distance = u.sub(param, x0);
  return {u.sumAll(u.mul(distance, distance)), u.sumAll(u.mul(g, g))};
}

/// The new r and G (f64) from the old ones and this step's squared norms.
static std::pair<Value, Value> dogUpdate(UpdateBuilder &u, DoGAttr attr,
                                         Value rbar, Value G,
                                         Value squaredDistance,
                                         Value squaredGradient) {
  Value distance = u.sqrt(squaredDistance);
  Value first = u.mul(u.f64(attr.getRepsRel()), u.add(u.f64(1.0), distance));
  Value r = u.atFirstStep(first, u.maximum(rbar, distance));
  return {r, u.add(G, squaredGradient)};
}

SmallVector<Value> DoGAttr::buildStatistics(OpBuilder &builder, Location loc,
                                            Value param, Value grad,
                                            ValueRange state, ValueRange,
                                            Value step) const {
  if (getLayerwise())
    return {};
  UpdateBuilder u(builder, loc, param, step);
  auto [distance, gradient] = dogSquaredNorms(u, *this, param, grad, state[0]);
  return {distance, gradient};
}

SmallVector<Value> DoGAttr::buildUpdate(OpBuilder &builder, Location loc,
                                        Value param, Value grad,
                                        ValueRange state, ValueRange shared,
                                        ValueRange sums, Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  Value rbar, G;
  if (getLayerwise()) {
    auto [distance, gradient] =
        dogSquaredNorms(u, *this, param, grad, state[0]);
    std::tie(rbar, G) = dogUpdate(u, *this, u.widen(state[1]),
                                  u.widen(state[2]), distance, gradient);
  } else {
    std::tie(rbar, G) =
        dogUpdate(u, *this, shared[0], shared[1], sums[0], sums[1]);
  }
  Value eta = u.div(u.mul(u.f64(getLr()), rbar), u.sqrt(G));
  Value g = u.addWeightDecay(grad, param, getWeightDecay());
  Value p = u.add(param, u.mul(u.round(u.mul(u.f64(-1.0), eta)), g));
  SmallVector<Value> results = {p, u.atFirstStep(param, state[0])};
  if (getLayerwise()) {
    results.push_back(u.round(rbar));
    results.push_back(u.round(G));
  }
  return results;
}

SmallVector<Value> DoGAttr::buildSharedUpdate(OpBuilder &builder, Location loc,
                                              ValueRange shared,
                                              ValueRange sums,
                                              Value step) const {
  if (getLayerwise())
    return {};
  UpdateBuilder u(builder, loc, shared[0], step);
  auto [rbar, G] = dogUpdate(u, *this, shared[0], shared[1], sums[0], sums[1]);
  return {rbar, G};
}

//===----------------------------------------------------------------------===//
// D-Adaptation Adam
//===----------------------------------------------------------------------===//

LogicalResult
DAdaptAdamAttr::verify(function_ref<InFlightDiagnostic()> emitError, Hyperparameter lr,
                       Hyperparameter beta1, Hyperparameter beta2, Hyperparameter eps,
                       Hyperparameter weightDecay, bool, bool, Hyperparameter d0,
                       Hyperparameter growthRate) {
  return HyperparameterCheck(emitError, "dadapt_adam")
      .positive("lr", lr)
      .decayRate("beta1", beta1)
      .decayRate("beta2", beta2)
      .positive("eps", eps)
      .nonNegative("weight_decay", weightDecay)
      .fixed("beta1", beta1)
      .fixed("beta2", beta2)
      .fixed("d0", d0)
      .positive("d0", d0)
      .fixed("growth_rate", growthRate)
      .require(growthRate.getValue().convertToDouble() >= 1,
               "needs growth_rate >= 1, got " +
                   formatNumber(growthRate.getValue().convertToDouble()));
}

SmallVector<OptimizerStateSlot> DAdaptAdamAttr::getStateSlots() const {
  return {{"s"}, {"exp_avg"}, {"exp_avg_sq"}};
}

SmallVector<OptimizerStateSlot> DAdaptAdamAttr::getSharedStateSlots() const {
  return {{"d", getD0().convertToDouble()}, {"numerator_weighted"}};
}

/// The pieces of a D-Adaptation Adam step that both its statistics and its
/// update need (built alike in both, so that CSE merges them).
struct DAdaptAdamStep {
  Value g;   // the gradient, with coupled weight decay
  Value dlr; // d * lr * bias correction, f64
  Value s;   // the new s
};
/// d * lr * (use_bias_correction ? sqrt(1 - beta2^t) / (1 - beta1^t) : 1).
static Value dadaptStepSize(UpdateBuilder &u, DAdaptAdamAttr attr, Value d) {
  Value dlr = u.mul(d, u.f64(attr.getLr()));
  if (attr.getUseBiasCorrection())
    dlr = u.mul(dlr, u.div(u.sqrt(u.biasCorrection(attr.getBeta2())),
                           u.biasCorrection(attr.getBeta1())));
  return dlr;
}
static DAdaptAdamStep dadaptAdamStep(UpdateBuilder &u, DAdaptAdamAttr attr,
                                     Value param, Value grad, Value s,
                                     Value d) {
  Value g = attr.getDecouple()
                ? grad
                : u.addWeightDecay(grad, param, attr.getWeightDecay());
  Value dlr = dadaptStepSize(u, attr, d);
  double sqrtBeta2 = std::sqrt(attr.getBeta2().convertToDouble());
  Value newS = u.add(u.mul(s, u.constant(sqrtBeta2)),
                     u.mul(u.round(u.mul(dlr, u.f64(1 - sqrtBeta2))), g));
  return {g, dlr, newS};
}

// Statistics: <g, s / (sqrt(v) + eps)> with the old s and v, and |s|_1 with
// the new s.
SmallVector<Value> DAdaptAdamAttr::buildStatistics(OpBuilder &builder,
                                                   Location loc, Value param,
                                                   Value grad, ValueRange state,
                                                   ValueRange shared,
                                                   Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  DAdaptAdamStep k = dadaptAdamStep(u, *this, param, grad, state[0], shared[0]);
  Value denom = u.add(u.sqrt(state[2]), u.constant(getEps()));
  return {u.sumAll(u.mul(k.g, u.div(state[0], denom))), u.sumAll(u.abs(k.s))};
}

SmallVector<Value> DAdaptAdamAttr::buildUpdate(OpBuilder &builder, Location loc,
                                               Value param, Value grad,
                                               ValueRange state,
                                               ValueRange shared, ValueRange,
                                               Value step, Value) const {
  UpdateBuilder u(builder, loc, param, step);
  DAdaptAdamStep k = dadaptAdamStep(u, *this, param, grad, state[0], shared[0]);
  double beta1 = getBeta1().convertToDouble();
  Value m = u.add(u.mul(state[1], u.constant(beta1)),
                  u.mul(u.round(u.mul(k.dlr, u.f64(1 - beta1))), k.g));
  Value v = u.emaOfSquare(state[2], k.g, getBeta2());
  Value p = param;
  if (getDecouple() && !getWeightDecay().isZero())
    p = u.add(
        p,
        u.mul(u.round(u.mul(k.dlr, u.negatedF64(getWeightDecay()))),
              p));
  p = u.add(p, u.div(u.mul(-1.0, m), u.add(u.sqrt(v), u.constant(getEps()))));
  return {p, k.s, m, v};
}

// d grows to the estimate N / ((1 - sqrt(beta2)) |s|_1), at most by
// growth_rate per step; with no gradient yet (|s|_1 = 0) nothing changes.
SmallVector<Value> DAdaptAdamAttr::buildSharedUpdate(OpBuilder &builder,
                                                     Location loc,
                                                     ValueRange shared,
                                                     ValueRange sums,
                                                     Value step) const {
  UpdateBuilder u(builder, loc, shared[0], step);
  Value d = shared[0], numerator = shared[1];
  Value dlr = dadaptStepSize(u, *this, d);
  double sqrtBeta2 = std::sqrt(getBeta2().convertToDouble());
  Value newNumerator = u.add(u.mul(u.f64(sqrtBeta2), numerator),
                             u.mul(u.f64(1 - sqrtBeta2), u.mul(dlr, sums[0])));
  Value estimate = u.div(newNumerator, u.mul(u.f64(1 - sqrtBeta2), sums[1]));
  Value newD =
      u.maximum(d, u.minimum(estimate, u.mul(d, u.f64(getGrowthRate()))));
  Value progress = u.compare(ComparePredicate::gt, sums[1], u.f64(0.0));
  return {u.select(progress, newD, d),
          u.select(progress, newNumerator, numerator)};
}
