// RUN: tgc-opt %s --tg-decompose --split-input-file --verify-diagnostics

// Decompositions that need static sizes report the op instead of guessing.

func.func @conv2d_dynamic_batch(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // The im2col reshapes are built from static sizes.
  // expected-error @+1 {{could not be decomposed into core tg ops}}
  %y = tg.conv2d %x, %w : tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<?x4x6x6xf32>
  return %y : tensor<?x4x6x6xf32>
}

// -----

func.func @attention_causal_dynamic_length(%q: tensor<?x16xf32>, %k: tensor<?x16xf32>, %v: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // The causal mask is a tg.iota of static shape [Tq, Tk].
  // expected-error @+1 {{could not be decomposed into core tg ops}}
  %o = tg.attention %q, %k, %v causal : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// -----

func.func @attention_default_scale_dynamic_head(%q: tensor<8x?xf32>, %k: tensor<8x?xf32>, %v: tensor<8x16xf32>) -> tensor<8x16xf32> {
  // The default scale 1 / sqrt(D) needs D.
  // expected-error @+1 {{could not be decomposed into core tg ops}}
  %o = tg.attention %q, %k, %v : tensor<8x?xf32>, tensor<8x?xf32>, tensor<8x16xf32> -> tensor<8x16xf32>
  return %o : tensor<8x16xf32>
}

// -----

// With an explicit scale, a dynamic head size and sequence length are fine.
func.func @attention_dynamic_with_scale(%q: tensor<?x?xf32>, %k: tensor<?x?xf32>, %v: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %o = tg.attention %q, %k, %v scale 0.25 : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// -----

func.func @dropout_dynamic(%x: tensor<?x256xf32>, %seed: tensor<i64>, %counter: tensor<i64>) -> tensor<?x256xf32> {
  // tg.random takes its shape from its static result type.
  // expected-error @+1 {{could not be decomposed into core tg ops}}
  %y = tg.dropout %x, %seed, %counter rate 0.1 : tensor<?x256xf32>, tensor<i64>, tensor<i64>
  return %y : tensor<?x256xf32>
}

// -----

func.func @cross_entropy_dynamic_classes(%x: tensor<8x?xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  // tg.one_hot takes the class count as an attribute.
  // expected-error @+1 {{could not be decomposed into core tg ops}}
  %l = tg.softmax_cross_entropy %x, %y : tensor<8x?xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}
