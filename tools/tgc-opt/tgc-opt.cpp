//===- tgc-opt.cpp - the tgc optimizer driver -----------------------------===//
//
// Like mlir-opt: parses a spec, runs the passes named on the command line
// (any tg pass, the upstream ones the pipeline uses, `--tg-pipeline`,
// `--tg-cpu-pipeline` or `--tg-cuda-pipeline`) and prints the result.
//
//===----------------------------------------------------------------------===//

#include "Compiler/GPUPipeline.h"
#include "Compiler/Pipeline.h"
#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::tg::TGDialect, mlir::func::FuncDialect,
                  mlir::ml_program::MLProgramDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::scf::SCFDialect,
                  mlir::tensor::TensorDialect>();
  mlir::tg::registerDerivativeExternalModels(registry);
  mlir::tg::registerCPUPipelineDependencies(registry);
  mlir::tg::registerCUDAPipelineDependencies(registry);
  mlir::registerTransformsPasses();
  // Bufferization and linalg's loops, to test tg's passes around them.
  mlir::bufferization::registerBufferizationPasses();
  mlir::registerLinalgPasses();
  mlir::tg::registerTGCPassesAndPipelines();
  mlir::tg::registerCPUPipeline();
  mlir::tg::registerCUDAPipeline();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tgc optimizer driver\n", registry));
}
