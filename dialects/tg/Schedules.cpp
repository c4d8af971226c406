//===- Schedules.cpp - hyperparameters and their schedules ----------------===//
//
// A hyperparameter is a number or a schedule attribute. Schedules evaluate
// as f64 tg ops of the step counter, so that they fuse with the update that
// uses them and resume from a checkpointed counter.
//
//===----------------------------------------------------------------------===//

#include "tg/Derivatives.h"

#include "llvm/Support/ErrorHandling.h"

#include <cmath>
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::tg;

//===----------------------------------------------------------------------===//
// Hyperparameter
//===----------------------------------------------------------------------===//

double Hyperparameter::convertToDouble() const {
  if (schedule)
    llvm::report_fatal_error("a scheduled hyperparameter has no fixed value");
  return value.convertToDouble();
}

SmallVector<double> Hyperparameter::getRangeEnds() const {
  if (schedule)
    return schedule.getRangeEnds();
  return {value.convertToDouble()};
}

llvm::hash_code tg::hash_value(const Hyperparameter &value) {
  return llvm::hash_combine(value.getSchedule(),
                            llvm::hash_value(value.getValue()));
}

// A schedule is an attribute (`#tg.cosine<...>`), anything else a number;
// the next token's first character tells them apart, as the number parser
// would reject an attribute.
FailureOr<Hyperparameter> tg::parseHyperparameter(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  if (*loc.getPointer() == '#') {
    Attribute attr;
    if (failed(parser.parseAttribute(attr)))
      return failure();
    auto schedule = dyn_cast<ScheduleAttrInterface>(attr);
    if (!schedule)
      return parser.emitError(loc, "expected a number or a schedule, got ")
             << attr;
    return Hyperparameter(schedule);
  }
  double value;
  if (failed(parser.parseFloat(value)))
    return failure();
  return Hyperparameter(APFloat(value));
}

void tg::printHyperparameter(AsmPrinter &printer, const Hyperparameter &value) {
  if (value.isScheduled())
    printer.printAttribute(value.getSchedule());
  else
    printShortestFloat(printer, value.getValue());
}

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

namespace {

/// f64 scalar arithmetic for schedules. `s` is the number of steps taken
/// before this one (t - 1), as PyTorch's schedulers count.
class ScheduleBuilder {
public:
  ScheduleBuilder(OpBuilder &builder, Location loc, Value t)
      : b(loc, builder) {
    s = sub(t, constant(1.0));
  }

  Value constant(double value) {
    return scalar(b, b.getLoc(), b.getF64Type(), value);
  }
  Value constant(const APFloat &value) {
    return constant(value.convertToDouble());
  }
  Value add(Value x, Value y) { return AddOp::create(b, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, x, y); }
  Value minimum(Value x, Value y) { return MinimumOp::create(b, x, y); }
  Value maximum(Value x, Value y) { return MaximumOp::create(b, x, y); }
  /// `then` while s < `steps`, `otherwise` from then on.
  Value before(int64_t steps, Value then, Value otherwise) {
    Value early =
        CompareOp::create(b, ComparePredicate::lt, s, constant(double(steps)));
    return SelectOp::create(b, early, then, otherwise);
  }
  /// peak * s / warmup during the warm-up, `after` once it is over.
  Value warmup(const APFloat &peak, int64_t warmup, Value after) {
    if (warmup == 0)
      return after;
    Value rising = div(mul(constant(peak), s), constant(double(warmup)));
    return before(warmup, rising, after);
  }
  /// The progress from step `from` to `to`, from 0 to 1 and then 1.
  Value progress(double from, double to) {
    Value x = div(sub(s, constant(from)), constant(to - from));
    return minimum(maximum(x, constant(0.0)), constant(1.0));
  }
  /// end + (start - end) / 2 * (cos(pi * x) + 1): a half cosine from start
  /// (x = 0) to end (x = 1), in PyTorch's order of operations.
  Value cosineAnneal(Value start, Value end, Value x) {
    Value c = add(cos(mul(constant(llvm::numbers::pi), x)), constant(1.0));
    return add(end, mul(div(sub(start, end), constant(2.0)), c));
  }
  /// start + (end - start) * x: a line from start to end.
  Value linear(Value start, Value end, Value x) {
    return add(start, mul(sub(end, start), x));
  }

