//===- UnshareFillInits.cpp - one fill per destination -------------------===//
//
// CSE merges identical `linalg.fill`s, so the zero-filled destination of
// several matmuls (or reductions) of the same shape becomes one tensor. Each
// of them overwrites its destination, so one-shot bufferization fills one
// buffer and copies it for every other use: a pass over memory per use, and
// a matmul whose destination is a copy, which the matmul kernel cannot fold
// into `accumulate = 0`. Right before bufferization, this pass gives every
// such use a fill of its own.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGUNSHAREFILLINITS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGUnshareFillInits : tg::impl::TGUnshareFillInitsBase<TGUnshareFillInits> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) { fills.push_back(fill); });
    for (linalg::FillOp fill : fills) {
      if (!fill.hasPureTensorSemantics())
        continue;
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : fill->getResult(0).getUses())
        if (auto user = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
            user && user.isDpsInit(&use))
          inits.push_back(&use);
      if (inits.size() < 2)
        continue;
      // Each fill right before its destination's op, where the matmul
      // kernel looks for it.
      for (OpOperand *init : inits) {
        rewriter.setInsertionPoint(init->getOwner());
        Operation *clone = rewriter.clone(*fill);
        rewriter.modifyOpInPlace(init->getOwner(), [&] { init->set(clone->getResult(0)); });
      }
      if (fill->use_empty())
        rewriter.eraseOp(fill);
    }
  }
};

} // namespace
