//===- GPUMatmulEpilogues.cpp - matmul + bias + activation via cuBLASLt ---===//
//
// A linear layer's forward is a matmul, then one elementwise kernel that
// reads the whole product back to add the bias and apply the activation.
// cuBLASLt applies both in the GEMM's epilogue, while the product is still
// in registers: this pass turns such a pair into one call of the runtime's
// tgc_cuda_matmul_bias_f32 (runtime/CudaBlas.cpp), which writes the
// elementwise op's output; the product's buffer is no longer needed.
//
//===----------------------------------------------------------------------===//

#include "passes/MatmulViews.h"
#include "passes/Passes.h"

#include "tgc/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUMATMULEPILOGUES
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

using Predicate = llvm::function_ref<bool(Value)>;

/// `value` is a float constant within a float's rounding of `expected`.
bool isConstant(Value value, double expected) {
  FloatAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return false;
  return std::fabs(attr.getValueAsDouble() - expected) <= 1e-6 * std::fabs(expected);
}

/// `value` is `OpTy(x, y)` with `first(x)` and `second(y)`, in either order.
template <typename OpTy> bool isBinary(Value value, Predicate first, Predicate second) {
  auto op = value.getDefiningOp<OpTy>();
  return op && ((first(op.getLhs()) && second(op.getRhs())) ||
                (first(op.getRhs()) && second(op.getLhs())));
}

/// The epilogue that `result` computes from `x` (the product plus the bias):
/// x, relu(x) (tg's max(x, 0)) or gelu's tanh approximation as tg lowers it,
/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). Exact (erf) GELU is
/// not what cuBLASLt computes.
std::optional<int64_t> matchActivation(Value result, Value x) {
  if (result == x)
    return TGC_EPILOGUE_BIAS;
  auto isX = [&](Value v) { return v == x; };
  auto constant = [](double c) { return [c](Value v) { return isConstant(v, c); }; };
  if (isBinary<arith::MaximumFOp>(result, isX, constant(0)))
    return TGC_EPILOGUE_BIAS_RELU;
  auto cube = [&](Value v) {
    return isBinary<arith::MulFOp>(v, isX, [&](Value w) {
      return isBinary<arith::MulFOp>(
          w, isX, [&](Value u) { return isBinary<arith::MulFOp>(u, isX, constant(0.044715)); });
    });
  };
  auto tanhTerm = [&](Value v) {
    auto tanh = v.getDefiningOp<math::TanhOp>();
    return tanh &&
           isBinary<arith::MulFOp>(tanh.getOperand(), constant(0.7978845608028654),
                                   [&](Value w) { return isBinary<arith::AddFOp>(w, isX, cube); });
  };
  auto halfX = [&](Value v) { return isBinary<arith::MulFOp>(v, isX, constant(0.5)); };
  auto onePlusTanh = [&](Value v) { return isBinary<arith::AddFOp>(v, constant(1), tanhTerm); };
  if (isBinary<arith::MulFOp>(result, halfX, onePlusTanh))
    return TGC_EPILOGUE_BIAS_GELU_TANH;
  return std::nullopt;
}

