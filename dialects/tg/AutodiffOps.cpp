//===- AutodiffOps.cpp - tg.grad, tg.value_and_grad, tg.jvp, straight_through -===//

#include "tg/Derivatives.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::tg;

static bool isFloatTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// Checks the callee and its arguments, shared by every derivative op.
static FailureOr<func::FuncOp> verifyCallee(Operation *op, FlatSymbolRefAttr callee,
                                            TypeRange operandTypes,
                                            SymbolTableCollection &symbolTable) {
  auto func = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(op, callee);
  if (!func)
    return op->emitOpError() << callee << " is not a func.func in this module";
  FunctionType type = func.getFunctionType();
  if (TypeRange(type.getInputs()) != operandTypes) {
    InFlightDiagnostic diag = op->emitOpError()
                              << "operand types do not match the arguments of "
                              << callee << ": expected (";
    llvm::interleaveComma(type.getInputs(), diag);
    return diag << ")";
  }
  return func;
}

/// Checks `wrt` positions and `globals`, and collects the gradient types.
static LogicalResult collectGradientTypes(Operation *op, func::FuncOp func,
                                          ArrayRef<int64_t> wrt,
                                          ArrayRef<FlatSymbolRefAttr> globals,
                                          SymbolTableCollection &symbolTable,
                                          SmallVectorImpl<Type> &types) {
  ArrayRef<Type> inputs = func.getFunctionType().getInputs();
  llvm::SmallDenseSet<int64_t> seen;
  for (int64_t position : wrt) {
    if (position < 0 || position >= int64_t(inputs.size()))
      return op->emitOpError() << "wrt position " << position << " is out of range: @"
                               << func.getSymName() << " has " << inputs.size()
                               << " arguments";
    if (!seen.insert(position).second)
      return op->emitOpError() << "wrt position " << position << " is listed twice";
    if (!isFloatTensorType(inputs[position]))
      return op->emitOpError() << "cannot differentiate with respect to argument #"
                               << position << " of type " << inputs[position]
                               << ": only float tensors have gradients";
    types.push_back(inputs[position]);
  }
  for (FlatSymbolRefAttr ref : globals) {
    auto global = symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(op, ref);
    if (!global)
      return op->emitOpError() << "global " << ref
                               << " is not an ml_program.global in this module";
    if (!isFloatTensorType(global.getType()))
      return op->emitOpError() << "cannot differentiate with respect to global "
                               << ref << " of type " << global.getType()
                               << ": only float tensors have gradients";
    types.push_back(global.getType());
  }
  if (types.empty())
    return op->emitOpError("differentiates with respect to nothing: list "
                           "arguments in `wrt` or globals in `globals`");
  return success();
}

/// Verifies tg.grad and tg.value_and_grad; `valueType` is null for tg.grad.
template <typename OpT>
static LogicalResult verifyGradient(OpT op, SymbolTableCollection &symbolTable,
                                    Type valueType) {
  FailureOr<func::FuncOp> func = verifyCallee(op, op.getCalleeAttr(),
                                              op.getOperands().getTypes(), symbolTable);
  if (failed(func))
    return failure();
  ArrayRef<Type> results = func->getFunctionType().getResults();
  if (results.size() != 1 || !isFloatTensorType(results[0]) ||
      cast<RankedTensorType>(results[0]).getRank() != 0)
    return op.emitOpError() << op.getCalleeAttr()
                            << " must return one scalar float tensor (such as "
                               "tensor<f32>) to have a gradient";
  if (valueType && valueType != results[0])
    return op.emitOpError() << "value type " << valueType
                            << " differs from the function's result type "
                            << results[0];
  SmallVector<Type> expected;
  if (failed(collectGradientTypes(op, *func, op.getWrt(), op.getGlobalRefs(),
                                  symbolTable, expected)))
    return failure();
  if (TypeRange(op.getGradients().getTypes()) != TypeRange(expected)) {
    InFlightDiagnostic diag = op.emitOpError()
                              << "gradient types must match what they differentiate: (";
    llvm::interleaveComma(expected, diag);
    return diag << ")";
  }
  return success();
}

func::FuncOp GradOp::getCalleeFunc(SymbolTableCollection &symbolTable) {
  return symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
}
LogicalResult GradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyGradient(*this, symbolTable, Type());
}

