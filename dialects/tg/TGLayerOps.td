//===- TGLayerOps.td - composite layers and losses -----------*- tablegen -*-===//
//
// Each op here implements DecomposableOpInterface: its meaning is the core-op
// program that `decompose` builds (see LayerOps.cpp and LossOps.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TG_LAYER_OPS_TD
#define TG_LAYER_OPS_TD

include "TGBase.td"
include "TGInterfaces.td"

class TG_CompositeOp<string mnemonic, list<Trait> traits = []>
    : TG_Op<mnemonic, !listconcat(traits, [
          DeclareOpInterfaceMethods<TG_DecomposableOpInterface>])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layers
//===----------------------------------------------------------------------===//

def TG_LinearOp : TG_CompositeOp<"linear", [Pure]> {
  let summary = "affine layer: y = x W^T + b";
  let description = [{
    `input` is [..., in], `weight` is [out, in] (PyTorch's layout), the
    optional `bias` is [out]; the result is [..., out].

    ```mlir
    %h = tg.linear %x, %w1, %b1 : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
    %y = tg.linear %x, %w : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
    ```

    Decomposes to `tg.matmul ... transpose_rhs` and a broadcasting `tg.add`.
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$weight,
                       Optional<TG_FloatTensor>:$bias);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
}

def TG_LayerNormOp : TG_CompositeOp<"layer_norm", [Pure]> {
  let summary = "layer normalization over the last dimension";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * weight + bias`, with the
    mean and the biased variance taken over the last dimension D; `weight`
    and `bias` are [D].

    ```mlir
    %n = tg.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$weight,
                       TG_FloatTensor:$bias,
                       DefaultValuedAttr<F64Attr, "1.0e-05">:$epsilon);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias (`epsilon` $epsilon^)? attr-dict `:` type($input) `,`
    type($weight) `,` type($bias) `->` type($result)
  }];
}

