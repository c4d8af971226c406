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

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGSPLITREDUCTIONS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The largest divisor of `size` that is at most 1024 and leaves at least
/// 8 elements per partial; 0 when there is none above 1.
int64_t splitRatio(int64_t size) {
  for (int64_t ratio = std::min<int64_t>(1024, size / 8); ratio > 1; --ratio)
    if (size % ratio == 0)
      return ratio;
  return 0;
}

struct TGSplitReductions : tg::impl::TGSplitReductionsBase<TGSplitReductions> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Each split's partial reduction goes back on the worklist: it may
    // still be long.
    SmallVector<linalg::LinalgOp> worklist;
    getOperation()->walk([&](linalg::LinalgOp op) { worklist.push_back(op); });
    while (!worklist.empty()) {
      linalg::LinalgOp op = worklist.pop_back_val();
      int64_t ratio = ratioFor(op);
      if (!ratio)
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::SplitReductionResult> split = linalg::splitReduction(
          rewriter, op, [&](linalg::LinalgOp) {
            // The partials' dimension goes last: for a row reduction, the
            // ratio threads of a row are neighbours.
            return linalg::SplitReductionOptions{
                ratio, unsigned(op.getNumParallelLoops()), /*innerParallel=*/true};
          });
      if (succeeded(split))
        worklist.push_back(split->resultCombiningLinalgOp);
    }
  }

  /// The ratio to split `op` by, or 0 to leave it.
  int64_t ratioFor(linalg::LinalgOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() != 1 || !op.hasOnlyProjectedPermutations() ||
        isa<linalg::ContractionOpInterface>(op.getOperation()))
      return 0;
    if (op.getBlock()->walk([](linalg::IndexOp) { return WalkResult::interrupt(); })
            .wasInterrupted())
      return 0;
    SmallVector<unsigned> dims;
    op.getReductionDims(dims);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t size = ranges[dims.front()];
    if (ShapedType::isDynamic(size) || size < minSize)
      return 0;
    return splitRatio(size);
  }
};

} // namespace
