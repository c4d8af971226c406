//===- Decompose.cpp - composite tg ops to core tg ops --------------------===//

#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGDECOMPOSE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// The half-precision float type (f16 or bf16) of `op`'s float operands and
/// results when they all have it; null otherwise.
FloatType halfPrecisionType(Operation *op) {
  FloatType half;
  for (Type type : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes())) {
    auto element = dyn_cast<FloatType>(getElementTypeOrSelf(type));
    if (!element)
      continue;
    if (element.getWidth() != 16 || (half && element != half))
      return nullptr;
    half = element;
  }
  return half;
}

/// `value` with its float elements converted to `type` (a tg.cast).
Value castElements(PatternRewriter &rewriter, Location loc, Value value, Type type) {
  auto tensor = cast<RankedTensorType>(value.getType());
  return CastOp::create(rewriter, loc, tensor.clone(type), value);
}

/// A composite on f16/bf16 computes in f32 and rounds once, as PyTorch's
/// ops do (opmath): its decomposition into a few core ops would otherwise
/// round after each (a bf16 softmax: max, subtract, exp, sum, divide).
/// The f32 copy of the op decomposes in turn. Null when that copy does not
/// verify (an attribute tied to the element type).
Operation *computeInF32(PatternRewriter &rewriter, Operation *op, FloatType half) {
  Location loc = op->getLoc();
  Type f32 = rewriter.getF32Type();
  auto widened = [&](Type type) -> Type {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getElementType() == half ? tensor.clone(f32) : type;
  };
  SmallVector<Value> operands;
  for (Value operand : op->getOperands())
    operands.push_back(widened(operand.getType()) == operand.getType()
                           ? operand
                           : castElements(rewriter, loc, operand, f32));
  SmallVector<Type> types = llvm::map_to_vector(op->getResultTypes(), widened);
  Operation *wide = mlir::clone(rewriter, op, types, operands);
  if (failed(mlir::verify(wide))) {
    rewriter.eraseOp(wide);
    return nullptr;
  }
  return wide;
}

struct DecomposeComposite
    : OpInterfaceRewritePattern<DecomposableOpInterface> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(DecomposableOpInterface op,
                                PatternRewriter &rewriter) const override {
    // A gather and a masking are exact in any type: widening an embedding
    // table would only copy it.
    bool exact = isa<EmbeddingOp, DropoutOp>(op.getOperation());
    if (FloatType half = exact ? nullptr : halfPrecisionType(op)) {
      if (Operation *wide = computeInF32(rewriter, op, half)) {
        SmallVector<Value> rounded;
        for (auto [result, wideResult] : llvm::zip(op->getResults(), wide->getResults()))
          rounded.push_back(result.getType() == wideResult.getType()
                                ? wideResult
                                : castElements(rewriter, op.getLoc(), wideResult, half));
        rewriter.replaceOp(op, rounded);
        return success();
      }
    }
    SmallVector<Value> replacements = op.decompose(rewriter);
    if (replacements.size() != op->getNumResults())
      return rewriter.notifyMatchFailure(op, "decomposition failed");
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

/// A matmul on half types as well: in f32 it accumulates in f32 and rounds
/// once (PyTorch's half GEMMs do), and it runs on the runtime's f32 kernel
/// or cuBLAS rather than as loops.
struct WidenHalfMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op, PatternRewriter &rewriter) const override {
    FloatType half = halfPrecisionType(op);
    if (!half)
      return failure();
    Operation *wide = computeInF32(rewriter, op, half);
    if (!wide)
      return failure();
    rewriter.replaceOp(op, castElements(rewriter, op.getLoc(), wide->getResult(0), half));
    return success();
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
