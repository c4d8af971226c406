//===- GPUMergeSmallLaunches.cpp - tiny kernels as one block --------------===//
//
// A small model's step is a chain of tiny kernels: a cross-entropy over 128
// rows of 10 is row statistics (one block), the loss's sum (one thread),
// the probabilities' scale (one block), the logits' gradient (5 blocks) and
// the bias gradient (one block). Each launch costs a few microseconds of a
// step of about a hundred, more than its work. Consecutive launches of at
// most a few blocks become one launch of one block, their bodies in order,
// separated by gpu.barrier (which orders a block's global memory accesses):
//
//   gpu.launch blocks(1) threads(T) {
//     body0                              (a launch of one block of T threads)
//     gpu.barrier
//     scf.if %tid == 0 { body1 }         (a launch of one thread)
//     gpu.barrier
//     scf.for %b = 0 to 5 { body2(%b) }  (5 blocks of T threads: block id %b)
//   }
//
// Only launches of T threads (or one thread) along x take part; one whose
// body synchronizes its threads (a barrier, a block reduction) must be one
// block already. Allocations between the launches stay before the merged
// one and deallocations move after it. A one-thread launch (the step
// counter's, with the optimizer's bias corrections) first moves down to the
// next small launch when nothing in between touches its memory (a GEMM on
// other buffers, say): in the MLP's step it joins the loss's block.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUMERGESMALLLAUNCHES
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// A launch that may join a merged one: its grid (static, along x) and
/// block size (static, along x).
struct SmallLaunch {
  gpu::LaunchOp launch;
  int64_t blocks, threads;
  bool synchronizes; // a barrier or a collective among the block's threads
};

