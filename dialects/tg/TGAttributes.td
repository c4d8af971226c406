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
    it keeps per parameter (one global per parameter and slot) and shared by
    all parameters, and its update rule written as tg ops, so that the
    update fuses with the rest of the step like any other code.

    One step runs in three phases. Optimizers that need a quantity over all
    parameters (a global norm, a distance travelled) first build per-
    parameter statistics, which the train step sums over the parameters.
    Then every parameter is updated (given the shared state as it was before
    the step, and the sums), and last the shared state.

    The per-parameter update works in the state's element type: the
    parameter's for f32 and f64 parameters, f32 for f16 and bf16 ones
    (`--tg-expand-train-step` casts the parameter and its gradient to it and
    the new parameter back). Shared state and statistics are f64 scalars.
  }];
  let methods = [
    InterfaceMethod<[{
        The per-parameter state slots, e.g. `exp_avg` and `exp_avg_sq`: their
        names (PyTorch's state keys, so checkpoints map onto
        `optimizer.state_dict()`), shapes and initial values.
      }],
      "::llvm::SmallVector<::mlir::tg::OptimizerStateSlot>", "getStateSlots">,
    InterfaceMethod<[{
        The state shared by all parameters: f64 scalars kept in globals
        `@<train_step>_<name>` (e.g. D-Adaptation's distance estimate `d`).
      }],
      "::llvm::SmallVector<::mlir::tg::OptimizerStateSlot>",
      "getSharedStateSlots", (ins), [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        Rank-0 f64 values computed from one parameter, which the train step
        sums over all parameters before any update (e.g. the squared norm of
        the gradient). None by default.
      }],
      "::llvm::SmallVector<::mlir::Value>", "buildStatistics",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$state, "::mlir::ValueRange":$shared,
           "::mlir::Value":$step),
      [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        For optimizers that precondition with the Hessian's diagonal
        (AdaHessian): the probe z of Hutchinson's estimate D = z * (H z) for
        one parameter, of the parameter's type `type`, given the step
        (tensor<i64>, 1 on the first) and the parameter's global's name
        (which keys random streams); a probe for every parameter or for
        none. The train step then takes H z for all parameters at once
        (tg.jvp of the gradient along the probes, with respect to the
        parameters' globals) and passes D to buildUpdate. Null (the
        default): no Hessian, and buildUpdate gets a null D.
      }],
      "::mlir::Value", "buildHessianProbe",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::RankedTensorType":$type, "::mlir::Value":$step,
           "::llvm::StringRef":$name),
      [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        Builds the update of one parameter as tg ops: given the parameter,
        its gradient, its state (in getStateSlots order, at their initial
        values before the first step), the shared state before this step,
        the summed statistics, the step number (a tensor<i64>, 1 on the
        first step) and the Hessian diagonal's estimate (null unless
        buildHessianProbe gives a probe), returns the new parameter followed
        by the new state.
      }],
      "::llvm::SmallVector<::mlir::Value>", "buildUpdate",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$state, "::mlir::ValueRange":$shared,
           "::mlir::ValueRange":$sums, "::mlir::Value":$step,
           "::mlir::Value":$hessianDiagonal)>,
    InterfaceMethod<[{
        For optimizers whose parameter holds another point than the one to
        evaluate the model at (Schedule-Free: y, where gradients are taken,
        and the average x): one parameter's evaluation view computed from
        its training value (`toEval`), or its training value from the
        evaluation view (`!toEval`), given its state and the step counter
        (tensor<i64>, 0 before the first step). The train step builds
        `@<step>_eval_view` and `@<step>_train_view` from it, which the
        runtime calls around evaluations and checkpoints. Null (the default)
        for optimizers that evaluate where they train.
      }],
      "::mlir::Value", "buildParameterView",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::ValueRange":$state,
           "::mlir::Value":$step, "bool":$toEval),
      [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        The new shared state, from the old one and the summed statistics.
        Unchanged by default.
      }],
      "::llvm::SmallVector<::mlir::Value>", "buildSharedUpdate",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$shared, "::mlir::ValueRange":$sums,
           "::mlir::Value":$step),
      [{}], [{ return ::llvm::SmallVector<::mlir::Value>(shared); }]>
  ];
}

