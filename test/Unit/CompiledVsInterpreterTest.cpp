//===- CompiledVsInterpreterTest.cpp - JIT-compiled code against the interpreter -===//
//
// Differential tests of CPU code generation: each case (a small function @f)
// runs through --tg-cpu-pipeline, is JIT-compiled with mlir::ExecutionEngine
// and called through its C interface (`_mlir_ciface_f`, memrefs passed as
// descriptors) on random inputs; the result must match the reference
// interpreter on the original tg function:
//  * every gradcheck case (every differentiable core op and composite, and
//    scf.for loops over tensor slices) in f64 within 1e-12 relative, and the
//    same functions in f32 within 1e-5;
//  * the ops the gradcheck cannot cover (constants, iota, tg.random,
//    compare, one_hot), integer arithmetic, casts, NaN propagation, every
//    matmul lowering path and a small MLP loss; integer results and
//    tg.random uniform samples bit-exactly.
// Every case and the training steps run again through the GPU kernel
// mapping of the CUDA pipeline, emulated on the CPU (GPUEmulation.h), with
// the same tolerances.
// A last test fails when a tg op has no case here.
//
//===----------------------------------------------------------------------===//

#include "Compiler/Pipeline.h"
#include "GPUEmulation.h"
#include "GradcheckCases.h"
#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"

#include "tgc/runtime.h"

#include <gtest/gtest.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>

using namespace mlir;
using namespace mlir::tg;
using namespace tgc::test;

#if defined(__x86_64__) || defined(__aarch64__)
extern "C" __bf16 __truncsfbf2(float); // runtime/Builtins.cpp
#endif

namespace {

#include "GradcheckCases.inc"

/// JIT-compiles a module that went through --tg-cpu-pipeline, resolving the
/// runtime entry points generated code calls (matmul kernels, parallel
/// regions) to the runtime linked into this test.
llvm::Error bindEntryPoints(llvm::Module *llvmModule) {
  bindRuntimeEntryPoints(*llvmModule);
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<ExecutionEngine>> createEngine(ModuleOp module) {
  ExecutionEngineOptions options;
  options.transformer = bindEntryPoints;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return engine;
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](const char *name, auto *function) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(function),
                                 llvm::JITSymbolFlags::Exported};
    };
    add("_mlir_ciface_tgc_matmul_f32", &_mlir_ciface_tgc_matmul_f32);
    add("_mlir_ciface_tgc_matmul_f64", &_mlir_ciface_tgc_matmul_f64);
    add("_mlir_ciface_tgc_attention_forward_bf16", &_mlir_ciface_tgc_attention_forward_bf16);
    add("_mlir_ciface_tgc_attention_backward_bf16", &_mlir_ciface_tgc_attention_backward_bf16);
    add("_mlir_ciface_tgc_attention_forward_f32", &_mlir_ciface_tgc_attention_forward_f32);
    add("_mlir_ciface_tgc_attention_backward_f32", &_mlir_ciface_tgc_attention_backward_f32);
    add("tgc_omp_global_thread_num", &tgc_omp_global_thread_num);
    add("tgc_omp_fork_call", &tgc_omp_fork_call);
    add("tgc_omp_for_static_init_4u", &tgc_omp_for_static_init_4u);
    add("tgc_omp_for_static_init_8u", &tgc_omp_for_static_init_8u);
    add("tgc_omp_for_static_fini", &tgc_omp_for_static_fini);
    add("tgc_omp_barrier", &tgc_omp_barrier);
#if defined(__x86_64__) || defined(__aarch64__)
    add("__truncsfbf2", &__truncsfbf2); // runtime/Builtins.cpp
#endif
    return symbols;
  });
  return engine;
}

//===----------------------------------------------------------------------===//
// Host tensors <-> memref descriptors
//===----------------------------------------------------------------------===//

size_t byteWidth(Type element) {
  return element.isInteger(1) ? 1 : (element.getIntOrFloatBitWidth() + 7) / 8;
}

/// Writes `value` as one element of type `element` at `at`.
void storeElement(Type element, double value, void *at) {
  if (element.isF64()) {
    std::memcpy(at, &value, 8);
    return;
  }
  if (element.isF32()) {
    float f = float(value);
    std::memcpy(at, &f, 4);
    return;
  }
  if (auto floatType = dyn_cast<FloatType>(element)) {
    bool lostInfo;
    APFloat f(value);
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lostInfo);
    uint64_t bits = f.bitcastToAPInt().getZExtValue();
    std::memcpy(at, &bits, byteWidth(element));
    return;
  }
  // Integers, little-endian: the low bytes of the two's complement value.
  int64_t integer = element.isInteger(1) ? int64_t(value != 0) : int64_t(value);
  std::memcpy(at, &integer, byteWidth(element));
}

double loadElement(Type element, const void *at) {
  if (element.isF64()) {
    double d;
    std::memcpy(&d, at, 8);
    return d;
  }
  if (element.isF32()) {
    float f;
    std::memcpy(&f, at, 4);
    return f;
  }
  if (auto floatType = dyn_cast<FloatType>(element)) {
    uint64_t bits = 0;
    std::memcpy(&bits, at, byteWidth(element));
    APFloat f(floatType.getFloatSemantics(), APInt(floatType.getWidth(), bits));
    return f.convertToDouble();
  }
  unsigned width = element.getIntOrFloatBitWidth();
  uint64_t bits = 0;
  std::memcpy(&bits, at, byteWidth(element));
  if (width == 1)
    return double(bits & 1);
  return double(APInt(width, bits, /*isSigned=*/false, /*implicitTrunc=*/true).getSExtValue());
}

/// A memref descriptor of rank R as the C interface lays it out: allocated
/// pointer, aligned pointer, offset, sizes[R], strides[R] (all 8 bytes).
using Descriptor = std::vector<int64_t>;

/// A tensor argument: its row-major data and an identity-layout descriptor.
struct MemRefArgument {
  std::vector<uint64_t> storage; // 8-byte aligned
  Descriptor descriptor;

  explicit MemRefArgument(const HostTensor &tensor) {
    Type element = tensor.type.getElementType();
    size_t width = byteWidth(element);
    storage.assign((tensor.size() * width + 7) / 8 + 1, 0);
    auto *bytes = reinterpret_cast<char *>(storage.data());
    for (int64_t i = 0; i < tensor.size(); ++i)
      storeElement(element, tensor.data[i], bytes + i * width);
    ArrayRef<int64_t> shape = tensor.shape();
    descriptor = {int64_t(reinterpret_cast<intptr_t>(bytes)),
                  int64_t(reinterpret_cast<intptr_t>(bytes)), 0};
    descriptor.insert(descriptor.end(), shape.begin(), shape.end());
    SmallVector<int64_t> strides(shape.size(), 1);
    for (int64_t d = int64_t(shape.size()) - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * shape[d + 1];
    descriptor.insert(descriptor.end(), strides.begin(), strides.end());
  }
};

/// Reads a returned memref of `type` (any strides) into a host tensor.
HostTensor readResult(RankedTensorType type, const Descriptor &descriptor) {
  HostTensor result(type);
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  auto *aligned = reinterpret_cast<const char *>(intptr_t(descriptor[1]));
  int64_t offset = descriptor[2];
  ArrayRef<int64_t> strides = ArrayRef(descriptor).slice(3 + rank, rank);
  SmallVector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < result.size(); ++flat) {
    int64_t at = offset;
    for (int64_t d = 0; d < rank; ++d)
      at += index[d] * strides[d];
    result.data[flat] = loadElement(element, aligned + at * byteWidth(element));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < type.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return result;
}

/// Calls `_mlir_ciface_<name>` with `args` as memref descriptors; returns its
/// result (of `resultType`), or nothing when `resultType` is null. Checks that
/// a returned buffer is a fresh allocation the caller owns, and frees it.
std::optional<HostTensor> callCompiled(ExecutionEngine &engine, StringRef name,
                                       ArrayRef<HostTensor> args, RankedTensorType resultType) {
  std::vector<MemRefArgument> arguments;
  for (const HostTensor &arg : args)
    arguments.emplace_back(arg);
  Descriptor result(resultType ? 3 + 2 * resultType.getRank() : 0, 0);
  // _mlir_ciface_<name>([result *,] argument descriptors *...), packed: a
  // pointer to each (pointer) argument.
  std::vector<void *> pointers;
  if (resultType)
    pointers.push_back(result.data());
  for (MemRefArgument &argument : arguments)
    pointers.push_back(argument.descriptor.data());
  std::vector<void *> packed;
  for (void *&pointer : pointers)
    packed.push_back(&pointer);
    // Compiled code runs with a dirty heap: every malloc'd byte is garbage, so
    // code that reads a buffer it never wrote fails here rather than by luck
    // elsewhere (a fresh page from the kernel is all zeros).
#ifdef __GLIBC__
  mallopt(M_PERTURB, 0xa5);
#endif
  llvm::Error error = engine.invokePacked(("_mlir_ciface_" + name).str(), packed);
#ifdef __GLIBC__
  mallopt(M_PERTURB, 0);
#endif
  if (error) {
    ADD_FAILURE() << "calling @" << name.str() << ": " << llvm::toString(std::move(error));
    return std::nullopt;
  }
  if (!resultType)
    return HostTensor();
  HostTensor value = readResult(resultType, result);
  void *allocated = reinterpret_cast<void *>(intptr_t(result[0]));
  bool fresh = allocated != reinterpret_cast<void *>(intptr_t(0xdeadbeef));
  for (MemRefArgument &argument : arguments)
    fresh &= allocated != reinterpret_cast<void *>(intptr_t(argument.descriptor[0]));
  EXPECT_TRUE(fresh) << "the result of @" << name.str() << " is not a fresh allocation";
  if (fresh)
    std::free(allocated);
  return value;
}

//===----------------------------------------------------------------------===//
// The comparison
//===----------------------------------------------------------------------===//

/// max |actual - expected| / max |expected| (NaN must match NaN; any other
/// mismatch with a NaN or an infinity is an infinite error).
double relativeError(const HostTensor &actual, const HostTensor &expected) {
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < expected.size(); ++i) {
    double a = actual.data[i], e = expected.data[i];
    if (std::isnan(e) || std::isnan(a)) {
      if (std::isnan(e) != std::isnan(a))
        return INFINITY;
      continue;
    }
    if (std::isinf(e) || std::isinf(a)) {
      if (a != e)
        return INFINITY;
      continue;
    }
    diff = std::max(diff, std::fabs(a - e));
    scale = std::max(scale, std::fabs(e));
  }
  if (diff == 0)
    return 0;
  return diff / std::max(scale, 1e-300);
}

/// The largest error seen per precision, printed after all tests.
struct ErrorSummary {
  struct Worst {
    double error = 0;
    std::string name;
    int cases = 0;
  };
  std::map<std::string, Worst> byKind;

  void record(const std::string &kind, const std::string &name, double error) {
    Worst &worst = byKind[kind];
    ++worst.cases;
    if (error >= worst.error) {
      worst.error = error;
      worst.name = name;
    }
  }
};

ErrorSummary &summary() {
  static ErrorSummary instance;
  return instance;
}

