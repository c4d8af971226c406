// RUN: tgc-opt %s --tg-lower-to-linalg --split-input-file --verify-diagnostics

// What --tg-lower-to-linalg refuses: ops that an earlier pass should have
// removed, and dynamic shapes.

func.func @leftover_composite(%x: tensor<4x8xf32>, %w: tensor<2x8xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'tg.linear' op is a composite op: run --tg-decompose before --tg-lower-to-linalg}}
  %y = tg.linear %x, %w : tensor<4x8xf32>, tensor<2x8xf32> -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @leftover_grad(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.grad' op must be expanded by --tg-autodiff before --tg-lower-to-linalg}}
  %g = tg.grad @loss(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{'tg.exp' op has a dynamic shape ('tensor<?x4xf32>'): --tg-lower-to-linalg needs static shapes}}
  %y = tg.exp %x : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %y = tg.mul %x, %w : tensor<4xf32>
  %r = tg.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// expected-error @+1 {{'tg.train_step' op must be expanded into a function by --tg-expand-train-step before --tg-lower-to-linalg}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>
