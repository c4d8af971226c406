//===- BuildEvalFunctions.cpp - evaluation-mode copies of functions -------===//
//
// A loss or prediction function trains in training mode: batch norm uses the
// batch's statistics and stores new running statistics. Evaluation must use
// the running statistics and change nothing (PyTorch's model.eval()). This
// pass copies each requested function @f to @f_eval, with every callee
// copied alike, and in the copies:
//   * `tg.batch_norm ... training` loses `training` (its normalization by
//     the running statistics is the eval-mode semantics of the op);
//   * every `ml_program.global_store` is erased.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGBUILDEVALFUNCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

struct EvalCopier {
  explicit EvalCopier(SymbolTable &symbols) : symbols(symbols) {}

  SymbolTable &symbols;
  llvm::DenseMap<Operation *, func::FuncOp> copies; // original -> eval copy

  /// The eval copy of `func`, named `name` (made unique unless `exactName`).
  FailureOr<func::FuncOp> copy(func::FuncOp func, StringRef name, bool exactName) {
    if (func::FuncOp done = copies.lookup(func)) {
      if (exactName && done.getSymName() != name)
        return func.emitError() << "cannot build the evaluation copy @" << name
                                << ": the name is taken";
      return done;
    }
    if (exactName && symbols.lookup(name))
      return func.emitError() << "cannot build the evaluation copy @" << name
                              << ": the name is taken";
    OpBuilder builder(func);
    builder.setInsertionPointAfter(func);
    auto clone = cast<func::FuncOp>(builder.clone(*func));
    clone.setSymName(name);
    clone.setPrivate();
    symbols.insert(clone); // renames on a clash
    copies[func] = clone;

    SmallVector<Operation *> stores;
    WalkResult result = clone.walk([&](Operation *op) {
      if (auto norm = dyn_cast<BatchNormOp>(op))
        norm.setTraining(false);
      else if (isa<ml_program::GlobalStoreOp>(op))
        stores.push_back(op);
      else if (auto call = dyn_cast<func::CallOp>(op)) {
        auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
        if (!callee || callee.isExternal())
          return WalkResult::advance();
        FailureOr<func::FuncOp> evalCallee =
            copy(callee, (callee.getSymName() + "_eval").str(), /*exactName=*/false);
        if (failed(evalCallee))
          return WalkResult::interrupt();
        call.setCallee(evalCallee->getSymName());
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    for (Operation *store : stores)
      store->erase();
    return clone;
  }
};

struct TGBuildEvalFunctionsPass
    : tg::impl::TGBuildEvalFunctionsBase<TGBuildEvalFunctionsPass> {
  using TGBuildEvalFunctionsBase::TGBuildEvalFunctionsBase;

  void runOnOperation() override {
    SymbolTable symbols(getOperation());
    EvalCopier copier(symbols);
    for (const std::string &name : functions) {
      auto func = symbols.lookup<func::FuncOp>(name);
      if (!func || func.isExternal())
        continue;
      if (failed(copier.copy(func, name + "_eval", /*exactName=*/true)))
        return signalPassFailure();
    }
  }
};

} // namespace
