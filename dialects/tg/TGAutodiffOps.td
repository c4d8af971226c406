//===- TGAutodiffOps.td - automatic differentiation ----------*- tablegen -*-===//

#ifndef TG_AUTODIFF_OPS_TD
#define TG_AUTODIFF_OPS_TD

include "TGBase.td"
include "TGInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"

class TG_DerivativeOp<string mnemonic, list<Trait> traits = []>
    : TG_Op<mnemonic, !listconcat(traits, [
          DeclareOpInterfaceMethods<SymbolUserOpInterface>])> {
  let extraClassDeclaration = [{
    /// The function this op differentiates (null before verification).
    ::mlir::func::FuncOp getCalleeFunc(::mlir::SymbolTableCollection &symbolTable);
    /// The differentiated globals, in order (empty when absent).
    ::llvm::SmallVector<::mlir::FlatSymbolRefAttr> getGlobalRefs() {
      ::llvm::SmallVector<::mlir::FlatSymbolRefAttr> refs;
      if (::mlir::ArrayAttr globals = getGlobalsAttr())
        for (::mlir::Attribute ref : globals)
          refs.push_back(::llvm::cast<::mlir::FlatSymbolRefAttr>(ref));
      return refs;
    }
  }];
}

def TG_GradOp : TG_DerivativeOp<"grad"> {
  let summary = "gradient of a scalar function";
  let description = [{
    Calls `callee` on `operands` and returns the gradient of its single
    scalar float result with respect to the arguments listed in `wrt` (by
    position) and the globals listed in `globals`, in that order. Each
    gradient has the type of its argument or global.

    ```mlir
    %gw, %gb = tg.grad @loss(%x, %y) globals [@w, @b]
        : (tensor<128x784xf32>, tensor<128xi32>) -> (tensor<10x784xf32>, tensor<10xf32>)
    %gx = tg.grad @f(%x) wrt [0] : (tensor<4xf64>) -> tensor<4xf64>
    ```

    `--tg-autodiff` replaces it by a call to a generated reverse-mode
    function.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$operands,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$wrt,
                       OptionalAttr<FlatSymbolRefArrayAttr>:$globals);
  let results = (outs Variadic<AnyRankedTensor>:$gradients);
  let assemblyFormat = [{
    $callee `(` $operands `)` (`wrt` $wrt^)? (`globals` $globals^)? attr-dict `:`
    functional-type($operands, results)
  }];
}

def TG_ValueAndGradOp : TG_DerivativeOp<"value_and_grad"> {
  let summary = "value and gradient of a scalar function";
  let description = [{
    Like `tg.grad`, and also returns the function's value first; the forward
    computation is shared.

    ```mlir
    %loss, %gw = tg.value_and_grad @loss(%x, %y) globals [@w]
        : (tensor<128x784xf32>, tensor<128xi32>) -> (tensor<f32>, tensor<10x784xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$operands,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$wrt,
                       OptionalAttr<FlatSymbolRefArrayAttr>:$globals);
  let results = (outs TG_FloatScalar:$value, Variadic<AnyRankedTensor>:$gradients);
  let assemblyFormat = [{
    $callee `(` $operands `)` (`wrt` $wrt^)? (`globals` $globals^)? attr-dict `:`
    functional-type($operands, results)
  }];
}

def TG_JvpOp : TG_DerivativeOp<"jvp", [AttrSizedOperandSegments]> {
  let summary = "forward-mode derivative (Jacobian-vector product)";
  let description = [{
    Calls `callee` on `inputs` and returns its results followed by their
    directional derivatives along `tangents`: one tangent per argument listed
    in `wrt` (by position; default: every float argument), then one per
    global listed in `globals` (its direction at every load of the global,
    through calls too). Other globals are constants.

    ```mlir
    %y, %dy = tg.jvp @f(%x) tangents(%v) : (tensor<4xf64>, tensor<4xf64>) -> (tensor<f64>, tensor<f64>)
    %g, %hz = tg.jvp @grad_of_loss(%x) tangents(%z) wrt [] globals [@w]
        : (tensor<8x4xf32>, tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>)
    ```

    Applied to a function that computes a gradient, it gives a
    Hessian-vector product (forward-over-reverse); with `globals`, the
    Hessian of a loss with respect to its parameters.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$inputs,
                       Variadic<TG_FloatTensor>:$tangents,
                       OptionalAttr<DenseI64ArrayAttr>:$wrt,
                       OptionalAttr<FlatSymbolRefArrayAttr>:$globals);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $callee `(` $inputs `)` `tangents` `(` $tangents `)` (`wrt` $wrt^)?
    (`globals` $globals^)? attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    ::mlir::func::FuncOp getCalleeFunc(::mlir::SymbolTableCollection &symbolTable);
    /// The argument positions the first tangents belong to.
    ::llvm::SmallVector<int64_t> getWrtPositions(::mlir::FunctionType type);
    /// The globals the last tangents belong to, in order (empty when absent).
    ::llvm::SmallVector<::mlir::FlatSymbolRefAttr> getGlobalRefs() {
      ::llvm::SmallVector<::mlir::FlatSymbolRefAttr> refs;
      if (::mlir::ArrayAttr globals = getGlobalsAttr())
        for (::mlir::Attribute ref : globals)
          refs.push_back(::llvm::cast<::mlir::FlatSymbolRefAttr>(ref));
      return refs;
    }
  }];
}

def TG_StraightThroughOp : TG_Op<"straight_through", [
    Pure, AllTypesMatch<["input", "forward", "result"]>,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "custom gradient: forward value of f(x), gradient of x";
  let description = [{
    Returns `forward` (usually a non-differentiable function of `input`, such
    as a rounding in quantization-aware training) while its derivative is
    taken as if the result were `input`: the straight-through estimator
    (Bengio et al., 2013). With `clip [lo, hi]` the gradient passes only
    where lo <= input <= hi (the clipped identity), and is zero elsewhere.
    No derivative flows into `forward`.

    ```mlir
    %q = tg.straight_through %x, %rounded : tensor<64x64xf32>
    %c = tg.straight_through %x, %rounded clip [-1.0, 1.0] : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$forward,
                       OptionalAttr<F64ArrayAttr>:$clip);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $forward (`clip` $clip^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TG_AUTODIFF_OPS_TD
