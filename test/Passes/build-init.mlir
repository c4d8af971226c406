// RUN: tgc-opt %s --tg-build-init | FileCheck %s

// Every mutable global gets its initial value stored by @tgc_init(seed):
// constants are splats, random initializers draw from the global's own
// Philox stream (a constant counter) and are scaled and shifted.

ml_program.global private mutable @w(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<4x16xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @e(#tg.normal<std = 0.02>) : tensor<8x4xf32>
ml_program.global private mutable @steps(dense<0> : tensor<i64>) : tensor<i64>
ml_program.global private @frozen(dense<1.0> : tensor<2xf32>) : tensor<2xf32>

// CHECK-LABEL: func.func @tgc_init
// CHECK-SAME: (%[[SEED:.*]]: tensor<i64>)
// Kaiming uniform with a = sqrt(5): U(-1/4, 1/4) for fan_in = 16.
// CHECK: %[[C:.*]] = tg.constant dense<{{[0-9]+}}> : tensor<i64>
// CHECK: %[[U:.*]] = tg.random uniform %[[SEED]], %[[C]] : tensor<i64>, tensor<i64> -> tensor<4x16xf32>
// CHECK: %[[SCALE:.*]] = tg.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[SHIFT:.*]] = tg.constant dense<-2.500000e-01> : tensor<f32>
// CHECK: %[[SCALED:.*]] = tg.mul %[[U]], %[[SCALE]]
// CHECK: %[[W:.*]] = tg.add %[[SCALED]], %[[SHIFT]]
// CHECK: ml_program.global_store @w = %[[W]]
// CHECK: %[[ZEROS:.*]] = tg.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK: ml_program.global_store @b = %[[ZEROS]]
// CHECK: tg.random normal %[[SEED]]
// CHECK: ml_program.global_store @e =
// CHECK: %[[STEPS:.*]] = tg.constant dense<0> : tensor<i64>
// CHECK: ml_program.global_store @steps = %[[STEPS]]
// Immutable globals keep their value and are not stored.
// CHECK-NOT: @frozen
// CHECK: return
