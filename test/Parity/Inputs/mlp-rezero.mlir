// The small perceptron with a ReZero residual block (Bachlechner et al.
// 2020): h = relu(fc1 x), then h + alpha * relu(fc2 h), where the gate alpha
// is a learnable scalar that starts at 0. At alpha = 0 the block is the
// identity, yet alpha's gradient, sum(g * relu(fc2 h)), is not zero: the
// branch's ops stay because alpha is a loaded global, never a constant.

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x64xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.125, 0.125>) : tensor<32xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @rezero_alpha(#tg.zeros) : tensor<f32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x32xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<10xf32>

  func.func @loss(%images: tensor<32x64xf32>, %labels: tensor<32xi32>) -> tensor<f32> {
    %w1 = ml_program.global_load @fc1_weight : tensor<32x64xf32>
    %b1 = ml_program.global_load @fc1_bias : tensor<32xf32>
    %h1 = tg.linear %images, %w1, %b1 : tensor<32x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %a1 = tg.relu %h1 : tensor<32x32xf32>
    // The residual branch f(h) = relu(fc2 h), gated: h + alpha * f(h).
    %w2 = ml_program.global_load @fc2_weight : tensor<32x32xf32>
    %b2 = ml_program.global_load @fc2_bias : tensor<32xf32>
    %h2 = tg.linear %a1, %w2, %b2 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %f = tg.relu %h2 : tensor<32x32xf32>
    %alpha = ml_program.global_load @rezero_alpha : tensor<f32>
    %gated = tg.mul %f, %alpha : tensor<32x32xf32>, tensor<f32> -> tensor<32x32xf32>
    %r = tg.add %a1, %gated : tensor<32x32xf32>
    %w3 = ml_program.global_load @fc3_weight : tensor<10x32xf32>
    %b3 = ml_program.global_load @fc3_bias : tensor<10xf32>
    %logits = tg.linear %r, %w3, %b3 : tensor<32x32xf32>, tensor<10x32xf32>, tensor<10xf32> -> tensor<32x10xf32>
    %loss = tg.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }

  tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
}
