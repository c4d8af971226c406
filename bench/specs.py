"""tg specs of the benchmark models, generated for any size.

The same models are written in PyTorch in torch_peer.py; both use PyTorch's
nn.Linear layout ([out, in]) and default initialization.
"""


def _linear_globals(name, out_features, in_features):
    bound = 1.0 / in_features**0.5
    return (
        f"  ml_program.global private mutable @{name}_weight(#tg.kaiming_uniform<a = 2.2360679775>)"
        f" : tensor<{out_features}x{in_features}xf32>\n"
        f"  ml_program.global private mutable @{name}_bias(#tg.uniform<{-bound:.10f}, {bound:.10f}>)"
        f" : tensor<{out_features}xf32>\n"
    )


def _linear(out, x, name, shape_in, shape_out, out_features, in_features):
    return (
        f"    %{name}_w = ml_program.global_load @{name}_weight : tensor<{out_features}x{in_features}xf32>\n"
        f"    %{name}_b = ml_program.global_load @{name}_bias : tensor<{out_features}xf32>\n"
        f"    %{out} = tg.linear %{x}, %{name}_w, %{name}_b : tensor<{shape_in}xf32>,"
        f" tensor<{out_features}x{in_features}xf32>, tensor<{out_features}xf32> -> tensor<{shape_out}xf32>\n"
    )


def mlp(name, sizes, batch, optimizer):
    """Linear layers of `sizes` (input first) with ReLU between them, softmax
    cross-entropy over the last layer's outputs."""
    text = f"module {{\n"
    for i in range(len(sizes) - 1):
        text += _linear_globals(f"fc{i + 1}", sizes[i + 1], sizes[i])
    text += f"  func.func @forward(%x: tensor<{batch}x{sizes[0]}xf32>) -> tensor<{batch}x{sizes[-1]}xf32> {{\n"
    value = "x"
    for i in range(len(sizes) - 1):
        shape_in, shape_out = f"{batch}x{sizes[i]}", f"{batch}x{sizes[i + 1]}"
        text += _linear(f"h{i + 1}", value, f"fc{i + 1}", shape_in, shape_out, sizes[i + 1], sizes[i])
        value = f"h{i + 1}"
        if i < len(sizes) - 2:
            text += f"    %a{i + 1} = tg.relu %{value} : tensor<{shape_out}xf32>\n"
            value = f"a{i + 1}"
    text += f"    return %{value} : tensor<{batch}x{sizes[-1]}xf32>\n  }}\n"
    text += (
        f"  func.func @loss(%x: tensor<{batch}x{sizes[0]}xf32>, %labels: tensor<{batch}xi32>) -> tensor<f32> {{\n"
        f"    %logits = func.call @forward(%x) : (tensor<{batch}x{sizes[0]}xf32>) -> tensor<{batch}x{sizes[-1]}xf32>\n"
        f"    %l = tg.softmax_cross_entropy %logits, %labels : tensor<{batch}x{sizes[-1]}xf32>, tensor<{batch}xi32> -> tensor<f32>\n"
        f"    return %l : tensor<f32>\n  }}\n"
        f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n"
    )
    return text


