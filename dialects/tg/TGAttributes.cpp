//===- TGAttributes.cpp - initializer and optimizer attributes ------------===//

#include "tg/Derivatives.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::tg;

#include "tg/TGAttrInterfaces.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "tg/TGAttributes.cpp.inc"

void TGDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tg/TGAttributes.cpp.inc"
      >();
}

FailureOr<bool> tg::parseBoolKeyword(AsmParser &parser) {
  if (succeeded(parser.parseOptionalKeyword("true")))
    return true;
  if (succeeded(parser.parseOptionalKeyword("false")))
    return false;
  return parser.emitError(parser.getCurrentLocation(), "expected true or false");
}

std::string tg::formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

/// The shortest decimal that the parser (which reads a double and then rounds
/// to the float's own semantics) turns back into `value`.
std::string tg::formatShortestFloat(const APFloat &value) {
  APFloat asDouble = value;
  bool losesInfo;
  asDouble.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                   &losesInfo);
  double number = asDouble.convertToDouble();
  char buffer[32];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, number);
    APFloat back(std::strtod(buffer, nullptr));
    back.convert(value.getSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
    if (back.bitwiseIsEqual(value))
      break;
  }
  // %g writes an exponent from 10^precision on; keep plain numbers up to 10^16
  // plain (`100.0`, not `1.0e+02`).
  double magnitude = std::fabs(number);
  if (std::strchr(buffer, 'e') && magnitude >= 1 && magnitude < 1e16) {
    int digitsBeforePoint = int(std::floor(std::log10(magnitude))) + 1;
    std::snprintf(buffer, sizeof(buffer), "%.*f",
                  std::max(0, precision - digitsBeforePoint), number);
  }
  std::string text = buffer;
  // MLIR float literals need a '.' before any exponent: 1.0e-05, not 1e-05.
  if (text.find('.') == std::string::npos)
    text.insert(std::min(text.find('e'), text.size()), ".0");
  return text;
}

void tg::printShortestFloat(AsmPrinter &printer, const APFloat &value) {
  if (!value.isFinite()) {
    printer.printFloat(value);
    return;
  }
  printer << formatShortestFloat(value);
}

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

static LogicalResult verifyFloatType(ShapedType type, StringRef name,
                                     function_ref<InFlightDiagnostic()> emitError) {
  if (isa<FloatType>(type.getElementType()))
    return success();
  return emitError() << "#tg." << name << " needs a floating-point global, got "
                     << type;
}

/// Fan initializers read fan_in and fan_out from the shape (PyTorch layout).
static LogicalResult verifyFanType(ShapedType type, StringRef name,
                                   function_ref<InFlightDiagnostic()> emitError) {
  if (failed(verifyFloatType(type, name, emitError)))
    return failure();
  if (type.getRank() < 2)
    return emitError() << "#tg." << name
                       << " needs a global of rank >= 2 to compute fans, got "
                       << type;
  if (!type.hasStaticShape())
    return emitError() << "#tg." << name << " needs a static shape, got " << type;
  return success();
}

LogicalResult ConstantInitAttr::verifyType(ShapedType type,
                                           function_ref<InFlightDiagnostic()> emitError) const {
  double value = getValue().convertToDouble();
  if (isa<FloatType>(type.getElementType()) || value == double(int64_t(value)))
    return success();
  return emitError() << "#tg.constant<" << formatNumber(value)
                     << "> is not an integer, but the global is " << type;
}
LogicalResult NormalAttr::verifyType(ShapedType type,
                                     function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFloatType(type, "normal", emitError);
}
LogicalResult UniformAttr::verifyType(ShapedType type,
                                      function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFloatType(type, "uniform", emitError);
}
LogicalResult KaimingUniformAttr::verifyType(ShapedType type,
                                             function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFanType(type, "kaiming_uniform", emitError);
}
LogicalResult KaimingNormalAttr::verifyType(ShapedType type,
                                            function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFanType(type, "kaiming_normal", emitError);
}
LogicalResult XavierUniformAttr::verifyType(ShapedType type,
                                            function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFanType(type, "xavier_uniform", emitError);
}
LogicalResult XavierNormalAttr::verifyType(ShapedType type,
                                           function_ref<InFlightDiagnostic()> emitError) const {
  return verifyFanType(type, "xavier_normal", emitError);
}

