//===- VectorizeLaneLoops.cpp - a split reduction's lanes as vectors ------===//
//
// The lanes tg-vectorize-reductions gives a float reduction become, as
// loops, an scf.parallel over 8 to 64 lanes inside the scf.for over the
// reduced dimension:
//
//   scf.for %k {
//     scf.parallel (%lane) = (0) to (64) {
//       %x = memref.load %in[%row, %k, %lane]
//       %a = memref.load %acc[%row, %lane]
//       memref.store (%a max %x), %acc[%row, %lane]
//   } }
//
// LLVM vectorizes the lane loop but leaves the accumulators in memory: each
// step stores them (masked, for a maximum) and the next reloads them. As
// vector operations on vector<64xf32> the accumulator's load and store are
// at one address in every step, and LLVM keeps them in registers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGVECTORIZELANELOOPS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Whether `indices` address one element per lane: `lane` is the last index
/// (of a dimension with unit stride) and no other index depends on it; and
/// not of i1: a memref stores an i1 in a byte, where a vector<N x i1> load
/// or store (in LLVM) packs N bits.
bool isPerLaneAccess(MemRefType type, ValueRange indices, Value lane,
                     const llvm::DenseSet<Value> &perLane) {
  if (indices.empty() || indices.back() != lane || !type.isLastDimUnitStride() ||
      type.getElementType().isInteger(1))
    return false;
  return llvm::none_of(indices.drop_back(), [&](Value index) { return perLane.contains(index); });
}

class LaneLoopVectorizer {
public:
  LaneLoopVectorizer(scf::ParallelOp loop, int64_t lanes)
      : loop(loop), lane(loop.getInductionVars()[0]), lanes(lanes) {}

  /// Whether every operation of the body can be rewritten: lane-independent
  /// operations without side effects, per-lane loads and stores, and
  /// elementwise operations. Records the values that depend on the lane.
  bool isVectorizable() {
    for (Operation &op : loop.getBody()->without_terminator()) {
      bool dependsOnLane = llvm::any_of(
          op.getOperands(), [&](Value operand) { return operand == lane || perLane.contains(operand); });
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        if (!dependsOnLane)
          continue;
        if (!isPerLaneAccess(load.getMemRefType(), load.getIndices(), lane, perLane) ||
            !VectorType::isValidElementType(load.getType()))
          return false;
      } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
        if (!isPerLaneAccess(store.getMemRefType(), store.getIndices(), lane, perLane))
          return false;
        continue;
      } else if (!dependsOnLane) {
        if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
          return false;
        continue;
      } else if (op.getNumRegions() != 0 || !op.hasTrait<OpTrait::Elementwise>() ||
                 !op.hasTrait<OpTrait::Vectorizable>() ||
                 llvm::is_contained(op.getOperands(), lane) ||
                 !llvm::all_of(op.getResultTypes(), VectorType::isValidElementType)) {
        return false;
      }
      perLane.insert(op.getResults().begin(), op.getResults().end());
    }
    return loop.getBody()->getTerminator()->getNumOperands() == 0;
  }

  void rewrite() {
    OpBuilder builder(loop);
    Value zero = arith::ConstantIndexOp::create(builder, loop.getLoc(), 0);
    // Per-lane memory accesses start at lane 0, the loop's lower bound.
    auto indicesOf = [&](ValueRange indices) {
      SmallVector<Value> mapped;
      for (Value index : indices)
        mapped.push_back(index == lane ? zero : scalars.lookupOrDefault(index));
      return mapped;
    };
    for (Operation &op : loop.getBody()->without_terminator()) {
      Location loc = op.getLoc();
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        vector::StoreOp::create(builder, loc, vectorOf(builder, store.getValueToStore()),
                                store.getMemRef(), indicesOf(store.getIndices()));
      } else if (!llvm::any_of(op.getResults(), [&](Value v) { return perLane.contains(v); })) {
        builder.clone(op, scalars);
      } else if (auto load = dyn_cast<memref::LoadOp>(op)) {
        vectors[load.getResult()] =
            vector::LoadOp::create(builder, loc, vectorType(load.getType()), load.getMemRef(),
                                   indicesOf(load.getIndices()));
      } else {
        SmallVector<Value> operands;
        for (Value operand : op.getOperands())
          operands.push_back(vectorOf(builder, operand));
        SmallVector<Type> types;
        for (Type type : op.getResultTypes())
          types.push_back(vectorType(type));
        Operation *vectorOp = mlir::clone(builder, &op, types, operands);
        for (auto [result, vector] : llvm::zip(op.getResults(), vectorOp->getResults()))
          vectors[result] = vector;
      }
    }
    loop.erase();
  }

private:
  VectorType vectorType(Type element) { return VectorType::get({lanes}, element); }

  /// `value` as a vector: its vector if it depends on the lane, else the
  /// broadcast of its (cloned) scalar.
  Value vectorOf(OpBuilder &builder, Value value) {
    if (Value vector = vectors.lookup(value))
      return vector;
    Value scalar = scalars.lookupOrDefault(value);
    return vector::BroadcastOp::create(builder, scalar.getLoc(), vectorType(scalar.getType()),
                                       scalar);
  }

  scf::ParallelOp loop;
  Value lane;
  int64_t lanes;
  llvm::DenseSet<Value> perLane;
  IRMapping scalars;
  DenseMap<Value, Value> vectors;
};

/// The lanes of `loop` when it is a lane loop of a reduction: one dimension
/// from 0 by 1 to a power of two from 4 to 64, directly in an scf.for.
std::optional<int64_t> laneCount(scf::ParallelOp loop) {
  if (loop.getNumLoops() != 1 || !isa<scf::ForOp>(loop->getParentOp()))
    return std::nullopt;
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound()[0]),
                         upper = getConstantIntValue(loop.getUpperBound()[0]),
                         step = getConstantIntValue(loop.getStep()[0]);
  if (lower != 0 || step != 1 || !upper || *upper < 4 || *upper > 64 ||
      !llvm::isPowerOf2_64(*upper))
    return std::nullopt;
  return *upper;
}

struct TGVectorizeLaneLoops : tg::impl::TGVectorizeLaneLoopsBase<TGVectorizeLaneLoops> {
  void runOnOperation() override {
    SmallVector<std::pair<scf::ParallelOp, int64_t>> candidates;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (std::optional<int64_t> lanes = laneCount(loop))
        candidates.emplace_back(loop, *lanes);
    });
    for (auto [loop, lanes] : candidates) {
      LaneLoopVectorizer vectorizer(loop, lanes);
      if (vectorizer.isVectorizable())
        vectorizer.rewrite();
    }
  }
};

} // namespace
