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
// The groups are IndependentLoopGroups.h's (shared with the GPU's
// tg-gpu-group-parallel-loops, where a group is one multi-tensor kernel):
// two loops are independent when neither writes memory the other reads or
// writes (tg::BufferAccessAnalysis), so their order, and the missing
// barrier between them, cannot matter.
//
//===----------------------------------------------------------------------===//

#include "passes/IndependentLoopGroups.h"
#include "passes/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGROUPPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// A region tg-parallelize-loops made: no clauses, no block arguments.
bool isPlainRegion(Operation *op) {
  auto parallel = dyn_cast<omp::ParallelOp>(op);
  return parallel && parallel->getNumOperands() == 0 && parallel.getRegion().hasOneBlock() &&
         parallel.getRegion().front().getNumArguments() == 0;
}

struct TGGroupParallelLoops : tg::impl::TGGroupParallelLoopsBase<TGGroupParallelLoops> {
  void runOnOperation() override {
    tg::BufferAccessAnalysis buffers(getOperation());
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks)
      for (const tg::IndependentLoopGroup &group : tg::findIndependentLoopGroups(
               *block, buffers, isPlainRegion,
               [](const tg::IndependentLoopGroup &, Operation *) { return true; }))
        merge(group);
  }

  /// One region holding every region's worksharing loops, in order.
  void merge(const tg::IndependentLoopGroup &group) {
    tg::makeConsecutive(group);
    auto first = cast<omp::ParallelOp>(group.loops.front());
    Block &body = first.getRegion().front();
    for (Operation *op : ArrayRef(group.loops).drop_front()) {
      auto other = cast<omp::ParallelOp>(op);
      Block &otherBody = other.getRegion().front();
      otherBody.getTerminator()->erase();
      body.getOperations().splice(body.getTerminator()->getIterator(),
                                  otherBody.getOperations());
      other.erase();
    }
    numRegionsMerged += group.loops.size() - 1;
  }
};

} // namespace
