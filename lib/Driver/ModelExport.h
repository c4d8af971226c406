//===- ModelExport.h - a spec as a tgc_model for the runtime ----*- C++ -*-===//
//
// Prepares a module whose tg.train_step has been expanded for export as the
// C table of include/tgc/model.h, and writes the C glue that fills that table
// from the compiled functions and globals.
//
//===----------------------------------------------------------------------===//

#ifndef TGC_DRIVER_MODELEXPORT_H
#define TGC_DRIVER_MODELEXPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace tgc {

struct ExportedTensor {
  std::string name;   // as in the spec
  std::string symbol; // the compiled global's symbol (state only)
  std::string dtype;  // TGC_F32, TGC_I32, ...
  std::string cType;  // float, int32_t, ...
  std::vector<int64_t> shape;
};

struct ExportedModel {
  std::string name;
  std::string step, evalLoss, predict, init; // compiled function names
  std::string evalView, trainView;           // optional: the parameter views
  std::vector<ExportedTensor> inputs;        // the step's batch
  std::vector<ExportedTensor> predictInputs; // prefix of inputs predict takes
  ExportedTensor loss;                       // rank 0
  ExportedTensor logits;                     // predict's result, [batch, classes]
  std::vector<ExportedTensor> state;         // every mutable global
};

/// Names of the train step and its loss function, read before expansion.
struct TrainStepNames {
  std::string step, loss;
  std::vector<std::string> parameters; // the globals it trains
};

/// Finds the module's single tg.train_step (a diagnostic otherwise).
mlir::FailureOr<TrainStepNames> findTrainStep(mlir::ModuleOp module);

/// After --tg-build-eval-functions, --tg-expand-train-step and
/// --tg-build-init: describes the model and prepares the module for code
/// generation: globals become public symbols `tgc_g_<name>` starting as zeros
/// (@tgc_init stores their values), and only the entry points stay public.
/// `predictName` names an optional function from the step's leading inputs
/// to [batch, classes] logits; evaluation calls the eval-mode copies
/// `@<loss>_eval` and `@<predict>_eval` where they exist.
mlir::FailureOr<ExportedModel> prepareModelExport(mlir::ModuleOp module,
                                                  const TrainStepNames &names,
                                                  llvm::StringRef modelName,
                                                  llvm::StringRef predictName);

/// C source defining tgc_get_model() over the compiled entry points
/// (`_mlir_ciface_<name>` with memref descriptors) and, when `withMain`,
/// a main() that runs tgc_train_main. For `cuda` models the entry points
/// copy batches to the device and results back, and the table's state
/// hooks keep the host state (what checkpoints see) in step with the device.
/// With `flushDenormals` the CPU entry points run the compiled code with
/// denormal inputs and results flushed to zero (x86 FTZ and DAZ) and give
/// the caller's thread its floating-point mode back on return.
std::string generateModelGlue(const ExportedModel &model, bool withMain, bool cuda = false,
                              bool flushDenormals = false);

/// The C header of --emit=lib: model.h's table plus the entry points.
std::string generateModelHeader(const ExportedModel &model);

} // namespace tgc

#endif // TGC_DRIVER_MODELEXPORT_H
