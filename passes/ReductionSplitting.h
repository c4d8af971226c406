//===- ReductionSplitting.h - splitting a reduced loop ------------*- C++ -*-===//
//
// The rewrite behind tg-vectorize-reductions (CPU: vector lanes and
// parallel chunks) and tg-split-reductions (GPU: more threads per output):
// a reduced loop split into a parallel dimension of partials and a fixed
// fold of the partials after.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_REDUCTIONSPLITTING_H
#define TGC_PASSES_REDUCTIONSPLITTING_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {

/// The combining operation of `op` when splitReducedLoop can split it: a
/// reduction on tensors with static shapes, one result, projected-permutation
/// maps, and a combiner that is one operation with a neutral element (addf,
/// maximumf, ...); else null.
Operation *getSplittableCombiner(linalg::GenericOp op);

struct SplitReducedLoop {
  linalg::GenericOp partial; // reduces into the partials
  linalg::GenericOp combine; // folds the partials into the original output
};

/// Splits the reduced loop `dim` of `op` (K iterations, static) into a
/// parallel loop of `chunks` contiguous pieces placed first, a reduction
/// loop of K / (chunks * lanes) iterations in `dim`'s place, and a parallel
/// loop of `lanes` placed last (each left out when 1; chunks * lanes must
/// divide K). The partial op reduces into partials [chunks, outputs...,
/// lanes] that start at `combiner`'s neutral element; `linalg.index` in the
/// body keeps naming the original loops. The combining op folds them,
/// chunks then lanes, into the original output, in a fixed order.
/// `combiner` is getSplittableCombiner(op).
SplitReducedLoop splitReducedLoop(RewriterBase &rewriter, linalg::GenericOp op, unsigned dim,
                                  int64_t chunks, int64_t lanes, Operation *combiner);

struct HeadAndTail {
  linalg::GenericOp head; // reduces iterations [0, size) of the loop
  linalg::GenericOp tail; // folds the rest into the head's result
};

/// Splits the reduced loop `dim` of `op` (static) at `size`: a copy of `op`
/// on slices of its inputs reduces the first `size` iterations, and a
/// second copy, on the remaining slices, continues from its result, so the
/// order of the combination is the original's. `linalg.index` in the tail
/// still names the original iteration. A length with no power-of-two factor
/// (a vocabulary of 50257) splits into a head that does and a short tail.
/// `op` must satisfy getSplittableCombiner.
HeadAndTail splitOffTail(RewriterBase &rewriter, linalg::GenericOp op, unsigned dim, int64_t size);

} // namespace mlir::tg

#endif // TGC_PASSES_REDUCTIONSPLITTING_H
