//===- AccumulateInRegisters.cpp - reduction loops carry their sums ------===//
//
// convert-linalg-to-parallel-loops lowers a reduction to a sequential loop
// that loads its output element, combines, and stores it back in every
// iteration. On the CPU, LLVM keeps that element in a register; in a GPU
// kernel it cannot (the buffers are kernel parameters that may alias), so
// every iteration waits for a round trip through memory. This pass makes
// the element a loop-carried value, innermost loop first:
//
//   scf.for %k ... {                    %init = memref.load %out[%i]
//     %acc = memref.load %out[%i]       %sum = scf.for %k ... iter_args(%acc = %init) {
//     %new = arith.addf %acc, %x   ->     %new = arith.addf %acc, %x
//     memref.store %new, %out[%i]         scf.yield %new
//   }                                   }
//                                       memref.store %sum, %out[%i]
//
// when %out and %i are defined outside the loop, the loop touches %out only
// there, and nothing else the loop reads or writes can be %out: %out is a
// view of an allocation that no other buffer of the loop is a view of.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGACCUMULATEINREGISTERS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The buffer `view` is a view of (itself when it is not a view).
Value underlyingBuffer(Value view) {
  while (auto viewLike = view.getDefiningOp<ViewLikeOpInterface>())
    view = viewLike.getViewSource();
  return view;
}

bool isAllocation(Value buffer) {
  return buffer.getDefiningOp<memref::AllocOp>() || buffer.getDefiningOp<memref::AllocaOp>() ||
         buffer.getDefiningOp<gpu::AllocOp>();
}

/// Whether the only accesses of `buffer` in `loop` are `load` then `store`
/// (direct children of its body) and no other buffer used in the loop may
/// be the same memory.
bool accessedOnlyBy(scf::ForOp loop, Value buffer, memref::LoadOp load, memref::StoreOp store) {
  Value allocation = underlyingBuffer(buffer);
  if (!isAllocation(allocation))
    return false;
  WalkResult walk = loop.getBody()->walk([&](Operation *op) {
    for (Value operand : op->getOperands()) {
      if (!isa<BaseMemRefType>(operand.getType()))
        continue;
      if (operand == buffer ? op != load && op != store : underlyingBuffer(operand) == allocation)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

/// Makes one element that `loop` loads and stores back a loop-carried
/// value: the loop that replaces `loop`, or null when there is none.
scf::ForOp carryOneAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  for (auto store : loop.getBody()->getOps<memref::StoreOp>()) {
    Value buffer = store.getMemRef();
    if (!loop.isDefinedOutsideOfLoop(buffer) ||
        !llvm::all_of(store.getIndices(), [&](Value i) { return loop.isDefinedOutsideOfLoop(i); }))
      continue;
    memref::LoadOp load;
    for (auto candidate : loop.getBody()->getOps<memref::LoadOp>())
      if (candidate.getMemRef() == buffer && candidate.getIndices() == store.getIndices() &&
          candidate->isBeforeInBlock(store))
        load = candidate;
    if (!load || !accessedOnlyBy(loop, buffer, load, store))
      continue;

    rewriter.setInsertionPoint(loop);
    Value initial = memref::LoadOp::create(rewriter, load.getLoc(), buffer, load.getIndices());
    Value stored = store.getValueToStore();
    auto carried = cast<scf::ForOp>(
        *loop.replaceWithAdditionalYields(rewriter, initial, /*replaceInitOperandUsesInLoop=*/false,
                                          [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                                            return SmallVector<Value>{stored};
                                          }));
    rewriter.replaceAllUsesWith(load.getResult(), carried.getRegionIterArgs().back());
    rewriter.setInsertionPointAfter(carried);
    memref::StoreOp::create(rewriter, store.getLoc(), carried.getResults().back(), buffer,
                            store.getIndices());
    rewriter.eraseOp(store);
    rewriter.eraseOp(load);
    return carried;
  }
  return nullptr;
}

struct TGAccumulateInRegisters : tg::impl::TGAccumulateInRegistersBase<TGAccumulateInRegisters> {
  void runOnOperation() override {
    // Innermost loops first: the load and store they move out land in the
    // body of the loop around them, which then carries the element in turn.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk<WalkOrder::PostOrder>([&](scf::ForOp loop) { loops.push_back(loop); });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops)
      while (scf::ForOp carried = carryOneAccumulator(rewriter, loop))
        loop = carried;
  }
};

} // namespace
