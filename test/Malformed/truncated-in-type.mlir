// RUN: not tgc-opt %s 2>&1 | FileCheck %s
//
// The file ends inside a tensor type: `tensor<512x78`.
//
// CHECK: {{.*}}truncated-in-type.mlir:17:60: error: expected 'x' in dimension list

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x784xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0357142857, 0.0357142857>) : tensor<512xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x512xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<10xf32>

  // The model: images [batch, 784] scaled to [0, 1] -> logits [batch, 10].
  func.func @forward(%images: tensor<128x784xf32>) -> tensor<128x10xf32> {
    %w1 = ml_program.global_load @fc1_weight : tensor<512x78