//===- tgc-run.cpp - run a tg function in the reference interpreter -------===//
//
//   tgc-run spec.mlir --entry=loss [--seed=N] [--int-bound=N] [--print-limit=N]
//
// Calls the function with reproducible random arguments (standard normal
// floats, integers uniform in [0, int-bound)) and prints every result, then
// the globals the call changed. Globals start from their initializers drawn
// with --seed, as the runtime draws them.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"
#include "tg/TGDialect.h"
#include "tgc/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>

using namespace mlir;
namespace cl = llvm::cl;

static cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<spec.mlir>"),
                                          cl::init("-"));
static cl::opt<std::string> entry("entry", cl::desc("function to call"),
                                  cl::init("main"));
static cl::opt<uint64_t> seed("seed", cl::desc("seed of arguments and initializers"),
                              cl::init(0));
static cl::opt<int64_t> intBound("int-bound",
                                 cl::desc("integer arguments are drawn from [0, N)"),
                                 cl::init(2));
static cl::opt<int64_t> printLimit("print-limit",
                                   cl::desc("elements printed per tensor"),
                                   cl::init(16));

static void printTensor(llvm::StringRef name, const tg::HostTensor &tensor) {
  llvm::outs() << name << ": " << tensor.type << " = [";
  for (int64_t i = 0; i < tensor.size() && i < printLimit; ++i) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.9g", tensor.data[i]);
    llvm::outs() << (i ? ", " : "") << buffer;
  }
  if (tensor.size() > printLimit)
    llvm::outs() << ", ... (" << tensor.size() << " elements)";
  llvm::outs() << "]\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "tgc reference interpreter\n");

  DialectRegistry registry;
  registry.insert<tg::TGDialect, func::FuncDialect, ml_program::MLProgramDialect,
                  arith::ArithDialect, scf::SCFDialect, tensor::TensorDialect>();
  MLIRContext context(registry);
  std::string error;
  auto file = openInputFile(inputFilename, &error);
  if (!file) {
    llvm::errs() << "tgc-run: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  auto func = module->lookupSymbol<func::FuncOp>(entry);
  if (!func) {
    llvm::errs() << "tgc-run: no function @" << entry << " in " << inputFilename
                 << "\n";
    return 1;
  }

  // Arguments come from their own Philox stream, one per argument position.
  std::vector<tg::HostTensor> args;
  for (auto [index, type] : llvm::enumerate(func.getArgumentTypes())) {
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (!tensorType || !tensorType.hasStaticShape()) {
      llvm::errs() << "tgc-run: argument #" << index
                   << " must be a static tensor, got " << type << "\n";
      return 1;
    }
    tg::HostTensor tensor(tensorType);
    bool isFloat = isa<FloatType>(tensorType.getElementType());
    uint64_t stream = uint64_t(index + 1) << 48;
    for (int64_t i = 0; i < tensor.size(); ++i)
      tensor.data[i] = isFloat ? tgc::philoxNormal(seed, stream, i)
                               : double(int64_t(tgc::philoxUniform(seed, stream, i) *
                                                double(intBound)));
    tg::roundToElementType(tensor);
    printTensor("arg" + std::to_string(index), tensor);
    args.push_back(std::move(tensor));
  }

  tg::Interpreter interpreter(*module, seed);
  FailureOr<std::vector<tg::HostTensor>> results = interpreter.call(func, args);
  if (failed(results))
    return 1;
  for (auto [index, result] : llvm::enumerate(*results))
    printTensor("result" + std::to_string(index), result);
  return 0;
}
