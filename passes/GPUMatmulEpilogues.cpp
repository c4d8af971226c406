//===- GPUMatmulEpilogues.cpp - matmul + bias + activation via cuBLASLt ---===//
//
// A linear layer's forward is a matmul, then one elementwise kernel that
// reads the whole product back to add the bias and apply the activation.
// cuBLASLt applies both in the GEMM's epilogue, while the product is still
// in registers: this pass turns such a pair into one call of the runtime's
// tgc_cuda_matmul_bias_f32 (runtime/CudaBlas.cpp), which writes the
// elementwise op's output; the product's buffer is no longer needed.
//
// Under autocast the operands are bf16 and the product's readers first
// round product + bias to bf16 (once, as PyTorch's addmm), then compute
// more from it (relu, GELU, a residual sum; the backward's relu mask):
// tgc_cuda_matmul_bias_bf16 writes that rounded sum in bf16, which they
// read instead of the f32 product and the bias; a lone reader that yields
// the sum or its relu (which commutes with the rounding) is replaced.
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

/// The `linalg.fill 0` right before `matmul` of its product, a fresh
/// allocation, when cuBLASLt can take the matmul with a bias: its bias is
/// one vector for all batch items, which is only right when every operand
/// has its own batch.
linalg::FillOp zeroedFreshProduct(linalg::LinalgOp matmul) {
  if (isa<linalg::BatchMatmulOp>(matmul))
    for (AffineMap map : matmul.getIndexingMapsArray())
      if (!map.isFunctionOfDim(0))
        return nullptr;
  linalg::FillOp zeroFill = tg::zeroFillBefore(matmul);
  if (!zeroFill || !matmul.getDpsInits()[0].getDefiningOp<memref::AllocOp>())
    return nullptr;
  return zeroFill;
}

