// The small perceptron with a BatchNorm1d in training mode after fc1 (which
// has no bias: the normalization would cancel it, leaving it a gradient of
// pure rounding noise): the model of the batch_norm parity test. The running statistics are globals
// that the loss loads and stores to (through @forward), so the train step
// updates them without training them.

module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x64xf32>
  ml_program.global private mutable @bn1_weight(#tg.ones) : tensor<32xf32>
  ml_program.global private mutable @bn1_bias(#tg.zeros) : tensor<32xf32>
  ml_program.global private mutable @bn1_running_mean(#tg.zeros) : tensor<32xf32>
  ml_program.global private mutable @bn1_running_var(#tg.ones) : tensor<32xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x32xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<10xf32>

  // Training mode: batch statistics, and the running statistics updated.
  // The runtime's evaluation calls copies in eval mode (@forward_eval,
  // @loss_eval: running statistics, no stores).
  func.func @forward(%images: tensor<32x64xf32>) -> tensor<32x10xf32> {
    %w1 = ml_program.global_load @fc1_weight : tensor<32x64xf32>
    %h1 = tg.linear %images, %w1 : tensor<32x64xf32>, tensor<32x64xf32> -> tensor<32x32xf32>
    %g = ml_program.global_load @bn1_weight : tensor<32xf32>
    %b = ml_program.global_load @bn1_bias : tensor<32xf32>
    %rm = ml_program.global_load @bn1_running_mean : tensor<32xf32>
    %rv = ml_program.global_load @bn1_running_var : tensor<32xf32>
    %n1, %mean, %var = tg.batch_norm %h1, %g, %b, %rm, %rv training momentum 0.1 epsilon 1.0e-5 : tensor<32x32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>
    ml_program.global_store @bn1_running_mean = %mean : tensor<32xf32>
    ml_program.global_store @bn1_running_var = %var : tensor<32xf32>
    %a1 = tg.relu %n1 : tensor<32x32xf32>
    %w2 = ml_program.global_load @fc2_weight : tensor<32x32xf32>
    %b2 = ml_program.global_load @fc2_bias : tensor<32xf32>
    %h2 = tg.linear %a1, %w2, %b2 : tensor<32x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<32x32xf32>
    %a2 = tg.relu %h2 : tensor<32x32xf32>
    %w3 = ml_program.global_load @fc3_weight : tensor<10x32xf32>
    %b3 = ml_program.global_load @fc3_bias : tensor<10xf32>
    %logits = tg.linear %a2, %w3, %b3 : tensor<32x32xf32>, tensor<10x32xf32>, tensor<10xf32> -> tensor<32x10xf32>
    return %logits : tensor<32x10xf32>
  }

  func.func @loss(%images: tensor<32x64xf32>, %labels: tensor<32xi32>) -> tensor<f32> {
    %logits = func.call @forward(%images) : (tensor<32x64xf32>) -> tensor<32x10xf32>
    %loss = tg.softmax_cross_entropy %logits, %labels : tensor<32x10xf32>, tensor<32xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }

  tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
}
