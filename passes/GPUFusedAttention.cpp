//===- GPUFusedAttention.cpp - attentions as fused kernels (CUDA) ---------===//
//
// Decomposed, an attention is two batched GEMMs around a softmax: the
// scores [BH, Tq, Tk] go through memory twice each way, forward and
// backward, and they are half of a GPT-2 step's device time under autocast.
// The runtime's fused kernels (tgc_cuda_attention_*, include/tgc/runtime.h)
// keep a block of scores in registers instead; this pass, on tg ops after
// tg-autodiff and before tg-decompose, hands them the attentions they
// support: bf16, or f32 with the `f32` option (those kernels run on CUDA
// cores and are not measured yet, so it is off by default), D = 64, Tq and
// Tk multiples of 64 (the kernels' tiles), static shapes, and Tk >= Tq when
// causal. The kernels take [B, H, T, D] operands and write outputs of the
// attention's element type: a rank-4 attention's operands as they are (so
// the head split's and merge's transposes stay next to them, for
// tg-gpu-attention-views to fold into views), others reshaped (H the last
// leading dimension, B the others).
//
// The backward kernel needs the forward's row statistics (lse): a
// tg.attention_grad (tg-autodiff's rule with keep-attention) becomes one
// only when its `output` is the result of a fused forward on the same
// operands, causal and scale; otherwise it decomposes (P recomputed).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUFUSEDATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// The kernels' head size and tile length.
constexpr int64_t kHeadSize = 64;
constexpr int64_t kTile = 64;

/// What a fused kernel needs to know of an eligible attention.
struct Eligible {
  int64_t batch, heads, queries, keys;
  float scale;
};

/// Whether the kernels compute `query`, `key` and `value` (a tg.attention's
/// or tg.attention_grad's) with `causal` and `scale`, and their sizes; f32
/// ones only with `f32`.
std::optional<Eligible> eligible(Value query, Value key, Value value, bool causal,
                                 std::optional<APFloat> scale, bool f32) {
  SmallVector<RankedTensorType, 3> types;
  Type element = getElementTypeOrSelf(query.getType());
  if (!element.isBF16() && !(f32 && element.isF32()))
    return std::nullopt;
  for (Value operand : {query, key, value}) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type || !type.hasStaticShape() || type.getElementType() != element || type.getRank() < 2 ||
        type.getShape().back() != kHeadSize)
      return std::nullopt;
    types.push_back(type);
  }
  ArrayRef<int64_t> q = types[0].getShape(), k = types[1].getShape(), v = types[2].getShape();
  if (q.drop_back(2) != k.drop_back(2) || q.drop_back(2) != v.drop_back(2) ||
      k.drop_back() != v.drop_back())
    return std::nullopt;
  int64_t queries = q[q.size() - 2], keys = k[k.size() - 2];
  if (queries % kTile != 0 || keys % kTile != 0 || queries == 0 || keys == 0 ||
      (causal && keys < queries))
    return std::nullopt;
  ArrayRef<int64_t> leading = q.drop_back(2);
  int64_t batch = 1, heads = 1;
  if (!leading.empty()) {
    heads = leading.back();
    for (int64_t size : leading.drop_back())
      batch *= size;
  }
  float factor = scale ? float(scale->convertToDouble()) : float(1.0 / std::sqrt(kHeadSize));
  return Eligible{batch, heads, queries, keys, factor};
}

/// `value` [..., T, D] as [B, H, T, D].
Value asHeads(OpBuilder &b, Location loc, Value value, const Eligible &sizes) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  auto heads = RankedTensorType::get(
      {sizes.batch, sizes.heads, shape[shape.size() - 2], shape.back()}, type.getElementType());
  if (heads == type)
    return value;
  return ReshapeOp::create(b, loc, heads, value);
}

Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Type element) {
  return tensor::EmptyOp::create(b, loc, shape, element);
}

/// A fused forward and the attention it was (the pass finds it by the value
/// that replaced the attention's result, which gradients read).
struct FusedForward {
  FusedAttentionForwardOp op;
  Value query, key, value; // the attention's operands
  bool causal;
};

