//===- FuseParallelLoops.cpp - neighbouring loops that exchange data ------===//
//
// Upstream's parallel loop fusion (scf::naivelyFuseParallelOps: adjacent
// `scf.parallel` loops with the same bounds, the second reading what the
// first writes only at the same index) applied to runs of neighbouring
// loops that exchange data through arrays, with an alias oracle that knows
// buffers: two different globals, or a global and an allocation of the
// function, never share memory, which the generic alias analysis cannot
// tell.
//
// An optimizer's update is one loop per new value (m and v from the
// gradient, then the parameter from both); updated in place, they are
// neighbours and fuse into one loop that reads the gradient, parameter and
// state once. Loops that exchange nothing (the next parameter's update, or
// every gradient computed from one shared buffer) are not fused, although
// upstream would: one loop streaming through every parameter's arrays at
// once would defeat the prefetchers, the TLB and the register allocator;
// tg-group-parallel-loops runs those in one parallel region instead.
// Deallocations between the loops of a run move after it.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/EquivalenceClasses.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGFUSEPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// The arrays `loop` writes and reads, as the values it addresses them by
/// (globals' addresses are CSE'd: one value per global).
void arraysOf(scf::ParallelOp loop, llvm::SmallDenseSet<Value> &written,
              llvm::SmallDenseSet<Value> &read) {
  loop.walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      read.insert(load.getMemRef());
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      written.insert(store.getMemRef());
  });
}

/// Whether one loop writes an array (by its arrays written and read) the
/// other reads or writes.
bool exchangeData(const llvm::SmallDenseSet<Value> &writtenA,
                  const llvm::SmallDenseSet<Value> &readA,
                  const llvm::SmallDenseSet<Value> &writtenB,
                  const llvm::SmallDenseSet<Value> &readB) {
  return llvm::any_of(writtenA,
                      [&](Value v) { return writtenB.contains(v) || readB.contains(v); }) ||
         llvm::any_of(writtenB, [&](Value v) { return readA.contains(v); });
}

/// Whether upstream's fusion may fuse the two (it compares the bounds' values).
bool haveSameBounds(scf::ParallelOp a, scf::ParallelOp b) {
  return a.getLowerBound() == b.getLowerBound() && a.getUpperBound() == b.getUpperBound() &&
         a.getStep() == b.getStep();
}

struct TGFuseParallelLoops : tg::impl::TGFuseParallelLoopsBase<TGFuseParallelLoops> {
  using TGFuseParallelLoopsBase::TGFuseParallelLoopsBase;

