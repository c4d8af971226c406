// Grokking modular addition: (a + b) mod 97 from 40% of the 97^2 pairs, as
// in Power et al. 2022 and Prieto et al. 2025 ("Grokking at the Edge of
// Numerical Stability"). Each operand's embedding (97 x 128), concatenated,
// goes through a 256-256 ReLU layer to 97 logits, trained with StableMax
// cross-entropy (no exponential, so no Softmax Collapse as the logits grow)
// and AdamW with weight decay 1.
//
//   examples/make_modular_dataset.py /tmp/modular
//   tgc examples/grokking_modular.mlir -o train
//   ./train --data /tmp/modular --steps 12000 --eval
//
// The network fits the training pairs long before it generalizes to the
// held-out ones; see docs/training-library.md for the accuracy reached.
// examples/grokking_modular_grokfast.mlir is the same model with Grokfast's
// gradient filter, which shortens the delay between fitting and
// generalizing.

module {
  ml_program.global private mutable @embedding(#tg.normal<std = 1.0>) : tensor<97x128xf32>
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<256x256xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0625, 0.0625>) : tensor<256xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<97x256xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.0625, 0.0625>) : tensor<97xf32>

  // Pairs [batch, 2] of operands in [0, 97) -> logits [batch, 97]. The
  // runtime's inputs are float features, so the operands come as exact
  // small floats.
  func.func @forward(%operands: tensor<512x2xf32>) -> tensor<512x97xf32> {
    %pairs = tg.cast %operands : tensor<512x2xf32> to tensor<512x2xi32>
    %table = ml_program.global_load @embedding : tensor<97x128xf32>
    %e = tg.embedding %table[%pairs] : tensor<97x128xf32>, tensor<512x2xi32> -> tensor<512x2x128xf32>
    %x = tg.reshape %e : tensor<512x2x128xf32> -> tensor<512x256xf32>
    %w1 = ml_program.global_load @fc1_weight : tensor<256x256xf32>
    %b1 = ml_program.global_load @fc1_bias : tensor<256xf32>
    %h = tg.linear %x, %w1, %b1 : tensor<512x256xf32>, tensor<256x256xf32>, tensor<256xf32> -> tensor<512x256xf32>
    %a = tg.relu %h : tensor<512x256xf32>
    %w2 = ml_program.global_load @fc2_weight : tensor<97x256xf32>
    %b2 = ml_program.global_load @fc2_bias : tensor<97xf32>
    %logits = tg.linear %a, %w2, %b2 : tensor<512x256xf32>, tensor<97x256xf32>, tensor<97xf32> -> tensor<512x97xf32>
    return %logits : tensor<512x97xf32>
  }

  func.func @loss(%operands: tensor<512x2xf32>, %sums: tensor<512xi32>) -> tensor<f32> {
    %logits = func.call @forward(%operands) : (tensor<512x2xf32>) -> tensor<512x97xf32>
    %loss = tg.stablemax_cross_entropy %logits, %sums : tensor<512x97xf32>, tensor<512xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }

  tg.train_step @train_step loss @loss optimizer #tg.adamw<lr = 1.0e-3, beta2 = 0.98, weight_decay = 1.0>
}
