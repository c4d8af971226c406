// RUN: tgc-opt %s --tg-splats-to-fills | FileCheck %s

// A 64x64 splat (4096 elements) becomes a fill of an empty tensor; a small
// one and a constant that is not a splat stay.
// CHECK-LABEL: func.func @constants
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[EMPTY:.*]] = tensor.empty() : tensor<64x64xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<64x64xf32>) -> tensor<64x64xf32>
// CHECK:         %[[SMALL:.*]] = arith.constant dense<1.000000e+00> : tensor<4xf32>
// CHECK:         %[[DATA:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK:         return %[[FILL]], %[[SMALL]], %[[DATA]]
func.func @constants() -> (tensor<64x64xf32>, tensor<4xf32>, tensor<2xf32>) {
  %zeros = arith.constant dense<0.0> : tensor<64x64xf32>
  %ones = arith.constant dense<1.0> : tensor<4xf32>
  %data = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %zeros, %ones, %data : tensor<64x64xf32>, tensor<4xf32>, tensor<2xf32>
}