def TG_ScheduleAttrInterface : AttrInterface<"ScheduleAttrInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    A value that changes with the step, for any scalar hyperparameter of an
    optimizer or gradient transform: `#tg.adamw<lr = #tg.cosine<peak =
    1.0e-3, warmup = 100, total = 1000>>`. The update computes it from the
    step counter as f64 tg ops, so that the schedule fuses with the update
    and a restarted run continues it from the checkpointed counter.

    Schedules are functions of s = t - 1, the number of steps taken before
    this one, as PyTorch's `lr_scheduler` counts `last_epoch`.
  }];
  let methods = [
    InterfaceMethod<[{
        The value at step `t` (a rank-0 f64 tensor, 1 on the first step),
        as a rank-0 f64 tensor.
      }],
      "::mlir::Value", "buildValue",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$t)>,
    InterfaceMethod<[{
        The values the schedule starts, peaks and ends at; it stays between
        the least and the greatest, which is what range checks test.
      }],
      "::llvm::SmallVector<double>", "getRangeEnds">
  ];
}

def TG_GradientTransformAttrInterface
    : AttrInterface<"GradientTransformAttrInterface"> {
  let cppNamespace = "::mlir::tg";
  let description = [{
    A step of the chain that a train step applies to the gradients before
    the optimizer's update: `tg.train_step @s loss @f optimizer #tg.adam<...>
    transforms [#tg.clip_global_norm<max_norm = 1.0>, #tg.grokfast]`. Each
    transform runs like an optimizer, in phases: per-parameter statistics
    summed over all parameters (a global norm), then per parameter the new
    gradient (and, for decoupled weight decay, the new parameter) and
    state, then the shared state. The next transform sees its output.
    State and precision follow OptimizerAttrInterface: per-parameter state
    in globals `@<param>_<slot>`, in the update's element type.
  }];
  let methods = [
    InterfaceMethod<"The per-parameter state slots (none by default).",
      "::llvm::SmallVector<::mlir::tg::OptimizerStateSlot>", "getStateSlots",
      (ins), [{}], [{ return {}; }]>,
    InterfaceMethod<"Rank-0 f64 values of one parameter, summed over all "
                    "parameters before any transform of this step.",
      "::llvm::SmallVector<::mlir::Value>", "buildStatistics",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$state, "::mlir::Value":$step),
      [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        For transforms that take the gradient at another point (SAM): the
        point for this parameter, of its update type, given the statistics.
        The step then evaluates the loss's gradient there once, with every
        parameter at its point, and that gradient replaces the one so far
        before buildTransform. Null (the default) for the others.
      }],
      "::mlir::Value", "buildGradientPoint",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$sums, "::mlir::Value":$step),
      [{}], [{ return {}; }]>,
    InterfaceMethod<[{
        The transform of one parameter's gradient: given the parameter, the
        gradient so far, the state (initial values before the first step),
        the summed statistics, the step (tensor<i64>, 1 on the first) and
        the parameter's global's name (which keys random streams), returns
        the parameter (itself unless the transform changes it), the new
        gradient, then the new state.
      }],
      "::llvm::SmallVector<::mlir::Value>", "buildTransform",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$param, "::mlir::Value":$grad,
           "::mlir::ValueRange":$state, "::mlir::ValueRange":$sums,
           "::mlir::Value":$step, "::llvm::StringRef":$name)>
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

