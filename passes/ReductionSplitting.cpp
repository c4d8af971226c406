//===- ReductionSplitting.cpp - splitting a reduced loop ------------------===//

#include "passes/ReductionSplitting.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using utils::IteratorType;

Operation *tg::getSplittableCombiner(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || op.hasDynamicShape() ||
      !cast<linalg::LinalgOp>(op.getOperation()).hasOnlyProjectedPermutations())
    return nullptr;
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) || combiners.size() != 1 ||
      combiners.front()->getNumOperands() != 2 || !arith::getNeutralElement(combiners.front()))
    return nullptr;
  return combiners.front();
}

tg::SplitReducedLoop tg::splitReducedLoop(RewriterBase &rewriter, linalg::GenericOp op,
                                          unsigned dim, int64_t chunks, int64_t lanes,
                                          Operation *combiner) {
  MLIRContext *context = op.getContext();
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  unsigned shift = chunks > 1 ? 1 : 0;
  unsigned numLoops = op.getNumLoops() + shift + (lanes > 1 ? 1 : 0);
  auto newDim = [&](unsigned d) { return getAffineDimExpr(d + shift, context); };
  AffineExpr chunkExpr = getAffineDimExpr(0, context);
  AffineExpr laneExpr = getAffineDimExpr(numLoops - 1, context);
  int64_t inner = op.getStaticLoopRanges()[dim] / (chunks * lanes);

  SmallVector<IteratorType> iterators;
  if (chunks > 1)
    iterators.push_back(IteratorType::parallel);
  llvm::append_range(iterators, op.getIteratorTypesArray());
  if (lanes > 1)
    iterators.push_back(IteratorType::parallel);

  // Inputs that read `dim` are expanded: that dimension becomes
  // [chunks, inner, lanes].
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    auto type = dyn_cast<RankedTensorType>(input->get().getType());
    SmallVector<AffineExpr> results;
    SmallVector<ReassociationIndices> reassociation;
    SmallVector<int64_t> shape;
    bool expand = false;
    for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      ReassociationIndices &group = reassociation.emplace_back();
      auto add = [&](int64_t size, AffineExpr result) {
        group.push_back(shape.size());
        shape.push_back(size);
        results.push_back(result);
      };
      if (d != dim) {
        add(type.getDimSize(pos), newDim(d));
        continue;
      }
      expand = true;
      if (chunks > 1)
        add(chunks, chunkExpr);
      add(inner, newDim(d));
      if (lanes > 1)
        add(lanes, laneExpr);
    }
    Value value = input->get();
    if (expand)
      value = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(shape, type.getElementType()), value,
          reassociation);
    inputs.push_back(value);
    maps.push_back(AffineMap::get(numLoops, 0, results, context));
  }

  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outputMap = op.getMatchingIndexingMap(init);
  auto outputType = cast<RankedTensorType>(init->get().getType());
  SmallVector<int64_t> partialShape;
  SmallVector<AffineExpr> partialResults;
  if (chunks > 1) {
    partialShape.push_back(chunks);
    partialResults.push_back(chunkExpr);
  }
  for (auto [pos, expr] : llvm::enumerate(outputMap.getResults())) {
    partialShape.push_back(outputType.getDimSize(pos));
    partialResults.push_back(newDim(cast<AffineDimExpr>(expr).getPosition()));
  }
  if (lanes > 1) {
    partialShape.push_back(lanes);
    partialResults.push_back(laneExpr);
  }
  maps.push_back(AffineMap::get(numLoops, 0, partialResults, context));
  Value neutral = arith::ConstantOp::create(rewriter, loc, *arith::getNeutralElement(combiner));
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, partialShape, outputType.getElementType());
  Value partialInit = linalg::FillOp::create(rewriter, loc, neutral, empty).getResult(0);

  auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{partialInit.getType()},
                                           inputs, ValueRange{partialInit}, maps, iterators);
  rewriter.inlineRegionBefore(op.getRegion(), partial.getRegion(), partial.getRegion().begin());
  // Indices name the original loops: `dim`'s is
  // (chunk * inner + i) * lanes + lane.
  SmallVector<linalg::IndexOp> indices;
  partial.getBody()->walk([&](linalg::IndexOp index) { indices.push_back(index); });
  for (linalg::IndexOp index : indices) {
    rewriter.setInsertionPoint(index);
    unsigned d = index.getDim();
    Value value = linalg::IndexOp::create(rewriter, loc, d + shift);
    if (d == dim) {
      auto scaled = [&](Value v, int64_t by, unsigned plusDim) {
        Value scale = arith::ConstantIndexOp::create(rewriter, loc, by);
        Value product = arith::MulIOp::create(rewriter, loc, v, scale);
        return arith::AddIOp::create(rewriter, loc, product,
                                     linalg::IndexOp::create(rewriter, loc, plusDim));
      };
      if (chunks > 1)
        value = scaled(linalg::IndexOp::create(rewriter, loc, 0), inner, d + shift);
      if (lanes > 1)
        value = scaled(value, lanes, numLoops - 1);
    }
    rewriter.replaceOp(index, value);
  }

  // Fold the partials into the original output, in a fixed order.
  rewriter.setInsertionPoint(op);
  unsigned outputRank = outputType.getRank();
  unsigned combineLoops = partialShape.size();
  SmallVector<IteratorType> combineIterators(combineLoops, IteratorType::parallel);
  if (chunks > 1)
    combineIterators.front() = IteratorType::reduction;
  if (lanes > 1)
    combineIterators.back() = IteratorType::reduction;
  SmallVector<AffineExpr> outputDims;
  for (unsigned i = 0; i < outputRank; ++i)
    outputDims.push_back(getAffineDimExpr(i + shift, context));
  SmallVector<AffineMap> combineMaps = {
      AffineMap::getMultiDimIdentityMap(combineLoops, context),
      AffineMap::get(combineLoops, 0, outputDims, context)};
  auto combine = linalg::GenericOp::create(
      rewriter, loc, TypeRange{outputType}, partial.getResults(), ValueRange{init->get()},
      combineMaps, combineIterators, [&](OpBuilder &b, Location bodyLoc, ValueRange args) {
        OperationState state(bodyLoc, combiner->getName(), ValueRange{args[1], args[0]},
                             TypeRange{args[0].getType()}, combiner->getAttrs());
        linalg::YieldOp::create(b, bodyLoc, b.create(state)->getResults());
      });
  rewriter.replaceOp(op, combine.getResults());
  return {partial, combine};
}