def TG_RMSNormOp : TG_CompositeOp<"rms_norm", [Pure]> {
  let summary = "root-mean-square normalization over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * weight`, the mean over the last
    dimension D; `weight` is [D].

    ```mlir
    %n = tg.rms_norm %x, %g epsilon 1.0e-06 : tensor<16x128x256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$weight,
                       DefaultValuedAttr<F64Attr, "1.0e-06">:$epsilon);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`epsilon` $epsilon^)? attr-dict `:` type($input) `,`
    type($weight) `->` type($result)
  }];
}

def TG_BatchNormOp : TG_CompositeOp<"batch_norm", [Pure,
    AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["running_mean", "new_running_mean"]>,
    AllTypesMatch<["running_var", "new_running_var"]>]> {
  let summary = "batch normalization over every dimension but the channels";
  let description = [{
    `input` is [N, C, ...] (PyTorch's `BatchNorm1d` on [N, C] or [N, C, L],
    `BatchNorm2d` on [N, C, H, W]); `weight`, `bias`, `running_mean` and
    `running_var` are [C]. With `training`, the statistics are the batch's:
    per channel, the mean and the biased variance over all other dimensions
    (n elements), `y = (x - mean) / sqrt(var + epsilon) * weight + bias`, and
    the new running statistics are

    ```
    new_running_mean = (1 - momentum) * running_mean + momentum * mean
    new_running_var  = (1 - momentum) * running_var  + momentum * var * n / (n - 1)
    ```

    Without `training`, `y` normalizes by the running statistics, which are
    returned unchanged. Running statistics are state, not parameters: keep
    them in `ml_program.global`s that the loss function loads and stores the
    new values to (`tg.train_step` does not train a global that its loss
    function stores to). The running statistics get no gradient.

    ```mlir
    %y, %mean, %var = tg.batch_norm %x, %g, %b, %rm, %rv training momentum 0.1 epsilon 1.0e-05
        : tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
    ml_program.global_store @bn_running_mean = %mean : tensor<64xf32>
    ml_program.global_store @bn_running_var = %var : tensor<64xf32>
    ```

    Decomposing needs static shapes.
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$weight,
                       TG_FloatTensor:$bias, TG_FloatTensor:$running_mean,
                       TG_FloatTensor:$running_var, UnitAttr:$training,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum,
                       DefaultValuedAttr<F64Attr, "1.0e-05">:$epsilon);
  let results = (outs TG_FloatTensor:$result, TG_FloatTensor:$new_running_mean,
                      TG_FloatTensor:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var
    (`training` $training^)? (`momentum` $momentum^)? (`epsilon` $epsilon^)?
    attr-dict `:` type($input) `,` type($weight) `,` type($bias) `,`
    type($running_mean) `,` type($running_var)
  }];
}

def TG_FakeQuantOp : TG_CompositeOp<"fake_quant",
                                  [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "quantize and dequantize with a learnable scale (LSQ)";
  let description = [{
    Quantization-aware training: `y = round(clamp(x / s, Qn, Qp)) * s`, with
    `[Qn, Qp] = [-2^(bits-1), 2^(bits-1) - 1]`, or `[0, 2^bits - 1]` with
    `unsigned`. `bits` is in [2, 16]. The scale `s` is a scalar (per tensor)
    or, with `axis`, one per channel: a [C] tensor for the input's
    dimension `axis` of size C.

    Gradients are those of LSQ (Esser et al. 2020, "Learned Step Size
    Quantization"): the rounding passes the gradient straight through, so
    `dy/dx` is 1 where `Qn <= x/s <= Qp` and 0 elsewhere, and
    `dy/ds = round(x/s) - x/s` inside, `Qn` or `Qp` outside, times the
    gradient scale `grad_scale`, which defaults to LSQ's `1/sqrt(N Qp)` with
    N the number of elements that share one scale. Keep the scale positive
    (initialize it to LSQ's `2 mean(|x|) / sqrt(Qp)`, for example).

    ```mlir
    %wq = tg.fake_quant %w, %s bits 4 axis 0 : tensor<32x64xf32>, tensor<32xf32>
    %aq = tg.fake_quant %a, %t bits 8 unsigned grad_scale 0.01 : tensor<32x32xf32>, tensor<f32>
    ```

    Decomposes to `tg.straight_through`, `tg.round` and elementwise ops; a
    per-channel scale needs a static input rank (it is reshaped to broadcast).
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$scale,
                       I64Attr:$bits,
                       UnitAttr:$unsigned_range, OptionalAttr<I64Attr>:$axis,
                       OptionalAttr<F64Attr>:$grad_scale);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `bits` $bits (`unsigned` $unsigned_range^)?
    (`axis` $axis^)? (`grad_scale` $grad_scale^)? attr-dict `:` type($input)
    `,` type($scale)
  }];
  let extraClassDeclaration = [{
    /// The clamping range [Qn, Qp] of the integer grid.
    std::pair<double, double> getRange();
  }];
}

def TG_EmbeddingOp : TG_CompositeOp<"embedding", [Pure]> {
  let summary = "rows of a table selected by integer ids";
  let description = [{
    `result[i..., :] = table[ids[i...], :]`; `table` is [vocabulary, D].

    ```mlir
    %e = tg.embedding %table[%ids] : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
    ```

    Decomposes to `tg.gather ... axis 0`.
  }];
  let arguments = (ins TG_FloatTensor:$table, TG_IntegerTensor:$ids);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $table `[` $ids `]` attr-dict `:` type($table) `,` type($ids) `->` type($result)
  }];
}

def TG_DropoutOp : TG_CompositeOp<"dropout", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "inverted dropout with a counter-based mask";
  let description = [{
    Zeroes each element with probability `rate` and scales the kept ones by
    1 / (1 - rate). The mask is `tg.random uniform %seed, %counter >= rate`,
    so it is reproducible from (seed, counter). `rate` is in [0, 1).
    Decomposing needs a static shape (`tg.random` takes its shape from its
    type), except at rate 0, which is the identity.

    ```mlir
    %y = tg.dropout %x, %seed, %counter rate 0.1 : tensor<16x128x256xf32>, tensor<i64>, tensor<i64>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_IntegerScalar:$seed,
                       TG_IntegerScalar:$counter, F64Attr:$rate);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $seed `,` $counter `rate` $rate attr-dict `:` type($input) `,`
    type($seed) `,` type($counter)
  }];
}