struct SummaryPrinter : testing::Environment {
  void TearDown() override {
    for (auto &[kind, worst] : summary().byKind)
      std::printf("[ compiled ] %-8s %3d cases compared with the interpreter; "
                  "max relative error %.3g (%s)\n",
                  kind.c_str(), worst.cases, worst.error, worst.name.c_str());
  }
};
[[maybe_unused]] testing::Environment *const kSummaryPrinter =
    testing::AddGlobalTestEnvironment(new SummaryPrinter);

//===----------------------------------------------------------------------===//
// The harness
//===----------------------------------------------------------------------===//

struct CompiledCase {
  std::string name;
  std::string source; // func.func @f with one result
  Domain domain = Domain::Any;
  int64_t integerBound = 1;
  double tolerance = 1e-12; // 0: bit-exact
  std::string kind = "f64";
  /// A runtime function the GPU mapping must call, with the CUDA
  /// pipeline's fused attention on (tgc_attention_forward_bf16 or _f32: the
  /// kernel's host reference); empty: fused attention off.
  std::string fusedCall;
};

std::ostream &operator<<(std::ostream &os, const CompiledCase &c) { return os << c.name; }

class CompiledVsInterpreter : public testing::TestWithParam<CompiledCase> {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }

  CompiledVsInterpreter() {
    DialectRegistry registry;
    registerGPUEmulationDependencies(registry);
    context.appendDialectRegistry(registry);
    context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect,
                        arith::ArithDialect, scf::SCFDialect, tensor::TensorDialect>();
  }

  HostTensor random(Type type, Domain domain, int64_t integerBound) {
    return drawInput(type, domain, integerBound, rng);
  }


  /// Compiles the case with `pipeline` and compares it with the interpreter;
  /// the compiled code must call `requiredCall` (a runtime function), if
  /// given.
  void check(void (*pipeline)(OpPassManager &), const std::string &summaryKind,
             const std::string &requiredCall = "");

  MLIRContext context;
  std::mt19937_64 rng{4321};
};

/// How many calls of the runtime function `name` (through its C interface)
/// the LLVM-dialect `module` makes.
int countRuntimeCalls(ModuleOp module, StringRef name) {
  int calls = 0;
  std::string symbol = ("_mlir_ciface_" + name).str();
  module.walk([&](LLVM::CallOp call) {
    if (call.getCallee() && *call.getCallee() == symbol)
      ++calls;
  });
  return calls;
}

void CompiledVsInterpreter::check(void (*pipeline)(OpPassManager &), const std::string &summaryKind,
                                  const std::string &requiredCall) {
  const CompiledCase &testCase = GetParam();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(testCase.source, &context);
  ASSERT_TRUE(module) << "the case does not parse";
  auto f = module->lookupSymbol<func::FuncOp>("f");
  ASSERT_TRUE(f) << "the case has no @f";
  FunctionType type = f.getFunctionType();
  ASSERT_EQ(type.getNumResults(), 1u);
  auto resultType = cast<RankedTensorType>(type.getResult(0));

  // The reference values, on the tg module before it is compiled (its
  // derivatives expanded by tg-autodiff, as every pipeline starts, attention
  // by its own rule: the interpreter computes it and its gradient in double
  // and rounds once, where a decomposition on bf16 rounds every step).
  constexpr int kTrials = 3;
  std::vector<std::vector<HostTensor>> inputs;
  std::vector<HostTensor> expected;
  OwningOpRef<ModuleOp> reference;
  if (module->walk([](GradOp) { return WalkResult::interrupt(); }).wasInterrupted()) {
    reference = module->clone();
    PassManager pm(&context);
    TGAutodiffOptions autodiff;
    autodiff.keepAttention = true;
    pm.addPass(createTGAutodiff(autodiff));
    ASSERT_TRUE(succeeded(pm.run(*reference))) << "tg-autodiff failed";
  }
  {
    Interpreter interpreter(reference ? *reference : *module);
    for (int trial = 0; trial < kTrials; ++trial) {
      std::vector<HostTensor> args;
      for (Type input : type.getInputs())
        args.push_back(random(input, testCase.domain, testCase.integerBound));
      FailureOr<std::vector<HostTensor>> results = interpreter.call("f", args);
      ASSERT_TRUE(succeeded(results)) << "the interpreter failed";
      inputs.push_back(std::move(args));
      expected.push_back((*results)[0]);
    }
  }

  PassManager pm(&context);
  pipeline(pm);
  ASSERT_TRUE(succeeded(pm.run(*module))) << "the pipeline failed";
  if (!requiredCall.empty())
    EXPECT_GT(countRuntimeCalls(*module, requiredCall), 0)
        << "the compiled code does not call " << requiredCall;
  auto engine = createEngine(*module);
  ASSERT_TRUE(bool(engine)) << "JIT compilation failed: " << llvm::toString(engine.takeError());

  double worst = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::optional<HostTensor> actual = callCompiled(**engine, "f", inputs[trial], resultType);
    ASSERT_TRUE(actual);
    double relative = relativeError(*actual, expected[trial]);
    worst = std::max(worst, relative);
    if (testCase.tolerance == 0)
      EXPECT_EQ(relative, 0.0) << "not bit-exact, trial " << trial;
    else
      EXPECT_LE(relative, testCase.tolerance) << "trial " << trial;
  }
  summary().record(summaryKind, testCase.name, worst);
  RecordProperty("max_relative_error", std::to_string(worst));
}

TEST_P(CompiledVsInterpreter, MatchesInterpreter) {
  check([](OpPassManager &pm) { buildCPUPipeline(pm); }, GetParam().kind);
}

TEST_P(CompiledVsInterpreter, GPUMappingMatchesInterpreter) {
  check([](OpPassManager &pm) { buildGPUEmulationPipeline(pm); }, "gpu-" + GetParam().kind);
}

// The GPU mapping with the CUDA pipeline's fused attention: the cases'
// attentions must become calls of the kernels (their host reference here).
class FusedAttentionVsInterpreter : public CompiledVsInterpreter {};

TEST_P(FusedAttentionVsInterpreter, GPUMappingMatchesInterpreter) {
  check([](OpPassManager &pm) { buildGPUEmulationPipeline(pm, /*fusedAttention=*/true); },
        "gpu-" + GetParam().kind, GetParam().fusedCall);
}

// The same with f32 attentions fused too (fusedAttentionF32).
class FusedAttentionF32VsInterpreter : public CompiledVsInterpreter {};

TEST_P(FusedAttentionF32VsInterpreter, GPUMappingMatchesInterpreter) {
  check(
      [](OpPassManager &pm) {
        buildGPUEmulationPipeline(pm, /*fusedAttention=*/true, EmulatedBranches::Off,
                                  /*fusedAttentionF32=*/true);
      },
      "gpu-" + GetParam().kind, GetParam().fusedCall);
}

//===----------------------------------------------------------------------===//
// The cases
//===----------------------------------------------------------------------===//

/// Every gradcheck case in f64, and again with f32 in place of f64.
std::vector<CompiledCase> gradcheckCases(bool f32) {
  std::vector<CompiledCase> cases;
  for (const GradcheckCase &c : kGradcheckCases) {
    CompiledCase compiled{c.name, c.source, c.domain, c.integerBound};
    if (f32) {
      size_t at = 0;
      while ((at = compiled.source.find("f64", at)) != std::string::npos)
        compiled.source.replace(at, 3, "f32");
      compiled.name += "_f32";
      compiled.tolerance = 1e-5;
      compiled.kind = "f32";
    }
    cases.push_back(std::move(compiled));
  }
  return cases;
}

constexpr double kExact = 0;

