//===- StaticLoops.h - parallel loops of static trip counts -----*- C++ -*-===//
//
// The GPU mappings (tg-gpu-row-kernels, tg-gpu-column-kernels, the groups of
// tg-gpu-group-parallel-loops) take loops whose every dimension runs from 0
// by 1 to a constant.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_STATICLOOPS_H
#define TGC_PASSES_STATICLOOPS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::tg {

/// The trip counts of `loop` when every dimension runs from 0 by 1 to a
/// constant.
inline std::optional<SmallVector<int64_t>> staticTripCounts(scf::ParallelOp loop) {
  SmallVector<int64_t> counts;
  for (auto [lower, upper, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> count = getConstantIntValue(upper);
    if (!isConstantIntValue(lower, 0) || !isConstantIntValue(step, 1) || !count)
      return std::nullopt;
    counts.push_back(*count);
  }
  return counts;
}

} // namespace mlir::tg

#endif // TGC_PASSES_STATICLOOPS_H
