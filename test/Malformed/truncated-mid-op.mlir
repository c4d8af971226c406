// RUN: not tgc-opt %s 2>&1 | FileCheck %s
//
// The file ends in the middle of an op: the operand list of the first tg.linear
// stops after two operands.
//
// CHECK: {{.*}}truncated-mid-op.mlir:20:32: error: expected ':'

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x784xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0357142857, 0.0357142857>) : tensor<512xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x512xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<10xf32>

  // The model: images [batch, 784] scaled to [0, 1] -> logits [batch, 10].
  func.func @forward(%images: tensor<128x784xf32>) -> tensor<128x10xf32> {
    %w1 = ml_program.global_load @fc1_weight : tensor<512x784xf32>
    %b1 = ml_program.global_load @fc1_bias : tensor<512xf32>
    %h1 = tg.linear %images, %w1