/// What the gradcheck cases cannot cover: ops without derivatives, integer
/// and boolean tensors, NaN, and every matmul lowering path.
const CompiledCase kExtraCases[] = {
    {"constants_iota", R"(
func.func @f(%x: tensor<2x3xf64>) -> tensor<2x3xf64> {
  %c = tg.constant dense<[[1.5, -2.0, 3.25]]> : tensor<1x3xf64>
  %f = tg.fill -0.75 : tensor<2x1xf64>
  %i = tg.iota 0 : tensor<2x3xi32>
  %fi = tg.cast %i : tensor<2x3xi32> to tensor<2x3xf64>
  %j = tg.iota 1 : tensor<2x3xf64>
  %a = tg.mul %x, %c : tensor<2x3xf64>, tensor<1x3xf64> -> tensor<2x3xf64>
  %b = tg.add %a, %f : tensor<2x3xf64>, tensor<2x1xf64> -> tensor<2x3xf64>
  %d = tg.add %b, %fi : tensor<2x3xf64>
  %y = tg.sub %d, %j : tensor<2x3xf64>
  return %y : tensor<2x3xf64>
}
)"},
    {"random_uniform_f32", R"(
func.func @f(%seed: tensor<i64>, %counter: tensor<i64>) -> tensor<5x7xf32> {
  %u = tg.random uniform %seed, %counter : tensor<i64>, tensor<i64> -> tensor<5x7xf32>
  return %u : tensor<5x7xf32>
}
)",
     Domain::Any, int64_t(1) << 40, kExact, "exact"},
    {"random_uniform_f64_i32_seed", R"(
func.func @f(%seed: tensor<i32>, %counter: tensor<i32>) -> tensor<3x2x5xf64> {
  %u = tg.random uniform %seed, %counter : tensor<i32>, tensor<i32> -> tensor<3x2x5xf64>
  return %u : tensor<3x2x5xf64>
}
)",
     Domain::Any, int64_t(1) << 30, kExact, "exact"},
    {"random_normal_f64", R"(
func.func @f(%seed: tensor<i64>, %counter: tensor<i64>) -> tensor<4x5xf64> {
  %n = tg.random normal %seed, %counter : tensor<i64>, tensor<i64> -> tensor<4x5xf64>
  return %n : tensor<4x5xf64>
}
)",
     Domain::Any, int64_t(1) << 40},
    {"random_normal_f32", R"(
func.func @f(%seed: tensor<i64>, %counter: tensor<i64>) -> tensor<7xf32> {
  %n = tg.random normal %seed, %counter : tensor<i64>, tensor<i64> -> tensor<7xf32>
  return %n : tensor<7xf32>
}
)",
     Domain::Any, int64_t(1) << 40, 1e-7, "f32"},
    {"compare_predicates_i32", R"(
func.func @f(%a: tensor<4x3xi32>, %b: tensor<3xi32>) -> tensor<4x3xi32> {
  %eq = tg.compare eq %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %ne = tg.compare ne %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %lt = tg.compare lt %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %le = tg.compare le %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %gt = tg.compare gt %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %ge = tg.compare ge %a, %b : tensor<4x3xi32>, tensor<3xi32> -> tensor<4x3xi1>
  %e0 = tg.cast %eq : tensor<4x3xi1> to tensor<4x3xi32>
  %e1 = tg.cast %ne : tensor<4x3xi1> to tensor<4x3xi32>
  %e2 = tg.cast %lt : tensor<4x3xi1> to tensor<4x3xi32>
  %e3 = tg.cast %le : tensor<4x3xi1> to tensor<4x3xi32>
  %e4 = tg.cast %gt : tensor<4x3xi1> to tensor<4x3xi32>
  %e5 = tg.cast %ge : tensor<4x3xi1> to tensor<4x3xi32>
  %two = tg.fill 2 : tensor<i32>
  %s1 = tg.mul %e5, %two : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %s2 = tg.add %s1, %e4 : tensor<4x3xi32>
  %s3 = tg.mul %s2, %two : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %s4 = tg.add %s3, %e3 : tensor<4x3xi32>
  %s5 = tg.mul %s4, %two : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %s6 = tg.add %s5, %e2 : tensor<4x3xi32>
  %s7 = tg.mul %s6, %two : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %s8 = tg.add %s7, %e1 : tensor<4x3xi32>
  %s9 = tg.mul %s8, %two : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %y = tg.add %s9, %e0 : tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}
)",
     Domain::Any, 3, kExact, "exact"},
    {"compare_bool_result", R"(
func.func @f(%a: tensor<2x3xf64>, %b: tensor<2x1xf64>) -> tensor<2x3xi1> {
  %c = tg.compare le %a, %b : tensor<2x3xf64>, tensor<2x1xf64> -> tensor<2x3xi1>
  return %c : tensor<2x3xi1>
}
)",
     Domain::Any, 1, kExact, "exact"},
    {"select_bool_argument", R"(
func.func @f(%c: tensor<2x3xi1>, %x: tensor<2x3xf64>, %y: tensor<f64>) -> tensor<2x3xf64> {
  %r = tg.select %c, %x, %y : tensor<2x3xi1>, tensor<2x3xf64>, tensor<f64> -> tensor<2x3xf64>
  return %r : tensor<2x3xf64>
}
)",
     Domain::Any, 2},
    {"nan_elementwise", R"(
func.func @f(%x: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %zero = tg.fill 0.0 : tensor<f64>
  %nan = tg.fill nan : tensor<f64>
  %pos = tg.compare gt %x, %zero : tensor<3x4xf64>, tensor<f64> -> tensor<3x4xi1>
  %m = tg.select %pos, %x, %nan : tensor<3x4xi1>, tensor<3x4xf64>, tensor<f64> -> tensor<3x4xf64>
  %half = tg.fill 0.5 : tensor<f64>
  %a = tg.maximum %m, %half : tensor<3x4xf64>, tensor<f64> -> tensor<3x4xf64>
  %b = tg.minimum %x, %m : tensor<3x4xf64>
  %s = tg.sign %b : tensor<3x4xf64>
  %r = tg.relu %m : tensor<3x4xf64>
  %ne = tg.compare ne %m, %m : tensor<3x4xf64>, tensor<3x4xf64> -> tensor<3x4xi1>
  %nef = tg.cast %ne : tensor<3x4xi1> to tensor<3x4xf64>
  %t = tg.add %a, %s : tensor<3x4xf64>
  %u = tg.add %t, %r : tensor<3x4xf64>
  %y = tg.select %ne, %nef, %u : tensor<3x4xi1>, tensor<3x4xf64>, tensor<3x4xf64> -> tensor<3x4xf64>
  %z = tg.add %y, %u : tensor<3x4xf64>
  return %z : tensor<3x4xf64>
}
)"},
    {"nan_reduce", R"(
func.func @f(%x: tensor<6x2xf64>) -> tensor<6x1xf64> {
  %zero = tg.fill 0.0 : tensor<f64>
  %nan = tg.fill nan : tensor<f64>
  %pos = tg.compare gt %x, %zero : tensor<6x2xf64>, tensor<f64> -> tensor<6x2xi1>
  %m = tg.select %pos, %x, %nan : tensor<6x2xi1>, tensor<6x2xf64>, tensor<f64> -> tensor<6x2xf64>
  %a = tg.reduce_max %m [1] keepdim : tensor<6x2xf64> -> tensor<6x1xf64>
  %b = tg.reduce_min %m [-1] keepdim : tensor<6x2xf64> -> tensor<6x1xf64>
  %y = tg.add %a, %b : tensor<6x1xf64>
  return %y : tensor<6x1xf64>
}
)"},
    {"integer_elementwise", R"(
func.func @f(%a: tensor<3x4xi32>, %b: tensor<4xi32>) -> tensor<3x4xi32> {
  %three = tg.fill 3 : tensor<i32>
  %x = tg.sub %a, %three : tensor<3x4xi32>, tensor<i32> -> tensor<3x4xi32>
  %y = tg.sub %b, %three : tensor<4xi32>, tensor<i32> -> tensor<4xi32>
  %q = tg.div %x, %y : tensor<3x4xi32>, tensor<4xi32> -> tensor<3x4xi32>
  %p = tg.mul %q, %x : tensor<3x4xi32>
  %mx = tg.maximum %p, %y : tensor<3x4xi32>, tensor<4xi32> -> tensor<3x4xi32>
  %mn = tg.minimum %x, %y : tensor<3x4xi32>, tensor<4xi32> -> tensor<3x4xi32>
  %n = tg.neg %mn : tensor<3x4xi32>
  %ab = tg.abs %x : tensor<3x4xi32>
  %sg = tg.sign %x : tensor<3x4xi32>
  %ten = tg.fill 10 : tensor<i32>
  %t0 = tg.mul %mx, %ten : tensor<3x4xi32>, tensor<i32> -> tensor<3x4xi32>
  %t1 = tg.add %t0, %n : tensor<3x4xi32>
  %t2 = tg.mul %t1, %ten : tensor<3x4xi32>, tensor<i32> -> tensor<3x4xi32>
  %t3 = tg.add %t2, %ab : tensor<3x4xi32>
  %t4 = tg.mul %t3, %ten : tensor<3x4xi32>, tensor<i32> -> tensor<3x4xi32>
  %t5 = tg.add %t4, %sg : tensor<3x4xi32>
  %t6 = tg.add %t5, %y : tensor<3x4xi32>, tensor<4xi32> -> tensor<3x4xi32>
  return %t6 : tensor<3x4xi32>
}
)",
     Domain::Any, 7, kExact, "exact"},
    {"integer_reduce_matmul", R"(
func.func @f(%a: tensor<3x4xi32>, %b: tensor<4x2xi32>) -> tensor<3x2xi32> {
  %three = tg.fill 3 : tensor<i32>
  %x = tg.sub %a, %three : tensor<3x4xi32>, tensor<i32> -> tensor<3x4xi32>
  %y = tg.sub %b, %three : tensor<4x2xi32>, tensor<i32> -> tensor<4x2xi32>
  %mm = tg.matmul %x, %y : tensor<3x4xi32>, tensor<4x2xi32> -> tensor<3x2xi32>
  %rs = tg.reduce_sum %mm [1] keepdim : tensor<3x2xi32> -> tensor<3x1xi32>
  %rmax = tg.reduce_max %x [1] keepdim : tensor<3x4xi32> -> tensor<3x1xi32>
  %rmin = tg.reduce_min %x [1] keepdim : tensor<3x4xi32> -> tensor<3x1xi32>
  %s0 = tg.add %mm, %rs : tensor<3x2xi32>, tensor<3x1xi32> -> tensor<3x2xi32>
  %s1 = tg.add %s0, %rmax : tensor<3x2xi32>, tensor<3x1xi32> -> tensor<3x2xi32>
  %s2 = tg.sub %s1, %rmin : tensor<3x2xi32>, tensor<3x1xi32> -> tensor<3x2xi32>
  return %s2 : tensor<3x2xi32>
}
)",
     Domain::Any, 7, kExact, "exact"},
    {"casts", R"(
func.func @f(%x: tensor<2x5xf64>, %i: tensor<2x5xi64>) -> tensor<2x5xf64> {
  %k = tg.fill 3.7 : tensor<f64>
  %xs = tg.mul %x, %k : tensor<2x5xf64>, tensor<f64> -> tensor<2x5xf64>
  %xi = tg.cast %xs : tensor<2x5xf64> to tensor<2x5xi32>
  %a = tg.cast %xi : tensor<2x5xi32> to tensor<2x5xf64>
  %xb = tg.cast %x : tensor<2x5xf64> to tensor<2x5xi1>
  %b = tg.cast %xb : tensor<2x5xi1> to tensor<2x5xf64>
  %i8 = tg.cast %i : tensor<2x5xi64> to tensor<2x5xi8>
  %c = tg.cast %i8 : tensor<2x5xi8> to tensor<2x5xf64>
  %ib = tg.cast %i : tensor<2x5xi64> to tensor<2x5xi1>
  %ib32 = tg.cast %ib : tensor<2x5xi1> to tensor<2x5xi32>
  %d = tg.cast %ib32 : tensor<2x5xi32> to tensor<2x5xf64>
  %xf = tg.cast %xs : tensor<2x5xf64> to tensor<2x5xf32>
  %e = tg.cast %xf : tensor<2x5xf32> to tensor<2x5xf64>
  %s0 = tg.add %a, %b : tensor<2x5xf64>
  %s1 = tg.add %s0, %c : tensor<2x5xf64>
  %s2 = tg.add %s1, %d : tensor<2x5xf64>
  %s3 = tg.add %s2, %e : tensor<2x5xf64>
  return %s3 : tensor<2x5xf64>
}
)",
     Domain::Any, 1000},
    {"bool_arithmetic", R"(
func.func @f(%a: tensor<3x4xi1>, %b: tensor<4xi1>) -> tensor<3x1xi1> {
  %s = tg.add %a, %b : tensor<3x4xi1>, tensor<4xi1> -> tensor<3x4xi1>
  %m = tg.mul %s, %b : tensor<3x4xi1>, tensor<4xi1> -> tensor<3x4xi1>
  %d = tg.sub %m, %a : tensor<3x4xi1>
  %x = tg.maximum %d, %a : tensor<3x4xi1>
  %r = tg.reduce_sum %x [1] keepdim : tensor<3x4xi1> -> tensor<3x1xi1>
  return %r : tensor<3x1xi1>
}
)",
     Domain::Any, 2, kExact, "exact"},
    {"one_hot_out_of_range", R"(
func.func @f(%labels: tensor<2x3xi32>) -> tensor<2x3x10xf64> {
  %y = tg.one_hot %labels classes 10 : tensor<2x3xi32> -> tensor<2x3x10xf64>
  return %y : tensor<2x3x10xf64>
}
)",
     Domain::Any, 12, kExact, "exact"},
    {"take_along_out_of_range", R"(
func.func @f(%x: tensor<2x3x10xf64>, %labels: tensor<2x3xi32>) -> tensor<2x3xf64> {
  %y = tg.take_along %x[%labels] : tensor<2x3x10xf64>, tensor<2x3xi32> -> tensor<2x3xf64>
  return %y : tensor<2x3xf64>
}
)",
     Domain::Any, 12, kExact, "exact"},
    {"gather_clamped_last_axis", R"(
func.func @f(%x: tensor<4x3xf64>, %i: tensor<5xi64>) -> tensor<4x5xf64> {
  %y = tg.gather %x[%i] axis -1 : tensor<4x3xf64>, tensor<5xi64> -> tensor<4x5xf64>
  return %y : tensor<4x5xf64>
}
)",
     Domain::Any, 5},
    {"scatter_add_repeated_middle_axis", R"(
func.func @f(%base: tensor<2x3x2xf64>, %i: tensor<5xi32>, %u: tensor<2x5x2xf64>) -> tensor<2x3x2xf64> {
  %y = tg.scatter_add %base[%i], %u axis 1 : tensor<2x3x2xf64>, tensor<5xi32>, tensor<2x5x2xf64>
  return %y : tensor<2x3x2xf64>
}
)",
     Domain::Any, 3},
    {"broadcast_reduce_rank0", R"(
func.func @f(%s: tensor<f64>, %x: tensor<2x3xf64>) -> tensor<f64> {
  %b = tg.broadcast_to %s : tensor<f64> -> tensor<2x3xf64>
  %a = tg.mul %b, %x : tensor<2x3xf64>
  %r = tg.reduce_sum %a [0, 1] keepdim : tensor<2x3xf64> -> tensor<1x1xf64>
  %y = tg.reshape %r : tensor<1x1xf64> -> tensor<f64>
  return %y : tensor<f64>
}
)"},
    {"reshape_transpose_4d", R"(
func.func @f(%x: tensor<2x3x4x5xf64>) -> tensor<6x20xf64> {
  %t = tg.transpose %x [3, 1, 0, 2] : tensor<2x3x4x5xf64> -> tensor<5x3x2x4xf64>
  %r = tg.reshape %t : tensor<5x3x2x4xf64> -> tensor<10x12xf64>
  %y = tg.reshape %r : tensor<10x12xf64> -> tensor<6x20xf64>
  return %y : tensor<6x20xf64>
}
)"},
    {"pad_interior_3d_int", R"(
func.func @f(%x: tensor<2x2x3xi32>) -> tensor<4x3x10xi32> {
  %y = tg.pad %x low [1, 0, 2] high [0, 1, 1] interior [1, 0, 2] value -7 : tensor<2x2x3xi32> -> tensor<4x3x10xi32>
  return %y : tensor<4x3x10xi32>
}
)",
     Domain::Any, 100, kExact, "exact"},
    {"slice_concat_3d", R"(
func.func @f(%x: tensor<5x6x7xf64>) -> tensor<6x2x3xf64> {
  %s = tg.slice %x [0, 1, 2] to [5, 6, 7] step [2, 3, 2] : tensor<5x6x7xf64> -> tensor<3x2x3xf64>
  %n = tg.neg %s : tensor<3x2x3xf64>
  %y = tg.concat %s, %n axis 0 : tensor<3x2x3xf64>, tensor<3x2x3xf64> -> tensor<6x2x3xf64>
  return %y : tensor<6x2x3xf64>
}
)"},
    {"matmul_batch_transposed", R"(
func.func @f(%a: tensor<2x4x3xf64>, %b: tensor<2x2x4xf64>) -> tensor<2x3x2xf64> {
  %y = tg.matmul %a, %b transpose_lhs transpose_rhs : tensor<2x4x3xf64>, tensor<2x2x4xf64> -> tensor<2x3x2xf64>
  return %y : tensor<2x3x2xf64>
}
)"},
    {"matmul_batch_2d_collapsed", R"(
func.func @f(%q: tensor<2x3x4x5xf64>, %k: tensor<2x3x6x5xf64>) -> tensor<2x3x4x6xf64> {
  %y = tg.matmul %q, %k transpose_rhs : tensor<2x3x4x5xf64>, tensor<2x3x6x5xf64> -> tensor<2x3x4x6xf64>
  return %y : tensor<2x3x4x6xf64>
}
)"},
    {"matmul_rows_folded", R"(
func.func @f(%x: tensor<2x3x4xf64>, %w: tensor<5x4xf64>) -> tensor<2x3x5xf64> {
  %y = tg.matmul %x, %w transpose_rhs : tensor<2x3x4xf64>, tensor<5x4xf64> -> tensor<2x3x5xf64>
  return %y : tensor<2x3x5xf64>
}
)"},
    {"matmul_lhs_broadcast", R"(
func.func @f(%a: tensor<3x4xf64>, %b: tensor<2x4x5xf64>) -> tensor<2x3x5xf64> {
  %y = tg.matmul %a, %b : tensor<3x4xf64>, tensor<2x4x5xf64> -> tensor<2x3x5xf64>
  return %y : tensor<2x3x5xf64>
}
)"},
    {"matmul_rhs_2d_transposed_lhs", R"(
func.func @f(%a: tensor<2x4x3xf64>, %b: tensor<4x5xf64>) -> tensor<2x3x5xf64> {
  %y = tg.matmul %a, %b transpose_lhs : tensor<2x4x3xf64>, tensor<4x5xf64> -> tensor<2x3x5xf64>
  return %y : tensor<2x3x5xf64>
}
)"},
    // 64 keys: the masked scores' reductions get vector lanes on the CPU,
    // which must not load the mask (i1, a byte each) as packed bits.
    {"attention_causal_64_keys", R"(
func.func @f(%q: tensor<1x2x64x16xf64>, %k: tensor<1x2x64x16xf64>, %v: tensor<1x2x64x16xf64>)
    -> tensor<1x2x64x16xf64> {
  %o = tg.attention %q, %k, %v causal : tensor<1x2x64x16xf64>, tensor<1x2x64x16xf64>, tensor<1x2x64x16xf64> -> tensor<1x2x64x16xf64>
  return %o : tensor<1x2x64x16xf64>
}
)"},
    {"softmax_middle_axis_f32", R"(
func.func @f(%x: tensor<2x5x3xf32>) -> tensor<2x5x3xf32> {
  %y = tg.softmax %x axis 1 : tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}
)",
     Domain::Any, 1, 1e-5, "f32"},
    // Long enough for tg-split-reductions on the GPU: partial reductions.
    {"long_reductions_f32", R"(
func.func @f(%x: tensor<4x1024xf32>, %y: tensor<4096xf32>) -> tensor<4x1024xf32> {
  %s = tg.softmax %x axis 1 : tensor<4x1024xf32>
  %e = tg.exp %y : tensor<4096xf32>
  %t = tg.reduce_sum %e [0] : tensor<4096xf32> -> tensor<f32>
  %r = tg.mul %s, %t : tensor<4x1024xf32>, tensor<f32> -> tensor<4x1024xf32>
  return %r : tensor<4x1024xf32>
}
)",
     Domain::Any, 1, 1e-5, "f32"},
    // Lengths no lane count divides (a vocabulary of 50257): a head in
    // lanes and a tail on the CPU, a head split among 1024 threads and a
    // tail on the GPU (10007, a prime); the loss's take_along reads the
    // label in either.
    {"reductions_with_tails_f32", R"(
func.func @f(%x: tensor<4x1001xf32>, %labels: tensor<4xi32>, %y: tensor<10007xf32>)
    -> tensor<f32> {
  %l = tg.softmax_cross_entropy %x, %labels : tensor<4x1001xf32>, tensor<4xi32> -> tensor<f32>
  %m = tg.reduce_max %y [0] : tensor<10007xf32> -> tensor<f32>
  %r = tg.add %l, %m : tensor<f32>
  return %r : tensor<f32>
}
)",
     Domain::Any, 1001, 1e-5, "f32"},
    // Half-precision reductions long enough for lanes (vector<64xbf16>,
    // vector<64xf16> on the CPU).
    {"half_precision_reductions", R"(
func.func @f(%x: tensor<4x1024xf64>, %y: tensor<4x512xf64>) -> tensor<4x1024xf64> {
  %xf = tg.cast %x : tensor<4x1024xf64> to tensor<4x1024xf32>
  %xb = tg.cast %xf : tensor<4x1024xf32> to tensor<4x1024xbf16>
  %s = tg.softmax %xb axis 1 : tensor<4x1024xbf16>
  %yh = tg.cast %y : tensor<4x512xf64> to tensor<4x512xf16>
  %m = tg.reduce_sum %yh [1] keepdim : tensor<4x512xf16> -> tensor<4x1xf16>
  %mb = tg.cast %m : tensor<4x1xf16> to tensor<4x1xbf16>
  %r = tg.mul %s, %mb : tensor<4x1024xbf16>, tensor<4x1xbf16> -> tensor<4x1024xbf16>
  %rf = tg.cast %r : tensor<4x1024xbf16> to tensor<4x1024xf64>
  return %rf : tensor<4x1024xf64>
}
)",
     Domain::Any, 1, 1e-2, "f16/bf16"},
    // bf16 layers compute in f32 and round once (a linear's matmul on the
    // f32 kernel, a layer norm), as the interpreter's ops do.
    {"half_precision_layers", R"(
func.func @f(%x: tensor<8x64xf64>, %w: tensor<32x64xf64>, %b: tensor<32xf64>,
             %g: tensor<32xf64>) -> tensor<8x32xf64> {
  %xf = tg.cast %x : tensor<8x64xf64> to tensor<8x64xf32>
  %xb = tg.cast %xf : tensor<8x64xf32> to tensor<8x64xbf16>
  %wf = tg.cast %w : tensor<32x64xf64> to tensor<32x64xf32>
  %wb = tg.cast %wf : tensor<32x64xf32> to tensor<32x64xbf16>
  %bf = tg.cast %b : tensor<32xf64> to tensor<32xf32>
  %bb = tg.cast %bf : tensor<32xf32> to tensor<32xbf16>
  %gf = tg.cast %g : tensor<32xf64> to tensor<32xf32>
  %gb = tg.cast %gf : tensor<32xf32> to tensor<32xbf16>
  %h = tg.linear %xb, %wb, %bb : tensor<8x64xbf16>, tensor<32x64xbf16>, tensor<32xbf16> -> tensor<8x32xbf16>
  %n = tg.layer_norm %h, %gb, %bb : tensor<8x32xbf16>, tensor<32xbf16>, tensor<32xbf16> -> tensor<8x32xbf16>
  %r = tg.cast %n : tensor<8x32xbf16> to tensor<8x32xf64>
  return %r : tensor<8x32xf64>
}
)",
     Domain::Any, 1, 1e-2, "f16/bf16"},
    {"half_precision", R"(
func.func @f(%x: tensor<2x5xf64>, %y: tensor<5xf64>) -> tensor<2x5xf64> {
  %xh = tg.cast %x : tensor<2x5xf64> to tensor<2x5xf16>
  %yh = tg.cast %y : tensor<5xf64> to tensor<5xf16>
  %s = tg.add %xh, %yh : tensor<2x5xf16>, tensor<5xf16> -> tensor<2x5xf16>
  %e = tg.exp %s : tensor<2x5xf16>
  %b = tg.cast %e : tensor<2x5xf16> to tensor<2x5xbf16>
  %t = tg.tanh %b : tensor<2x5xbf16>
  %m = tg.mul %t, %b : tensor<2x5xbf16>
  %r = tg.cast %m : tensor<2x5xbf16> to tensor<2x5xf64>
  return %r : tensor<2x5xf64>
}
)",
     Domain::Any, 1, 1e-2, "f16/bf16"},
    {"mlp_loss_f32", R"(
func.func @f(%x: tensor<8x16xf32>, %w1: tensor<12x16xf32>, %b1: tensor<12xf32>,
             %w2: tensor<4x12xf32>, %b2: tensor<4xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %h = tg.linear %x, %w1, %b1 : tensor<8x16xf32>, tensor<12x16xf32>, tensor<12xf32> -> tensor<8x12xf32>
  %a = tg.relu %h : tensor<8x12xf32>
  %l = tg.linear %a, %w2, %b2 : tensor<8x12xf32>, tensor<4x12xf32>, tensor<4xf32> -> tensor<8x4xf32>
  %loss = tg.softmax_cross_entropy %l, %y : tensor<8x4xf32>, tensor<8xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
)",
     Domain::Any, 4, 1e-5, "f32"},
};

