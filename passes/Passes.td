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

#endif // TGC_PASSES_TD
