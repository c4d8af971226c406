// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=mlir -o - | FileCheck %s
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --check-prefix=PTX --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin

// AdamW on four parameters whose loss reads one element of each (bench/gpu's
// AdamW benchmark, smaller): tg-fuse-parallel-loops runs in the CUDA
// pipeline too, so each parameter's moments and the parameter itself are
// updated in one loop that reads them once, and tg-gpu-group-parallel-loops
// makes the four loops one multi-tensor kernel (as the one-hot gradients'
// loops). The step launches 3 kernels (15 before the first, 9 before the
// second, 5 before tg-gpu-merge-small-launches ran the loss's gradient and
// the step counter as one block, 4 before tg-hoist-scalar-work moved the
// bias corrections into that block). Each thread of the update kernel updates 4 neighbouring elements
// with 128-bit loads and stores.

ml_program.global private mutable @p0(#tg.uniform<-1.0, 1.0>) : tensor<4096xf32>
ml_program.global private mutable @p1(#tg.uniform<-1.0, 1.0>) : tensor<4096xf32>
ml_program.global private mutable @p2(#tg.uniform<-1.0, 1.0>) : tensor<4096xf32>
ml_program.global private mutable @p3(#tg.uniform<-1.0, 1.0>) : tensor<4096xf32>
func.func @loss(%unused: tensor<1xf32>) -> tensor<f32> {
  %p0 = ml_program.global_load @p0 : tensor<4096xf32>
  %f0 = tg.slice %p0 [0] to [1] : tensor<4096xf32> -> tensor<1xf32>
  %l0 = tg.reduce_sum %f0 [0] : tensor<1xf32> -> tensor<f32>
  %p1 = ml_program.global_load @p1 : tensor<4096xf32>
  %f1 = tg.slice %p1 [0] to [1] : tensor<4096xf32> -> tensor<1xf32>
  %s1 = tg.reduce_sum %f1 [0] : tensor<1xf32> -> tensor<f32>
  %l1 = tg.add %l0, %s1 : tensor<f32>
  %p2 = ml_program.global_load @p2 : tensor<4096xf32>
  %f2 = tg.slice %p2 [0] to [1] : tensor<4096xf32> -> tensor<1xf32>
  %s2 = tg.reduce_sum %f2 [0] : tensor<1xf32> -> tensor<f32>
  %l2 = tg.add %l1, %s2 : tensor<f32>
  %p3 = ml_program.global_load @p3 : tensor<4096xf32>
  %f3 = tg.slice %p3 [0] to [1] : tensor<4096xf32> -> tensor<1xf32>
  %s3 = tg.reduce_sum %f3 [0] : tensor<1xf32> -> tensor<f32>
  %l3 = tg.add %l2, %s3 : tensor<f32>
  return %l3 : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.adamw<lr = 1.0e-3, weight_decay = 0.01>

// CHECK-LABEL: llvm.func @train_step(
// CHECK-COUNT-3: gpu.launch_func
// CHECK-NOT:     gpu.launch_func
// CHECK:         llvm.return

// PTX-LABEL: .entry train_step_kernel
// PTX: ld.global.v4.b32
// PTX: st.global.v4.b32