INSTANTIATE_TEST_SUITE_P(CompiledGradcheckF64, CompiledVsInterpreter,
                         testing::ValuesIn(gradcheckCases(false)),
                         [](const testing::TestParamInfo<CompiledCase> &info) {
                           return info.param.name;
                         });
INSTANTIATE_TEST_SUITE_P(CompiledGradcheckF32, CompiledVsInterpreter,
                         testing::ValuesIn(gradcheckCases(true)),
                         [](const testing::TestParamInfo<CompiledCase> &info) {
                           return info.param.name;
                         });
/// `source` with RESULT64, RESULT and WRT replaced: a gradient case's
/// result type in double, as computed, and its operand.
void fillGradientTemplate(std::string &source, const std::string &result,
                          const std::string &result64, int wrt) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"RESULT64", result64},
                            {"RESULT", result},
                            {"WRT", std::to_string(wrt)}})
    for (size_t at; (at = source.find(key)) != std::string::npos;)
      source.replace(at, key.size(), value);
}

/// The gradient of a causal bf16 attention with respect to its query (0),
/// key (1) or value (2), for the GPU mapping with fused attention. The
/// kernels' host reference rounds P to bf16 before P^T dO and dS before
/// dS K and dS^T Q (2^-9 relative each), sums whose terms partly cancel;
/// the interpreter computes in double and rounds once: 5e-3 to 6.5e-3 of
/// the largest element apart (dq, dk, dv).
CompiledCase fusedAttentionGradientCase(int wrt) {
  const char *types[3] = {"tensor<2x64x64xbf16>", "tensor<2x128x64xbf16>", "tensor<2x128x64xbf16>"};
  std::string source = R"(
func.func private @loss(%q: tensor<2x64x64xbf16>, %k: tensor<2x128x64xbf16>,
                        %v: tensor<2x128x64xbf16>, %w: tensor<2x64x64xbf16>) -> tensor<f32> {
  %o = tg.attention %q, %k, %v causal : tensor<2x64x64xbf16>, tensor<2x128x64xbf16>, tensor<2x128x64xbf16> -> tensor<2x64x64xbf16>
  %m = tg.mul %o, %w : tensor<2x64x64xbf16>
  %f = tg.cast %m : tensor<2x64x64xbf16> to tensor<2x64x64xf32>
  %s = tg.reduce_sum %f [0, 1, 2] : tensor<2x64x64xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @f(%q: tensor<2x64x64xf64>, %k: tensor<2x128x64xf64>, %v: tensor<2x128x64xf64>,
             %w: tensor<2x64x64xf64>) -> RESULT64 {
  %qf = tg.cast %q : tensor<2x64x64xf64> to tensor<2x64x64xf32>
  %qb = tg.cast %qf : tensor<2x64x64xf32> to tensor<2x64x64xbf16>
  %kf = tg.cast %k : tensor<2x128x64xf64> to tensor<2x128x64xf32>
  %kb = tg.cast %kf : tensor<2x128x64xf32> to tensor<2x128x64xbf16>
  %vf = tg.cast %v : tensor<2x128x64xf64> to tensor<2x128x64xf32>
  %vb = tg.cast %vf : tensor<2x128x64xf32> to tensor<2x128x64xbf16>
  %wf = tg.cast %w : tensor<2x64x64xf64> to tensor<2x64x64xf32>
  %wb = tg.cast %wf : tensor<2x64x64xf32> to tensor<2x64x64xbf16>
  %g = tg.grad @loss(%qb, %kb, %vb, %wb) wrt [WRT] : (tensor<2x64x64xbf16>, tensor<2x128x64xbf16>, tensor<2x128x64xbf16>, tensor<2x64x64xbf16>) -> RESULT
  %r = tg.cast %g : RESULT to RESULT64
  return %r : RESULT64
}
)";
  std::string result = types[wrt], result64 = result;
  result64.replace(result64.find("bf16"), 4, "f64");
  fillGradientTemplate(source, result, result64, wrt);
  CompiledCase testCase{std::string("attention_bf16_fused_d") + "qkv"[wrt], source};
  testCase.tolerance = 1e-2;
  testCase.kind = "f16/bf16";
  testCase.fusedCall = "tgc_attention_backward_bf16";
  return testCase;
}

