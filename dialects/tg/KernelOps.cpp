//===- KernelOps.cpp - runtime kernels as ops: verifiers and effects ------===//

#include "tg/Composite.h"

using namespace mlir;
using namespace mlir::tg;
using composite::formatDim;
using composite::verifySameElementType;

namespace {

/// The sizes an attention kernel's operands share.
enum Size { B, H, Tq, Tk, D, kNumSizes };
const char *const kSizeNames[kNumSizes] = {"B", "H", "Tq", "Tk", "D"};

/// An operand of an attention kernel: its name, the sizes of its dimensions,
/// and whether it holds f32 row statistics rather than the attention's
/// elements (bf16 or f32, the same in every such operand).
struct AttentionOperand {
  const char *name;
  Value value;
  SmallVector<Size, 4> dims;
  bool statistics = false;
};

std::string describe(ArrayRef<Size> dims) {
  std::string text = "[";
  for (auto [i, size] : llvm::enumerate(dims))
    text += (i ? ", " : "") + std::string(kSizeNames[size]);
  return text + "]";
}

/// Checks that the operands are all tensors or all buffers, of their ranks
/// and element types (the kernels take bf16 or f32 elements, one type for
/// all but the statistics), with sizes that agree (dynamic ones always do),
/// and the causal and scale attributes.
LogicalResult verifyAttentionKernel(Operation *op, ArrayRef<AttentionOperand> operands, bool causal,
                                    float scale) {
  bool tensors = isa<RankedTensorType>(operands.front().value.getType());
  for (const AttentionOperand &operand : operands)
    if (isa<RankedTensorType>(operand.value.getType()) != tensors)
      return op->emitOpError() << "operands must be all tensors or all buffers, but "
                               << operand.name << " is " << operand.value.getType() << " and "
                               << operands.front().name << " is "
                               << operands.front().value.getType();
  int64_t sizes[kNumSizes];
  const char *boundBy[kNumSizes] = {};
  std::fill(std::begin(sizes), std::end(sizes), ShapedType::kDynamic);
  const AttentionOperand &reference = operands.front();
  for (const AttentionOperand &operand : operands) {
    auto type = cast<ShapedType>(operand.value.getType());
    Type element = type.getElementType();
    bool elementOk = operand.statistics ? element.isF32() : element.isBF16() || element.isF32();
    if (type.getRank() != int64_t(operand.dims.size()) || !elementOk) {
      InFlightDiagnostic diag = op->emitOpError()
                                << operand.name << " must be " << describe(operand.dims) << " of ";
      if (operand.statistics)
        diag << Float32Type::get(op->getContext());
      else
        diag << BFloat16Type::get(op->getContext()) << " or " << Float32Type::get(op->getContext());
      return diag << ", got " << type;
    }
    if (!operand.statistics && failed(verifySameElementType(op, operand.name, type, reference.name,
                                                            reference.value.getType())))
      return failure();
    for (auto [d, size] : llvm::enumerate(operand.dims)) {
      int64_t dim = type.getDimSize(d);
      if (ShapedType::isDynamic(dim))
        continue;
      if (!boundBy[size]) {
        sizes[size] = dim;
        boundBy[size] = operand.name;
      } else if (sizes[size] != dim) {
        return op->emitOpError() << operand.name << " has " << kSizeNames[size] << " = " << dim
                                 << " (dim " << d << ") but " << boundBy[size] << " has "
                                 << sizes[size];
      }
    }
  }
  if (causal && !ShapedType::isDynamic(sizes[Tq]) && !ShapedType::isDynamic(sizes[Tk]) &&
      sizes[Tk] < sizes[Tq])
    return op->emitOpError() << "causal needs at least as many keys as queries, got Tq = "
                             << formatDim(sizes[Tq]) << " and Tk = " << formatDim(sizes[Tk]);
  if (!(scale > 0.0f) || std::isinf(scale))
    return op->emitOpError() << "scale must be positive and finite, got " << formatNumber(scale);
  return success();
}

/// Inputs read and outputs written, on buffers; nothing on tensors.
void getKernelEffects(
    DestinationStyleOpInterface op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (op.isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand, /*stage=*/0,
                           /*effectOnFullRegion=*/true, SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand, /*stage=*/0,
                           /*effectOnFullRegion=*/true, SideEffects::DefaultResource::get());
  }
}

} // namespace

LogicalResult FusedAttentionForwardOp::verify() {
  return verifyAttentionKernel(*this,
                               {{"query", getQuery(), {B, H, Tq, D}},
                                {"key", getKey(), {B, H, Tk, D}},
                                {"value", getValue(), {B, H, Tk, D}},
                                {"out", getOut(), {B, H, Tq, D}},
                                {"lse", getLse(), {B, H, Tq}, /*statistics=*/true}},
                               getCausal(), getScale().convertToFloat());
}

void FusedAttentionForwardOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  getKernelEffects(*this, effects);
}

LogicalResult FusedAttentionBackwardOp::verify() {
  return verifyAttentionKernel(*this,
                               {{"query", getQuery(), {B, H, Tq, D}},
                                {"key", getKey(), {B, H, Tk, D}},
                                {"value", getValue(), {B, H, Tk, D}},
                                {"out", getOut(), {B, H, Tq, D}},
                                {"dout", getDout(), {B, H, Tq, D}},
                                {"lse", getLse(), {B, H, Tq}, /*statistics=*/true},
                                {"dq", getDq(), {B, H, Tq, D}},
                                {"dk", getDk(), {B, H, Tk, D}},
                                {"dv", getDv(), {B, H, Tk, D}},
                                {"delta", getDelta(), {B, H, Tq}, /*statistics=*/true}},
                               getCausal(), getScale().convertToFloat());
}

void FusedAttentionBackwardOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>> &effects) {
  getKernelEffects(*this, effects);
}