/// Whether `user` of a buffer only frees it: a deallocation, or the
/// buffer's metadata that only deallocations take.
bool onlyFrees(Operation *user) {
  if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(user))
    return llvm::all_of(metadata->getUsers(), onlyFrees);
  return isa<memref::DeallocOp, bufferization::DeallocOp>(user);
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
  if (!(epilogue.zeroFill = zeroedFreshProduct(matmul)))
    return std::nullopt;

  // The product's readers: one elementwise generic (through an expand_shape
  // at most); its other users allocate, fill, write and free it, or, when
  // the generic writes its output over the product, come after it (and read
  // that output), or come after a fill that overwrites it.
  SetVector<Operation *> readers;
  for (Operation *user : product.getUsers()) {
    if (user == matmul || user == epilogue.zeroFill || onlyFrees(user))
      continue;
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

//===----------------------------------------------------------------------===//
// bf16 operands (autocast)
//===----------------------------------------------------------------------===//

/// A reader of a bf16 matmul's f32 product that first computes
/// round(product + bias') with bias' = widen(bias) of a bf16 bias or
/// widen(round(bias)) of an f32 one, each value used once, and no more of
/// the product or the bias.
struct RoundedSumReader {
  linalg::GenericOp generic;
  memref::ExpandShapeOp expand; // the product as the generic reads it, if reshaped
  OpOperand *product;
  Value bias;
  bool roundsBias;
  arith::TruncFOp rounding;
};

/// `value` rounded to bf16 (to nearest even), if it is.
arith::TruncFOp bf16Rounding(Value value) {
  auto truncate = value.getDefiningOp<arith::TruncFOp>();
  if (!truncate || !truncate.getType().isBF16() ||
      (truncate.getRoundingmode() &&
       *truncate.getRoundingmode() != arith::RoundingMode::to_nearest_even))
    return nullptr;
  return truncate;
}

std::optional<RoundedSumReader> matchRoundedSum(linalg::GenericOp generic, OpOperand *product) {
  if (!generic.hasPureBufferSemantics() || !generic.isDpsInput(product))
    return std::nullopt;
  RoundedSumReader reader{generic, product->get().getDefiningOp<memref::ExpandShapeOp>(),
                          product, nullptr,
                          false,   nullptr};
  Value x = generic.getMatchingBlockArgument(product);
  if (!x.hasOneUse())
    return std::nullopt;
  auto sum = dyn_cast<arith::AddFOp>(*x.getUsers().begin());
  if (!sum || !sum->hasOneUse())
    return std::nullopt;
  auto widen = (sum.getLhs() == x ? sum.getRhs() : sum.getLhs()).getDefiningOp<arith::ExtFOp>();
  if (!widen || !widen->hasOneUse())
    return std::nullopt;
  Value biasArgument = widen.getIn();
  if (arith::TruncFOp roundedBias = bf16Rounding(biasArgument)) {
    if (!roundedBias->hasOneUse())
      return std::nullopt;
    biasArgument = roundedBias.getIn();
    reader.roundsBias = true;
  }
  auto argument = dyn_cast<BlockArgument>(biasArgument);
  if (!argument || argument.getOwner() != generic.getBody() || !argument.hasOneUse() ||
      argument.getArgNumber() >= generic.getNumDpsInputs())
    return std::nullopt;
  // The bias is indexed as the product's last dimension: the last of the
  // product's view, or its last few, the bias expanded the same way.
  OpOperand *bias = generic.getDpsInputOperand(argument.getArgNumber());
  AffineMap productMap = generic.getMatchingIndexingMap(product);
  AffineMap biasMap = generic.getMatchingIndexingMap(bias);
  size_t split = biasMap.getNumResults();
  if (split == 0 || split > productMap.getNumResults() ||
      biasMap.getResults() != productMap.getResults().take_back(split))
    return std::nullopt;
  reader.bias = bias->get();
  if (split > 1) {
    auto biasExpand = reader.bias.getDefiningOp<memref::ExpandShapeOp>();
    if (!biasExpand || biasExpand.getSrcType().getRank() != 1 || !reader.expand ||
        reader.expand.getReassociationIndices().back().size() != split ||
        reader.expand.getResultType().getShape().take_back(split) !=
            biasExpand.getResultType().getShape())
      return std::nullopt;
    reader.bias = biasExpand.getSrc();
  }
  Type biasType = cast<MemRefType>(reader.bias.getType()).getElementType();
  if (!(reader.roundsBias ? biasType.isF32() : biasType.isBF16()) ||
      !hasContiguousRows(reader.bias))
    return std::nullopt;
  Operation *user = *sum->getUsers().begin();
  reader.rounding = user->getNumResults() == 1 ? bf16Rounding(user->getResult(0)) : nullptr;
  if (!reader.rounding)
    return std::nullopt;
  return reader;
}

/// A bf16 matmul whose f32 product only RoundedSumReaders read, with one
/// bias; `direct` when the one reader yields the rounded sum (or its relu:
/// `kind`) into a buffer the call can write instead.
struct BF16Epilogue {
  linalg::LinalgOp matmul;
  linalg::FillOp zeroFill;
  SmallVector<RoundedSumReader> readers;
  bool direct = false;
  int64_t kind = TGC_EPILOGUE_BIAS;
};

std::optional<BF16Epilogue> matchBF16Epilogue(linalg::LinalgOp matmul) {
  BF16Epilogue epilogue;
  epilogue.matmul = matmul;
  Value product = matmul.getDpsInits()[0];
  Value lhs = matmul.getDpsInputs()[0], rhs = matmul.getDpsInputs()[1];
  auto elementType = [](Value buffer) {
    return cast<MemRefType>(buffer.getType()).getElementType();
  };
  if (!elementType(lhs).isBF16() || !elementType(rhs).isBF16() || !elementType(product).isF32() ||
      !hasContiguousRows(lhs) || !hasContiguousRows(rhs) || !hasContiguousRows(product) ||
      !(epilogue.zeroFill = zeroedFreshProduct(matmul)))
    return std::nullopt;

  // The product's accesses after the matmul, in order (reads through an
  // expand_shape too), up to a fill that overwrites it.
  Block *block = matmul->getBlock();
  SmallVector<std::pair<Operation *, OpOperand *>> accesses;
  for (OpOperand &use : product.getUses()) {
    Operation *user = use.getOwner();
    if (user == matmul || user == epilogue.zeroFill || onlyFrees(user))
      continue;
    if (user->getBlock() != block)
      return std::nullopt;
    if (user->isBeforeInBlock(epilogue.zeroFill))
      continue; // the buffer's earlier contents
    if (!matmul->isBeforeInBlock(user))
      return std::nullopt;
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(user)) {
      for (OpOperand &read : expand->getUses())
        if (read.getOwner()->getBlock() != block)
          return std::nullopt;
        else
          accesses.push_back({read.getOwner(), &read});
      continue;
    }
    accesses.push_back({user, &use});
  }
  llvm::sort(accesses, [](auto &a, auto &b) { return a.first->isBeforeInBlock(b.first); });
  for (auto [access, operand] : accesses) {
    auto fill = dyn_cast<linalg::FillOp>(access);
    if (fill && fill.getDpsInits()[0] == product)
      break;
    auto generic = dyn_cast<linalg::GenericOp>(access);
    std::optional<RoundedSumReader> reader =
        generic ? matchRoundedSum(generic, operand) : std::nullopt;
    if (!reader)
      return std::nullopt;
    if (!epilogue.readers.empty() && (reader->bias != epilogue.readers[0].bias ||
                                      reader->roundsBias != epilogue.readers[0].roundsBias))
      return std::nullopt;
    epilogue.readers.push_back(*reader);
  }
  if (epilogue.readers.empty())
    return std::nullopt;
  // The call reads the operands at the first reader's place, the bias
  // rounded at the matmul's (next to the weight's rounding), for all
  // readers.
  RoundedSumReader &first = epilogue.readers.front();
  if (!tg::unchangedBetween(matmul, first.generic, {lhs, rhs}) ||
      !tg::unchangedBetween(epilogue.zeroFill, epilogue.readers.back().generic, {first.bias}))
    return std::nullopt;

  // One reader yielding the rounded sum, or its relu, into a buffer the
  // call can write.
  linalg::GenericOp generic = first.generic;
  if (epilogue.readers.size() != 1 || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 || generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.getMatchingIndexingMap(first.product).isIdentity())
    return epilogue;
  OpOperand *out = generic.getDpsInitOperand(0);
  Value rounded = first.rounding.getResult();
  Value yielded = generic.getBody()->getTerminator()->getOperand(0);
  bool relu = rounded.hasOneUse() && isBinary<arith::MaximumFOp>(
                                         yielded, [&](Value v) { return v == rounded; },
                                         [](Value v) { return isConstant(v, 0); });
  if ((yielded == rounded || relu) && generic.getMatchingIndexingMap(out).isIdentity() &&
      elementType(out->get()).isBF16() && hasContiguousRows(out->get()) &&
      (!first.expand || cast<MemRefType>(out->get().getType()).getLayout().isIdentity()) &&
      generic.getMatchingBlockArgument(out).use_empty() && !tg::mayAlias(out->get(), lhs) &&
      !tg::mayAlias(out->get(), rhs) && !tg::mayAlias(out->get(), first.bias)) {
    epilogue.direct = true;
    epilogue.kind = relu ? TGC_EPILOGUE_BIAS_RELU : TGC_EPILOGUE_BIAS;
  }
  return epilogue;
}