/// bf16 attentions the fused kernels take (D = 64, lengths multiples of
/// 64), for the GPU mapping with fused attention: the kernel's host
/// reference rounds the probabilities to bf16 before P V (2^-9 relative)
/// and the result once, where the interpreter computes in double and
/// rounds once (5e-3 of the largest element apart). The CPU decomposes
/// such attentions as any other.
const CompiledCase kFusedAttentionCases[] = {
    {"attention_bf16_fused_causal", R"(
func.func @f(%q: tensor<2x2x64x64xf64>, %k: tensor<2x2x128x64xf64>, %v: tensor<2x2x128x64xf64>)
    -> tensor<2x2x64x64xf64> {
  %qf = tg.cast %q : tensor<2x2x64x64xf64> to tensor<2x2x64x64xf32>
  %qb = tg.cast %qf : tensor<2x2x64x64xf32> to tensor<2x2x64x64xbf16>
  %kf = tg.cast %k : tensor<2x2x128x64xf64> to tensor<2x2x128x64xf32>
  %kb = tg.cast %kf : tensor<2x2x128x64xf32> to tensor<2x2x128x64xbf16>
  %vf = tg.cast %v : tensor<2x2x128x64xf64> to tensor<2x2x128x64xf32>
  %vb = tg.cast %vf : tensor<2x2x128x64xf32> to tensor<2x2x128x64xbf16>
  %o = tg.attention %qb, %kb, %vb causal : tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16> -> tensor<2x2x64x64xbf16>
  %r = tg.cast %o : tensor<2x2x64x64xbf16> to tensor<2x2x64x64xf64>
  return %r : tensor<2x2x64x64xf64>
}
)",
     Domain::Any, 1, 1e-2, "f16/bf16", "tgc_attention_forward_bf16"},
    {"attention_bf16_fused_scaled", R"(
func.func @f(%q: tensor<3x128x64xf64>, %k: tensor<3x64x64xf64>, %v: tensor<3x64x64xf64>)
    -> tensor<3x128x64xf64> {
  %qf = tg.cast %q : tensor<3x128x64xf64> to tensor<3x128x64xf32>
  %qb = tg.cast %qf : tensor<3x128x64xf32> to tensor<3x128x64xbf16>
  %kf = tg.cast %k : tensor<3x64x64xf64> to tensor<3x64x64xf32>
  %kb = tg.cast %kf : tensor<3x64x64xf32> to tensor<3x64x64xbf16>
  %vf = tg.cast %v : tensor<3x64x64xf64> to tensor<3x64x64xf32>
  %vb = tg.cast %vf : tensor<3x64x64xf32> to tensor<3x64x64xbf16>
  %o = tg.attention %qb, %kb, %vb scale 0.3 : tensor<3x128x64xbf16>, tensor<3x64x64xbf16>, tensor<3x64x64xbf16> -> tensor<3x128x64xbf16>
  %r = tg.cast %o : tensor<3x128x64xbf16> to tensor<3x128x64xf64>
  return %r : tensor<3x128x64xf64>
}
)",
     Domain::Any, 1, 1e-2, "f16/bf16", "tgc_attention_forward_bf16"},
    // The gradients (tg-autodiff keeps the attention: tg.attention_grad, the
    // backward kernel), each on its own scale.
    fusedAttentionGradientCase(0),
    fusedAttentionGradientCase(1),
    fusedAttentionGradientCase(2),
};

INSTANTIATE_TEST_SUITE_P(FusedAttention, FusedAttentionVsInterpreter,
                         testing::ValuesIn(kFusedAttentionCases),
                         [](const testing::TestParamInfo<CompiledCase> &info) {
                           return info.param.name;
                         });

/// The gradient of a causal f32 attention with respect to its query (0),
/// key (1) or value (2), for the GPU mapping with f32 fused attention: the
/// kernels' host reference computes in f32 throughout, the interpreter in
/// double, rounded once.
CompiledCase fusedAttentionF32GradientCase(int wrt) {
  const char *types[3] = {"tensor<2x64x64xf32>", "tensor<2x128x64xf32>", "tensor<2x128x64xf32>"};
  std::string source = R"(
func.func private @loss(%q: tensor<2x64x64xf32>, %k: tensor<2x128x64xf32>,
                        %v: tensor<2x128x64xf32>, %w: tensor<2x64x64xf32>) -> tensor<f32> {
  %o = tg.attention %q, %k, %v causal : tensor<2x64x64xf32>, tensor<2x128x64xf32>, tensor<2x128x64xf32> -> tensor<2x64x64xf32>
  %m = tg.mul %o, %w : tensor<2x64x64xf32>
  %s = tg.reduce_sum %m [0, 1, 2] : tensor<2x64x64xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @f(%q: tensor<2x64x64xf64>, %k: tensor<2x128x64xf64>, %v: tensor<2x128x64xf64>,
             %w: tensor<2x64x64xf64>) -> RESULT64 {
  %qf = tg.cast %q : tensor<2x64x64xf64> to tensor<2x64x64xf32>
  %kf = tg.cast %k : tensor<2x128x64xf64> to tensor<2x128x64xf32>
  %vf = tg.cast %v : tensor<2x128x64xf64> to tensor<2x128x64xf32>
  %wf = tg.cast %w : tensor<2x64x64xf64> to tensor<2x64x64xf32>
  %g = tg.grad @loss(%qf, %kf, %vf, %wf) wrt [WRT] : (tensor<2x64x64xf32>, tensor<2x128x64xf32>, tensor<2x128x64xf32>, tensor<2x64x64xf32>) -> RESULT
  %r = tg.cast %g : RESULT to RESULT64
  return %r : RESULT64
}
)";
  std::string result = types[wrt], result64 = result;
  result64.replace(result64.find("f32"), 3, "f64");
  fillGradientTemplate(source, result, result64, wrt);
  CompiledCase testCase{std::string("attention_f32_fused_d") + "qkv"[wrt], source};
  testCase.tolerance = 1e-5;
  testCase.kind = "f32";
  testCase.fusedCall = "tgc_attention_backward_f32";
  return testCase;
}

