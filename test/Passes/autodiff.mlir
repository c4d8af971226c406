// RUN: tgc-opt %s --tg-autodiff --split-input-file | FileCheck %s

// What --tg-autodiff generates. Each tg.grad / tg.value_and_grad / tg.jvp
// becomes a call to a private function @<callee>_grad or @<callee>_jvp: a
// copy of the callee (calls inlined, composites decomposed) followed by the
// derivative sweep. Forward ops whose values no rule needs are removed.

// tg.linear with bias, gradients w.r.t. the globals only. The composite is
// decomposed (matmul transpose_rhs + add), the seed dL/dy = 1 is broadcast
// back through the reduce_sum, the bias gradient sums over the batch and the
// weight gradient is G^T x. Neither x's gradient (G W) nor the forward matmul
// survive: nothing needs them.

ml_program.global private mutable @w(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x784xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<10xf32>

func.func @loss(%x: tensor<128x784xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<10x784xf32>
  %b = ml_program.global_load @b : tensor<10xf32>
  %y = tg.linear %x, %w, %b : tensor<128x784xf32>, tensor<10x784xf32>, tensor<10xf32> -> tensor<128x10xf32>
  %s = tg.reduce_sum %y [0, 1] : tensor<128x10xf32> -> tensor<f32>
  return %s : tensor<f32>
}

func.func @linear_grads(%x: tensor<128x784xf32>) -> (tensor<10x784xf32>, tensor<10xf32>) {
  %gw, %gb = tg.grad @loss(%x) globals [@w, @b] : (tensor<128x784xf32>) -> (tensor<10x784xf32>, tensor<10xf32>)
  return %gw, %gb : tensor<10x784xf32>, tensor<10xf32>
}

// CHECK-LABEL: func.func private @loss_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<128x784xf32>) -> (tensor<10x784xf32>, tensor<10xf32>)
// CHECK:         %[[W:.*]] = ml_program.global_load @w :
// CHECK:         ml_program.global_load @b :
// CHECK-NOT:     tg.matmul
// CHECK:         %[[ONE:.*]] = tg.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[ONE2D:.*]] = tg.reshape %[[ONE]] : tensor<f32> -> tensor<1x1xf32>
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %[[ONE2D]] : tensor<1x1xf32> -> tensor<128x10xf32>
// CHECK:         %[[GB2D:.*]] = tg.reduce_sum %[[SEED]] [0] keepdim : tensor<128x10xf32> -> tensor<1x10xf32>
// CHECK:         %[[GB:.*]] = tg.reshape %[[GB2D]] : tensor<1x10xf32> -> tensor<10xf32>
// CHECK-NOT:     tg.matmul %[[SEED]], %[[W]]
// CHECK:         %[[GW:.*]] = tg.matmul %[[SEED]], %[[X]] transpose_lhs : tensor<128x10xf32>, tensor<128x784xf32> -> tensor<10x784xf32>
// CHECK-NOT:     tg.matmul
// CHECK:         return %[[GW]], %[[GB]] : tensor<10x784xf32>, tensor<10xf32>

// CHECK-LABEL: func.func @linear_grads(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<128x784xf32>)
// CHECK-NOT:     tg.grad
// CHECK:         %[[G:.*]]:2 = call @loss_grad(%[[X]]) : (tensor<128x784xf32>) -> (tensor<10x784xf32>, tensor<10xf32>)
// CHECK:         return %[[G]]#0, %[[G]]#1

// -----

// A 2-layer MLP with relu and softmax_cross_entropy: gradients of all four
// parameters. The backward sweep runs the loss backwards (neg, mean,
// label pick), then the log_softmax vjp g - exp(logp) * sum(g), the second
// layer (bias: reduce over the batch; weight: G^T a; input: G W2), the relu
// mask [h > 0] built with compare + select, and the first layer.

ml_program.global private mutable @w1(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<16x8xf32>
ml_program.global private mutable @b1(#tg.zeros) : tensor<16xf32>
ml_program.global private mutable @w2(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<4x16xf32>
ml_program.global private mutable @b2(#tg.zeros) : tensor<4xf32>

func.func @mlp_loss(%x: tensor<32x8xf32>, %y: tensor<32xi32>) -> tensor<f32> {
  %w1 = ml_program.global_load @w1 : tensor<16x8xf32>
  %b1 = ml_program.global_load @b1 : tensor<16xf32>
  %w2 = ml_program.global_load @w2 : tensor<4x16xf32>
  %b2 = ml_program.global_load @b2 : tensor<4xf32>
  %h = tg.linear %x, %w1, %b1 : tensor<32x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<32x16xf32>
  %a = tg.relu %h : tensor<32x16xf32>
  %logits = tg.linear %a, %w2, %b2 : tensor<32x16xf32>, tensor<4x16xf32>, tensor<4xf32> -> tensor<32x4xf32>
  %l = tg.softmax_cross_entropy %logits, %y : tensor<32x4xf32>, tensor<32xi32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @mlp_grads(%x: tensor<32x8xf32>, %y: tensor<32xi32>) -> (tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>) {
  %g:4 = tg.grad @mlp_loss(%x, %y) globals [@w1, @b1, @w2, @b2] : (tensor<32x8xf32>, tensor<32xi32>) -> (tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>)
  return %g#0, %g#1, %g#2, %g#3 : tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func private @mlp_loss_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<32x8xf32>, %[[Y:[a-z0-9]+]]: tensor<32xi32>)
// CHECK-SAME:      -> (tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>)
// CHECK-DAG:     %[[W1:.*]] = ml_program.global_load @w1 :
// CHECK-DAG:     %[[W2:.*]] = ml_program.global_load @w2 :
//                Forward, kept because the rules reuse its values.
// CHECK:         %[[H0:.*]] = tg.matmul %[[X]], %[[W1]] transpose_rhs : tensor<32x8xf32>, tensor<16x8xf32> -> tensor<32x16xf32>
// CHECK:         %[[H:.*]] = tg.add %[[H0]], %{{.*}} : tensor<32x16xf32>, tensor<16xf32> -> tensor<32x16xf32>
// CHECK:         %[[A:.*]] = tg.relu %[[H]] : tensor<32x16xf32>
// CHECK:         %[[Z0:.*]] = tg.matmul %[[A]], %[[W2]] transpose_rhs : tensor<32x16xf32>, tensor<4x16xf32> -> tensor<32x4xf32>
// CHECK:         %[[Z:.*]] = tg.add %[[Z0]], %{{.*}} : tensor<32x4xf32>, tensor<4xf32> -> tensor<32x4xf32>
//                Cross-entropy: log Z = max + log sum exp(z - max), the max
//                a constant for differentiation.
// CHECK:         %[[MAX:.*]] = tg.reduce_max %[[Z]] [-1] keepdim : tensor<32x4xf32> -> tensor<32x1xf32>
// CHECK:         %[[M:.*]] = tg.stop_gradient %[[MAX]] : tensor<32x1xf32>
// CHECK:         %[[SHIFTED:.*]] = tg.sub %[[Z]], %[[M]] : tensor<32x4xf32>, tensor<32x1xf32> -> tensor<32x4xf32>
// CHECK:         %[[E:.*]] = tg.exp %[[SHIFTED]] : tensor<32x4xf32>
// CHECK:         %[[S:.*]] = tg.reduce_sum %[[E]] [-1] keepdim : tensor<32x4xf32> -> tensor<32x1xf32>
//                Backward: -1 (neg) and 1/32 (mean); no sum over the classes:
//                the label's logit gets its cotangent through a one-hot
//                product, log Z gives it times softmax = exp(z - max) / sum.
// CHECK-DAG:     tg.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG:     tg.constant dense<3.125000e-02> : tensor<f32>
// CHECK-NOT:     tg.reduce_sum
// CHECK:         %[[ONEHOT:.*]] = tg.one_hot %[[Y]] classes 4 : tensor<32xi32> -> tensor<32x4xf32>
// CHECK:         %[[GPICK:.*]] = tg.mul %[[ONEHOT]], %{{.*}} : tensor<32x4xf32>
// CHECK:         tg.div %{{.*}}, %[[S]] : tensor<f32>, tensor<32x1xf32> -> tensor<32x1xf32>
// CHECK-NOT:     tg.reduce_sum
// CHECK:         %[[GLSE:.*]] = tg.mul %{{.*}}, %[[E]] : tensor<32x4xf32>
// CHECK:         %[[GZ:.*]] = tg.add %[[GPICK]], %[[GLSE]] : tensor<32x4xf32>
//                Second layer.
// CHECK-DAG:     %[[GB2_2D:.*]] = tg.reduce_sum %[[GZ]] [0] keepdim : tensor<32x4xf32> -> tensor<1x4xf32>
// CHECK-DAG:     %[[GB2:.*]] = tg.reshape %[[GB2_2D]] : tensor<1x4xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[GA:.*]] = tg.matmul %[[GZ]], %[[W2]] : tensor<32x4xf32>, tensor<4x16xf32> -> tensor<32x16xf32>
// CHECK-DAG:     %[[GW2:.*]] = tg.matmul %[[GZ]], %[[A]] transpose_lhs : tensor<32x4xf32>, tensor<32x16xf32> -> tensor<4x16xf32>
//                relu: the cotangent times [relu(h) > 0], from relu's result.
// CHECK:         %[[ZERO:.*]] = tg.constant dense<0.000000e+00> : tensor<f32>
// CHECK:         %[[POS:.*]] = tg.compare gt %[[A]], %[[ZERO]] : tensor<32x16xf32>, tensor<f32> -> tensor<32x16xi1>
// CHECK:         %[[MASK:.*]] = tg.select %[[POS]], %{{.*}}, %{{.*}} : tensor<32x16xi1>, tensor<f32>, tensor<f32> -> tensor<32x16xf32>
// CHECK:         %[[GH:.*]] = tg.mul %[[GA]], %[[MASK]] : tensor<32x16xf32>
//                First layer; x's gradient (G W1) is not requested.
// CHECK:         %[[GB1_2D:.*]] = tg.reduce_sum %[[GH]] [0] keepdim : tensor<32x16xf32> -> tensor<1x16xf32>
// CHECK:         %[[GB1:.*]] = tg.reshape %[[GB1_2D]] : tensor<1x16xf32> -> tensor<16xf32>
// CHECK-NOT:     tg.matmul %[[GH]], %[[W1]]
// CHECK:         %[[GW1:.*]] = tg.matmul %[[GH]], %[[X]] transpose_lhs : tensor<32x16xf32>, tensor<32x8xf32> -> tensor<16x8xf32>
// CHECK-NOT:     tg.matmul
// CHECK:         return %[[GW1]], %[[GB1]], %[[GW2]], %[[GB2]] : tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>

// CHECK-LABEL: func.func @mlp_grads(
// CHECK:         call @mlp_loss_grad(%{{.*}}, %{{.*}}) : (tensor<32x8xf32>, tensor<32xi32>) -> (tensor<16x8xf32>, tensor<16xf32>, tensor<4x16xf32>, tensor<4xf32>)

// -----

// softmax_cross_entropy alone, w.r.t. the logits: one-hot(label) * -1/8
// plus exp(x - max) * (1/8) / sum, with no reduction in the backward pass
// and no cotangent for the labels.

func.func @ce(%logits: tensor<8x5xf32>, %labels: tensor<8xi32>) -> tensor<f32> {
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<8x5xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @ce_grads(%logits: tensor<8x5xf32>, %labels: tensor<8xi32>) -> tensor<8x5xf32> {
  %g = tg.grad @ce(%logits, %labels) wrt [0] : (tensor<8x5xf32>, tensor<8xi32>) -> tensor<8x5xf32>
  return %g : tensor<8x5xf32>
}

// CHECK-LABEL: func.func private @ce_grad(
// CHECK-SAME:      %[[LOGITS:[a-z0-9]+]]: tensor<8x5xf32>, %[[LABELS:[a-z0-9]+]]: tensor<8xi32>) -> tensor<8x5xf32>
// CHECK:         %[[MAX:.*]] = tg.reduce_max %[[LOGITS]] [-1] keepdim : tensor<8x5xf32> -> tensor<8x1xf32>
// CHECK:         %[[M:.*]] = tg.stop_gradient %[[MAX]] : tensor<8x1xf32>
// CHECK:         %[[SHIFTED:.*]] = tg.sub %[[LOGITS]], %[[M]]
// CHECK:         %[[E:.*]] = tg.exp %[[SHIFTED]] : tensor<8x5xf32>
// CHECK:         %[[S:.*]] = tg.reduce_sum %[[E]] [-1] keepdim : tensor<8x5xf32> -> tensor<8x1xf32>
// CHECK-DAG:     tg.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG:     tg.constant dense<1.250000e-01> : tensor<f32>
// CHECK-NOT:     tg.reduce
// CHECK:         %[[ONEHOT:.*]] = tg.one_hot %[[LABELS]] classes 5 : tensor<8xi32> -> tensor<8x5xf32>
// CHECK:         %[[G:.*]] = tg.mul %[[ONEHOT]], %{{.*}} : tensor<8x5xf32>
// CHECK:         tg.div %{{.*}}, %[[S]]
// CHECK-NOT:     tg.reduce
// CHECK:         %[[PS:.*]] = tg.mul %{{.*}}, %[[E]] : tensor<8x5xf32>
// CHECK:         %[[GX:.*]] = tg.add %[[G]], %[[PS]] : tensor<8x5xf32>
// CHECK-NEXT:    return %[[GX]] : tensor<8x5xf32>

// -----

// tg.value_and_grad returns the forward value (computed once) before the
// gradients. x * x uses x twice: its two cotangents are added.

func.func @square_sum(%x: tensor<4xf32>) -> tensor<f32> {
  %y = tg.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %s = tg.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

func.func @value_and_grads(%x: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>) {
  %v, %g = tg.value_and_grad @square_sum(%x) wrt [0] : (tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
  return %v, %g : tensor<f32>, tensor<4xf32>
}

// CHECK-LABEL: func.func private @square_sum_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK:         %[[Y:.*]] = tg.mul %[[X]], %[[X]] : tensor<4xf32>
// CHECK:         %[[V:.*]] = tg.reduce_sum %[[Y]] [0] : tensor<4xf32> -> tensor<f32>
// CHECK-NOT:     tg.mul %[[X]], %[[X]]
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK:         %[[G0:.*]] = tg.mul %[[SEED]], %[[X]] : tensor<4xf32>
// CHECK:         %[[G1:.*]] = tg.mul %[[SEED]], %[[X]] : tensor<4xf32>
// CHECK:         %[[G:.*]] = tg.add %[[G0]], %[[G1]] : tensor<4xf32>
// CHECK:         return %[[V]], %[[G]] : tensor<f32>, tensor<4xf32>

// CHECK-LABEL: func.func @value_and_grads(
// CHECK:         %[[R:.*]]:2 = call @square_sum_grad(%{{.*}}) : (tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK:         return %[[R]]#0, %[[R]]#1

// -----

// tg.jvp (forward mode) w.r.t. x only: the tangent argument is appended, each
// op's tangent is built right after it, and y (no tangent) only scales.

func.func @exp_mul(%x: tensor<4xf64>, %y: tensor<4xf64>) -> tensor<4xf64> {
  %e = tg.exp %x : tensor<4xf64>
  %m = tg.mul %e, %y : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  return %m : tensor<4xf64>
}

func.func @forward(%x: tensor<4xf64>, %y: tensor<4xf64>, %tx: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>) {
  %r, %t = tg.jvp @exp_mul(%x, %y) tangents(%tx) wrt [0] : (tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>)
  return %r, %t : tensor<4xf64>, tensor<4xf64>
}

// CHECK-LABEL: func.func private @exp_mul_jvp(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf64>, %[[Y:[a-z0-9]+]]: tensor<4xf64>, %[[TX:[a-z0-9]+]]: tensor<4xf64>)
// CHECK-SAME:      -> (tensor<4xf64>, tensor<4xf64>)
// CHECK-NEXT:    %[[E:.*]] = tg.exp %[[X]] : tensor<4xf64>
// CHECK-NEXT:    %[[TE:.*]] = tg.mul %[[TX]], %[[E]] : tensor<4xf64>
// CHECK-NEXT:    %[[M:.*]] = tg.mul %[[E]], %[[Y]] : tensor<4xf64>
// CHECK-NEXT:    %[[TM:.*]] = tg.mul %[[TE]], %[[Y]] : tensor<4xf64>
// CHECK-NEXT:    return %[[M]], %[[TM]] : tensor<4xf64>, tensor<4xf64>

// CHECK-LABEL: func.func @forward(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf64>, %[[Y:[a-z0-9]+]]: tensor<4xf64>, %[[TX:[a-z0-9]+]]: tensor<4xf64>)
// CHECK:         %[[R:.*]]:2 = call @exp_mul_jvp(%[[X]], %[[Y]], %[[TX]])
// CHECK:         return %[[R]]#0, %[[R]]#1

// -----

// Second order: tg.jvp of a function holding tg.grad. The inner tg.grad is
// expanded first; the jvp function then inlines the gradient function and
// differentiates it forward, giving a Hessian-vector product:
// f = sum(x e^x), grad = e^x (1 + x), H v = v e^x (2 + x).

func.func @f(%x: tensor<3xf64>) -> tensor<f64> {
  %e = tg.exp %x : tensor<3xf64>
  %m = tg.mul %e, %x : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
  %r = tg.reduce_sum %m [0] : tensor<3xf64> -> tensor<f64>
  return %r : tensor<f64>
}

func.func @df(%x: tensor<3xf64>) -> tensor<3xf64> {
  %g = tg.grad @f(%x) wrt [0] : (tensor<3xf64>) -> tensor<3xf64>
  return %g : tensor<3xf64>
}

func.func @hvp(%x: tensor<3xf64>, %v: tensor<3xf64>) -> tensor<3xf64> {
  %g, %hv = tg.jvp @df(%x) tangents(%v) : (tensor<3xf64>, tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
  return %hv : tensor<3xf64>
}

// CHECK-LABEL: func.func private @f_grad(
// CHECK-LABEL: func.func @df(
// CHECK:         call @f_grad(
// CHECK-LABEL: func.func private @df_jvp(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<3xf64>, %[[V:[a-z0-9]+]]: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
// CHECK-NOT:     call
// CHECK:         %[[E:.*]] = tg.exp %[[X]] : tensor<3xf64>
// CHECK:         %[[TE:.*]] = tg.mul %[[V]], %[[E]] : tensor<3xf64>
// CHECK-NOT:     call
// CHECK:         tg.mul %{{.*}}, %[[TE]] : tensor<3xf64>
// CHECK-NOT:     call
// CHECK:         return %{{.*}}, %{{.*}} : tensor<3xf64>, tensor<3xf64>
// CHECK-LABEL: func.func @hvp(
// CHECK:         %[[R:.*]]:2 = call @df_jvp(%{{.*}}, %{{.*}})
// CHECK:         return %[[R]]#1

// -----

// tg.jvp with tangents on globals: every load of @w starts with the tangent
// after those of `wrt` (none here); the function's argument @x has none.

ml_program.global private mutable @w(dense<1.0> : tensor<4xf64>) : tensor<4xf64>

func.func @scaled_exp(%x: tensor<4xf64>) -> tensor<4xf64> {
  %w = ml_program.global_load @w : tensor<4xf64>
  %m = tg.mul %w, %x : tensor<4xf64>, tensor<4xf64> -> tensor<4xf64>
  %e = tg.exp %m : tensor<4xf64>
  return %e : tensor<4xf64>
}

func.func @along_w(%x: tensor<4xf64>, %tw: tensor<4xf64>) -> tensor<4xf64> {
  %r, %t = tg.jvp @scaled_exp(%x) tangents(%tw) wrt [] globals [@w] : (tensor<4xf64>, tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>)
  return %t : tensor<4xf64>
}

// CHECK-LABEL: func.func private @scaled_exp_jvp(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf64>, %[[TW:[a-z0-9]+]]: tensor<4xf64>)
// CHECK-NEXT:    %[[W:.*]] = ml_program.global_load @w : tensor<4xf64>
// CHECK-NEXT:    %[[M:.*]] = tg.mul %[[W]], %[[X]] : tensor<4xf64>
// CHECK-NEXT:    %[[TM:.*]] = tg.mul %[[TW]], %[[X]] : tensor<4xf64>
// CHECK-NEXT:    %[[E:.*]] = tg.exp %[[M]] : tensor<4xf64>
// CHECK-NEXT:    %[[TE:.*]] = tg.mul %[[TM]], %[[E]] : tensor<4xf64>
// CHECK-NEXT:    return %[[E]], %[[TE]] : tensor<4xf64>, tensor<4xf64>
// CHECK-LABEL: func.func @along_w(
// CHECK:         call @scaled_exp_jvp(%{{.*}}, %{{.*}})

// -----

// A Hessian-vector product with respect to a global (AdaHessian's H z):
// tg.jvp along @w of a function that returns the gradient with respect to
// @w3. loss = sum(w^2 x), gradient x w + x w, H z = x z + x z.

func.func @quadratic(%x: tensor<3xf64>) -> tensor<f64> {
  %w = ml_program.global_load @w3 : tensor<3xf64>
  %w2 = tg.mul %w, %w : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
  %m = tg.mul %w2, %x : tensor<3xf64>, tensor<3xf64> -> tensor<3xf64>
  %r = tg.reduce_sum %m [0] : tensor<3xf64> -> tensor<f64>
  return %r : tensor<f64>
}

ml_program.global private mutable @w3(dense<1.0> : tensor<3xf64>) : tensor<3xf64>

func.func @gradient(%x: tensor<3xf64>) -> tensor<3xf64> {
  %g = tg.grad @quadratic(%x) globals [@w3] : (tensor<3xf64>) -> tensor<3xf64>
  return %g : tensor<3xf64>
}

func.func @hz(%x: tensor<3xf64>, %z: tensor<3xf64>) -> tensor<3xf64> {
  %g, %hz = tg.jvp @gradient(%x) tangents(%z) wrt [] globals [@w3] : (tensor<3xf64>, tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
  return %hz : tensor<3xf64>
}

// CHECK-LABEL: func.func private @gradient_jvp(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<3xf64>, %[[Z:[a-z0-9]+]]: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>)
// CHECK-NOT:     call
// CHECK:         %[[W:.*]] = ml_program.global_load @w3
// CHECK:         %[[DX:.*]] = tg.mul %{{.*}}, %[[X]]
// CHECK-NEXT:    %[[G1:.*]] = tg.mul %[[DX]], %[[W]]
// CHECK-NEXT:    %[[T1:.*]] = tg.mul %[[DX]], %[[Z]]
// CHECK-NEXT:    %[[G2:.*]] = tg.mul %[[DX]], %[[W]]
// CHECK-NEXT:    %[[T2:.*]] = tg.mul %[[DX]], %[[Z]]
// CHECK-NEXT:    %[[G:.*]] = tg.add %[[G1]], %[[G2]]
// CHECK-NEXT:    %[[HZ:.*]] = tg.add %[[T1]], %[[T2]]
// CHECK-NEXT:    return %[[G]], %[[HZ]]
// CHECK-LABEL: func.func @hz(
// CHECK:         %[[R:.*]]:2 = call @gradient_jvp(%{{.*}}, %{{.*}})
// CHECK:         return %[[R]]#1

// -----

// Fan-out: x feeds exp and tanh; the two cotangents reaching x are added.

func.func @fan_out(%x: tensor<4xf32>) -> tensor<f32> {
  %e = tg.exp %x : tensor<4xf32>
  %t = tg.tanh %x : tensor<4xf32>
  %s = tg.add %e, %t : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %r = tg.reduce_sum %s [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @fan_out_grads(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @fan_out(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func private @fan_out_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-DAG:     %[[E:.*]] = tg.exp %[[X]] : tensor<4xf32>
// CHECK-DAG:     %[[T:.*]] = tg.tanh %[[X]] : tensor<4xf32>
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
//                tanh' = 1 - t^2, exp' = e.
// CHECK-DAG:     %[[T2:.*]] = tg.mul %[[T]], %[[T]] : tensor<4xf32>
// CHECK-DAG:     %[[DT:.*]] = tg.sub %{{.*}}, %[[T2]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[GT:.*]] = tg.mul %[[SEED]], %[[DT]] : tensor<4xf32>
// CHECK-DAG:     %[[GE:.*]] = tg.mul %[[SEED]], %[[E]] : tensor<4xf32>
// CHECK:         %[[G:.*]] = tg.add %[[GT]], %[[GE]] : tensor<4xf32>
// CHECK-NEXT:    return %[[G]] : tensor<4xf32>

// -----

// Broadcasting: the cotangent of a broadcast operand is summed over the
// broadcast dimensions (keepdim) and reshaped back to the operand's type.
// b: tensor<3> against 2x3 (new leading dim); c: tensor<2x1> against 2x3.

func.func @broadcasts(%x: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>) -> tensor<f32> {
  %y = tg.mul %x, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %z = tg.sub %y, %c : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
  %r = tg.reduce_sum %z [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @broadcast_grads(%x: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x1xf32>) -> (tensor<3xf32>, tensor<2x1xf32>) {
  %gb, %gc = tg.grad @broadcasts(%x, %b, %c) wrt [1, 2] : (tensor<2x3xf32>, tensor<3xf32>, tensor<2x1xf32>) -> (tensor<3xf32>, tensor<2x1xf32>)
  return %gb, %gc : tensor<3xf32>, tensor<2x1xf32>
}

// CHECK-LABEL: func.func private @broadcasts_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<2x3xf32>, %[[B:[a-z0-9]+]]: tensor<3xf32>, %[[C:[a-z0-9]+]]: tensor<2x1xf32>)
// CHECK-SAME:      -> (tensor<3xf32>, tensor<2x1xf32>)
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1x1xf32> -> tensor<2x3xf32>
// CHECK-DAG:     %[[NEG:.*]] = tg.neg %[[SEED]] : tensor<2x3xf32>
// CHECK-DAG:     %[[GC:.*]] = tg.reduce_sum %[[NEG]] [1] keepdim : tensor<2x3xf32> -> tensor<2x1xf32>
// CHECK-DAG:     %[[XG:.*]] = tg.mul %[[SEED]], %[[X]] : tensor<2x3xf32>
// CHECK-DAG:     %[[SUM:.*]] = tg.reduce_sum %[[XG]] [0] keepdim : tensor<2x3xf32> -> tensor<1x3xf32>
// CHECK-DAG:     %[[GB:.*]] = tg.reshape %[[SUM]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:         return %[[GB]], %[[GC]] : tensor<3xf32>, tensor<2x1xf32>

// -----

// tg.stop_gradient: the gradient of sum(stop_gradient(exp(x)) * x) is
// exp(x) alone; no cotangent flows back into exp.

func.func @stopped(%x: tensor<4xf32>) -> tensor<f32> {
  %e = tg.exp %x : tensor<4xf32>
  %c = tg.stop_gradient %e : tensor<4xf32>
  %m = tg.mul %c, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %r = tg.reduce_sum %m [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @stopped_grads(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @stopped(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func private @stopped_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK:         %[[E:.*]] = tg.exp %[[X]] : tensor<4xf32>
// CHECK:         %[[C:.*]] = tg.stop_gradient %[[E]] : tensor<4xf32>
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-NEXT:    %[[G:.*]] = tg.mul %[[SEED]], %[[C]] : tensor<4xf32>
// CHECK-NEXT:    return %[[G]] : tensor<4xf32>

// -----

// An argument with no path to the loss gets a zeros constant, and the forward
// computation, which no rule needs, is removed.

func.func @ignores_u(%x: tensor<4xf32>, %u: tensor<3xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_of_unused(%x: tensor<4xf32>, %u: tensor<3xf32>) -> tensor<3xf32> {
  %g = tg.grad @ignores_u(%x, %u) wrt [1] : (tensor<4xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %g : tensor<3xf32>
}

// CHECK-LABEL: func.func private @ignores_u_grad(
// CHECK-SAME:      %{{.*}}: tensor<4xf32>, %{{.*}}: tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    %[[ZEROS:.*]] = tg.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-NEXT:    return %[[ZEROS]] : tensor<3xf32>

// -----

// Only requested gradients are computed: y is not in `wrt`, so log's rule
// (1 / y) and the cotangent of log(y) (a product with sigmoid(x)) are never
// built; log(y) itself stays as a forward value of the product rule.

func.func @two_inputs(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<f32> {
  %a = tg.sigmoid %x : tensor<4xf32>
  %b = tg.log %y : tensor<4xf32>
  %m = tg.mul %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %r = tg.reduce_sum %m [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_x_only(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @two_inputs(%x, %y) wrt [0] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func private @two_inputs_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>, %[[Y:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK:         %[[A:.*]] = tg.sigmoid %[[X]] : tensor<4xf32>
// CHECK:         %[[B:.*]] = tg.log %[[Y]] : tensor<4xf32>
// CHECK-NOT:     tg.div
// CHECK-NOT:     tg.mul %{{.*}}, %[[A]] :
// CHECK:         %[[GA:.*]] = tg.mul %{{.*}}, %[[B]] : tensor<4xf32>
// CHECK-NOT:     tg.div
// CHECK-NOT:     tg.mul %{{.*}}, %[[A]] :
//                sigmoid' = a (1 - a)
// CHECK:         %[[OMA:.*]] = tg.sub %{{.*}}, %[[A]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[DA:.*]] = tg.mul %[[A]], %[[OMA]] : tensor<4xf32>
// CHECK:         %[[G:.*]] = tg.mul %[[GA]], %[[DA]] : tensor<4xf32>
// CHECK-NEXT:    return %[[G]] : tensor<4xf32>

// -----

// Calls are inlined into the derivative function: the generated function
// holds @layer's tanh (and its derivative 1 - t^2), not a call.

func.func @layer(%x: tensor<4xf32>) -> tensor<4xf32> {
  %t = tg.tanh %x : tensor<4xf32>
  return %t : tensor<4xf32>
}

func.func @outer(%x: tensor<4xf32>) -> tensor<f32> {
  %y = func.call @layer(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %r = tg.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @outer_grads(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @outer(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func @outer(
// CHECK:         call @layer(
// CHECK-LABEL: func.func private @outer_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT:     call
// CHECK:         %[[T:.*]] = tg.tanh %[[X]] : tensor<4xf32>
// CHECK-NOT:     call
// CHECK:         %[[T2:.*]] = tg.mul %[[T]], %[[T]] : tensor<4xf32>
// CHECK-NOT:     call
// CHECK:         return
// CHECK-LABEL: func.func @outer_grads(
// CHECK:         call @outer_grad(

// -----

// A global loaded twice: each load is a seed, and the global's gradient is the
// sum of the two loads' cotangents. d/dw sum(x * w * w) = 2 x w.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loads_twice(%x: tensor<4xf32>) -> tensor<f32> {
  %w1 = ml_program.global_load @w : tensor<4xf32>
  %a = tg.mul %x, %w1 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %w2 = ml_program.global_load @w : tensor<4xf32>
  %b = tg.mul %a, %w2 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %r = tg.reduce_sum %b [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_w(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @loads_twice(%x) globals [@w] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func private @loads_twice_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK:         %[[W1:.*]] = ml_program.global_load @w : tensor<4xf32>
// CHECK:         %[[A:.*]] = tg.mul %[[X]], %[[W1]] : tensor<4xf32>
// CHECK:         %[[W2:.*]] = ml_program.global_load @w : tensor<4xf32>
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[GA:.*]] = tg.mul %[[SEED]], %[[W2]] : tensor<4xf32>
// CHECK-DAG:     %[[GW2:.*]] = tg.mul %[[SEED]], %[[A]] : tensor<4xf32>
// CHECK-DAG:     %[[GW1:.*]] = tg.mul %[[GA]], %[[X]] : tensor<4xf32>
// CHECK:         %[[G:.*]] = tg.add %[[GW1]], %[[GW2]] : tensor<4xf32>
// CHECK-NEXT:    return %[[G]] : tensor<4xf32>

// -----

// tg.straight_through with clip: the forward value (sign) is not needed by
// the gradient, which is the cotangent where -1 <= x <= 1 and zero elsewhere.

func.func @quantized(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.sign %x : tensor<4xf32>
  %q = tg.straight_through %x, %s clip [-1.0, 1.0] : tensor<4xf32>
  %r = tg.reduce_sum %q [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @quantized_grads(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @quantized(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// CHECK-LABEL: func.func private @quantized_grad(
// CHECK-SAME:      %[[X:[a-z0-9]+]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT:     tg.sign
// CHECK:         %[[SEED:.*]] = tg.broadcast_to %{{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-DAG:     %[[LO:.*]] = tg.constant dense<-1.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[HI:.*]] = tg.constant dense<1.000000e+00> : tensor<f32>
// CHECK-DAG:     %[[ZERO:.*]] = tg.constant dense<0.000000e+00> : tensor<f32>
// CHECK:         %[[GE:.*]] = tg.compare ge %[[X]], %[[LO]] : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
// CHECK:         %[[LE:.*]] = tg.compare le %[[X]], %[[HI]] : tensor<4xf32>, tensor<f32> -> tensor<4xi1>
// CHECK:         %[[IN:.*]] = tg.select %[[LE]], %[[SEED]], %[[ZERO]] : tensor<4xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK:         %[[G:.*]] = tg.select %[[GE]], %[[IN]], %[[ZERO]] : tensor<4xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK-NEXT:    return %[[G]] : tensor<4xf32>

// -----

// Backpropagation through time: the forward loop records the values the
// backward rules read (here the carried state for matmul's rule and tanh's
// result for tanh's rule) into tapes [steps, ...]; a second loop walks the
// iterations in reverse, reading them back, carrying the state's cotangent
// and accumulating the captured weight's.

func.func @rnn(%h0: tensor<2x3xf32>, %w: tensor<3x3xf32>, %xs: tensor<4x2x3xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %h = scf.for %i = %c0 to %c4 step %c1 iter_args(%hi = %h0) -> (tensor<2x3xf32>) {
    %x = tensor.extract_slice %xs[%i, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<4x2x3xf32> to tensor<2x3xf32>
    %a = tg.matmul %hi, %w : tensor<2x3xf32>, tensor<3x3xf32> -> tensor<2x3xf32>
    %b = tg.add %a, %x : tensor<2x3xf32>
    %n = tg.tanh %b : tensor<2x3xf32>
    scf.yield %n : tensor<2x3xf32>
  }
  %l = tg.reduce_sum %h [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @rnn_weight_grad(%h0: tensor<2x3xf32>, %w: tensor<3x3xf32>, %xs: tensor<4x2x3xf32>) -> tensor<3x3xf32> {
  %g = tg.grad @rnn(%h0, %w, %xs) wrt [1] : (tensor<2x3xf32>, tensor<3x3xf32>, tensor<4x2x3xf32>) -> tensor<3x3xf32>
  return %g : tensor<3x3xf32>
}

// CHECK-LABEL: func.func private @rnn_grad
// CHECK-SAME: (%[[H0:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<3x3xf32>, %[[XS:.*]]: tensor<4x2x3xf32>) -> tensor<3x3xf32>
// CHECK: %[[FWD:.*]]:3 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[HI:.*]] = %[[H0]], %[[TAPE_H:.*]] = %{{.*}}, %[[TAPE_N:.*]] = %{{.*}}) -> (tensor<2x3xf32>, tensor<4x2x3xf32>, tensor<4x2x3xf32>)
// CHECK:   tg.matmul %[[HI]], %[[W]]
// CHECK:   %[[N:.*]] = tg.tanh
// CHECK:   %[[REC_H:.*]] = tensor.insert_slice %[[HI]] into %[[TAPE_H]][%[[I]], 0, 0] [1, 2, 3] [1, 1, 1]
// CHECK:   %[[REC_N:.*]] = tensor.insert_slice %[[N]] into %[[TAPE_N]][%[[I]], 0, 0] [1, 2, 3] [1, 1, 1]
// CHECK:   scf.yield %[[N]], %[[REC_H]], %[[REC_N]]
// CHECK: %[[BWD:.*]]:2 = scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[CT_H:.*]] = %{{.*}}, %[[CT_W:.*]] = %{{.*}}) -> (tensor<2x3xf32>, tensor<3x3xf32>)
// CHECK:   %[[K:.*]] = arith.subi %{{.*}}, %[[J]] : index
// CHECK-DAG: %[[H_K:.*]] = tensor.extract_slice %[[FWD]]#1[%[[K]], 0, 0] [1, 2, 3] [1, 1, 1]
// CHECK-DAG: %[[N_K:.*]] = tensor.extract_slice %[[FWD]]#2[%[[K]], 0, 0] [1, 2, 3] [1, 1, 1]
// CHECK:   tg.mul %[[N_K]], %[[N_K]]
// CHECK:   %[[CT_B:.*]] = tg.mul %[[CT_H]], %{{.*}}
// CHECK-DAG: %[[CT_HPREV:.*]] = tg.matmul %[[CT_B]], %[[W]] transpose_rhs
// CHECK-DAG: %[[DW:.*]] = tg.matmul %[[H_K]], %[[CT_B]] transpose_lhs
// CHECK:   %[[SUM_W:.*]] = tg.add %[[CT_W]], %[[DW]]
// CHECK:   scf.yield %[[CT_HPREV]], %[[SUM_W]]
// CHECK: return %[[BWD]]#1 : tensor<3x3xf32>
