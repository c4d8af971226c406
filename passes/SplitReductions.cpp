//===- SplitReductions.cpp - long reductions in two parallel steps --------===//
//
// The GPU mapping gives every output of a reduction one thread that loops
// over the reduced elements: a softmax over 50257 classes is 8192 threads
// each reading a row alone, a full reduction one thread. Splitting the
// reduced dimension K into [K / ratio, ratio], with the ratio dimension
// parallel, gives ratio times more threads, whose neighbours read
// neighbouring elements, and a short reduction of the partials after.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/ReductionSplitting.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGSPLITREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using mlir::tg::SplitReducedLoop;

namespace {

/// Fewer threads per output than this make a poor split...
constexpr int64_t kFewThreads = 32;
/// ...which a head of a multiple of this many elements improves.
constexpr int64_t kHeadMultiple = 1024;
/// Rows that tg-gpu-row-kernels reduces, a block each (with leave-rows;
/// its kMinRowLength is the same).
constexpr int64_t kMinRows = 256, kMinRowLength = 256;
/// Rows enough for their picked elements to be worth a thread each.
constexpr int64_t kMinPickedRows = 32;
/// Threads enough to fill the GPU: below, a reduction over several loops
/// (a loss summing a whole activation) is split again along another one.
constexpr int64_t kEnoughThreads = 1 << 18;
/// Elements enough per thread for short reduced loops to be split too.
constexpr int64_t kManyPerThread = 64;
/// A short reduction (below min-size) with fewer outputs than kFewThreads
/// and at least this many elements each (a loss's mean over 128 rows, the
/// bias gradient of a 10-class layer) is split too: its one or few threads
/// would load the elements a few at a time, each load waiting for the
/// memory, while split, each load of a partial and of the combining
/// reduction overlaps the others.
constexpr int64_t kShortSplitMinSize = 64;
/// Elements per partial of such a split, at least: a partial's loads are in
/// flight together, and the partials leave a short reduction (128: 16).
constexpr int64_t kShortPerPartial = 8;

/// The largest divisor of `size` that is at most `limit` (and 1024) and
/// leaves at least `perPartial` elements per partial; 0 when there is none
/// above 1.
int64_t splitRatio(int64_t size, int64_t limit = 1024, int64_t perPartial = 8) {
  for (int64_t ratio = std::min({limit, int64_t(1024), size / perPartial}); ratio > 1; --ratio)
    if (size % ratio == 0)
      return ratio;
  return 0;
}

/// Whether `op`'s body picks an element of a row of a matrix at its loop
/// `dim`: a tensor.extract whose first index is that loop's index (a
/// cross-entropy's x[r, label]).
bool extractsAtRow(linalg::GenericOp op, unsigned dim) {
  return llvm::any_of(op.getBody()->getOps<tensor::ExtractOp>(), [&](tensor::ExtractOp extract) {
    if (extract.getTensor().getType().getRank() < 2)
      return false;
    auto index = extract.getIndices().front().getDefiningOp<linalg::IndexOp>();
    return index && index.getDim() == dim;
  });
}

/// The threads of `op`'s GPU mapping: one per iteration of its parallel loops.
int64_t threadCount(linalg::GenericOp op) {
  int64_t threads = 1;
  for (auto [range, type] : llvm::zip(op.getStaticLoopRanges(), op.getIteratorTypesArray()))
    if (type == utils::IteratorType::parallel)
      threads *= range;
  return threads;
}

struct TGSplitReductions : tg::impl::TGSplitReductionsBase<TGSplitReductions> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Reductions as generics (a fusion group already is one).
    SmallVector<linalg::LinalgOp> named;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::GenericOp>(op) && op.getNumReductionLoops() > 0 &&
          !isa<linalg::ContractionOpInterface>(op.getOperation()))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op)))
        return signalPassFailure();
    }
    // Each split's combining op goes back on the worklist: it may still be
    // long.
    SmallVector<linalg::GenericOp> worklist;
    getOperation()->walk([&](linalg::GenericOp op) { worklist.push_back(op); });
    while (!worklist.empty()) {
      linalg::GenericOp op = worklist.pop_back_val();
      Operation *combiner = tg::getSplittableCombiner(op);
      if (!combiner)
        continue;
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      SmallVector<unsigned> reduced;
      op.getReductionDims(reduced);
      // A sum of per-row terms that pick elements of the rows (a
      // cross-entropy's x[r, label] - logsumexp[r]): the terms become a
      // loop over the rows, a thread each (one thread chasing the labels'
      // loads one after another is slow even for 128 rows), which joins
      // the rows' kernel when there is one (read before an in-place update
      // overwrites the row); only their sum is left.
      auto rowDim = llvm::find_if(reduced, [&](unsigned d) { return extractsAtRow(op, d); });
      if (leaveRows && rowDim != reduced.end() && ranges[*rowDim] >= kMinPickedRows) {
        unsigned dim = *rowDim;
        SplitReducedLoop split = tg::splitReducedLoop(rewriter, op, dim, 1, ranges[dim], combiner);
        worklist.push_back(split.combine);
        // The sum's initial value is made right before the sum, so that the
        // terms' loop stays next to the loops before it (and fuses with
        // them) and the fill joins the sum's kernel.
        for (Value init : split.combine.getDpsInits())
          if (auto fill = init.getDefiningOp<linalg::FillOp>(); fill && fill->hasOneUse())
            rewriter.moveOpBefore(fill, split.combine);
        // Without the reduced loop of one iteration left in the terms'
        // place: the rows' kernel indexes them by the row alone.
        rewriter.setInsertionPoint(split.partial);
        FailureOr<linalg::DropUnitDimsResult> dropped =
            linalg::dropUnitDims(rewriter, split.partial, linalg::ControlDropUnitDims());
        if (succeeded(dropped))
          rewriter.replaceOp(split.partial, dropped->replacements);
        continue;
      }
      // The innermost reduced loop when it is long, else the longest one.
      unsigned dim = reduced.back();
      if (ranges[dim] < minSize)
        dim = *llvm::max_element(reduced, [&](unsigned a, unsigned b) {
          return ranges[a] < ranges[b];
        });
      int64_t threads = threadCount(op);
      if (ranges[dim] < minSize && threads < kFewThreads && ranges[dim] >= kShortSplitMinSize) {
        int64_t ratio = splitRatio(ranges[dim], 1024, kShortPerPartial);
        if (!ratio)
          continue;
        // Lanes of the innermost loop (neighbouring threads, neighbouring
        // elements); contiguous chunks of another, placed first.
        bool innermost = dim + 1 == op.getNumLoops();
        tg::splitReducedLoop(rewriter, op, dim, innermost ? 1 : ratio, innermost ? ratio : 1,
                             combiner);
        continue;
      }
      if (ranges[dim] < minSize) {
        // Only short loops left, several of them, and few threads for many
        // elements each (a loss over a whole activation, split along its
        // rows and into its columns' lanes): chunks of the longest outer
        // loop give more threads less to load one after another. (Not a
        // split's combining reduction: it would be split again and again.)
        int64_t perThread = 1;
        for (unsigned d : reduced)
          perThread *= ranges[d];
        if (threads >= kEnoughThreads || perThread < kManyPerThread || reduced.size() < 2)
          continue;
        std::optional<unsigned> outer;
        for (unsigned d : reduced)
          if (d + 1 != op.getNumLoops() && ranges[d] >= 4 && (!outer || ranges[d] > ranges[*outer]))
            outer = d;
        if (!outer)
          continue;
        dim = *outer;
      }
      // The innermost loop is split into lanes, which neighbouring threads
      // run on neighbouring elements. Another loop (of a reduction that
      // leaves the innermost one parallel, or was split there already)
      // into contiguous chunks placed first, so that neighbouring threads
      // keep the innermost parallel loop.
      if (leaveRows && dim + 1 == op.getNumLoops() && threads >= kMinRows &&
          ranges[dim] >= kMinRowLength)
        continue;
      if (dim + 1 != op.getNumLoops()) {
        if (threads >= kEnoughThreads)
          continue;
        // Chunks of as few as 2 of the loop's iterations: each thread still
        // reduces the other reduced loops' elements, and fewer threads than
        // the GPU holds leave its bandwidth idle (a loss over a 8x1024x768
        // activation: 128 chunks of 8 rows reached 0.7 TB/s).
        int64_t chunks =
            splitRatio(ranges[dim], llvm::divideCeil(kEnoughThreads, threads), /*perPartial=*/2);
        if (!chunks)
          continue;
        SplitReducedLoop split = tg::splitReducedLoop(rewriter, op, dim, chunks, 1, combiner);
        worklist.push_back(split.combine);
        worklist.push_back(split.partial);
        continue;
      }
      // A length with no good divisor (50257 = 29 x 1733): a head that 1024
      // threads divide, and the rest in a short tail of its own.
      int64_t ratio = splitRatio(ranges[dim]);
      if (ratio < kFewThreads && ranges[dim] >= 8 * kHeadMultiple) {
        op = tg::splitOffTail(rewriter, op, dim, ranges[dim] - ranges[dim] % kHeadMultiple).head;
        combiner = tg::getSplittableCombiner(op);
        ratio = splitRatio(op.getStaticLoopRanges()[dim]);
      }
      if (!ratio)
        continue;
      SplitReducedLoop split = tg::splitReducedLoop(rewriter, op, dim, 1, ratio, combiner);
      worklist.push_back(split.combine);
      if (threads * ratio < kEnoughThreads)
        worklist.push_back(split.partial);
    }
  }
};

} // namespace
