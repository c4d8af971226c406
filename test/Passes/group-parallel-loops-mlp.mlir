// RUN: tgc-opt %s --tg-cpu-pipeline --mlir-print-ir-after=tg-group-parallel-loops -o /dev/null 2>&1 | FileCheck %s

// An MLP's AdamW step after memory planning and loop grouping. No state is
// copied: the loops read and write the globals. The second weight's update
// is one loop (m, v and the weight fused) in the same parallel region (one
// fork) as the first weight's; the first weight's moments come before, in a
// region of their own, because the bias corrections, scalars computed once
// for all parameters, sit between them and the first weight. The small
// bias updates stay sequential, after the group.
// CHECK-LABEL: func.func @train_step
// CHECK-NOT:     memref.copy
// CHECK:         omp.parallel {
// CHECK:           omp.terminator
// CHECK:         omp.parallel {
// CHECK-NEXT:      omp.wsloop nowait {
// CHECK-NEXT:        omp.loop_nest
// CHECK:               memref.store
// CHECK-NOT:           memref.store
// CHECK:             omp.yield
// CHECK:           omp.wsloop nowait {
// CHECK-NEXT:        omp.loop_nest
// CHECK:               memref.store
// CHECK:               memref.store
// CHECK:               memref.store
// CHECK:             omp.yield
// CHECK:           omp.terminator
// CHECK-NOT:     omp.parallel
// CHECK:         scf.parallel
// CHECK:         scf.parallel
// CHECK-NOT:     memref.copy
// CHECK:         return

ml_program.global private mutable @w1(#tg.normal<std = 0.05>) : tensor<256x256xf32>
ml_program.global private mutable @b1(#tg.zeros) : tensor<256xf32>
ml_program.global private mutable @w2(#tg.normal<std = 0.05>) : tensor<256x256xf32>
ml_program.global private mutable @b2(#tg.zeros) : tensor<256xf32>
func.func @loss(%x: tensor<8x256xf32>) -> tensor<f32> {
  %w1 = ml_program.global_load @w1 : tensor<256x256xf32>
  %b1 = ml_program.global_load @b1 : tensor<256xf32>
  %w2 = ml_program.global_load @w2 : tensor<256x256xf32>
  %b2 = ml_program.global_load @b2 : tensor<256xf32>
  %h = tg.linear %x, %w1, %b1 : tensor<8x256xf32>, tensor<256x256xf32>, tensor<256xf32> -> tensor<8x256xf32>
  %a = tg.relu %h : tensor<8x256xf32>
  %y = tg.linear %a, %w2, %b2 : tensor<8x256xf32>, tensor<256x256xf32>, tensor<256xf32> -> tensor<8x256xf32>
  %l = tg.reduce_mean %y [0, 1] : tensor<8x256xf32> -> tensor<f32>
  return %l : tensor<f32>
}
tg.train_step @train_step loss @loss optimizer #tg.adamw<lr = 1.0e-3, weight_decay = 0.01>
