//===- TGInterfaces.td - tg op interfaces ---------------------*- tablegen -*-===//

#ifndef TG_INTERFACES_TD
#define TG_INTERFACES_TD

include "mlir/IR/OpBase.td"

def TG_DecomposableOpInterface : OpInterface<"DecomposableOpInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    A composite op (a layer or a loss) that is defined by core tg ops.
    `--tg-decompose` replaces it by what `decompose` builds, so later passes
    (autodiff, fusion, lowering) only need rules for core ops.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the core-op equivalent of this op at the builder's insertion
        point and returns the values that replace its results.
      }],
      "::llvm::SmallVector<::mlir::Value>", "decompose",
      (ins "::mlir::OpBuilder &":$builder)>
  ];
}

#endif // TG_INTERFACES_TD
