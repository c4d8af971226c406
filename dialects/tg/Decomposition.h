//===- Decomposition.h - composite tg ops to core ops, as PyTorch rounds -*- C++ -*-===//
//
// One definition of what a composite op means in half precision, used by
// tg-decompose (functions as written) and by tg-autodiff (the functions it
// differentiates): a training step and an evaluation of the same function
// then compute the same numbers.
//
//===----------------------------------------------------------------------===//

#ifndef TG_DECOMPOSITION_H
#define TG_DECOMPOSITION_H

#include "tg/TGOps.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::tg {

/// Replaces `op`, whose float operands and results are all f16 or all bf16,
/// by a copy computing in f32 between tg.casts: its half operands widened,
/// its results rounded back once. Fails, changing nothing, for other ops or
/// when the f32 copy does not verify (an attribute tied to the element type).
LogicalResult computeInF32(RewriterBase &rewriter, Operation *op);

/// The core ops that replace composite `op`, built at its place (`op` is
/// left for the caller to replace). A composite on f16/bf16 computes in f32
/// and rounds each result once, as PyTorch's ops do (opmath): its core ops
/// would otherwise round after each step (a bf16 linear layer: the product,
/// then the sum with the bias; a softmax: max, subtract, exp, sum, divide).
/// A gather or a masking (tg.embedding, tg.dropout) is exact in any type.
/// Fails when `op` cannot be decomposed (a shape it needs is dynamic).
FailureOr<SmallVector<Value>> decomposeComposite(RewriterBase &rewriter,
                                                 DecomposableOpInterface op);

} // namespace mlir::tg

#endif // TG_DECOMPOSITION_H