def TG_AttentionOp : TG_CompositeOp<"attention", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "scaled dot-product attention";
  let description = [{
    `softmax(q k^T * scale + mask) v` with `q` [..., Tq, D], `k` [..., Tk, D],
    `v` [..., Tk, Dv] and the result [..., Tq, Dv]; the leading (batch and
    head) dimensions agree. `scale` defaults to 1 / sqrt(D). With `causal`,
    query i only attends to keys j <= i + (Tk - Tq); hidden scores are set to
    the lowest finite value of the element type, so a query that sees no key
    (only possible when Tq > Tk) averages all values instead of giving NaN.
    Decomposing needs a static D when `scale` is absent, and static Tq and Tk
    when `causal`.

    `tg-autodiff` decomposes it before differentiating, unless
    `keep-attention`: then its reverse-mode rule is one `tg.attention_grad`
    on its operands, its result and the result's cotangent.

    ```mlir
    %o = tg.attention %q, %k, %v causal : tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32> -> tensor<16x4x128x64xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$query, TG_FloatTensor:$key,
                       TG_FloatTensor:$value, UnitAttr:$causal,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`causal` $causal^)? (`scale` $scale^)? attr-dict `:`
    type($query) `,` type($key) `,` type($value) `->` type($result)
  }];
}

def TG_AttentionGradOp : TG_CompositeOp<"attention_grad", [Pure]> {
  let summary = "gradients of scaled dot-product attention";
  let description = [{
    The gradients of `output = tg.attention %query, %key, %value` (same
    `causal` and `scale`) given `output` and its cotangent `output_grad`
    (dO): with the attention weights P = softmax(q k^T * scale + mask)
    recomputed as `tg.attention` computes them,

    ```
    dV = P^T dO        dP = dO V^T        delta = rowsum(dO * O)
    dS = P * (dP - delta)        dQ = scale dS K        dK = scale dS^T Q
    ```

    (a query that sees no key, only possible when `causal` and Tq > Tk, does
    not depend on q or k: its dS is zero). The operands follow the shape
    rules of `tg.attention`; `output` and `output_grad` have its result's
    shape, and the results have the types of `query`, `key` and `value`.
    It is what `tg-autodiff` with `keep-attention` makes of `tg.attention`,
    so that a fused kernel can compute it from the forward's statistics; it
    has no derivative rule of its own (`tg-autodiff` decomposes it).
    Decomposing needs what decomposing `tg.attention` needs.

    ```mlir
    %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32> -> tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$query, TG_FloatTensor:$key,
                       TG_FloatTensor:$value, TG_FloatTensor:$output,
                       TG_FloatTensor:$output_grad, UnitAttr:$causal,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs TG_FloatTensor:$query_grad, TG_FloatTensor:$key_grad,
                      TG_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $output_grad (`causal` $causal^)?
    (`scale` $scale^)? attr-dict `:` type($query) `,` type($key) `,` type($value) `,`
    type($output) `,` type($output_grad) `->` type($query_grad) `,` type($key_grad) `,`
    type($value_grad)
  }];
}

def TG_Conv2DOp : TG_CompositeOp<"conv2d", [Pure]> {
  let summary = "2-D convolution (cross-correlation), NCHW";
  let description = [{
    `input` is [N, C, H, W], `weight` is [O, C, KH, KW], the optional `bias`
    is [O]; the result is [N, O, OH, OW] with
    OH = (H + 2 pad_h - dil_h (KH - 1) - 1) / stride_h + 1 (same for W).
    `stride`, `padding` and `dilation` are [h, w] and default to [1, 1],
    [0, 0] and [1, 1].

    ```mlir
    %y = tg.conv2d %x, %w, %b padding [1, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<8x16x32x32xf32>
    ```

    Decomposes to padding, one strided slice per kernel tap (im2col) and a
    matmul; this needs static shapes.
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$weight,
                       Optional<TG_FloatTensor>:$bias,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`stride` $stride^)? (`padding` $padding^)?
    (`dilation` $dilation^)? attr-dict `:` type($input) `,` type($weight)
    (`,` type($bias)^)? `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

class TG_LossOp<string mnemonic, list<Trait> traits = []>
    : TG_CompositeOp<mnemonic, !listconcat(traits, [Pure])> {
  let results = (outs TG_FloatScalar:$result);
}

def TG_MSELossOp : TG_LossOp<"mse_loss", [AllTypesMatch<["input", "target"]>]> {
  let summary = "mean squared error";
  let description = [{
    `reduce((input - target)^2)` over all elements, `reduction` `mean`
    (default) or `sum`; `input` and `target` have the same type.

    ```mlir
    %l = tg.mse_loss %y, %t : tensor<128x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$target,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction);
  let assemblyFormat = [{
    $input `,` $target (`reduction` `=` $reduction^)? attr-dict `:` type($input)
    `->` type($result)
  }];
}

