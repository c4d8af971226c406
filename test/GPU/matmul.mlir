// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin

// Matmuls, batched and transposed, forward and backward, call cuBLAS
// through the runtime (the host side: test/GPU/matmul-cublas.mlir); the
// kernels around them (the loss, its gradient, the update) assemble.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<24x48xf32>

func.func @loss(%x: tensor<4x16x48xf32>, %y: tensor<4x16x24xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<24x48xf32>
  %h = tg.matmul %x, %w transpose_rhs : tensor<4x16x48xf32>, tensor<24x48xf32> -> tensor<4x16x24xf32>
  %d = tg.sub %h, %y : tensor<4x16x24xf32>
  %s = tg.mul %d, %d : tensor<4x16x24xf32>
  %l = tg.reduce_mean %s [0, 1, 2] : tensor<4x16x24xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.01>

// CHECK: .target sm_90
// CHECK: .entry loss_eval_kernel
// CHECK: mul.rn.f32
// CHECK: add.rn.f32
