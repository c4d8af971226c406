//===- tgc.cpp - the tgc driver: a spec in, a training program out --------===//
//
//   tgc spec.mlir -o train                 an executable: ./train --data DIR ...
//   tgc spec.mlir --emit=lib -o libmodel.a a static library and model.h-style header
//   tgc spec.mlir --emit=obj|asm|llvm|mlir -o FILE
//   tgc spec.mlir --target=cuda [--gpu-arch=sm_90|sm_80] [--emit=ptx] ...
//   tgc spec.mlir --autocast=bf16 ...       bf16 mixed precision (tg-autocast); with
//                                          --target=cuda, fused attention kernels
//                                          (--no-fused-attention: decomposed)
//   tgc spec.mlir --target=cuda --fused-attention-f32  f32 attentions as fused
//                                          kernels too (CUDA cores; half the memory)
//   tgc spec.mlir --target=cuda --no-gpu-branches  all device work on one
//                                          stream (default: independent work on a
//                                          second one, as graph branches)
//
// Front end (train step expansion, init), export preparation, the CPU or
// CUDA pipeline to the LLVM dialect (for CUDA, with the kernels compiled
// into a gpu.binary), LLVM IR, optimization and object code in process
// through LLVM's TargetMachine; the system C compiler links the object with
// the generated glue and the runtime.
//
//===----------------------------------------------------------------------===//

#include "Compiler/GPUPipeline.h"
#include "Compiler/Pipeline.h"
#include "Driver/MemoryReport.h"
#include "Driver/ModelExport.h"
#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVM/NVVM/Utils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/Transforms/Scalar/LoopDataPrefetch.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <thread>

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { Exe, Lib, Obj, Asm, LLVMIR, MLIR, PTX };

cl::OptionCategory tgcCategory("tgc options");

cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<spec.mlir>"), cl::Required,
                                   cl::cat(tgcCategory));
cl::opt<std::string> outputFilename("o", cl::desc("output file"), cl::value_desc("file"),
                                    cl::init(""), cl::cat(tgcCategory));
cl::opt<Emit> emit("emit", cl::desc("what to produce"), cl::init(Emit::Exe),
                   cl::values(clEnumValN(Emit::Exe, "exe", "a training executable (default)"),
                              clEnumValN(Emit::Lib, "lib", "a static library and a C header"),
                              clEnumValN(Emit::Obj, "obj", "an object file"),
                              clEnumValN(Emit::Asm, "asm", "assembly"),
                              clEnumValN(Emit::LLVMIR, "llvm", "LLVM IR"),
                              clEnumValN(Emit::MLIR, "mlir", "the LLVM-dialect MLIR"),
                              clEnumValN(Emit::PTX, "ptx", "the kernels' PTX (--target=cuda)")),
                   cl::cat(tgcCategory));
cl::opt<unsigned> optLevel("O", cl::desc("optimization level (0-3)"), cl::Prefix, cl::init(2),
                           cl::cat(tgcCategory));
cl::opt<std::string> target("target", cl::desc("what to compile for: cpu or cuda"), cl::init("cpu"),
                            cl::cat(tgcCategory));
cl::opt<std::string> gpuArch("gpu-arch", cl::desc("the NVIDIA architecture (sm_90 or sm_80)"),
                             cl::init("sm_90"), cl::cat(tgcCategory));
cl::opt<std::string> cudaPath("cuda-path",
                              cl::desc("the CUDA toolkit: libdevice, and ptxas for cubin "
                                       "(default: $CUDA_HOME or /usr/local/cuda)"),
                              cl::init(""), cl::cat(tgcCategory));
cl::opt<bool> noMemoryPlanning(
    "no-memory-planning",
    cl::desc("copy parameters and optimizer state in and out of fresh buffers, free buffers at "
             "the end of their block, no loop fusion or grouping (CPU; to compare against)"),
    cl::cat(tgcCategory));
