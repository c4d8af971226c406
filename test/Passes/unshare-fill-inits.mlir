// RUN: tgc-opt %s --tg-unshare-fill-inits | FileCheck %s

// CSE left one zero fill as the destination of two matmuls: each gets a
// fill of its own right before it (no copy after bufferization, and the
// matmul kernel folds the fill into accumulate = 0). A fill read as an
// input stays shared.
// CHECK-LABEL: func.func @two_matmuls
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<8x16xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         %[[FILL1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<8x16xf32>)
// CHECK-NEXT:    linalg.matmul ins(%arg0, %arg1 : {{.*}}) outs(%[[FILL1]] : tensor<8x16xf32>)
// CHECK:         %[[FILL2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<8x16xf32>)
// CHECK-NEXT:    linalg.matmul ins(%arg0, %arg2 : {{.*}}) outs(%[[FILL2]] : tensor<8x16xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         return
func.func @two_matmuls(%a: tensor<8x4xf32>, %b: tensor<4x16xf32>, %c: tensor<4x16xf32>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8x16xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %x = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x16xf32>) outs(%fill : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y = linalg.matmul ins(%a, %c : tensor<8x4xf32>, tensor<4x16xf32>) outs(%fill : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %x, %y : tensor<8x16xf32>, tensor<8x16xf32>
}

// CHECK-LABEL: func.func @one_destination
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT:     linalg.fill
func.func @one_destination(%a: tensor<8x4xf32>, %b: tensor<4x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8x16xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<8x16xf32>) -> tensor<8x16xf32>
  %x = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x16xf32>) outs(%fill : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %x, %fill : tensor<8x16xf32>, tensor<8x16xf32>
}
