// RUN: tgc-opt %s | tgc-opt | FileCheck %s

// CHECK-LABEL: func.func @relu
func.func @relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: tg.relu %{{.*}} : tensor<4xf32>
  %0 = tg.relu %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