cl::opt<bool> noMatmulEpilogues(
    "no-matmul-epilogues",
    cl::desc("run a linear layer's bias and activation as kernels of their own rather than in "
             "its cuBLASLt matmul's epilogue (CUDA; to compare against)"),
    cl::cat(tgcCategory));
cl::opt<bool> noFusedAttention(
    "no-fused-attention",
    cl::desc("decompose every attention into GEMMs and softmax kernels rather than run eligible "
             "bf16 ones (--autocast=bf16) as the runtime's fused attention kernels (CUDA; to "
             "compare against)"),
    cl::cat(tgcCategory));
cl::opt<bool> fusedAttentionF32(
    "fused-attention-f32",
    cl::desc(
        "fuse f32 attentions too: eligible ones (heads of 64, lengths multiples of 64) run "
        "as the runtime's f32 flash attention kernels on CUDA cores rather than as GEMMs "
        "and softmax kernels (CUDA; off by default: GPT-2's fp32 block steps 1% slower with them "
        "on an H200, in half the memory)"),
    cl::cat(tgcCategory));
cl::opt<bool> noGpuBranches(
    "no-gpu-branches",
    cl::desc("run all device work on one stream rather than the work off the step's longest "
             "dependence path (a weight's gradient GEMM, a bias gradient) on a second stream, "
             "concurrently, as parallel branches of the CUDA graph (CUDA; to compare against; "
             "TGC_CUDA_BRANCHES=0 does the same at run time)"),
    cl::cat(tgcCategory));
cl::opt<std::string> autocast(
    "autocast",
    cl::desc("mixed precision as PyTorch's autocast: bf16 (matmuls, linear layers, attention and "
             "convolutions in bf16, statistics and losses in f32, f32 parameters and optimizer); "
             "off by default"),
    cl::init(""), cl::cat(tgcCategory));
cl::opt<bool> keepDenormals(
    "keep-denormals",
    cl::desc("compute with denormal floats (CPU). By default the step, evaluation and prediction "
             "run with denormals flushed to zero, as TensorFlow and XLA do: once a loss nears "
             "zero, denormal gradients and moments make every multiply a slow microcode assist"),
    cl::cat(tgcCategory));
cl::opt<bool> printIRAfterAll("print-ir-after-all", cl::desc("print the IR after every pass"),
                              cl::cat(tgcCategory));
cl::opt<bool> timing("timing",
                     cl::desc("print the time of every stage and pass of the compilation"),
                     cl::cat(tgcCategory));
cl::opt<bool> memoryReport("memory-report",
                           cl::desc("print the bytes a training step holds at its peak "
                                    "(parameters, optimizer state, batch, activations)"),
                           cl::cat(tgcCategory));
cl::opt<std::string> predictName("predict", cl::desc("function giving logits for accuracy"),
                                 cl::init("forward"), cl::cat(tgcCategory));
cl::opt<std::string> runtimeLibrary("runtime-library", cl::desc("the tgc runtime archive"),
                                    cl::init(TGC_RUNTIME_LIBRARY), cl::cat(tgcCategory));
cl::opt<std::string> includeDir("runtime-include", cl::desc("the tgc public headers"),
                                cl::init(TGC_INCLUDE_DIR), cl::cat(tgcCategory));

/// "error: ..." on stderr, exit status 1.
int fail(const llvm::Twine &message) {
  llvm::errs() << "tgc: error: " << message << "\n";
  return 1;
}

/// Runs a program, reporting its failure.
bool run(llvm::StringRef program, llvm::ArrayRef<llvm::StringRef> args) {
  std::string error;
  int status = llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0, &error);
  if (status != 0) {
    llvm::errs() << "tgc: error: " << program << " failed"
                 << (error.empty() ? "" : ": " + error) << "\n";
    return false;
  }
  return true;
}

