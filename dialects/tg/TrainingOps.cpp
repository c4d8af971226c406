//===- TrainingOps.cpp - tg.train_step ------------------------------------===//

#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::tg;

/// Adds the mutable float globals that `func` loads, directly or through
/// calls, to `loaded` in program order, and those it stores to, to `stored`.
/// A global's type may be anything here (the parser does not restrict it):
/// only the verifier rejects non-tensor parameters.
static void collectGlobals(func::FuncOp func, SymbolTableCollection &symbolTable,
                           llvm::SmallPtrSetImpl<Operation *> &visited,
                           llvm::SetVector<ml_program::GlobalOp> &loaded,
                           llvm::SmallPtrSetImpl<Operation *> &stored) {
  if (!visited.insert(func).second)
    return;
  func.walk([&](Operation *op) {
    if (auto load = dyn_cast<ml_program::GlobalLoadOp>(op)) {
      auto global = symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(
          load, load.getGlobalAttr());
      // Any float global, tensor or not (`: f32`, `memref<4xf32>`): the
      // verifier then says that a parameter must be a float tensor.
      if (global && global.getIsMutable() &&
          isa<FloatType>(getElementTypeOrSelf(global.getType())))
        loaded.insert(global);
    } else if (auto store = dyn_cast<ml_program::GlobalStoreOp>(op)) {
      if (Operation *global = symbolTable.lookupNearestSymbolFrom(
              store, store.getGlobalAttr()))
        stored.insert(global);
    } else if (auto call = dyn_cast<func::CallOp>(op)) {
      if (auto callee = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(
              call, call.getCalleeAttr()))
        collectGlobals(callee, symbolTable, visited, loaded, stored);
    }
  });
}

SmallVector<ml_program::GlobalOp>
TrainStepOp::getTrainableGlobals(SymbolTableCollection &symbolTable) {
  if (std::optional<ArrayAttr> params = getParams()) {
    SmallVector<ml_program::GlobalOp> globals;
    for (auto ref : params->getAsRange<FlatSymbolRefAttr>()) {
      auto global =
          symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(*this, ref);
      if (!global)
        return {};
      globals.push_back(global);
    }
    return globals;
  }
  auto loss = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getLossAttr());
  if (!loss)
    return {};
  llvm::SmallPtrSet<Operation *, 8> visited, stored;
  llvm::SetVector<ml_program::GlobalOp> loaded;
  collectGlobals(loss, symbolTable, visited, loaded, stored);
  // A global the loss function writes (batch_norm's running statistics) is
  // state that the step updates, not a parameter.
  SmallVector<ml_program::GlobalOp> globals;
  for (ml_program::GlobalOp global : loaded)
    if (!stored.contains(global))
      globals.push_back(global);
  return globals;
}

LogicalResult TrainStepOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto loss = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getLossAttr());
  if (!loss)
    return emitOpError() << "loss function " << getLossAttr()
                         << " is not a func.func in this module";
  ArrayRef<Type> results = loss.getFunctionType().getResults();
  auto lossType = results.size() == 1 ? dyn_cast<RankedTensorType>(results[0])
                                      : RankedTensorType();
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType())) {
    InFlightDiagnostic diag = emitOpError()
                              << "loss function " << getLossAttr()
                              << " must return one scalar float tensor such as "
                                 "tensor<f32>, but returns (";
    llvm::interleaveComma(results, diag);
    return diag << ")";
  }

  llvm::DenseSet<Attribute> seen;
  ArrayRef<Attribute> params;
  if (std::optional<ArrayAttr> list = getParams())
    params = list->getValue();
  for (auto ref : llvm::map_range(params, llvm::CastTo<FlatSymbolRefAttr>)) {
    if (!seen.insert(ref).second)
      return emitOpError() << "parameter " << ref << " is listed twice";
    if (!symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(*this, ref))
      return emitOpError() << "parameter " << ref
                           << " is not an ml_program.global in this module";
  }

  if (getParams() && params.empty())
    return emitOpError("has nothing to train: `params` is an empty list");
  SmallVector<ml_program::GlobalOp> globals = getTrainableGlobals(symbolTable);
  if (globals.empty())
    return emitOpError() << "has nothing to train: loss function "
                         << getLossAttr()
                         << " loads no mutable float ml_program.global that "
                            "it does not also store to";
  for (ml_program::GlobalOp global : globals) {
    auto emitError = [&]() {
      InFlightDiagnostic diag = emitOpError() << "parameter @" << global.getSymName() << ": ";
      diag.attachNote(global.getLoc()) << "@" << global.getSymName() << " is declared here";
      return diag;
    };
    auto type = dyn_cast<RankedTensorType>(global.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      return emitError() << "must be a float tensor, got " << global.getType();
    if (!global.getIsMutable())
      return emitError() << "is not mutable (declare it `ml_program.global "
                            "private mutable`)";
    Attribute value = global.getValue().value_or(Attribute());
    if (auto data = dyn_cast_or_null<ElementsAttr>(value)) {
      if (data.getType() != type)
        return emitError() << "initial data has type " << data.getType()
                           << " but the global is " << type;
      continue;
    }
    auto init = dyn_cast_or_null<InitializerAttrInterface>(value);
    if (!init)
      return emitError() << "needs an initial value: an initializer such as "
                            "#tg.zeros, #tg.normal<std = 0.02> or "
                            "#tg.kaiming_uniform, or dense data";
    if (failed(init.verifyType(type, emitError)))
      return failure();
  }
  return success();
}
