// RUN: not tgc-opt %s 2>&1 | FileCheck %s
//
// The file ends in the middle of a parameter declaration, inside the initializer.
//
// CHECK: {{.*}}truncated-in-global.mlir:10:53: error: unknown attribute `kaiming_uni` in dialect `tg`

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x784xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0357142857, 0.0357142857>) : tensor<512xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uni