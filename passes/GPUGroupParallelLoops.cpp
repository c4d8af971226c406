//===- GPUGroupParallelLoops.cpp - one kernel for independent loops -------===//
//
// tg-gpu-launch makes every scf.parallel a kernel: an optimizer's update is
// a kernel per parameter, each a few microseconds of launch and tail for a
// small tensor. Consecutive independent loops (IndependentLoopGroups.h)
// become one loop over the concatenation of their iterations:
//
//   scf.parallel (%i) = (0) to (n0 + n1 + n2) {
//     scf.if %i < n0 + n1 {
//       scf.if %i < n0 { body0(%i) } else { body1(%i - n0) }
//     } else { body2(%i - n0 - n1) }
//   }
//
// with each body's indices recovered from its linear index (row-major).
//
//===----------------------------------------------------------------------===//

#include "passes/IndependentLoopGroups.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUGROUPPARALLELLOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The trip counts of `op` when it is a loop this pass merges: an
/// scf.parallel on the host (not inside another) without reductions, every
/// dimension from 0 by 1 to a constant.
std::optional<SmallVector<int64_t>> tripCounts(Operation *op) {
  auto loop = dyn_cast<scf::ParallelOp>(op);
  if (!loop || !loop.getInitVals().empty() || loop->getParentOfType<scf::ParallelOp>())
    return std::nullopt;
  SmallVector<int64_t> counts;
  for (auto [lower, upper, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> to = getConstantIntValue(upper);
    if (getConstantIntValue(lower) != 0 || getConstantIntValue(step) != 1 || !to || *to <= 0)
      return std::nullopt;
    counts.push_back(*to);
  }
  return counts;
}

int64_t product(ArrayRef<int64_t> counts) {
  int64_t total = 1;
  for (int64_t count : counts)
    total *= count;
  return total;
}

/// The buffers (memrefs from outside) the loops use: kernel parameters.
llvm::SmallPtrSet<Value, 16> buffersOf(ArrayRef<Operation *> loops) {
  llvm::SetVector<Value> above;
  for (Operation *loop : loops)
    getUsedValuesDefinedAbove(loop->getRegions(), above);
  llvm::SmallPtrSet<Value, 16> buffers;
  for (Value value : above)
    if (isa<MemRefType>(value.getType()))
      buffers.insert(value);
  return buffers;
}

struct TGGPUGroupParallelLoops
    : tg::impl::TGGPUGroupParallelLoopsBase<TGGPUGroupParallelLoops> {
  using Base::Base;

  void runOnOperation() override {
    tg::BufferAccessAnalysis buffers(getOperation());
    SmallVector<Block *> blocks;
    getOperation()->walk([&](Block *block) { blocks.push_back(block); });
    auto isLoop = [](Operation *op) { return tripCounts(op).has_value(); };
    auto fits = [&](const tg::IndependentLoopGroup &group, Operation *loop) {
      SmallVector<Operation *> loops(group.loops);
      loops.push_back(loop);
      return int64_t(buffersOf(loops).size()) <= maxBuffers;
    };
    for (Block *block : blocks)
      for (const tg::IndependentLoopGroup &group :
           tg::findIndependentLoopGroups(*block, buffers, isLoop, fits))
        merge(group);
  }

  void merge(const tg::IndependentLoopGroup &group) {
    tg::makeConsecutive(group);
    SmallVector<scf::ParallelOp> loops;
    SmallVector<int64_t> firsts = {0}; // each loop's first linear index, then the total
    for (Operation *op : group.loops) {
      loops.push_back(cast<scf::ParallelOp>(op));
      firsts.push_back(firsts.back() + product(*tripCounts(op)));
    }
    Location loc = loops.front().getLoc();
    OpBuilder builder(loops.front());
    auto constant = [&](OpBuilder &b, int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, loc, value);
    };
    scf::ParallelOp::create(
        builder, loc, ValueRange{constant(builder, 0)},
        ValueRange{constant(builder, firsts.back())}, ValueRange{constant(builder, 1)},
        [&](OpBuilder &b, Location, ValueRange ivs) { emit(b, ivs[0], loops, firsts, 0, loops.size()); });
    for (scf::ParallelOp loop : loops)
      loop.erase();
    numLoopsMerged += loops.size() - 1;
  }

  /// The bodies of loops [from, to) at linear index `index`: a comparison
  /// with the first index of the middle loop, then each half.
  void emit(OpBuilder &b, Value index, ArrayRef<scf::ParallelOp> loops, ArrayRef<int64_t> firsts,
            size_t from, size_t to) {
    Location loc = loops[from]->getLoc();
    if (to - from == 1) {
      cloneBody(b, loops[from], index, firsts[from]);
      return;
    }
    size_t middle = (from + to) / 2;
    Value bound = arith::ConstantIndexOp::create(b, loc, firsts[middle]);
    Value before = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, bound);
    scf::IfOp::create(
        b, loc, before,
        [&](OpBuilder &then, Location) {
          emit(then, index, loops, firsts, from, middle);
          scf::YieldOp::create(then, loc);
        },
        [&](OpBuilder &otherwise, Location) {
          emit(otherwise, index, loops, firsts, middle, to);
          scf::YieldOp::create(otherwise, loc);
        });
  }

  /// `loop`'s body for linear index `index` (the loop's iterations start at
  /// `first`), its indices recovered row-major.
  void cloneBody(OpBuilder &b, scf::ParallelOp loop, Value index, int64_t first) {
    Location loc = loop.getLoc();
    Value rest = index;
    if (first != 0)
      rest = arith::SubIOp::create(b, loc, index, arith::ConstantIndexOp::create(b, loc, first));
    SmallVector<int64_t> counts = *tripCounts(loop);
    IRMapping mapping;
    for (auto [dim, iv] : llvm::enumerate(loop.getInductionVars())) {
      if (dim + 1 == counts.size()) {
        mapping.map(iv, rest);
        break;
      }
      Value stride = arith::ConstantIndexOp::create(
          b, loc, product(ArrayRef(counts).drop_front(dim + 1)));
      mapping.map(iv, arith::DivUIOp::create(b, loc, rest, stride));
      rest = arith::RemUIOp::create(b, loc, rest, stride);
    }
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
  }
};

} // namespace
