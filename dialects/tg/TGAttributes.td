//===- TGAttributes.td - initializer and optimizer attributes -*- tablegen -*-===//

#ifndef TG_ATTRIBUTES_TD
#define TG_ATTRIBUTES_TD

include "TGBase.td"

//===----------------------------------------------------------------------===//
// Interfaces
//===----------------------------------------------------------------------===//

def TG_InitializerAttrInterface : AttrInterface<"InitializerAttrInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    The initial value of a parameter or state global, given as a rule rather
    than as data: `ml_program.global private mutable @w(#tg.normal<std = 0.02>)
    : tensor<512x784xf32>`. Fans follow PyTorch: for a weight of shape
    [out, in, k...], fan_in = in * prod(k) and fan_out = out * prod(k).
  }];
  let methods = [
    InterfaceMethod<
      "Checks that this initializer can produce a value of `type`.",
      "::llvm::LogicalResult", "verifyType",
      (ins "::mlir::ShapedType":$type,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError),
      [{}], [{ return ::llvm::success(); }]>,
    InterfaceMethod<[{
        What this initializer draws for a global of `type` (already
        verified): a constant, a uniform or a normal distribution. The
        interpreter and the generated init function both start from it.
      }],
      "::mlir::tg::InitialDistribution", "getDistribution",
      (ins "::mlir::ShapedType":$type)>
  ];
}

def TG_OptimizerAttrInterface : AttrInterface<"OptimizerAttrInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    An optimizer consumed by `tg.train_step`: its hyperparameters and the
    per-parameter state slots it keeps (one global per parameter and slot).
  }];
  let methods = [
    InterfaceMethod<
      "Names of the per-parameter state slots, e.g. `momentum_buffer`.",
      "::llvm::SmallVector<::llvm::StringRef>", "getStateSlotNames">,
    InterfaceMethod<[{
        Builds the update of one parameter as tg ops: given the parameter,
        its gradient, its state slots (in getStateSlotNames order, zeros
        before the first step) and the step number (a tensor<i64>, 1 on the
        first step), returns the new parameter followed by the new state.
      }],
      "::llvm::SmallVector<::mlir::Value>", "buildUpdate",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$state, "::mlir::Value":$step)>
  ];
}

// An f64 number written plainly: `lr = 0.05`.
class TG_F64Parameter<string default = "">
    : AttrOrTypeParameter<"::llvm::APFloat", "a number"> {
  let parser = [{ [&]() -> ::mlir::FailureOr<::llvm::APFloat> {
    double value;
    if (::mlir::failed($_parser.parseFloat(value)))
      return ::mlir::failure();
    return ::llvm::APFloat(value);
  }() }];
  let printer = [{ ::mlir::tg::printShortestFloat($_printer, $_self); }];
  let comparator = "$_lhs.bitwiseIsEqual($_rhs)";
  let defaultValue = !if(!empty(default), "", "::llvm::APFloat(" # default # ")");
}

// A flag written `true` or `false`.
class TG_BoolParameter<string default = ""> : AttrOrTypeParameter<"bool", "true or false"> {
  let parser = [{ ::mlir::tg::parseBoolKeyword($_parser) }];
  let printer = [{ $_printer << ($_self ? "true" : "false"); }];
  let defaultValue = default;
}

class TG_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TG_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Initializers
//===----------------------------------------------------------------------===//

class TG_InitAttr<string name, string attrMnemonic,
                  list<string> overrides = ["verifyType"]>
    : TG_Attr<name, attrMnemonic,
              [DeclareAttrInterfaceMethods<TG_InitializerAttrInterface, overrides>]>;

def TG_ZerosAttr : TG_InitAttr<"Zeros", "zeros", []> {
  let summary = "initializer: all zeros";
}

def TG_OnesAttr : TG_InitAttr<"Ones", "ones", []> {
  let summary = "initializer: all ones";
}

def TG_ConstantInitAttr : TG_InitAttr<"ConstantInit", "constant"> {
  let summary = "initializer: every element equal to `value`";
  let parameters = (ins TG_F64Parameter<>:$value);
  let assemblyFormat = "`<` $value `>`";
}

def TG_NormalAttr : TG_InitAttr<"Normal", "normal"> {
  let summary = "initializer: i.i.d. normal(mean, std)";
  let parameters = (ins TG_F64Parameter<>:$std,
                        TG_F64Parameter<"0.0">:$mean);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def TG_UniformAttr : TG_InitAttr<"Uniform", "uniform"> {
  let summary = "initializer: i.i.d. uniform on [low, high)";
  let parameters = (ins TG_F64Parameter<>:$low, TG_F64Parameter<>:$high);
  let assemblyFormat = "`<` $low `,` $high `>`";
  let genVerifyDecl = 1;
}

class TG_FanInitAttr<string name, string attrMnemonic, string formula>
    : TG_InitAttr<name, attrMnemonic> {
  let description = formula # [{

    Needs a rank of at least 2 (the fans are read from the shape).
  }];
}

