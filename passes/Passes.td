//===- Passes.td - tgc passes ---------------------------------*- tablegen -*-===//

#ifndef TGC_PASSES_TD
#define TGC_PASSES_TD

include "mlir/Pass/PassBase.td"

def TGDecompose : Pass<"tg-decompose"> {
  let summary = "Rewrite composite tg ops (layers, losses) into core tg ops";
  let description = [{
    Replaces every op that implements `DecomposableOpInterface`
    (`tg.linear`, `tg.layer_norm`, `tg.softmax_cross_entropy`, ...) by the
    core-op program its `decompose` method builds, repeatedly, until no
    composite op is left. Later passes then only need rules for core ops.
    On f16 and bf16, a composite and a `tg.matmul` compute in f32 and round
    once, as PyTorch's ops do: their operands are cast to f32, the f32 op
    decomposes, and the result is cast back (`tg.embedding` and
    `tg.dropout`, exact in any type, decompose as they are).
  }];
  let dependentDialects = ["::mlir::tg::TGDialect"];
}

def TGAutocast : Pass<"tg-autocast", "::mlir::ModuleOp"> {
  let summary = "bf16 mixed precision with f32 master weights, as PyTorch's autocast";
  let description = [{
    Run on a spec's functions before `tg-expand-train-step` (tgc
    `--autocast=bf16`), so that the optimizer's update stays f32. Applies
    PyTorch's CUDA autocast rules to tg's ops, with `tg.cast`s:
    - lower precision: `tg.linear`, `tg.matmul`, `tg.attention`,
      `tg.conv2d` take their f32 operands cast to bf16 and give bf16;
    - f32: `tg.layer_norm`, `tg.rms_norm`, `tg.batch_norm`, `tg.softmax`,
      `tg.log_softmax`, `tg.reduce_sum`, `tg.reduce_mean`, `tg.exp`,
      `tg.log`, `tg.pow`, `tg.rsqrt` and every loss take their bf16
      operands cast to f32 and give f32;
    - every other op keeps its operands' type: mixed bf16 and f32 operands
      promote to f32, bf16 operands give bf16 (a relu of a bf16 linear).
    Values that other dialects use (returns, calls, global stores) are cast
    back to their type, so function signatures and globals stay f32 and the
    loss is f32. Gradients follow through `tg.cast`'s derivative.
  }];
  let options = [
    Option<"type", "type", "std::string", "\"bf16\"", "The lower precision: bf16">,
  ];
  let dependentDialects = ["::mlir::tg::TGDialect"];
}

