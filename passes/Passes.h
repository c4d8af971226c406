//===- Passes.h - tgc passes -----------------------------------*- C++ -*-===//

#ifndef TGC_PASSES_H
#define TGC_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::tg {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Registers every tgc pass and the named pipelines (`tg-pipeline`).
void registerTGCPassesAndPipelines();

/// The pipeline `tgc` runs and `tgc-opt --tg-pipeline` names: every stage
/// that exists so far, in order.
void buildTGPipeline(OpPassManager &pm);
} // namespace mlir::tg

#endif // TGC_PASSES_H
