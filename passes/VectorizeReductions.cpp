//===- VectorizeReductions.cpp - float reductions in lanes and chunks -----===//
//
// A float reduction over the innermost loop keeps one accumulator, which
// LLVM may not reassociate: the loop stays scalar, one add per cycle at
// best. Splitting the reduced dimension K into [K / lanes, lanes], lanes
// innermost and parallel, gives every lane its own accumulator: the inner
// loop becomes vector adds, and a short reduction of the partials follows.
// A reduction with few outputs (a full sum) also gets a parallel dimension
// of contiguous chunks in front, which runs on all cores. Lanes and chunks
// are fixed by the shape, so the summation order, and the result, do not
// depend on the thread count.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ReductionSplitting.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGVECTORIZEREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using utils::IteratorType;

namespace {

/// Partials per output: 256 bytes (four AVX-512 registers of f32), so that
/// several independent vector adds are in flight.
constexpr int64_t kLaneBytes = 256;
/// Reductions with fewer outputs than this get parallel chunks...
constexpr int64_t kFewOutputs = 64;
/// ...when they have this many iterations, and at most this many chunks.
/// Chunked, a loss's per-parameter sums of 50000 elements run on all cores
/// (bench B1, 200 of them: 9.0 -> 6.6 ms a step).
constexpr int64_t kChunkedWork = 16384;
constexpr int64_t kMaxChunks = 64;

/// The lanes to split a reduced dimension of `size` elements into: the
/// largest power of two up to kLaneBytes of elements that divides it with
/// at least four elements per lane; 1 when none of 8 or more does.
int64_t laneCount(int64_t size, unsigned elementBits) {
  for (int64_t lanes = std::min<int64_t>(64, kLaneBytes * 8 / elementBits); lanes >= 8; lanes /= 2)
    if (size % lanes == 0 && size >= 4 * lanes)
      return lanes;
  return 1;
}

/// The largest divisor of `size` up to kMaxChunks.
int64_t chunkCount(int64_t size) {
  for (int64_t chunks = std::min(kMaxChunks, size); chunks > 1; --chunks)
    if (size % chunks == 0)
      return chunks;
  return 1;
}

struct TGVectorizeReductions : tg::impl::TGVectorizeReductionsBase<TGVectorizeReductions> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->getNumResults() == 1 && isa<FloatType>(getElementTypeOrSelf(op->getResult(0))))
        reductions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : reductions)
      vectorize(rewriter, op);
  }

  void vectorize(RewriterBase &rewriter, linalg::GenericOp op) {
    Operation *combiner = tg::getSplittableCombiner(op);
    if (!combiner)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
    unsigned last = ranges.size() - 1;
    unsigned firstReduced = llvm::find(iterators, IteratorType::reduction) - iterators.begin();
    int64_t lanes = 1, chunks = 1, outputs = 1, work = 1;
    if (iterators[last] == IteratorType::reduction) {
      unsigned bits = getElementTypeOrSelf(op->getResult(0)).getIntOrFloatBitWidth();
      lanes = laneCount(ranges[last], bits);
      // A length no lane count divides: the most lanes on a head that they
      // divide, the few left over in a tail of their own.
      int64_t maxLanes = std::min<int64_t>(64, kLaneBytes * 8 / bits);
      if (lanes == 1 && ranges[last] >= 4 * maxLanes) {
        op = tg::splitOffTail(rewriter, op, last, ranges[last] - ranges[last] % maxLanes).head;
        combiner = tg::getSplittableCombiner(op);
        ranges = op.getStaticLoopRanges();
        lanes = maxLanes;
      }
    }
    for (auto [range, iterator] : llvm::zip(ranges, iterators)) {
      work *= range;
      if (iterator == IteratorType::parallel)
        outputs *= range;
    }
    if (outputs < kFewOutputs && work >= kChunkedWork)
      chunks = chunkCount(ranges[firstReduced] / (firstReduced == last ? lanes : 1));
    if (firstReduced == last) {
      if (chunks > 1 || lanes > 1)
        tg::splitReducedLoop(rewriter, op, last, chunks, lanes, combiner);
      return;
    }
    if (lanes > 1)
      op = tg::splitReducedLoop(rewriter, op, last, 1, lanes, combiner).partial;
    if (chunks > 1)
      tg::splitReducedLoop(rewriter, op, firstReduced, chunks, 1, combiner);
  }
};

} // namespace
