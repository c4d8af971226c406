// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_80 %t.ptx -o %t.cubin
// RUN: tgc %s --target=cuda --emit=ptx -o %t.sm90.ptx
// RUN: %ptxas -arch=sm_90 %t.sm90.ptx -o %t.sm90.cubin
// RUN: tgc-opt %s --tg-cuda-pipeline | FileCheck %s --check-prefix=HOST

// Reductions over rows, over columns and to a scalar.

ml_program.global private mutable @w(#tg.normal<std = 0.5>) : tensor<32x16xf32>

func.func @loss(%x: tensor<32x16xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<32x16xf32>
  %y = tg.mul %x, %w : tensor<32x16xf32>
  %rows = tg.reduce_max %y [1] : tensor<32x16xf32> -> tensor<32xf32>
  %cols = tg.reduce_sum %y [0] : tensor<32x16xf32> -> tensor<16xf32>
  %a = tg.reduce_mean %rows [0] : tensor<32xf32> -> tensor<f32>
  %b = tg.reduce_mean %cols [0] : tensor<16xf32> -> tensor<f32>
  %l = tg.add %a, %b : tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.01>

// CHECK: .target sm_80
// CHECK: .entry loss_eval_kernel
// CHECK: selp.f32

// The model is small: each function's kernels (the reductions, and the
// one-thread kernels of the scalar ones and the step counter) run as one
// block (tg-gpu-merge-small-launches).
// HOST: gpu.launch_func <%{{.*}} : !llvm.ptr> @tgc_kernels::@loss_kernel blocks in (%[[ONE:[0-9]+]], %[[ONE]], %[[ONE]]) threads in (%{{[0-9]+}}, %[[ONE]], %[[ONE]])
// HOST: gpu.launch_func <%{{.*}} : !llvm.ptr> @tgc_kernels::@train_step_kernel blocks in (%[[ONE:[0-9]+]], %[[ONE]], %[[ONE]]) threads in (%{{[0-9]+}}, %[[ONE]], %[[ONE]])
// HOST-NOT: gpu.launch_func
