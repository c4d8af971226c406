// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin

// Softmax cross-entropy over rows of 1000 logits (tg-gpu-row-kernels): the
// row statistics run in blocks of 256 threads whose reductions are warp
// shuffles, then shared memory between the warps.

ml_program.global private mutable @logits(#tg.normal<std = 1.0>) : tensor<256x1000xf32>

func.func @loss(%labels: tensor<256xi32>) -> tensor<f32> {
  %x = ml_program.global_load @logits : tensor<256x1000xf32>
  %l = tg.softmax_cross_entropy %x, %labels : tensor<256x1000xf32>, tensor<256xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>

// CHECK: .target sm_90
// CHECK: .entry train_step_kernel
// CHECK: .shared
// CHECK: shfl.sync.bfly.b32
// CHECK: bar.sync
