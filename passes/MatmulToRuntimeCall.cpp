//===- MatmulToRuntimeCall.cpp - linalg matmuls -> the runtime's kernel ---===//
//
// Matmuls are where a training step spends its time, and a packed,
// register-blocked kernel is several times faster than anything the loop
// lowering produces; the runtime has one (runtime/Matmul.cpp). This pass
// passes each operand as a rank-3 strided view of its buffer
// (memref<?x?x?xT, strided<[?,?,?], offset: ?>>), so transposes and
// broadcast batches cost nothing: they are strides. The CUDA pipeline uses
// the same views for the runtime's cuBLAS call (option `cuda`).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGMATMULTORUNTIMECALL
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The loop dimensions of a matmul-like op: batch (absent for
/// linalg.matmul), rows m, columns n, contraction k.
struct MatmulDims {
  std::optional<unsigned> batch;
  unsigned m, n, k;
};

MemRefType stridedViewType(Type elementType) {
  int64_t dynamic = ShapedType::kDynamic;
  return MemRefType::get({dynamic, dynamic, dynamic}, elementType,
                         StridedLayoutAttr::get(elementType.getContext(), dynamic,
                                                {dynamic, dynamic, dynamic}));
}

/// The view [batch, rows, cols] of `buffer`, which `map` indexes by loop
/// dimensions: each view dimension takes the size and stride of the buffer
/// dimension the loop dimension indexes, or stride 0 when it indexes none
/// (a broadcast batch). Null when the map is not a projected permutation.
Value stridedView(OpBuilder &b, Location loc, Value buffer, AffineMap map,
                  std::array<std::optional<unsigned>, 3> loopDims, Value batchSize) {
  if (!map.isProjectedPermutation())
    return nullptr;
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<OpFoldResult> sizes, strides;
  for (std::optional<unsigned> loopDim : loopDims) {
    std::optional<unsigned> position;
    if (loopDim)
      position = map.getResultPosition(b.getAffineDimExpr(*loopDim));
    if (position) {
      sizes.push_back(metadata.getSizes()[*position]);
      strides.push_back(metadata.getStrides()[*position]);
    } else if (!loopDim || sizes.empty()) {
      // The batch dimension: absent (linalg.matmul) or broadcast.
      sizes.push_back(loopDim ? batchSize : one);
      strides.push_back(zero);
    } else {
      return nullptr;
    }
  }
  Type elementType = cast<MemRefType>(buffer.getType()).getElementType();
  return memref::ReinterpretCastOp::create(b, loc, stridedViewType(elementType),
                                           metadata.getBaseBuffer(), metadata.getOffset(), sizes,
                                           strides);
}

/// The runtime's `tgc_[cuda_]matmul_<type>`, declared with a C interface so
/// that the call passes pointers to memref descriptors.
func::FuncOp getOrDeclareKernel(ModuleOp module, Type elementType, bool cuda) {
  std::string name = std::string(cuda ? "tgc_cuda_matmul_" : "tgc_matmul_") +
                     (elementType.isF32() ? "f32" : "f64");
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  MemRefType view = stridedViewType(elementType);
  auto type = b.getFunctionType({view, view, view, b.getI64Type()}, {});
  auto kernel = func::FuncOp::create(b, module.getLoc(), name, type);
  kernel.setPrivate();
  kernel->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  return kernel;
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

  void rewrite(linalg::LinalgOp op) {
    Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
    Value out = op.getDpsInits()[0];
    Type elementType = cast<MemRefType>(out.getType()).getElementType();
    if (!elementType.isF32() && !elementType.isF64())
      return;
    if (cast<MemRefType>(lhs.getType()).getElementType() != elementType ||
        cast<MemRefType>(rhs.getType()).getElementType() != elementType)
      return;
    MatmulDims dims = isa<linalg::MatmulOp>(op) ? MatmulDims{std::nullopt, 0, 1, 2}
                                                : MatmulDims{0u, 1, 2, 3};
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();

    // A `linalg.fill 0` of the result right before: the kernel overwrites.
    auto zeroFill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
    if (zeroFill && !(zeroFill.hasPureBufferSemantics() && zeroFill.getDpsInits()[0] == out &&
                      matchPattern(zeroFill.getDpsInputs()[0], m_AnyZeroFloat())))
      zeroFill = nullptr;

    OpBuilder b(op);
    Location loc = op.getLoc();
    Value batchSize = arith::ConstantIndexOp::create(b, loc, 1);
    if (dims.batch)
      batchSize = memref::DimOp::create(b, loc, out, *maps[2].getResultPosition(
                                                         b.getAffineDimExpr(*dims.batch)));
    Value lhsView = stridedView(b, loc, lhs, maps[0], {dims.batch, dims.m, dims.k}, batchSize);
    Value rhsView = stridedView(b, loc, rhs, maps[1], {dims.batch, dims.k, dims.n}, batchSize);
    Value outView = stridedView(b, loc, out, maps[2], {dims.batch, dims.m, dims.n}, batchSize);
    if (!lhsView || !rhsView || !outView)
      return; // unusual maps keep the loop lowering (dead views fold away)

    Value accumulate = arith::ConstantIntOp::create(b, loc, zeroFill ? 0 : 1, 64);
    func::FuncOp kernel = getOrDeclareKernel(getOperation(), elementType, cuda);
    func::CallOp::create(b, loc, kernel, ValueRange{lhsView, rhsView, outView, accumulate});
    op.erase();
    if (zeroFill)
      zeroFill.erase();
  }
};

} // namespace
