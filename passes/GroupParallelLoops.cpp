//===- GroupParallelLoops.cpp - one parallel region for independent loops -===//
//
// tg-parallelize-loops gives every big loop nest its own `omp.parallel`:
// one fork and join of the thread team per loop. An optimizer's update is
// one loop per parameter, a backward pass ends with one loop per gradient;
// none reads what another writes. Consecutive regions whose loops are
// independent become one region holding all their worksharing loops
// (each `nowait`, statically scheduled): each thread runs its share of
// every loop, one after the other, and the team forks and joins once.
//
// Pure operations between the regions (constants, globals' addresses) move
// before the group; deallocations and other operations without results
// that touch none of the group's memory (a small bias update left
// sequential) after it, when the regions that join later are independent of
// them. Two loops are independent when neither
// writes memory the other reads or writes (tg::BufferAccessAnalysis), so
// their order, and the missing barrier between them, cannot matter. On a
// GPU the same groups are multi-tensor kernels.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGROUPPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// Whether `a` and `b` may not run in either order or at the same time.
bool dependent(ArrayRef<BufferAccess> a, ArrayRef<BufferAccess> b) {
  for (const BufferAccess &x : a)
    for (const BufferAccess &y : b)
      if ((x.write || y.write) && x.root.mayAlias(y.root))
        return true;
  return false;
}

/// A region tg-parallelize-loops made: no clauses, no block arguments.
bool isPlainRegion(omp::ParallelOp parallel) {
  return parallel->getNumOperands() == 0 && parallel.getRegion().hasOneBlock() &&
         parallel.getRegion().front().getNumArguments() == 0;
}

struct Group {
  SmallVector<omp::ParallelOp> regions;
  SmallVector<BufferAccess> accesses; // of the regions
  SmallVector<Operation *> pure;      // between regions: move before the group
  SmallVector<Operation *> deferred;  // between regions: move after the group
  SmallVector<BufferAccess> deferredAccesses;
};

struct TGGroupParallelLoops : tg::impl::TGGroupParallelLoopsBase<TGGroupParallelLoops> {
  void runOnOperation() override {
    BufferAccessAnalysis buffers(getOperation());
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks)
      groupBlock(*block, buffers);
  }

  void groupBlock(Block &block, BufferAccessAnalysis &buffers) {
    Group group;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      auto parallel = dyn_cast<omp::ParallelOp>(op);
      std::optional<SmallVector<BufferAccess>> accesses;
      if (parallel && isPlainRegion(parallel)) {
        accesses = buffers.accesses(parallel);
        if (accesses) {
          bool joins = !group.regions.empty() && !dependent(*accesses, group.accesses) &&
                       !dependent(*accesses, group.deferredAccesses);
          if (!joins) {
            merge(group);
            group = Group();
          }
          group.regions.push_back(parallel);
          group.accesses.append(*accesses);
          continue;
        }
      }
      if (group.regions.empty())
        continue;
      if (isa<memref::DeallocOp>(op)) {
        group.deferred.push_back(&op); // no later region uses what it frees
      } else if (isPure(&op) && op.getNumRegions() == 0) {
        group.pure.push_back(&op);
      } else if (op.getNumResults() == 0 && (accesses = buffers.accesses(&op)) &&
                 !dependent(*accesses, group.accesses)) {
        // A small sequential loop (a bias's update) that uses nothing the
        // group's loops touch: after the group, if the regions that join
        // later are independent of it too. (One that consumes a loop's
        // result, a reduction of it, ends the group: the result is still
        // in cache, and its buffer can be freed.)
        group.deferred.push_back(&op);
        group.deferredAccesses.append(*accesses);
      } else {
        merge(group);
        group = Group();
      }
    }
    merge(group);
  }

  void merge(Group &group) {
    if (group.regions.size() < 2)
      return;
    omp::ParallelOp first = group.regions.front();
    omp::ParallelOp last = group.regions.back();
    for (Operation *op : group.pure)
      if (op->isBeforeInBlock(last))
        op->moveBefore(first);
    for (Operation *op : llvm::reverse(group.deferred))
      if (op->isBeforeInBlock(last))
        op->moveAfter(last);
    Block &body = first.getRegion().front();
    for (omp::ParallelOp other : ArrayRef(group.regions).drop_front()) {
      Block &otherBody = other.getRegion().front();
      otherBody.getTerminator()->erase();
      body.getOperations().splice(body.getTerminator()->getIterator(),
                                  otherBody.getOperations());
      other.erase();
    }
    numRegionsMerged += group.regions.size() - 1;
  }
};

} // namespace