def TGExpandTrainStep : Pass<"tg-expand-train-step", "::mlir::ModuleOp"> {
  let summary = "Turn each tg.train_step into the step function the runtime calls";
  let description = [{
    Replaces `tg.train_step @name loss @f optimizer #opt` by a function
    `@name` with `@f`'s arguments (the batch) and result (the loss) that
    computes the loss and its gradients with `tg.value_and_grad`, counts the
    step, and updates every trainable parameter with the optimizer's rule.
    The optimizer's per-parameter state lives in new zero-initialized
    globals `@<param>_<slot>` and the step counter in `@<name>_step`. Run
    `--tg-autodiff` afterwards to expand the gradient.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::func::FuncDialect",
                           "::mlir::ml_program::MLProgramDialect"];
}

def TGBuildInit : Pass<"tg-build-init", "::mlir::ModuleOp"> {
  let summary = "Build @tgc_init(seed), which stores every global's initial value";
  let description = [{
    Adds `func.func @tgc_init(%seed: tensor<i64>)` storing the initial value
    of every mutable global: dense data as it is, and initializer attributes
    (`#tg.zeros`, `#tg.normal<std = 0.02>`, `#tg.kaiming_uniform`, ...)
    drawn with `tg.random` from the global's own Philox stream
    (`philoxStreamForName` in include/tgc/Philox.h) keyed by the seed. The
    runtime calls it to start training.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::func::FuncDialect",
                           "::mlir::ml_program::MLProgramDialect"];
}

def TGBuildEvalFunctions : Pass<"tg-build-eval-functions", "::mlir::ModuleOp"> {
  let summary = "Build evaluation copies @<f>_eval of functions: batch norm on running statistics, no state updates";
  let description = [{
    For each function named in `functions` (those the module has), adds
    `@<f>_eval`: a copy in evaluation mode, as PyTorch's `model.eval()`.
    Every `tg.batch_norm ... training` normalizes by its running statistics
    instead of the batch's, and no `ml_program.global_store` is left, so an
    evaluation changes no state. Called functions are copied the same way
    (`@<callee>_eval`). The driver builds `@<loss>_eval` and
    `@<predict>_eval`, which the runtime's evaluation calls.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::func::FuncDialect",
                           "::mlir::ml_program::MLProgramDialect"];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "The functions to build evaluation copies of">
  ];
}

def TGAutodiff : Pass<"tg-autodiff", "::mlir::ModuleOp"> {
  let summary = "Reverse- and forward-mode automatic differentiation";
  let description = [{
    Replaces every `tg.grad`, `tg.value_and_grad` and `tg.jvp` by a call to
    a generated function built from the per-op derivative rules
    (`DifferentiableOpInterface`). Calls in the differentiated function are
    inlined and composite ops are decomposed first, except `tg.attention`
    under `keep-attention` (its reverse-mode rule is one
    `tg.attention_grad`). Only values that depend on a differentiated input
    and reach the result get derivatives; forward values are reused by the
    backward sweep.
    The output is again tg, so it can be differentiated again.
  }];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"rematerializeLoops", "rematerialize-loops", "bool", "false",
           "Record only each iteration's loop-carried values and recompute the "
           "rest of the loop body in the backward pass (less memory, more "
           "compute)">,
    Option<"keepAttention", "keep-attention", "bool", "false",
           "Differentiate tg.attention by its own rule (one tg.attention_grad, "
           "for a fused kernel) instead of decomposing it first">
  ];
}

def TGLowerToLinalg : Pass<"tg-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower core tg ops to linalg, tensor, arith and math";
  let description = [{
    The first stage of code generation: every core tg op becomes upstream
    tensor-level IR with the reference interpreter's semantics. Elementwise
    ops are `linalg.generic`s whose indexing maps broadcast; reductions,
    broadcasts, transposes and matmuls use the named linalg ops; reshapes,
    slices, padding and concatenation use tensor ops; gather and one_hot are
    `linalg.generic`s, scatter_add an `scf.for` nest; softmax is a max
    reduction, a sum of exponentials and a normalization; `tg.random` is
    Philox 4x32-10 in arith ops, bit-exact with the interpreter.
    Shapes must be static. Composite ops must be decomposed first
    (`--tg-decompose`); any other tg op left is an error naming it. Globals
    with a random initializer attribute get zero storage (`@tgc_init` from
    `--tg-build-init` draws their values) and keep the initializer as
    `tg.initializer`. Kernel ops (`tg.fused_attention_forward`, ...) stay:
    they are tensor-level already.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def TGGPUBF16MatmulOperands : Pass<"tg-gpu-bf16-matmul-operands", "::mlir::ModuleOp"> {
  let summary = "Matmuls of widened bf16 values read the bf16 values (cuBLAS, CUDA)";
  let description = [{
    On tensors before bufferization in the CUDA pipeline: an f32
    `linalg.matmul` or `linalg.batch_matmul` whose two operands are results
    of elementwise `linalg.generic`s yielding `arith.extf` of a bf16 value
    (through `tensor.collapse_shape`/`expand_shape`) becomes a
    mixed-precision matmul of the bf16 values (bf16 x bf16 -> f32, f32
    accumulation), the same result up to accumulation order.
    `tg-matmul-to-runtime-call` (cuda) calls `tgc_cuda_matmul_bf16_f32` for
    it. The bf16 value is the generic's input when the generic only widens
    it, else a new bf16 result of the generic; f32 results that nothing reads
    any more are removed (with the other unused results and operands of
    generics). That is what a bf16 matmul
    (tg-decompose computes it in f32: operands widened, the result rounded)
    and autocast's casts become. Matmuls with one f32 operand stay f32.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect"];
}

def TGGPUBF16MatmulResults : Pass<"tg-gpu-bf16-matmul-results", "::mlir::ModuleOp"> {
  let summary = "bf16 matmuls whose f32 product is only read rounded to bf16 round it once (CUDA)";
  let description = [{
    On tensors before bufferization in the CUDA pipeline, after
    `tg-gpu-bf16-matmul-operands`: a `linalg.matmul` or
    `linalg.batch_matmul` of bf16 operands with an f32 result that
    overwrites its result (a `linalg.fill 0` init), whose every reader
    (through `tensor.collapse_shape`/`expand_shape`) is an input of a
    `linalg.generic` whose element is only used by `arith.truncf` to bf16
    (any indexing map), gets that rounding as an elementwise generic of its
    own right after it (f32 -> bf16, identity maps); the readers read the
    bf16 tensor (their element becomes bf16, the truncations go). Rounding
    once where it was rounded at every read gives the same values.
    `tg-matmul-to-runtime-call` (cuda) then calls
    `tgc_cuda_matmul_bf16_bf16`: cuBLAS accumulates in f32 and writes the
    bf16 result, and the f32 product is never stored (autocast's attention
    scores and their gradient: half the bytes for the softmax kernels to
    read). Matmuls of f32 operands keep their exact f32 results, and a
    product that anything reads as f32 stays f32.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TGGPUMatmulEpilogues : Pass<"tg-gpu-matmul-epilogues", "::mlir::ModuleOp"> {
  let summary = "A linear layer's matmul, bias and activation as one cuBLASLt call";
  let description = [{
    On device buffers after bufferization, before `tg-matmul-to-runtime-call`
    (cuda): an f32 `linalg.matmul` (or `linalg.batch_matmul` without a
    broadcast batch) that overwrites its result (a `linalg.fill 0` right
    before), whose result is read only by one elementwise `linalg.generic`
    computing act(result + bias) with the bias broadcast over rows (act:
    none, relu, or gelu's tanh approximation, the formula cuBLASLt has), becomes a call
    `tgc_cuda_matmul_bias_f32(a, b, bias, out, epilogue)` (runtime/CudaBlas.cpp)
    at the generic's place, writing the generic's output: the product is
    never stored. The result may be read through an `expand_shape` (a
    linear layer on [batch, rows, features] multiplies the flattened rows).
    Left alone: accumulating matmuls, results read elsewhere, generics with
    other inputs or outputs or another body (exact GELU is not cuBLASLt's),
    f64, broadcast batches, outputs whose rows are not contiguous and
    operands without a unit stride, which cuBLASLt could only take as
    copies.

    Autocast's linear layers (bf16 operands, an f32 product) compute
    round(product + bias') to bf16 first, bias' being a bf16 bias widened
    or an f32 bias rounded to bf16 and widened, in every generic that reads
    the product (the forward, and the backward where it recomputes the
    activation's input), the bias indexed like the product's last dimension
    (or its last few, the bias expanded the same way). Then
    `tgc_cuda_matmul_bias_bf16(a, b, bias, out, epilogue)` computes that
    rounded sum once, at the first reader: an f32 bias is rounded into a
    bf16 copy where the product was zeroed; a lone all-parallel reader that
    yields the sum or its relu (relu commutes with the rounding) is
    replaced, writing its output; otherwise the call writes a fresh bf16
    buffer that every reader loads instead of the f32 product and the bias.
    The f32 product's buffer, unused, is removed.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TGMatmulToRuntimeCall : Pass<"tg-matmul-to-runtime-call", "::mlir::ModuleOp"> {
  let summary = "Call the runtime's packed matmul kernel for f32/f64 linalg matmuls on buffers";
  let description = [{
    After bufferization, replaces `linalg.matmul` and `linalg.batch_matmul`
    on f32 or f64 buffers by a call to `tgc_matmul_f32`/`tgc_matmul_f64` in
    the runtime (a packed, register-blocked, multi-threaded kernel). Each
    operand is passed as a rank-3 strided view of its buffer: transposing
    indexing maps become swapped strides, a missing batch dimension a batch
    stride of 0, so no data is copied. A zero `linalg.fill` of the result
    right before the matmul is folded into the call (`accumulate` = 0).

    With `cuda`, the buffers are device memory and the calls go to
    `tgc_cuda_matmul_f32`/`_f64` (cuBLAS, runtime/CudaBlas.cpp) instead,
    with the same views; run it before `tg-gpu-launch`, which leaves the
    calls on the host. Matmuls of bf16 operands with an f32 result (from
    `tg-gpu-bf16-matmul-operands`) call `tgc_cuda_matmul_bf16_f32`, or,
    when they overwrite a buffer of their block that only an elementwise
    `linalg.generic` rounding it to bf16 reads (as
    `tg-gpu-bf16-matmul-results` leaves them; after it the buffer is freed
    or filled anew), `tgc_cuda_matmul_bf16_bf16` at the rounding's place,
    writing its output (rows or columns contiguous, not aliasing the
    operands, which nothing writes in between): one rounding of the f32
    accumulation, and the f32 product is never stored.

    Matmuls of same-typed operands whose reduction is static and at most
    `loop-reduction-limit` long stay loops (the CUDA pipeline: 16). A GEMM
    call for the gradient through a 10-class output layer (K = 10) costs a
    launch and a graph node for a few multiply-adds per element; as loops,
    it fuses into the kernel that reads it (relu's derivative and the bias
    gradient).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"cuda", "cuda", "bool", "false",
           "Call the CUDA runtime's cuBLAS matmul (tgc_cuda_matmul_*) on device buffers">,
    Option<"loopReductionLimit", "loop-reduction-limit", "int64_t", "0",
           "Matmuls whose static reduction has at most this many elements stay loops">
  ];
}

def TGGPUFusedAttention : Pass<"tg-gpu-fused-attention"> {
  let summary = "Eligible bf16 (and f32) attentions as fused attention kernels (CUDA)";
  let description = [{
    On tg ops, after `tg-autodiff` and before `tg-decompose` in the CUDA
    pipeline (option `fusedAttention`, which `tgc --target=cuda
    --autocast=bf16` sets): a `tg.attention` whose query, key and value are
    bf16 (or, with `f32`, all f32) with static shapes, D = 64 (query, key
    and value), Tq and Tk multiples of 64 and, when causal, Tk >= Tq,
    becomes a `tg.fused_attention_forward` on [B, H, T, D] tensors: a
    rank-4 attention's operands as they are, others reshaped with
    `tg.reshape` (H the last leading dimension, B the product of the
    others; 1 if none), `tensor.empty` outputs (`out` of the attention's
    element type), and the result reshaped back. The scale is the
    attention's, or 1 / sqrt(D). A `tg.attention_grad` (what `tg-autodiff`
    with `keep-attention` makes of an attention) whose `output` is the
    result of such a fused forward on the same query, key and value, causal
    and scale, and whose gradients have the forward's element type, becomes
    a `tg.fused_attention_backward` that reads the forward's operands,
    output and `lse`, with `dout` reshaped likewise and `tensor.empty`
    outputs (`delta` a scratch). `tg-gpu-attention-to-runtime-call` later
    calls the CUDA kernels for them. Other attentions and gradients are
    left to `tg-decompose`.
  }];
  let options = [
    Option<"f32", "f32", "bool", "false",
           "Also fuse f32 attentions (the runtime's f32 kernels run on CUDA cores; off until "
           "measured)">,
  ];
  let dependentDialects = ["::mlir::tg::TGDialect", "::mlir::tensor::TensorDialect"];
}

def TGGPUAttentionToRuntimeCall
    : Pass<"tg-gpu-attention-to-runtime-call", "::mlir::ModuleOp"> {
  let summary = "Call the CUDA runtime's attention kernels for fused attention ops on buffers";
  let description = [{
    After bufferization, next to `tg-matmul-to-runtime-call` (cuda):
    `tg.fused_attention_forward` and `tg.fused_attention_backward` on
    buffers become calls of `tgc_cuda_attention_forward_bf16` and
    `tgc_cuda_attention_backward_bf16` (include/tgc/runtime.h), or their
    `_f32` versions for f32 attentions, each buffer cast to the fully
    dynamic strided view (`memref<?x?x?x?xbf16, strided<[?, ?, ?, ?],
    offset: ?>>` or f32, rank 3 f32 for the statistics),
    `causal` as an i64 and the scale as an f32. The calls take device
    pointers and stay on the host, like the cuBLAS calls.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TGGPUAttentionViews : Pass<"tg-gpu-attention-views", "::mlir::ModuleOp"> {
  let summary = "Fused attentions read and write the heads' split and merge through views, not copies";
  let description = [{
    After bufferization, before `tg-gpu-attention-to-runtime-call`: the
    head split before a `tg.fused_attention_forward` or `_backward`
    ([B, T, H, D] -> [B, H, T, D]) and the merge after it are copies of a
    whole activation (a `linalg.generic` whose body yields its input, both
    maps permutations). The kernels address rows through strides, so:

    - an operand (bf16 or f32) that such a copy of buffer S last wrote is
      read from S through a `memref.reinterpret_cast` with permuted
      strides, when nothing writes S between the copy and the attention
      (when a full overwrite reuses S there, S's value before it gets a
      fresh buffer from its writer on);
    - a result that such a copy then moves into buffer D is written
      through a permuted view of a fresh buffer, which every use of D from
      the copy to D's next full overwrite reads instead (a fresh one, as
      bufferization may let several merges share D); attention ops that
      read the result read the view.

    Copies left unread are erased, and allocations left only deallocated.
    Everything is decided within one block with the buffers' roots
    (BufferAccessAnalysis); what it cannot prove, and views the kernels
    cannot take (rows of unit stride, 16-byte aligned), keep their copies.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TGParallelizeLoops : Pass<"tg-parallelize-loops", "::mlir::func::FuncOp"> {
  let summary = "Run big outermost parallel loops on all cores, the others sequentially";
  let description = [{
    For every outermost `scf.parallel` without reductions whose static
    amount of work (operations times the trip counts of the loops around
    them) reaches `min-work`, one dimension becomes an OpenMP worksharing
    loop (`omp.parallel` + `omp.wsloop nowait`, statically scheduled): the
    outermost with at least 32 iterations, else the longest. The dimensions
    around and inside it stay `scf.parallel`, which scf-to-cf lowers to
    sequential loops, so the innermost loop stays a plain loop LLVM
    vectorizes. Nested loops and small loop nests stay sequential: they
    would cost more to fork than they gain. The bar, 128K operations, is
    about 3 us of vectorized elementwise work on one core, what forking
    and joining the team costs and saves: the fused momentum update of a
    64x64 weight (4096 iterations of about 12 operations) forked at the
    old 32K and made a tiny MLP's step slower.
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect", "::mlir::scf::SCFDialect"];
  let options = [
    Option<"minWork", "min-work", "int64_t", "131072",
           "Iterations a loop nest needs before it is run in parallel">
  ];
}

def TGApproximateMath : Pass<"tg-approximate-math"> {
  let summary = "Replace f32 transcendental functions by polynomials LLVM can vectorize";
  let description = [{
    Rewrites f32 `math.exp`, `math.log`, `math.tanh`, `math.erf` and their
    relatives into MLIR's polynomial approximations (arith ops, accurate to a
    few ulp), which LLVM's loop vectorizer turns into AVX-512 code; a call to
    libm's expf or tanhf per element would keep every loop that computes a
    softmax, a GELU or a sigmoid scalar. f64 code keeps the math library.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def TGFuse : Pass<"tg-fuse"> {
  let summary = "Form fusion groups: each one linalg.generic, one loop nest, one GPU kernel";
  let description = [{
    On linalg on tensors. A fusion group is one `linalg.generic`: it lowers
    to one loop nest on the CPU and one kernel on the GPU, and nothing it
    computes inside goes through memory. The pass

    - generalizes the named broadcasts, reductions, transposes and maps, so
      they fuse like any generic (matmuls and fills stay named: the matmul
      kernels need them);
    - clones a cheap all-parallel producer with several consumers for each
      of them (recomputing a few operations costs less than writing the
      tensor and reading it back);
    - runs upstream elementwise fusion: an all-parallel producer with one
      use merges into its consumer, which may reduce, so a reduction forms
      one group with the elementwise chain it reads. A producer whose
      consumer would recompute it for every element of a broadcast stays
      apart unless it is trivial (a broadcast, a constant).

    Never into `linalg.matmul` or `linalg.batch_matmul`: fusing a transpose
    or a broadcast into those would turn them into generic contractions,
    which no longer reach the matmul kernels (the CPU's packed kernel,
    cuBLAS). Run the inliner first: a step's gradient then fuses with the
    optimizer's update.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TGVectorizeReductions : Pass<"tg-vectorize-reductions"> {
  let summary = "Reduce floats in vector lanes and parallel chunks, in a fixed order";
  let description = [{
    On linalg on tensors, for the CPU. A float reduction whose innermost
    loop reduces carries one accumulator from iteration to iteration, which
    LLVM may not reorder: a scalar loop. This pass splits that dimension K
    into [K / lanes, lanes] with the lanes dimension parallel and innermost
    (element k accumulates into partial k % lanes, 256 bytes of partials:
    64 f32, 32 f64), so the inner loop is vector code, followed by a small
    reduction of the partials. A reduction with fewer than 64 outputs and
    at least 64K iterations (a full sum, the mean of a loss) also splits its
    outermost reduced dimension into up to 64 contiguous chunks, a parallel
    dimension that runs on all cores. Chunks and lanes depend only on the shape, never on
    the number of threads, so the result does too. `linalg.index` in the
    body is rewritten to the index it stood for.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def TGUnshareFillInits : Pass<"tg-unshare-fill-inits"> {
  let summary = "Give every destination of a shared linalg.fill a fill of its own";
  let description = [{
    On tensors, right before one-shot bufferization. A `linalg.fill` whose
    result is the destination (`outs`) of several ops, as CSE leaves the
    zero-filled destinations of same-shaped matmuls, is cloned right
    before each of them: bufferization then fills each buffer in place
    rather than filling one and copying it for every other use, and the
    matmul kernel folds each fill into `accumulate = 0`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TGUpdateGlobalsInPlace : Pass<"tg-update-globals-in-place", "::mlir::ModuleOp"> {
  let summary = "Write new parameter and optimizer-state values straight into their globals";
  let description = [{
    After one-shot bufferization, before deallocation. A `global_load` in a
    function that stores to globals bufferizes to a copy of the global, a
    `global_store` to a copy into it; a train step makes both for every
    parameter and state tensor. This pass removes them where no operation
    can tell the difference:

    - a copy of `memref.get_global @x` into a fresh buffer that is only
      read: the readers read `@x` itself, when nothing may write `@x`
      before the last of them;
    - a copy of a fresh buffer into `@x`: the operation that last defined
      the buffer (a linalg op writing all of it without reading it, or a
      copy) writes `@x` instead, and the buffer's readers up to its next
      definition read `@x`, when nothing else may read or write `@x` from
      that definition to the last of those reads. The definition itself
      may read `@x` only elementwise: as an input with the output's
      indexing map, so each iteration reads the old value where it writes
      the new one.

    When the old value is still read after the new one is stored (a
    gradient transform that moves the parameters and reads them again),
    the load copy stays. Why buffers rather than tensors: every
    `get_global @x` is the same memory and callees read and write globals,
    facts that one-shot bufferization's analysis of tensor values (each
    `global_load` a value of its own) does not have; here an operation's
    accesses are its memory effects traced through views to an
    allocation, a global, an argument or unknown memory, and a call's are
    every global its callee uses, transitively.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
  let statistics = [
    Statistic<"numLoadCopiesRemoved", "load-copies-removed",
              "Copies of a global into a buffer removed">,
    Statistic<"numStoreCopiesRemoved", "store-copies-removed",
              "Copies of a buffer into a global removed">
  ];
}

def TGDeallocAfterLastUse : Pass<"tg-dealloc-after-last-use"> {
  let summary = "Free every buffer right after its last use";
  let description = [{
    After the deallocation pipeline: every unconditional `memref.dealloc`
    of a `memref.alloc` in the same block moves up to right after the last
    operation of the block that uses the buffer or a view of it.
    Ownership-based deallocation frees buffers at the end of their block,
    so a step held all its temporaries at once; freed early, a dead
    buffer's memory goes to the next allocation of its size (the runtime's
    caching allocator keeps freed blocks per size class), and the step's
    peak is what is live at once. Buffers whose address the runtime alias
    checks of lowered `bufferization.dealloc` ops read, or that flow into
    region results, are left alone.
  }];
  let statistics = [
    Statistic<"numDeallocsMoved", "deallocs-moved", "Deallocations moved up">
  ];
}

def TGVectorizeLaneLoops : Pass<"tg-vectorize-lane-loops", "::mlir::func::FuncOp"> {
  let summary = "Turn the lanes of a split reduction into vector operations";
  let description = [{
    `tg-vectorize-reductions` gives a float reduction a short innermost
    parallel dimension of lanes, each with its own accumulator; as loops,
    that is an `scf.parallel` of 8 to 64 lanes inside the `scf.for` over the
    reduced dimension, loading and storing the accumulators in memory every
    step. LLVM vectorizes the lane loop but keeps the accumulators in memory
    (masked stores and reloads of them serialize a row maximum). This pass
    rewrites such a lane loop as operations on `vector<lanes x T>`: loads
    and stores indexed by the lane in their last, contiguous dimension
    become vector loads and stores, values that do not depend on the lane
    stay scalars (broadcast where a vector operation uses them), and the
    elementwise arithmetic and math works on vectors. The accumulator's
    load and store then sit at the same address in every step of the
    reduction loop, which LLVM keeps in registers. Lane loops with anything
    else (an index computed from the lane, a store that is not per lane)
    are left alone.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
}

def TGHoistScalarWork : Pass<"tg-hoist-scalar-work", "::mlir::ModuleOp"> {
  let summary = "Move stores outside loops, with the loads and arithmetic they store, up to what they need";
  let description = [{
    After the lowering to loops: a store in a function's body and its
    backward slice of loads, side-effect free operations and small static
    allocations move up to right after the last operation that defines a
    value they use or touches memory they access (by `BufferAccessAnalysis`'s
    roots), but never between two loops that follow each other. An
    optimizer's bias corrections, computed from the step counter, then come
    right after its increment: the first parameter's moment loops become
    neighbours of its update loop (`tg-fuse-parallel-loops` fuses them), and
    on the GPU the corrections join the counter's one-thread launch instead
    of being one on the step's critical path.
  }];
}

def TGFuseParallelLoops : Pass<"tg-fuse-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Fuse neighbouring parallel loops that exchange data, knowing which buffers alias";
  let description = [{
    Upstream's `scf-parallel-loop-fusion` (`scf::naivelyFuseParallelOps`:
    adjacent `scf.parallel` loops with the same bounds, the second reading
    what the first writes only at the same index) on runs of neighbouring
    loops connected by arrays one writes and another reads or writes, with
    an alias oracle that traces buffers to their roots: distinct globals,
    and globals and the function's own allocations, never alias, which the
    generic alias analysis cannot tell. Once the optimizer's state is
    updated in place, the loops computing a parameter's new moments and
    the parameter itself are such a run: fused, one loop reads the
    gradient, the parameter and the state once and writes them once.
    Unconnected loops (the next parameter's) stay apart, and a run ends
    before a fused loop would address more than `max-arrays` arrays (only
    neighbours with the same bounds fuse, so each stretch of equal bounds
    counts on its own): one loop over every parameter's arrays (or every
    gradient, connected by one buffer of ones they all read) would stream
    through hundreds of arrays at once and never vectorize.

    First, a call of an operands-only runtime function (a GEMM) between a
    loop and one that exchanges data with it moves after that loop and the
    loops that follow, as long as it touches nothing they write and they
    write nothing it reads (`tg.read_only_operands` tells which operands a
    call only reads): a matmul over a short reduction left as loops, then
    the weight gradient's GEMM, then the loops consuming the product.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
  let options = [
    Option<"maxArrays", "max-arrays", "int64_t", "8",
           "The most arrays (not scalars) a fused loop may address">
  ];
}

def TGGroupParallelLoops : Pass<"tg-group-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Run consecutive independent parallel loops in one parallel region";
  let description = [{
    After `tg-parallelize-loops`, which gives every big loop nest its own
    `omp.parallel` (one fork and join each): consecutive regions whose
    loops are independent (neither writes memory the other reads or
    writes) become one region holding all their `omp.wsloop nowait`
    loops, so the thread team forks once for, say, the update of every
    parameter. Pure operations between the regions move before the group;
    deallocations and other operations without results that touch none of
    the group's memory (a bias update too small to fork for) after it, when
    the regions that join later are independent of them; an operation that
    consumes a loop's result (a reduction) ends the group. Each thread runs its static share of every loop
    in turn; no barrier is needed because no loop reads another's results.
    On a GPU the same groups are multi-tensor kernels
    (`tg-gpu-group-parallel-loops`).
  }];
  let dependentDialects = ["::mlir::omp::OpenMPDialect"];
  let statistics = [
    Statistic<"numRegionsMerged", "regions-merged",
              "Parallel regions merged into the one before them">
  ];
}

//===----------------------------------------------------------------------===//
// GPU code generation (the CUDA pipeline, lib/Compiler/GPUPipeline.cpp)
//===----------------------------------------------------------------------===//

def TGAccumulateInRegisters : Pass<"tg-accumulate-in-registers"> {
  let summary = "Carry a reduction loop's output element in a register, not memory";
  let description = [{
    A reduction lowered to loops loads its output element, combines, and
    stores it back in every iteration. In a GPU kernel, whose buffers are
    parameters that may alias, LLVM cannot keep the element in a register,
    so each iteration waits for memory. This pass makes the element a
    loop-carried value (`iter_args`), loaded before the loop and stored
    after it, innermost loop first, when the loop touches the buffer only
    there and no other buffer of the loop can be the same memory (the
    buffer is a view of an allocation no other buffer of the loop views).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
}

def TGGPUGroupParallelLoops : Pass<"tg-gpu-group-parallel-loops", "::mlir::ModuleOp"> {
  let summary = "Merge consecutive independent parallel loops into one (one GPU kernel)";
  let description = [{
    Before `tg-gpu-launch`, which makes every `scf.parallel` a kernel:
    consecutive loops that are independent (the groups of
    `tg-group-parallel-loops`: neither writes memory the other reads or
    writes) become one one-dimensional loop over all their iterations,
    each iteration finding its loop by a binary tree of comparisons with
    the loops' first iterations and recovering that loop's indices. The
    update of every parameter (or every gradient written at the end of the
    backward pass) is then one multi-tensor kernel rather than one each. A
    group takes at most `max-buffers` buffers, each a kernel parameter
    (a kernel's parameters must fit in 4 KB). An iteration of the merged
    loop runs 4 neighbouring iterations of a loop whose iteration count is
    a multiple of `coarsening` (4) and whose body is straight-line, one
    iteration of any other loop (a 10-class bias beside an MLP's weights),
    and the 4 iterations' loads and stores of the loop's own element of a
    32-bit (16-bit) buffer of identity layout become one 128-bit (64-bit)
    `vector.load` or `vector.store` (aligned: see `tg-gpu-assume-alignment`).
    A loop that joins no group is coarsened alone when it has at least 65536
    iterations and `tg-gpu-launch` would flatten it (its last dimension is
    not at least 256 whole warps), or when it reads or writes 16-bit
    floats. Loops with reductions, or not starting at 0 with step 1, are
    left alone.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"maxBuffers", "max-buffers", "int64_t", "48",
           "The most buffers (kernel parameters) a merged loop may use">,
    Option<"coarsening", "coarsening", "int64_t", "4",
           "Neighbouring iterations a merged iteration runs (1 or 4: 128-bit accesses)">
  ];
  let statistics = [
    Statistic<"numLoopsMerged", "loops-merged", "Parallel loops merged into the one before them">
  ];
}

def TGParallelDimsFirst : Pass<"tg-parallel-dims-first"> {
  let summary = "Interchange linalg.generic loops so that parallel dimensions come first";
  let description = [{
    Permutes the iteration space of every `linalg.generic` with reduction
    iterators so that all parallel dimensions are outermost, keeping their
    relative order (and that of the reductions). A column sum
    `[128, 512] -> [512]` then lowers to one parallel loop over the 512
    outputs around a sequential loop over the 128 rows, rather than a
    sequential loop around a parallel one: the outer parallel loop becomes
    one GPU kernel. Run `linalg-generalize-named-ops` first.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def TGSplitReductions : Pass<"tg-split-reductions"> {
  let summary = "Split long reductions in two, so that a GPU reduces them in parallel";
  let description = [{
    On tensors, before bufferization: a reduction (named ops are
    generalized first; fusion groups included) with one result, a combiner
    with a neutral element (addf, maximumf...) and a reduced loop of at
    least `min-size` elements (the innermost reduced loop, else the longest)
    is split into a partial reduction and a reduction of the partials.
    The innermost loop of the op splits into `ratio` lanes, a new innermost
    parallel dimension (element k is reduced by partial k % ratio, so
    neighbouring GPU threads read neighbouring elements); `ratio` is the
    largest divisor of the size that is at most 1024 and leaves at least 8
    elements per partial (a length with no such divisor, like 50257, first
    splits off a tail). Another loop splits into contiguous chunks (of at
    least 2 of its iterations), placed first. A partial reduction with fewer
    than 262144 threads is split again along another reduced loop (even a
    short one, when several are left with at least 64 elements a thread).
    A shorter reduction (at least 64 elements) with fewer than 32 outputs,
    which one or a few threads would load a few elements at a time (a loss's
    mean over 128 rows, the bias gradient of a 10-class layer), is split
    into partials of about 8 elements (lanes or chunks as above). Bodies
    that read `linalg.index` keep seeing the original indices. With
    `leave-rows`, reductions of the innermost loop with at least 256
    outputs and 256 elements each (softmax rows, layer norms) are left to
    `tg-gpu-row-kernels`, which gives each row a block, and a sum over at
    least 32 rows of terms that pick an element of their row (a
    cross-entropy's x[r, label], a `tensor.extract` at the row's index)
    becomes a parallel loop writing each row's term, then the sum of the
    terms. Ops whose maps are not projected permutations are left alone.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"minSize", "min-size", "int64_t", "512",
           "Split reductions of at least this many elements">,
    Option<"leaveRows", "leave-rows", "bool", "false",
           "Leave row reductions (many long rows) to tg-gpu-row-kernels">
  ];
}

def TGSplatsToFills : Pass<"tg-splats-to-fills"> {
  let summary = "Large splat tensor constants as tensor.empty and linalg.fill";
  let description = [{
    Right before bufferization: a splat constant tensor of at least
    `min-elements` elements (optimizer moments starting at zero, a layer
    norm's ones) would become a global holding every element, in the
    binary and (on the GPU) copied to the device. As a fill it is a loop.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"minElements", "min-elements", "int64_t", "1024",
           "Splats of at least this many elements become fills">
  ];
}

def TGGPUColumnKernels : Pass<"tg-gpu-column-kernels", "::mlir::ModuleOp"> {
  let summary = "A GPU block per tile of columns for reductions over rows, with their elementwise producer";
  let description = [{
    Before `tg-gpu-launch`: an `scf.parallel` over columns whose body
    reduces an `scf.for` over static rows (at least 8; a bias's gradient,
    which `tg-split-reductions` leaves whole) would be one thread per
    column looping over every row. It becomes one `gpu.launch` of blocks of
    32 columns by G row groups (8, doubled up to 32 while each thread keeps
    at least 4 rows: the grid has only a block per 32 columns): each thread
    folds every G-th row into a partial result, the partials meet in
    shared memory (a workgroup attribution) after a barrier, and the first
    row group combines them in order with the initial value and runs what
    followed the reduction. An
    elementwise loop over the same rows and columns right before it (relu's
    derivative applied to the gradient) runs inside the loop over the rows
    when it writes only its own element, which the reduction reads only
    there, and has at most 64 rows a thread (a larger one keeps a kernel
    whose threads fill the GPU): the MLP's two bias gradients each go
    from two kernels (one of them 2 blocks of 128-load threads) to one of 16
    blocks. The producer may contain `scf.for` loops that only load and
    compute (a matmul over a short reduction left as loops, fused into its
    consumer): they run per element too.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
  let options = [
    Option<"minColumns", "min-columns", "int64_t", "64",
           "The fewest columns worth a kernel of their own (fewer stay with tg-gpu-launch)">
  ];
}

def TGGPURowKernels : Pass<"tg-gpu-row-kernels", "::mlir::ModuleOp"> {
  let summary = "A GPU block per row for row reductions and the loops that use them";
  let description = [{
    Before `tg-gpu-launch`: a chain of consecutive parallel loops over the
    same static rows, starting with a row reduction (an `scf.for` over the
    row's elements, carrying its results) and going on with reductions,
    loops over the rows, and loops over the rows' elements (same row
    length, at least 256), becomes one `gpu.launch` with a block per row.
    Each reduction's threads reduce strided parts of the row and combine
    them with `gpu.all_reduce`; values stored per row are forwarded to the
    later loops (and stored by thread 0); elements that several loops read
    are loaded once into registers (at most 64 per thread; for the loops
    before the first that overwrites them). A row loop may read another
    element of the row before a later loop updates the row in place (a
    `gpu.barrier` between), and ops between the loops that the chain does
    not need (a loss's sum of per-row terms) move after the kernel. A
    softmax cross-entropy with SGD on the logits then reads them once and
    writes them once. bf16 and f16 reductions combine in f32. The loops of
    a chain must keep rows independent (see the file's comment).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect"];
  let statistics = [
    Statistic<"numChains", "chains", "Row kernels made">,
    Statistic<"numLoops", "loops", "Parallel loops that became row kernels">
  ];
}

def TGGPUAssumeAlignment : Pass<"tg-gpu-assume-alignment", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Kernel buffers of identity layout are 16-byte aligned";
  let description = [{
    After kernel outlining: each memref argument of a kernel with an
    identity layout goes through `memref.assume_alignment` 16. tgc's
    runtime allocates every device buffer on a block of its arena (at least
    256-byte aligned), and an identity layout has no offset. LLVM's
    load/store vectorizer then merges neighbouring accesses into 128-bit
    ones.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def TGGPUKernelNoAlias : Pass<"tg-gpu-kernel-noalias", "::mlir::ModuleOp"> {
  let summary = "Kernel pointers to memory no other operand of the launch views get noalias";
  let description = [{
    After convert-gpu-to-nvvm, while host code is still on memrefs: for
    each kernel (an `llvm.func` in a `gpu.module`), a memref operand of its
    `gpu.launch_func`s whose memory (its root in BufferAccessAnalysis: an
    allocation, a global, the caller's memory) may be that of no other
    memref operand of the launch, in every launch of the kernel, gets
    `llvm.noalias` on its aligned pointer (the second of its unpacked
    descriptor's arguments; the allocated pointer is never accessed). An
    operand of unknown memory keeps every other operand of its launch from
    getting it; distinct arguments of the launching entry point count as
    distinct memory (tgc's entry points take non-overlapping buffers), those
    of a private function do not. LLVM can then keep loaded values across stores, hoist
    invariant loads out of loops, and read buffers the kernel never writes
    with `ld.global.nc`, and ptxas can issue loads before earlier stores.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def TGGPUPreciseSqrt : Pass<"tg-gpu-precise-sqrt", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Kernels' f32 square roots correctly rounded (sqrt.rn.f32), as on the CPU";
  let description = [{
    After kernel outlining: an f32 `math.sqrt` (no fast-math flags) in a
    kernel becomes a call of the intrinsic `llvm.nvvm.sqrt.rn.f`
    (`sqrt.rn.f32`).
    `convert-gpu-to-nvvm` would call libdevice's `__nv_sqrtf`, whose
    `__nvvm_reflect("__CUDA_PREC_SQRT")` LLVM 22 answers 0 (its module flag
    is ignored): `sqrt.approx.f32`, unlike the CPU, IEEE and PyTorch (nvcc's
    default `-prec-sqrt=true`).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def TGGPULowerAllReduce : Pass<"tg-gpu-lower-all-reduce", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower gpu.all_reduce in kernels to shuffles and shared memory";
  let description = [{
    After kernel outlining: upstream's all-reduce lowering
    (`populateGpuAllReducePatterns`: a warp reduction with shuffles, the
    warps' results through shared memory, then a reduction of those).
  }];
  let dependentDialects = ["::mlir::cf::ControlFlowDialect", "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect"];
}

def TGGPULaunch : Pass<"tg-gpu-launch", "::mlir::ModuleOp"> {
  let summary = "Run the loops and memory accesses of host functions on the GPU";
  let description = [{
    After bufferization and `convert-linalg-to-parallel-loops`, makes every
    function's memory traffic happen on the device, so that the host never
    dereferences a buffer:

    - each `scf.parallel` becomes a `gpu.launch` of one thread per iteration,
      `threads-per-block` threads per block: blocks along the last
      dimension on x, the one before on y and the rest on z when the last
      dimension is at least a block of whole warps and the others fit the
      grid (static trip counts); otherwise the iteration space flattened,
      a guard for the last block;
    - the remaining memory accesses (loads, stores, and loops of them: full
      reductions, scalar updates, scatters) run in single-thread launches of
      at most 48 buffers, together with the pure computations that depend
      on them; scalars a later launch needs pass through device buffers,
      read inside that launch;
    - `memref.alloc` becomes `gpu.alloc`, `bufferization.clone` an
      allocation and a copy, `memref.copy` between identity layouts
      `gpu.memcpy` and any other copy a parallel loop.

    Host control flow that contains parallel loops (loops of the spec) stays
    on the host, its body is mapped in turn. A host operation that needs a
    value read from device memory (a branch on data, say) is an error.
    `bufferization.dealloc` ops are host bookkeeping and stay as they are:
    lower them afterwards and run `tg-gpu-device-deallocs`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"threadsPerBlock", "threads-per-block", "int64_t", "256",
           "Threads per block of the kernels of parallel loops">
  ];
}

def TGGPUMergeSmallLaunches : Pass<"tg-gpu-merge-small-launches", "::mlir::ModuleOp"> {
  let summary = "Consecutive launches of a few blocks as one launch of one block";
  let description = [{
    After `tg-gpu-launch`: consecutive `gpu.launch`es (with only pure ops,
    `gpu.alloc` and `gpu.dealloc` between them) of at most `max-blocks`
    blocks each, of the same threads per block along x (or of one thread),
    become one launch of one block that runs their bodies in order,
    separated by `gpu.barrier`; a launch of several blocks runs them in an
    `scf.for` whose index is its block id, a launch of one thread runs on
    the block's first. A launch whose body synchronizes its block (a
    barrier, `gpu.all_reduce`, a shuffle) joins only when it is one block.
    Deallocations between the launches move after the merged one. A small
    model's step (a cross-entropy over 128 rows: row statistics, the loss's
    sum, the logits' gradient, the bias gradient) launches a few kernels
    of a microsecond of work each, for a few microseconds of launch each.
    A one-thread launch first moves down to the next launch it can join
    when nothing in between touches memory it writes, writes memory it
    reads or frees its buffers (by `BufferAccessAnalysis`; the runtime's
    calls touch only their operands): the MLP's step counter and bias
    corrections join its loss's block, past the forward's GEMMs.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
  let options = [
    Option<"maxBlocks", "max-blocks", "int64_t", "8",
           "The most blocks a launch may have to join a merged one">,
    Option<"maxBuffers", "max-buffers", "int64_t", "48",
           "The most buffers (kernel parameters) a merged launch may use">
  ];
}

def TGGPUBlockLocalBuffers : Pass<"tg-gpu-block-local-buffers", "::mlir::ModuleOp"> {
  let summary = "Buffers that only a one-block launch uses live in its shared memory";
  let description = [{
    After `tg-gpu-merge-small-launches`: a `gpu.alloc` of static shape
    (identity layout, int or float elements) in the block of a `gpu.launch`
    of one block, before it, whose buffer only that launch's loads and
    stores use (and deallocations after the launch), becomes a workgroup
    attribution of the launch, while the launch's shared memory stays within
    `max-bytes`: the allocation and its deallocations go. The phases of a
    merged small kernel (a loss's row statistics, the partial sums of its
    mean and of a bias gradient) pass such values to each other across
    `gpu.barrier`s; in shared memory each costs tens of cycles, not a trip
    to L2. A launch of several blocks keeps its buffers (each block would
    get a copy of its own), as does a buffer that anything else reads,
    writes or views.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect", "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", "16384",
           "The most shared memory a launch may hold after its buffers moved in">
  ];
}

def TGGPUConcurrentBranches : Pass<"tg-gpu-concurrent-branches", "::mlir::ModuleOp"> {
  let summary = "Run independent device work on a second stream, concurrently";
  let description = [{
    Before kernel outlining (after `tg-gpu-merge-small-launches`): in each
    host function's body, the device work (`gpu.launch`, and calls of the
    runtime's `tgc_cuda_matmul_*` and `tgc_cuda_attention_*`) between
    operations with other effects is split between the main stream and a
    side one. The main stream runs the heaviest path of the dependence graph
    (two pieces of work depend when one writes memory the other touches;
    a runtime call weighs 3, a kernel 1); the rest runs on the side stream.
    Both keep program order; a piece of work waits for the latest work of
    the other stream it depends on through an event, the first side work
    forks (the side stream waits for everything before) and the main stream
    joins the side one after the last work. The calls are the runtime's
    `tgc_cuda_fork`, `tgc_cuda_use_stream`, `tgc_cuda_signal`,
    `tgc_cuda_wait` and `tgc_cuda_join`; under a CUDA graph the side
    stream's work becomes parallel branches. Device memory freed in a branch
    is reused after the join; a deallocation that would hold more than
    `max-deferred-bytes` that way joins first. The schedule is replayed and
    checked before the pass ends.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::func::FuncDialect"];
  let options = [
    Option<"maxDeferredBytes", "max-deferred-bytes", "int64_t", "int64_t(256) << 20",
           "The most bytes of freed device memory a branch may hold back from reuse">
  ];
}

def TGGPUMergeKernelModules : Pass<"tg-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` gives each kernel a gpu.module of its own; a
    train step has about a hundred. Moves every kernel into one module,
    `@tgc_kernels`, each named after the module it came from, and updates
    the launches: one PTX text (or cubin), which the runtime loads once.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TGGPUDeviceDeallocs : Pass<"tg-gpu-device-deallocs", "::mlir::ModuleOp"> {
  let summary = "Free device buffers with gpu.dealloc";
  let description = [{
    Runs after `tg-gpu-launch` and the lowering of `bufferization.dealloc`:
    every `memref.dealloc` of a device buffer becomes `gpu.dealloc`. The
    buffers that lowering allocates itself with `memref.alloc` (host lists of
    pointers and ownership flags) are the only host buffers left, and keep
    `memref.dealloc`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TGGPUDeviceGlobals : Pass<"tg-gpu-device-globals", "::mlir::ModuleOp"> {
  let summary = "Host code addresses each global through its device copy";
  let description = [{
    Lowers every `memref.get_global` of a host function to the LLVM dialect
    as a call `tgc_cuda_global(host address, bytes, is constant)` of the
    runtime (runtime/Cuda.cpp), which returns the global's device copy,
    created from the host data at first use. The host globals stay: they
    are what checkpoints read and write (`tgc_cuda_globals_to_host`,
    `tgc_cuda_globals_to_device`). Run it right before
    `finalize-memref-to-llvm`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // TGC_PASSES_TD