// A hyperparameter: a number, or a schedule attribute evaluated at every
// step (`lr = #tg.cosine<peak = 1.0e-3, total = 1000>`).
class TG_HyperParameter<string default = "">
    : AttrOrTypeParameter<"::mlir::tg::Hyperparameter", "a number or a schedule"> {
  let parser = [{ ::mlir::tg::parseHyperparameter($_parser) }];
  let printer = [{ ::mlir::tg::printHyperparameter($_printer, $_self); }];
  let defaultValue = !if(!empty(default), "",
                         "::mlir::tg::Hyperparameter(::llvm::APFloat(" # default # "))");
}

// A flag written `true` or `false`.
class TG_BoolParameter<string default = ""> : AttrOrTypeParameter<"bool", "true or false"> {
  let parser = [{ ::mlir::tg::parseBoolKeyword($_parser) }];
  let printer = [{ $_printer << ($_self ? "true" : "false"); }];
  let defaultValue = default;
}

// A count of steps written as an integer: `warmup_steps = 1000`.
class TG_StepsParameter<string default>
    : AttrOrTypeParameter<"int64_t", "a number of steps"> {
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
class TG_OptimizerAttr<string name, string attrMnemonic,
                       list<string> overrides = []>
    : TG_Attr<name, attrMnemonic,
              [DeclareAttrInterfaceMethods<TG_OptimizerAttrInterface, overrides>]> {
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.0">:$momentum,
    TG_BoolParameter<"false">:$nesterov,
    TG_HyperParameter<"0.0">:$weight_decay);
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"1.0e-2">:$weight_decay,
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay);
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.0">:$lr_decay,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_HyperParameter<"0.0">:$initial_accumulator_value,
    TG_HyperParameter<"1.0e-10">:$eps);
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.99">:$alpha,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_HyperParameter<"0.0">:$momentum,
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.99">:$beta2,
    TG_HyperParameter<"0.0">:$weight_decay);
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
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_HyperParameter<"4.0e-3">:$momentum_decay);
}