/// `launch` as a SmallLaunch when it has at most `maxBlocks` blocks and one
/// body block without attributions.
std::optional<SmallLaunch> asSmallLaunch(gpu::LaunchOp launch, int64_t maxBlocks) {
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues(),
                  block = launch.getBlockSizeOperandValues();
  std::optional<int64_t> blocks = getConstantIntValue(grid.x),
                         threads = getConstantIntValue(block.x);
  // (A one-thread launch of several blocks would run on one thread of one.)
  if (!blocks || !threads || *blocks > maxBlocks || (*threads == 1 && *blocks != 1) ||
      getConstantIntValue(grid.y) != 1 || getConstantIntValue(grid.z) != 1 ||
      getConstantIntValue(block.y) != 1 || getConstantIntValue(block.z) != 1 ||
      launch.hasClusterSize() || launch.getAsyncToken() || !launch.getAsyncDependencies().empty() ||
      launch.getDynamicSharedMemorySize() || !launch.getBody().hasOneBlock() ||
      launch.getBody().front().getNumArguments() != gpu::LaunchOp::kNumConfigRegionAttributes)
    return std::nullopt;
  bool synchronizes =
      launch.getBody()
          .walk([](Operation *op) {
            return isa<gpu::BarrierOp, gpu::AllReduceOp, gpu::ShuffleOp, gpu::SubgroupReduceOp>(
                       op)
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted();
  return SmallLaunch{launch, *blocks, *threads, synchronizes};
}

struct TGGPUMergeSmallLaunches
    : tg::impl::TGGPUMergeSmallLaunchesBase<TGGPUMergeSmallLaunches> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) {
      if (!block->getParentOp()->getParentOfType<gpu::LaunchOp>() &&
          !isa<gpu::LaunchOp>(block->getParentOp()))
        blocks.push_back(block);
    });
    BufferAccessAnalysis buffers(getOperation());
    for (Block *block : blocks) {
      sinkOneThreadLaunches(*block, buffers);
      for (ArrayRef<SmallLaunch> run : runsIn(*block))
        merge(run);
    }
  }

  /// Moves each one-thread launch of `block` down to right before the next
  /// launch it can merge with, when no operation in between touches memory
  /// it writes, writes memory it reads, or frees its buffers.
  void sinkOneThreadLaunches(Block &block, BufferAccessAnalysis &buffers) {
    SmallVector<gpu::LaunchOp> launches;
    for (Operation &op : block)
      if (auto launch = dyn_cast<gpu::LaunchOp>(op))
        if (std::optional<SmallLaunch> small = asSmallLaunch(launch, maxBlocks);
            small && small->blocks == 1 && small->threads == 1)
          launches.push_back(launch);
    for (gpu::LaunchOp launch : launches) {
      std::optional<SmallVector<BufferAccess>> own = buffers.accesses(launch);
      if (!own)
        continue;
      auto conflicts = [&](Operation *op) {
        if (isMemoryEffectFree(op))
          return false;
        if (isa<gpu::DeallocOp>(op)) {
          BufferRoot freed = buffers.rootOf(op->getOperand(op->getNumOperands() - 1));
          return llvm::any_of(*own, [&](const BufferAccess &a) { return a.root.mayAlias(freed); });
        }
        std::optional<SmallVector<BufferAccess>> theirs = buffers.accesses(op);
        return !theirs || dependent(*theirs, *own);
      };
      for (Operation *op = launch->getNextNode(); op && !op->hasTrait<OpTrait::IsTerminator>();
           op = op->getNextNode()) {
        if (auto next = dyn_cast<gpu::LaunchOp>(op)) {
          std::optional<SmallLaunch> small = asSmallLaunch(next, maxBlocks);
          if (small && (!small->synchronizes || small->blocks == 1)) {
            if (op != launch->getNextNode())
              launch->moveBefore(op);
            break;
          }
        }
        if (conflicts(op))
          break;
      }
    }
  }

  /// The runs of at least two launches that can merge in `block`: between
  /// them only pure ops, device allocations and deallocations.
  SmallVector<SmallVector<SmallLaunch>> runsIn(Block &block) {
    SmallVector<SmallVector<SmallLaunch>> runs(1);
    int64_t runThreads = 1;
    llvm::SmallPtrSet<Value, 16> runBuffers;
    auto endRun = [&] {
      if (runs.back().size() > 1)
        runs.emplace_back();
      else
        runs.back().clear();
      runThreads = 1;
      runBuffers.clear();
    };
    for (Operation &op : block) {
      auto launch = dyn_cast<gpu::LaunchOp>(op);
      if (!launch) {
        if (!isMemoryEffectFree(&op) && !isa<gpu::AllocOp, gpu::DeallocOp>(op))
          endRun();
        continue;
      }
      std::optional<SmallLaunch> small = asSmallLaunch(launch, maxBlocks);
      // Threads of one launch are those of the merged one, or a single one.
      auto fits = [&](const SmallLaunch &s) {
        if (s.threads == 1)
          return true;
        if (runThreads != 1 && s.threads != runThreads)
          return false;
        return !s.synchronizes || s.blocks == 1;
      };
      llvm::SetVector<Value> used;
      if (small)
        getUsedValuesDefinedAbove(launch.getBody(), used);
      int64_t buffers = llvm::count_if(used, [&](Value value) {
        return isa<MemRefType>(value.getType()) && !runBuffers.contains(value);
      });
      if (!small || !fits(*small) || int64_t(runBuffers.size()) + buffers > maxBuffers) {
        endRun();
        if (!small || (small->synchronizes && small->blocks != 1))
          continue;
      }
      if (small->threads != 1)
        runThreads = small->threads;
      for (Value value : used)
        if (isa<MemRefType>(value.getType()))
          runBuffers.insert(value);
      runs.back().push_back(*small);
    }
    endRun();
    runs.pop_back();
    return runs;
  }

  void merge(ArrayRef<SmallLaunch> run) {
    gpu::LaunchOp last = run.back().launch;
    Location loc = last.getLoc();
    int64_t threads = 1;
    for (const SmallLaunch &small : run)
      threads = std::max(threads, small.threads);
    // Deallocations between the launches wait for the merged one.
    SmallVector<Operation *> deallocs;
    for (Operation *op = run.front().launch; op != last; op = op->getNextNode())
      if (isa<gpu::DeallocOp>(op))
        deallocs.push_back(op);

    OpBuilder b(last);
    auto constant = [&](OpBuilder &builder, int64_t value) {
      return arith::ConstantIndexOp::create(builder, loc, value).getResult();
    };
    Value one = constant(b, 1);
    auto merged = gpu::LaunchOp::create(b, loc, one, one, one, constant(b, threads), one, one);
    OpBuilder body = OpBuilder::atBlockBegin(&merged.getBody().front());
    auto terminator = gpu::TerminatorOp::create(body, loc);
    body.setInsertionPoint(terminator);
    Value zero = constant(body, 0);
    Value thread = merged.getThreadIds().x;
    for (auto [i, small] : llvm::enumerate(run)) {
      if (i > 0)
        gpu::BarrierOp::create(body, loc);
      gpu::LaunchOp launch = small.launch;
      IRMapping mapping;
      gpu::KernelDim3 ids = launch.getThreadIds(), blockIds = launch.getBlockIds(),
                      grid = launch.getGridSize(), blockSize = launch.getBlockSize();
      mapping.map(ids.x, thread);
      for (Value id : {ids.y, ids.z, blockIds.y, blockIds.z})
        mapping.map(id, zero);
      for (Value size : {grid.y, grid.z, blockSize.y, blockSize.z})
        mapping.map(size, one);
      mapping.map(grid.x, constant(body, small.blocks));
      mapping.map(blockSize.x, constant(body, small.threads));
      OpBuilder inner = body;
      if (small.threads == 1) {
        // One thread: the merged block's first.
        Value first = arith::CmpIOp::create(body, loc, arith::CmpIPredicate::eq, thread, zero);
        auto guard = scf::IfOp::create(body, loc, first, /*withElseRegion=*/false);
        inner = guard.getThenBodyBuilder();
        mapping.map(blockIds.x, zero);
      } else if (small.blocks > 1) {
        // Its blocks in turn.
        auto loop = scf::ForOp::create(body, loc, zero, constant(body, small.blocks), one);
        inner = OpBuilder::atBlockTerminator(loop.getBody());
        mapping.map(blockIds.x, loop.getInductionVar());
      } else {
        mapping.map(blockIds.x, zero);
      }
      for (Operation &op : launch.getBody().front().without_terminator())
        inner.clone(op, mapping);
    }
    for (Operation *dealloc : deallocs)
      dealloc->moveAfter(merged);
    for (SmallLaunch small : run)
      small.launch.erase();
  }
};

} // namespace
