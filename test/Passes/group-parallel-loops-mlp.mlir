// RUN: tgc-opt %s --tg-cpu-pipeline --mlir-print-ir-after=tg-group-parallel-loops -o /dev/null 2>&1 | FileCheck %s

// An MLP's AdamW step after memory planning and loop grouping. No state is
// copied: the loops read and write the globals. Each weight's update is one
// loop (m, v and the weight fused), both in one parallel region (one fork):
// the bias corrections, scalars computed once for all parameters, moved up
// to the step counter (tg-hoist-scalar-work) instead of standing between
// the first weight's moments and the weight. The small bias updates stay
// sequential, after the group.
// CHECK-LABEL: func.func @train_step
// CHECK-NOT:     memref.copy
// CHECK:         math.powf
// CHECK:         math.powf
// CHECK:         call @tgc_matmul_f32
// CHECK:         omp.parallel {
// CHECK-NEXT:      omp.wsloop nowait {
// CHECK-NEXT:        omp.loop_nest
// CHECK:               memref.store
// CHECK:               memref.store
// CHECK:               memref.store
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
