//===- TGAttributes.cpp - initializer and optimizer attributes ------------===//

#include "tg/TGOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

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

void tg::printShortestFloat(AsmPrinter &printer, const APFloat &value) {
  double number = value.convertToDouble();
  if (!std::isfinite(number)) {
    printer.printFloat(value);
    return;
  }
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, number);
    if (std::strtod(buffer, nullptr) == number)
      break;
  }
  std::string text = buffer;
  // Keep it a float literal for the parser.
  if (text.find_first_of(".e") == std::string::npos)
    text += ".0";
  printer << text;
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
  return emitError() << "#tg.constant<" << value
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
  if (!(std.convertToDouble() > 0))
    return emitError() << "#tg.normal needs std > 0, got " << std.convertToDouble();
  return success();
}

LogicalResult UniformAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  APFloat low, APFloat high) {
  if (!(low.convertToDouble() < high.convertToDouble()))
    return emitError() << "#tg.uniform needs low < high, got ["
                       << low.convertToDouble() << ", " << high.convertToDouble()
                       << ")";
  return success();
}

static LogicalResult verifyGain(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, APFloat gain) {
  if (!(gain.convertToDouble() > 0))
    return emitError() << "#tg." << name << " needs gain > 0, got "
                       << gain.convertToDouble();
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

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

LogicalResult SGDAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat lrValue, APFloat momentumValue,
                              bool nesterov, APFloat weightDecayValue) {
  double lr = lrValue.convertToDouble();
  double momentum = momentumValue.convertToDouble();
  double weightDecay = weightDecayValue.convertToDouble();
  if (!(lr > 0))
    return emitError() << "#tg.sgd needs lr > 0, got " << lr;
  if (!(momentum >= 0 && momentum < 1))
    return emitError() << "#tg.sgd needs momentum in [0, 1), got " << momentum;
  if (nesterov && momentum == 0)
    return emitError() << "#tg.sgd with nesterov = true needs momentum > 0";
  if (!(weightDecay >= 0))
    return emitError() << "#tg.sgd needs weight_decay >= 0, got " << weightDecay;
  return success();
}

SmallVector<StringRef> SGDAttr::getStateSlotNames() const {
  if (getMomentum().isZero())
    return {};
  return {"momentum_buffer"};
}
