//===- ModelExport.cpp - a spec as a tgc_model for the runtime ------------===//

#include "Driver/ModelExport.h"

#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <set>

using namespace mlir;

namespace tgc {

FailureOr<TrainStepNames> findTrainStep(ModuleOp module) {
  SmallVector<tg::TrainStepOp> steps(module.getOps<tg::TrainStepOp>());
  if (steps.empty())
    return module.emitError("no tg.train_step in the spec: tgc builds a training "
                            "program from one (see examples/mlp.mlir)");
  if (steps.size() > 1)
    return steps[1].emitError("a spec for tgc has one tg.train_step; this is the second");
  TrainStepNames names{steps[0].getSymName().str(), steps[0].getLoss().str(), {}};
  SymbolTableCollection symbols;
  for (ml_program::GlobalOp global : steps[0].getTrainableGlobals(symbols))
    names.parameters.push_back(global.getSymName().str());
  return names;
}

/// The runtime's name and C type of an element type.
static FailureOr<std::pair<std::string, std::string>> runtimeType(Type element) {
  if (element.isF32())
    return std::make_pair(std::string("TGC_F32"), std::string("float"));
  if (element.isF64())
    return std::make_pair(std::string("TGC_F64"), std::string("double"));
  if (element.isInteger(32))
    return std::make_pair(std::string("TGC_I32"), std::string("int32_t"));
  if (element.isInteger(64))
    return std::make_pair(std::string("TGC_I64"), std::string("int64_t"));
  if (element.isF16())
    return std::make_pair(std::string("TGC_F16"), std::string("uint16_t"));
  if (element.isBF16())
    return std::make_pair(std::string("TGC_BF16"), std::string("uint16_t"));
  return failure();
}

static FailureOr<ExportedTensor> describe(Location loc, StringRef name, Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  FailureOr<std::pair<std::string, std::string>> element = failure();
  if (tensor)
    element = runtimeType(tensor.getElementType());
  if (!tensor || !tensor.hasStaticShape() || failed(element))
    return emitError(loc) << "'" << name << "' of type " << type
                          << " cannot cross into the runtime: it needs a static "
                             "tensor of f32, f64, f16, bf16, i32 or i64";
  ExportedTensor result;
  result.name = name.str();
  result.dtype = element->first;
  result.cType = element->second;
  result.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return result;
}

FailureOr<ExportedModel> prepareModelExport(ModuleOp module, const TrainStepNames &names,
                                            StringRef modelName, StringRef predictName) {
  ExportedModel model;
  model.name = modelName.str();
  model.step = names.step;
  std::string evalLoss = names.loss + "_eval";
  model.evalLoss = module.lookupSymbol<func::FuncOp>(evalLoss) ? evalLoss : names.loss;
  model.init = "tgc_init";
  for (auto func : module.getOps<func::FuncOp>())
    if (auto view = func->getAttrOfType<StringAttr>(tg::kParameterViewAttrName))
      (view.getValue() == "eval" ? model.evalView : model.trainView) = func.getSymName().str();
  auto step = module.lookupSymbol<func::FuncOp>(names.step);
  if (!step || !module.lookupSymbol<func::FuncOp>(model.init))
    return module.emitError("the train step must be expanded (--tg-expand-train-step "
                            "and --tg-build-init) before export");
  FunctionType stepType = step.getFunctionType();
  for (auto [i, input] : llvm::enumerate(stepType.getInputs())) {
    FailureOr<ExportedTensor> described =
        describe(step.getLoc(), "input" + std::to_string(i), input);
    if (failed(described))
      return failure();
    model.inputs.push_back(*described);
  }
  FailureOr<ExportedTensor> loss = describe(step.getLoc(), "loss", stepType.getResult(0));
  if (failed(loss))
    return failure();
  model.loss = *loss;

  // predict: leading inputs of the step -> [batch, classes] float logits,
  // from the eval-mode copy.
  if (auto predict = module.lookupSymbol<func::FuncOp>(predictName)) {
    if (auto evalCopy = module.lookupSymbol<func::FuncOp>((predictName + "_eval").str()))
      predict = evalCopy;
    FunctionType type = predict.getFunctionType();
    auto logits = type.getNumResults() == 1
                      ? dyn_cast<RankedTensorType>(type.getResult(0))
                      : RankedTensorType();
    bool prefix = type.getNumInputs() <= stepType.getNumInputs() &&
                  llvm::equal(type.getInputs(),
                              stepType.getInputs().take_front(type.getNumInputs()));
    if (!prefix || !logits || logits.getRank() != 2 || !logits.getElementType().isF32())
      return predict.emitError()
             << "@" << predictName
             << " is used for accuracy: it must take the step's leading inputs and "
                "return f32 logits [batch, classes]";
    model.predict = predict.getSymName().str();
    model.predictInputs.assign(model.inputs.begin(),
                               model.inputs.begin() + type.getNumInputs());
    model.logits = *describe(predict.getLoc(), "logits", logits);
  }

  // Globals: public `tgc_g_<name>` without initial values; @tgc_init fills them.
  SymbolTable symbols(module);
  for (auto global : llvm::make_early_inc_range(module.getOps<ml_program::GlobalOp>())) {
    if (!global.getIsMutable())
      continue;
    FailureOr<ExportedTensor> described =
        describe(global.getLoc(), global.getSymName(), global.getType());
    if (failed(described))
      return failure();
    std::string symbol = "tgc_g_" + global.getSymName().str();
    if (failed(symbols.rename(global, StringAttr::get(module.getContext(), symbol))))
      return global.emitError("cannot rename this global for export");
    SymbolTable::setSymbolVisibility(global, SymbolTable::Visibility::Public);
    // Zeros (which land in .bss): @tgc_init stores the real initial value.
    auto type = cast<RankedTensorType>(global.getType());
    Type element = type.getElementType();
    Attribute zero = isa<FloatType>(element) ? Attribute(FloatAttr::get(element, 0.0))
                                             : Attribute(IntegerAttr::get(element, 0));
    global.setValueAttr(DenseElementsAttr::get(type, zero));
    described->symbol = symbol;
    model.state.push_back(*described);
  }

  // Only the entry points keep C interfaces.
  std::set<std::string> entries = {model.step, model.evalLoss, model.init};
  for (const std::string *optional : {&model.predict, &model.evalView, &model.trainView})
    if (!optional->empty())
      entries.insert(*optional);
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      SymbolTable::setSymbolVisibility(func, entries.count(func.getSymName().str())
                                                 ? SymbolTable::Visibility::Public
                                                 : SymbolTable::Visibility::Private);
  return model;
}

//===----------------------------------------------------------------------===//
// C glue
//===----------------------------------------------------------------------===//

namespace {
std::string join(ArrayRef<int64_t> values) {
  std::string text;
  for (auto [i, v] : llvm::enumerate(values))
    text += (i ? ", " : "") + std::to_string(v);
  return text;
}

std::string memrefType(const ExportedTensor &t) {
  return "tgc_memref" + std::to_string(t.shape.size());
}

/// A descriptor initializer for a dense row-major buffer at `pointer`.
std::string descriptor(const ExportedTensor &t, const std::string &pointer) {
  if (t.shape.empty())
    return "{" + pointer + ", " + pointer + ", 0}";
  std::vector<int64_t> strides(t.shape.size(), 1);
  for (int i = int(t.shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * t.shape[i + 1];
  return "{" + pointer + ", " + pointer + ", 0, {" + join(t.shape) + "}, {" +
         join(strides) + "}}";
}

/// `_mlir_ciface_<name>(result *, inputs *...)` declaration.
std::string entryDeclaration(const std::string &name, const ExportedTensor *result,
                             const std::vector<ExportedTensor> &inputs) {
  std::string text = "void _mlir_ciface_" + name + "(";
  std::vector<std::string> params;
  if (result)
    params.push_back(memrefType(*result) + " *result");
  for (size_t i = 0; i < inputs.size(); ++i)
    params.push_back(memrefType(inputs[i]) + " *in" + std::to_string(i));
  for (size_t i = 0; i < params.size(); ++i)
    text += (i ? ", " : "") + params[i];
  return text + (params.empty() ? "void);\n" : ");\n");
}

/// Statements that wrap the buffers of `inputs` (the array `buffers`, of
/// void *) in descriptors.
std::string wrapInputs(const std::vector<ExportedTensor> &inputs,
                       const std::string &buffers = "inputs") {
  std::string text;
  for (size_t i = 0; i < inputs.size(); ++i)
    text += "  " + memrefType(inputs[i]) + " in" + std::to_string(i) + " = " +
            descriptor(inputs[i], buffers + "[" + std::to_string(i) + "]") + ";\n";
  return text;
}

int64_t byteSize(const ExportedTensor &t) {
  int64_t bytes = t.dtype == "TGC_F64" || t.dtype == "TGC_I64"   ? 8
                  : t.dtype == "TGC_F16" || t.dtype == "TGC_BF16" ? 2
                                                                  : 4;
  for (int64_t d : t.shape)
    bytes *= d;
  return bytes;
}

std::string callArgs(size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i)
    text += ", &in" + std::to_string(i);
  return text;
}
/// The CPU model's entry points: the compiled functions take the batch in
/// place and return buffers of the runtime's allocator.
void writeCPUEntryPoints(llvm::raw_ostream &os, const ExportedModel &model, bool flushDenormals) {
  std::string lossRead = "(float)*(" + model.loss.cType + " *)loss.aligned";
  std::string enterFPMode =
      flushDenormals ? "  uint32_t fp_mode = tgc_fp_flush_denormals();\n" : "";
  std::string restoreFPMode = flushDenormals ? "  tgc_fp_restore(fp_mode);\n" : "";
  for (auto [function, entry] : {std::make_pair("tgc_step", model.step),
                                 std::make_pair("tgc_eval_loss", model.evalLoss)})
    os << "static float " << function << "(void *const *inputs) {\n"
       << wrapInputs(model.inputs) << "  tgc_memref0 loss;\n"
       << enterFPMode << "  _mlir_ciface_" << entry << "(&loss" << callArgs(model.inputs.size())
       << ");\n"
       << restoreFPMode << "  float value = " << lossRead << ";\n"
       << "  _mlir_memref_to_llvm_free(loss.allocated);\n  return value;\n}\n\n";
  os << "static void tgc_init_state(uint64_t seed) {\n"
     << "  int64_t value = (int64_t)seed;\n  tgc_memref0 in0 = {&value, &value, 0};\n"
     << "  _mlir_ciface_" << model.init << "(&in0);\n}\n\n";
  if (!model.predict.empty()) {
    int64_t classes = model.logits.shape[1];
    os << "static void tgc_predict(void *const *inputs, float *logits) {\n"
       << wrapInputs(model.predictInputs) << "  " << memrefType(model.logits) << " result;\n"
       << enterFPMode << "  _mlir_ciface_" << model.predict << "(&result"
       << callArgs(model.predictInputs.size()) << ");\n"
       << restoreFPMode << "  memcpy(logits, result.aligned, sizeof(float) * "
       << model.logits.shape[0] * classes << ");\n"
       << "  _mlir_memref_to_llvm_free(result.allocated);\n}\n\n";
  }
}

/// The CUDA model's entry points: each reads its batch where the caller
/// has it when that is device memory (tgc_cuda_device_inputs), in the
/// runtime's staging copy when it was prefetched (tgc_cuda_batch_upload
/// points the call there; tgc_cuda_batch_release after the call lets the
/// next prefetch into it wait for the call's work), else from device
/// buffers of its own (allocated once) that the batch is copied to; results
/// go back to the host and the device results are freed. Each binding of
/// the inputs gets a graph of its own (tgc_cuda_run). The copy of the loss
/// back is the step's only wait for the device.
void writeCUDAEntryPoints(llvm::raw_ostream &os, const ExportedModel &model) {
  size_t slots = std::max<size_t>(model.inputs.size(), 1);
  os << "static void *tgc_device_inputs[" << slots << "];\n"
     << "/* Where the entry point being called reads its inputs. */\n"
     << "static void *tgc_bound_inputs[" << slots << "];\n"
     << "static const size_t tgc_input_bytes[] = {";
  for (size_t i = 0; i < model.inputs.size(); ++i)
    os << (i ? ", " : "") << byteSize(model.inputs[i]);
  os << "};\n"
     << "/* The runtime's staging copies of prefetched batches. */\n"
     << "static void *tgc_batches;\n\n"
     << "static void tgc_bind(void **graph, void *const *inputs, int count) {\n"
     << "  bool in_place = false;\n"
     << "  if (tgc_cuda_device_inputs(graph, count, inputs, tgc_input_bytes, &in_place) != "
        "TGC_OK)\n"
     << "    tgc_cuda_fail();\n"
     << "  for (int i = 0; i < count && !in_place; ++i)\n"
     << "    if (!tgc_device_inputs[i] && !(tgc_device_inputs[i] = "
        "tgc_cuda_alloc(tgc_input_bytes[i])))\n"
     << "      tgc_cuda_fail();\n"
     << "  for (int i = 0; i < count; ++i)\n"
     << "    tgc_bound_inputs[i] = in_place ? inputs[i] : tgc_device_inputs[i];\n"
     << "  if (!in_place && tgc_cuda_batch_upload(&tgc_batches, count, inputs, "
        "tgc_bound_inputs, tgc_input_bytes) != TGC_OK)\n"
     << "    tgc_cuda_fail();\n}\n\n";
  if (!model.inputs.empty())
    os << "static int tgc_prefetch(void *const *inputs) {\n"
       << "  return (int)tgc_cuda_batch_prefetch(&tgc_batches, " << model.inputs.size()
       << ", inputs, tgc_input_bytes);\n}\n\n";
  os << "/* Copies a device result to the host and frees it. */\n"
     << "static void tgc_download(void *host, void *allocated, const void *aligned, size_t "
        "bytes) {\n"
     << "  if (tgc_cuda_copy_to_host(host, aligned, bytes) != TGC_OK)\n"
     << "    tgc_cuda_fail();\n  tgc_cuda_free(allocated);\n}\n\n";
  // Each entry point runs through tgc_cuda_run (CUDA graphs from its second
  // call on): its body reads the batch from the bound inputs.
  auto runBody = [&](const std::string &function, const std::string &entry,
                     const std::string &result, const std::vector<ExportedTensor> &inputs) {
    os << "static void " << function << "_body(void *result) {\n"
       << wrapInputs(inputs, "tgc_bound_inputs") << "  _mlir_ciface_" << entry << "((" << result
       << " *)result" << callArgs(inputs.size()) << ");\n}\n\n";
  };
  auto bindAndRun = [&](const std::string &function, size_t inputs, const std::string &result) {
    return "  static void *graph;\n  tgc_bind(&graph, inputs, " + std::to_string(inputs) +
           ");\n  tgc_cuda_run(&graph, " + std::to_string(inputs) + ", tgc_bound_inputs, " +
           function + "_body, &" + result + ", sizeof(" + result +
           "));\n  if (tgc_cuda_batch_release(&tgc_batches) != TGC_OK)\n    tgc_cuda_fail();\n";
  };
  for (auto [function, entry] : {std::make_pair("tgc_step", model.step),
                                 std::make_pair("tgc_eval_loss", model.evalLoss)}) {
    runBody(function, entry, "tgc_memref0", model.inputs);
    os << "static float " << function << "(void *const *inputs) {\n"
       << "  tgc_memref0 loss;\n"
       << bindAndRun(function, model.inputs.size(), "loss") << "  " << model.loss.cType
       << " value;\n"
       << "  tgc_download(&value, loss.allocated, loss.aligned, sizeof(value));\n"
       << "  return (float)value;\n}\n\n";
  }
  os << "static void tgc_init_state(uint64_t seed) {\n"
     << "  static void *device_seed;\n  int64_t value = (int64_t)seed;\n"
     << "  if (!device_seed && !(device_seed = tgc_cuda_alloc(sizeof(value))))\n"
     << "    tgc_cuda_fail();\n"
     << "  if (tgc_cuda_copy_to_device(device_seed, &value, sizeof(value)) != TGC_OK)\n"
     << "    tgc_cuda_fail();\n"
     << "  tgc_memref0 in0 = {device_seed, device_seed, 0};\n"
     << "  _mlir_ciface_" << model.init << "(&in0);\n}\n\n";
  if (!model.predict.empty()) {
    runBody("tgc_predict", model.predict, memrefType(model.logits), model.predictInputs);
    os << "static void tgc_predict(void *const *inputs, float *logits) {\n"
       << "  " << memrefType(model.logits) << " result;\n"
       << bindAndRun("tgc_predict", model.predictInputs.size(), "result")
       << "  tgc_download(logits, result.allocated, result.aligned, " << byteSize(model.logits)
       << ");\n}\n\n";
  }
}
} // namespace

std::string generateModelGlue(const ExportedModel &model, bool withMain, bool cuda,
                              bool flushDenormals) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by tgc for " << model.name
     << ": the tgc_model table (include/tgc/model.h) over the compiled entry points. */\n"
     << "#include \"tgc/model.h\"\n#include \"tgc/runtime.h\"\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n\n"
     << "/* Memref descriptors of MLIR's C interface, by rank. */\n"
     << "typedef struct { void *allocated; void *aligned; int64_t offset; } tgc_memref0;\n";
  std::set<size_t> ranks;
  for (const auto &t : model.inputs)
    ranks.insert(t.shape.size());
  ranks.insert(model.logits.shape.size());
  for (size_t rank : ranks)
    if (rank > 0)
      os << "typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes["
         << rank << "]; int64_t strides[" << rank << "]; } tgc_memref" << rank << ";\n";
  os << "\n/* Compiled state and entry points. */\n";
  for (const auto &t : model.state)
    os << "extern char " << t.symbol << "[];\n";
  ExportedTensor seed{"seed", "", "TGC_I64", "int64_t", {}};
  os << entryDeclaration(model.step, &model.loss, model.inputs)
     << entryDeclaration(model.evalLoss, &model.loss, model.inputs)
     << entryDeclaration(model.init, nullptr, {seed});
  if (!model.predict.empty())
    os << entryDeclaration(model.predict, &model.logits, model.predictInputs);
  for (const std::string *view : {&model.evalView, &model.trainView})
    if (!view->empty())
      os << entryDeclaration(*view, nullptr, {});
  if (!cuda)
    os << "void _mlir_memref_to_llvm_free(void *);\n";
  os << "\n";