LogicalResult NormalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 APFloat std, APFloat mean) {
  double deviation = std.convertToDouble();
  if (!(std::isfinite(deviation) && deviation > 0))
    return emitError() << "#tg.normal needs a finite std > 0, got "
                       << formatNumber(deviation);
  if (!std::isfinite(mean.convertToDouble()))
    return emitError() << "#tg.normal needs a finite mean, got "
                       << formatNumber(mean.convertToDouble());
  return success();
}

LogicalResult UniformAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  APFloat low, APFloat high) {
  double lo = low.convertToDouble(), hi = high.convertToDouble();
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi))
    return emitError() << "#tg.uniform needs finite bounds with low < high, got ["
                       << formatNumber(lo) << ", " << formatNumber(hi) << ")";
  return success();
}

static LogicalResult verifyGain(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, APFloat gain) {
  double value = gain.convertToDouble();
  if (!(std::isfinite(value) && value > 0))
    return emitError() << "#tg." << name << " needs a finite gain > 0, got "
                       << formatNumber(value);
  return success();
}
LogicalResult XavierUniformAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                        APFloat gain) {
  return verifyGain(emitError, "xavier_uniform", gain);
}
LogicalResult XavierNormalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                       APFloat gain) {
  return verifyGain(emitError, "xavier_normal", gain);
}

/// fan_in and fan_out of a weight in PyTorch's layout [out, in, k...].
static std::pair<double, double> fansOf(ShapedType type) {
  double receptive = 1;
  for (int64_t d : type.getShape().drop_front(2))
    receptive *= double(d);
  return {double(type.getDimSize(1)) * receptive,
          double(type.getDimSize(0)) * receptive};
}

static double kaimingScale(APFloat a, FanMode mode, ShapedType type) {
  double slope = a.convertToDouble();
  double gain = std::sqrt(2.0 / (1.0 + slope * slope));
  auto [fanIn, fanOut] = fansOf(type);
  return gain / std::sqrt(mode == FanMode::fan_in ? fanIn : fanOut);
}

static double xavierScale(APFloat gain, ShapedType type) {
  auto [fanIn, fanOut] = fansOf(type);
  return gain.convertToDouble() * std::sqrt(2.0 / (fanIn + fanOut));
}

InitialDistribution ZerosAttr::getDistribution(ShapedType) const {
  return {InitialDistribution::Constant, 0.0, 0.0};
}
InitialDistribution OnesAttr::getDistribution(ShapedType) const {
  return {InitialDistribution::Constant, 1.0, 0.0};
}
InitialDistribution ConstantInitAttr::getDistribution(ShapedType) const {
  return {InitialDistribution::Constant, getValue().convertToDouble(), 0.0};
}
InitialDistribution NormalAttr::getDistribution(ShapedType) const {
  return {InitialDistribution::Normal, getMean().convertToDouble(),
          getStd().convertToDouble()};
}
InitialDistribution UniformAttr::getDistribution(ShapedType) const {
  return {InitialDistribution::Uniform, getLow().convertToDouble(),
          getHigh().convertToDouble()};
}
// Uniform on [-b, b] with b = sqrt(3) * std: the same variance as the normal form.
InitialDistribution KaimingUniformAttr::getDistribution(ShapedType type) const {
  double bound = std::sqrt(3.0) * kaimingScale(getA(), getMode(), type);
  return {InitialDistribution::Uniform, -bound, bound};
}
InitialDistribution KaimingNormalAttr::getDistribution(ShapedType type) const {
  return {InitialDistribution::Normal, 0.0, kaimingScale(getA(), getMode(), type)};
}
InitialDistribution XavierUniformAttr::getDistribution(ShapedType type) const {
  double bound = std::sqrt(3.0) * xavierScale(getGain(), type);
  return {InitialDistribution::Uniform, -bound, bound};
}
InitialDistribution XavierNormalAttr::getDistribution(ShapedType type) const {
  return {InitialDistribution::Normal, 0.0, xavierScale(getGain(), type)};
}
