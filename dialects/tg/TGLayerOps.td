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

def TG_AttentionOp : TG_CompositeOp<"attention", [Pure]> {
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
    per-example loss is `-log_softmax(logits)[..., label]`, combined by
    `reduction` (`mean`, the default, or `sum`). Same as PyTorch's
    `F.cross_entropy` with the class dimension last. Decomposing needs a
    static C (`tg.one_hot` takes it as an attribute).

    ```mlir
    %l = tg.softmax_cross_entropy %logits, %labels : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_IntegerTensor:$labels,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction);
  let assemblyFormat = [{
    $logits `,` $labels (`reduction` `=` $reduction^)? attr-dict `:` type($logits)
    `,` type($labels) `->` type($result)
  }];
}

def TG_BCEWithLogitsOp : TG_LossOp<"bce_with_logits",
                                   [AllTypesMatch<["logits", "targets"]>]> {
  let summary = "binary cross-entropy on logits";
  let description = [{
    Per element `max(x, 0) - x * t + log(1 + exp(-|x|))` (the stable form of
    `-t log sigmoid(x) - (1 - t) log(1 - sigmoid(x))`), combined by
    `reduction`. `logits` and `targets` have the same type; targets lie in
    [0, 1]. Same as PyTorch's `F.binary_cross_entropy_with_logits`.

    ```mlir
    %l = tg.bce_with_logits %x, %t : tensor<64x1xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$logits, TG_FloatTensor:$targets,
                       DefaultValuedAttr<TG_ReductionAttr,
                           "::mlir::tg::Reduction::mean">:$reduction);
  let assemblyFormat = [{
    $logits `,` $targets (`reduction` `=` $reduction^)? attr-dict `:` type($logits)
    `->` type($result)
  }];
}

#endif // TG_LAYER_OPS_TD
