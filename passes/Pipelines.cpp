//===- Pipelines.cpp - named tgc pipelines --------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void tg::buildTGPipeline(OpPassManager &pm, const TGPipelineOptions &options) {
  pm.addPass(createTGExpandTrainStep());
  pm.addPass(createTGAutodiff());
  // After differentiation, before the attentions decompose.
  if (options.fusedAttention)
    pm.addPass(createTGGPUFusedAttention());
  pm.addPass(createTGDecompose());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void tg::registerTGCPassesAndPipelines() {
  registerTGCPasses();
  PassPipelineRegistration<>("tg-pipeline", "The tgc pipeline: every stage that exists, in order",
                             [](OpPassManager &pm) { buildTGPipeline(pm); });
}
