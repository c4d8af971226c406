//===- Passes.h - tgc passes -----------------------------------*- C++ -*-===//

#ifndef TGC_PASSES_H
#define TGC_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::tg {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// The attribute `--tg-expand-train-step` puts on the functions that swap
/// the parameters to an optimizer's evaluation view ("eval") and back
/// ("train"); the driver exports them as the model's eval_view and
/// train_view.
inline constexpr llvm::StringLiteral kParameterViewAttrName = "tg.parameter_view";

/// Registers every tgc pass and the named pipelines (`tg-pipeline`).
void registerTGCPassesAndPipelines();

/// Target choices in the tg pipeline.
struct TGPipelineOptions {
  /// CUDA: tg-autodiff with keep-attention, then tg-gpu-fused-attention
  /// before tg-decompose, so that eligible bf16 attentions and their
  /// gradients become the runtime's fused kernels.
  bool fusedAttention = false;
  /// With fusedAttention: eligible f32 attentions too (tg-gpu-fused-attention's
  /// `f32`).
  bool fusedAttentionF32 = false;
};

/// The pipeline `tgc` runs and `tgc-opt --tg-pipeline` names: every stage
/// that exists so far, in order.
void buildTGPipeline(OpPassManager &pm, const TGPipelineOptions &options = {});
} // namespace mlir::tg

#endif // TGC_PASSES_H