func::FuncOp ValueAndGradOp::getCalleeFunc(SymbolTableCollection &symbolTable) {
  return symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
}
LogicalResult ValueAndGradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  return verifyGradient(*this, symbolTable, getValue().getType());
}

func::FuncOp JvpOp::getCalleeFunc(SymbolTableCollection &symbolTable) {
  return symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
}

SmallVector<int64_t> JvpOp::getWrtPositions(FunctionType type) {
  if (std::optional<ArrayRef<int64_t>> wrt = getWrt())
    return SmallVector<int64_t>(*wrt);
  SmallVector<int64_t> positions;
  for (auto [i, input] : llvm::enumerate(type.getInputs()))
    if (isFloatTensorType(input))
      positions.push_back(i);
  return positions;
}

LogicalResult JvpOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FailureOr<func::FuncOp> func = verifyCallee(*this, getCalleeAttr(),
                                              getInputs().getTypes(), symbolTable);
  if (failed(func))
    return failure();
  FunctionType type = func->getFunctionType();
  SmallVector<Type> tangentTypes;
  if (failed(collectGradientTypes(*this, *func, getWrtPositions(type),
                                  getGlobalRefs(), symbolTable, tangentTypes)))
    return failure();
  if (TypeRange(getTangents().getTypes()) != TypeRange(tangentTypes)) {
    InFlightDiagnostic diag = emitOpError()
                              << "needs one tangent per differentiated argument "
                                 "and global, with its type: (";
    llvm::interleaveComma(tangentTypes, diag);
    return diag << ")";
  }
  SmallVector<Type> resultTypes(type.getResults());
  for (Type result : type.getResults()) {
    if (!isFloatTensorType(result))
      return emitOpError() << "cannot take the derivative of a result of type "
                           << result << ": only float tensors have tangents";
    resultTypes.push_back(result);
  }
  if (getResultTypes() != TypeRange(resultTypes)) {
    InFlightDiagnostic diag = emitOpError()
                              << "results must be the function's results, then "
                                 "one tangent per result: (";
    llvm::interleaveComma(resultTypes, diag);
    return diag << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// tg.straight_through
//===----------------------------------------------------------------------===//

LogicalResult StraightThroughOp::verify() {
  std::optional<ArrayAttr> clip = getClip();
  if (!clip)
    return success();
  if (clip->size() != 2)
    return emitOpError() << "clip needs two bounds [lo, hi], got " << clip->size();
  double lo = cast<FloatAttr>((*clip)[0]).getValueAsDouble();
  double hi = cast<FloatAttr>((*clip)[1]).getValueAsDouble();
  if (!(lo <= hi))
    return emitOpError() << "clip bounds must satisfy lo <= hi, got ["
                         << formatNumber(lo) << ", " << formatNumber(hi) << "]";
  return success();
}

/// `value` where lo <= input <= hi, zero elsewhere (or `value` unclipped).
static Value passThrough(StraightThroughOp op, OpBuilder &builder, Value value) {
  std::optional<ArrayAttr> clip = op.getClip();
  if (!value || !clip)
    return value;
  Location loc = op.getLoc();
  Type element = op.getType().getElementType();
  Value lo = scalar(builder, loc, element, cast<FloatAttr>((*clip)[0]).getValueAsDouble());
  Value hi = scalar(builder, loc, element, cast<FloatAttr>((*clip)[1]).getValueAsDouble());
  Value zero = scalar(builder, loc, element, 0.0);
  Value input = op.getInput();
  Value aboveLo = CompareOp::create(builder, loc, ComparePredicate::ge, input, lo);
  Value belowHi = CompareOp::create(builder, loc, ComparePredicate::le, input, hi);
  Value masked = SelectOp::create(builder, loc, belowHi, value, zero);
  return SelectOp::create(builder, loc, aboveLo, masked, zero);
}

SmallVector<Value> StraightThroughOp::vjp(OpBuilder &builder, ValueRange cts) {
  return {passThrough(*this, builder, cts[0]), Value()};
}
SmallVector<Value> StraightThroughOp::jvp(OpBuilder &builder, ValueRange ts) {
  return {passThrough(*this, builder, ts[0])};
}
