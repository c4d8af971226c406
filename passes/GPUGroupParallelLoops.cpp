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
#include "passes/StaticLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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
  std::optional<SmallVector<int64_t>> counts = tg::staticTripCounts(loop);
  if (!counts || llvm::any_of(*counts, [](int64_t count) { return count <= 0; }))
    return std::nullopt;
  return counts;
}

/// Smaller lone loops are not worth coarsening.
constexpr int64_t kMinCoarsenedIterations = 1 << 16;

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
    // (Blocks are visited innermost first: a merge erases only bodies that
    // were visited already.)
    for (Block *block : blocks) {
      SmallVector<tg::IndependentLoopGroup> groups =
          tg::findIndependentLoopGroups(*block, buffers, isLoop, fits,
                                        /*deferLibraryCalls=*/true);
      // A loop that joins no group is coarsened all the same when it can be
      // (its neighbouring elements in one thread, with 128-bit accesses
      // where the rows allow) and tg-gpu-launch would flatten it anyway.
      llvm::SmallPtrSet<Operation *, 16> grouped;
      for (const tg::IndependentLoopGroup &group : groups)
        grouped.insert(group.loops.begin(), group.loops.end());
      SmallVector<tg::IndependentLoopGroup> alone;
      for (auto loop : block->getOps<scf::ParallelOp>())
        if (coarsening > 1 && isLoop(loop) && !grouped.contains(loop) &&
            product(*tripCounts(loop)) >= kMinCoarsenedIterations && coarsenable(loop) &&
            (!hasWarpRows(loop) || accessesHalfPrecision(loop)))
          alone.push_back(tg::IndependentLoopGroup{{loop}, {}, {}});
      for (const tg::IndependentLoopGroup &group :
           llvm::concat<tg::IndependentLoopGroup>(groups, alone))
        merge(group);
    }
  }

  /// Whether tg-gpu-launch gives `loop` its 3-D grid (a last dimension of
  /// whole warps): measured on an H100, coarsening such loops of f32 lost
  /// 2.5% on the GPT-2 block, and gained 23% on rows of 50257 (softmax-CE).
  static bool hasWarpRows(scf::ParallelOp loop) {
    int64_t last = tripCounts(loop)->back();
    return loop.getNumLoops() >= 2 && last >= 256 && last % 32 == 0;
  }

  /// Whether `loop` loads or stores 16-bit floats (bf16): a warp's accesses
  /// then cover half a 128-byte line, and one element a thread left a bf16
  /// GELU on an H100 at 1.2 TB/s.
  static bool accessesHalfPrecision(scf::ParallelOp loop) {
    auto narrow = [](Value memref) {
      Type element = cast<MemRefType>(memref.getType()).getElementType();
      return isa<FloatType>(element) && element.getIntOrFloatBitWidth() == 16;
    };
    return loop
        .walk([&](Operation *op) {
          if (auto load = dyn_cast<memref::LoadOp>(op); load && narrow(load.getMemRef()))
            return WalkResult::interrupt();
          if (auto store = dyn_cast<memref::StoreOp>(op); store && narrow(store.getMemRef()))
            return WalkResult::interrupt();
          return WalkResult::advance();
        })
        .wasInterrupted();
  }

  bool coarsenable(scf::ParallelOp loop) {
    return product(*tripCounts(loop)) % coarsening == 0 &&
           llvm::all_of(loop.getBody()->without_terminator(),
                        [](Operation &op) { return op.getNumRegions() == 0; });
  }

  void merge(const tg::IndependentLoopGroup &group) {
    tg::makeConsecutive(group);
    SmallVector<scf::ParallelOp> loops;
    // Each iteration of the merged loop runs `coarsening` neighbouring
    // iterations of a loop whose count is a multiple of it and whose body
    // is straight-line code, one of any other loop (a 10-class bias among
    // an MLP's weights: the weights still get their 128-bit accesses).
    SmallVector<int64_t> factors;
    SmallVector<int64_t> firsts = {0}; // each loop's first merged index, then the total
    for (Operation *op : group.loops) {
      auto loop = cast<scf::ParallelOp>(op);
      loops.push_back(loop);
      factors.push_back(coarsenable(loop) ? coarsening : 1);
      firsts.push_back(firsts.back() + product(*tripCounts(op)) / factors.back());
    }
    Location loc = loops.front().getLoc();
    OpBuilder builder(loops.front());
    auto constant = [&](OpBuilder &b, int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, loc, value);
    };
    scf::ParallelOp::create(builder, loc, ValueRange{constant(builder, 0)},
                            ValueRange{constant(builder, firsts.back())},
                            ValueRange{constant(builder, 1)},
                            [&](OpBuilder &b, Location, ValueRange ivs) {
                              emit(b, ivs[0], loops, factors, firsts, 0, loops.size());
                            });
    for (scf::ParallelOp loop : loops)
      loop.erase();
    numLoopsMerged += loops.size() - 1;
  }

  /// The bodies of loops [from, to) at merged index `index`: a comparison
  /// with the first index of the middle loop, then each half.
  void emit(OpBuilder &b, Value index, ArrayRef<scf::ParallelOp> loops, ArrayRef<int64_t> factors,
            ArrayRef<int64_t> firsts, size_t from, size_t to) {
    Location loc = loops[from]->getLoc();
    if (to - from == 1) {
      // The loop's first element of this iteration.
      Value element = index;
      if (firsts[from] != 0)
        element = arith::SubIOp::create(b, loc, element,
                                        arith::ConstantIndexOp::create(b, loc, firsts[from]));
      if (factors[from] > 1)
        element = arith::MulIOp::create(b, loc, element,
                                        arith::ConstantIndexOp::create(b, loc, factors[from]));
      cloneBody(b, loops[from], element, factors[from]);
      return;
    }
    size_t middle = (from + to) / 2;
    Value bound = arith::ConstantIndexOp::create(b, loc, firsts[middle]);
    Value before = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, index, bound);
    scf::IfOp::create(
        b, loc, before,
        [&](OpBuilder &then, Location) {
          emit(then, index, loops, factors, firsts, from, middle);
          scf::YieldOp::create(then, loc);
        },
        [&](OpBuilder &otherwise, Location) {
          emit(otherwise, index, loops, factors, firsts, middle, to);
          scf::YieldOp::create(otherwise, loc);
        });
  }

  /// `loop`'s body for its linear index `index` and the `factor` - 1
  /// after it, its indices recovered row-major. The copies are interleaved
  /// op by op, so that the neighbours' loads (and stores) of a buffer are
  /// adjacent.
  void cloneBody(OpBuilder &b, scf::ParallelOp loop, Value index, int64_t factor) {
    Location loc = loop.getLoc();
    SmallVector<int64_t> counts = *tripCounts(loop);
    SmallVector<IRMapping> mappings(factor);
    for (auto [k, mapping] : llvm::enumerate(mappings)) {
      Value rest = index;
      if (k != 0)
        rest = arith::AddIOp::create(b, loc, index,
                                     arith::ConstantIndexOp::create(b, loc, int64_t(k)));
      for (auto [dim, iv] : llvm::enumerate(loop.getInductionVars())) {
        if (dim + 1 == counts.size()) {
          mapping.map(iv, rest);
          break;
        }
        Value stride =
            arith::ConstantIndexOp::create(b, loc, product(ArrayRef(counts).drop_front(dim + 1)));
        mapping.map(iv, arith::DivUIOp::create(b, loc, rest, stride));
        rest = arith::RemUIOp::create(b, loc, rest, stride);
      }
    }
    // Neighbours' loads and stores of the loop's own element of a buffer
    // become one vector access each, 128-bit for f32 and 64-bit for bf16
    // (aligned: the element offset is a multiple of 4 in a 16-byte aligned
    // buffer, tg-gpu-assume-alignment).
    auto ownElement = [&](Value buffer, ValueRange indices) {
      auto type = cast<MemRefType>(buffer.getType());
      unsigned bits = type.getElementTypeBitWidth();
      return factor == 4 && counts.back() % 4 == 0 && type.getLayout().isIdentity() &&
             (bits == 32 || bits == 16) && llvm::equal(indices, loop.getInductionVars());
    };
    auto alignment = [&](Value buffer) {
      return llvm::MaybeAlign(factor * cast<MemRefType>(buffer.getType()).getElementTypeBitWidth() /
                              8);
    };
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && ownElement(load.getMemRef(), load.getIndices())) {
        IRMapping &first = mappings.front();
        auto vectorType = VectorType::get({factor}, load.getType());
        auto vector = vector::LoadOp::create(
            b, loc, vectorType, first.lookupOrDefault(load.getMemRef()),
            llvm::map_to_vector(load.getIndices(),
                                [&](Value i) { return first.lookupOrDefault(i); }),
            /*nontemporal=*/false, alignment(load.getMemRef()));
        for (auto [k, mapping] : llvm::enumerate(mappings))
          mapping.map(load.getResult(), vector::ExtractOp::create(b, loc, vector, int64_t(k)));
        continue;
      }
      if (auto store = dyn_cast<memref::StoreOp>(op);
          store && ownElement(store.getMemRef(), store.getIndices())) {
        IRMapping &first = mappings.front();
        SmallVector<Value> elements = llvm::map_to_vector(mappings, [&](IRMapping &mapping) {
          return mapping.lookupOrDefault(store.getValueToStore());
        });
        Value vector = vector::FromElementsOp::create(
            b, loc, VectorType::get({factor}, store.getValueToStore().getType()), elements);
        vector::StoreOp::create(
            b, loc, vector, first.lookupOrDefault(store.getMemRef()),
            llvm::map_to_vector(store.getIndices(),
                                [&](Value i) { return first.lookupOrDefault(i); }),
            /*nontemporal=*/false, alignment(store.getMemRef()));
        continue;
      }
      for (IRMapping &mapping : mappings)
        b.clone(op, mapping);
    }
  }
};

} // namespace
