//===- MatmulViews.h - the runtime matmuls' strided views -------*- C++ -*-===//
//
// The operands of the runtime's matmul calls (tg-matmul-to-runtime-call,
// tg-gpu-matmul-epilogues): rank-3 strided views of a linalg matmul's
// buffers, the runtime functions' declarations, and the alias checks of a
// call that replaces a matmul and the op that reads its product.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_PASSES_MATMULVIEWS_H
#define TGC_PASSES_MATMULVIEWS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::tg {

/// memref<?x...xT, strided<[?,...], offset: ?>> of `rank` dimensions.
MemRefType stridedViewType(Type elementType, int64_t rank);

/// The rank-3 views [batch, m, k], [batch, k, n] and [batch, m, n] of a
/// linalg.matmul's or linalg.batch_matmul's buffers, built at `b`'s
/// insertion point: each view dimension takes the size and stride of the
/// buffer dimension its loop dimension indexes, stride 0 for a broadcast or
/// absent batch. `out` (the result buffer by default) takes the result's
/// place. Failure for maps that are not projected permutations.
FailureOr<std::array<Value, 3>> matmulViews(OpBuilder &b, linalg::LinalgOp matmul,
                                            Value out = nullptr);

/// The `linalg.fill 0` of `matmul`'s result right before it, if any: the
/// runtime's kernels overwrite the result instead.
linalg::FillOp zeroFillBefore(linalg::LinalgOp matmul);

/// The buffer a view is of (through subviews, casts, reshapes).
Value baseBuffer(Value buffer);

/// Whether two buffers may share memory: the same base, or loads of the
/// same global. Distinct allocations and function arguments do not (tgc's
/// entry points never pass aliasing buffers).
bool mayAlias(Value a, Value b);

/// Whether the ops strictly between `from` and `to` (in one block) leave
/// `buffers` as they are: a call that takes the place of `to` reads what
/// `from` would have read.
bool unchangedBetween(Operation *from, Operation *to, ValueRange buffers);

/// The runtime function `name`, declared private with a C interface (calls
/// pass pointers to memref descriptors) at its first use, touching only its
/// operands and only reading the buffers of arguments `readOnly`.
func::FuncOp getOrDeclareRuntimeFunction(ModuleOp module, StringRef name, TypeRange arguments,
                                         ArrayRef<int64_t> readOnly = {});

} // namespace mlir::tg

#endif // TGC_PASSES_MATMULVIEWS_H
