// RUN: tgc %s --emit=llvm -o - | FileCheck %s
// RUN: tgc %s --emit=llvm -prefetch-distance=0 -o - | FileCheck %s --check-prefix=OFF

// The vectorized loops of a step read ahead with software prefetches (LLVM's
// LoopDataPrefetch, which tgc turns on for x86); -prefetch-distance=0 turns
// it off.

ml_program.global private mutable @w(#tg.normal<std = 1.0>) : tensor<256x1024xf32>

func.func @loss(%labels: tensor<256xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<256x1024xf32>
  %l = tg.softmax_cross_entropy %w, %labels : tensor<256x1024xf32>, tensor<256xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>

// CHECK: call void @llvm.prefetch
// OFF-NOT: call void @llvm.prefetch
