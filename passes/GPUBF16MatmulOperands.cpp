//===- GPUBF16MatmulOperands.cpp - bf16 operands for cuBLAS ---------------===//
//
// A bf16 matmul reaches linalg as an f32 matmul of widened operands: tg's
// decomposition computes half-precision matmuls in f32 and rounds once, as
// PyTorch does. cuBLAS multiplies bf16 operands with f32 accumulation
// directly, on tensor cores, so the widened copies need not exist: this
// pass makes the matmul read the bf16 values (a mixed-precision
// linalg.matmul, bf16 x bf16 -> f32), which tg-matmul-to-runtime-call
// (cuda) turns into tgc_cuda_matmul_bf16_f32.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUBF16MATMULOPERANDS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The bf16 value that `result` of an elementwise generic widens
/// (`linalg.yield arith.extf %v : bf16 to f32`), or null.
arith::ExtFOp widening(OpResult result) {
  auto generic = dyn_cast<linalg::GenericOp>(result.getOwner());
  if (!generic || !generic.hasPureTensorSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getIndexingMapMatchingResult(result).isIdentity())
    return nullptr;
  Value yielded = generic.getBody()->getTerminator()->getOperand(result.getResultNumber());
  auto extend = yielded.getDefiningOp<arith::ExtFOp>();
  if (!extend || !extend.getIn().getType().isBF16())
    return nullptr;
  return extend;
}

/// A view of an operand's source: reshapes keep the element order.
bool isReshape(Operation *op) { return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(op); }

/// Whether `operand` is a widened bf16 value, through reshapes.
bool isWidened(Value operand) {
  while (Operation *op = operand.getDefiningOp()) {
    if (!isReshape(op))
      return isa<OpResult>(operand) && widening(cast<OpResult>(operand));
    operand = op->getOperand(0);
  }
  return false;
}

struct TGGPUBF16MatmulOperands : tg::impl::TGGPUBF16MatmulOperandsBase<TGGPUBF16MatmulOperands> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && op.hasPureTensorSemantics() &&
          getElementTypeOrSelf(op->getResult(0).getType()).isF32() &&
          llvm::all_of(op.getDpsInputs(), isWidened))
        matmuls.push_back(op);
    });
    for (linalg::LinalgOp matmul : matmuls) {
      OpBuilder b(matmul);
      SmallVector<Value> inputs = {narrow(matmul.getDpsInputs()[0]),
                                   narrow(matmul.getDpsInputs()[1])};
      b.setInsertionPoint(matmul);
      NamedAttribute maps =
          b.getNamedAttr("indexing_maps", b.getAffineMapArrayAttr(matmul.getIndexingMapsArray()));
      Operation *replacement;
      if (isa<linalg::MatmulOp>(matmul))
        replacement = linalg::MatmulOp::create(b, matmul.getLoc(), matmul->getResultTypes(), inputs,
                                               matmul.getDpsInits(), maps);
      else
        replacement = linalg::BatchMatmulOp::create(b, matmul.getLoc(), matmul->getResultTypes(),
                                                    inputs, matmul.getDpsInits(), maps);
      matmul->replaceAllUsesWith(replacement);
      matmul->erase();
    }
    if (matmuls.empty())
      return;
    // The f32 results nothing reads any more: the canonicalizer keeps them,
    // and each would be a full f32 write (100 MB for an attention's scores).
    RewritePatternSet patterns(&getContext());
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }

  /// The bf16 value that `operand` widens, made available: the generic's
  /// bf16 input itself, or a new output of the generic.
  Value narrow(Value operand) {
    Operation *op = operand.getDefiningOp();
    if (isReshape(op)) {
      Value source = narrow(op->getOperand(0));
      OpBuilder b(op);
      IRMapping mapping;
      mapping.map(op->getOperand(0), source);
      Operation *view = b.clone(*op, mapping);
      view->getResult(0).setType(cast<RankedTensorType>(operand.getType()).clone(b.getBF16Type()));
      return view->getResult(0);
    }
    auto result = cast<OpResult>(operand);
    auto generic = cast<linalg::GenericOp>(result.getOwner());
    arith::ExtFOp extend = widening(result);
    // The generic already yields the bf16 value (made for another matmul).
    Operation *yield = generic.getBody()->getTerminator();
    for (OpResult other : generic->getResults())
      if (yield->getOperand(other.getResultNumber()) == extend.getIn() &&
          generic.getIndexingMapMatchingResult(other).isIdentity())
        return other;
    // A bf16 input read element for element: the matmul reads it instead.
    if (auto argument = dyn_cast<BlockArgument>(extend.getIn())) {
      OpOperand *input = generic.getMatchingOpOperand(argument);
      if (generic.isDpsInput(input) && generic.getMatchingIndexingMap(input).isIdentity() &&
          input->get().getType() ==
              cast<RankedTensorType>(operand.getType()).clone(extend.getIn().getType()))
        return input->get();
    }
    // Otherwise the generic also yields the bf16 value; a dead f32 result
    // is removed at the end of the pass.
    OpBuilder b(generic);
    Location loc = generic.getLoc();
    auto type = cast<RankedTensorType>(operand.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, operand);
    SmallVector<Value> outputs = generic.getDpsInits();
    outputs.push_back(tensor::EmptyOp::create(b, loc, sizes, b.getBF16Type()));
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    maps.push_back(b.getMultiDimIdentityMap(type.getRank()));
    SmallVector<Type> resultTypes(generic->getResultTypes());
    resultTypes.push_back(type.clone(b.getBF16Type()));
    auto twin = linalg::GenericOp::create(b, loc, resultTypes, generic.getDpsInputs(), outputs,
                                          maps, generic.getIteratorTypesArray());
    IRMapping mapping;
    Block *body = generic.getBody();
    Block *twinBody = b.createBlock(&twin.getRegion());
    for (BlockArgument argument : body->getArguments())
      mapping.map(argument, twinBody->addArgument(argument.getType(), argument.getLoc()));
    twinBody->addArgument(b.getBF16Type(), loc);
    for (Operation &bodyOp : body->without_terminator())
      b.clone(bodyOp, mapping);
    SmallVector<Value> yielded;
    for (Value value : body->getTerminator()->getOperands())
      yielded.push_back(mapping.lookup(value));
    yielded.push_back(mapping.lookup(extend.getIn()));
    linalg::YieldOp::create(b, loc, yielded);
    for (unsigned i = 0; i < generic->getNumResults(); ++i)
      generic->getResult(i).replaceAllUsesWith(twin->getResult(i));
    generic->erase();
    return twin->getResults().back();
  }
};

} // namespace