  Value s;

private:
  /// cos(x) in f64: the C library's, as Python's math.cos in PyTorch's
  /// schedulers.
  Value cos(Value x) { return CosOp::create(b, x); }

  ImplicitLocOpBuilder b;
};

/// Reports the first failed rule of a schedule, in the spec's terms.
class ScheduleCheck {
public:
  ScheduleCheck(function_ref<InFlightDiagnostic()> emitError, StringRef name)
      : emitError(emitError), name(name) {}
  ScheduleCheck &require(bool ok, const Twine &message) {
    if (!failed && !ok) {
      emitError() << "#tg." << name << " " << message;
      failed = true;
    }
    return *this;
  }
  ScheduleCheck &finite(StringRef field, const APFloat &value) {
    double v = value.convertToDouble();
    return require(std::isfinite(v),
                   "needs a finite " + field + ", got " + formatNumber(v));
  }
  operator LogicalResult() const { return failure(failed); }

private:
  function_ref<InFlightDiagnostic()> emitError;
  StringRef name;
  bool failed = false;
};

} // namespace

//--- constant_schedule ---------------------------------------------------===//

LogicalResult
ConstantScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             APFloat value, APFloat factor, int64_t steps) {
  return ScheduleCheck(emitError, "constant_schedule")
      .finite("value", value)
      .finite("factor", factor)
      .require(steps >= 0, "needs steps >= 0, got " + Twine(steps));
}

Value ConstantScheduleAttr::buildValue(OpBuilder &builder, Location loc,
                                       Value t) const {
  ScheduleBuilder s(builder, loc, t);
  Value value = s.constant(getValue());
  if (getSteps() == 0)
    return value;
  return s.before(getSteps(), s.mul(value, s.constant(getFactor())), value);
}

SmallVector<double> ConstantScheduleAttr::getRangeEnds() const {
  double value = getValue().convertToDouble();
  return {value * getFactor().convertToDouble(), value};
}

//--- linear_warmup -------------------------------------------------------===//

LogicalResult
LinearWarmupAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         APFloat peak, int64_t warmup, APFloat start) {
  return ScheduleCheck(emitError, "linear_warmup")
      .finite("peak", peak)
      .require(warmup > 0, "needs warmup > 0, got " + Twine(warmup))
      .finite("start", start);
}

Value LinearWarmupAttr::buildValue(OpBuilder &builder, Location loc,
                                   Value t) const {
  ScheduleBuilder s(builder, loc, t);
  return s.linear(s.constant(getStart()), s.constant(getPeak()),
                  s.progress(0, double(getWarmup())));
}

SmallVector<double> LinearWarmupAttr::getRangeEnds() const {
  return {getStart().convertToDouble(), getPeak().convertToDouble()};
}

//--- cosine, linear_decay ------------------------------------------------===//

/// Schedules that warm up to `peak` and then decay to `final` at `total`.
static LogicalResult verifyDecay(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, APFloat peak, int64_t warmup,
                                 int64_t total, APFloat final) {
  return ScheduleCheck(emitError, name)
      .finite("peak", peak)
      .require(warmup >= 0, "needs warmup >= 0, got " + Twine(warmup))
      .require(total > warmup, "needs total > warmup (the steps to decay "
                               "over), got total = " +
                                   Twine(total) + ", warmup = " + Twine(warmup))
      .finite("final", final);
}

LogicalResult CosineAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 APFloat peak, int64_t warmup, int64_t total,
                                 APFloat final) {
  return verifyDecay(emitError, "cosine", peak, warmup, total, final);
}

Value CosineAttr::buildValue(OpBuilder &builder, Location loc, Value t) const {
  ScheduleBuilder s(builder, loc, t);
  Value x = s.progress(double(getWarmup()), double(getTotal()));
  return s.warmup(getPeak(), getWarmup(),
                  s.cosineAnneal(s.constant(getPeak()),
                                 s.constant(getFinal()), x));
}

SmallVector<double> CosineAttr::getRangeEnds() const {
  SmallVector<double> ends = {getPeak().convertToDouble(),
                              getFinal().convertToDouble()};
  if (getWarmup() > 0)
    ends.push_back(0.0);
  return ends;
}