def TG_KaimingUniformAttr : TG_FanInitAttr<"KaimingUniform", "kaiming_uniform", [{
    He initialization, uniform on [-b, b] with
    b = sqrt(2 / (1 + a^2)) * sqrt(3 / fan), fan chosen by `mode`. PyTorch's
    default for `nn.Linear` weights is `#tg.kaiming_uniform<a = 2.2360679>`
    (a = sqrt(5)), which gives b = 1 / sqrt(fan_in).
  }]> {
  let summary = "initializer: Kaiming (He) uniform";
  let parameters = (ins
    TG_F64Parameter<"0.0">:$a,
    DefaultValuedParameter<"::mlir::tg::FanMode", "::mlir::tg::FanMode::fan_in">:$mode);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_KaimingNormalAttr : TG_FanInitAttr<"KaimingNormal", "kaiming_normal", [{
    He initialization, normal with mean 0 and
    std = sqrt(2 / (1 + a^2)) / sqrt(fan), fan chosen by `mode`.
  }]> {
  let summary = "initializer: Kaiming (He) normal";
  let parameters = (ins
    TG_F64Parameter<"0.0">:$a,
    DefaultValuedParameter<"::mlir::tg::FanMode", "::mlir::tg::FanMode::fan_in">:$mode);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_XavierUniformAttr : TG_FanInitAttr<"XavierUniform", "xavier_uniform", [{
    Glorot initialization, uniform on [-b, b] with
    b = gain * sqrt(6 / (fan_in + fan_out)).
  }]> {
  let summary = "initializer: Xavier (Glorot) uniform";
  let parameters = (ins
    TG_F64Parameter<"1.0">:$gain);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let genVerifyDecl = 1;
}

def TG_XavierNormalAttr : TG_FanInitAttr<"XavierNormal", "xavier_normal", [{
    Glorot initialization, normal with mean 0 and
    std = gain * sqrt(2 / (fan_in + fan_out)).
  }]> {
  let summary = "initializer: Xavier (Glorot) normal";
  let parameters = (ins
    TG_F64Parameter<"1.0">:$gain);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

def TG_SGDAttr : TG_Attr<"SGD", "sgd",
                         [DeclareAttrInterfaceMethods<TG_OptimizerAttrInterface>]> {
  let summary = "optimizer: stochastic gradient descent with momentum";
  let description = [{
    PyTorch's `torch.optim.SGD` (dampening 0):

    ```
    g = grad + weight_decay * p
    b = momentum * b + g            (b = g on the first step)
    g = nesterov ? g + momentum * b : b      (when momentum != 0)
    p = p - lr * g
    ```

    Example: `#tg.sgd<lr = 0.05, momentum = 0.9>`. Keeps one state slot,
    `momentum_buffer`, when momentum is not zero.
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.0">:$momentum,
    TG_BoolParameter<"false">:$nesterov,
    TG_F64Parameter<"0.0">:$weight_decay);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // TG_ATTRIBUTES_TD
