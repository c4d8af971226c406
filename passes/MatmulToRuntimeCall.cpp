//===- MatmulToRuntimeCall.cpp - linalg matmuls -> the runtime's kernel ---===//
//
// Matmuls are where a training step spends its time, and a packed,
// register-blocked kernel is several times faster than anything the loop
// lowering produces; the runtime has one (runtime/Matmul.cpp). This pass
// passes each operand as a rank-3 strided view of its buffer
// (memref<?x?x?xT, strided<[?,?,?], offset: ?>>), so transposes and
// broadcast batches cost nothing: they are strides. The CUDA pipeline uses
// the same views for the runtime's cuBLAS call (option `cuda`), which also
// takes bf16 operands with an f32 result (tgc_cuda_matmul_bf16_f32), or
// with a bf16 result (tgc_cuda_matmul_bf16_bf16) where the f32 product is
// only read by its rounding (tg-gpu-bf16-matmul-results): the rounding's
// output is then written by cuBLAS and the product never stored.
//
//===----------------------------------------------------------------------===//

#include "passes/MatmulViews.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGMATMULTORUNTIMECALL
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The ops that access `buffer`'s memory, through views, into `accesses`.
void collectAccesses(Value buffer, SetVector<Operation *> &accesses) {
  for (Operation *user : buffer.getUsers()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(user); view && view.getViewSource() == buffer) {
      for (Value result : user->getResults())
        collectAccesses(result, accesses);
    } else if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(user)) {
      collectAccesses(metadata.getBaseBuffer(), accesses);
    } else {
      accesses.insert(user);
    }
  }
}

/// `generic` writes its input rounded to bf16: yield arith.truncf(in) to
/// bf16, rounded to nearest even (as cuBLAS rounds its bf16 results).
bool isBF16Rounding(linalg::GenericOp generic) {
  if (!generic.hasPureBufferSemantics() || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) { return map.isIdentity(); }))
    return false;
  Value yielded = generic.getBody()->getTerminator()->getOperand(0);
  auto truncate = yielded.getDefiningOp<arith::TruncFOp>();
  return truncate && truncate.getType().isBF16() &&
         truncate.getIn() == generic.getBody()->getArgument(0) &&
         (!truncate.getRoundingmode() ||
          *truncate.getRoundingmode() == arith::RoundingMode::to_nearest_even);
}

/// A unit stride in one of the last two dimensions: a bf16 result cuBLAS
/// writes in place (it has no bf16 copy for a scratch block).
bool hasContiguousRowsOrColumns(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.getRank() >= 2 && succeeded(type.getStridesAndOffset(strides, offset)) &&
         (strides.back() == 1 || strides[strides.size() - 2] == 1);
}

/// The generic that rounds the f32 product of `matmul` (bf16 operands,
/// overwriting `zeroFill`) to bf16, if nothing else reads the product: the
/// product's buffer is allocated in the matmul's block, and after the
/// rounding it is freed or overwritten whole (one-shot bufferization reuses
/// a dead product's buffer for the next one) before any other access.
linalg::GenericOp roundingOfProduct(linalg::LinalgOp matmul, linalg::FillOp zeroFill) {
  Value product = matmul.getDpsInits()[0];
  auto alloc = product.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != matmul->getBlock())
    return nullptr;
  SetVector<Operation *> accesses;
  collectAccesses(product, accesses);
  SmallVector<Operation *> later; // in the matmul's block, after it
  for (Operation *access : accesses) {
    if (access == matmul || access == zeroFill ||
        isa<memref::DeallocOp, bufferization::DeallocOp>(access))
      continue;
    Operation *inBlock = matmul->getBlock()->findAncestorOpInBlock(*access);
    if (!inBlock)
      return nullptr;
    if (matmul->isBeforeInBlock(inBlock) && !llvm::is_contained(later, inBlock))
      later.push_back(inBlock);
  }
  llvm::sort(later, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  if (later.empty())
    return nullptr;
  auto rounding = dyn_cast<linalg::GenericOp>(later.front());
  if (!rounding || !isBF16Rounding(rounding) || rounding.getDpsInputs()[0] != product)
    return nullptr;
  if (later.size() > 1) {
    auto overwrite = dyn_cast<linalg::FillOp>(later[1]);
    if (!overwrite || overwrite.getDpsInits()[0] != product)
      return nullptr;
  }
  // cuBLAS writes the rounding's output while it reads the operands, at the
  // rounding's place.
  Value out = rounding.getDpsInits()[0];
  Value lhs = matmul.getDpsInputs()[0], rhs = matmul.getDpsInputs()[1];
  if (!hasContiguousRowsOrColumns(out) || tg::mayAlias(out, lhs) || tg::mayAlias(out, rhs) ||
      !tg::unchangedBetween(matmul, rounding, {lhs, rhs}))
    return nullptr;
  return rounding;
}

