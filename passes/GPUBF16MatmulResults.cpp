//===- GPUBF16MatmulResults.cpp - bf16 results of bf16 matmuls ------------===//
//
// Autocast's matmuls compute in f32 and round once to bf16, and the
// rounding happens where the product is read: a softmax kernel loads the
// f32 attention scores and truncates each element. The f32 product is then
// written and read at 4 bytes an element although only its bf16 rounding
// is ever used. This pass makes that rounding an elementwise op of its own
// right after the matmul and its readers read the bf16 tensor;
// tg-matmul-to-runtime-call (cuda) then has cuBLAS write the bf16 result
// directly (tgc_cuda_matmul_bf16_bf16), and the f32 product is never
// stored.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUBF16MATMULRESULTS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

bool isReshape(Operation *op) { return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op); }

/// `arith.truncf` of f32 to bf16, rounding to nearest even as cuBLAS does.
bool isRoundingToBF16(Operation *op) {
  auto truncate = dyn_cast<arith::TruncFOp>(op);
  return truncate && truncate.getType().isBF16() &&
         (!truncate.getRoundingmode() ||
          *truncate.getRoundingmode() == arith::RoundingMode::to_nearest_even);
}

/// The generic inputs that read `value` (through reshapes) into `reads` and
/// the reshapes on the way into `reshapes`; false if any other use (an
/// output, another op, an element used other than rounded) reads it.
bool collectRoundedReads(Value value, SmallVectorImpl<OpOperand *> &reads,
                         SmallVectorImpl<Operation *> &reshapes) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isReshape(user)) {
      reshapes.push_back(user);
      if (!collectRoundedReads(user->getResult(0), reads, reshapes))
        return false;
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic || !generic.hasPureTensorSemantics() || !generic.isDpsInput(&use))
      return false;
    BlockArgument element = generic.getMatchingBlockArgument(&use);
    if (element.use_empty() || !llvm::all_of(element.getUsers(), isRoundingToBF16))
      return false;
    reads.push_back(&use);
  }
  return true;
}

/// A bf16 x bf16 -> f32 matmul that overwrites its result.
bool isOverwritingBF16Matmul(linalg::LinalgOp op) {
  if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) || !op.hasPureTensorSemantics() ||
      !getElementTypeOrSelf(op->getResult(0).getType()).isF32() ||
      !llvm::all_of(op.getDpsInputs(),
                    [](Value input) { return getElementTypeOrSelf(input.getType()).isBF16(); }))
    return false;
  auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat());
}

struct TGGPUBF16MatmulResults : tg::impl::TGGPUBF16MatmulResultsBase<TGGPUBF16MatmulResults> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isOverwritingBF16Matmul(op))
        matmuls.push_back(op);
    });
    for (linalg::LinalgOp matmul : matmuls) {
      SmallVector<OpOperand *> reads;
      SmallVector<Operation *> reshapes;
      Value product = matmul->getResult(0);
      if (!collectRoundedReads(product, reads, reshapes) || reads.empty())
        continue;
      rewrite(matmul, reads, reshapes);
    }
  }

  void rewrite(linalg::LinalgOp matmul, ArrayRef<OpOperand *> reads,
               ArrayRef<Operation *> reshapes) {
    // The rounding, right after the matmul.
    OpBuilder b(matmul->getContext());
    b.setInsertionPointAfter(matmul);
    Location loc = matmul.getLoc();
    Value product = matmul->getResult(0);
    auto type = cast<RankedTensorType>(product.getType());
    Type bf16 = b.getBF16Type();
    Value empty = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, product), bf16);
    AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
    SmallVector<utils::IteratorType> parallel(type.getRank(), utils::IteratorType::parallel);
    auto rounding = linalg::GenericOp::create(
        b, loc, type.clone(bf16), product, empty, ArrayRef<AffineMap>{identity, identity}, parallel,
        [&](OpBuilder &body, Location bodyLoc, ValueRange arguments) {
          Value rounded = arith::TruncFOp::create(body, bodyLoc, bf16, arguments[0]);
          linalg::YieldOp::create(body, bodyLoc, rounded);
        });

    // The reshapes again on the bf16 values (operands before users).
    IRMapping rounded;
    rounded.map(product, rounding->getResult(0));
    for (Operation *reshape : reshapes) {
      b.setInsertionPoint(reshape);
      Operation *view = b.clone(*reshape, rounded);
      view->getResult(0).setType(
          cast<RankedTensorType>(reshape->getResult(0).getType()).clone(bf16));
      rounded.map(reshape->getResult(0), view->getResult(0));
    }

    // The readers take the rounded elements.
    for (OpOperand *read : reads) {
      auto generic = cast<linalg::GenericOp>(read->getOwner());
      BlockArgument element = generic.getMatchingBlockArgument(read);
      read->set(rounded.lookup(read->get()));
      element.setType(bf16);
      for (Operation *truncate : llvm::make_early_inc_range(element.getUsers())) {
        truncate->getResult(0).replaceAllUsesWith(element);
        truncate->erase();
      }
    }
    for (Operation *reshape : llvm::reverse(reshapes))
      if (reshape->use_empty())
        reshape->erase();
  }
};

} // namespace
