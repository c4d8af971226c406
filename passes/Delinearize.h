//===- Delinearize.h - row-major indices of a linear index ------*- C++ -*-===//
//
// The index arithmetic of the GPU mappings (tg-gpu-launch, tg-gpu-row-kernels):
// a thread's or a block's linear index back to the indices of a loop nest.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_DELINEARIZE_H
#define TGC_PASSES_DELINEARIZE_H

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::tg {

/// The row-major indices of `linear` in a space of `counts` elements per
/// dimension (the last varies fastest; the first is not bounded): a
/// remainder and a quotient per dimension after the first.
inline SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                                      ValueRange counts) {
  SmallVector<Value> indices(counts.size());
  Value rest = linear;
  for (int64_t d = int64_t(counts.size()) - 1; d > 0; --d) {
    indices[d] = arith::RemUIOp::create(b, loc, rest, counts[d]);
    rest = arith::DivUIOp::create(b, loc, rest, counts[d]);
  }
  if (!counts.empty())
    indices[0] = rest;
  return indices;
}

} // namespace mlir::tg

#endif // TGC_PASSES_DELINEARIZE_H
