//===- ParallelizeLoops.cpp - big parallel loops -> OpenMP on all cores ---===//
//
// The loop lowering of linalg turns every parallel dimension into an
// scf.parallel. Forking a team costs microseconds, so only loop nests with
// enough work run in parallel, and only their outermost dimension: the
// static schedule then hands each thread a contiguous block of rows, and
// the inner dimensions stay plain loops that LLVM vectorizes. Everything
// else stays scf.parallel, which scf-to-cf lowers to sequential loops.
//
// LLVM's OpenMPIRBuilder outlines the regions when the module is translated
// to LLVM IR; the runtime implements the few libomp entry points it calls
// (runtime/ParallelRegions.cpp).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGPARALLELIZELOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The iterations of one loop dimension, when its bounds are constants.
std::optional<int64_t> constantTripCount(OpFoldResult lower, OpFoldResult upper,
                                         OpFoldResult step) {
  std::optional<int64_t> from = getConstantIntValue(lower), to = getConstantIntValue(upper),
                         by = getConstantIntValue(step);
  if (!from || !to || !by || *by <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, llvm::divideCeil(*to - *from, *by));
}

/// The iterations of all of `loop`'s dimensions together; a dimension
/// whose bounds are not constant counts once.
uint64_t staticTripCount(LoopLikeOpInterface loop) {
  auto lowers = loop.getLoopLowerBounds(), uppers = loop.getLoopUpperBounds();
  auto steps = loop.getLoopSteps();
  if (!lowers || !uppers || !steps)
    return 1;
  uint64_t trips = 1;
  for (auto [lower, upper, step] : llvm::zip(*lowers, *uppers, *steps))
    if (std::optional<int64_t> count = constantTripCount(lower, upper, step))
      trips = llvm::SaturatingMultiply(trips, uint64_t(*count));
  return trips;
}

/// Operations executed by `op` when every loop runs its static trip count,
/// an operation on vectors once per element: a measure of work.
uint64_t staticWork(Operation &op) {
  uint64_t body = 1;
  for (Type type : llvm::concat<Type>(op.getOperandTypes(), op.getResultTypes()))
    if (auto vector = dyn_cast<VectorType>(type))
      body = std::max<uint64_t>(body, vector.getNumElements());
  for (Region &region : op.getRegions())
    for (Operation &nested : region.getOps())
      body = llvm::SaturatingAdd(body, staticWork(nested));
  auto loop = dyn_cast<LoopLikeOpInterface>(op);
  return loop ? llvm::SaturatingMultiply(staticTripCount(loop), body) : body;
}

/// The dimension of `loop` to share among threads: the outermost one with
/// enough iterations to split evenly (so each thread gets contiguous rows),
/// else the longest.
unsigned chooseSharedDimension(scf::ParallelOp loop) {
  constexpr int64_t kEnoughIterations = 32;
  unsigned longest = 0;
  int64_t longestCount = -1;
  for (unsigned dim = 0; dim < loop.getNumLoops(); ++dim) {
    std::optional<int64_t> trips = constantTripCount(
        loop.getLowerBound()[dim], loop.getUpperBound()[dim], loop.getStep()[dim]);
    if (!trips)
      continue;
    int64_t count = *trips;
    if (count >= kEnoughIterations)
      return dim;
    if (count > longestCount)
      std::tie(longest, longestCount) = std::make_tuple(dim, count);
  }
  return longest;
}

/// An scf.parallel over dimensions [begin, end) of `loop` at `b`'s
/// insertion point, its induction variables mapped; null when empty.
scf::ParallelOp createSubLoop(OpBuilder &b, scf::ParallelOp loop, unsigned begin, unsigned end,
                              IRMapping &mapping) {
  if (begin == end)
    return nullptr;
  auto slice = [&](ValueRange values) { return values.slice(begin, end - begin); };
  auto subLoop = scf::ParallelOp::create(b, loop.getLoc(), slice(loop.getLowerBound()),
                                         slice(loop.getUpperBound()), slice(loop.getStep()));
  mapping.map(slice(loop.getInductionVars()), subLoop.getInductionVars());
  b.setInsertionPointToStart(subLoop.getBody());
  return subLoop;
}

/// Replaces `loop` by an OpenMP worksharing loop over one dimension, inside
/// sequential loops over the dimensions before it and around an scf.parallel
/// over those after it.
void parallelizeDimension(scf::ParallelOp loop, unsigned shared) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  IRMapping mapping;
  createSubLoop(b, loop, 0, shared, mapping);

  auto parallel = omp::ParallelOp::create(b, loc, omp::ParallelOperands{});
  b.createBlock(&parallel.getRegion());
  omp::WsloopOperands worksharing;
  worksharing.nowait = b.getUnitAttr(); // the fork joins: no barrier needed
  auto wsloop = omp::WsloopOp::create(b, loc, worksharing);
  omp::TerminatorOp::create(b, loc);
  b.createBlock(&wsloop.getRegion());
  omp::LoopNestOperands bounds;
  bounds.loopLowerBounds = {loop.getLowerBound()[shared]};
  bounds.loopUpperBounds = {loop.getUpperBound()[shared]};
  bounds.loopSteps = {loop.getStep()[shared]};
  auto nest = omp::LoopNestOp::create(b, loc, bounds);
  Block *nestBody = b.createBlock(&nest.getRegion(), {}, {b.getIndexType()}, {loc});
  omp::YieldOp::create(b, loc);
  mapping.map(loop.getInductionVars()[shared], nestBody->getArgument(0));
  b.setInsertionPointToStart(nestBody);

  createSubLoop(b, loop, shared + 1, loop.getNumLoops(), mapping);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  loop.erase();
}

struct TGParallelizeLoops : tg::impl::TGParallelizeLoopsBase<TGParallelizeLoops> {
  using TGParallelizeLoopsBase::TGParallelizeLoopsBase;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> candidates;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>() || loop->getParentOfType<omp::ParallelOp>() ||
          loop.getNumResults() != 0)
        return;
      if (staticWork(*loop) >= uint64_t(minWork))
        candidates.push_back(loop);
    });
    for (scf::ParallelOp loop : candidates)
      parallelizeDimension(loop, chooseSharedDimension(loop));
  }
};

} // namespace
