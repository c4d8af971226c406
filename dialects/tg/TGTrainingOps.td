//===- TGTrainingOps.td - train steps ------------------------*- tablegen -*-===//

#ifndef TG_TRAINING_OPS_TD
#define TG_TRAINING_OPS_TD

include "TGBase.td"
include "TGAttributes.td"
include "mlir/IR/SymbolInterfaces.td"

def TG_OptimizerAttr : Attr<
    CPred<"::llvm::isa<::mlir::tg::OptimizerAttrInterface>($_self)">,
    "optimizer attribute"> {
  let storageType = "::mlir::tg::OptimizerAttrInterface";
  let returnType = "::mlir::tg::OptimizerAttrInterface";
  let convertFromStorage = "$_self";
}

def TG_GradientTransformAttr : Attr<
    CPred<"::llvm::isa<::mlir::tg::GradientTransformAttrInterface>($_self)">,
    "gradient transform attribute"> {
  let storageType = "::mlir::tg::GradientTransformAttrInterface";
  let returnType = "::mlir::tg::GradientTransformAttrInterface";
  let convertFromStorage = "$_self";
}

def TG_GradientTransformArrayAttr
    : TypedArrayAttrBase<TG_GradientTransformAttr,
                         "array of gradient transform attributes">;

def TG_TrainStepOp : TG_Op<"train_step", [
    Symbol, HasParent<"::mlir::ModuleOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "one optimizer step on the loss of a batch";
  let description = [{
    Declares a training step named `sym_name`: it evaluates the function
    `loss` on a batch (the function's arguments), differentiates the scalar
    loss with respect to the trainable parameters, and updates them with
    `optimizer`, keeping the optimizer's per-parameter state in new globals.

    The trainable parameters are `params` when given, otherwise every
    mutable float `ml_program.global` that `loss` loads, directly or through
    the functions it calls, except those it also stores to: such globals
    (`tg.batch_norm`'s running statistics) are state that the step updates
    without differentiating it. Each must have an initializer attribute
    (`#tg.zeros`, `#tg.normal<std = 0.02>`, `#tg.kaiming_uniform`...).

    ```mlir
    tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
    tg.train_step @finetune loss @loss params [@w2, @b2] optimizer #tg.sgd<lr = 0.01>
    ```

    `transforms [...]` is a chain of gradient transforms
    (GradientTransformAttrInterface) applied in order between the gradient
    and the update: clipping, Grokfast, Fira's limiter, decoupled weight
    decay.

    ```mlir
    tg.train_step @s loss @loss optimizer #tg.adam<lr = 1.0e-3> transforms [#tg.clip_global_norm<max_norm = 1.0>, #tg.grokfast]
    ```

    `--tg-expand-train-step` turns it into a function.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, FlatSymbolRefAttr:$loss,
                       OptionalAttr<FlatSymbolRefArrayAttr>:$params,
                       TG_OptimizerAttr:$optimizer,
                       OptionalAttr<TG_GradientTransformArrayAttr>:$transforms);
  let assemblyFormat = [{
    $sym_name `loss` $loss (`params` $params^)? `optimizer` $optimizer
    (`transforms` $transforms^)? attr-dict
  }];
  let extraClassDeclaration = [{
    /// The globals this step trains: `params` or, when absent, the mutable
    /// float globals reachable from the loss function. Empty on failure.
    ::llvm::SmallVector<::mlir::ml_program::GlobalOp>
    getTrainableGlobals(::mlir::SymbolTableCollection &symbolTable);
  }];
}

#endif // TG_TRAINING_OPS_TD