LogicalResult
LinearDecayAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        APFloat peak, int64_t warmup, int64_t total,
                        APFloat final) {
  return verifyDecay(emitError, "linear_decay", peak, warmup, total, final);
}

Value LinearDecayAttr::buildValue(OpBuilder &builder, Location loc,
                                  Value t) const {
  ScheduleBuilder s(builder, loc, t);
  Value x = s.progress(double(getWarmup()), double(getTotal()));
  return s.warmup(getPeak(), getWarmup(),
                  s.linear(s.constant(getPeak()), s.constant(getFinal()), x));
}

SmallVector<double> LinearDecayAttr::getRangeEnds() const {
  SmallVector<double> ends = {getPeak().convertToDouble(),
                              getFinal().convertToDouble()};
  if (getWarmup() > 0)
    ends.push_back(0.0);
  return ends;
}

//--- one_cycle -----------------------------------------------------------===//

LogicalResult OneCycleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   APFloat peak, int64_t total,
                                   APFloat pctStart, APFloat divFactor,
                                   APFloat finalDivFactor) {
  double rising = pctStart.convertToDouble() * double(total);
  return ScheduleCheck(emitError, "one_cycle")
      .finite("peak", peak)
      .require(total > 0, "needs total > 0, got " + Twine(total))
      .require(rising > 1 && rising < double(total),
               "needs 1 < pct_start * total < total (both phases at least a "
               "step long), got " +
                   formatNumber(rising))
      .require(divFactor.convertToDouble() > 0,
               "needs div_factor > 0, got " +
                   formatNumber(divFactor.convertToDouble()))
      .require(finalDivFactor.convertToDouble() > 0,
               "needs final_div_factor > 0, got " +
                   formatNumber(finalDivFactor.convertToDouble()));
}

// OneCycleLR's phases end at s = pct_start * total - 1 and s = total - 1.
Value OneCycleAttr::buildValue(OpBuilder &builder, Location loc,
                               Value t) const {
  ScheduleBuilder s(builder, loc, t);
  double peak = getPeak().convertToDouble();
  double initial = peak / getDivFactor().convertToDouble();
  double minimum = initial / getFinalDivFactor().convertToDouble();
  double end1 = getPctStart().convertToDouble() * double(getTotal()) - 1;
  double end2 = double(getTotal()) - 1;
  Value up = s.cosineAnneal(s.constant(initial), s.constant(peak),
                            s.progress(0, end1));
  Value down = s.cosineAnneal(s.constant(peak), s.constant(minimum),
                              s.progress(end1, end2));
  Value rising = CompareOp::create(builder, loc, ComparePredicate::le, s.s,
                                   s.constant(end1));
  return SelectOp::create(builder, loc, rising, up, down);
}

SmallVector<double> OneCycleAttr::getRangeEnds() const {
  double peak = getPeak().convertToDouble();
  double initial = peak / getDivFactor().convertToDouble();
  return {initial, peak, initial / getFinalDivFactor().convertToDouble()};
}

//--- wsd -----------------------------------------------------------------===//

LogicalResult WSDAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat peak, int64_t warmup, int64_t total,
                              int64_t decay, APFloat final) {
  return ScheduleCheck(emitError, "wsd")
      .finite("peak", peak)
      .require(warmup >= 0, "needs warmup >= 0, got " + Twine(warmup))
      .require(decay > 0, "needs decay > 0, got " + Twine(decay))
      .require(warmup + decay <= total,
               "needs warmup + decay <= total, got " + Twine(warmup) + " + " +
                   Twine(decay) + " > " + Twine(total))
      .finite("final", final);
}

Value WSDAttr::buildValue(OpBuilder &builder, Location loc, Value t) const {
  ScheduleBuilder s(builder, loc, t);
  Value x = s.progress(double(getTotal() - getDecay()), double(getTotal()));
  return s.warmup(getPeak(), getWarmup(),
                  s.linear(s.constant(getPeak()), s.constant(getFinal()), x));
}

SmallVector<double> WSDAttr::getRangeEnds() const {
  SmallVector<double> ends = {getPeak().convertToDouble(),
                              getFinal().convertToDouble()};
  if (getWarmup() > 0)
    ends.push_back(0.0);
  return ends;
}
