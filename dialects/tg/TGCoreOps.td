//===- TGCoreOps.td - core tensor ops of the tg dialect ------*- tablegen -*-===//

#ifndef TG_CORE_OPS_TD
#define TG_CORE_OPS_TD

include "TGBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def TG_ConstantOp : TG_Op<"constant", [ConstantLike, Pure,
                                       AllTypesMatch<["value", "result"]>]> {
  let summary = "tensor constant";
  let description = [{
    A tensor whose elements are given by `value`.

    ```mlir
    %c = tg.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def TG_FillOp : TG_Op<"fill", [Pure]> {
  let summary = "tensor with every element equal to one number";
  let description = [{
    `result[i...] = value`. Spelling for a splat constant; folds to
    `tg.constant` when the shape is static.

    Syntax:

    ```
    operation ::= `tg.fill` number attr-dict `:` type($result)
    ```

    The number is written without a type and takes the result's element
    type: a float literal (`0.0`, `-1.5`, `1.0e-05`, `inf`, `-inf`, `nan`)
    for float tensors, an integer (`-3`) for integer tensors, `true` or
    `false` for `i1`.

    ```mlir
    %z = tg.fill 0.0 : tensor<128x512xf32>
    %m = tg.fill -inf : tensor<?x128xf32>
    ```
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs TG_Tensor:$result);
  // `$value attr-dict : type($result)`, written by hand: the number is read
  // before the type that gives it its element type, so a declarative format
  // would take the `:` for the number's own type (`0.0 : f32`).
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasFolder = 1;
}

def TG_IotaOp : TG_Op<"iota", [Pure]> {
  let summary = "indices along one dimension";
  let description = [{
    `result[i_0, ..., i_n] = i_dim`. Used to build masks, e.g. the causal
    mask of attention: `iota dim 0 >= iota dim 1`.

    ```mlir
    %rows = tg.iota 0 : tensor<4x4xi32>
    ```
  }];
  let arguments = (ins I64Attr:$dim);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "$dim attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def TG_RandomOp : TG_Op<"random", [Pure]> {
  let summary = "counter-based random numbers";
  let description = [{
    Fills the result with i.i.d. samples of `distribution` (`uniform` on
    [0, 1), or standard `normal`) drawn from a counter-based generator
    (Philox 4x32-10) keyed by `seed` and starting at `counter`. The same seed
    and counter always give the same tensor, on every target, so the op has
    no side effects: a training step advances the counter itself.

    ```mlir
    %u = tg.random uniform %seed, %counter : tensor<i64>, tensor<i64> -> tensor<128x512xf32>
    ```
  }];
  let arguments = (ins TG_DistributionAttr:$distribution,
                       TG_IntegerScalar:$seed, TG_IntegerScalar:$counter);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $distribution $seed `,` $counter attr-dict `:` type($seed) `,` type($counter)
    `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic (NumPy broadcasting)
//===----------------------------------------------------------------------===//

def TG_AddOp : TG_BinaryElementwiseOp<"add", TG_Tensor, [Commutative]> {
  let summary = "elementwise addition: z = x + y";
  let description = [{
    Broadcasts `lhs` and `rhs` with NumPy rules.

    ```mlir
    %y = tg.add %xw, %b : tensor<128x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
    %z = tg.add %a, %b : tensor<4xf32>
    ```
  }];
  let hasFolder = 1;
}

def TG_SubOp : TG_BinaryElementwiseOp<"sub"> {
  let summary = "elementwise subtraction: z = x - y";
  let description = "Broadcasts `lhs` and `rhs` with NumPy rules.";
  let hasFolder = 1;
}

def TG_MulOp : TG_BinaryElementwiseOp<"mul", TG_Tensor, [Commutative]> {
  let summary = "elementwise multiplication: z = x * y";
  let description = "Broadcasts `lhs` and `rhs` with NumPy rules.";
  let hasFolder = 1;
}

def TG_DivOp : TG_BinaryElementwiseOp<"div"> {
  let summary = "elementwise division: z = x / y";
  let description = [{
    Broadcasts `lhs` and `rhs` with NumPy rules. Integer division rounds
    toward zero.
  }];
  let hasFolder = 1;
}

def TG_PowOp : TG_BinaryElementwiseOp<"pow", TG_FloatTensor> {
  let summary = "elementwise power: z = x ^ y";
  let description = "Broadcasts `lhs` and `rhs` with NumPy rules.";
}

def TG_MaximumOp : TG_BinaryElementwiseOp<"maximum", TG_Tensor, [Commutative]> {
  let summary = "elementwise maximum: z = max(x, y)";
  let description = [{
    Broadcasts `lhs` and `rhs` with NumPy rules. NaN propagates.
  }];
}

def TG_MinimumOp : TG_BinaryElementwiseOp<"minimum", TG_Tensor, [Commutative]> {
  let summary = "elementwise minimum: z = min(x, y)";
  let description = [{
    Broadcasts `lhs` and `rhs` with NumPy rules. NaN propagates.
  }];
}

def TG_CompareOp : TG_Op<"compare", [Pure]> {
  let summary = "elementwise comparison to a boolean tensor";
  let description = [{
    `z = x <predicate> y` with NumPy broadcasting; predicates are `eq`, `ne`,
    `lt`, `le`, `gt` and `ge`. The result has `i1` elements. Float
    comparisons are ordered: any comparison with NaN except `ne` is false.

    ```mlir
    %keep = tg.compare ge %u, %p : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xi1>
    ```
  }];
  let arguments = (ins TG_ComparePredicateAttr:$predicate, TG_Tensor:$lhs,
                       TG_Tensor:$rhs);
  let results = (outs TG_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::tg::ComparePredicate":$predicate,
                   "::mlir::Value":$lhs, "::mlir::Value":$rhs)>
  ];
}

def TG_SelectOp : TG_Op<"select", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "elementwise choice: z = cond ? x : y";
  let description = [{
    Broadcasts `condition` (`i1`), `true_value` and `false_value` together
    with NumPy rules.

    ```mlir
    %y = tg.select %keep, %x, %zero : tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins TG_BoolTensor:$condition, TG_Tensor:$true_value,
                       TG_Tensor:$false_value);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:` type($condition) `,`
    type($true_value) `,` type($false_value) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$condition, "::mlir::Value":$trueValue,
                   "::mlir::Value":$falseValue)>
  ];
}

def TG_CastOp : TG_Op<"cast", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "elementwise conversion of the element type";
  let description = [{
    Converts each element to the result's element type: floats round to
    nearest even, float to integer truncates toward zero, integer to `i1`
    is `x != 0`. Shapes must agree.

    ```mlir
    %y = tg.cast %labels : tensor<128xi32> to tensor<128xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

def TG_NegOp : TG_UnaryElementwiseOp<"neg", TG_Tensor> {
  let summary = "elementwise negation: y = -x";
}
def TG_AbsOp : TG_UnaryElementwiseOp<"abs", TG_Tensor> {
  let summary = "elementwise absolute value: y = |x|";
}
def TG_SignOp : TG_UnaryElementwiseOp<"sign", TG_Tensor> {
  let summary = "elementwise sign: y = -1, 0 or 1";
  let description = "`sign(NaN)` is NaN.";
}
def TG_RoundOp : TG_UnaryElementwiseOp<"round"> {
  let summary = "elementwise rounding to the nearest integer, ties to even";
  let description = [{
    `round(2.5) = 2`, `round(-0.5) = -0`, as `torch.round`. Its derivative is
    zero almost everywhere; quantizers pass gradients around it with
    `tg.straight_through`.
  }];
}
def TG_ExpOp : TG_UnaryElementwiseOp<"exp"> {
  let summary = "elementwise exponential: y = e^x";
}
def TG_LogOp : TG_UnaryElementwiseOp<"log"> {
  let summary = "elementwise natural logarithm: y = ln(x)";
}
def TG_SqrtOp : TG_UnaryElementwiseOp<"sqrt"> {
  let summary = "elementwise square root: y = sqrt(x)";
}
def TG_RsqrtOp : TG_UnaryElementwiseOp<"rsqrt"> {
  let summary = "elementwise reciprocal square root: y = 1 / sqrt(x)";
}
def TG_CosOp : TG_UnaryElementwiseOp<"cos"> {
  let summary = "elementwise cosine (radians): y = cos(x)";
}
def TG_SinOp : TG_UnaryElementwiseOp<"sin"> {
  let summary = "elementwise sine (radians): y = sin(x)";
}
def TG_TanhOp : TG_UnaryElementwiseOp<"tanh"> {
  let summary = "elementwise hyperbolic tangent";
}
def TG_SigmoidOp : TG_UnaryElementwiseOp<"sigmoid"> {
  let summary = "elementwise logistic sigmoid: y = 1 / (1 + e^-x)";
}
def TG_ReluOp : TG_UnaryElementwiseOp<"relu"> {
  let summary = "rectified linear unit: y = max(x, 0)";
}
def TG_ErfOp : TG_UnaryElementwiseOp<"erf"> {
  let summary = "elementwise error function: y = 2/sqrt(pi) int_0^x e^(-t^2) dt";
}
def TG_SiluOp : TG_UnaryElementwiseOp<"silu"> {
  let summary = "sigmoid linear unit (swish): y = x * sigmoid(x)";
}

def TG_GeluOp : TG_Op<"gelu", [Pure, Elementwise, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate = erf` (the default): y = x * (1 + erf(x / sqrt(2))) / 2.
    `approximate = tanh`: y = x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2.

    ```mlir
    %y = tg.gelu %x : tensor<16x128x1024xf32>
    %t = tg.gelu %x approximate = tanh : tensor<16x128x1024xf32>
    ```
  }];
  let arguments = (ins TG_FloatTensor:$input,
                       DefaultValuedAttr<TG_GeluApproximationAttr,
                           "::mlir::tg::GeluApproximation::erf">:$approximate);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($result)
  }];
}

