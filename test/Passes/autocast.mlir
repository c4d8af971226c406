// RUN: tgc-opt %s --tg-autocast | FileCheck %s
// RUN: tgc-opt %s --tg-autocast --tg-expand-train-step --tg-autodiff --tg-decompose --canonicalize | FileCheck %s --check-prefix=GRAD

// PyTorch's autocast rules on tg ops: matmul-like ops in bf16, statistics
// and losses in f32, elementwise ops in their operands' type (mixed: f32);
// globals, arguments and results keep their types.

module {
  ml_program.global private mutable @w(#tg.zeros) : tensor<16x8xf32>
  ml_program.global private mutable @b(#tg.zeros) : tensor<16xf32>
  ml_program.global private mutable @g(#tg.ones) : tensor<16xf32>

  // CHECK-LABEL: func.func @forward
  // CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>) -> tensor<4x16xf32>
  // CHECK:         %[[W:.*]] = ml_program.global_load @w : tensor<16x8xf32>
  // CHECK:         %[[B:.*]] = ml_program.global_load @b : tensor<16xf32>
  // CHECK:         %[[XB:.*]] = tg.cast %[[X]] : tensor<4x8xf32> to tensor<4x8xbf16>
  // CHECK:         %[[WB:.*]] = tg.cast %[[W]] : tensor<16x8xf32> to tensor<16x8xbf16>
  // CHECK:         %[[BB:.*]] = tg.cast %[[B]] : tensor<16xf32> to tensor<16xbf16>
  // CHECK:         %[[H:.*]] = tg.linear %[[XB]], %[[WB]], %[[BB]] : {{.*}} -> tensor<4x16xbf16>
  // CHECK:         %[[A:.*]] = tg.relu %[[H]] : tensor<4x16xbf16>
  // CHECK:         %[[AF:.*]] = tg.cast %[[A]] : tensor<4x16xbf16> to tensor<4x16xf32>
  // CHECK:         %[[R:.*]] = tg.add %[[AF]], %{{.*}} : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
  // CHECK:         %[[HF:.*]] = tg.cast %[[H]] : tensor<4x16xbf16> to tensor<4x16xf32>
  // CHECK:         %[[N:.*]] = tg.layer_norm %[[HF]], {{.*}} -> tensor<4x16xf32>
  // CHECK:         %[[S:.*]] = tg.add %[[R]], %[[N]] : tensor<4x16xf32>
  // CHECK:         return %[[S]] : tensor<4x16xf32>
  func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
    %w = ml_program.global_load @w : tensor<16x8xf32>
    %b = ml_program.global_load @b : tensor<16xf32>
    %g = ml_program.global_load @g : tensor<16xf32>
    %h = tg.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
    %a = tg.relu %h : tensor<4x16xf32>
    %r = tg.add %a, %b : tensor<4x16xf32>, tensor<16xf32> -> tensor<4x16xf32>
    %n = tg.layer_norm %h, %g, %b : tensor<4x16xf32>, tensor<16xf32>, tensor<16xf32> -> tensor<4x16xf32>
    %s = tg.add %r, %n : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
    return %s : tensor<4x16xf32>
  }

  // A bf16 result crossing a call is cast back to the callee's type; the
  // loss computes in f32.
  // CHECK-LABEL: func.func @loss
  // CHECK:         %[[M:.*]] = tg.matmul {{.*}} -> tensor<4x16xbf16>
  // CHECK:         %[[T:.*]] = tg.tanh %[[M]] : tensor<4x16xbf16>
  // CHECK:         %[[TF:.*]] = tg.cast %[[T]] : tensor<4x16xbf16> to tensor<4x16xf32>
  // CHECK:         %[[Y:.*]] = call @identity(%[[TF]])
  // CHECK:         %[[L:.*]] = tg.softmax_cross_entropy %[[Y]], %{{.*}} -> tensor<f32>
  // CHECK:         return %[[L]] : tensor<f32>
  func.func private @identity(%y: tensor<4x16xf32>) -> tensor<4x16xf32> {
    return %y : tensor<4x16xf32>
  }
  func.func @loss(%x: tensor<4x8xf32>, %labels: tensor<4xi32>) -> tensor<f32> {
    %w = ml_program.global_load @w : tensor<16x8xf32>
    %wt = tg.transpose %w [1, 0] : tensor<16x8xf32> -> tensor<8x16xf32>
    %m = tg.matmul %x, %wt : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
    %t = tg.tanh %m : tensor<4x16xf32>
    %y = func.call @identity(%t) : (tensor<4x16xf32>) -> tensor<4x16xf32>
    %l = tg.softmax_cross_entropy %y, %labels : tensor<4x16xf32>, tensor<4xi32> -> tensor<f32>
    return %l : tensor<f32>
  }

  // The step updates the f32 parameters with f32 gradients, which reach
  // them through the casts.
  // GRAD-LABEL: func.func @step
  // GRAD:         ml_program.global_store @w = %{{.*}} : tensor<16x8xf32>
  tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>
}