/// tg.attention -> tg.fused_attention_forward.
/// `result` receives the value that replaces the attention's result.
FusedForward fuseForward(AttentionOp op, const Eligible &sizes, Value &result) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Value q = asHeads(b, loc, op.getQuery(), sizes);
  Value k = asHeads(b, loc, op.getKey(), sizes);
  Value v = asHeads(b, loc, op.getValue(), sizes);
  Value out = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.queries, kHeadSize},
                          getElementTypeOrSelf(op.getType()));
  Value lse = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.queries}, b.getF32Type());
  auto fused =
      FusedAttentionForwardOp::create(b, loc, TypeRange{out.getType(), lse.getType()}, q, k, v, out,
                                      lse, op.getCausalAttr(), b.getF32FloatAttr(sizes.scale));
  result = fused.getResult(0);
  if (result.getType() != op.getType())
    result = ReshapeOp::create(b, loc, op.getType(), result);
  FusedForward forward = {fused, op.getQuery(), op.getKey(), op.getValue(), op.getCausal()};
  op.replaceAllUsesWith(result);
  op.erase();
  return forward;
}

/// tg.attention_grad of `forward` -> tg.fused_attention_backward, reading
/// the forward's [B, H, T, D] operands, output and lse.
void fuseBackward(AttentionGradOp op, const FusedForward &forward, const Eligible &sizes) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  FusedAttentionForwardOp fused = forward.op;
  Value dout = asHeads(b, loc, op.getOutputGrad(), sizes);
  Type element = getElementTypeOrSelf(fused.getOut().getType());
  Value dq = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.queries, kHeadSize}, element);
  Value dk = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.keys, kHeadSize}, element);
  Value dv = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.keys, kHeadSize}, element);
  Value delta = emptyTensor(b, loc, {sizes.batch, sizes.heads, sizes.queries}, b.getF32Type());
  auto backward = FusedAttentionBackwardOp::create(
      b, loc, TypeRange{dq.getType(), dk.getType(), dv.getType(), delta.getType()},
      fused.getQuery(), fused.getKey(), fused.getValue(), fused.getResult(0), dout,
      fused.getResult(1), dq, dk, dv, delta, fused.getCausalAttr(), fused.getScaleAttr());
  for (auto [result, gradient] : llvm::zip(op.getResults(), backward.getResults())) {
    Value replacement = gradient;
    if (replacement.getType() != result.getType())
      replacement = ReshapeOp::create(b, loc, result.getType(), replacement);
    result.replaceAllUsesWith(replacement);
  }
  op.erase();
}

struct TGGPUFusedAttentionPass : tg::impl::TGGPUFusedAttentionBase<TGGPUFusedAttentionPass> {
  using TGGPUFusedAttentionBase::TGGPUFusedAttentionBase;

  void runOnOperation() override {
    // Forwards first: a gradient reads its forward's statistics.
    SmallVector<AttentionOp> attentions;
    getOperation()->walk([&](AttentionOp op) { attentions.push_back(op); });
    llvm::DenseMap<Value, FusedForward> forwards; // by the attention's new result
    for (AttentionOp op : attentions) {
      Value result = op.getResult();
      if (std::optional<Eligible> sizes = eligible(op.getQuery(), op.getKey(), op.getValue(),
                                                   op.getCausal(), op.getScale(), f32)) {
        FusedForward forward = fuseForward(op, *sizes, result);
        forwards.try_emplace(result, forward);
      }
    }

    SmallVector<AttentionGradOp> gradients;
    getOperation()->walk([&](AttentionGradOp op) { gradients.push_back(op); });
    for (AttentionGradOp op : gradients) {
      auto forward = forwards.find(op.getOutput());
      if (forward == forwards.end())
        continue;
      FusedForward &f = forward->second;
      std::optional<Eligible> sizes =
          eligible(op.getQuery(), op.getKey(), op.getValue(), op.getCausal(), op.getScale(), f32);
      Type element = getElementTypeOrSelf(f.op.getOut().getType());
      auto ofForwardType = [&](Value value) { return getElementTypeOrSelf(value) == element; };
      if (!sizes || op.getQuery() != f.query || op.getKey() != f.key || op.getValue() != f.value ||
          op.getCausal() != f.causal || sizes->scale != f.op.getScale().convertToFloat() ||
          op.getOutputGrad().getType() != op.getOutput().getType() ||
          !llvm::all_of(op.getResults(), ofForwardType))
        continue;
      fuseBackward(op, f, *sizes);
    }
  }
};

} // namespace