def TG_DiffGradAttr : TG_OptimizerAttr<"DiffGrad", "diffgrad"> {
  let summary = "optimizer: diffGrad, Adam damped where the gradient is steady";
  let description = [{
    diffGrad (Dubey et al., "diffGrad: An Optimization Method for
    Convolutional Neural Networks", IEEE TNNLS 2020), as the authors'
    `diffGrad_v2.py`: Adam whose first moment is scaled per element by a
    friction coefficient xi in [0.5, 1) that grows with the change of the
    gradient since the previous step:

    ```
    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    xi = 1 / (1 + exp(-|g_prev - g|))           (g_prev = 0 before step 1)
    g_prev = g
    p = p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * xi * m / (sqrt(v) + eps)
    ```

    eps sits outside the bias correction, as in the authors' code (the
    paper writes m_hat / (sqrt(v_hat) + eps), which scales eps by
    sqrt(1 - beta2^t)). Example: `#tg.diffgrad<lr = 1.0e-3>`. State slots
    `exp_avg`, `exp_avg_sq` and `previous_grad`.
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay);
}

def TG_AdaBoundAttr : TG_OptimizerAttr<"AdaBound", "adabound"> {
  let summary = "optimizer: AdaBound, Adam with step sizes clipped toward SGD's";
  let description = [{
    AdaBound and AMSBound (Luo et al., "Adaptive Gradient Methods with
    Dynamic Bound of Learning Rate", ICLR 2019), as the authors' `adabound`
    package: each element's Adam step size is clipped into bounds that both
    tend to final_lr, so the method moves from Adam toward SGD:

    ```
    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    v_max = max(v_max, v)                    (amsbound; used for v)
    low = final_lr * (1 - 1 / (gamma * t + 1))
    high = final_lr * (1 + 1 / (gamma * t))
    eta = clip(lr * sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v) + eps), low, high)
    p = p - eta * m
    ```

    Algorithm 2 of the paper also divides eta by sqrt(t) for its regret
    bound; the authors' implementation, used in the paper's experiments,
    does not. Example: `#tg.adabound<lr = 1.0e-3, final_lr = 0.1>`. State
    slots `exp_avg`, `exp_avg_sq` and, with amsbound, `max_exp_avg_sq`.
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"0.1">:$final_lr,
    TG_HyperParameter<"1.0e-3">:$gamma,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_BoolParameter<"false">:$amsbound);
}

def TG_AdaModAttr : TG_OptimizerAttr<"AdaMod", "adamod"> {
  let summary = "optimizer: AdaMod, Adam with step sizes capped by their average";
  let description = [{
    AdaMod (Ding et al., "An Adaptive and Momental Bound Method for
    Stochastic Learning", 2019), as the authors' `adamod` package: each
    element's Adam step size is capped by an exponential moving average of
    its own past values, which tames the large steps of the first
    iterations. Weight decay is decoupled:

    ```
    p = p - lr * weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    eta = lr * sqrt(1 - beta2^t) / (1 - beta1^t) / (sqrt(v) + eps)
    s = beta3 * s + (1 - beta3) * eta
    p = p - min(eta, s) * m
    ```

    Example: `#tg.adamod<lr = 1.0e-3, beta3 = 0.9999>`. State slots
    `exp_avg`, `exp_avg_sq` and `exp_avg_lr` (s).
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"0.999">:$beta3,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay);
}

def TG_GramsAttr : TG_OptimizerAttr<"Grams", "grams"> {
  let summary = "optimizer: Grams, Adam's step size along the gradient's sign";
  let description = [{
    Grams (Cao, Li and Song, "Grams: Gradient Descent with Adaptive Momentum
    Scaling", 2024, Algorithm 1): the magnitude of each element's step comes
    from Adam, its direction from the current gradient, with decoupled
    weight decay:

    ```
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)
    p = p - lr * (sign(g) * |u| + weight_decay * p)
    ```

    Example: `#tg.grams<lr = 1.0e-3, weight_decay = 0.1>`. State slots
    `exp_avg` and `exp_avg_sq`.
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay);
}

def TG_AdEMAMixAttr : TG_OptimizerAttr<"AdEMAMix", "ademamix"> {
  let summary = "optimizer: AdEMAMix, Adam plus a slow moving average";
  let description = [{
    AdEMAMix (Pagliardini, Ablin and Grangier, "The AdEMAMix Optimizer:
    Better, Faster, Older", 2024), as the authors' PyTorch code: Adam's fast
    first moment plus alpha times a slow one (beta3 close to 1), with
    AdamW's decoupled weight decay:

    ```
    m1 = beta1 * m1 + (1 - beta1) * g
    m2 = beta3(t) * m2 + (1 - beta3(t)) * g
    v = beta2 * v + (1 - beta2) * g^2
    p = p - lr * ((m1 / (1 - beta1^t) + alpha(t) * m2)
                  / (sqrt(v) / sqrt(1 - beta2^t) + eps) + weight_decay * p)
    ```

    Both coefficients of the slow average warm up when a warm-up length is
    given (0: none): alpha(t) = alpha * t / alpha_warmup, linear, and beta3
    moves from beta1 to beta3 linearly in half-life,
    beta3(t) = 0.5^(1 / (h + 1)) with h = (1 - a) * f(beta1) + a * f(beta3),
    a = t / beta3_warmup and f(b) = ln(0.5) / ln(b + 1e-8) - 1; both hold
    their final value from the end of the warm-up on. Example:
    `#tg.ademamix<lr = 1.0e-3, alpha = 5.0, beta3_warmup = 10000,
    alpha_warmup = 10000>`. State slots `exp_avg_fast` (m1),
    `exp_avg_slow` (m2) and `exp_avg_sq` (v).
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"0.9999">:$beta3,
    TG_HyperParameter<"2.0">:$alpha,
    TG_StepsParameter<"0">:$beta3_warmup,
    TG_StepsParameter<"0">:$alpha_warmup,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay);
}

def TG_ScheduleFreeAdamWAttr
    : TG_OptimizerAttr<"ScheduleFreeAdamW", "schedule_free_adamw",
                       ["getSharedStateSlots", "buildSharedUpdate",
                        "buildParameterView"]> {
  let summary = "optimizer: Schedule-Free AdamW, no learning-rate schedule";
  let description = [{
    Schedule-Free AdamW (Defazio et al., "The Road Less Scheduled", 2024,
    Algorithm 1), as the authors' `AdamWScheduleFree`. It keeps a base
    sequence z and an average x of it, and takes gradients at their
    interpolation y = (1 - beta1) z + beta1 x, which is what the parameter
    holds during training:

    ```
    gamma_t = lr * min(1, t / warmup_steps) * sqrt(1 - beta2^t)
    W = W + t^r * gamma_t^weight_lr_power;  c = t^r * gamma_t^weight_lr_power / W
    v = beta2 * v + (1 - beta2) * g^2
    d = g / (sqrt(v) + eps) + weight_decay * y
    y = lerp(y, z, c) + gamma_t * (beta1 * (1 - c) - 1) * d
    z = z - gamma_t * d
    ```

    z starts at the parameter's value on the first step. The point to
    evaluate the model at is x = y + (1 - 1/beta1) (z - y): a train step
    leaves y in the parameter, and the step's `@<step>_eval_view` and
    `@<step>_train_view` swap x in and back, as `AdamWScheduleFree.eval()`
    and `.train()` do (y = x + (1 - beta1) (z - x)); the runtime evaluates
    and writes checkpoints in the eval view. gamma_t never decreases, so it
    is also the running maximum that the authors' code uses. Example:
    `#tg.schedule_free_adamw<lr = 2.5e-3, warmup_steps = 100>`. State slots
    `z` and `exp_avg_sq`, and the shared `weight_sum` (W).
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_StepsParameter<"0">:$warmup_steps,
    TG_HyperParameter<"0.0">:$r,
    TG_HyperParameter<"2.0">:$weight_lr_power);
}

def TG_AdaHessianAttr
    : TG_OptimizerAttr<"AdaHessian", "adahessian", ["buildHessianProbe"]> {
  let summary = "optimizer: AdaHessian, Adam with the Hessian's diagonal";
  let description = [{
    AdaHessian (Yao et al., "ADAHESSIAN: An Adaptive Second Order Optimizer
    for Machine Learning", AAAI 2021), as `timm.optim.Adahessian`: Adam
    whose second moment averages the square of Hutchinson's estimate of the
    Hessian's diagonal instead of the squared gradient.

    ```
    z = Rademacher (+-1), a fresh draw per step and parameter
    D = z * (H z)                           (H z: forward-over-reverse)
    p = p * (1 - lr * weight_decay)
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * D * D
    p = p - lr / (1 - beta1^t) * m / ((v / (1 - beta2^t))^(k/2) + eps)
    ```

    k is `hessian_power` (1: the full Newton-like scaling; 0.5 halves the
    exponent). The paper averages |D| over each convolution kernel's
    spatial block (dims 2 and up of a rank-4 weight), as tgc does for
    parameters of rank 3 or more; for vectors and matrices the block is
    one element. The
    probes come from Philox keyed by `seed`, on the parameter's own stream
    (`tgc::philoxStreamForName`) at 3 * 2^30 + (t - 1) * ceil(n / 4):
    element i is +1 when bit 31 of lane i % 4 of block i / 4 is set, so a
    run is reproducible and a resumed run draws what the uninterrupted one
    would have. A step costs about two gradients (the jvp of the backward
    pass). Example: `#tg.adahessian<lr = 0.15, weight_decay = 5.0e-4>`.
    State slots `exp_avg` and `exp_hessian_diag_sq`.
  }];
  let parameters = (ins
    TG_HyperParameter<>:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_HyperParameter<"1.0">:$hessian_power,
    TG_StepsParameter<"0">:$seed);
}

def TG_DoGAttr
    : TG_OptimizerAttr<"DoG", "dog",
                       ["getSharedStateSlots", "buildStatistics", "buildSharedUpdate"]> {
  let summary = "optimizer: DoG, distance over gradients (learning-rate free)";
  let description = [{
    DoG and L-DoG (Ivgi, Hinder and Carmon, "DoG is SGD's Best Friend: A
    Parameter-Free Dynamic Step Size Schedule", ICML 2023), as the authors'
    `dog` package: SGD whose step size is the largest distance travelled
    from the initial point over the root of the summed squared gradient
    norms, norms taken over all parameters together (or per parameter, for
    L-DoG with `layerwise = true`):

    ```
    g = grad + weight_decay * p
    r = t == 1 ? reps_rel * (1 + |x_0|) : max(r, |x - x_0|)
    G = G + |g|^2                            (G = eps before step 1)
    p = p - lr * r / sqrt(G) * g
    ```

    lr defaults to 1, the value the method is designed for. Example:
    `#tg.dog<reps_rel = 1.0e-6>`. State: the slot `x0` (the parameter's
    value before the first step), and `rbar` and `G` shared by all
    parameters, or per-parameter scalar slots with `layerwise`.
  }];
  // Every parameter has a default: `#tg.dog` alone is an optimizer.
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let parameters = (ins
    TG_HyperParameter<"1.0">:$lr,
    TG_HyperParameter<"1.0e-6">:$reps_rel,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_BoolParameter<"false">:$layerwise);
}

def TG_DAdaptAdamAttr
    : TG_OptimizerAttr<"DAdaptAdam", "dadapt_adam",
                       ["getSharedStateSlots", "buildStatistics", "buildSharedUpdate"]> {
  let summary = "optimizer: D-Adaptation Adam (learning-rate free)";
  let description = [{
    D-Adaptation for Adam (Defazio and Mishchenko, "Learning-Rate-Free
    Learning by D-Adaptation", ICML 2023), as the authors' `DAdaptAdam`
    (version 3): Adam whose step size d * lr grows with a lower bound d on
    the distance to the solution, estimated from the gradients seen:

    ```
    g = grad + weight_decay * p                   (unless decouple)
    e = d * lr * (use_bias_correction ? sqrt(1 - beta2^t) / (1 - beta1^t) : 1)
    N = sqrt(beta2) * N + (1 - sqrt(beta2)) * e * sum(g * s / (sqrt(v) + eps))
    m = beta1 * m + e * (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    s = sqrt(beta2) * s + e * (1 - sqrt(beta2)) * g
    d = max(d, min(N / ((1 - sqrt(beta2)) * sum(|s|)), growth_rate * d))
    p = p - e * weight_decay * p                  (decouple)
    p = p - m / (sqrt(v) + eps)
    ```

    Sums run over all parameters; the dot product uses v before its
    update, the step the new m and v, and the new d serves from the next
    step on. lr defaults to 1, the value the method is designed for.
    Example: `#tg.dadapt_adam<decouple = true, weight_decay = 0.01>`. State
    slots `s`, `exp_avg` and `exp_avg_sq`, and the shared `d` and
    `numerator_weighted` (N).
  }];
  // Every parameter has a default: `#tg.dadapt_adam` alone is an optimizer.
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
  let parameters = (ins
    TG_HyperParameter<"1.0">:$lr,
    TG_HyperParameter<"0.9">:$beta1,
    TG_HyperParameter<"0.999">:$beta2,
    TG_HyperParameter<"1.0e-8">:$eps,
    TG_HyperParameter<"0.0">:$weight_decay,
    TG_BoolParameter<"false">:$decouple,
    TG_BoolParameter<"false">:$use_bias_correction,
    TG_HyperParameter<"1.0e-6">:$d0,
    TG_HyperParameter<"INFINITY">:$growth_rate);
}


//===----------------------------------------------------------------------===//
// Gradient transforms
//===----------------------------------------------------------------------===//

class TG_GradientTransformAttr<string name, string attrMnemonic,
                               list<string> overrides = []>
    : TG_Attr<name, attrMnemonic,
              [DeclareAttrInterfaceMethods<TG_GradientTransformAttrInterface,
                                           overrides>]> {
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def TG_ClipGlobalNormAttr
    : TG_GradientTransformAttr<"ClipGlobalNorm", "clip_global_norm",
                               ["buildStatistics"]> {
  let summary = "gradient transform: clip the norm over all parameters";
  let description = [{
    g *= min(1, max_norm / (|g| + 1e-6)), with |g| the Euclidean norm of all
    gradients together (Pascanu et al. 2013;
    `torch.nn.utils.clip_grad_norm_`). The squared norms are statistics, so
    every parameter is scaled by the same factor.
  }];
  let parameters = (ins TG_HyperParameter<>:$max_norm);
}

def TG_ClipNormAttr : TG_GradientTransformAttr<"ClipNorm", "clip_norm"> {
  let summary = "gradient transform: clip each parameter's gradient norm";
  let description = [{
    g *= min(1, max_norm / (|g| + 1e-6)) with |g| the norm of this
    parameter's gradient alone (`clip_grad_norm_` on one tensor).
  }];
  let parameters = (ins TG_HyperParameter<>:$max_norm);
}

def TG_ClipValueAttr : TG_GradientTransformAttr<"ClipValue", "clip_value"> {
  let summary = "gradient transform: clip every element to [-max, max]";
  let description = [{
    g = clamp(g, -max, max) (`torch.nn.utils.clip_grad_value_`).
  }];
  let parameters = (ins TG_HyperParameter<>:$max);
}

def TG_GrokfastAttr : TG_GradientTransformAttr<"Grokfast", "grokfast",
                                               ["getStateSlots"]> {
  let summary = "gradient transform: Grokfast, amplified slow gradients";
  let description = [{
    mu = alpha * mu + (1 - alpha) * g; g = g + lamb * mu (Lee et al. 2024,
    `gradfilter_ema`). mu starts at the first gradient, as the authors'
    code does. State: `grokfast_ema`.
  }];
  let parameters = (ins TG_HyperParameter<"0.98">:$alpha,
                        TG_HyperParameter<"2.0">:$lamb);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_FiraLimiterAttr : TG_GradientTransformAttr<"FiraLimiter", "fira_limiter",
                                                  ["getStateSlots"]> {
  let summary = "gradient transform: Fira's norm-growth limiter";
  let description = [{
    If |g| > gamma * n, g *= gamma * n / |g|, where n is the previous step's
    (limited) norm of this parameter's gradient; n = |g| after the step
    (Chen et al. 2024, "Fira", section 4.2): a gradient's norm grows by at
    most a factor gamma per step, which damps loss spikes. State:
    `fira_norm` (a scalar, 0 before the first step: no limit).
  }];
  let parameters = (ins TG_HyperParameter<"1.01">:$gamma);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_SAMAttr : TG_GradientTransformAttr<"SAM", "sam",
                                          ["buildStatistics", "buildGradientPoint"]> {
  let summary = "gradient transform: sharpness-aware minimization";
  let description = [{
    The gradient at w + rho * g / (|g| + 1e-12), with |g| the norm of all
    gradients together, replaces g (Foret et al. 2021, the first step of
    their Algorithm 1): one compiled step evaluates the gradient twice, and
    the optimizer updates the original weights with the second. The step
    returns the loss at w. Put it first in the chain, so that the ascent
    follows the raw gradient.
  }];
  let parameters = (ins TG_HyperParameter<"0.05">:$rho);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_GradNoiseAttr : TG_GradientTransformAttr<"GradNoise", "grad_noise"> {
  let summary = "gradient transform: annealed Gaussian gradient noise";
  let description = [{
    g += sigma_t * n, n standard normal, sigma_t^2 = eta / (1 + t)^gamma
    (Neelakantan et al. 2015), t the step (1 on the first). n is tg.random
    (Philox 4x32-10) keyed by `seed`, with a counter of the step inside the
    parameter's own stream (tgc::philoxStreamForName, upper half, beyond
    its initializer's draws), so every step and parameter draws afresh and
    a resumed run draws what the uninterrupted one would have.
  }];
  let parameters = (ins TG_HyperParameter<"0.01">:$eta,
                        TG_HyperParameter<"0.55">:$gamma,
                        TG_StepsParameter<"0">:$seed);
  let assemblyFormat = "(`<` struct(params)^ `>`)?";
}

def TG_DecoupledWeightDecayAttr
    : TG_GradientTransformAttr<"DecoupledWeightDecay", "decoupled_weight_decay"> {
  let summary = "gradient transform: decoupled weight decay";
  let description = [{
    p *= 1 - rate, before the optimizer's update and apart from the
    gradient (Loshchilov & Hutter 2019): `#tg.adam<lr = 1.0e-3>` after
    `#tg.decoupled_weight_decay<rate = 1.0e-4>` is AdamW with lr 1e-3 and
    weight decay 0.1. A scheduled rate follows a learning-rate schedule.
  }];
  let parameters = (ins TG_HyperParameter<>:$rate);
}

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

class TG_ScheduleAttr<string name, string attrMnemonic>
    : TG_Attr<name, attrMnemonic,
              [DeclareAttrInterfaceMethods<TG_ScheduleAttrInterface>]> {
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def TG_ConstantScheduleAttr : TG_ScheduleAttr<"ConstantSchedule", "constant_schedule"> {
  let summary = "schedule: a constant, scaled by `factor` for the first steps";
  let description = [{
    `value * factor` for s < `steps`, then `value`
    (`torch.optim.lr_scheduler.ConstantLR`).
  }];
  let parameters = (ins TG_F64Parameter<>:$value,
                        TG_F64Parameter<"1.0 / 3.0">:$factor,
                        TG_StepsParameter<"5">:$steps);
}

def TG_LinearWarmupAttr : TG_ScheduleAttr<"LinearWarmup", "linear_warmup"> {
  let summary = "schedule: linear warm-up to a constant";
  let description = [{
    From `start` at s = 0 linearly to `peak` at s = `warmup`, then `peak`
    (`torch.optim.lr_scheduler.LinearLR` with start_factor = start / peak).
  }];
  let parameters = (ins TG_F64Parameter<>:$peak, TG_StepsParameter<"">:$warmup,
                        TG_F64Parameter<"0.0">:$start);
}

def TG_CosineAttr : TG_ScheduleAttr<"Cosine", "cosine"> {
  let summary = "schedule: linear warm-up, then cosine decay to `final`";
  let description = [{
    peak * s / warmup for s < warmup, then
    final + (peak - final) * (1 + cos(pi * (s - warmup) / (total - warmup))) / 2
    until s = total, and `final` after (`CosineAnnealingLR` without warm-up;
    with it, Loshchilov & Hutter's SGDR cycle after Goyal et al.'s warm-up).
  }];
  let parameters = (ins TG_F64Parameter<>:$peak, TG_StepsParameter<"0">:$warmup,
                        TG_StepsParameter<"">:$total, TG_F64Parameter<"0.0">:$final);
}

def TG_LinearDecayAttr : TG_ScheduleAttr<"LinearDecay", "linear_decay"> {
  let summary = "schedule: linear warm-up, then linear decay to `final`";
  let description = [{
    peak * s / warmup for s < warmup, then linearly from `peak` to `final` at
    s = total, and `final` after (`LinearLR` without warm-up). Linear decay
    to zero is the last-iterate optimal schedule of Defazio et al. 2023.
  }];
  let parameters = (ins TG_F64Parameter<>:$peak, TG_StepsParameter<"0">:$warmup,
                        TG_StepsParameter<"">:$total, TG_F64Parameter<"0.0">:$final);
}

def TG_OneCycleAttr : TG_ScheduleAttr<"OneCycle", "one_cycle"> {
  let summary = "schedule: Smith's one-cycle policy (two cosine phases)";
  let description = [{
    As `torch.optim.lr_scheduler.OneCycleLR` (cosine annealing, two phases):
    from peak / div_factor up to `peak` over the first pct_start * total - 1
    steps, then down to peak / (div_factor * final_div_factor) at s =
    total - 1, each phase a half cosine.
  }];
  let parameters = (ins TG_F64Parameter<>:$peak, TG_StepsParameter<"">:$total,
                        TG_F64Parameter<"0.3">:$pct_start,
                        TG_F64Parameter<"25.0">:$div_factor,
                        TG_F64Parameter<"1.0e4">:$final_div_factor);
}

def TG_WSDAttr : TG_ScheduleAttr<"WSD", "wsd"> {
  let summary = "schedule: warm-up, stable, decay";
  let description = [{
    peak * s / warmup for s < warmup, `peak` until s = total - decay, then
    linearly to `final` at s = total (Hägele et al. 2024's linear cool-down
    of the warmup-stable-decay schedule of Hu et al. 2024): the stable phase
    can be extended without knowing the run's length in advance.
  }];
  let parameters = (ins TG_F64Parameter<>:$peak, TG_StepsParameter<"0">:$warmup,
                        TG_StepsParameter<"">:$total, TG_StepsParameter<"">:$decay,
                        TG_F64Parameter<"0.0">:$final);
}

#endif // TG_ATTRIBUTES_TD