struct TGGPUMatmulEpilogues : tg::impl::TGGPUMatmulEpiloguesBase<TGGPUMatmulEpilogues> {
  void runOnOperation() override {
    SmallVector<Epilogue> epilogues;
    SmallVector<BF16Epilogue> bf16Epilogues;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) || !op.hasPureBufferSemantics())
        return;
      if (std::optional<Epilogue> epilogue = matchEpilogue(op))
        epilogues.push_back(*epilogue);
      else if (std::optional<BF16Epilogue> bf16 = matchBF16Epilogue(op))
        bf16Epilogues.push_back(*bf16);
    });
    for (Epilogue &epilogue : epilogues)
      if (failed(rewrite(epilogue)))
        return signalPassFailure();
    for (BF16Epilogue &epilogue : bf16Epilogues)
      if (failed(rewrite(epilogue)))
        return signalPassFailure();
  }

  /// tgc_cuda_matmul_bias_f32 or _bf16 (the bias's element type) of
  /// `matmul`'s operands, writing `out`.
  LogicalResult callMatmulBias(OpBuilder &b, Location loc, linalg::LinalgOp matmul, Value bias,
                               Value out, int64_t kind) {
    FailureOr<std::array<Value, 3>> views = tg::matmulViews(b, matmul, out);
    if (failed(views))
      return matmul.emitError("unexpected indexing maps for a matmul");
    Type element = cast<MemRefType>(bias.getType()).getElementType();
    Value biasView = memref::CastOp::create(b, loc, tg::stridedViewType(element, 1), bias);
    Value epilogue = arith::ConstantIntOp::create(b, loc, kind, 64);
    MemRefType view = tg::stridedViewType(element, 3);
    func::FuncOp function = tg::getOrDeclareRuntimeFunction(
        getOperation(), element.isBF16() ? "tgc_cuda_matmul_bias_bf16" : "tgc_cuda_matmul_bias_f32",
        {view, view, biasView.getType(), view, b.getI64Type()}, {0, 1, 2});
    func::CallOp::create(b, loc, function,
                         ValueRange{(*views)[0], (*views)[1], biasView, (*views)[2], epilogue});
    return success();
  }

  LogicalResult rewrite(Epilogue &epilogue) {
    OpBuilder b(epilogue.generic);
    Location loc = epilogue.generic.getLoc();
    Value out = epilogue.out;
    if (epilogue.expand)
      out = memref::CollapseShapeOp::create(b, loc, out, epilogue.expand.getReassociationIndices());
    if (failed(callMatmulBias(b, loc, epilogue.matmul, epilogue.bias, out, epilogue.kind)))
      return failure();
    epilogue.generic.erase();
    if (epilogue.expand)
      epilogue.expand.erase();
    Value product = epilogue.matmul.getDpsInits()[0];
    epilogue.matmul.erase();
    epilogue.zeroFill.erase();
    eraseIfOnlyFreed(product);
    return success();
  }

  LogicalResult rewrite(BF16Epilogue &epilogue) {
    RoundedSumReader &first = epilogue.readers.front();
    OpBuilder b(epilogue.zeroFill);
    Location loc = first.generic.getLoc();
    Type bf16 = b.getBF16Type();
    Value bias = first.roundsBias ? roundToBF16(b, loc, first.bias) : first.bias;
    b.setInsertionPoint(first.generic);
    // The call writes the lone reader's output, or the rounded sum for the
    // readers to go on from.
    Value out;
    if (epilogue.direct) {
      out = first.generic.getDpsInits()[0];
      if (first.expand)
        out = memref::CollapseShapeOp::create(b, loc, out, first.expand.getReassociationIndices());
    } else {
      auto product = cast<MemRefType>(epilogue.matmul.getDpsInits()[0].getType());
      out = memref::AllocOp::create(b, loc, MemRefType::get(product.getShape(), bf16));
    }
    if (failed(callMatmulBias(b, loc, epilogue.matmul, bias, out, epilogue.kind)))
      return failure();
    if (first.roundsBias)
      memref::DeallocOp::create(b, loc, bias);
    if (epilogue.direct) {
      first.generic.erase();
      if (first.expand && first.expand->use_empty())
        first.expand.erase();
    } else {
      for (RoundedSumReader &reader : epilogue.readers)
        readRoundedSum(reader, out);
      b.setInsertionPointAfter(epilogue.readers.back().generic);
      memref::DeallocOp::create(b, loc, out);
    }
    Value product = epilogue.matmul.getDpsInits()[0];
    epilogue.matmul.erase();
    epilogue.zeroFill.erase();
    eraseIfOnlyFreed(product);
    return success();
  }

  /// Erases the allocation of `buffer` and its deallocations if nothing
  /// else uses it (a product the call no longer writes).
  static void eraseIfOnlyFreed(Value buffer) {
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    if (!alloc || !llvm::all_of(buffer.getUsers(), onlyFrees))
      return;
    // Deallocations of this buffer alone (and the metadata they take).
    SmallVector<Operation *> users;
    for (Operation *user : buffer.getUsers()) {
      if (isa<memref::ExtractStridedMetadataOp>(user))
        llvm::append_range(users, user->getUsers());
      users.push_back(user);
    }
    for (Operation *user : users)
      if (auto dealloc = dyn_cast<bufferization::DeallocOp>(user);
          dealloc && (dealloc.getMemrefs().size() != 1 || dealloc->getNumResults() != 0))
        return;
    for (Operation *user : users)
      user->erase();
    alloc.erase();
  }

  /// A bf16 copy of the f32 vector `bias`, rounded to nearest even.
  static Value roundToBF16(OpBuilder &b, Location loc, Value bias) {
    auto type = cast<MemRefType>(bias.getType());
    Value rounded =
        memref::AllocOp::create(b, loc, MemRefType::get(type.getShape(), b.getBF16Type()));
    AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
    linalg::GenericOp::create(
        b, loc, ValueRange{bias}, ValueRange{rounded}, ArrayRef<AffineMap>{identity, identity},
        SmallVector<utils::IteratorType>(type.getRank(), utils::IteratorType::parallel),
        [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          Value value = arith::TruncFOp::create(nested, nestedLoc, nested.getBF16Type(), args[0]);
          linalg::YieldOp::create(nested, nestedLoc, value);
        });
    return rounded;
  }

  /// `reader` reads `rounded` (the call's bf16 sum, shaped as the product)
  /// where it computed the sum from the product and the bias; the bias
  /// stays an operand, unread.
  static void readRoundedSum(RoundedSumReader &reader, Value rounded) {
    OpBuilder b(reader.generic);
    Value read = rounded;
    if (reader.expand) {
      read = memref::ExpandShapeOp::create(
          b, reader.generic.getLoc(), reader.expand.getResultType().clone(b.getBF16Type()), rounded,
          reader.expand.getReassociationIndices(), reader.expand.getMixedOutputShape());
    }
    reader.product->set(read);
    if (reader.expand && reader.expand->use_empty())
      reader.expand.erase();
    BlockArgument sum = reader.generic.getMatchingBlockArgument(reader.product);
    auto add = reader.rounding.getIn().getDefiningOp<arith::AddFOp>();
    Operation *widen = (add.getLhs() == sum ? add.getRhs() : add.getLhs()).getDefiningOp();
    Operation *roundedBias = widen->getOperand(0).getDefiningOp();
    reader.rounding.replaceAllUsesWith(sum);
    sum.setType(b.getBF16Type());
    reader.rounding.erase();
    add.erase();
    widen->erase();
    if (roundedBias)
      roundedBias->erase();
  }
};

} // namespace
