//===- GradientTransforms.cpp - the gradient transform chain --------------===//
//
// Each gradient transform attribute verifies its hyperparameters and builds
// its rule as tg ops (GradientTransformAttrInterface). A train step applies
// them in order between the gradient and the optimizer's update.
//
//===----------------------------------------------------------------------===//

#include "tg/UpdateBuilder.h"


using namespace mlir;
using namespace mlir::tg;

/// g * min(1, maxNorm / (norm + 1e-6)), as torch.nn.utils.clip_grad_norm_;
/// `norm` is f64.
static Value clipToNorm(UpdateBuilder &u, Value grad, Value norm,
                        const Hyperparameter &maxNorm) {
  Value coefficient = u.div(u.f64(maxNorm), u.add(norm, u.f64(1e-6)));
  return u.mul(grad, u.round(u.minimum(coefficient, u.f64(1.0))));
}

/// |g|, the Euclidean norm of one parameter's gradient, in f64.
static Value norm(UpdateBuilder &u, Value grad) {
  return u.sqrt(u.sumAll(u.mul(grad, grad)));
}

//===----------------------------------------------------------------------===//
// clip_global_norm, clip_norm, clip_value
//===----------------------------------------------------------------------===//

LogicalResult
ClipGlobalNormAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           Hyperparameter maxNorm) {
  return HyperparameterCheck(emitError, "clip_global_norm")
      .positive("max_norm", maxNorm);
}

SmallVector<Value> ClipGlobalNormAttr::buildStatistics(OpBuilder &builder,
                                                       Location loc,
                                                       Value param, Value grad,
                                                       ValueRange,
                                                       Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  return {u.sumAll(u.mul(grad, grad))};
}

SmallVector<Value> ClipGlobalNormAttr::buildTransform(
    OpBuilder &builder, Location loc, Value param, Value grad, ValueRange,
    ValueRange sums, Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  return {param, clipToNorm(u, grad, u.sqrt(sums[0]), getMaxNorm())};
}

LogicalResult ClipNormAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Hyperparameter maxNorm) {
  return HyperparameterCheck(emitError, "clip_norm")
      .positive("max_norm", maxNorm);
}

SmallVector<Value> ClipNormAttr::buildTransform(OpBuilder &builder,
                                                Location loc, Value param,
                                                Value grad, ValueRange,
                                                ValueRange, Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  return {param, clipToNorm(u, grad, norm(u, grad), getMaxNorm())};
}

LogicalResult ClipValueAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    Hyperparameter max) {
  return HyperparameterCheck(emitError, "clip_value").positive("max", max);
}

SmallVector<Value> ClipValueAttr::buildTransform(OpBuilder &builder,
                                                 Location loc, Value param,
                                                 Value grad, ValueRange,
                                                 ValueRange, Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  return {param, u.clamp(grad, u.negated(getMax()), u.constant(getMax()))};
}

//===----------------------------------------------------------------------===//
// Grokfast
//===----------------------------------------------------------------------===//

LogicalResult GrokfastAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   Hyperparameter alpha, Hyperparameter lamb) {
  return HyperparameterCheck(emitError, "grokfast")
      .decayRate("alpha", alpha)
      .nonNegative("lamb", lamb);
}

SmallVector<OptimizerStateSlot> GrokfastAttr::getStateSlots() const {
  return {{"grokfast_ema"}};
}

// gradfilter_ema of the authors' code: the average starts at the first
// gradient, then mu = mu * alpha + g * (1 - alpha) and g + mu * lamb.
SmallVector<Value> GrokfastAttr::buildTransform(OpBuilder &builder,
                                                Location loc, Value param,
                                                Value grad, ValueRange state,
                                                ValueRange, Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  Value ema = u.ema(u.atFirstStep(grad, state[0]), grad, getAlpha());
  return {param, u.add(grad, u.mul(ema, u.constant(getLamb()))), ema};
}

//===----------------------------------------------------------------------===//
// Fira's limiter
//===----------------------------------------------------------------------===//

LogicalResult
FiraLimiterAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        Hyperparameter gamma) {
  return HyperparameterCheck(emitError, "fira_limiter")
      .inRange("gamma", gamma, "gamma >= 1",
               [](double v) { return v >= 1 && std::isfinite(v); });
}

SmallVector<OptimizerStateSlot> FiraLimiterAttr::getStateSlots() const {
  return {{"fira_norm", 0.0, /*scalar=*/true}};
}

