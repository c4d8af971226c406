// The small perceptron trained quantization-aware with LSQ: fc1's weight is
// fake-quantized to 4 bits with one learnable scale per output channel, and
// the first hidden activation to 4 bits (unsigned) with one learnable scale;
// the scales are parameters like the weights. (At 8 bits the activation
// scale's gradient, a sum of 1024 nearly cancelling terms, is 1e-5: its
// rounding noise alone differs between any two summation orders by 1e-4.)

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x64xf32>
  ml_program.global private mutable @fc1_weight_scale(#tg.constant<0.03>) : tensor<32xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.125, 0.125>) : tensor<32xf32>
  ml_program.global private mutable @act1_scale(#tg.constant<0.04>) : tensor<f32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x32xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<10xf32>

  func.func @loss(%images: tensor<32x64xf32>, %labels: tensor<32xi32>) -> tensor<f32> {
    %w1 = ml_program.global_load @fc1_weight : tensor<32x64xf32>
    %s1 = ml_program.global_load @fc1_weight_scale : tensor<32xf32>
    %w1q = tg.fake_quant %w1, %s1 bits 4 axis 0 : tensor<32x64xf32>, tensor<32xf32>
    %b1 = ml_program.global_load @fc1_bias : tensor<32xf32>
    %h1 = tg.linear %images, %w1q, %b1 : tensor<32x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %a1 = tg.relu %h1 : tensor<32x32xf32>
    %sa = ml_program.global_load @act1_scale : tensor<f32>
    %a1q = tg.fake_quant %a1, %sa bits 4 unsigned : tensor<32x32xf32>, tensor<f32>
    %w2 = ml_program.global_load @fc2_weight : tensor<32x32xf32>
    %b2 = ml_program.global_load @fc2_bias : tensor<32xf32>
    %h2 = tg.linear %a1q, %w2, %b2 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %a2 = tg.relu %h2 : tensor<32x32xf32>
    %w3 = ml_program.global_load @fc3_weight : tensor<10x32xf32>
    %b3 = ml_program.global_load @fc3_bias : tensor<10xf32>
    %logits = tg.linear %a2, %w3, %b3 : tensor<32x32xf32>, tensor<10x32xf32>, tensor<10xf32> -> tensor<32x10xf32>
    %loss = tg.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }

  tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
}
