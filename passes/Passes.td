//===- Passes.td - tgc passes ---------------------------------*- tablegen -*-===//

#ifndef TGC_PASSES_TD
#define TGC_PASSES_TD

include "mlir/Pass/PassBase.td"

def TGDecompose : Pass<"tg-decompose"> {
  let summary = "Rewrite composite tg ops (layers, losses) into core tg ops";
  let description = [{
    Replaces every op that implements `DecomposableOpInterface`
    (`tg.linear`, `tg.layer_norm`, `tg.softmax_cross_entropy`, ...) by the
    core-op program its `decompose` method builds, repeatedly, until no
    composite op is left. Later passes then only need rules for core ops.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect"];
}

def TGAutodiff : Pass<"tg-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse- and forward-mode automatic differentiation";
  let description = [{
    Replaces every `tg.grad`, `tg.value_and_grad` and `tg.jvp` by a call to
    a generated function built from the per-op derivative rules
    (`DifferentiableOpInterface`). Calls in the differentiated function are
    inlined and composite ops without a rule of their own are decomposed
    first. Only values that depend on a differentiated input and reach the
    result get derivatives; forward values are reused by the backward sweep.
    The output is again tg, so it can be differentiated again.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"rematerializeLoops", "rematerialize-loops", "bool", "false",
           "Record only each iteration's loop-carried values and recompute the "
           "rest of the loop body in the backward pass (less memory, more "
           "compute)">
  ];
}

#endif // TGC_PASSES_TD
