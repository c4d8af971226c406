//===- IndependentLoopGroups.cpp - runs of independent loops --------------===//

#include "passes/IndependentLoopGroups.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::tg;

SmallVector<IndependentLoopGroup> tg::findIndependentLoopGroups(
    Block &block, BufferAccessAnalysis &buffers, llvm::function_ref<bool(Operation *)> isLoop,
    llvm::function_ref<bool(const IndependentLoopGroup &, Operation *)> fits,
    bool deferLibraryCalls) {
  SmallVector<IndependentLoopGroup> groups;
  IndependentLoopGroup group;
  SmallVector<BufferAccess> accesses, deferredAccesses; // of the group
  auto end = [&] {
    if (group.loops.size() > 1)
      groups.push_back(std::move(group));
    group = IndependentLoopGroup();
    accesses.clear();
    deferredAccesses.clear();
  };
  for (Operation &op : block) {
    std::optional<SmallVector<BufferAccess>> opAccesses;
    if (isLoop(&op) && (opAccesses = buffers.accesses(&op))) {
      bool joins = !group.loops.empty() && !dependent(*opAccesses, accesses) &&
                   !dependent(*opAccesses, deferredAccesses) && fits(group, &op);
      if (!joins)
        end();
      group.loops.push_back(&op);
      accesses.append(*opAccesses);
      continue;
    }
    if (group.loops.empty())
      continue;
    if (isa<memref::DeallocOp>(op)) {
      group.deferred.push_back(&op); // no later loop uses what it frees
    } else if ((isPure(&op) && op.getNumRegions() == 0) || isa<memref::AllocOp>(op)) {
      group.pure.push_back(&op); // a fresh buffer can be allocated earlier
    } else if (op.getNumResults() == 0 && (opAccesses = buffers.accesses(&op)) &&
               (!dependent(*opAccesses, accesses) ||
                (deferLibraryCalls && isOperandsOnlyCall(&op)))) {
      // A small sequential loop (a bias's update) that uses nothing the
      // group's loops touch: after the group, if the loops that join later
      // are independent of it too. (One that consumes a loop's result, a
      // reduction of it, ends the group: the result is still in cache, and
      // its buffer can be freed.) A GEMM may consume the group's results:
      // it only moves later, after the loops that join.
      group.deferred.push_back(&op);
      deferredAccesses.append(*opAccesses);
    } else {
      end();
    }
  }
  end();
  return groups;
}

void tg::makeConsecutive(const IndependentLoopGroup &group) {
  Operation *first = group.loops.front(), *last = group.loops.back();
  for (Operation *op : group.pure)
    if (op->isBeforeInBlock(last))
      op->moveBefore(first);
  for (Operation *op : llvm::reverse(group.deferred))
    if (op->isBeforeInBlock(last))
      op->moveAfter(last);
}
