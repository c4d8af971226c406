//===- IndependentLoopGroups.h - runs of independent loops -------*- C++ -*-===//
//
// The grouping behind tg-group-parallel-loops (CPU: one OpenMP region for
// several loops) and tg-gpu-group-parallel-loops (GPU: one kernel for
// several loops): runs of consecutive loops of a block, none of which
// writes memory another reads or writes, with the operations between them
// that can move out of the way.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_INDEPENDENTLOOPGROUPS_H
#define TGC_PASSES_INDEPENDENTLOOPGROUPS_H

#include "passes/BufferAccesses.h"

namespace mlir::tg {

struct IndependentLoopGroup {
  SmallVector<Operation *> loops;
  SmallVector<Operation *> pure;     // between loops, or allocations: can move before the first
  SmallVector<Operation *> deferred; // between loops: can move after the last
};

/// The groups of two or more loops in `block`. `isLoop` picks the loops;
/// `fits(group, loop)` may refuse to add `loop` to a group (which then
/// ends). Pure operations and allocations between loops can move before the
/// group; deallocations and other operations without results that touch none of
/// the group's memory (a small sequential update) after it, when the loops
/// that join later are independent of them. With `deferLibraryCalls`, so
/// can a call of the runtime's (a GEMM) that reads what the group's loops
/// write. Anything else ends a group.
SmallVector<IndependentLoopGroup>
findIndependentLoopGroups(Block &block, BufferAccessAnalysis &buffers,
                          llvm::function_ref<bool(Operation *)> isLoop,
                          llvm::function_ref<bool(const IndependentLoopGroup &, Operation *)> fits,
                          bool deferLibraryCalls = false);

/// Moves the group's pure operations before its first loop and its deferred
/// ones after its last: its loops are then consecutive.
void makeConsecutive(const IndependentLoopGroup &group);

} // namespace mlir::tg

#endif // TGC_PASSES_INDEPENDENTLOOPGROUPS_H
