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
        point and returns the values that replace its results. When it
        cannot (e.g. a shape it needs is dynamic), it returns an empty
        vector without building anything.
      }],
      "::llvm::SmallVector<::mlir::Value>", "decompose",
      (ins "::mlir::OpBuilder &":$builder)>
  ];
}

def TG_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    The derivative rules of an op, written as tg ops so that the output of
    automatic differentiation is again tg and can be differentiated again
    (Hessian-vector products are forward-over-reverse).

    A null Value stands for a zero tangent or cotangent: rules receive nulls
    for results or operands without one, and return nulls where the
    derivative is zero or undefined (integer operands, `tg.stop_gradient`).
    Rules insert at the builder's insertion point and may use the op's
    operands and results (forward values are reused, not recomputed).
  }];
  let methods = [
    InterfaceMethod<[{
        Reverse mode: given one cotangent per result (null when zero),
        returns one cotangent per operand (null when zero or not
        differentiable), each with its operand's type.
      }],
      "::llvm::SmallVector<::mlir::Value>", "vjp",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultCotangents)>,
    InterfaceMethod<[{
        Forward mode: given one tangent per operand (null when zero),
        returns one tangent per result (null when zero), each with its
        result's type.
      }],
      "::llvm::SmallVector<::mlir::Value>", "jvp",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$operandTangents)>
  ];
}

#endif // TG_INTERFACES_TD