SmallVector<Value> FiraLimiterAttr::buildTransform(OpBuilder &builder,
                                                   Location loc, Value param,
                                                   Value grad, ValueRange state,
                                                   ValueRange,
                                                   Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  Value current = norm(u, grad), previous = u.widen(state[0]);
  Value limit = u.mul(u.f64(getGamma()), previous);
  // Limited where the norm outgrows gamma times the last one; never on the
  // first step, which has no last norm (0).
  Value grows = u.compare(ComparePredicate::gt, current, limit);
  Value started = u.compare(ComparePredicate::gt, previous, u.f64(0.0));
  Value one = u.f64(1.0);
  Value scale = u.select(started, u.select(grows, u.div(limit, current), one),
                         one);
  return {param, u.mul(grad, u.round(scale)), u.round(u.mul(current, scale))};
}

//===----------------------------------------------------------------------===//
// Decoupled weight decay
//===----------------------------------------------------------------------===//

LogicalResult
DecoupledWeightDecayAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 Hyperparameter rate) {
  return HyperparameterCheck(emitError, "decoupled_weight_decay")
      .inRange("rate", rate, "rate in [0, 1)",
               [](double v) { return v >= 0 && v < 1; });
}

SmallVector<Value> DecoupledWeightDecayAttr::buildTransform(
    OpBuilder &builder, Location loc, Value param, Value grad, ValueRange,
    ValueRange, Value step, StringRef) const {
  UpdateBuilder u(builder, loc, param, step);
  return {u.mul(param, u.oneMinus(getRate())), grad};
}

//===----------------------------------------------------------------------===//
// SAM
//===----------------------------------------------------------------------===//

LogicalResult SAMAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              Hyperparameter rho) {
  return HyperparameterCheck(emitError, "sam").positive("rho", rho);
}

SmallVector<Value> SAMAttr::buildStatistics(OpBuilder &builder, Location loc,
                                            Value param, Value grad,
                                            ValueRange, Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  return {u.sumAll(u.mul(grad, grad))};
}

// w + g * rho / (|g| + 1e-12), as the first step of the authors' code.
Value SAMAttr::buildGradientPoint(OpBuilder &builder, Location loc, Value param,
                                  Value grad, ValueRange sums,
                                  Value step) const {
  UpdateBuilder u(builder, loc, param, step);
  Value scale = u.div(u.f64(getRho()), u.add(u.sqrt(sums[0]), u.f64(1e-12)));
  return u.add(param, u.mul(grad, u.round(scale)));
}

SmallVector<Value> SAMAttr::buildTransform(OpBuilder &, Location, Value param,
                                           Value grad, ValueRange, ValueRange,
                                           Value, StringRef) const {
  return {param, grad};
}

//===----------------------------------------------------------------------===//
// Gradient noise
//===----------------------------------------------------------------------===//

LogicalResult GradNoiseAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    Hyperparameter eta, Hyperparameter gamma,
                                    int64_t seed) {
  return HyperparameterCheck(emitError, "grad_noise")
      .nonNegative("eta", eta)
      .nonNegative("gamma", gamma);
}

SmallVector<Value> GradNoiseAttr::buildTransform(OpBuilder &builder,
                                                 Location loc, Value param,
                                                 Value grad, ValueRange,
                                                 ValueRange, Value step,
                                                 StringRef name) const {
  UpdateBuilder u(builder, loc, param, step);
  auto type = cast<RankedTensorType>(grad.getType());
  // Step t draws ceil(n / 2) Philox blocks (two normals each) from
  // stream + 2^31 + (t - 1) ceil(n / 2): the upper half of the parameter's
  // stream, whose lower part its initializer used.
  Value counter = buildStepPhiloxCounter(builder, loc, name, uint64_t(1) << 31,
                                         (type.getNumElements() + 1) / 2, step);
  Value seed = scalar(builder, loc, builder.getI64Type(), double(getSeed()));
  Value noise = RandomOp::create(builder, loc, type, Distribution::normal, seed,
                                 counter);
  // sigma_t = sqrt(eta / (1 + t)^gamma)
  Value sigma = u.sqrt(u.div(u.f64(getEta()),
                             u.pow(u.add(u.f64(1.0), u.t()), u.f64(getGamma()))));
  return {param, u.add(grad, u.mul(noise, u.round(sigma)))};
}
