// RUN: tgc-opt %s --tg-autodiff=rematerialize-loops | FileCheck %s

// With rematerialization the forward loop records only the carried state;
// the backward loop recomputes the body (matmul, add, tanh) from it.

func.func @rnn(%h0: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %h = scf.for %i = %c0 to %c4 step %c1 iter_args(%hi = %h0) -> (tensor<2x3xf32>) {
    %a = tg.matmul %hi, %w : tensor<2x3xf32>, tensor<3x3xf32> -> tensor<2x3xf32>
    %n = tg.tanh %a : tensor<2x3xf32>
    scf.yield %n : tensor<2x3xf32>
  }
  %l = tg.reduce_sum %h [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @weight_grad(%h0: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %g = tg.grad @rnn(%h0, %w) wrt [1] : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  return %g : tensor<3x3xf32>
}

// CHECK-LABEL: func.func private @rnn_grad
// CHECK: %[[FWD:.*]]:2 = scf.for {{.*}} -> (tensor<2x3xf32>, tensor<4x2x3xf32>)
// CHECK-COUNT-1: tensor.insert_slice
// CHECK: scf.yield
// CHECK: scf.for
// CHECK:   %[[H_K:.*]] = tensor.extract_slice %[[FWD]]#1
// CHECK:   %[[A:.*]] = tg.matmul %[[H_K]], %{{.*}} :
// CHECK:   %[[N:.*]] = tg.tanh %[[A]]
// CHECK:   tg.mul %[[N]], %[[N]]
