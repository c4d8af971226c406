//===- Pipelines.cpp - named tgc pipelines --------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tg::buildTGPipeline(OpPassManager &pm, const TGPipelineOptions &options) {
  pm.addPass(createTGExpandTrainStep());
  if (options.fusedAttention) {
    // Attentions differentiated by their own rule (tg.attention_grad), which
    // the fused backward kernel computes from the forward's statistics;
    // after differentiation, before the attentions decompose, the eligible
    // ones become the kernels' ops.
    TGAutodiffOptions autodiff;
    autodiff.keepAttention = true;
    pm.addPass(createTGAutodiff(autodiff));
    TGGPUFusedAttentionOptions fused;
    fused.f32 = options.fusedAttentionF32;
    pm.addPass(createTGGPUFusedAttention(fused));
  } else {
    pm.addPass(createTGAutodiff());
  }
  pm.addPass(createTGDecompose());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void tg::registerTGCPassesAndPipelines() {
  registerTGCPasses();
  PassPipelineRegistration<>("tg-pipeline", "The tgc pipeline: every stage that exists, in order",
                             [](OpPassManager &pm) { buildTGPipeline(pm); });
}
