// RUN: not tgc-opt %s 2>&1 | FileCheck %s
//
// #tg.adahessian with hessian_power = 2: AdaHessian divides by |D|^k with k in [0, 1].
//
// CHECK: {{.*}}adahessian-hessian-power.mlir:42:64: error: #tg.adahessian needs hessian_power in [0, 1], got 2

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
    %h1 = tg.linear %images, %w1, %b1 : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
    %a1 = tg.relu %h1 : tensor<128x512xf32>

    %w2 = ml_program.global_load @fc2_weight : tensor<512x512xf32>
    %b2 = ml_program.global_load @fc2_bias : tensor<512xf32>
    %h2 = tg.linear %a1, %w2, %b2 : tensor<128x512xf32>, tensor<512x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
    %a2 = tg.relu %h2 : tensor<128x512xf32>

    %w3 = ml_program.global_load @fc3_weight : tensor<10x512xf32>
    %b3 = ml_program.global_load @fc3_bias : tensor<10xf32>
    %logits = tg.linear %a2, %w3, %b3 : tensor<128x512xf32>, tensor<10x512xf32>, tensor<10xf32> -> tensor<128x10xf32>
    return %logits : tensor<128x10xf32>
  }

  // The loss of one batch: mean cross-entropy against integer labels.
  func.func @loss(%images: tensor<128x784xf32>, %labels: tensor<128xi32>) -> tensor<f32> {
    %logits = func.call @forward(%images) : (tensor<128x784xf32>) -> tensor<128x10xf32>
    %loss = tg.softmax_cross_entropy %logits, %labels : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }

  // One training step: gradients of @loss for every parameter it loads, then
  // an optimizer update.
  tg.train_step @train_step loss @loss optimizer #tg.adahessian<lr = 0.15, hessian_power = 2.0>
}
