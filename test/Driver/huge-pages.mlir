// RUN: tgc %s --emit=llvm -o - | FileCheck %s

// Globals of 64 KiB or more (a parameter and its momentum here) are advised
// to use transparent huge pages from a constructor, before anything touches
// them; small ones (the bias, the step counter) are not.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<128x128xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<128xf32>

func.func @loss(%x: tensor<8x128xf32>, %labels: tensor<8xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<128x128xf32>
  %b = ml_program.global_load @b : tensor<128xf32>
  %y = tg.linear %x, %w, %b : tensor<8x128xf32>, tensor<128x128xf32>, tensor<128xf32> -> tensor<8x128xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<8x128xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>

// CHECK: @llvm.global_ctors = appending global {{.*}} @tgc_advise_huge_pages_for_globals
// CHECK-LABEL: define internal void @tgc_advise_huge_pages_for_globals()
// CHECK-DAG: call void @tgc_advise_huge_pages(ptr {{.*}}@tgc_g_w, i64 65536)
// CHECK-DAG: call void @tgc_advise_huge_pages(ptr {{.*}}@tgc_g_w_momentum_buffer, i64 65536)
// CHECK-NOT: call void @tgc_advise_huge_pages
// CHECK: ret void
