//===- GlobalBufferization.cpp - bufferizing ml_program globals -----------===//
//
// Parameters and optimizer state are mutable ml_program globals. They become
// memref.globals:
//   global        memref.global with the same initial data
//   global_load   memref.get_global, copied into a fresh buffer when the
//                 function could change the global while the value is live
//                 (it stores to a global or calls a function)
//   global_store  a copy of the value into memref.get_global; the value is
//                 read, not written
//
//===----------------------------------------------------------------------===//

#include "Compiler/GlobalBufferization.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace mlir::ml_program;

namespace {

template <typename Model, typename Op>
struct GlobalModelBase : BufferizableOpInterface::ExternalModel<Model, Op> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  bool bufferizesToMemoryWrite(Operation *, OpOperand &, const AnalysisState &) const {
    return false;
  }
  AliasingValueList getAliasingValues(Operation *, OpOperand &, const AnalysisState &) const {
    return {};
  }
};

struct GlobalModel : GlobalModelBase<GlobalModel, GlobalOp> {
  bool hasTensorSemantics(Operation *) const { return true; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter, const BufferizationOptions &,
                          BufferizationState &) const {
    auto global = cast<GlobalOp>(op);
    if (!global.getValue())
      return global.emitError("needs an initial value to be bufferized");
    auto type =
        cast<MemRefType>(getMemRefTypeWithStaticIdentityLayout(cast<TensorType>(global.getType())));
    replaceOpWithNewBufferizedOp<memref::GlobalOp>(
        rewriter, global, global.getSymName(), global.getSymVisibilityAttr(), type,
        *global.getValue(), /*constant=*/!global.getIsMutable(),
        /*alignment=*/nullptr);
    return success();
  }
};

/// Whether a value loaded in `op`'s function may see the global change while
/// it is live: the function stores to a global or calls another function.
bool mayChangeGlobals(Operation *op) {
  auto function = op->getParentOfType<FunctionOpInterface>();
  if (!function)
    return true;
  WalkResult result = function->walk([](Operation *inner) {
    return isa<GlobalStoreOp, CallOpInterface>(inner) ? WalkResult::interrupt()
                                                      : WalkResult::advance();
  });
  return result.wasInterrupted();
}

struct GlobalLoadModel : GlobalModelBase<GlobalLoadModel, GlobalLoadOp> {
  bool isWritable(Operation *, Value, const AnalysisState &) const { return false; }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options, BufferizationState &) const {
    auto load = cast<GlobalLoadOp>(op);
    Location loc = load.getLoc();
    auto type =
        cast<MemRefType>(getMemRefTypeWithStaticIdentityLayout(cast<TensorType>(load.getType())));
    Value global =
        memref::GetGlobalOp::create(rewriter, loc, type, load.getGlobalAttr().getLeafReference());
    if (!mayChangeGlobals(op)) {
      replaceOpWithBufferizedValues(rewriter, op, global);
      return success();
    }
    FailureOr<Value> copy = options.createAlloc(rewriter, loc, type, {});
    if (failed(copy) || failed(options.createMemCpy(rewriter, loc, global, *copy)))
      return failure();
    replaceOpWithBufferizedValues(rewriter, op, *copy);
    return success();
  }
};

struct GlobalStoreModel : GlobalModelBase<GlobalStoreModel, GlobalStoreOp> {
  bool bufferizesToMemoryRead(Operation *, OpOperand &, const AnalysisState &) const {
    return true;
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options, BufferizationState &state) const {
    auto store = cast<GlobalStoreOp>(op);
    Location loc = store.getLoc();
    auto type = cast<MemRefType>(
        getMemRefTypeWithStaticIdentityLayout(cast<TensorType>(store.getValue().getType())));
    FailureOr<Value> source = getBuffer(rewriter, store.getValue(), options, state);
    if (failed(source))
      return failure();
    Value global =
        memref::GetGlobalOp::create(rewriter, loc, type, store.getGlobalAttr().getLeafReference());
    if (failed(options.createMemCpy(rewriter, loc, *source, global)))
      return failure();
    rewriter.eraseOp(store);
    return success();
  }
};

} // namespace

void tg::registerGlobalBufferizationModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, MLProgramDialect *) {
    GlobalOp::attachInterface<GlobalModel>(*context);
    GlobalLoadOp::attachInterface<GlobalLoadModel>(*context);
    GlobalStoreOp::attachInterface<GlobalStoreModel>(*context);
  });
}
