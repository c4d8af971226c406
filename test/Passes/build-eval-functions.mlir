// RUN: tgc-opt %s --tg-build-eval-functions="functions=loss,forward,absent" --split-input-file --verify-diagnostics | FileCheck %s

// Evaluation copies: @forward_eval normalizes by the running statistics and
// stores nothing; @loss_eval calls it. The originals stay as they are (the
// train step trains with them), and a function the module lacks is skipped.

ml_program.global private mutable @w(#tg.ones) : tensor<4x3xf32>
ml_program.global private mutable @g(#tg.ones) : tensor<4xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @mean(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @var(#tg.ones) : tensor<4xf32>

func.func @forward(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %h = tg.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %g = ml_program.global_load @g : tensor<4xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %rm = ml_program.global_load @mean : tensor<4xf32>
  %rv = ml_program.global_load @var : tensor<4xf32>
  %y, %m, %v = tg.batch_norm %h, %g, %b, %rm, %rv training momentum 0.1 : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  ml_program.global_store @mean = %m : tensor<4xf32>
  ml_program.global_store @var = %v : tensor<4xf32>
  return %y : tensor<2x4xf32>
}

func.func @loss(%x: tensor<2x3xf32>, %labels: tensor<2xi32>) -> tensor<f32> {
  %logits = func.call @forward(%x) : (tensor<2x3xf32>) -> tensor<2x4xf32>
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<2x4xf32>, tensor<2xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @forward(
// CHECK:         tg.batch_norm {{.*}} training
// CHECK:         ml_program.global_store @mean
// CHECK:         ml_program.global_store @var
// CHECK-LABEL: func.func private @forward_eval(
// CHECK-NOT:     training
// CHECK-NOT:     global_store
// CHECK:         tg.batch_norm
// CHECK-NOT:     training
// CHECK-NOT:     global_store
// CHECK:         return
// CHECK-LABEL: func.func @loss(
// CHECK:         call @forward(
// CHECK-LABEL: func.func private @loss_eval(
// CHECK:         call @forward_eval(

// -----

// The copy's name must be free: the driver looks it up.

func.func @forward_eval(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}

// expected-error@+1 {{cannot build the evaluation copy @forward_eval: the name is taken}}
func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
