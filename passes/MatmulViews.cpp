//===- MatmulViews.cpp - the runtime matmuls' strided views ---------------===//

#include "passes/MatmulViews.h"
#include "passes/BufferAccesses.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

MemRefType tg::stridedViewType(Type elementType, int64_t rank) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(
      dynamic, elementType,
      StridedLayoutAttr::get(elementType.getContext(), ShapedType::kDynamic, dynamic));
}

/// The view [batch, rows, cols] of `buffer`, which `map` indexes by loop
/// dimensions: each view dimension takes the size and stride of the buffer
/// dimension the loop dimension indexes, or stride 0 when it indexes none
/// (a broadcast batch). Null when the map is not a projected permutation.
static Value stridedView(OpBuilder &b, Location loc, Value buffer, AffineMap map,
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
  return memref::ReinterpretCastOp::create(b, loc, tg::stridedViewType(elementType, 3),
                                           metadata.getBaseBuffer(), metadata.getOffset(), sizes,
                                           strides);
}

FailureOr<std::array<Value, 3>> tg::matmulViews(OpBuilder &b, linalg::LinalgOp op, Value out) {
  // Loop dimensions: batch (absent for linalg.matmul), rows m, columns n,
  // contraction k.
  std::optional<unsigned> batch;
  unsigned m = 0, n = 1, k = 2;
  if (isa<linalg::BatchMatmulOp>(op))
    batch = 0, m = 1, n = 2, k = 3;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Location loc = op.getLoc();
  if (!out)
    out = op.getDpsInits()[0];
  Value batchSize = arith::ConstantIndexOp::create(b, loc, 1);
  if (batch)
    batchSize =
        memref::DimOp::create(b, loc, out, *maps[2].getResultPosition(b.getAffineDimExpr(*batch)));
  std::array<Value, 3> views = {
      stridedView(b, loc, op.getDpsInputs()[0], maps[0], {batch, m, k}, batchSize),
      stridedView(b, loc, op.getDpsInputs()[1], maps[1], {batch, k, n}, batchSize),
      stridedView(b, loc, out, maps[2], {batch, m, n}, batchSize)};
  if (!views[0] || !views[1] || !views[2])
    return failure(); // dead views fold away
  return views;
}

linalg::FillOp tg::zeroFillBefore(linalg::LinalgOp matmul) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(matmul->getPrevNode());
  if (fill && fill.hasPureBufferSemantics() && fill.getDpsInits()[0] == matmul.getDpsInits()[0] &&
      matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat()))
    return fill;
  return nullptr;
}

Value tg::baseBuffer(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

bool tg::mayAlias(Value a, Value b) {
  a = baseBuffer(a);
  b = baseBuffer(b);
  if (a == b)
    return true;
  auto globalA = a.getDefiningOp<memref::GetGlobalOp>();
  auto globalB = b.getDefiningOp<memref::GetGlobalOp>();
  return globalA && globalB && globalA.getName() == globalB.getName();
}

bool tg::unchangedBetween(Operation *from, Operation *to, ValueRange buffers) {
  if (from == to)
    return true;
  for (Operation *op = from->getNextNode(); op != to; op = op->getNextNode()) {
    if (!op) // `to` is not after `from`
      return false;
    if (isMemoryEffectFree(op))
      continue;
    // Ownership-based deallocation frees its memrefs (when owned).
    if (auto dealloc = dyn_cast<bufferization::DeallocOp>(op)) {
      for (Value freed : dealloc.getMemrefs())
        if (llvm::any_of(buffers, [&](Value buffer) { return mayAlias(freed, buffer); }))
          return false;
      continue;
    }
    // A linalg op's effects are its operands' (its body is scalar code);
    // other ops with regions may hide effects in them.
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects || (op->getNumRegions() != 0 && !isa<linalg::LinalgOp>(op)))
      return false;
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances)
      if (isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()) &&
          (!effect.getValue() || llvm::any_of(buffers, [&](Value buffer) {
            return mayAlias(effect.getValue(), buffer);
          })))
        return false;
  }
  return true;
}

func::FuncOp tg::getOrDeclareRuntimeFunction(ModuleOp module, StringRef name, TypeRange arguments,
                                             ArrayRef<int64_t> readOnly) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto function = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType(arguments, {}));
  function.setPrivate();
  function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  function->setAttr(kOperandsOnlyAttrName, b.getUnitAttr());
  if (!readOnly.empty())
    function->setAttr(kReadOnlyOperandsAttrName, b.getDenseI64ArrayAttr(readOnly));
  return function;
}
