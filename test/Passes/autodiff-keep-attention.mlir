// RUN: tgc-opt %s --tg-autodiff=keep-attention --split-input-file | FileCheck %s --check-prefix=KEEP
// RUN: tgc-opt %s --tg-autodiff --split-input-file | FileCheck %s --check-prefix=DEFAULT
// RUN: tgc-opt %s --tg-autodiff --split-input-file > %t.default.mlir
// RUN: tgc-opt %s --tg-autodiff=keep-attention=false --split-input-file > %t.false.mlir
// RUN: diff %t.default.mlir %t.false.mlir

// tg.attention under --tg-autodiff=keep-attention: the forward attention
// stays and its reverse-mode rule is one tg.attention_grad on its operands,
// its result and the result's cotangent, with the same causal and scale.
// Without the option (the default) it is decomposed before differentiation,
// as before: the gradient goes through the softmax's and matmuls' rules.

func.func @attention_loss(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x4xf32>) -> tensor<f32> {
  %o = tg.attention %q, %k, %v causal scale 0.25 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32> -> tensor<2x4x4xf32>
  %s = tg.reduce_sum %o [0, 1, 2] : tensor<2x4x4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

func.func @attention_grads(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x4xf32>) -> (tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>) {
  %g:3 = tg.grad @attention_loss(%q, %k, %v) wrt [0, 1, 2] : (tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>) -> (tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>)
  return %g#0, %g#1, %g#2 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>
}

// KEEP-LABEL: func.func private @attention_loss_grad(
// KEEP-SAME:      %[[Q:[a-z0-9]+]]: tensor<2x4x8xf32>, %[[K:[a-z0-9]+]]: tensor<2x6x8xf32>, %[[V:[a-z0-9]+]]: tensor<2x6x4xf32>)
// KEEP-NOT:     tg.softmax
// KEEP:         %[[O:.*]] = tg.attention %[[Q]], %[[K]], %[[V]] causal scale 2.500000e-01 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32> -> tensor<2x4x4xf32>
// KEEP:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} -> tensor<2x4x4xf32>
// KEEP:         %[[DQ:[a-z_0-9]+]], %[[DK:[a-z_0-9]+]], %[[DV:[a-z_0-9]+]] = tg.attention_grad %[[Q]], %[[K]], %[[V]], %[[O]], %[[SEED]] causal scale 2.500000e-01 : tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>, tensor<2x4x4xf32>, tensor<2x4x4xf32> -> tensor<2x4x8xf32>, tensor<2x6x8xf32>, tensor<2x6x4xf32>
// KEEP-NOT:     tg.softmax
// KEEP:         return %[[DQ]], %[[DK]], %[[DV]]

// DEFAULT-LABEL: func.func private @attention_loss_grad(
// DEFAULT-NOT:   tg.attention
// DEFAULT:       tg.softmax
// DEFAULT-NOT:   tg.attention
// DEFAULT:       return

// -----

// Only the cotangents asked for are used; the op still computes all three.

func.func @attention_value_loss(%q: tensor<3x8xf32>, %k: tensor<3x8xf32>, %v: tensor<3x8xf32>) -> tensor<f32> {
  %o = tg.attention %q, %k, %v : tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
  %m = tg.reduce_mean %o [0, 1] : tensor<3x8xf32> -> tensor<f32>
  return %m : tensor<f32>
}

func.func @attention_value_grad(%q: tensor<3x8xf32>, %k: tensor<3x8xf32>, %v: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %g = tg.grad @attention_value_loss(%q, %k, %v) wrt [2] : (tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32>) -> tensor<3x8xf32>
  return %g : tensor<3x8xf32>
}

// KEEP-LABEL: func.func private @attention_value_loss_grad(
// KEEP:         %[[O:.*]] = tg.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<3x8xf32>, tensor<3x8xf32>, tensor<3x8xf32> -> tensor<3x8xf32>
// KEEP:         %{{.*}}, %{{.*}}, %[[DV:[a-z_0-9]+]] = tg.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %[[O]], %{{.*}} : tensor<3x8xf32>
// KEEP:         return %[[DV]] : tensor<3x8xf32>

// DEFAULT-LABEL: func.func private @attention_value_loss_grad(
// DEFAULT-NOT:   tg.attention
// DEFAULT:       return

// -----

// Forward mode keeps tg.attention too; its jvp rule recomputes the weights
// (no tg.attention_grad).

func.func @attention_fwd(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %o = tg.attention %q, %k, %v causal : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
  return %o : tensor<4x2xf32>
}

func.func @attention_tangent(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %v: tensor<4x2xf32>, %tq: tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %r, %t = tg.jvp @attention_fwd(%q, %k, %v) tangents(%tq) wrt [0] : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<4x8xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>)
  return %r, %t : tensor<4x2xf32>, tensor<4x2xf32>
}

