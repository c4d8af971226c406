// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.sm90.ptx
// RUN: FileCheck %s --input-file %t.sm90.ptx
// RUN: %ptxas -arch=sm_90 %t.sm90.ptx -o %t.sm90.cubin
// RUN: tgc %s --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: FileCheck %s --check-prefix=SM80 --input-file %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: tgc-opt %s --tg-cuda-pipeline | FileCheck %s --check-prefix=HOST

// Elementwise ops (a tanh, its derivative, an SGD update) as kernels of one
// thread per element, in one PTX module for the target architecture.

ml_program.global private mutable @w(#tg.uniform<-1.0, 1.0>) : tensor<64x32xf32>

func.func @loss(%x: tensor<64x32xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<64x32xf32>
  %y = tg.mul %x, %w : tensor<64x32xf32>
  %t = tg.tanh %y : tensor<64x32xf32>
  %l = tg.reduce_mean %t [0, 1] : tensor<64x32xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>

// CHECK: .version 8.0
// CHECK: .target sm_90
// The loss is one fused group: the product, the tanh and their sum.
// CHECK: .visible .entry loss_eval_kernel(
// The step is small: its kernels (the gradient, then the update's 8
// blocks of 256 in turn) run as one block, a barrier between them
// (tg-gpu-merge-small-launches).
// CHECK: .visible .entry train_step_kernel(
// CHECK: bar.sync 0;
// CHECK: ld.global
// CHECK-NOT: .entry train_step_kernel_0(
// CHECK: .visible .entry tgc_init_kernel
// SM80: .target sm_80

// The host launches kernels of the merged module, reaches globals through
// the runtime, and embeds the PTX.
// HOST-DAG: llvm.func @tgc_cuda_global(!llvm.ptr, i64, i1) -> !llvm.ptr
// HOST-DAG: llvm.call @tgc_cuda_global
// HOST-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @tgc_kernels::@train_step_kernel
// HOST-DAG: llvm.call @mgpuMemAlloc
// HOST-DAG: gpu.binary @tgc_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
