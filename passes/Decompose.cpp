//===- Decompose.cpp - composite tg ops to core tg ops --------------------===//

#include "passes/Passes.h"
#include "tg/Decomposition.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGDECOMPOSE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

struct DecomposeComposite : OpInterfaceRewritePattern<DecomposableOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(DecomposableOpInterface op,
                                PatternRewriter &rewriter) const override {
    FailureOr<SmallVector<Value>> replacements = decomposeComposite(rewriter, op);
    if (failed(replacements))
      return rewriter.notifyMatchFailure(op, "decomposition failed");
    rewriter.replaceOp(op, *replacements);
    return success();
  }
};

/// A matmul on half types as well: in f32 it accumulates in f32 and rounds
/// once (PyTorch's half GEMMs do), and it runs on the runtime's f32 kernel
/// or cuBLAS rather than as loops.
struct WidenHalfMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    return computeInF32(rewriter, op);
  }
};

struct TGDecomposePass : tg::impl::TGDecomposeBase<TGDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeComposite, WidenHalfMatmul>(&getContext());
    // Only the composite ops themselves are rewritten: no folding, so the
    // decomposition stays visible for tests and for `--print-ir-after-all`.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    WalkResult left = getOperation()->walk([](DecomposableOpInterface op) {
      op->emitError("could not be decomposed into core tg ops");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