  void runOnOperation() override {
    BufferAccessAnalysis buffers(getOperation());
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks) {
      sinkCallsBetweenLoops(*block, buffers);
      for (const Cluster &cluster : clusters(*block))
        fuse(cluster, buffers);
    }
  }

  /// Whether `op` can stay where it is while loops around it fuse.
  static bool isInert(Operation &op) {
    return isStaticAlloc(op) || (isMemoryEffectFree(&op) && op.getNumRegions() == 0);
  }

  static bool loopsExchangeData(scf::ParallelOp a, scf::ParallelOp b) {
    llvm::SmallDenseSet<Value> writtenA, readA, writtenB, readB;
    arraysOf(a, writtenA, readA);
    arraysOf(b, writtenB, readB);
    return exchangeData(writtenA, readA, writtenB, readB);
  }

  /// A runtime call (a GEMM) between two loops that exchange data moves
  /// after the second, and after the loops that follow it, as long as it
  /// touches nothing they write and they write nothing it reads: the loops
  /// can then fuse (here, or into tg-gpu-column-kernels' kernels). A matmul
  /// short enough to stay loops is followed by the weight gradient's GEMM,
  /// then its consumer and the bias gradient.
  void sinkCallsBetweenLoops(Block &block, BufferAccessAnalysis &buffers) {
    SmallVector<Operation *> calls;
    for (Operation &op : block)
      if (isOperandsOnlyCall(&op))
        calls.push_back(&op);
    for (Operation *call : calls) {
      std::optional<SmallVector<BufferAccess>> callAccesses = buffers.accesses(call);
      if (!callAccesses)
        continue;
      for (bool moved = false;; moved = true) {
        Operation *before = call->getPrevNode();
        while (before && isInert(*before))
          before = before->getPrevNode();
        Operation *after = call->getNextNode();
        while (after && isInert(*after))
          after = after->getNextNode();
        auto previous = dyn_cast_or_null<scf::ParallelOp>(before);
        auto next = dyn_cast_or_null<scf::ParallelOp>(after);
        if (!previous || !next || !(moved || loopsExchangeData(previous, next)))
          break;
        std::optional<SmallVector<BufferAccess>> nextAccesses = buffers.accesses(next);
        if (!nextAccesses || dependent(*callAccesses, *nextAccesses))
          break;
        call->moveAfter(next);
      }
    }
  }

  struct Cluster {
    SmallVector<Operation *> ops;      // loops and side-effect free operations
    SmallVector<Operation *> deallocs; // between the loops: move after them
    SmallVector<Operation *> allocs;   // between the loops: move before them
  };

  /// An allocation of a static shape: it can move before the loops around it.
  static bool isStaticAlloc(Operation &op) {
    return isa<memref::AllocOp>(op) && op.getNumOperands() == 0;
  }

  /// Runs of neighbouring loops that exchange data: each run is connected
  /// by arrays one of its loops writes and another reads or writes (an
  /// update's m and v loops both feed its parameter's loop). Loops that
  /// only read the same array (every gradient times one shared buffer of
  /// ones) are not a run. The side-effect free operations and the
  /// deallocations and static allocations between a run's loops go with it.
  SmallVector<Cluster> clusters(Block &block) {
    SmallVector<Cluster> result;
    // Chains: loops with only side-effect free operations or deallocations
    // between them.
    SmallVector<SmallVector<Operation *>> chains(1);
    for (Operation &op : block) {
      if (isa<scf::ParallelOp>(op) ||
          (!chains.back().empty() && (isa<memref::DeallocOp>(op) || isInert(op))))
        chains.back().push_back(&op);
      else if (!chains.back().empty())
        chains.emplace_back();
    }
    for (ArrayRef<Operation *> chain : chains) {
      SmallVector<scf::ParallelOp> loops;
      for (Operation *op : chain)
        if (auto loop = dyn_cast<scf::ParallelOp>(op))
          loops.push_back(loop);
      // Components of the loops that exchange data.
      SmallVector<llvm::SmallDenseSet<Value>> written(loops.size()), read(loops.size());
      for (auto [i, loop] : llvm::enumerate(loops))
        arraysOf(loop, written[i], read[i]);
      llvm::EquivalenceClasses<unsigned> components;
      for (unsigned i = 0; i < loops.size(); ++i) {
        components.insert(i);
        for (unsigned j = 0; j < i; ++j)
          if (exchangeData(written[i], read[i], written[j], read[j]))
            components.unionSets(i, j);
      }
      // Runs of consecutive loops of one component whose fused loops
      // address at most `maxArrays` arrays each (a buffer of ones read by
      // every gradient connects them all). Only neighbours with the same
      // bounds fuse, so each stretch of equal bounds counts on its own.
      Cluster current;
      llvm::SmallDenseSet<Value> arrays;
      SmallVector<Operation *> between, deallocs, allocs;
      int loopIndex = -1;
      auto close = [&] {
        if (llvm::count_if(current.ops, llvm::IsaPred<scf::ParallelOp>) > 1)
          result.push_back(current);
        current = Cluster();
        arrays.clear();
      };
      auto arraysOfLoop = [&](int index) {
        llvm::SmallDenseSet<Value> own;
        for (Value array : llvm::concat<Value>(written[index], read[index]))
          if (cast<MemRefType>(array.getType()).getRank() > 0)
            own.insert(array);
        return own;
      };
      for (Operation *op : chain) {
        if (!isa<scf::ParallelOp>(op)) {
          (isa<memref::DeallocOp>(op) ? deallocs
           : isStaticAlloc(*op)       ? allocs
                                      : between)
              .push_back(op);
          continue;
        }
        ++loopIndex;
        llvm::SmallDenseSet<Value> joined = arraysOfLoop(loopIndex);
        if (loopIndex > 0 && haveSameBounds(loops[loopIndex - 1], loops[loopIndex]))
          joined.insert(arrays.begin(), arrays.end());
        if (current.ops.empty() || !components.isEquivalent(loopIndex, loopIndex - 1) ||
            joined.size() > size_t(maxArrays)) {
          close();
          arrays = arraysOfLoop(loopIndex);
        } else {
          current.ops.append(between);
          current.deallocs.append(deallocs);
          current.allocs.append(allocs);
          arrays = std::move(joined);
        }
        between.clear();
        deallocs.clear();
        allocs.clear();
        current.ops.push_back(op);
      }
      close();
    }
    return result;
  }

  /// Fuses the loops of `cluster` with upstream's fusion, in a region of
  /// their own so that it sees no other loop.
  void fuse(const Cluster &cluster, BufferAccessAnalysis &buffers) {
    for (Operation *dealloc : llvm::reverse(cluster.deallocs))
      dealloc->moveAfter(cluster.ops.back());
    for (Operation *alloc : cluster.allocs)
      alloc->moveBefore(cluster.ops.front());
    OpBuilder builder(cluster.ops.front());
    auto scope =
        scf::ExecuteRegionOp::create(builder, cluster.ops.front()->getLoc(), TypeRange());
    Block *body = builder.createBlock(&scope.getRegion());
    scf::YieldOp::create(builder, scope.getLoc());
    for (Operation *op : cluster.ops)
      op->moveBefore(body->getTerminator());
    scf::naivelyFuseParallelOps(scope.getRegion(), [&](Value a, Value b) {
      return buffers.rootOf(a).mayAlias(buffers.rootOf(b));
    });
    body->getTerminator()->erase();
    scope->getBlock()->getOperations().splice(scope->getIterator(), body->getOperations());
    scope.erase();
  }
};

} // namespace