/// f32 attentions the fused kernels take, for the GPU mapping with f32
/// fused attention: the kernels' host reference computes in f32 (no bf16
/// roundings), so it stays within f32 rounding of the interpreter's double.
const CompiledCase kFusedAttentionF32Cases[] = {
    {"attention_f32_fused_causal", R"(
func.func @f(%q: tensor<2x2x64x64xf64>, %k: tensor<2x2x128x64xf64>, %v: tensor<2x2x128x64xf64>)
    -> tensor<2x2x64x64xf64> {
  %qf = tg.cast %q : tensor<2x2x64x64xf64> to tensor<2x2x64x64xf32>
  %kf = tg.cast %k : tensor<2x2x128x64xf64> to tensor<2x2x128x64xf32>
  %vf = tg.cast %v : tensor<2x2x128x64xf64> to tensor<2x2x128x64xf32>
  %o = tg.attention %qf, %kf, %vf causal : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32> -> tensor<2x2x64x64xf32>
  %r = tg.cast %o : tensor<2x2x64x64xf32> to tensor<2x2x64x64xf64>
  return %r : tensor<2x2x64x64xf64>
}
)",
     Domain::Any, 1, 1e-5, "f32", "tgc_attention_forward_f32"},
    // Not causal, more keys than queries, the attention's own scale.
    {"attention_f32_fused_scaled", R"(
func.func @f(%q: tensor<3x64x64xf64>, %k: tensor<3x192x64xf64>, %v: tensor<3x192x64xf64>)
    -> tensor<3x64x64xf64> {
  %qf = tg.cast %q : tensor<3x64x64xf64> to tensor<3x64x64xf32>
  %kf = tg.cast %k : tensor<3x192x64xf64> to tensor<3x192x64xf32>
  %vf = tg.cast %v : tensor<3x192x64xf64> to tensor<3x192x64xf32>
  %o = tg.attention %qf, %kf, %vf scale 0.3 : tensor<3x64x64xf32>, tensor<3x192x64xf32>, tensor<3x192x64xf32> -> tensor<3x64x64xf32>
  %r = tg.cast %o : tensor<3x64x64xf32> to tensor<3x64x64xf64>
  return %r : tensor<3x64x64xf64>
}
)",
     Domain::Any, 1, 1e-5, "f32", "tgc_attention_forward_f32"},
    fusedAttentionF32GradientCase(0),
    fusedAttentionF32GradientCase(1),
    fusedAttentionF32GradientCase(2),
};

INSTANTIATE_TEST_SUITE_P(FusedAttentionF32, FusedAttentionF32VsInterpreter,
                         testing::ValuesIn(kFusedAttentionF32Cases),
                         [](const testing::TestParamInfo<CompiledCase> &info) {
                           return info.param.name;
                         });

INSTANTIATE_TEST_SUITE_P(CompiledExtra, CompiledVsInterpreter, testing::ValuesIn(kExtraCases),
                         [](const testing::TestParamInfo<CompiledCase> &info) {
                           return info.param.name;
                         });

//===----------------------------------------------------------------------===//
// A whole training program
//===----------------------------------------------------------------------===//

