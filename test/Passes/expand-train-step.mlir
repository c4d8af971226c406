// RUN: tgc-opt %s --tg-expand-train-step --split-input-file | FileCheck %s

// SGD with momentum: one momentum buffer per parameter, a step counter, and a
// step function that takes the batch and returns the loss.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<4x3xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<2x3xf32>, %labels: tensor<2xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %y = tg.linear %x, %w, %b : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<2x4xf32>, tensor<2xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>

// CHECK-DAG: ml_program.global private mutable @w_momentum_buffer(#tg.zeros) : tensor<4x3xf32>
// CHECK-DAG: ml_program.global private mutable @b_momentum_buffer(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @train_step_step(dense<0> : tensor<i64>) : tensor<i64>
// CHECK-NOT: tg.train_step
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[LABELS:.*]]: tensor<2xi32>) -> tensor<f32>
// CHECK: %[[LOSS:.*]], %[[G:.*]]:2 = tg.value_and_grad @loss(%[[X]], %[[LABELS]]) globals [@w, @b]
// CHECK: %[[COUNT:.*]] = ml_program.global_load @train_step_step
// CHECK: %[[NEXT:.*]] = tg.add %[[COUNT]], %{{.*}} : tensor<i64>
// CHECK: ml_program.global_store @train_step_step = %[[NEXT]]
// CHECK: %[[W:.*]] = ml_program.global_load @w
// CHECK: %[[BUF:.*]] = ml_program.global_load @w_momentum_buffer
// CHECK: %[[DECAYED:.*]] = tg.mul %{{.*}}, %[[BUF]]
// CHECK: %[[NEWBUF:.*]] = tg.add %[[DECAYED]], %[[G]]#0
// CHECK: %[[STEP:.*]] = tg.mul %{{.*}}, %[[NEWBUF]]
// CHECK: %[[NEWW:.*]] = tg.sub %[[W]], %[[STEP]]
// CHECK: ml_program.global_store @w = %[[NEWW]]
// CHECK: ml_program.global_store @w_momentum_buffer = %[[NEWBUF]]
// CHECK: ml_program.global_store @b =
// CHECK: ml_program.global_store @b_momentum_buffer =
// CHECK: return %[[LOSS]] : tensor<f32>

// -----

// Plain SGD keeps no state; explicit `params` train only those.

ml_program.global private mutable @w(#tg.zeros) : tensor<4x3xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<2x3xf32>, %t: tensor<2x4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %y = tg.linear %x, %w, %b : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %l = tg.mse_loss %y, %t : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @finetune loss @loss params [@b] optimizer #tg.sgd<lr = 0.1>

// CHECK-NOT: momentum_buffer
// CHECK-LABEL: func.func @finetune
// CHECK: tg.value_and_grad @loss(%{{.*}}, %{{.*}}) globals [@b] : (tensor<2x3xf32>, tensor<2x4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK-NOT: global_store @w
// CHECK: ml_program.global_store @b =
