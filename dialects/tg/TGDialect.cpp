//===- TGDialect.cpp - the tg dialect and shared op helpers ---------------===//

#include "tg/TGOps.h"

#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tg;

static_assert(tg::kDynamic == ShapedType::kDynamic,
              "ShapeInference.h must use MLIR's dynamic-size marker");

#include "tg/TGDialect.cpp.inc"
#include "tg/TGEnums.cpp.inc"
#include "tg/TGOpInterfaces.cpp.inc"

namespace {
/// Kernel ops inline with the linalg ops around them (the inliner runs after
/// tg-lower-to-linalg, so that a step's gradient fuses with its update);
/// every other tg op is lowered by then.
struct TGInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *op, Region *, bool, IRMapping &) const final {
    return isa<FusedAttentionForwardOp, FusedAttentionBackwardOp>(op);
  }
};
} // namespace

void TGDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "tg/TGOps.cpp.inc"
      >();
  addInterfaces<TGInlinerInterface>();
  registerAttributes();
}

Operation *TGDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

Type tg::inferBroadcastType(Type lhs, Type rhs) {
  auto l = cast<RankedTensorType>(lhs), r = cast<RankedTensorType>(rhs);
  std::string error;
  ShapeOrError shape = broadcastShapes(l.getShape(), r.getShape(), error);
  if (!shape)
    return {};
  return RankedTensorType::get(*shape, l.getElementType());
}

LogicalResult tg::verifyResultShape(Operation *op, ShapedType actual,
                                    ArrayRef<int64_t> inferred) {
  if (shapesCompatible(actual.getShape(), inferred))
    return success();
  return op->emitOpError() << "result type " << actual
                           << " does not match the inferred shape "
                           << formatShape(inferred);
}

LogicalResult tg::verifyBroadcastOp(Operation *op) {
  auto resultType = cast<ShapedType>(op->getResult(0).getType());
  Type elementType = cast<ShapedType>(op->getOperand(0).getType()).getElementType();
  Shape shape;
  for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
    auto type = cast<ShapedType>(operand.getType());
    if (type.getElementType() != elementType)
      return op->emitOpError() << "operand #" << index << " has element type "
                               << type.getElementType() << " but operand #0 has "
                               << elementType;
    std::string error;
    ShapeOrError next = broadcastShapes(shape, type.getShape(), error);
    if (!next)
      return op->emitOpError() << "operands are not broadcast-compatible: "
                               << error;
    shape = *next;
  }
  if (resultType.getElementType() != elementType)
    return op->emitOpError() << "result element type " << resultType.getElementType()
                             << " differs from the operands' " << elementType;
  return verifyResultShape(op, resultType, shape);
}

/// Binary op types: one type when operands and result agree, else
/// `lhs-type, rhs-type -> result-type`.
static ParseResult parseBroadcastTypes(OpAsmParser &parser, Type &lhs, Type &rhs,
                                       Type &result) {
  if (parser.parseType(lhs))
    return failure();
  if (failed(parser.parseOptionalComma())) {
    rhs = result = lhs;
    return success();
  }
  return failure(parser.parseType(rhs) || parser.parseArrow() ||
                 parser.parseType(result));
}

static void printBroadcastTypes(OpAsmPrinter &printer, Operation *, Type lhs,
                                Type rhs, Type result) {
  if (lhs == rhs && rhs == result) {
    printer << lhs;
    return;
  }
  printer << lhs << ", " << rhs << " -> " << result;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

Type tg::inferReduceType(Type input, ArrayRef<int64_t> axes, bool keepdim) {
  auto type = cast<RankedTensorType>(input);
  std::string error;
  ShapeOrError shape = reduceShape(type.getShape(), axes, keepdim, error);
  if (!shape)
    return {};
  return RankedTensorType::get(*shape, type.getElementType());
}

LogicalResult tg::verifyReduceOp(Operation *op, ArrayRef<int64_t> axes,
                                 bool keepdim) {
  auto inputType = cast<ShapedType>(op->getOperand(0).getType());
  auto resultType = cast<ShapedType>(op->getResult(0).getType());
  if (inputType.getElementType() != resultType.getElementType())
    return op->emitOpError() << "result element type "
                             << resultType.getElementType()
                             << " differs from the input's "
                             << inputType.getElementType();
  std::string error;
  ShapeOrError shape = reduceShape(inputType.getShape(), axes, keepdim, error);
  if (!shape)
    return op->emitOpError() << error;
  return verifyResultShape(op, resultType, *shape);
}

#define GET_OP_CLASSES
#include "tg/TGOps.cpp.inc"
