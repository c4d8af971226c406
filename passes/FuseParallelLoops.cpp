//===- FuseParallelLoops.cpp - neighbouring loops over shared buffers -----===//
//
// Upstream's parallel loop fusion (scf::naivelyFuseParallelOps: adjacent
// `scf.parallel` loops with the same bounds, the second reading what the
// first writes only at the same index) applied to clusters of neighbouring
// loops that share a buffer, with an alias oracle that knows buffers: two
// different globals, or a global and an allocation of the function, never
// share memory, which the generic alias analysis cannot tell.
//
// An optimizer's update is one loop per new value (m and v from the
// gradient, then the parameter from both); updated in place, they are
// neighbours and fuse into one loop that reads the gradient, parameter and
// state once. Loops that share nothing (the next parameter's update) are
// not fused, although upstream would: one loop streaming through every
// parameter's arrays at once would defeat the prefetchers and the TLB;
// tg-group-parallel-loops runs those in one parallel region instead.
// Deallocations between the loops of a cluster move after it.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGFUSEPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// The roots of the arrays (not scalars: every update reads the same step
/// size) that `loop` loads or stores.
SmallVector<BufferRoot> arraysOf(scf::ParallelOp loop, BufferAccessAnalysis &buffers) {
  SmallVector<BufferRoot> roots;
  loop.walk([&](Operation *op) {
    Value memref;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      memref = load.getMemRef();
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      memref = store.getMemRef();
    if (memref && cast<MemRefType>(memref.getType()).getRank() > 0)
      roots.push_back(buffers.rootOf(memref));
  });
  return roots;
}

bool shareAnArray(ArrayRef<BufferRoot> a, ArrayRef<BufferRoot> b) {
  return llvm::any_of(a, [&](const BufferRoot &x) {
    return llvm::any_of(b, [&](const BufferRoot &y) { return x.mayAlias(y); });
  });
}

struct TGFuseParallelLoops : tg::impl::TGFuseParallelLoopsBase<TGFuseParallelLoops> {
  void runOnOperation() override {
    BufferAccessAnalysis buffers(getOperation());
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    for (Block *block : blocks)
      for (const Cluster &cluster : clusters(*block, buffers))
        fuse(cluster, buffers);
  }

  struct Cluster {
    SmallVector<Operation *> ops;      // loops and side-effect free operations
    SmallVector<Operation *> deallocs; // between the loops: move after them
  };

  /// Runs of neighbouring loops, each sharing an array with the one before,
  /// with the side-effect free operations and deallocations between them.
  SmallVector<Cluster> clusters(Block &block, BufferAccessAnalysis &buffers) {
    SmallVector<Cluster> result;
    Cluster current;
    SmallVector<Operation *> between, deallocs;
    SmallVector<BufferRoot> previous;
    auto close = [&] {
      if (llvm::count_if(current.ops, llvm::IsaPred<scf::ParallelOp>) > 1)
        result.push_back(current);
      current = Cluster();
      between.clear();
      deallocs.clear();
      previous.clear();
    };
    for (Operation &op : block) {
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        SmallVector<BufferRoot> arrays = arraysOf(loop, buffers);
        if (current.ops.empty() || !shareAnArray(previous, arrays))
          close();
        current.ops.append(between);
        current.deallocs.append(deallocs);
        between.clear();
        deallocs.clear();
        current.ops.push_back(loop);
        previous = std::move(arrays);
      } else if (!current.ops.empty() && isa<memref::DeallocOp>(op)) {
        // A later loop of the cluster cannot use what is freed here.
        deallocs.push_back(&op);
      } else if (!current.ops.empty() && isMemoryEffectFree(&op) && op.getNumRegions() == 0) {
        between.push_back(&op);
      } else {
        close();
      }
    }
    close();
    return result;
  }

  /// Fuses the loops of `cluster` with upstream's fusion, in a region of
  /// their own so that it sees no other loop.
  void fuse(const Cluster &cluster, BufferAccessAnalysis &buffers) {
    for (Operation *dealloc : llvm::reverse(cluster.deallocs))
      dealloc->moveAfter(cluster.ops.back());
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
