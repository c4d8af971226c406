//===- TGBase.td - tg dialect definition, types and op classes -*- tablegen -*-===//
//
// The tg dialect: the training vocabulary that upstream MLIR lacks. Values are
// ranked builtin tensors; scalars are rank-0 tensors.
//
//===----------------------------------------------------------------------===//

#ifndef TG_BASE_TD
#define TG_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "TGInterfaces.td"

def TG_Dialect : Dialect {
  let name = "tg";
  let cppNamespace = "::mlir::tg";
  let summary = "Training programs: models, losses and optimizer steps";
  let description = [{
    The `tg` dialect describes neural-network training programs: model code
    built from core tensor ops and composite layers, losses, parameters held in
    `ml_program` globals with initializer attributes, and a `tg.train_step`
    that names the loss function and the optimizer.

    All values are ranked tensors of floating-point (`f16`, `bf16`, `f32`,
    `f64`) or signless integer elements; a scalar is a rank-0 tensor.
    Binary elementwise ops broadcast their operands with NumPy rules.
    Composite ops (layers and losses) carry a decomposition into core ops,
    applied by `--tg-decompose`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::ml_program::MLProgramDialect"];
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def TG_Float : AnyTypeOf<[F16, BF16, F32, F64], "floating-point">;
def TG_Integer : AnyTypeOf<[AnySignlessInteger], "integer">;

def TG_FloatTensor : RankedTensorOf<[TG_Float]>;
def TG_IntegerTensor : RankedTensorOf<[TG_Integer]>;
def TG_BoolTensor : RankedTensorOf<[I1]>;
def TG_Tensor : RankedTensorOf<[TG_Float, TG_Integer]>;
def TG_IntegerScalar : 0DTensorOf<[TG_Integer]>;
def TG_FloatScalar : 0DTensorOf<[TG_Float]>;

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def TG_ReductionAttr : I32EnumAttr<"Reduction", "how a loss combines per-example terms", [
    I32EnumAttrCase<"mean", 0>,
    I32EnumAttrCase<"sum", 1>
  ]> {
  let cppNamespace = "::mlir::tg";
}

def TG_ComparePredicateAttr : I32EnumAttr<"ComparePredicate", "comparison predicate", [
    I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>,
    I32EnumAttrCase<"lt", 2>, I32EnumAttrCase<"le", 3>,
    I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>
  ]> {
  let cppNamespace = "::mlir::tg";
}

def TG_GeluApproximationAttr : I32EnumAttr<"GeluApproximation", "GELU formula", [
    I32EnumAttrCase<"erf", 0>,
    I32EnumAttrCase<"tanh", 1>
  ]> {
  let cppNamespace = "::mlir::tg";
}

def TG_DistributionAttr : I32EnumAttr<"Distribution", "random distribution", [
    I32EnumAttrCase<"uniform", 0>,
    I32EnumAttrCase<"normal", 1>
  ]> {
  let cppNamespace = "::mlir::tg";
}

def TG_FanMode : I32EnumAttr<"FanMode", "which fan a Kaiming initializer scales by", [
    I32EnumAttrCase<"fan_in", 0>,
    I32EnumAttrCase<"fan_out", 1>
  ]> {
  let cppNamespace = "::mlir::tg";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Op base classes
//===----------------------------------------------------------------------===//

class TG_Op<string mnemonic, list<Trait> traits = []>
    : Op<TG_Dialect, mnemonic, traits>;

// y = f(x) elementwise; the result has the operand's type. Both derivative
// rules multiply by f'(x), which each op builds in `buildDerivative`
// (Derivatives.cpp); a null derivative means zero.
class TG_UnaryElementwiseOp<string mnemonic, Type operandType = TG_FloatTensor,
                            list<Trait> traits = []>
    : TG_Op<mnemonic, !listconcat(traits, [Pure, Elementwise,
                                           SameOperandsAndResultType,
                                           DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>])> {
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let extraClassDeclaration = [{
    /// f'(input), built at the builder's insertion point (null: zero).
    ::mlir::Value buildDerivative(::mlir::OpBuilder &builder);
  }];
  let extraClassDefinition = [{
    ::llvm::SmallVector<::mlir::Value>
    $cppClass::vjp(::mlir::OpBuilder &builder, ::mlir::ValueRange cotangents) {
      return {::mlir::tg::scaleByDerivative(builder, getLoc(), cotangents[0],
                                           [&] { return buildDerivative(builder); })};
    }
    ::llvm::SmallVector<::mlir::Value>
    $cppClass::jvp(::mlir::OpBuilder &builder, ::mlir::ValueRange tangents) {
      return {::mlir::tg::scaleByDerivative(builder, getLoc(), tangents[0],
                                           [&] { return buildDerivative(builder); })};
    }
  }];
}

// z = f(x, y) elementwise with NumPy broadcasting of x and y; the element
// types of both operands and the result agree.
class TG_BinaryElementwiseOp<string mnemonic, Type operandType = TG_Tensor,
                             list<Trait> traits = []>
    : TG_Op<mnemonic, !listconcat(traits, [Pure,
          DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>])> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:`
    custom<BroadcastTypes>(type($lhs), type($rhs), type($result))
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$rhs), [{
      build($_builder, $_state,
            ::mlir::tg::inferBroadcastType(lhs.getType(), rhs.getType()), lhs, rhs);
    }]>
  ];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::tg::verifyBroadcastOp(getOperation());
    }
  }];
}

// Reductions over `axes`, keeping reduced dimensions as size 1 when `keepdim`.
class TG_ReduceOp<string mnemonic, Type operandType = TG_Tensor>
    : TG_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let arguments = (ins operandType:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdim);
  let results = (outs operandType:$result);
  let assemblyFormat = [{
    $input $axes (`keepdim` $keepdim^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::llvm::ArrayRef<int64_t>":$axes,
                   CArg<"bool", "false">:$keepdim), [{
      build($_builder, $_state,
            ::mlir::tg::inferReduceType(input.getType(), axes, keepdim),
            input, axes, keepdim);
    }]>
  ];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::verify() {
      return ::mlir::tg::verifyReduceOp(getOperation(), getAxes(), getKeepdim());
    }
  }];
}

#endif // TG_BASE_TD
