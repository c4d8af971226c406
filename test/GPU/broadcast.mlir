// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin

// A bias broadcast over rows in the forward pass; its gradient is a column
// sum, which runs one thread per column with the rows in a loop inside.

ml_program.global private mutable @b(#tg.zeros) : tensor<512xf32>

func.func @loss(%x: tensor<128x512xf32>) -> tensor<f32> {
  %b = ml_program.global_load @b : tensor<512xf32>
  %y = tg.add %x, %b : tensor<128x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
  %s = tg.sigmoid %y : tensor<128x512xf32>
  %l = tg.reduce_mean %s [0, 1] : tensor<128x512xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>

// CHECK: .target sm_90
// CHECK: .entry loss_eval_kernel
// A kernel with a loop: a reduction per thread.
// CHECK: $L__BB{{[0-9_]+}}:
// CHECK: @%p{{[0-9]+}} bra $L__BB
// CHECK: .entry train_step_kernel
