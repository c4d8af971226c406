//===- HoistScalarWork.cpp - scalar stores right after what they need -----===//
//
// After the lowering to loops, a store outside any loop and the loads and
// arithmetic it stores (an optimizer's bias corrections from the step
// counter, a schedule's learning rate) sit where the train step's
// expansion put them: after the first parameter's moment loops, in front of
// its update. There they keep the moments' loops from fusing with the
// parameter's loop (one more pass over the largest parameter's gradient
// and state), and on the GPU they are a one-thread kernel on the step's
// critical path. Moved up to right after the last operation they depend on
// (the step counter's increment), they join its one-thread launch and the
// loops become neighbours.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGHOISTSCALARWORK
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// A static allocation small enough to be a scalar's home: allocating it
/// earlier costs nothing.
bool isScalarAllocation(Operation *op) {
  auto alloc = dyn_cast<memref::AllocOp>(op);
  if (!alloc || alloc->getNumOperands() != 0)
    return false;
  MemRefType type = alloc.getType();
  return type.hasStaticShape() && type.getNumElements() <= 16;
}

/// Operations that may move with a store: loads, arithmetic and the
/// allocation stored to.
bool isScalarWork(Operation *op) {
  if (op->getNumRegions() != 0)
    return false;
  return isa<memref::LoadOp>(op) || isScalarAllocation(op) || isMemoryEffectFree(op);
}

/// What the landing point may skip: operations that neither end a run of
/// neighbouring loops (tg-fuse-parallel-loops, the groups of independent
/// loops: static allocations, deallocations and pure ops may lie between
/// them) nor start one.
bool isBetweenLoops(Operation *op) {
  return isa<scf::ParallelOp, memref::DeallocOp>(op) ||
         (isa<memref::AllocOp>(op) && op->getNumOperands() == 0) ||
         (op->getNumRegions() == 0 && isMemoryEffectFree(op));
}

struct TGHoistScalarWork : tg::impl::TGHoistScalarWorkBase<TGHoistScalarWork> {
  using Base::Base;

  void runOnOperation() override {
    BufferAccessAnalysis buffers(getOperation());
    SmallVector<memref::StoreOp> stores;
    getOperation()->walk([&](memref::StoreOp store) {
      if (isa<func::FuncOp>(store->getParentOp()))
        stores.push_back(store);
    });
    for (memref::StoreOp store : stores)
      hoist(store, buffers);
  }

  /// Moves `store` and the scalar work it needs in its block up to right
  /// after the last operation that computes something it uses or touches
  /// memory it accesses, unless that would put it between two loops.
  void hoist(memref::StoreOp store, BufferAccessAnalysis &buffers) {
    Block *block = store->getBlock();
    // The store's backward slice within the block, of scalar work only.
    llvm::SetVector<Operation *> slice;
    SmallVector<Operation *> worklist = {store};
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      if (!slice.insert(op))
        continue;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          if (def->getBlock() == block && isScalarWork(def))
            worklist.push_back(def);
    }
    SmallVector<BufferAccess> accesses;
    for (Operation *op : slice) {
      std::optional<SmallVector<BufferAccess>> own = buffers.accesses(op);
      if (!own)
        return;
      accesses.append(*own);
    }
    auto conflicts = [&](Operation *op) {
      if (llvm::any_of(op->getResults(), [&](Value result) {
            return llvm::any_of(result.getUsers(),
                                [&](Operation *user) { return slice.contains(user); });
          }))
        return true;
      std::optional<SmallVector<BufferAccess>> theirs = buffers.accesses(op);
      return !theirs || dependent(*theirs, accesses);
    };
    // The last operation the slice depends on.
    Operation *bound = store->getPrevNode();
    while (bound && (slice.contains(bound) || !conflicts(bound)))
      bound = bound->getPrevNode();
    // Land right after it; after a loop, past the loops that follow it
    // (and what may lie between them), to keep their run whole.
    bool afterLoop = isa_and_nonnull<scf::ParallelOp>(bound);
    Operation *landing = bound ? bound->getNextNode() : &block->front();
    while (landing != store && (slice.contains(landing) || (afterLoop && isBetweenLoops(landing))))
      landing = landing->getNextNode();
    if (landing == store)
      return;
    for (Operation &op :
         llvm::make_early_inc_range(llvm::make_range(landing->getIterator(), store->getIterator())))
      if (slice.contains(&op))
        op.moveBefore(landing);
    store->moveBefore(landing);
  }
};

} // namespace
