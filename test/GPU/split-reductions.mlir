// RUN: tgc-opt %s --tg-lower-to-linalg --tg-split-reductions --canonicalize | FileCheck %s

// Reductions of at least 512 elements are split: partials over a new inner
// parallel dimension (element k goes to partial k % ratio), then the
// partials reduced; a long partial reduction is split again.

// CHECK-LABEL: func.func @row_max
// CHECK:         tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [4, 8, 125]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:           arith.maximumf
// CHECK:         } -> tensor<4x125xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         } -> tensor<4xf32>
func.func @row_max(%x: tensor<4x1000xf32>) -> tensor<4xf32> {
  %r = tg.reduce_max %x [1] : tensor<4x1000xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// 2^20 = 1024 partials of 1024, then 128 partials of 8, then 128.
// CHECK-LABEL: func.func @full_sum
// CHECK:         -> tensor<1024xf32>
// CHECK:         -> tensor<128xf32>
// CHECK:         -> tensor<f32>
func.func @full_sum(%x: tensor<1048576xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<1048576xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// Short reductions and sizes without a divisor (a prime) stay.
// CHECK-LABEL: func.func @stays
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return
func.func @stays(%x: tensor<4x500xf32>, %y: tensor<1009xf32>) -> (tensor<4xf32>, tensor<f32>) {
  %r = tg.reduce_sum %x [1] : tensor<4x500xf32> -> tensor<4xf32>
  %s = tg.reduce_sum %y [0] : tensor<1009xf32> -> tensor<f32>
  return %r, %s : tensor<4xf32>, tensor<f32>
}
