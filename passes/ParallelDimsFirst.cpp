//===- ParallelDimsFirst.cpp - parallel loops outside reductions ----------===//
//
// convert-linalg-to-parallel-loops turns the leading parallel dimensions of
// a linalg op into one scf.parallel and everything from the first reduction
// on into sequential loops. Interchanging the dimensions first makes every
// parallel dimension part of that scf.parallel, hence of one GPU kernel.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGPARALLELDIMSFIRST
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGParallelDimsFirstPass : tg::impl::TGParallelDimsFirstBase<TGParallelDimsFirstPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      // The new position of each loop: parallel ones, then the others, each
      // group in its original order.
      SmallVector<unsigned> interchange;
      for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
        if (linalg::isParallelIterator(type))
          interchange.push_back(i);
      for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
        if (!linalg::isParallelIterator(type))
          interchange.push_back(i);
      bool identity = llvm::all_of(llvm::enumerate(interchange),
                                   [](auto pair) { return pair.index() == pair.value(); });
      if (identity)
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, interchange))) {
        op.emitError("cannot move the parallel dimensions of this op outside its reductions");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
