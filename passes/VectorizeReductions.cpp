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

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

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
constexpr int64_t kChunkedWork = 65536;
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

/// The combining operation of a reduction with one result, when it is one
/// operation with a neutral element (addf, maximumf, ...).
Operation *singleCombiner(linalg::GenericOp op) {
  SmallVector<Operation *> combiners;
  if (!matchReduction(op.getRegionOutputArgs(), 0, combiners) || combiners.size() != 1 ||
      combiners.front()->getNumOperands() != 2 || !arith::getNeutralElement(combiners.front()))
    return nullptr;
  return combiners.front();
}

/// Splits the reduced loop `dim` of `op` (K iterations) into a parallel
/// loop of `chunks` contiguous pieces placed first, a reduction loop of
/// K / (chunks * lanes) iterations in `dim`'s place, and a parallel loop of
/// `lanes` placed last (each left out when 1). The new op reduces into
/// partials [chunks, outputs..., lanes] that start at the combiner's neutral
/// element; a second op folds them, chunks then lanes, into the original
/// output. Returns the partial reduction.
linalg::GenericOp splitReducedLoop(RewriterBase &rewriter, linalg::GenericOp op, unsigned dim,
                                   int64_t chunks, int64_t lanes, Operation *combiner) {
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
  return partial;
}

struct TGVectorizeReductions : tg::impl::TGVectorizeReductionsBase<TGVectorizeReductions> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> reductions;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          op.getNumReductionLoops() > 0 &&
          cast<linalg::LinalgOp>(op.getOperation()).hasOnlyProjectedPermutations() &&
          !op.hasDynamicShape() && isa<FloatType>(getElementTypeOrSelf(op->getResult(0))))
        reductions.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : reductions)
      vectorize(rewriter, op);
  }

  void vectorize(RewriterBase &rewriter, linalg::GenericOp op) {
    Operation *combiner = singleCombiner(op);
    if (!combiner)
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
    unsigned last = ranges.size() - 1;
    unsigned firstReduced = llvm::find(iterators, IteratorType::reduction) - iterators.begin();
    int64_t lanes = 1, chunks = 1, outputs = 1, work = 1;
    if (iterators[last] == IteratorType::reduction)
      lanes = laneCount(ranges[last], getElementTypeOrSelf(op->getResult(0)).getIntOrFloatBitWidth());
    for (auto [range, iterator] : llvm::zip(ranges, iterators)) {
      work *= range;
      if (iterator == IteratorType::parallel)
        outputs *= range;
    }
    if (outputs < kFewOutputs && work >= kChunkedWork)
      chunks = chunkCount(ranges[firstReduced] / (firstReduced == last ? lanes : 1));
    if (firstReduced == last) {
      if (chunks > 1 || lanes > 1)
        splitReducedLoop(rewriter, op, last, chunks, lanes, combiner);
      return;
    }
    if (lanes > 1)
      op = splitReducedLoop(rewriter, op, last, 1, lanes, combiner);
    if (chunks > 1)
      splitReducedLoop(rewriter, op, firstReduced, chunks, 1, combiner);
  }
};

} // namespace
