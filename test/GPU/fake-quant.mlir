// REQUIRES: ptxas
// RUN: tgc %s --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin

// Quantization-aware training on the GPU: tg.fake_quant's rounding
// (tg.round, math.roundeven) becomes a round-to-nearest-even conversion in
// the kernels, and the LSQ step assembles.

ml_program.global private mutable @w(#tg.uniform<-1.0, 1.0>) : tensor<16x32xf32>
ml_program.global private mutable @s(#tg.constant<0.1>) : tensor<16xf32>

func.func @loss(%x: tensor<8x32xf32>, %labels: tensor<8xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<16x32xf32>
  %s = ml_program.global_load @s : tensor<16xf32>
  %q = tg.fake_quant %w, %s bits 4 axis 0 : tensor<16x32xf32>, tensor<16xf32>
  %y = tg.linear %x, %q : tensor<8x32xf32>, tensor<16x32xf32> -> tensor<8x16xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<8x16xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>

// CHECK: .target sm_90
// CHECK: cvt.rni.f32.f32