// KEEP-LABEL: func.func private @attention_fwd_jvp(
// KEEP-SAME:      %[[Q:[a-z0-9]+]]: tensor<4x8xf32>, %[[K:[a-z0-9]+]]: tensor<4x8xf32>, %[[V:[a-z0-9]+]]: tensor<4x2xf32>, %[[TQ:[a-z0-9]+]]: tensor<4x8xf32>)
// KEEP:         %[[O:.*]] = tg.attention %[[Q]], %[[K]], %[[V]] causal
// KEEP:         %[[P:.*]] = tg.softmax
// KEEP:         tg.matmul %[[TQ]], %[[K]] transpose_rhs : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x4xf32>
// KEEP:         %[[T:.*]] = tg.matmul %{{.*}}, %[[V]] : tensor<4x4xf32>, tensor<4x2xf32> -> tensor<4x2xf32>
// KEEP-NOT:     tg.attention_grad
// KEEP:         return %[[O]], %[[T]]

// DEFAULT-LABEL: func.func private @attention_fwd_jvp(
// DEFAULT-NOT:   tg.attention
// DEFAULT:       return

// -----

// tg.attention_grad has no derivative rule of its own: autodiff decomposes
// it (a second derivative through the attention's gradient).

func.func @grad_of_attention_grad(%q: tensor<3x4xf64>, %k: tensor<3x4xf64>, %v: tensor<3x2xf64>, %o: tensor<3x2xf64>, %do: tensor<3x2xf64>) -> tensor<f64> {
  %g:3 = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64>, tensor<3x2xf64>, tensor<3x2xf64> -> tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64>
  %s = tg.reduce_sum %g#0 [0, 1] : tensor<3x4xf64> -> tensor<f64>
  return %s : tensor<f64>
}

func.func @second(%q: tensor<3x4xf64>, %k: tensor<3x4xf64>, %v: tensor<3x2xf64>, %o: tensor<3x2xf64>, %do: tensor<3x2xf64>) -> tensor<3x4xf64> {
  %g = tg.grad @grad_of_attention_grad(%q, %k, %v, %o, %do) wrt [1] : (tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64>, tensor<3x2xf64>, tensor<3x2xf64>) -> tensor<3x4xf64>
  return %g : tensor<3x4xf64>
}

// KEEP-LABEL: func.func private @grad_of_attention_grad_grad(
// KEEP-NOT:     tg.attention_grad
// KEEP:         tg.softmax
// KEEP-NOT:     tg.attention_grad
// KEEP:         return

// DEFAULT-LABEL: func.func private @grad_of_attention_grad_grad(
// DEFAULT-NOT:   tg.attention_grad
// DEFAULT:       return

// -----

// Forward over reverse (Hessian-vector products): the inner tg.grad makes a
// tg.attention_grad, which the outer tg.jvp decomposes; the forward
// attention keeps its rule.

func.func @hv_loss(%q: tensor<3x4xf64>, %k: tensor<3x4xf64>, %v: tensor<3x2xf64>) -> tensor<f64> {
  %o = tg.attention %q, %k, %v : tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64> -> tensor<3x2xf64>
  %s = tg.reduce_sum %o [0, 1] : tensor<3x2xf64> -> tensor<f64>
  return %s : tensor<f64>
}

func.func @hv_grad(%q: tensor<3x4xf64>, %k: tensor<3x4xf64>, %v: tensor<3x2xf64>) -> tensor<3x4xf64> {
  %g = tg.grad @hv_loss(%q, %k, %v) wrt [0] : (tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64>) -> tensor<3x4xf64>
  return %g : tensor<3x4xf64>
}

func.func @hvp(%q: tensor<3x4xf64>, %k: tensor<3x4xf64>, %v: tensor<3x2xf64>, %t: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %g, %hv = tg.jvp @hv_grad(%q, %k, %v) tangents(%t) wrt [0] : (tensor<3x4xf64>, tensor<3x4xf64>, tensor<3x2xf64>, tensor<3x4xf64>) -> (tensor<3x4xf64>, tensor<3x4xf64>)
  return %hv : tensor<3x4xf64>
}

// KEEP-LABEL: func.func private @hv_loss_grad(
// KEEP:         tg.attention_grad
// KEEP-LABEL: func.func private @hv_grad_jvp(
// KEEP-NOT:     tg.attention_grad
// KEEP:         tg.attention %
// KEEP-NOT:     tg.attention_grad
// KEEP:         return

// DEFAULT-LABEL: func.func private @hv_loss_grad(
// DEFAULT-NOT:   tg.attention
// DEFAULT-LABEL: func.func private @hv_grad_jvp(
// DEFAULT-NOT:   tg.attention
// DEFAULT:       return
