//===- Fuse.cpp - fusion groups: one linalg.generic each -------------------===//
//
// A fusion group is one linalg.generic on tensors: one loop nest on the CPU,
// one kernel on the GPU, and no buffer for what it computes inside. Named
// ops other than matmuls and fills become generics first, so a broadcast or
// a reduction fuses like any elementwise op; cheap producers with several
// consumers are cloned for each, so that each consumer recomputes them
// rather than reading them back from memory; then upstream elementwise
// fusion merges producers with one use into their consumers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGFUSE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Cost of one iteration of a body: one per operation, kExpensive for a
/// math function or a division.
constexpr int64_t kExpensive = 8;
/// A producer with several consumers is recomputed in each up to this cost
/// (an exp and a few arithmetic operations).
constexpr int64_t kMaxRecomputedCost = 2 * kExpensive;
/// A producer is recomputed for every element of a broadcast up to this
/// cost: a broadcast itself, a constant, a conversion.
constexpr int64_t kMaxBroadcastCost = 2;
/// At most this many operands in a group: each is a kernel parameter on the
/// GPU (a memref descriptor of 24 bytes and up), and a kernel's parameters
/// must fit in 4 KB (a loss summing 200 parameters' terms did not).
constexpr unsigned kMaxGroupOperands = 64;

int64_t bodyCost(linalg::GenericOp op) {
  int64_t cost = 0;
  op.getBody()->walk([&](Operation *nested) {
    if (isa<linalg::YieldOp>(nested))
      return;
    bool expensive = isa<math::MathDialect>(nested->getDialect()) ||
                     isa<arith::DivFOp, arith::RemFOp, arith::DivSIOp, arith::DivUIOp,
                         arith::RemSIOp, arith::RemUIOp>(nested);
    cost += expensive ? kExpensive : 1;
  });
  return cost;
}

/// Whether fusing the producer of `use` into its owner is worth it, leaving
/// aside how many uses the producer has: never into a named matmul, which
/// must stay named to reach the matmul kernels; into a use that broadcasts
/// (reads each producer element for several iterations) only when the
/// producer is trivial, since the consumer recomputes it every time.
bool isProfitableFusion(OpOperand *use) {
  auto producer = use->get().getDefiningOp<linalg::GenericOp>();
  auto consumer = dyn_cast<linalg::LinalgOp>(use->getOwner());
  if (!producer || !consumer || isa<linalg::MatmulOp, linalg::BatchMatmulOp>(consumer) ||
      !linalg::areElementwiseOpsFusable(use) ||
      producer->getNumOperands() + consumer->getNumOperands() - 1 > kMaxGroupOperands)
    return false;
  return consumer.getMatchingIndexingMap(use).isPermutation() ||
         bodyCost(producer) <= kMaxBroadcastCost;
}

/// Clones an all-parallel generic with one result and several consumers
/// for each consumer, when it is cheap and every consumer would fuse it:
/// each then recomputes it, and the tensor is never written.
struct RecomputeCheapProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp producer,
                                PatternRewriter &rewriter) const override {
    if (producer->getNumResults() != 1 || producer->use_empty() || producer->hasOneUse() ||
        producer.getNumParallelLoops() != producer.getNumLoops() ||
        bodyCost(producer) > kMaxRecomputedCost)
      return rewriter.notifyMatchFailure(producer, "not a cheap producer with several uses");
    SmallVector<OpOperand *> uses =
        llvm::map_to_vector(producer->getResult(0).getUses(), [](OpOperand &use) { return &use; });
    if (!llvm::all_of(uses, isProfitableFusion))
      return rewriter.notifyMatchFailure(producer, "a consumer would not fuse it");
    rewriter.setInsertionPoint(producer);
    for (OpOperand *use : llvm::drop_begin(uses)) {
      Operation *clone = rewriter.clone(*producer);
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(clone->getResult(0)); });
    }
    return success();
  }
};

struct TGFuse : tg::impl::TGFuseBase<TGFuse> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    IRRewriter rewriter(context);
    SmallVector<linalg::LinalgOp> named;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (isa<linalg::BroadcastOp, linalg::ReduceOp, linalg::TransposeOp, linalg::MapOp>(op))
        named.push_back(op);
    });
    for (linalg::LinalgOp op : named) {
      rewriter.setInsertionPoint(op);
      if (failed(linalg::generalizeNamedOp(rewriter, op)))
        return signalPassFailure();
    }

    linalg::ControlFusionFn control = [](OpOperand *use) {
      return isProfitableFusion(use) && use->get().getDefiningOp()->hasOneUse();
    };
    RewritePatternSet patterns(context);
    patterns.add<RecomputeCheapProducer>(context);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     GreedyRewriteConfig().setUseTopDownTraversal())))
      signalPassFailure();
  }
};

} // namespace
