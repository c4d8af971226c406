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
    An optimizer consumed by `tg.train_step`: its hyperparameters, the state
    it keeps per parameter (one global per parameter and slot), and its
    update rule written as tg ops, so that the update fuses with the rest of
    the step like any other code.

    The update works in the state's element type: the parameter's for f32
    and f64 parameters, f32 for f16 and bf16 ones (`--tg-expand-train-step`
    casts the parameter and its gradient to it and the new parameter back).
  }];
  let methods = [
    InterfaceMethod<[{
        The per-parameter state slots, e.g. `exp_avg` and `exp_avg_sq`: their
        names (PyTorch's state keys, so checkpoints map onto
        `optimizer.state_dict()`), shapes and initial values.
      }],
      "::llvm::SmallVector<::mlir::tg::OptimizerStateSlot>", "getStateSlots">,
    InterfaceMethod<[{
        Builds the update of one parameter as tg ops: given the parameter,
        its gradient, its state (in getStateSlots order, at their initial
        values before the first step), all in the update's element type, and
        the step number (a tensor<i64>, 1 on the first step), returns the new
        parameter followed by the new state.
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

// An optimizer: `#tg.name<lr = ..., ...>` with its parameters in any order,
// those left out taking their defaults, and a verifier for their ranges.
class TG_OptimizerAttr<string name, string attrMnemonic>
    : TG_Attr<name, attrMnemonic,
              [DeclareAttrInterfaceMethods<TG_OptimizerAttrInterface>]> {
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def TG_SGDAttr : TG_OptimizerAttr<"SGD", "sgd"> {
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
}

def TG_AdamAttr : TG_OptimizerAttr<"Adam", "adam"> {
  let summary = "optimizer: Adam, with L2 weight decay and AMSGrad";
  let description = [{
    PyTorch's `torch.optim.Adam` (Kingma & Ba, 2015; AMSGrad: Reddi et al.,
    2018), at step t = 1, 2, ...:

    ```
    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    v_max = max(v_max, v)                  (amsgrad; the update uses v_max for v)
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
    ```

    Example: `#tg.adam<lr = 1.0e-3, beta2 = 0.98, amsgrad = true>`. State
    slots `exp_avg` (m), `exp_avg_sq` (v) and, with amsgrad,
    `max_exp_avg_sq` (v_max).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.9">:$beta1,
    TG_F64Parameter<"0.999">:$beta2,
    TG_F64Parameter<"1.0e-8">:$eps,
    TG_F64Parameter<"0.0">:$weight_decay,
    TG_BoolParameter<"false">:$amsgrad);
}

def TG_AdamWAttr : TG_OptimizerAttr<"AdamW", "adamw"> {
  let summary = "optimizer: Adam with decoupled weight decay";
  let description = [{
    PyTorch's `torch.optim.AdamW` (Loshchilov & Hutter, 2019): Adam whose
    weight decay shrinks the parameter directly instead of entering the
    gradient (and so the moment estimates):

    ```
    p = p * (1 - lr * weight_decay)
    m, v, v_max, p: as #tg.adam with weight_decay = 0
    ```

    Example: `#tg.adamw<lr = 1.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8,
    weight_decay = 1.0e-2>`. The same state slots as `#tg.adam`.
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.9">:$beta1,
    TG_F64Parameter<"0.999">:$beta2,
    TG_F64Parameter<"1.0e-8">:$eps,
    TG_F64Parameter<"1.0e-2">:$weight_decay,
    TG_BoolParameter<"false">:$amsgrad);
}

def TG_AdamaxAttr : TG_OptimizerAttr<"Adamax", "adamax"> {
  let summary = "optimizer: AdaMax, Adam with an infinity norm";
  let description = [{
    PyTorch's `torch.optim.Adamax` (Kingma & Ba, 2015, section 7.1), which
    adds eps inside the maximum:

    ```
    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    u = max(beta2 * u, |g| + eps)
    p = p - lr / (1 - beta1^t) * m / u
    ```

    Example: `#tg.adamax<lr = 2.0e-3>`. State slots `exp_avg` (m) and
    `exp_inf` (u).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.9">:$beta1,
    TG_F64Parameter<"0.999">:$beta2,
    TG_F64Parameter<"1.0e-8">:$eps,
    TG_F64Parameter<"0.0">:$weight_decay);
}

def TG_AdagradAttr : TG_OptimizerAttr<"Adagrad", "adagrad"> {
  let summary = "optimizer: Adagrad";
  let description = [{
    PyTorch's `torch.optim.Adagrad` (Duchi et al., 2011):

    ```
    g = grad + weight_decay * p
    s = s + g^2                     (s = initial_accumulator_value before step 1)
    p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    ```

    Example: `#tg.adagrad<lr = 0.01, initial_accumulator_value = 0.1>`. One
    state slot, `sum` (s).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.0">:$lr_decay,
    TG_F64Parameter<"0.0">:$weight_decay,
    TG_F64Parameter<"0.0">:$initial_accumulator_value,
    TG_F64Parameter<"1.0e-10">:$eps);
}

def TG_RMSpropAttr : TG_OptimizerAttr<"RMSprop", "rmsprop"> {
  let summary = "optimizer: RMSprop, with momentum and centering";
  let description = [{
    PyTorch's `torch.optim.RMSprop` (Hinton's lecture 6e; centered:
    Graves, 2013):

    ```
    g = grad + weight_decay * p
    v = alpha * v + (1 - alpha) * g^2
    a = alpha * a + (1 - alpha) * g          (centered)
    d = sqrt(centered ? v - a^2 : v) + eps
    b = momentum * b + g / d                 (momentum != 0)
    p = p - lr * (momentum != 0 ? b : g / d)
    ```

    Example: `#tg.rmsprop<lr = 0.01, momentum = 0.9, centered = true>`.
    State slots `square_avg` (v), `momentum_buffer` (b, with momentum) and
    `grad_avg` (a, when centered).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.99">:$alpha,
    TG_F64Parameter<"1.0e-8">:$eps,
    TG_F64Parameter<"0.0">:$weight_decay,
    TG_F64Parameter<"0.0">:$momentum,
    TG_BoolParameter<"false">:$centered);
}

def TG_LionAttr : TG_OptimizerAttr<"Lion", "lion"> {
  let summary = "optimizer: Lion (evolved sign momentum)";
  let description = [{
    Lion (Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023,
    Program 1), with decoupled weight decay:

    ```
    c = beta1 * m + (1 - beta1) * g
    p = p * (1 - lr * weight_decay) - lr * sign(c)
    m = beta2 * m + (1 - beta2) * g
    ```

    The paper suggests a learning rate 3-10x smaller than AdamW's and a
    weight decay 3-10x larger. Example: `#tg.lion<lr = 1.0e-4,
    weight_decay = 0.1>`. One state slot, `exp_avg` (m).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.9">:$beta1,
    TG_F64Parameter<"0.99">:$beta2,
    TG_F64Parameter<"0.0">:$weight_decay);
}

def TG_NAdamAttr : TG_OptimizerAttr<"NAdam", "nadam"> {
  let summary = "optimizer: NAdam, Adam with Nesterov momentum";
  let description = [{
    PyTorch's `torch.optim.NAdam` (Dozat, 2016), with momentum decay psi =
    momentum_decay:

    ```
    mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi))
    P = P * mu_t                                 (P = 1 before step 1)
    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    d = sqrt(v) / sqrt(1 - beta2^t) + eps
    p = p - lr * (1 - mu_t) / (1 - P) * g / d
          - lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d
    ```

    This is the paper's rule, and PyTorch's since 2.0; the default
    (single-tensor) path of PyTorch 1.13 multiplies by mu_t once more in the
    last denominator. Example: `#tg.nadam<lr = 2.0e-3>`. State slots
    `exp_avg` (m), `exp_avg_sq` (v) and the scalar `mu_product` (P).
  }];
  let parameters = (ins
    TG_F64Parameter<>:$lr,
    TG_F64Parameter<"0.9">:$beta1,
    TG_F64Parameter<"0.999">:$beta2,
    TG_F64Parameter<"1.0e-8">:$eps,
    TG_F64Parameter<"0.0">:$weight_decay,
    TG_F64Parameter<"4.0e-3">:$momentum_decay);
}

#endif // TG_ATTRIBUTES_TD