def TG_StopGradientOp : TG_Op<"stop_gradient", [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "identity whose gradient is zero";
  let description = [{
    Returns its operand unchanged; automatic differentiation treats the
    result as a constant (no gradient flows back through it).

    ```mlir
    %t = tg.stop_gradient %target : tensor<128x10xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Shapes and layout
//===----------------------------------------------------------------------===//

def TG_BroadcastToOp : TG_Op<"broadcast_to", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "broadcast to a shape with NumPy rules";
  let description = [{
    Aligns the operand's dimensions with the trailing dimensions of the
    result; each operand dimension must equal the result's or be 1.

    ```mlir
    %b = tg.broadcast_to %bias : tensor<512xf32> -> tensor<128x512xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def TG_ReduceSumOp : TG_ReduceOp<"reduce_sum"> {
  let summary = "sum over axes";
  let description = [{
    Sums over `axes` (negative axes count from the end). Without `keepdim`
    the reduced dimensions are removed; with it they remain as size 1.

    ```mlir
    %s = tg.reduce_sum %x [1] : tensor<128x10xf32> -> tensor<128xf32>
    %k = tg.reduce_sum %x [-1] keepdim : tensor<128x10xf32> -> tensor<128x1xf32>
    ```
  }];
}
def TG_ReduceMeanOp : TG_ReduceOp<"reduce_mean", TG_FloatTensor> {
  let summary = "arithmetic mean over axes";
  let description = "Like `tg.reduce_sum`, divided by the number of reduced elements.";
}
def TG_ReduceMaxOp : TG_ReduceOp<"reduce_max"> {
  let summary = "maximum over axes";
  let description = "Like `tg.reduce_sum` with max; NaN propagates.";
}
def TG_ReduceMinOp : TG_ReduceOp<"reduce_min"> {
  let summary = "minimum over axes";
  let description = "Like `tg.reduce_sum` with min; NaN propagates.";
}

def TG_MatmulOp : TG_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "matrix product with batch dimensions";
  let description = [{
    `result[b..., i, j] = sum_k lhs[b..., i, k] * rhs[b..., k, j]`.
    Both operands have rank >= 2; the leading (batch) dimensions broadcast
    with NumPy rules. `transpose_lhs` / `transpose_rhs` swap the last two
    dimensions of that operand first.

    ```mlir
    %y = tg.matmul %x, %w transpose_rhs : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
    %s = tg.matmul %q, %k transpose_rhs : tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32> -> tensor<16x4x128x128xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$lhs, TG_Tensor:$rhs, UnitAttr:$transpose_lhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)? (`transpose_rhs` $transpose_rhs^)?
    attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$rhs,
                   CArg<"bool", "false">:$transposeLhs,
                   CArg<"bool", "false">:$transposeRhs)>
  ];
}

def TG_TransposeOp : TG_Op<"transpose", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "permute dimensions";
  let description = [{
    `result.shape[i] = input.shape[permutation[i]]`.

    ```mlir
    %t = tg.transpose %x [1, 0] : tensor<4x5xf32> -> tensor<5x4xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $input $permutation attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$input, "::llvm::ArrayRef<int64_t>":$permutation)>
  ];
}

def TG_ReshapeOp : TG_Op<"reshape", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "same elements in row-major order, another shape";
  let description = [{
    The element count must be preserved.

    ```mlir
    %f = tg.reshape %img : tensor<128x1x28x28xf32> -> tensor<128x784xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def TG_SliceOp : TG_Op<"slice", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "strided sub-tensor";
  let description = [{
    `result[i...] = input[start + i * step ...]`, taking elements in
    [start, limit) with stride `step` (default 1) in each dimension:
    result.shape[d] = ceil((limit[d] - start[d]) / step[d]).

    ```mlir
    %s = tg.slice %x [0, 2] to [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$limit,
                       OptionalAttr<DenseI64ArrayAttr>:$step);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $input $start `to` $limit (`step` $step^)? attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The stride of each dimension (all ones when `step` is absent).
    ::llvm::SmallVector<int64_t> getStrides();
  }];
}

def TG_PadOp : TG_Op<"pad", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "pad with a constant";
  let description = [{
    Adds `low[d]` elements before and `high[d]` after each dimension d, and
    `interior[d]` elements between every two neighbours (default 0), all
    equal to `value`, a number of the element type written as in `tg.fill`:
    result.shape[d] = low[d] + size[d] + (size[d] - 1) * interior[d] + high[d].
    Interior padding is how the derivative of a strided `tg.slice` scatters
    back into place.

    Syntax:

    ```
    operation ::= `tg.pad` $input `low` $low `high` $high (`interior` $interior)?
                  `value` number attr-dict `:` type($input) `->` type($result)
    ```

    ```mlir
    %p = tg.pad %x low [0, 0, 1, 1] high [0, 0, 1, 1] value 0.0 : tensor<8x3x28x28xf32> -> tensor<8x3x30x30xf32>
    %s = tg.pad %y low [0] high [0] interior [1] value 0.0 : tensor<3xf32> -> tensor<5xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high,
                       OptionalAttr<DenseI64ArrayAttr>:$interior,
                       TypedAttrInterface:$value);
  let results = (outs TG_Tensor:$result);
  // Written by hand for the same reason as tg.fill's format.
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The interior padding of each dimension (all zeros when absent).
    ::llvm::SmallVector<int64_t> getInteriorOrZeros();
  }];
}

def TG_ConcatOp : TG_Op<"concat", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "join tensors along an axis";
  let description = [{
    All inputs agree in rank, element type and every dimension but `axis`.

    ```mlir
    %c = tg.concat %a, %b axis 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<4x5xf32>
    ```
  }];
  let arguments = (ins Variadic<TG_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def TG_GatherOp : TG_Op<"gather", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "take slices of a tensor by integer indices (embedding lookup)";
  let description = [{
    `result[a..., i..., b...] = input[a..., indices[i...], b...]` where the
    indexed dimension is `axis`: result.shape = input.shape[:axis] ++
    indices.shape ++ input.shape[axis+1:]. Indices out of range give
    undefined values.

    ```mlir
    %e = tg.gather %table[%ids] axis 0 : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, TG_IntegerTensor:$indices,
                       I64Attr:$axis);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `axis` $axis attr-dict `:` type($input) `,`
    type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TG_ScatterAddOp : TG_Op<"scatter_add", [Pure,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "add slices into a tensor at integer indices (inverse of gather)";
  let description = [{
    `result = input`, then for every index tuple i...:
    `result[a..., indices[i...], b...] += updates[a..., i..., b...]`, where
    the indexed dimension is `axis`; repeated indices accumulate. `updates`
    has the shape `tg.gather` would give for the same input, indices and
    axis. It is the derivative of `tg.gather` (and of embedding lookups).

    ```mlir
    %g = tg.scatter_add %zeros[%ids], %rows axis 0 : tensor<1000x64xf32>, tensor<8x16xi32>, tensor<8x16x64xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, TG_IntegerTensor:$indices,
                       TG_Tensor:$updates, I64Attr:$axis);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `,` $updates `axis` $axis attr-dict `:` type($input) `,`
    type($indices) `,` type($updates)
  }];
  let hasVerifier = 1;
}

def TG_OneHotOp : TG_Op<"one_hot", [Pure]> {
  let summary = "integer labels to one-hot vectors";
  let description = [{
    `result[i..., c] = (indices[i...] == c) ? 1 : 0` for c in
    [0, num_classes); the class dimension is last.

    ```mlir
    %t = tg.one_hot %labels classes 10 : tensor<128xi32> -> tensor<128x10xf32>
    ```
  }];
  let arguments = (ins TG_IntegerTensor:$indices, I64Attr:$num_classes);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $indices `classes` $num_classes attr-dict `:` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TG_TakeAlongOp : TG_Op<"take_along", [Pure,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let summary = "one element of each row of the last dimension, by index";
  let description = [{
    `result[i...] = input[i..., indices[i...]]` when the index is in
    [0, C), C the last dimension of `input`, and 0 otherwise (like a row of
    `tg.one_hot`): `input` is [..., C], `indices` and the result are [...].
    It is `reduce_sum(one_hot(indices) * input)` over the last dimension
    without the one-hot tensor: the log-probability of each example's label
    in a cross-entropy.

    ```mlir
    %p = tg.take_along %log_probs[%labels] : tensor<128x10xf32>, tensor<128xi32> -> tensor<128xf32>
    ```
  }];
  let arguments = (ins TG_Tensor:$input, TG_IntegerTensor:$indices);
  let results = (outs TG_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` attr-dict `:` type($input) `,` type($indices) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalized exponentials
//===----------------------------------------------------------------------===//

class TG_SoftmaxLikeOp<string mnemonic> : TG_Op<mnemonic, [Pure, SameOperandsAndResultType,
    DeclareOpInterfaceMethods<TG_DifferentiableOpInterface>]> {
  let arguments = (ins TG_FloatTensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs TG_FloatTensor:$result);
  let assemblyFormat = "$input (`axis` $axis^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def TG_SoftmaxOp : TG_SoftmaxLikeOp<"softmax"> {
  let summary = "softmax along an axis";
  let description = [{
    `y = exp(x - max(x)) / sum(exp(x - max(x)))` along `axis` (default -1,
    the last).

    ```mlir
    %p = tg.softmax %scores : tensor<16x4x128x128xf32>
    ```
  }];
}

def TG_LogSoftmaxOp : TG_SoftmaxLikeOp<"log_softmax"> {
  let summary = "logarithm of softmax along an axis";
  let description = [{
    `y = x - max(x) - log(sum(exp(x - max(x))))` along `axis` (default -1),
    computed without forming the softmax.

    ```mlir
    %lp = tg.log_softmax %logits axis 1 : tensor<128x10xf32>
    ```
  }];
}

#endif // TG_CORE_OPS_TD