/// The host TargetMachine (all the CPU's features: AVX-512 where present).
std::unique_ptr<llvm::TargetMachine> hostTargetMachine(std::string &error) {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *machine = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!machine)
    return nullptr;
  llvm::SubtargetFeatures features;
  for (const auto &[name, enabled] : llvm::sys::getHostCPUFeatures())
    features.AddFeature(name, enabled);
  llvm::TargetOptions options;
  std::optional<llvm::CodeGenOptLevel> level = llvm::CodeGenOpt::getLevel(optLevel);
  return std::unique_ptr<llvm::TargetMachine>(machine->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features.getString(), options,
      llvm::Reloc::PIC_, std::nullopt, level.value_or(llvm::CodeGenOptLevel::Default)));
}

/// LLVM's LoopDataPrefetch does nothing on x86 unless its distance and the
/// cache line size are given (only some targets' TTI sets them). These are
/// tgc's defaults, which `-prefetch-distance=N` / `-cache-line-size=N` on the
/// command line override (distance 0: none). The distance is in instructions
/// of the loop body; 2048 is a few KiB ahead for the generated loops. On the
/// 2-core build machine it took bench B4 (softmax cross-entropy, two exps an
/// element) from 87 to 58 ms and B5 (an elementwise chain) from 44 to 29 ms;
/// 512 and 8192 were slower, and prefetching writes too gained nothing.
void setPrefetchingDefaults() {
  auto &options = llvm::cl::getRegisteredOptions();
  for (auto [name, value] :
       {std::pair<llvm::StringRef, llvm::StringRef>{"prefetch-distance", "2048"},
        {"cache-line-size", "64"}}) {
    llvm::cl::Option *option = options.lookup(name);
    if (option && option->getNumOccurrences() == 0)
      option->addOccurrence(0, name, value);
  }
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  if (optLevel == 0)
    return;
  // Full-width vectors: LLVM prefers 256 bits on AVX-512 hosts (clock
  // throttling on old parts), which halved the throughput of the generated
  // loops' vector exp (bench B4: 172 ms -> 93 ms a step with 512 bits).
  for (llvm::Function &function : module)
    if (!function.isDeclaration())
      function.addFnAttr("prefer-vector-width", "512");
  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  // No loop unrolling (the vectorizer still interleaves): the generated
  // loops are memory-bound (matmuls are in the runtime), and fully unrolling
  // their constant-trip vector loops made the transformer step's IR 4x
  // bigger and its compile 2.7x slower for no faster step (bench B3, B6).
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = false;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::OptimizationLevel level = optLevel == 1   ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager pipeline = builder.buildPerModuleDefaultPipeline(level);
  // Software prefetches in the vectorized loops (see
  // setPrefetchingDefaults): a loop that evaluates an exp per element
  // outruns the hardware prefetcher.
  pipeline.addPass(llvm::createModuleToFunctionPassAdaptor(llvm::LoopDataPrefetchPass()));
  pipeline.run(module, modules);
}

/// Writes `module` as an object (or assembly) file at `path`.
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine, const std::string &path,
                llvm::CodeGenFileType type, std::string &error) {
  std::error_code ec;
  llvm::ToolOutputFile object(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write " + path + ": " + ec.message();
    return false;
  }
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, object.os(), nullptr, type)) {
    error = "the target cannot emit this file type";
    return false;
  }
  passes.run(module);
  object.keep();
  return true;
}

