//===- ApproximateMath.cpp - f32 math functions -> vectorizable polynomials ===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGAPPROXIMATEMATH
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

struct TGApproximateMath : tg::impl::TGApproximateMathBase<TGApproximateMath> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Functions whose approximations are accurate in f32 (the patterns
    // leave other types alone); sqrt and rsqrt are instructions already.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return llvm::is_contained({"math.exp", "math.exp2", "math.expm1", "math.log", "math.log2",
                                 "math.log1p", "math.tanh", "math.erf", "math.erfc"},
                                name);
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