struct TGMatmulToRuntimeCall : tg::impl::TGMatmulToRuntimeCallBase<TGMatmulToRuntimeCall> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> matmuls;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && op.hasPureBufferSemantics())
        matmuls.push_back(op);
    });
    for (linalg::LinalgOp op : matmuls)
      rewrite(op);
  }

  /// Whether `op`'s reduction is static and at most loopReductionLimit long.
  bool hasShortReduction(linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<unsigned> reductionDims;
    op.getReductionDims(reductionDims);
    int64_t length = 1;
    for (unsigned dim : reductionDims) {
      if (ShapedType::isDynamic(ranges[dim]))
        return false;
      length *= ranges[dim];
    }
    return length <= loopReductionLimit;
  }

  void rewrite(linalg::LinalgOp op) {
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    Type elementType = cast<MemRefType>(out.getType()).getElementType();
    if (!elementType.isF32() && !elementType.isF64())
      return;
    Type operandType = cast<MemRefType>(lhs.getType()).getElementType();
    // cuBLAS also takes bf16 operands with an f32 result.
    bool bf16 = cuda && operandType.isBF16() && elementType.isF32();
    if ((operandType != elementType && !bf16) ||
        cast<MemRefType>(rhs.getType()).getElementType() != operandType)
      return;
    if (!bf16 && hasShortReduction(op))
      return;
    linalg::FillOp zeroFill = tg::zeroFillBefore(op);
    // Or a bf16 result: the product's rounding, written in its place.
    linalg::GenericOp rounding;
    if (bf16 && zeroFill && (rounding = roundingOfProduct(op, zeroFill))) {
      out = rounding.getDpsInits()[0];
      elementType = operandType;
    }
    OpBuilder b(rounding ? rounding.getOperation() : op.getOperation());
    FailureOr<std::array<Value, 3>> views = tg::matmulViews(b, op, out);
    if (failed(views))
      return; // unusual maps keep the loop lowering
    Value accumulate = arith::ConstantIntOp::create(b, op.getLoc(), zeroFill ? 0 : 1, 64);
    std::string name = std::string(cuda ? "tgc_cuda_matmul_" : "tgc_matmul_") +
                       (bf16 ? "bf16_" : "") +
                       (elementType.isBF16()  ? "bf16"
                        : elementType.isF32() ? "f32"
                                              : "f64");
    MemRefType view = tg::stridedViewType(elementType, 3);
    MemRefType operandView = tg::stridedViewType(operandType, 3);
    func::FuncOp kernel = tg::getOrDeclareRuntimeFunction(
        getOperation(), name, {operandView, operandView, view, b.getI64Type()}, {0, 1});
    func::CallOp::create(b, op.getLoc(), kernel,
                         ValueRange{(*views)[0], (*views)[1], (*views)[2], accumulate});
    if (rounding)
      rounding.erase();
    op.erase();
    if (zeroFill)
      zeroFill.erase();
  }
};

} // namespace
