// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin

// Softmax cross-entropy against integer labels: exp and log come from
// libdevice, linked into the module (no calls left for ptxas to resolve).

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<10x20xf32>

func.func @loss(%x: tensor<16x20xf32>, %labels: tensor<16xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<10x20xf32>
  %logits = tg.matmul %x, %w transpose_rhs : tensor<16x20xf32>, tensor<10x20xf32> -> tensor<16x10xf32>
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<16x10xf32>, tensor<16xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>

// CHECK: .target sm_90
// CHECK: ex2.approx
// CHECK-NOT: __nv_