  int64_t classes = model.predict.empty() ? 0 : model.logits.shape[1];
  if (cuda)
    writeCUDAEntryPoints(os, model);
  else
    writeCPUEntryPoints(os, model, flushDenormals);
  // The parameter views run rarely (around evaluations and checkpoints):
  // direct calls on both targets, as init.
  for (auto [function, entry] : {std::make_pair("tgc_eval_view", model.evalView),
                                 std::make_pair("tgc_train_view", model.trainView)})
    if (!entry.empty())
      os << "static void " << function << "(void) { _mlir_ciface_" << entry << "(); }\n\n";

  auto table = [&](const std::string &name, const std::vector<ExportedTensor> &tensors,
                   bool withData) {
    for (size_t i = 0; i < tensors.size(); ++i)
      os << "static const int64_t " << name << "_shape" << i << "[] = {"
         << (tensors[i].shape.empty() ? "0" : join(tensors[i].shape)) << "};\n";
    os << "static tgc_tensor " << name << "[] = {\n";
    for (size_t i = 0; i < tensors.size(); ++i)
      os << "  {\"" << tensors[i].name << "\", " << tensors[i].dtype << ", "
         << tensors[i].shape.size() << ", " << name << "_shape" << i << ", "
         << (withData ? "(void *)" + tensors[i].symbol : std::string("NULL")) << "},\n";
    os << "};\n\n";
  };
  table("tgc_inputs", model.inputs, false);
  table("tgc_state", model.state, true);
  os << "static const tgc_model tgc_the_model = {\n"
     << "  \"" << model.name << "\",\n  " << model.inputs.size() << ", tgc_inputs,\n  "
     << model.state.size() << ", tgc_state,\n"
     << "  tgc_init_state, tgc_step, tgc_eval_loss,\n  "
     << (model.predict.empty() ? "NULL" : "tgc_predict") << ", " << classes << ",\n  "
     << (cuda ? "tgc_cuda_globals_to_host, tgc_cuda_globals_to_device" : "NULL, NULL") << ",\n  "
     << (model.evalView.empty() ? "NULL" : "tgc_eval_view") << ", "
     << (model.trainView.empty() ? "NULL" : "tgc_train_view") << ",\n  "
     << (cuda && !model.inputs.empty() ? "tgc_prefetch" : "NULL") << ",\n};\n\n"
     << "const tgc_model *tgc_get_model(void) { return &tgc_the_model; }\n";
  if (withMain)
    os << "\nint main(int argc, char **argv) {\n"
       << "  return tgc_train_main(argc, argv, tgc_get_model());\n}\n";
  return text;
}

std::string generateModelHeader(const ExportedModel &model) {
  return llvm::formatv(R"(/* Generated by tgc for {0}: link with lib{0}.a and the tgc runtime. */
#ifndef TGC_MODEL_{1}_H
#define TGC_MODEL_{1}_H

#include "tgc/model.h"

/* The model's table: init(seed), step(inputs) -> loss, eval_loss, predict,
 * prefetch (CUDA models), and its state tensors (parameters, optimizer
 * state, step counter), which tgc_checkpoint_save/load (tgc/runtime.h) read
 * and write. */
const tgc_model *tgc_get_model(void);

#endif
)",
                       model.name, llvm::StringRef(model.name).upper())
      .str();
}

} // namespace tgc
