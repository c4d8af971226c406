// RUN: tgc-opt %s --split-input-file --verify-diagnostics

// Every verifier error of tg's kernel ops (TGKernelOps.td) has a case here.

func.func @mixed_tensors_and_buffers(%q: tensor<1x1x64x64xbf16>, %o: memref<1x1x64x64xbf16>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op operands must be all tensors or all buffers, but out is 'memref<1x1x64x64xbf16>' and query is 'tensor<1x1x64x64xbf16>'}}
  tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%o, %l : memref<1x1x64x64xbf16>, memref<1x1x64xf32>)
  return
}

// -----

func.func @f16_query(%q: memref<1x1x64x64xf16>, %o: memref<1x1x64x64xf16>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op query must be [B, H, Tq, D] of 'bf16' or 'f32', got 'memref<1x1x64x64xf16>'}}
  tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : memref<1x1x64x64xf16>, memref<1x1x64x64xf16>, memref<1x1x64x64xf16>) outs(%o, %l : memref<1x1x64x64xf16>, memref<1x1x64xf32>)
  return
}

// -----

// bf16 and f32 mixed: the kernels take one element type.
func.func @mixed_element_types(%q: memref<1x1x64x64xf32>, %k: memref<1x1x64x64xbf16>, %o: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op key has element type 'bf16' but query has 'f32'}}
  tg.fused_attention_forward scale 0.125 ins(%q, %k, %k : memref<1x1x64x64xf32>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>) outs(%o, %l : memref<1x1x64x64xf32>, memref<1x1x64xf32>)
  return
}

// -----

func.func @mixed_output(%q: tensor<1x1x64x64xbf16>, %o: tensor<1x1x64x64xf32>, %l: tensor<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op out has element type 'f32' but query has 'bf16'}}
  %r:2 = tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%o, %l : tensor<1x1x64x64xf32>, tensor<1x1x64xf32>) -> tensor<1x1x64x64xf32>, tensor<1x1x64xf32>
  return
}

// -----

func.func @lse_of_rank_4(%q: memref<1x1x64x64xbf16>, %o: memref<1x1x64x64xbf16>, %l: memref<1x1x64x1xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op lse must be [B, H, Tq] of 'f32', got 'memref<1x1x64x1xf32>'}}
  tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>) outs(%o, %l : memref<1x1x64x64xbf16>, memref<1x1x64x1xf32>)
  return
}

// -----

func.func @value_length(%q: memref<1x2x64x64xbf16>, %k: memref<1x2x128x64xbf16>, %v: memref<1x2x64x64xbf16>, %o: memref<1x2x64x64xbf16>, %l: memref<1x2x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op value has Tk = 64 (dim 2) but key has 128}}
  tg.fused_attention_forward scale 0.125 ins(%q, %k, %v : memref<1x2x64x64xbf16>, memref<1x2x128x64xbf16>, memref<1x2x64x64xbf16>) outs(%o, %l : memref<1x2x64x64xbf16>, memref<1x2x64xf32>)
  return
}

// -----

func.func @lse_slices(%q: memref<1x2x64x64xbf16>, %o: memref<1x2x64x64xbf16>, %l: memref<1x?x64xf32>, %l3: memref<1x3x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op lse has H = 3 (dim 1) but query has 2}}
  tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>) outs(%o, %l3 : memref<1x2x64x64xbf16>, memref<1x3x64xf32>)
  return
}

// -----

func.func @causal_with_fewer_keys(%q: memref<1x1x128x64xbf16>, %k: memref<1x1x64x64xbf16>, %o: memref<1x1x128x64xbf16>, %l: memref<1x1x128xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op causal needs at least as many keys as queries, got Tq = 128 and Tk = 64}}
  tg.fused_attention_forward causal scale 0.125 ins(%q, %k, %k : memref<1x1x128x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>) outs(%o, %l : memref<1x1x128x64xbf16>, memref<1x1x128xf32>)
  return
}

// -----

func.func @negative_scale(%q: memref<1x1x64x64xbf16>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op scale must be positive and finite, got -0.5}}
  tg.fused_attention_forward scale -0.5 ins(%q, %q, %q : memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>) outs(%q, %l : memref<1x1x64x64xbf16>, memref<1x1x64xf32>)
  return
}

// -----

func.func @result_not_an_output(%q: tensor<1x1x64x64xbf16>, %l: tensor<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_forward' op expected type of operand #3 ('tensor<1x1x64x64xbf16>') to match type of corresponding result ('tensor<1x1x64x32xbf16>')}}
  %o, %lse = tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%q, %l : tensor<1x1x64x64xbf16>, tensor<1x1x64xf32>) -> tensor<1x1x64x32xbf16>, tensor<1x1x64xf32>
  return
}

// -----

func.func @backward_dk_length(%q: memref<1x1x64x64xbf16>, %k: memref<1x1x128x64xbf16>, %l: memref<1x1x64xf32>) {
  // expected-error @+1 {{'tg.fused_attention_backward' op dk has Tk = 64 (dim 2) but key has 128}}
  tg.fused_attention_backward scale 0.125 ins(%q, %k, %k, %q, %q, %l : memref<1x1x64x64xbf16>, memref<1x1x128x64xbf16>, memref<1x1x128x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64xf32>) outs(%q, %q, %k, %l : memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x128x64xbf16>, memref<1x1x64xf32>)
  return
}

// -----

func.func @backward_delta_type(%q: memref<1x1x64x64xbf16>, %l: memref<1x1x64xf32>, %d: memref<1x1x64xbf16>) {
  // expected-error @+1 {{'tg.fused_attention_backward' op delta must be [B, H, Tq] of 'f32', got 'memref<1x1x64xbf16>'}}
  tg.fused_attention_backward scale 0.125 ins(%q, %q, %q, %q, %q, %l : memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64xf32>) outs(%q, %q, %q, %d : memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64x64xbf16>, memref<1x1x64xbf16>)
  return
}

// -----

func.func @backward_mixed_gradient(%q: memref<1x1x64x64xf32>, %l: memref<1x1x64xf32>, %dk: memref<1x1x64x64xbf16>) {
  // expected-error @+1 {{'tg.fused_attention_backward' op dk has element type 'bf16' but query has 'f32'}}
  tg.fused_attention_backward scale 0.125 ins(%q, %q, %q, %q, %q, %l : memref<1x1x64x64xf32>, memref<1x1x64x64xf32>, memref<1x1x64x64xf32>, memref<1x1x64x64xf32>, memref<1x1x64x64xf32>, memref<1x1x64xf32>) outs(%q, %dk, %q, %l : memref<1x1x64x64xf32>, memref<1x1x64x64xbf16>, memref<1x1x64x64xf32>, memref<1x1x64xf32>)
  return
}