def transformer(B, T, D, H, FF, C, optimizer):
    """A pre-LN transformer block with causal attention and an exact-GELU MLP,
    then a per-token linear head of C classes trained with softmax
    cross-entropy; with C None, no head: the block's output is trained
    towards a target input with mean squared error (bench/gpu/peers.py's
    GPT-2 block)."""
    dh = D // H
    x3, h4 = f"{B}x{T}x{D}", f"{B}x{H}x{T}x{dh}"
    text = "module {\n"
    for ln in ("ln1", "ln2"):
        text += (f"  ml_program.global private mutable @{ln}_weight(#tg.ones) : tensor<{D}xf32>\n"
                 f"  ml_program.global private mutable @{ln}_bias(#tg.zeros) : tensor<{D}xf32>\n")
    linears = [("q", (D, D)), ("k", (D, D)), ("v", (D, D)), ("out", (D, D)), ("fc1", (FF, D)),
               ("fc2", (D, FF))] + ([("head", (C, D))] if C else [])
    for name, (o, i) in linears:
        text += _linear_globals(name, o, i)
    out = f"{B}x{T}x{C}" if C else x3
    text += (
        f"  func.func private @split_heads(%x: tensor<{x3}xf32>) -> tensor<{h4}xf32> {{\n"
        f"    %r = tg.reshape %x : tensor<{x3}xf32> -> tensor<{B}x{T}x{H}x{dh}xf32>\n"
        f"    %t = tg.transpose %r [0, 2, 1, 3] : tensor<{B}x{T}x{H}x{dh}xf32> -> tensor<{h4}xf32>\n"
        f"    return %t : tensor<{h4}xf32>\n  }}\n"
        f"  func.func private @block(%x: tensor<{x3}xf32>) -> tensor<{out}xf32> {{\n"
    )
    for ln, src, dst in (("ln1", "x", "h"),):
        text += _layer_norm(ln, src, dst, x3, D)
    for n in ("q", "k", "v"):
        text += _linear(n, "h", n, x3, x3, D, D)
        text += f"    %{n}h = func.call @split_heads(%{n}) : (tensor<{x3}xf32>) -> tensor<{h4}xf32>\n"
    text += (
        f"    %oh = tg.attention %qh, %kh, %vh causal : tensor<{h4}xf32>, tensor<{h4}xf32>, tensor<{h4}xf32> -> tensor<{h4}xf32>\n"
        f"    %ot = tg.transpose %oh [0, 2, 1, 3] : tensor<{h4}xf32> -> tensor<{B}x{T}x{H}x{dh}xf32>\n"
        f"    %o = tg.reshape %ot : tensor<{B}x{T}x{H}x{dh}xf32> -> tensor<{x3}xf32>\n"
    )
    text += _linear("a", "o", "out", x3, x3, D, D)
    text += f"    %x1 = tg.add %x, %a : tensor<{x3}xf32>\n"
    text += _layer_norm("ln2", "x1", "h2", x3, D)
    text += _linear("f1", "h2", "fc1", x3, f"{B}x{T}x{FF}", FF, D)
    text += f"    %f1a = tg.gelu %f1 : tensor<{B}x{T}x{FF}xf32>\n"
    text += _linear("f2", "f1a", "fc2", f"{B}x{T}x{FF}", x3, D, FF)
    text += f"    %x2 = tg.add %x1, %f2 : tensor<{x3}xf32>\n"
    if C:
        text += _linear("logits", "x2", "head", x3, out, C, D)
        text += (
            f"    return %logits : tensor<{out}xf32>\n  }}\n"
            f"  func.func @loss(%x: tensor<{x3}xf32>, %labels: tensor<{B}x{T}xi32>) -> tensor<f32> {{\n"
            f"    %logits = func.call @block(%x) : (tensor<{x3}xf32>) -> tensor<{out}xf32>\n"
            f"    %l = tg.softmax_cross_entropy %logits, %labels : tensor<{out}xf32>, tensor<{B}x{T}xi32> -> tensor<f32>\n"
        )
    else:
        text += (
            f"    return %x2 : tensor<{out}xf32>\n  }}\n"
            f"  func.func @loss(%x: tensor<{x3}xf32>, %target: tensor<{x3}xf32>) -> tensor<f32> {{\n"
            f"    %y = func.call @block(%x) : (tensor<{x3}xf32>) -> tensor<{x3}xf32>\n"
            f"    %l = tg.mse_loss %y, %target : tensor<{x3}xf32> -> tensor<f32>\n"
        )
    text += (f"    return %l : tensor<f32>\n  }}\n"
             f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n")
    return text


def _layer_norm(ln, src, dst, shape, D):
    return (
        f"    %{ln}_g = ml_program.global_load @{ln}_weight : tensor<{D}xf32>\n"
        f"    %{ln}_b = ml_program.global_load @{ln}_bias : tensor<{D}xf32>\n"
        f"    %{dst} = tg.layer_norm %{src}, %{ln}_g, %{ln}_b epsilon 1.0e-05 : tensor<{shape}xf32>,"
        f" tensor<{D}xf32>, tensor<{D}xf32> -> tensor<{shape}xf32>\n"
    )


def elementwise_chain(rows, cols, optimizer):
    """Eight elementwise ops on a parameter [rows, cols], then its mean: the
    step is the chain forward, its backward, and the update."""
    t = f"tensor<{rows}x{cols}xf32>"
    ops = [("h1", "tg.tanh %p"), ("h2", "tg.mul %h1, %p"), ("h3", "tg.sigmoid %h2"),
           ("h4", "tg.add %h3, %p"), ("h5", "tg.mul %h4, %h4"), ("h6", "tg.neg %h5"),
           ("h7", "tg.exp %h6"), ("h8", "tg.sub %h7, %p")]
    body = "".join(f"    %{name} = {op} : {t}\n" for name, op in ops)
    return (
        "module {\n"
        f"  ml_program.global private mutable @p(#tg.uniform<-1.0, 1.0>) : {t}\n"
        f"  func.func @loss(%unused: tensor<1xf32>) -> tensor<f32> {{\n"
        f"    %p = ml_program.global_load @p : {t}\n{body}"
        f"    %l = tg.reduce_mean %h8 [0, 1] : {t} -> tensor<f32>\n"
        f"    return %l : tensor<f32>\n  }}\n"
        f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n"
    )


def cross_entropy(rows, classes, optimizer):
    """Softmax cross-entropy of logits that are a parameter [rows, classes]:
    the step is the loss forward, its backward, and the update."""
    t = f"tensor<{rows}x{classes}xf32>"
    return (
        "module {\n"
        f"  ml_program.global private mutable @logits(#tg.normal<std = 1.0>) : {t}\n"
        f"  func.func @loss(%labels: tensor<{rows}xi32>) -> tensor<f32> {{\n"
        f"    %x = ml_program.global_load @logits : {t}\n"
        f"    %l = tg.softmax_cross_entropy %x, %labels : {t}, tensor<{rows}xi32> -> tensor<f32>\n"
        f"    return %l : tensor<f32>\n  }}\n"
        f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n"
    )


def optimizer_update(count, size, optimizer):
    """`count` parameters of `size` elements whose loss is sum(p_i * g_i)
    over a batch input g [count, size]: the gradient of p_i is g_i, so the
    step is that reduction and the optimizer's update of every parameter."""
    text = "module {\n"
    for i in range(count):
        text += f"  ml_program.global private mutable @p{i}(#tg.uniform<-1.0, 1.0>) : tensor<{size}xf32>\n"
    text += f"  func.func @loss(%g: tensor<{count}x{size}xf32>) -> tensor<f32> {{\n"
    terms = []
    for i in range(count):
        text += (
            f"    %p{i} = ml_program.global_load @p{i} : tensor<{size}xf32>\n"
            f"    %s{i} = tg.slice %g [{i}, 0] to [{i + 1}, {size}] step [1, 1] : tensor<{count}x{size}xf32> -> tensor<1x{size}xf32>\n"
            f"    %g{i} = tg.reshape %s{i} : tensor<1x{size}xf32> -> tensor<{size}xf32>\n"
            f"    %m{i} = tg.mul %p{i}, %g{i} : tensor<{size}xf32>\n"
            f"    %r{i} = tg.reduce_sum %m{i} [0] : tensor<{size}xf32> -> tensor<f32>\n"
        )
        terms.append(f"%r{i}")
    total = terms[0]
    for i, term in enumerate(terms[1:]):
        text += f"    %t{i} = tg.add {total}, {term} : tensor<f32>\n"
        total = f"%t{i}"
    text += (f"    return {total} : tensor<f32>\n  }}\n"
             f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n")
    return text


def adamw_update(count, size, optimizer):
    """`count` parameters of `size` elements whose loss is the sum of their
    first elements: the step is little more than the optimizer's update of
    every element (the gradient is one-hot: one write per element)."""
    t = f"tensor<{size}xf32>"
    text = "module {\n"
    for i in range(count):
        text += f"  ml_program.global private mutable @p{i}(#tg.uniform<-1.0, 1.0>) : {t}\n"
    text += "  func.func @loss(%unused: tensor<1xf32>) -> tensor<f32> {\n"
    for i in range(count):
        total = f"l{i}" if i == 0 else f"s{i}"
        text += (f"    %p{i} = ml_program.global_load @p{i} : {t}\n"
                 f"    %f{i} = tg.slice %p{i} [0] to [1] : {t} -> tensor<1xf32>\n"
                 f"    %{total} = tg.reduce_sum %f{i} [0] : tensor<1xf32> -> tensor<f32>\n")
        if i:
            text += f"    %l{i} = tg.add %l{i - 1}, %s{i} : tensor<f32>\n"
    text += (f"    return %l{count - 1} : tensor<f32>\n  }}\n"
             f"  tg.train_step @train_step loss @loss optimizer {optimizer}\n}}\n")
    return text
