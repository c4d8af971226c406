// One pre-LN transformer block on a toy token-classification task, trained
// with plain SGD: d_model 32, 2 causal attention heads of 16, an MLP of 64
// with exact (erf) GELU, then a linear head to 8 classes per token.
//
//   x1 = x + attention(layer_norm(x))
//   x2 = x1 + fc2(gelu(fc1(layer_norm(x1))))
//   loss = softmax_cross_entropy(head(x2), labels)
//
// Inputs: features [batch 4, T 16, 32] and labels [4, 16] in [0, 8).
// Weights use PyTorch's nn.Linear layout [out, in] (test/Parity/parity.py
// checks this spec step by step against the same model in PyTorch).

module {
  ml_program.global private mutable @ln1_weight(#tg.ones) : tensor<32xf32>
  ml_program.global private mutable @ln1_bias(#tg.zeros) : tensor<32xf32>
  ml_program.global private mutable @q_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @q_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @k_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @k_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @v_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @v_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @out_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x32xf32>
  ml_program.global private mutable @out_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<32xf32>
  ml_program.global private mutable @ln2_weight(#tg.ones) : tensor<32xf32>
  ml_program.global private mutable @ln2_bias(#tg.zeros) : tensor<32xf32>
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<64x32xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<64xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<32x64xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.125, 0.125>) : tensor<32xf32>
  ml_program.global private mutable @head_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<8x32xf32>
  ml_program.global private mutable @head_bias(#tg.uniform<-0.1767766953, 0.1767766953>) : tensor<8xf32>

  // [4, 16, 32] -> [4, 2 heads, 16, 16]
  func.func private @split_heads(%x: tensor<4x16x32xf32>) -> tensor<4x2x16x16xf32> {
    %r = tg.reshape %x : tensor<4x16x32xf32> -> tensor<4x16x2x16xf32>
    %t = tg.transpose %r [0, 2, 1, 3] : tensor<4x16x2x16xf32> -> tensor<4x2x16x16xf32>
    return %t : tensor<4x2x16x16xf32>
  }

  func.func private @block(%x: tensor<4x16x32xf32>) -> tensor<4x16x8xf32> {
    // Attention.
    %g1 = ml_program.global_load @ln1_weight : tensor<32xf32>
    %b1 = ml_program.global_load @ln1_bias : tensor<32xf32>
    %h = tg.layer_norm %x, %g1, %b1 epsilon 1.0e-05 : tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %wq = ml_program.global_load @q_weight : tensor<32x32xf32>
    %bq = ml_program.global_load @q_bias : tensor<32xf32>
    %wk = ml_program.global_load @k_weight : tensor<32x32xf32>
    %bk = ml_program.global_load @k_bias : tensor<32xf32>
    %wv = ml_program.global_load @v_weight : tensor<32x32xf32>
    %bv = ml_program.global_load @v_bias : tensor<32xf32>
    %q = tg.linear %h, %wq, %bq : tensor<4x16x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %k = tg.linear %h, %wk, %bk : tensor<4x16x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %v = tg.linear %h, %wv, %bv : tensor<4x16x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %qh = func.call @split_heads(%q) : (tensor<4x16x32xf32>) -> tensor<4x2x16x16xf32>
    %kh = func.call @split_heads(%k) : (tensor<4x16x32xf32>) -> tensor<4x2x16x16xf32>
    %vh = func.call @split_heads(%v) : (tensor<4x16x32xf32>) -> tensor<4x2x16x16xf32>
    %oh = tg.attention %qh, %kh, %vh causal : tensor<4x2x16x16xf32>, tensor<4x2x16x16xf32>, tensor<4x2x16x16xf32> -> tensor<4x2x16x16xf32>
    %ot = tg.transpose %oh [0, 2, 1, 3] : tensor<4x2x16x16xf32> -> tensor<4x16x2x16xf32>
    %o = tg.reshape %ot : tensor<4x16x2x16xf32> -> tensor<4x16x32xf32>
    %wo = ml_program.global_load @out_weight : tensor<32x32xf32>
    %bo = ml_program.global_load @out_bias : tensor<32xf32>
    %a = tg.linear %o, %wo, %bo : tensor<4x16x32xf32>, tensor<32x32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %x1 = tg.add %x, %a : tensor<4x16x32xf32>

    // MLP.
    %g2 = ml_program.global_load @ln2_weight : tensor<32xf32>
    %b2 = ml_program.global_load @ln2_bias : tensor<32xf32>
    %h2 = tg.layer_norm %x1, %g2, %b2 epsilon 1.0e-05 : tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %w1 = ml_program.global_load @fc1_weight : tensor<64x32xf32>
    %c1 = ml_program.global_load @fc1_bias : tensor<64xf32>
    %f1 = tg.linear %h2, %w1, %c1 : tensor<4x16x32xf32>, tensor<64x32xf32>, tensor<64xf32> -> tensor<4x16x64xf32>
    %f1a = tg.gelu %f1 : tensor<4x16x64xf32>
    %w2 = ml_program.global_load @fc2_weight : tensor<32x64xf32>
    %c2 = ml_program.global_load @fc2_bias : tensor<32xf32>
    %f2 = tg.linear %f1a, %w2, %c2 : tensor<4x16x64xf32>, tensor<32x64xf32>, tensor<32xf32> -> tensor<4x16x32xf32>
    %x2 = tg.add %x1, %f2 : tensor<4x16x32xf32>

    // Per-token classifier.
    %wh = ml_program.global_load @head_weight : tensor<8x32xf32>
    %bh = ml_program.global_load @head_bias : tensor<8xf32>
    %logits = tg.linear %x2, %wh, %bh : tensor<4x16x32xf32>, tensor<8x32xf32>, tensor<8xf32> -> tensor<4x16x8xf32>
    return %logits : tensor<4x16x8xf32>
  }

  func.func @loss(%x: tensor<4x16x32xf32>, %labels: tensor<4x16xi32>) -> tensor<f32> {
    %logits = func.call @block(%x) : (tensor<4x16x32xf32>) -> tensor<4x16x8xf32>
    %l = tg.softmax_cross_entropy %logits, %labels : tensor<4x16x8xf32>, tensor<4x16xi32> -> tensor<f32>
    return %l : tensor<f32>
  }

  tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.01>
}