tg::HeadAndTail tg::splitOffTail(RewriterBase &rewriter, linalg::GenericOp op, unsigned dim,
                                 int64_t size) {
  Location loc = op.getLoc();
  int64_t length = op.getStaticLoopRanges()[dim];
  rewriter.setInsertionPoint(op);
  // A copy of `op` over iterations [offset, offset + count) of `dim`,
  // reducing into `init`.
  auto part = [&](int64_t offset, int64_t count, Value init) {
    SmallVector<Value> inputs;
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(input);
      std::optional<unsigned> pos = map.getResultPosition(rewriter.getAffineDimExpr(dim));
      if (!pos) {
        inputs.push_back(input->get());
        continue;
      }
      auto type = cast<RankedTensorType>(input->get().getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
      for (int64_t extent : type.getShape())
        sizes.push_back(rewriter.getIndexAttr(extent));
      offsets[*pos] = rewriter.getIndexAttr(offset);
      sizes[*pos] = rewriter.getIndexAttr(count);
      inputs.push_back(
          tensor::ExtractSliceOp::create(rewriter, loc, input->get(), offsets, sizes, strides));
    }
    auto copy = linalg::GenericOp::create(rewriter, loc, TypeRange{init.getType()}, inputs,
                                          ValueRange{init}, op.getIndexingMapsArray(),
                                          op.getIteratorTypesArray());
    IRMapping mapping;
    op.getRegion().cloneInto(&copy.getRegion(), mapping);
    if (offset != 0) {
      SmallVector<linalg::IndexOp> indices;
      copy.getBody()->walk([&](linalg::IndexOp index) {
        if (index.getDim() == dim)
          indices.push_back(index);
      });
      for (linalg::IndexOp index : indices) {
        rewriter.setInsertionPointAfter(index);
        Value shift = arith::ConstantIndexOp::create(rewriter, loc, offset);
        auto shifted = arith::AddIOp::create(rewriter, loc, index, shift);
        rewriter.replaceAllUsesExcept(index, shifted, shifted);
      }
      rewriter.setInsertionPoint(op);
    }
    return copy;
  };
  linalg::GenericOp head = part(0, size, op.getDpsInitOperand(0)->get());
  linalg::GenericOp tail = part(size, length - size, head.getResult(0));
  rewriter.replaceOp(op, tail.getResults());
  return {head, tail};
}