def TG_SoftmaxCrossEntropyOp : TG_LossOp<"softmax_cross_entropy"> {
  let summary = "softmax cross-entropy with integer class labels";
  let description = [{
    `logits` is [..., C], `labels` is [...] with values in [0, C). The
    per-example loss is `-sum_c q_c log_softmax(logits)_c`, with the target
    distribution `q = (1 - label_smoothing) one_hot(label) + label_smoothing / C`,
    combined by `reduction` (`mean`, the default, or `sum`). Without label
    smoothing this is `-log_softmax(logits)[..., label]`: PyTorch's
    `F.cross_entropy` with the class dimension last (and its
    `label_smoothing`). Two optional terms are added per example:

    - `poly1 = eps`: PolyLoss's Poly-1 (Leng et al. 2022),
      `eps * (1 - sum_c q_c p_c)` with `p = softmax(logits)`, that is
      `eps * (1 - p_t)` without label smoothing;
    - `z_loss = w`: the log-partition auxiliary loss (PaLM; Wortsman et al.
      2023), `w * logsumexp(logits)^2`, which keeps the log-partition near 0.

    `label_smoothing` is in [0, 1]; `poly1` is at least -1; `z_loss` is at
    least 0. Decomposing needs a static C (`tg.one_hot` takes it as an
    attribute).

    ```mlir
    %l = tg.softmax_cross_entropy %logits, %labels : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    %s = tg.softmax_cross_entropy %logits, %labels label_smoothing = 0.1 poly1 = 1.0 z_loss = 1.0e-04 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_IntegerTensor:$labels,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing,
                       DefaultValuedAttr<F64Attr, "0.0">:$poly1,
                       DefaultValuedAttr<F64Attr, "0.0">:$z_loss);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)?
    (`label_smoothing` `=` $label_smoothing^)? (`poly1` `=` $poly1^)?
    (`z_loss` `=` $z_loss^)? attr-dict `:` type($logits) `,` type($labels)
    `->` type($result)
  }];
}

def TG_FocalLossOp : TG_LossOp<"focal_loss"> {
  let summary = "softmax focal loss with integer class labels";
  let description = [{
    Lin et al. 2017 on a softmax: per example `-(1 - p_t)^gamma log p_t`,
    with `p_t = softmax(logits)[..., label]`, combined by `reduction`.
    `logits` and `labels` are as for `tg.softmax_cross_entropy`; `gamma`
    (default 2) is at least 0, and 0 gives the cross-entropy.

    ```mlir
    %l = tg.focal_loss %logits, %labels gamma = 2.0 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_IntegerTensor:$labels,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "2.0">:$gamma);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)? (`gamma` `=` $gamma^)?
    attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
}

def TG_StableMaxCrossEntropyOp : TG_LossOp<"stablemax_cross_entropy"> {
  let summary = "cross-entropy through StableMax instead of softmax";
  let description = [{
    Prieto et al. 2025, "Grokking at the Edge of Numerical Stability":
    `s(x) = x + 1` for `x >= 0` and `1 / (1 - x)` otherwise,
    `StableMax(x)_c = s(x_c) / sum_j s(x_j)`, and the per-example loss
    `-log StableMax(logits)[..., label]`, combined by `reduction`. No
    exponential: large logits cannot absorb the others in floating point
    (Softmax Collapse). `logits` and `labels` are as for
    `tg.softmax_cross_entropy`.

    ```mlir
    %l = tg.stablemax_cross_entropy %logits, %labels : tensor<512x97xf32>, tensor<512xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_IntegerTensor:$labels,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)? attr-dict `:`
    type($logits) `,` type($labels) `->` type($result)
  }];
}

def TG_NceRceLossOp : TG_LossOp<"nce_rce_loss"> {
  let summary = "normalized cross-entropy plus reverse cross-entropy (APL)";
  let description = [{
    The active-passive loss of Ma et al. 2020, "Normalized Loss Functions for
    Deep Learning with Noisy Labels": per example
    `alpha * NCE + beta * RCE` with `L = log_softmax(logits)`,
    `NCE = L[label] / sum_c L_c` (the cross-entropy normalized over all
    labels) and `RCE = -sum_c p_c log q_c = -log_zero * (1 - p[label])`, the
    reverse cross-entropy against the one-hot label with `log 0` taken as
    `log_zero` (default -4, as in the paper). `beta = 0` gives the
    normalized cross-entropy alone. Combined by `reduction`; `logits` and
    `labels` are as for `tg.softmax_cross_entropy`.

    ```mlir
    %l = tg.nce_rce_loss %logits, %labels alpha = 1.0 beta = 1.0 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_IntegerTensor:$labels,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F64Attr, "1.0">:$beta,
                       DefaultValuedAttr<F64Attr, "-4.0">:$log_zero);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)? (`alpha` `=` $alpha^)?
    (`beta` `=` $beta^)? (`log_zero` `=` $log_zero^)? attr-dict `:`
    type($logits) `,` type($labels) `->` type($result)
  }];
}