/// Optimizes `module` and compiles it into objects in `dir`, one per
/// thread: the module split into parts (LLVM's SplitModule), each part
/// optimized and compiled in its own context and thread. LLVM's passes are
/// most of a compile, and one context cannot be shared between threads.
bool emitObjectsInParallel(llvm::Module &module, llvm::StringRef dir,
                           std::vector<std::string> &objects, std::string &error) {
  unsigned parts = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<llvm::SmallString<0>> bitcode;
  llvm::SplitModule(module, parts, [&](std::unique_ptr<llvm::Module> part) {
    llvm::raw_svector_ostream os(bitcode.emplace_back());
    llvm::WriteBitcodeToFile(*part, os);
  });
  std::vector<std::string> errors(bitcode.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < bitcode.size(); ++i) {
    objects.push_back((dir + "/model." + llvm::Twine(i) + ".o").str());
    threads.emplace_back([&, i] {
      llvm::LLVMContext context;
      llvm::Expected<std::unique_ptr<llvm::Module>> part =
          llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode[i], "part"), context);
      if (!part) {
        errors[i] = llvm::toString(part.takeError());
        return;
      }
      std::unique_ptr<llvm::TargetMachine> machine = hostTargetMachine(errors[i]);
      if (!machine)
        return;
      optimize(**part, *machine);
      emitObject(**part, *machine, objects[i], llvm::CodeGenFileType::ObjectFile, errors[i]);
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  for (const std::string &partError : errors)
    if (!partError.empty()) {
      error = partError;
      return false;
    }
  return true;
}

/// --cuda-path, else MLIR's choice (CUDA_ROOT, CUDA_HOME, CUDA_PATH), else
/// the usual place.
std::string cudaToolkit() {
  if (!cudaPath.empty())
    return cudaPath;
  llvm::StringRef fromMLIR = NVVM::getCUDAToolkitPath();
  return fromMLIR.empty() ? "/usr/local/cuda" : fromMLIR.str();
}

/// Whether ptxas is there to assemble cubin (else the binary embeds PTX,
/// which the driver compiles when it loads the kernels).
bool hasPtxas() {
  return llvm::sys::fs::can_execute(cudaToolkit() + "/bin/ptxas") ||
         static_cast<bool>(llvm::sys::findProgramByName("ptxas"));
}

bool writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    llvm::errs() << "tgc: error: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  os << contents;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // --help lists tgc's options, not the hundreds LLVM registers.
  cl::HideUnrelatedOptions(tgcCategory);
  cl::ParseCommandLineOptions(argc, argv, "tgc: compile a training spec\n");
  setPrefetchingDefaults();
  bool cuda = target == "cuda";
  if (target != "cpu" && !cuda)
    return fail("unsupported target '" + target + "' (this build has: cpu, cuda)");
  if (cuda && !tg::isSupportedCUDAChip(gpuArch))
    return fail("unsupported GPU architecture '" + gpuArch + "' (supported: sm_80, sm_90)");
  if (!cuda && emit == Emit::PTX)
    return fail("--emit=ptx needs --target=cuda");
  if (!cuda && fusedAttentionF32)
    return fail("--fused-attention-f32 needs --target=cuda");
  if (fusedAttentionF32 && noFusedAttention)
    return fail("--fused-attention-f32 and --no-fused-attention contradict each other");
  // Kernels take exp, log, tanh... from the toolkit's libdevice.
  if (cuda && !llvm::sys::fs::exists(cudaToolkit() + "/nvvm/libdevice/libdevice.10.bc"))
    return fail("no CUDA toolkit at '" + cudaToolkit() +
                "' (its nvvm/libdevice/libdevice.10.bc is needed): name one with --cuda-path");
  if (optLevel > 3)
    return fail("-O" + llvm::Twine(optLevel) + " is not an optimization level (0-3)");

  DialectRegistry registry;
  registry.insert<tg::TGDialect>();
  tg::registerDerivativeExternalModels(registry);
  tg::registerCPUPipelineDependencies(registry);
  tg::registerCUDAPipelineDependencies(registry);
  MLIRContext context(registry);
  // Diagnostics point at the spec; the op in generic form would bury them.
  context.printOpOnDiagnostic(false);
  context.loadAllAvailableDialects();

  std::string error;
  auto file = openInputFile(inputFilename, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  FailureOr<tgc::TrainStepNames> names = tgc::findTrainStep(*module);
  if (failed(names))
    return 1;
  std::string modelName = llvm::sys::path::stem(inputFilename).str();
  for (char &c : modelName)
    if (!llvm::isAlnum(c))
      c = '_';

  // --timing: MLIR's pass timing for both pass managers, plus the LLVM
  // stages and the link as scopes of the same report.
  DefaultTimingManager timingManager;
  timingManager.setEnabled(timing);
  TimingScope timingRoot = timingManager.getRootScope();

  PassManager frontEnd(&context);
  TimingScope frontEndTiming = timingRoot.nest("tg front end");
  frontEnd.enableTiming(frontEndTiming);
  if (printIRAfterAll) {
    context.disableMultithreading();
    frontEnd.enableIRPrinting();
  }
  // Autocast first: the evaluation copies compute as the step does, and the
  // optimizer's update, built later, stays f32.
  if (!autocast.empty()) {
    tg::TGAutocastOptions autocastOptions;
    autocastOptions.type = autocast;
    frontEnd.addPass(tg::createTGAutocast(autocastOptions));
  }
  // Evaluation runs eval-mode copies of the loss and predict functions.
  tg::TGBuildEvalFunctionsOptions evalOptions;
  evalOptions.functions = {names->loss, predictName.getValue()};
  frontEnd.addPass(tg::createTGBuildEvalFunctions(evalOptions));
  frontEnd.addPass(tg::createTGExpandTrainStep());
  frontEnd.addPass(tg::createTGBuildInit());
  if (failed(frontEnd.run(*module)))
    return 1;
  frontEndTiming.stop();
  FailureOr<tgc::ExportedModel> model =
      tgc::prepareModelExport(*module, *names, modelName, predictName);
  if (failed(model))
    return 1;

  PassManager codegen(&context);
  TimingScope codegenTiming = timingRoot.nest("code generation pipeline");
  codegen.enableTiming(codegenTiming);
  if (printIRAfterAll)
    codegen.enableIRPrinting();
  if (cuda) {
    tg::CUDAPipelineOptions pipelineOptions;
    pipelineOptions.chip = gpuArch;
    pipelineOptions.toolkitPath = cudaToolkit();
    pipelineOptions.format = emit != Emit::PTX && hasPtxas() ? "bin" : "isa";
    pipelineOptions.matmulEpilogues = !noMatmulEpilogues;
    // Autocast's bf16 attentions (D = 64, ...) are what the kernels take;
    // f32 ones only on request.
    pipelineOptions.fusedAttention = (autocast == "bf16" || fusedAttentionF32) && !noFusedAttention;
    pipelineOptions.fusedAttentionF32 = fusedAttentionF32;
    pipelineOptions.concurrentBranches = !noGpuBranches;
    if (memoryReport) {
      // The report reads the device buffers before they become kernels.
      PassManager mapping(&context);
      tg::buildCUDAKernelMappingPipeline(mapping, pipelineOptions.matmulEpilogues,
                                         pipelineOptions.fusedAttention,
                                         pipelineOptions.fusedAttentionF32);
      if (failed(mapping.run(*module)))
        return 1;
      tgc::printMemoryReport(llvm::outs(), modelName,
                             tgc::measureStepMemory(*module, model->step, names->parameters),
                             /*device=*/true);
      tg::buildCUDACodegenPipeline(codegen, pipelineOptions);
    } else {
      tg::buildCUDAPipeline(codegen, pipelineOptions);
    }
  } else {
    tg::CPUPipelineOptions pipelineOptions;
    pipelineOptions.runtimeAllocator = true;
    pipelineOptions.planMemory = !noMemoryPlanning;
    if (memoryReport) {
      // The report reads the buffers before they become loops.
      PassManager bufferize(&context);
      tg::buildCPUBufferizationPipeline(bufferize, pipelineOptions);
      if (failed(bufferize.run(*module)))
        return 1;
      tgc::printMemoryReport(llvm::outs(), modelName,
                             tgc::measureStepMemory(*module, model->step, names->parameters));
      tg::buildCPUCodegenPipeline(codegen, pipelineOptions);
    } else {
      tg::buildCPUPipeline(codegen, pipelineOptions);
    }
  }
  if (failed(codegen.run(*module)))
    return 1;
  codegenTiming.stop();

  std::string output = outputFilename;
  if (output.empty())
    output = emit == Emit::Exe ? "a.out" : emit == Emit::Lib ? "lib" + modelName + ".a"
                                                            : modelName + ".out";
  if (emit == Emit::PTX) {
    std::string text;
    module->walk([&](gpu::BinaryOp binary) {
      for (Attribute object : binary.getObjects())
        text += cast<gpu::ObjectAttr>(object).getObject().getValue();
    });
    return writeFile(output, text) ? 0 : 1;
  }
  if (emit == Emit::MLIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return writeFile(output, text) ? 0 : 1;
  }

  TimingScope translateTiming = timingRoot.nest("translation to LLVM IR");
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(*module, llvmContext);
  translateTiming.stop();
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  tg::bindRuntimeEntryPoints(*llvmModule);
  std::unique_ptr<llvm::TargetMachine> machine = hostTargetMachine(error);
  if (!machine)
    return fail("no code generator for this host: " + error);
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  if (!cuda)
    tg::adviseHugePagesForGlobals(*llvmModule);
  llvm::SmallString<128> scratch;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("tgc", scratch))
    return fail("cannot create a temporary directory: " + ec.message());
  llvm::scope_exit cleanUp([&] { llvm::sys::fs::remove_directories(scratch); });
  std::vector<std::string> objects;
  if (emit == Emit::Exe || emit == Emit::Lib) {
    // Optimization and object code in parallel, in process.
    TimingScope objectTiming = timingRoot.nest("LLVM optimization and code generation");
    if (!emitObjectsInParallel(*llvmModule, scratch, objects, error))
      return fail(error);
  } else {
    TimingScope optimizeTiming = timingRoot.nest("LLVM optimization");
    optimize(*llvmModule, *machine);
    optimizeTiming.stop();
    if (emit == Emit::LLVMIR) {
      std::string text;
      llvm::raw_string_ostream os(text);
      llvmModule->print(os, nullptr);
      return writeFile(output, text) ? 0 : 1;
    }
    TimingScope objectTiming = timingRoot.nest("LLVM code generation");
    if (!emitObject(*llvmModule, *machine, output,
                    emit == Emit::Asm ? llvm::CodeGenFileType::AssemblyFile
                                      : llvm::CodeGenFileType::ObjectFile,
                    error))
      return fail(error);
    return 0;
  }

  // The glue that turns the compiled functions into a tgc_model, then link.
  TimingScope linkTiming = timingRoot.nest("glue and link");
  std::string gluePath = (scratch + "/glue.c").str();
  if (!writeFile(gluePath, tgc::generateModelGlue(*model, emit == Emit::Exe, cuda, !keepDenormals)))
    return 1;
  llvm::ErrorOr<std::string> cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return fail("no C compiler (cc) on PATH to link with the runtime");
  std::string includeFlag = "-I" + includeDir;
  if (emit == Emit::Exe) {
    std::vector<llvm::StringRef> args = {*cc, "-O2", includeFlag, gluePath};
    args.insert(args.end(), objects.begin(), objects.end());
    args.insert(args.end(), {runtimeLibrary, "-lz", "-lpthread", "-ldl", "-lstdc++", "-lm", "-o",
                             output});
    if (!run(*cc, args))
      return 1;
  } else {
    std::string glueObject = (scratch + "/glue.o").str();
    llvm::ErrorOr<std::string> ar = llvm::sys::findProgramByName("ar");
    if (!ar)
      return fail("no archiver (ar) on PATH to build the library");
    llvm::sys::fs::remove(output);
    std::vector<llvm::StringRef> archive = {*ar, "rcs", output, glueObject};
    archive.insert(archive.end(), objects.begin(), objects.end());
    if (!run(*cc, {*cc, "-O2", "-fPIC", includeFlag, "-c", gluePath, "-o", glueObject}) ||
        !run(*ar, archive))
      return 1;
    std::string header = (llvm::sys::path::parent_path(output) +
                          (llvm::sys::path::parent_path(output).empty() ? "" : "/") +
                          modelName + ".h")
                             .str();
    if (!writeFile(header, tgc::generateModelHeader(*model)))
      return 1;
  }
  return 0;
}