// An MLP with random initializers trained by SGD with momentum (a batch
// of 32: in the CUDA mapping the products over 6 and 12 features are
// loops, the weight gradients' over the batch cuBLAS calls): @tgc_init
// (from --tg-build-init) and @train_step (from --tg-expand-train-step and
// --tg-autodiff) compiled, against the interpreter, which initializes the
// globals from their attributes itself. The losses of successive steps and
// the predictions after them depend on every parameter and momentum buffer.
constexpr const char *kTrainingSpec = R"(
ml_program.global private mutable @w1(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<12x6xf32>
ml_program.global private mutable @b1(#tg.uniform<-0.4, 0.4>) : tensor<12xf32>
ml_program.global private mutable @w2(#tg.normal<std = 0.3>) : tensor<3x12xf32>
ml_program.global private mutable @b2(#tg.zeros) : tensor<3xf32>
func.func @predict(%x: tensor<32x6xf32>) -> tensor<32x3xf32> {
  %w1 = ml_program.global_load @w1 : tensor<12x6xf32>
  %b1 = ml_program.global_load @b1 : tensor<12xf32>
  %w2 = ml_program.global_load @w2 : tensor<3x12xf32>
  %b2 = ml_program.global_load @b2 : tensor<3xf32>
  %h = tg.linear %x, %w1, %b1 : tensor<32x6xf32>, tensor<12x6xf32>, tensor<12xf32> -> tensor<32x12xf32>
  %a = tg.gelu %h : tensor<32x12xf32>
  %y = tg.linear %a, %w2, %b2 : tensor<32x12xf32>, tensor<3x12xf32>, tensor<3xf32> -> tensor<32x3xf32>
  return %y : tensor<32x3xf32>
}
func.func @loss(%x: tensor<32x6xf32>, %labels: tensor<32xi32>) -> tensor<f32> {
  %y = func.call @predict(%x) : (tensor<32x6xf32>) -> tensor<32x3xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<32x3xf32>, tensor<32xi32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>
)";

// Batch norm's running statistics as state that the loss function stores
// (not parameters), and a ReZero gate, trained with the focal loss; the
// prediction normalizes by the running statistics, so it checks them.
constexpr const char *kBatchNormTrainingSpec = R"(
ml_program.global private mutable @w1(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<12x6xf32>
ml_program.global private mutable @bn_weight(#tg.ones) : tensor<12xf32>
ml_program.global private mutable @bn_bias(#tg.zeros) : tensor<12xf32>
ml_program.global private mutable @bn_running_mean(#tg.zeros) : tensor<12xf32>
ml_program.global private mutable @bn_running_var(#tg.ones) : tensor<12xf32>
ml_program.global private mutable @w2(#tg.normal<std = 0.3>) : tensor<12x12xf32>
ml_program.global private mutable @alpha(#tg.zeros) : tensor<f32>
ml_program.global private mutable @w3(#tg.normal<std = 0.3>) : tensor<3x12xf32>
func.func private @head(%h: tensor<32x12xf32>) -> tensor<32x3xf32> {
  %a = tg.relu %h : tensor<32x12xf32>
  %w2 = ml_program.global_load @w2 : tensor<12x12xf32>
  %f = tg.linear %a, %w2 : tensor<32x12xf32>, tensor<12x12xf32> -> tensor<32x12xf32>
  %alpha = ml_program.global_load @alpha : tensor<f32>
  %g = tg.mul %f, %alpha : tensor<32x12xf32>, tensor<f32> -> tensor<32x12xf32>
  %r = tg.add %a, %g : tensor<32x12xf32>
  %w3 = ml_program.global_load @w3 : tensor<3x12xf32>
  %y = tg.linear %r, %w3 : tensor<32x12xf32>, tensor<3x12xf32> -> tensor<32x3xf32>
  return %y : tensor<32x3xf32>
}
func.func @predict(%x: tensor<32x6xf32>) -> tensor<32x3xf32> {
  %w1 = ml_program.global_load @w1 : tensor<12x6xf32>
  %h = tg.linear %x, %w1 : tensor<32x6xf32>, tensor<12x6xf32> -> tensor<32x12xf32>
  %gamma = ml_program.global_load @bn_weight : tensor<12xf32>
  %beta = ml_program.global_load @bn_bias : tensor<12xf32>
  %rm = ml_program.global_load @bn_running_mean : tensor<12xf32>
  %rv = ml_program.global_load @bn_running_var : tensor<12xf32>
  %n, %m, %v = tg.batch_norm %h, %gamma, %beta, %rm, %rv : tensor<32x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>
  %y = func.call @head(%n) : (tensor<32x12xf32>) -> tensor<32x3xf32>
  return %y : tensor<32x3xf32>
}
func.func @loss(%x: tensor<32x6xf32>, %labels: tensor<32xi32>) -> tensor<f32> {
  %w1 = ml_program.global_load @w1 : tensor<12x6xf32>
  %h = tg.linear %x, %w1 : tensor<32x6xf32>, tensor<12x6xf32> -> tensor<32x12xf32>
  %gamma = ml_program.global_load @bn_weight : tensor<12xf32>
  %beta = ml_program.global_load @bn_bias : tensor<12xf32>
  %rm = ml_program.global_load @bn_running_mean : tensor<12xf32>
  %rv = ml_program.global_load @bn_running_var : tensor<12xf32>
  %n, %m, %v = tg.batch_norm %h, %gamma, %beta, %rm, %rv training momentum 0.3 : tensor<32x12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>, tensor<12xf32>
  ml_program.global_store @bn_running_mean = %m : tensor<12xf32>
  ml_program.global_store @bn_running_var = %v : tensor<12xf32>
  %y = func.call @head(%n) : (tensor<32x12xf32>) -> tensor<32x3xf32>
  %l = tg.focal_loss %y, %labels : tensor<32x3xf32>, tensor<32xi32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>
)";

/// Rows long and many enough for tg-gpu-row-kernels (a block per row, its
/// threads combining partial reductions with gpu.all_reduce): the layer
/// norm's statistics and the cross-entropy's, forward and backward.
constexpr const char *kRowsTrainingSpec = R"(
ml_program.global private mutable @ln_weight(#tg.ones) : tensor<256xf32>
ml_program.global private mutable @ln_bias(#tg.zeros) : tensor<256xf32>
ml_program.global private mutable @w(#tg.normal<std = 0.05>) : tensor<256x256xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<256xf32>
func.func @predict(%x: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %g = ml_program.global_load @ln_weight : tensor<256xf32>
  %beta = ml_program.global_load @ln_bias : tensor<256xf32>
  %h = tg.layer_norm %x, %g, %beta epsilon 1.0e-05 : tensor<256x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<256x256xf32>
  %w = ml_program.global_load @w : tensor<256x256xf32>
  %b = ml_program.global_load @b : tensor<256xf32>
  %y = tg.linear %h, %w, %b : tensor<256x256xf32>, tensor<256x256xf32>, tensor<256xf32> -> tensor<256x256xf32>
  return %y : tensor<256x256xf32>
}
func.func @loss(%x: tensor<256x256xf32>, %labels: tensor<256xi32>) -> tensor<f32> {
  %y = func.call @predict(%x) : (tensor<256x256xf32>) -> tensor<256x256xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<256x256xf32>, tensor<256xi32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.adam<lr = 0.01>
)";

/// The softmax cross-entropy benchmark's model, smaller (bench/specs.py):
/// logits that SGD updates in place in the row kernel that reads them,
/// after a barrier (the picked logit is read before the update). One chain
/// of work: nothing for a second stream.
constexpr const char *kLogitsTrainingSpec = R"(
ml_program.global private mutable @logits(#tg.normal<std = 1.0>) : tensor<256x1000xf32>
func.func @loss(%labels: tensor<256xi32>) -> tensor<f32> {
  %x = ml_program.global_load @logits : tensor<256x1000xf32>
  %l = tg.softmax_cross_entropy %x, %labels : tensor<256x1000xf32>, tensor<256xi32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.5>
)";

/// A training program: its spec, a public function that predicts from the
/// first input (or none), and the class count labels are drawn from.
struct TrainingCase {
  const char *name;
  std::string spec;
  const char *predict;
  int numClasses;
  int steps;
  /// tg-autocast (bf16) first, as `tgc --autocast=bf16`; its bf16 roundings
  /// may land on the other side of a tie when the compiled code sums in
  /// another order, hence a tolerance of a few bf16 ulps.
  bool autocast = false;
  double tolerance = 1e-5;
  /// The CUDA pipeline's fused attention: the pipeline compiles the
  /// program from before the tg pipeline (so that its own tg pipeline keeps
  /// the attentions for the kernels), and the compiled step must call both
  /// kernels (their host reference in the GPU mapping).
  bool fusedAttention = false;
  /// Whether tg-gpu-concurrent-branches finds work off the step's heaviest
  /// path (a model that is one chain has none).
  bool sideWork = true;
  /// With fusedAttention: f32 attentions fused too (fusedAttentionF32); the
  /// step must call the f32 kernels instead.
  bool fusedAttentionF32 = false;
};

void PrintTo(const TrainingCase &testCase, std::ostream *os) { *os << testCase.name; }

/// The text of `name` in `directory` of the source tree.
std::string readSource(const char *directory, const char *name) {
  std::string path = std::string(TGC_SOURCE_DIR) + "/" + directory + "/" + name;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return "cannot read " + path;
  return (*buffer)->getBuffer().str();
}

std::string readExample(const char *name) { return readSource("examples", name); }

/// Init, SGD steps and a prediction of `testCase` compiled with `pipeline`,
/// against the interpreter; the compiled losses and prediction in
/// `compiled`, if given.
void checkTraining(const TrainingCase &testCase, void (*pipeline)(OpPassManager &),
                   const std::string &summaryName,
                   std::vector<HostTensor> *compiled = nullptr) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  MLIRContext context;
  DialectRegistry registry;
  registerGPUEmulationDependencies(registry);
  context.appendDialectRegistry(registry);
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(testCase.spec, &context);
  ASSERT_TRUE(module);
  // Without autocast, the same program in f32: autocast must change it.
  OwningOpRef<ModuleOp> inF32 = testCase.autocast ? module->clone() : nullptr;
  OwningOpRef<ModuleOp> beforeTGPipeline;
  {
    PassManager pm(&context);
    if (testCase.autocast)
      pm.addPass(createTGAutocast());
    TGBuildEvalFunctionsOptions eval;
    eval.functions = {"loss"};
    pm.addPass(createTGBuildEvalFunctions(eval));
    pm.addPass(createTGExpandTrainStep());
    pm.addPass(createTGBuildInit());
    ASSERT_TRUE(succeeded(pm.run(*module)));
  }
  if (testCase.fusedAttention)
    beforeTGPipeline = module->clone();
  {
    PassManager pm(&context);
    buildTGPipeline(pm);
    ASSERT_TRUE(succeeded(pm.run(*module)));
  }
  FunctionType stepType = module->lookupSymbol<func::FuncOp>("train_step").getFunctionType();

  constexpr uint64_t kSeed = 7;
  std::mt19937_64 rng(99);
  std::normal_distribution<double> normal;
  std::vector<std::vector<HostTensor>> batches;
  for (int step = 0; step < testCase.steps; ++step) {
    std::vector<HostTensor> inputs;
    for (Type type : stepType.getInputs()) {
      HostTensor input(cast<RankedTensorType>(type));
      for (double &v : input.data)
        v = isa<FloatType>(input.type.getElementType()) ? normal(rng)
                                                        : double(rng() % testCase.numClasses);
      roundToElementType(input);
      inputs.push_back(std::move(input));
    }
    batches.push_back(std::move(inputs));
  }

  if (inF32) {
    PassManager pm(&context);
    pm.addPass(createTGExpandTrainStep());
    pm.addPass(createTGBuildInit());
    buildTGPipeline(pm);
    ASSERT_TRUE(succeeded(pm.run(*inF32)));
    Interpreter autocast(*module, kSeed), f32(*inF32, kSeed);
    FailureOr<std::vector<HostTensor>> low = autocast.call("train_step", batches[0]);
    FailureOr<std::vector<HostTensor>> full = f32.call("train_step", batches[0]);
    ASSERT_TRUE(succeeded(low) && succeeded(full));
    EXPECT_NE((*low)[0].data[0], (*full)[0].data[0]) << "autocast changed nothing";
    EXPECT_NEAR((*low)[0].data[0], (*full)[0].data[0], 1e-2 * std::fabs((*full)[0].data[0]))
        << "bf16 is far from f32";
  }

  // The step's loss is the evaluation's loss on the same batch, bit for bit:
  // the step differentiates the same decomposition (a half-precision
  // composite computes in f32 and rounds once in both). Dropout and batch
  // norm behave differently in evaluation.
  bool evalIsStep = testCase.spec.find("dropout") == std::string::npos &&
                    testCase.spec.find("batch_norm") == std::string::npos;
  if (evalIsStep) {
    Interpreter forStep(*module, kSeed), forEval(*module, kSeed);
    FailureOr<std::vector<HostTensor>> step = forStep.call("train_step", batches[0]);
    FailureOr<std::vector<HostTensor>> eval = forEval.call("loss_eval", batches[0]);
    ASSERT_TRUE(succeeded(step) && succeeded(eval));
    EXPECT_EQ((*step)[0].data[0], (*eval)[0].data[0]) << "the step's loss is not loss_eval's";
  }

  std::vector<HostTensor> expected;
  {
    Interpreter interpreter(*module, kSeed);
    for (const std::vector<HostTensor> &batch : batches) {
      FailureOr<std::vector<HostTensor>> loss = interpreter.call("train_step", batch);
      ASSERT_TRUE(succeeded(loss));
      expected.push_back((*loss)[0]);
    }
    if (testCase.predict) {
      FailureOr<std::vector<HostTensor>> prediction =
          interpreter.call(testCase.predict, {batches[0][0]});
      ASSERT_TRUE(succeeded(prediction));
      expected.push_back((*prediction)[0]);
    }
  }
  FunctionType predictType;
  if (testCase.predict)
    predictType = module->lookupSymbol<func::FuncOp>(testCase.predict).getFunctionType();

  ModuleOp compiledModule = beforeTGPipeline ? *beforeTGPipeline : *module;
  PassManager pm(&context);
  pipeline(pm);
  ASSERT_TRUE(succeeded(pm.run(compiledModule))) << "the pipeline failed";
  if (testCase.fusedAttention) {
    StringRef type = testCase.fusedAttentionF32 ? "f32" : "bf16";
    for (StringRef function : {"tgc_attention_forward_", "tgc_attention_backward_"}) {
      std::string kernel = (function + type).str();
      EXPECT_GT(countRuntimeCalls(compiledModule, kernel), 0)
          << "the compiled step does not call " << kernel;
    }
  }
  auto engine = createEngine(compiledModule);
  ASSERT_TRUE(bool(engine)) << llvm::toString(engine.takeError());

  auto seedType = RankedTensorType::get({}, IntegerType::get(&context, 64));
  ASSERT_TRUE(callCompiled(**engine, "tgc_init", {HostTensor(seedType, {double(kSeed)})},
                           RankedTensorType()));
  double worst = 0;
  for (int step = 0; step < testCase.steps; ++step) {
    std::optional<HostTensor> loss = callCompiled(
        **engine, "train_step", batches[step], cast<RankedTensorType>(stepType.getResult(0)));
    ASSERT_TRUE(loss);
    double error = relativeError(*loss, expected[step]);
    worst = std::max(worst, error);
    EXPECT_LE(error, testCase.tolerance) << "step " << step << ": compiled loss " << loss->data[0]
                                         << ", interpreter " << expected[step].data[0];
    if (compiled)
      compiled->push_back(*loss);
  }
  if (testCase.predict) {
    std::optional<HostTensor> prediction =
        callCompiled(**engine, testCase.predict, {batches[0][0]},
                     cast<RankedTensorType>(predictType.getResult(0)));
    ASSERT_TRUE(prediction);
    double error = relativeError(*prediction, expected.back());
    worst = std::max(worst, error);
    EXPECT_LE(error, testCase.tolerance) << "predictions after training";
    if (compiled)
      compiled->push_back(*prediction);
  }
  // Training moved the loss: the steps did something.
  EXPECT_NE(expected.front().data[0], expected[testCase.steps - 1].data[0]);
  summary().record("training", summaryName, worst);
}

class CompiledTraining : public testing::TestWithParam<TrainingCase> {};

TEST_P(CompiledTraining, StepsMatchInterpreter) {
  checkTraining(GetParam(), [](OpPassManager &pm) { buildCPUPipeline(pm); }, GetParam().name);
}

// The differential test of fusion: the same steps without tg-fuse (every
// op its own loop nest) match the interpreter as the fused ones do.
TEST_P(CompiledTraining, UnfusedStepsMatchInterpreter) {
  checkTraining(
      GetParam(),
      [](OpPassManager &pm) {
        CPUPipelineOptions unfused;
        unfused.fuse = false;
        buildCPUPipeline(pm, unfused);
      },
      std::string("unfused_") + GetParam().name);
}

// Memory planning (state updated in place, early frees, fused and grouped
// loops) reorders no arithmetic: the planned step computes bit for bit what
// the step that copies state in and out computes.
TEST_P(CompiledTraining, PlannedMemoryMatchesCopies) {
  std::vector<HostTensor> planned, copies;
  checkTraining(GetParam(), [](OpPassManager &pm) { buildCPUPipeline(pm); }, GetParam().name,
                &planned);
  checkTraining(
      GetParam(),
      [](OpPassManager &pm) {
        CPUPipelineOptions options;
        options.planMemory = false;
        buildCPUPipeline(pm, options);
      },
      std::string("copies_") + GetParam().name, &copies);
  ASSERT_EQ(planned.size(), copies.size());
  for (size_t i = 0; i < planned.size(); ++i)
    EXPECT_EQ(planned[i].data, copies[i].data) << "output " << i;
}

TEST_P(CompiledTraining, GPUMappingStepsMatchInterpreter) {
  checkTraining(
      GetParam(), [](OpPassManager &pm) { buildGPUEmulationPipeline(pm); },
      std::string("gpu_") + GetParam().name);
}

/// checkTraining of the GPU mapping with tg-gpu-concurrent-branches, each
/// branch's work run in the two most extreme orders its events allow (the
/// side stream's as late and as early as possible): the same steps, so no
/// dependence was missed; and some work was put on the side stream.
template <bool FusedAttention, bool FusedAttentionF32 = false>
void checkTrainingWithBranches(const TrainingCase &testCase) {
  long forks = droppedForks();
  checkTraining(
      testCase,
      [](OpPassManager &pm) {
        buildGPUEmulationPipeline(pm, FusedAttention, EmulatedBranches::SideLate,
                                  FusedAttentionF32);
      },
      std::string("gpu_side_late_") + testCase.name);
  checkTraining(
      testCase,
      [](OpPassManager &pm) {
        buildGPUEmulationPipeline(pm, FusedAttention, EmulatedBranches::SideEarly,
                                  FusedAttentionF32);
      },
      std::string("gpu_side_early_") + testCase.name);
  if (testCase.sideWork)
    EXPECT_GT(droppedForks(), forks);
  else
    EXPECT_EQ(droppedForks(), forks);
}

TEST_P(CompiledTraining, GPUMappingWithBranchesStepsMatchInterpreter) {
  checkTrainingWithBranches</*FusedAttention=*/false>(GetParam());
}

// The small MLP runs small loops (sequential); examples/mlp.mlir has loop
// nests big enough to run in parallel and the matmuls of a real model; the
// transformer block has batched matmuls, layer norms and attention.
/// kTrainingSpec with another optimizer (and gradient transforms).
std::string withOptimizer(const std::string &optimizer) {
  std::string spec = kTrainingSpec;
  std::string sgd = "#tg.sgd<lr = 0.1, momentum = 0.9>";
  return spec.replace(spec.find(sgd), sgd.size(), optimizer);
}

// The optimizers exercise tg-update-globals-in-place: AdamW's moments and
// decoupled decay; diffGrad reads its previous gradient after computing
// the new one (that store copy must stay); DoG sums statistics over all
// parameters and keeps shared state; SAM stores the ascended weights into
// the parameters and reads the old ones after (that load copy must stay).
const TrainingCase kTrainingCases[] = {
    {"mlp_sgd_momentum", kTrainingSpec, "predict", 3, 4},
    {"mlp_784_512_512_10", readExample("mlp.mlir"), "forward", 10, 2},
    {"transformer_block", readExample("transformer_block.mlir"), nullptr, 8, 3},
    {"batch_norm_state_rezero_focal", kBatchNormTrainingSpec, "predict", 3, 4},
    {"mlp_adamw", withOptimizer("#tg.adamw<lr = 0.01, weight_decay = 0.1>"), "predict", 3, 4},
    {"mlp_diffgrad", withOptimizer("#tg.diffgrad<lr = 0.01, weight_decay = 0.01>"), "predict", 3,
     4},
    {"mlp_dog", withOptimizer("#tg.dog<weight_decay = 0.01>"), "predict", 3, 4},
    {"mlp_sam_adamw", withOptimizer("#tg.adamw<lr = 0.01> transforms [#tg.sam<rho = 0.05>]"),
     "predict", 3, 4},
    // bf16 mixed precision: linear layers and attention in bf16 (bf16 GEMMs
    // in the GPU mapping), layer norms and the loss in f32, f32 weights.
    {"transformer_block_autocast", readExample("transformer_block.mlir"), nullptr, 8, 3, true,
     1e-4},
    // Features split in two loop dimensions: the bias epilogues' bias too.
    {"transformer_d512_autocast", readSource("test/Unit/Inputs", "transformer_d512.mlir"), nullptr,
     1, 2, true, 1e-4},
    {"mlp_autocast", kTrainingSpec, "predict", 3, 4, true, 1e-4},
    {"rows_256x256", kRowsTrainingSpec, "predict", 256, 3},
    // (Its predictions are bf16: a different summation order flips roundings.)
    {"rows_256x256_autocast", kRowsTrainingSpec, nullptr, 256, 3, true, 1e-4},
    {"logits_256x1000_sgd", kLogitsTrainingSpec, nullptr, 1000, 3, false, 1e-5, false,
     /*sideWork=*/false},
};

INSTANTIATE_TEST_SUITE_P(
    Programs, CompiledTraining, testing::ValuesIn(kTrainingCases),
    [](const testing::TestParamInfo<TrainingCase> &info) { return info.param.name; });

// Causal self-attention over 2 heads of 64 (what the fused kernels take)
// between linear layers, under autocast: the attention's q, k and v are
// bf16, and with the CUDA pipeline's fused attention its forward and its
// gradient run as the kernels.
constexpr const char *kAttentionTrainingSpec = R"(
ml_program.global private mutable @wq(#tg.normal<std = 0.05>) : tensor<128x128xf32>
ml_program.global private mutable @wk(#tg.normal<std = 0.05>) : tensor<128x128xf32>
ml_program.global private mutable @wv(#tg.normal<std = 0.05>) : tensor<128x128xf32>
ml_program.global private mutable @wo(#tg.normal<std = 0.05>) : tensor<128x128xf32>
ml_program.global private mutable @head(#tg.normal<std = 0.05>) : tensor<8x128xf32>
func.func private @split_heads(%x: tensor<2x64x128xf32>) -> tensor<2x2x64x64xf32> {
  %r = tg.reshape %x : tensor<2x64x128xf32> -> tensor<2x64x2x64xf32>
  %t = tg.transpose %r [0, 2, 1, 3] : tensor<2x64x2x64xf32> -> tensor<2x2x64x64xf32>
  return %t : tensor<2x2x64x64xf32>
}
func.func @loss(%x: tensor<2x64x128xf32>, %labels: tensor<2x64xi32>) -> tensor<f32> {
  %wq = ml_program.global_load @wq : tensor<128x128xf32>
  %wk = ml_program.global_load @wk : tensor<128x128xf32>
  %wv = ml_program.global_load @wv : tensor<128x128xf32>
  %q = tg.linear %x, %wq : tensor<2x64x128xf32>, tensor<128x128xf32> -> tensor<2x64x128xf32>
  %k = tg.linear %x, %wk : tensor<2x64x128xf32>, tensor<128x128xf32> -> tensor<2x64x128xf32>
  %v = tg.linear %x, %wv : tensor<2x64x128xf32>, tensor<128x128xf32> -> tensor<2x64x128xf32>
  %qh = func.call @split_heads(%q) : (tensor<2x64x128xf32>) -> tensor<2x2x64x64xf32>
  %kh = func.call @split_heads(%k) : (tensor<2x64x128xf32>) -> tensor<2x2x64x64xf32>
  %vh = func.call @split_heads(%v) : (tensor<2x64x128xf32>) -> tensor<2x2x64x64xf32>
  %oh = tg.attention %qh, %kh, %vh causal : tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32> -> tensor<2x2x64x64xf32>
  %ot = tg.transpose %oh [0, 2, 1, 3] : tensor<2x2x64x64xf32> -> tensor<2x64x2x64xf32>
  %o = tg.reshape %ot : tensor<2x64x2x64xf32> -> tensor<2x64x128xf32>
  %wo = ml_program.global_load @wo : tensor<128x128xf32>
  %a = tg.linear %o, %wo : tensor<2x64x128xf32>, tensor<128x128xf32> -> tensor<2x64x128xf32>
  %h = tg.add %x, %a : tensor<2x64x128xf32>
  %whead = ml_program.global_load @head : tensor<8x128xf32>
  %logits = tg.linear %h, %whead : tensor<2x64x128xf32>, tensor<8x128xf32> -> tensor<2x64x8xf32>
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<2x64x8xf32>, tensor<2x64xi32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.5>
)";

// The GPU mapping with fused attention: the kernels' host reference in the
// step, against the interpreter (attention in double, rounded once).
class FusedAttentionTraining : public testing::TestWithParam<TrainingCase> {};

TEST_P(FusedAttentionTraining, GPUMappingStepsMatchInterpreter) {
  checkTraining(
      GetParam(), [](OpPassManager &pm) { buildGPUEmulationPipeline(pm, /*fusedAttention=*/true); },
      std::string("gpu_") + GetParam().name);
}

// The same with concurrent branches (the attention calls' outputs must
// order the work that reads them).
TEST_P(FusedAttentionTraining, GPUMappingWithBranchesStepsMatchInterpreter) {
  checkTrainingWithBranches</*FusedAttention=*/true>(GetParam());
}

// The losses within 1e-3 (4e-5 measured): the interpreter decomposes the
// attention, the kernels round P and dS to bf16.
const TrainingCase kFusedAttentionTrainingCases[] = {
    {"attention_autocast_fused", kAttentionTrainingSpec, nullptr, 8, 3, true, 1e-3, true},
};

INSTANTIATE_TEST_SUITE_P(Programs, FusedAttentionTraining,
                         testing::ValuesIn(kFusedAttentionTrainingCases),
                         [](const testing::TestParamInfo<TrainingCase> &info) {
                           return info.param.name;
                         });

// The same block in f32 with f32 attentions fused (fusedAttentionF32): the
// f32 kernels' host reference in the step, which reads q, k and v (one
// buffer in turn after bufferization, each its own with the views) and
// writes the output and gradients through views of the activations.
class FusedAttentionF32Training : public testing::TestWithParam<TrainingCase> {};

TEST_P(FusedAttentionF32Training, GPUMappingStepsMatchInterpreter) {
  checkTraining(
      GetParam(),
      [](OpPassManager &pm) {
        buildGPUEmulationPipeline(pm, /*fusedAttention=*/true, EmulatedBranches::Off,
                                  /*fusedAttentionF32=*/true);
      },
      std::string("gpu_") + GetParam().name);
}

TEST_P(FusedAttentionF32Training, GPUMappingWithBranchesStepsMatchInterpreter) {
  checkTrainingWithBranches</*FusedAttention=*/true, /*FusedAttentionF32=*/true>(GetParam());
}

const TrainingCase kFusedAttentionF32TrainingCases[] = {
    {"attention_f32_fused", kAttentionTrainingSpec, nullptr, 8, 3, false, 1e-5, true,
     /*sideWork=*/true, /*fusedAttentionF32=*/true},
};

INSTANTIATE_TEST_SUITE_P(Programs, FusedAttentionF32Training,
                         testing::ValuesIn(kFusedAttentionF32TrainingCases),
                         [](const testing::TestParamInfo<TrainingCase> &info) {
                           return info.param.name;
                         });

// Ops that are not code: they are expanded before code generation; and
// kernel ops, which code generation makes (the fused attention cases check
// them: the CUDA pipeline's calls of the kernels, emulated).
const char *const kNotLowered[] = {"tg.train_step",
                                   "tg.grad",
                                   "tg.value_and_grad",
                                   "tg.jvp",
                                   "tg.fused_attention_forward",
                                   "tg.fused_attention_backward"};

TEST(CompiledCoverage, EveryOpIsCompiledAndChecked) {
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect,
                      arith::ArithDialect, scf::SCFDialect, tensor::TensorDialect>();
  std::set<std::string> covered;
  auto cover = [&](const std::string &source) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
    ASSERT_TRUE(module);
    module->walk([&](Operation *op) { covered.insert(op->getName().getStringRef().str()); });
  };
  for (const CompiledCase &c : gradcheckCases(false))
    cover(c.source);
  for (const CompiledCase &c : kExtraCases)
    cover(c.source);
  std::set<std::string> exempt(std::begin(kNotLowered), std::end(kNotLowered));
  int ops = 0;
  for (RegisteredOperationName name : context.getRegisteredOperations()) {
    if (name.getDialectNamespace() != "tg" || exempt.count(name.getStringRef().str()))
      continue;
    ++ops;
    EXPECT_TRUE(covered.count(name.getStringRef().str()))
        << name.getStringRef().str() << " has no compiled-vs-interpreter case";
  }
  EXPECT_TRUE(covered.count("scf.for")) << "no loop case";
  EXPECT_GT(ops, 50);
}

} // namespace