/// A static unit stride in the last dimension: rows cuBLASLt can address
/// without a copy.
bool hasContiguousRows(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  return type.getRank() > 0 && succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// A matmul and the elementwise op that adds the bias to its product and
/// applies the activation.
struct Epilogue {
  linalg::LinalgOp matmul;
  linalg::FillOp zeroFill;
  linalg::GenericOp generic;
  memref::ExpandShapeOp expand; // the product as the generic reads it, if reshaped
  Value bias, out;
  int64_t kind;
};

/// The linear layer's elementwise op after `matmul`, if the pair fuses.
std::optional<Epilogue> matchEpilogue(linalg::LinalgOp matmul) {
  Epilogue epilogue;
  epilogue.matmul = matmul;
  Value product = matmul.getDpsInits()[0];
  Value lhs = matmul.getDpsInputs()[0], rhs = matmul.getDpsInputs()[1];
  for (Value operand : {lhs, rhs, product})
    if (!cast<MemRefType>(operand.getType()).getElementType().isF32() ||
        !hasContiguousRows(operand))
      return std::nullopt;
  // cuBLASLt's bias is one vector for all batch items, which is only right
  // when every operand has its own batch.
  if (isa<linalg::BatchMatmulOp>(matmul))
    for (AffineMap map : matmul.getIndexingMapsArray())
      if (!map.isFunctionOfDim(0))
        return std::nullopt;
  epilogue.zeroFill = tg::zeroFillBefore(matmul);
  if (!epilogue.zeroFill || !product.getDefiningOp<memref::AllocOp>())
    return std::nullopt;

  // The product's readers: one elementwise generic (through an expand_shape
  // at most); its other users allocate, fill, write and free it, or, when
  // the generic writes its output over the product, come after it (and read
  // that output), or come after a fill that overwrites it.
  SetVector<Operation *> readers;
  for (Operation *user : product.getUsers()) {
    if (user == matmul || user == epilogue.zeroFill ||
        isa<memref::DeallocOp, bufferization::DeallocOp>(user))
      continue;
    if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(user)) {
      if (llvm::any_of(metadata->getUsers(),
                       [](Operation *op) { return !isa<bufferization::DeallocOp>(op); }))
        return std::nullopt;
      continue;
    }
    Operation *inBlock = matmul->getBlock()->findAncestorOpInBlock(*user);
    // Accesses before the zero fill see the buffer's earlier contents.
    if (inBlock && inBlock->isBeforeInBlock(epilogue.zeroFill))
      continue;
    if (!inBlock || !matmul->isBeforeInBlock(inBlock))
      return std::nullopt;
    readers.insert(inBlock);
  }
  if (readers.empty())
    return std::nullopt;
  SmallVector<Operation *> ordered(readers.begin(), readers.end());
  llvm::sort(ordered, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  Operation *reader = ordered.front();
  // One-shot bufferization may reuse the dead product's buffer for a later
  // product, which overwrites it whole before anything else reads it.
  auto fill = ordered.size() > 1 ? dyn_cast<linalg::FillOp>(ordered[1]) : nullptr;
  bool overwrittenNext = fill && fill.getDpsInits()[0] == product;
  Value read = product;
  if (auto expand = dyn_cast<memref::ExpandShapeOp>(reader)) {
    if (!expand->hasOneUse() || readers.size() != 1)
      return std::nullopt;
    epilogue.expand = expand;
    read = expand.getResult();
    reader = *read.getUsers().begin();
  }
  auto generic = dyn_cast<linalg::GenericOp>(reader);
  if (!generic || generic->getBlock() != matmul->getBlock() || !generic.hasPureBufferSemantics() ||
      generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return std::nullopt;
  bool inPlace = generic.getDpsInits()[0] == read;
  if (readers.size() > 1 && !inPlace && !overwrittenNext)
    return std::nullopt;
  epilogue.generic = generic;

  // ins(product, bias[last dimension]) outs(out), the output not read.
  OpOperand *productOperand = generic.getDpsInputOperand(0);
  OpOperand *biasOperand = generic.getDpsInputOperand(1);
  if (productOperand->get() != read)
    std::swap(productOperand, biasOperand);
  OpOperand *outOperand = generic.getDpsInitOperand(0);
  unsigned rank = generic.getNumLoops();
  AffineMap rowBroadcast = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, generic.getContext()),
                                          generic.getContext());
  epilogue.bias = biasOperand->get();
  epilogue.out = outOperand->get();
  if (productOperand->get() != read ||
      !generic.getMatchingIndexingMap(productOperand).isIdentity() ||
      !generic.getMatchingIndexingMap(outOperand).isIdentity() ||
      generic.getMatchingIndexingMap(biasOperand) != rowBroadcast ||
      !cast<MemRefType>(epilogue.bias.getType()).getElementType().isF32() ||
      !cast<MemRefType>(epilogue.out.getType()).getElementType().isF32() ||
      !hasContiguousRows(epilogue.bias) || !hasContiguousRows(epilogue.out) ||
      (epilogue.expand && !cast<MemRefType>(epilogue.out.getType()).getLayout().isIdentity()) ||
      !generic.getMatchingBlockArgument(outOperand).use_empty())
    return std::nullopt;

  // The body: yield act(product + bias).
  Value x = generic.getMatchingBlockArgument(productOperand);
  Value bias = generic.getMatchingBlockArgument(biasOperand);
  Value yielded = generic.getBody()->getTerminator()->getOperand(0);
  Value sum;
  for (Operation &op : generic.getBody()->without_terminator())
    if (isBinary<arith::AddFOp>(
            op.getResult(0), [&](Value v) { return v == x; }, [&](Value v) { return v == bias; }))
      sum = op.getResult(0);
  if (!sum)
    return std::nullopt;
  std::optional<int64_t> kind = matchActivation(yielded, sum);
  if (!kind)
    return std::nullopt;
  epilogue.kind = *kind;

  // The call writes the output while it reads the operands, which stay
  // unchanged until the generic, where the call takes its place.
  if (tg::mayAlias(epilogue.out, lhs) || tg::mayAlias(epilogue.out, rhs) ||
      tg::mayAlias(epilogue.out, epilogue.bias) ||
      !tg::unchangedBetween(matmul, generic, {lhs, rhs}))
    return std::nullopt;
  return epilogue;
}

struct TGGPUMatmulEpilogues : tg::impl::TGGPUMatmulEpiloguesBase<TGGPUMatmulEpilogues> {
  void runOnOperation() override {
    SmallVector<Epilogue> epilogues;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) && op.hasPureBufferSemantics())
        if (std::optional<Epilogue> epilogue = matchEpilogue(op))
          epilogues.push_back(*epilogue);
    });
    for (Epilogue &epilogue : epilogues)
      if (failed(rewrite(epilogue)))
        return signalPassFailure();
  }

  LogicalResult rewrite(Epilogue &epilogue) {
    OpBuilder b(epilogue.generic);
    Location loc = epilogue.generic.getLoc();
    Value out = epilogue.out;
    if (epilogue.expand)
      out = memref::CollapseShapeOp::create(b, loc, out, epilogue.expand.getReassociationIndices());
    FailureOr<std::array<Value, 3>> views = tg::matmulViews(b, epilogue.matmul, out);
    if (failed(views))
      return epilogue.matmul.emitError("unexpected indexing maps for a matmul");
    Type f32 = b.getF32Type();
    Value bias = memref::CastOp::create(b, loc, tg::stridedViewType(f32, 1), epilogue.bias);
    Value kind = arith::ConstantIntOp::create(b, loc, epilogue.kind, 64);
    MemRefType view = tg::stridedViewType(f32, 3);
    func::FuncOp function =
        tg::getOrDeclareRuntimeFunction(getOperation(), "tgc_cuda_matmul_bias_f32",
                                        {view, view, bias.getType(), view, b.getI64Type()});
    func::CallOp::create(b, loc, function,
                         ValueRange{(*views)[0], (*views)[1], bias, (*views)[2], kind});
    epilogue.generic.erase();
    if (epilogue.expand)
      epilogue.expand.erase();
    epilogue.matmul.erase();
    epilogue.zeroFill.erase();
    return success();
  }
};

} // namespace