def TG_BCEWithLogitsOp : TG_LossOp<"bce_with_logits",
                                   [AllTypesMatch<["logits", "targets"]>]> {
  let summary = "binary cross-entropy on logits";
  let description = [{
    Per element `max(x, 0) - x * t + log(1 + exp(-|x|))` (the stable form of
    `-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))`), combined by
    `reduction`. `logits` and `targets` have the same type; targets lie in
    [0, 1]. With `pos_weight` (a tensor that broadcasts to the logits, such
    as one weight per class [C]) the positive term is weighted:
    `-w t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))`. Same as PyTorch's
    `F.binary_cross_entropy_with_logits` (and its `pos_weight`).

    ```mlir
    %l = tg.bce_with_logits %x, %t : tensor<64x1xf32> -> tensor<f32>
    %w = tg.bce_with_logits %x, %t pos_weight %pw : tensor<64x5xf32>, tensor<5xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_FloatTensor:$targets,
                       Optional<TG_FloatTensor>:$pos_weight,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction);
  let assemblyFormat = [{
    $logits `,` $targets (`pos_weight` $pos_weight^)? (`reduction` `=` $reduction^)?
    attr-dict `:` type($logits) (`,` type($pos_weight)^)? `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Robust regression losses
//===----------------------------------------------------------------------===//

def TG_HuberLossOp : TG_LossOp<"huber_loss", [AllTypesMatch<["input", "target"]>]> {
  let summary = "Huber loss";
  let description = [{
    Per element, with `d = |input - target|`: `0.5 d^2` where `d < delta`,
    else `delta (d - 0.5 delta)`; combined by `reduction` over all elements.
    `delta` (default 1) is positive. Same as PyTorch's `F.huber_loss`.

    ```mlir
    %l = tg.huber_loss %y, %t delta = 0.5 : tensor<128x4xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$target,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       DefaultValuedAttr<F64Attr, "1.0">:$delta);
  let assemblyFormat = [{
    $input `,` $target (`reduction` `=` $reduction^)? (`delta` `=` $delta^)?
    attr-dict `:` type($input) `->` type($result)
  }];
}

def TG_PseudoHuberLossOp : TG_LossOp<"pseudo_huber_loss",
                                     [AllTypesMatch<["input", "target"]>]> {
  let summary = "pseudo-Huber loss";
  let description = [{
    Per element `sqrt((input - target)^2 + c^2) - c`, combined by
    `reduction` over all elements: quadratic near 0 (`d^2 / 2c`), linear
    far away, smooth everywhere. This is the consistency loss of Song and
    Dhariwal 2023 ("Improved Techniques for Training Consistency Models",
    there over a whole example: reshape and sum the squares first to get
    that form), and `c` times the pseudo-Huber loss with `delta = c`. `c` is
    positive.

    ```mlir
    %l = tg.pseudo_huber_loss %y, %t c = 0.03 : tensor<128x4xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$target,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       F64Attr:$c);
  let assemblyFormat = [{
    $input `,` $target (`reduction` `=` $reduction^)? `c` `=` $c attr-dict `:`
    type($input) `->` type($result)
  }];
}

def TG_CauchyLossOp : TG_LossOp<"cauchy_loss", [AllTypesMatch<["input", "target"]>]> {
  let summary = "Cauchy (Lorentzian) loss";
  let description = [{
    Per element `log(1 + (input - target)^2 / c^2)`, combined by `reduction`
    over all elements: it grows only logarithmically, so outliers barely
    pull (Dao et al. 2024, "Improved Training Technique for Latent
    Consistency Models"). `c` is positive.

    ```mlir
    %l = tg.cauchy_loss %y, %t c = 1.0 : tensor<128x4xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input, TG_FloatTensor:$target,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction,
                       F64Attr:$c);
  let assemblyFormat = [{
    $input `,` $target (`reduction` `=` $reduction^)? `c` `=` $c attr-dict `:`
    type($input) `->` type($result)
  }];
}

#endif // TG_LAYER_OPS_TD
