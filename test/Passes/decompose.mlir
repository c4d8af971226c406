// RUN: tgc-opt %s --tg-decompose --split-input-file | FileCheck %s

// The core-op program each composite op becomes. Constants are rank-0
// tg.constant ops that broadcast; the rewriter hoists them to the top of the
// function, hence CHECK-DAG.

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<128x784xf32>, %[[W:.*]]: tensor<512x784xf32>, %[[B:.*]]: tensor<512xf32>)
// CHECK: %[[XW:.*]] = tg.matmul %[[X]], %[[W]] transpose_rhs : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
// CHECK: %[[Y:.*]] = tg.add %[[XW]], %[[B]] : tensor<128x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tg.linear
func.func @linear_bias(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<128x512xf32> {
  %y = tg.linear %x, %w, %b : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
  return %y : tensor<128x512xf32>
}

// -----

// Batch dimensions of the input fold into its rows: one product of all
// 64 rows with the 2-D weight (so the weight's gradient is one product
// over all rows, not one per batch element summed). On bf16 (as on f16) a
// composite computes in f32 and rounds once, as PyTorch's ops do: the
// operands widen, the f32 op decomposes, the result narrows.
// CHECK-LABEL: func.func @linear_no_bias
// CHECK-NEXT: %[[X:.*]] = tg.cast %{{.*}} : tensor<4x16x784xbf16> to tensor<4x16x784xf32>
// CHECK-NEXT: %[[W:.*]] = tg.cast %{{.*}} : tensor<10x784xbf16> to tensor<10x784xf32>
// CHECK-NEXT: %[[ROWS:.*]] = tg.reshape %[[X]] : tensor<4x16x784xf32> -> tensor<64x784xf32>
// CHECK-NEXT: %[[Y:.*]] = tg.matmul %[[ROWS]], %[[W]] transpose_rhs : tensor<64x784xf32>, tensor<10x784xf32> -> tensor<64x10xf32>
// CHECK-NEXT: %[[Y3:.*]] = tg.reshape %[[Y]] : tensor<64x10xf32> -> tensor<4x16x10xf32>
// CHECK-NEXT: %[[R:.*]] = tg.cast %[[Y3]] : tensor<4x16x10xf32> to tensor<4x16x10xbf16>
// CHECK-NEXT: return %[[R]]
func.func @linear_no_bias(%x: tensor<4x16x784xbf16>, %w: tensor<10x784xbf16>) -> tensor<4x16x10xbf16> {
  %y = tg.linear %x, %w : tensor<4x16x784xbf16>, tensor<10x784xbf16> -> tensor<4x16x10xbf16>
  return %y : tensor<4x16x10xbf16>
}

// -----

// A single vector is matmul'd as one row.
// CHECK-LABEL: func.func @linear_vector
// CHECK: tg.reshape %{{.*}} : tensor<784xf32> -> tensor<1x784xf32>
// CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<1x784xf32>, tensor<512x784xf32> -> tensor<1x512xf32>
// CHECK: tg.reshape %{{.*}} : tensor<1x512xf32> -> tensor<512xf32>
// CHECK: tg.add %{{.*}}, %{{.*}} : tensor<512xf32>
// CHECK-NOT: tg.linear
func.func @linear_vector(%x: tensor<784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<512xf32> {
  %y = tg.linear %x, %w, %b : tensor<784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<512xf32>
  return %y : tensor<512xf32>
}

// -----

// Dynamic batch sizes need no static shape.
// CHECK-LABEL: func.func @linear_dynamic
// CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<?x784xf32>, tensor<512x784xf32> -> tensor<?x512xf32>
// CHECK: tg.add %{{.*}}, %{{.*}} : tensor<?x512xf32>, tensor<512xf32> -> tensor<?x512xf32>
func.func @linear_dynamic(%x: tensor<?x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>) -> tensor<?x512xf32> {
  %y = tg.linear %x, %w, %b : tensor<?x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<?x512xf32>
  return %y : tensor<?x512xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<16x128x256xf32>, %[[G:.*]]: tensor<256xf32>, %[[B:.*]]: tensor<256xf32>)
// CHECK-DAG: %[[EPS:.*]] = tg.constant dense<1.000000e-03> : tensor<f32>
// CHECK: %[[MEAN:.*]] = tg.reduce_mean %[[X]] [-1] keepdim : tensor<16x128x256xf32> -> tensor<16x128x1xf32>
// CHECK: %[[C:.*]] = tg.sub %[[X]], %[[MEAN]] : tensor<16x128x256xf32>, tensor<16x128x1xf32> -> tensor<16x128x256xf32>
// CHECK: %[[SQ:.*]] = tg.mul %[[C]], %[[C]] : tensor<16x128x256xf32>
// CHECK: %[[VAR:.*]] = tg.reduce_mean %[[SQ]] [-1] keepdim : tensor<16x128x256xf32> -> tensor<16x128x1xf32>
// CHECK: %[[SHIFTED:.*]] = tg.add %[[VAR]], %[[EPS]] : tensor<16x128x1xf32>, tensor<f32> -> tensor<16x128x1xf32>
// CHECK: %[[INV:.*]] = tg.rsqrt %[[SHIFTED]] : tensor<16x128x1xf32>
// CHECK: %[[N:.*]] = tg.mul %[[C]], %[[INV]] : tensor<16x128x256xf32>, tensor<16x128x1xf32> -> tensor<16x128x256xf32>
// CHECK: %[[S:.*]] = tg.mul %[[N]], %[[G]] : tensor<16x128x256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
// CHECK: %[[Y:.*]] = tg.add %[[S]], %[[B]] : tensor<16x128x256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tg.layer_norm
func.func @layer_norm(%x: tensor<16x128x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<16x128x256xf32> {
  %y = tg.layer_norm %x, %g, %b epsilon 1.0e-03 : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
  return %y : tensor<16x128x256xf32>
}

// -----

// f16: computed in f32 (epsilon too), rounded once.
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[XH:.*]]: tensor<?x256xf16>, %[[GH:.*]]: tensor<256xf16>)
// CHECK-DAG: %[[EPS:.*]] = tg.constant dense<{{.*}}> : tensor<f32>
// CHECK-DAG: %[[X:.*]] = tg.cast %[[XH]] : tensor<?x256xf16> to tensor<?x256xf32>
// CHECK-DAG: %[[G:.*]] = tg.cast %[[GH]] : tensor<256xf16> to tensor<256xf32>
// CHECK: %[[SQ:.*]] = tg.mul %[[X]], %[[X]] : tensor<?x256xf32>
// CHECK: %[[MS:.*]] = tg.reduce_mean %[[SQ]] [-1] keepdim : tensor<?x256xf32> -> tensor<?x1xf32>
// CHECK: %[[SHIFTED:.*]] = tg.add %[[MS]], %[[EPS]] : tensor<?x1xf32>, tensor<f32> -> tensor<?x1xf32>
// CHECK: %[[INV:.*]] = tg.rsqrt %[[SHIFTED]] : tensor<?x1xf32>
// CHECK: %[[N:.*]] = tg.mul %[[X]], %[[INV]] : tensor<?x256xf32>, tensor<?x1xf32> -> tensor<?x256xf32>
// CHECK: %[[Y:.*]] = tg.mul %[[N]], %[[G]] : tensor<?x256xf32>, tensor<256xf32> -> tensor<?x256xf32>
// CHECK: %[[R:.*]] = tg.cast %[[Y]] : tensor<?x256xf32> to tensor<?x256xf16>
// CHECK: return %[[R]]
// CHECK-NOT: tg.rms_norm
func.func @rms_norm(%x: tensor<?x256xf16>, %g: tensor<256xf16>) -> tensor<?x256xf16> {
  %y = tg.rms_norm %x, %g : tensor<?x256xf16>, tensor<256xf16> -> tensor<?x256xf16>
  return %y : tensor<?x256xf16>
}

// -----

// A core matmul on bf16 widens too: it accumulates in f32 and rounds once,
// on the runtime's f32 kernel (or cuBLAS) rather than as loops.
// CHECK-LABEL: func.func @matmul_bf16
// CHECK-NEXT: %[[A:.*]] = tg.cast %{{.*}} : tensor<8x64xbf16> to tensor<8x64xf32>
// CHECK-NEXT: %[[B:.*]] = tg.cast %{{.*}} : tensor<64x16xbf16> to tensor<64x16xf32>
// CHECK-NEXT: %[[C:.*]] = tg.matmul %[[A]], %[[B]] : tensor<8x64xf32>, tensor<64x16xf32> -> tensor<8x16xf32>
// CHECK-NEXT: %[[R:.*]] = tg.cast %[[C]] : tensor<8x16xf32> to tensor<8x16xbf16>
// CHECK-NEXT: return %[[R]]
func.func @matmul_bf16(%a: tensor<8x64xbf16>, %b: tensor<64x16xbf16>) -> tensor<8x16xbf16> {
  %c = tg.matmul %a, %b : tensor<8x64xbf16>, tensor<64x16xbf16> -> tensor<8x16xbf16>
  return %c : tensor<8x16xbf16>
}

// -----

// A bf16 table stays bf16: a gather is exact, and widening the table would
// only copy it.
// CHECK-LABEL: func.func @embedding_bf16
// CHECK-NEXT: %[[E:.*]] = tg.gather %{{.*}}[%{{.*}}] axis 0 : tensor<1000x64xbf16>, tensor<8xi32> -> tensor<8x64xbf16>
// CHECK-NEXT: return %[[E]]
func.func @embedding_bf16(%table: tensor<1000x64xbf16>, %ids: tensor<8xi32>) -> tensor<8x64xbf16> {
  %e = tg.embedding %table[%ids] : tensor<1000x64xbf16>, tensor<8xi32> -> tensor<8x64xbf16>
  return %e : tensor<8x64xbf16>
}

// -----

// CHECK-LABEL: func.func @embedding
// CHECK-NEXT: %[[E:.*]] = tg.gather %{{.*}}[%{{.*}}] axis 0 : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
// CHECK-NEXT: return %[[E]]
func.func @embedding(%table: tensor<50257x768xf32>, %ids: tensor<8x1024xi32>) -> tensor<8x1024x768xf32> {
  %e = tg.embedding %table[%ids] : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
  return %e : tensor<8x1024x768xf32>
}

// -----

// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<16x256xf32>, %[[SEED:.*]]: tensor<i64>, %[[COUNTER:.*]]: tensor<i64>)
// CHECK-DAG: %[[ZERO:.*]] = tg.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[RATE:.*]] = tg.constant dense<2.500000e-01> : tensor<f32>
// CHECK-DAG: %[[SCALE:.*]] = tg.constant dense<1.33333337> : tensor<f32>
// CHECK: %[[U:.*]] = tg.random {{ *}}uniform %[[SEED]], %[[COUNTER]] : tensor<i64>, tensor<i64> -> tensor<16x256xf32>
// CHECK: %[[KEEP:.*]] = tg.compare {{ *}}ge %[[U]], %[[RATE]] : tensor<16x256xf32>, tensor<f32> -> tensor<16x256xi1>
// CHECK: %[[SCALED:.*]] = tg.mul %[[X]], %[[SCALE]] : tensor<16x256xf32>, tensor<f32> -> tensor<16x256xf32>
// CHECK: %[[Y:.*]] = tg.select %[[KEEP]], %[[SCALED]], %[[ZERO]] : tensor<16x256xi1>, tensor<16x256xf32>, tensor<f32> -> tensor<16x256xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tg.dropout
func.func @dropout(%x: tensor<16x256xf32>, %seed: tensor<i64>, %counter: tensor<i64>) -> tensor<16x256xf32> {
  %y = tg.dropout %x, %seed, %counter rate 0.25 : tensor<16x256xf32>, tensor<i64>, tensor<i64>
  return %y : tensor<16x256xf32>
}

// -----

// Rate 0 is the identity, for any shape.
// CHECK-LABEL: func.func @dropout_rate_zero
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x256xf32>
// CHECK-NEXT: return %[[X]]
func.func @dropout_rate_zero(%x: tensor<?x256xf32>, %seed: tensor<i64>, %counter: tensor<i64>) -> tensor<?x256xf32> {
  %y = tg.dropout %x, %seed, %counter rate 0.0 : tensor<?x256xf32>, tensor<i64>, tensor<i64>
  return %y : tensor<?x256xf32>
}

// -----

// The default scale is 1 / sqrt(D) = 1 / sqrt(64).
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: tensor<16x4x128x64xf32>, %[[K:.*]]: tensor<16x4x256x64xf32>, %[[V:.*]]: tensor<16x4x256x32xf32>)
// CHECK-DAG: %[[SCALE:.*]] = tg.constant dense<1.250000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = tg.matmul %[[Q]], %[[K]] transpose_rhs : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32> -> tensor<16x4x128x256xf32>
// CHECK: %[[SS:.*]] = tg.mul %[[S]], %[[SCALE]] : tensor<16x4x128x256xf32>, tensor<f32> -> tensor<16x4x128x256xf32>
// CHECK: %[[P:.*]] = tg.softmax %[[SS]] : tensor<16x4x128x256xf32>
// CHECK: %[[O:.*]] = tg.matmul %[[P]], %[[V]] : tensor<16x4x128x256xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
// CHECK: return %[[O]]
// CHECK-NOT: tg.attention
func.func @attention(%q: tensor<16x4x128x64xf32>, %k: tensor<16x4x256x64xf32>, %v: tensor<16x4x256x32xf32>) -> tensor<16x4x128x32xf32> {
  %o = tg.attention %q, %k, %v : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  return %o : tensor<16x4x128x32xf32>
}

// -----

// Causal with Tq = 3 queries after Tk - Tq = 2 cached keys: query i sees key
// j iff j <= i + 2. Hidden scores become the lowest finite f32.
// CHECK-LABEL: func.func @attention_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x8xf32>, %[[K:.*]]: tensor<2x5x8xf32>, %[[V:.*]]: tensor<2x5x4xf32>)
// CHECK-DAG: %[[LOWEST:.*]] = tg.constant dense<-3.40282347E+38> : tensor<f32>
// CHECK-DAG: %[[OFFSET:.*]] = tg.constant dense<2> : tensor<i64>
// CHECK-DAG: %[[SCALE:.*]] = tg.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[S:.*]] = tg.matmul %[[Q]], %[[K]] transpose_rhs : tensor<2x3x8xf32>, tensor<2x5x8xf32> -> tensor<2x3x5xf32>
// CHECK: %[[SS:.*]] = tg.mul %[[S]], %[[SCALE]] : tensor<2x3x5xf32>, tensor<f32> -> tensor<2x3x5xf32>
// CHECK: %[[ROWS:.*]] = tg.iota 0 : tensor<3x5xi64>
// CHECK: %[[COLS:.*]] = tg.iota 1 : tensor<3x5xi64>
// CHECK: %[[LAST:.*]] = tg.add %[[ROWS]], %[[OFFSET]] : tensor<3x5xi64>, tensor<i64> -> tensor<3x5xi64>
// CHECK: %[[VISIBLE:.*]] = tg.compare {{ *}}le %[[COLS]], %[[LAST]] : tensor<3x5xi64>, tensor<3x5xi64> -> tensor<3x5xi1>
// CHECK: %[[MASKED:.*]] = tg.select %[[VISIBLE]], %[[SS]], %[[LOWEST]] : tensor<3x5xi1>, tensor<2x3x5xf32>, tensor<f32> -> tensor<2x3x5xf32>
// CHECK: %[[P:.*]] = tg.softmax %[[MASKED]] : tensor<2x3x5xf32>
// CHECK: %[[O:.*]] = tg.matmul %[[P]], %[[V]] : tensor<2x3x5xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
// CHECK: return %[[O]]
// CHECK-NOT: tg.attention
func.func @attention_causal(%q: tensor<2x3x8xf32>, %k: tensor<2x5x8xf32>, %v: tensor<2x5x4xf32>) -> tensor<2x3x4xf32> {
  %o = tg.attention %q, %k, %v causal scale 0.5 : tensor<2x3x8xf32>, tensor<2x5x8xf32>, tensor<2x5x4xf32> -> tensor<2x3x4xf32>
  return %o : tensor<2x3x4xf32>
}

// -----

// Square causal attention needs no offset: query i sees keys j <= i.
// CHECK-LABEL: func.func @attention_causal_square
// CHECK: %[[ROWS:.*]] = tg.iota 0 : tensor<4x4xi64>
// CHECK: %[[COLS:.*]] = tg.iota 1 : tensor<4x4xi64>
// CHECK-NOT: tg.add
// CHECK: tg.compare {{ *}}le %[[COLS]], %[[ROWS]] : tensor<4x4xi64>, tensor<4x4xi64> -> tensor<4x4xi1>
// CHECK-NOT: tg.attention
func.func @attention_causal_square(%q: tensor<4x16xf32>, %k: tensor<4x16xf32>, %v: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %o = tg.attention %q, %k, %v causal : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

// tg.attention_grad recomputes the weights P as tg.attention does, then
// dV = P^T dO, dS = P * (dO V^T - rowsum(dO * O)) * scale, dQ = dS K,
// dK = dS^T Q.
// CHECK-LABEL: func.func @attention_grad
// CHECK-SAME: (%[[Q:.*]]: tensor<2x4x3x8xf32>, %[[K:.*]]: tensor<2x4x5x8xf32>, %[[V:.*]]: tensor<2x4x5x2xf32>, %[[O:.*]]: tensor<2x4x3x2xf32>, %[[DO:.*]]: tensor<2x4x3x2xf32>)
// CHECK-DAG: %[[SCALE:.*]] = tg.constant dense<0.353553385> : tensor<f32>
// CHECK: %[[S:.*]] = tg.matmul %[[Q]], %[[K]] transpose_rhs : tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32> -> tensor<2x4x3x5xf32>
// CHECK: %[[SS:.*]] = tg.mul %[[S]], %[[SCALE]]
// CHECK: %[[P:.*]] = tg.softmax %[[SS]] : tensor<2x4x3x5xf32>
// CHECK: %[[DV:.*]] = tg.matmul %[[P]], %[[DO]] transpose_lhs : tensor<2x4x3x5xf32>, tensor<2x4x3x2xf32> -> tensor<2x4x5x2xf32>
// CHECK: %[[DP:.*]] = tg.matmul %[[DO]], %[[V]] transpose_rhs : tensor<2x4x3x2xf32>, tensor<2x4x5x2xf32> -> tensor<2x4x3x5xf32>
// CHECK: %[[DOO:.*]] = tg.mul %[[DO]], %[[O]] : tensor<2x4x3x2xf32>
// CHECK: %[[DELTA:.*]] = tg.reduce_sum %[[DOO]] [-1] keepdim : tensor<2x4x3x2xf32> -> tensor<2x4x3x1xf32>
// CHECK: %[[CENTERED:.*]] = tg.sub %[[DP]], %[[DELTA]] : tensor<2x4x3x5xf32>, tensor<2x4x3x1xf32> -> tensor<2x4x3x5xf32>
// CHECK: %[[DS:.*]] = tg.mul %[[P]], %[[CENTERED]] : tensor<2x4x3x5xf32>
// CHECK: %[[DSS:.*]] = tg.mul %[[DS]], %[[SCALE]]
// CHECK: %[[DQ:.*]] = tg.matmul %[[DSS]], %[[K]] : tensor<2x4x3x5xf32>, tensor<2x4x5x8xf32> -> tensor<2x4x3x8xf32>
// CHECK: %[[DK:.*]] = tg.matmul %[[DSS]], %[[Q]] transpose_lhs : tensor<2x4x3x5xf32>, tensor<2x4x3x8xf32> -> tensor<2x4x5x8xf32>
// CHECK: return %[[DQ]], %[[DK]], %[[DV]]
// CHECK-NOT: tg.attention_grad
func.func @attention_grad(%q: tensor<2x4x3x8xf32>, %k: tensor<2x4x5x8xf32>, %v: tensor<2x4x5x2xf32>, %o: tensor<2x4x3x2xf32>, %do: tensor<2x4x3x2xf32>) -> (tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x2xf32>) {
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do : tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x2xf32>, tensor<2x4x3x2xf32>, tensor<2x4x3x2xf32> -> tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x2xf32>
  return %dq, %dk, %dv : tensor<2x4x3x8xf32>, tensor<2x4x5x8xf32>, tensor<2x4x5x2xf32>
}

// -----

// Causal with Tq > Tk: the first two queries see no key, so their P is
// uniform but their dS is zero (the mask again, on dS).
// CHECK-LABEL: func.func @attention_grad_unseen_keys
// CHECK-DAG: %[[ZERO:.*]] = tg.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[OFFSET:.*]] = tg.constant dense<-2> : tensor<i64>
// CHECK: %[[VISIBLE:.*]] = tg.compare {{ *}}le
// CHECK: %[[MASKED:.*]] = tg.select %[[VISIBLE]], %{{.*}}, %{{.*}} : tensor<5x3xi1>, tensor<5x3xf32>, tensor<f32> -> tensor<5x3xf32>
// CHECK: %[[P:.*]] = tg.softmax %[[MASKED]] : tensor<5x3xf32>
// CHECK: %[[DS:.*]] = tg.mul %[[P]], %{{.*}} : tensor<5x3xf32>
// CHECK: %[[SEES:.*]] = tg.compare {{ *}}le
// CHECK: tg.select %[[SEES]], %[[DS]], %[[ZERO]] : tensor<5x3xi1>, tensor<5x3xf32>, tensor<f32> -> tensor<5x3xf32>
func.func @attention_grad_unseen_keys(%q: tensor<5x8xf32>, %k: tensor<3x8xf32>, %v: tensor<3x2xf32>, %o: tensor<5x2xf32>, %do: tensor<5x2xf32>) -> (tensor<5x8xf32>, tensor<3x8xf32>, tensor<3x2xf32>) {
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal scale 0.5 : tensor<5x8xf32>, tensor<3x8xf32>, tensor<3x2xf32>, tensor<5x2xf32>, tensor<5x2xf32> -> tensor<5x8xf32>, tensor<3x8xf32>, tensor<3x2xf32>
  return %dq, %dk, %dv : tensor<5x8xf32>, tensor<3x8xf32>, tensor<3x2xf32>
}

// -----

// On bf16 it computes in f32, as tg.attention does: every operand widened,
// each gradient rounded once.
// CHECK-LABEL: func.func @attention_grad_bf16
// CHECK-COUNT-5: tg.cast %{{.*}} : tensor<4x8xbf16> to tensor<4x8xf32>
// CHECK-NOT: bf16
// CHECK: tg.softmax %{{.*}} : tensor<4x4xf32>
// CHECK-NOT: bf16
// CHECK-COUNT-3: tg.cast %{{.*}} : tensor<4x8xf32> to tensor<4x8xbf16>
// CHECK-NEXT: return
func.func @attention_grad_bf16(%q: tensor<4x8xbf16>, %k: tensor<4x8xbf16>, %v: tensor<4x8xbf16>, %o: tensor<4x8xbf16>, %do: tensor<4x8xbf16>) -> (tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>) {
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16> -> tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>
  return %dq, %dk, %dv : tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>
}

// -----

// im2col: pad H and W by 1, one stride-2 slice per tap of the 2x2 kernel
// (OH = OW = (6 + 2 - 2) / 2 + 1 = 4), taps stacked in (kh, kw) order so the
// patch index is c*4 + kh*2 + kw, as in the weight's [C, KH, KW].
// CHECK-LABEL: func.func @conv2d
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x6x6xf32>, %[[W:.*]]: tensor<5x3x2x2xf32>, %[[B:.*]]: tensor<5xf32>)
// CHECK: %[[P:.*]] = tg.pad %[[X]] low [0, 0, 1, 1] high [0, 0, 1, 1] value 0.0{{[0-9e+]*}} : tensor<2x3x6x6xf32> -> tensor<2x3x8x8xf32>
// CHECK: %[[T00:.*]] = tg.slice %[[P]] [0, 0, 0, 0] to [2, 3, 7, 7] step [1, 1, 2, 2] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
// CHECK: %[[R00:.*]] = tg.reshape %[[T00]] : tensor<2x3x4x4xf32> -> tensor<2x3x1x16xf32>
// CHECK: %[[T01:.*]] = tg.slice %[[P]] [0, 0, 0, 1] to [2, 3, 7, 8] step [1, 1, 2, 2] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
// CHECK: %[[R01:.*]] = tg.reshape %[[T01]]
// CHECK: %[[T10:.*]] = tg.slice %[[P]] [0, 0, 1, 0] to [2, 3, 8, 7] step [1, 1, 2, 2]
// CHECK: %[[R10:.*]] = tg.reshape %[[T10]]
// CHECK: %[[T11:.*]] = tg.slice %[[P]] [0, 0, 1, 1] to [2, 3, 8, 8] step [1, 1, 2, 2]
// CHECK: %[[R11:.*]] = tg.reshape %[[T11]]
// CHECK: %[[STACK:.*]] = tg.concat %[[R00]], %[[R01]], %[[R10]], %[[R11]] axis 2 : {{.*}} -> tensor<2x3x4x16xf32>
// CHECK: %[[COLS:.*]] = tg.reshape %[[STACK]] : tensor<2x3x4x16xf32> -> tensor<2x12x16xf32>
// CHECK: %[[KERNEL:.*]] = tg.reshape %[[W]] : tensor<5x3x2x2xf32> -> tensor<5x12xf32>
// CHECK: %[[PROD:.*]] = tg.matmul %[[KERNEL]], %[[COLS]] : tensor<5x12xf32>, tensor<2x12x16xf32> -> tensor<2x5x16xf32>
// CHECK: %[[OUT:.*]] = tg.reshape %[[PROD]] : tensor<2x5x16xf32> -> tensor<2x5x4x4xf32>
// CHECK: %[[BIAS:.*]] = tg.reshape %[[B]] : tensor<5xf32> -> tensor<5x1x1xf32>
// CHECK: %[[Y:.*]] = tg.add %[[OUT]], %[[BIAS]] : tensor<2x5x4x4xf32>, tensor<5x1x1xf32> -> tensor<2x5x4x4xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: tg.conv2d
func.func @conv2d(%x: tensor<2x3x6x6xf32>, %w: tensor<5x3x2x2xf32>, %b: tensor<5xf32>) -> tensor<2x5x4x4xf32> {
  %y = tg.conv2d %x, %w, %b stride [2, 2] padding [1, 1] : tensor<2x3x6x6xf32>, tensor<5x3x2x2xf32>, tensor<5xf32> -> tensor<2x5x4x4xf32>
  return %y : tensor<2x5x4x4xf32>
}

// -----

// Dilation spaces the taps; no padding, unit stride: plain slices, no pad.
// CHECK-LABEL: func.func @conv2d_dilation
// CHECK-NOT: tg.pad
// CHECK: tg.slice %{{.*}} [0, 0, 0, 0] to [1, 2, 3, 3] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
// CHECK: tg.slice %{{.*}} [0, 0, 0, 2] to [1, 2, 3, 5] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
// CHECK: tg.slice %{{.*}} [0, 0, 2, 0] to [1, 2, 5, 3] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
// CHECK: tg.slice %{{.*}} [0, 0, 2, 2] to [1, 2, 5, 5] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
// CHECK: tg.matmul %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<1x8x9xf32> -> tensor<1x4x9xf32>
// CHECK: %[[Y:.*]] = tg.reshape %{{.*}} : tensor<1x4x9xf32> -> tensor<1x4x3x3xf32>
// CHECK: return %[[Y]]
func.func @conv2d_dilation(%x: tensor<1x2x5x5xf32>, %w: tensor<4x2x2x2xf32>) -> tensor<1x4x3x3xf32> {
  %y = tg.conv2d %x, %w dilation [2, 2] : tensor<1x2x5x5xf32>, tensor<4x2x2x2xf32> -> tensor<1x4x3x3xf32>
  return %y : tensor<1x4x3x3xf32>
}

// -----

// CHECK-LABEL: func.func @mse_mean
// CHECK-SAME: (%[[Y:.*]]: tensor<128x1xf32>, %[[T:.*]]: tensor<128x1xf32>)
// CHECK: %[[D:.*]] = tg.sub %[[Y]], %[[T]] : tensor<128x1xf32>
// CHECK: %[[SQ:.*]] = tg.mul %[[D]], %[[D]] : tensor<128x1xf32>
// CHECK: %[[L:.*]] = tg.reduce_mean %[[SQ]] [0, 1] : tensor<128x1xf32> -> tensor<f32>
// CHECK: return %[[L]]
// CHECK-NOT: tg.mse_loss
func.func @mse_mean(%y: tensor<128x1xf32>, %t: tensor<128x1xf32>) -> tensor<f32> {
  %l = tg.mse_loss %y, %t : tensor<128x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @mse_sum
// CHECK: tg.sub
// CHECK: tg.mul
// CHECK: %[[L:.*]] = tg.reduce_sum %{{.*}} [0, 1, 2] : tensor<2x?x3xf64> -> tensor<f64>
// CHECK: return %[[L]]
// CHECK-NOT: tg.mse_loss
func.func @mse_sum(%y: tensor<2x?x3xf64>, %t: tensor<2x?x3xf64>) -> tensor<f64> {
  %l = tg.mse_loss %y, %t reduction = sum : tensor<2x?x3xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// log p[label] = x[label] - log Z, log Z = max + log sum exp(x - max) with
// the max a constant for differentiation: no one-hot tensor.
// CHECK-LABEL: func.func @cross_entropy_mean
// CHECK-SAME: (%[[X:.*]]: tensor<128x10xf32>, %[[Y:.*]]: tensor<128xi32>)
// CHECK: %[[MAX:.*]] = tg.reduce_max %[[X]] [-1] keepdim : tensor<128x10xf32> -> tensor<128x1xf32>
// CHECK: %[[M:.*]] = tg.stop_gradient %[[MAX]] : tensor<128x1xf32>
// CHECK: %[[SHIFTED:.*]] = tg.sub %[[X]], %[[M]] : tensor<128x10xf32>, tensor<128x1xf32> -> tensor<128x10xf32>
// CHECK: %[[E:.*]] = tg.exp %[[SHIFTED]] : tensor<128x10xf32>
// CHECK: %[[S:.*]] = tg.reduce_sum %[[E]] [-1] keepdim : tensor<128x10xf32> -> tensor<128x1xf32>
// CHECK: %[[LOGS:.*]] = tg.log %[[S]] : tensor<128x1xf32>
// CHECK: %[[LOGZ:.*]] = tg.add %[[M]], %[[LOGS]] : tensor<128x1xf32>
// CHECK: %[[LOGZ1:.*]] = tg.reshape %[[LOGZ]] : tensor<128x1xf32> -> tensor<128xf32>
// CHECK: %[[PICKED:.*]] = tg.take_along %[[X]][%[[Y]]] : tensor<128x10xf32>, tensor<128xi32> -> tensor<128xf32>
// CHECK: %[[PER:.*]] = tg.sub %[[PICKED]], %[[LOGZ1]] : tensor<128xf32>
// CHECK: %[[MEAN:.*]] = tg.reduce_mean %[[PER]] [0] : tensor<128xf32> -> tensor<f32>
// CHECK: %[[L:.*]] = tg.neg %[[MEAN]] : tensor<f32>
// CHECK: return %[[L]]
// CHECK-NOT: tg.softmax_cross_entropy
func.func @cross_entropy_mean(%x: tensor<128x10xf32>, %y: tensor<128xi32>) -> tensor<f32> {
  %l = tg.softmax_cross_entropy %x, %y : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// bf16 logits: the loss computed in f32, rounded once.
// CHECK-LABEL: func.func @cross_entropy_sum
// CHECK: %[[X:.*]] = tg.cast %{{.*}} : tensor<4x16x10xbf16> to tensor<4x16x10xf32>
// CHECK: tg.reduce_max %[[X]] [-1] keepdim : tensor<4x16x10xf32> -> tensor<4x16x1xf32>
// CHECK: tg.take_along %[[X]][%{{.*}}] : tensor<4x16x10xf32>, tensor<4x16xi64> -> tensor<4x16xf32>
// CHECK: %[[SUM:.*]] = tg.reduce_sum %{{.*}} [0, 1] : tensor<4x16xf32> -> tensor<f32>
// CHECK: %[[L:.*]] = tg.neg %[[SUM]] : tensor<f32>
// CHECK: %[[R:.*]] = tg.cast %[[L]] : tensor<f32> to tensor<bf16>
// CHECK: return %[[R]]
// CHECK-NOT: tg.softmax_cross_entropy
func.func @cross_entropy_sum(%x: tensor<4x16x10xbf16>, %y: tensor<4x16xi64>) -> tensor<bf16> {
  %l = tg.softmax_cross_entropy %x, %y reduction = sum : tensor<4x16x10xbf16>, tensor<4x16xi64> -> tensor<bf16>
  return %l : tensor<bf16>
}

// -----

// A single example: nothing left to reduce after the class dimension.
// CHECK-LABEL: func.func @cross_entropy_one_example
// CHECK: %[[PICKED:.*]] = tg.take_along %{{.*}}[%{{.*}}] : tensor<10xf32>, tensor<i32> -> tensor<f32>
// CHECK-NEXT: %[[PER:.*]] = tg.sub %[[PICKED]], %{{.*}} : tensor<f32>
// CHECK-NEXT: %[[L:.*]] = tg.neg %[[PER]] : tensor<f32>
// CHECK-NEXT: return %[[L]]
func.func @cross_entropy_one_example(%x: tensor<10xf32>, %y: tensor<i32>) -> tensor<f32> {
  %l = tg.softmax_cross_entropy %x, %y : tensor<10xf32>, tensor<i32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// max(x, 0) - x t + log(1 + exp(-|x|))
// CHECK-LABEL: func.func @bce_mean
// CHECK-SAME: (%[[X:.*]]: tensor<64x1xf32>, %[[T:.*]]: tensor<64x1xf32>)
// CHECK-DAG: %[[ZERO:.*]] = tg.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[ONE:.*]] = tg.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[POS:.*]] = tg.maximum %[[X]], %[[ZERO]] : tensor<64x1xf32>, tensor<f32> -> tensor<64x1xf32>
// CHECK: %[[XT:.*]] = tg.mul %[[X]], %[[T]] : tensor<64x1xf32>
// CHECK: %[[ABS:.*]] = tg.abs %[[X]] : tensor<64x1xf32>
// CHECK: %[[NEG:.*]] = tg.neg %[[ABS]] : tensor<64x1xf32>
// CHECK: %[[EXP:.*]] = tg.exp %[[NEG]] : tensor<64x1xf32>
// CHECK: %[[ARG:.*]] = tg.add %[[EXP]], %[[ONE]] : tensor<64x1xf32>, tensor<f32> -> tensor<64x1xf32>
// CHECK: %[[SOFTPLUS:.*]] = tg.log %[[ARG]] : tensor<64x1xf32>
// CHECK: %[[DIFF:.*]] = tg.sub %[[POS]], %[[XT]] : tensor<64x1xf32>
// CHECK: %[[TERMS:.*]] = tg.add %[[DIFF]], %[[SOFTPLUS]] : tensor<64x1xf32>
// CHECK: %[[L:.*]] = tg.reduce_mean %[[TERMS]] [0, 1] : tensor<64x1xf32> -> tensor<f32>
// CHECK: return %[[L]]
// CHECK-NOT: tg.bce_with_logits
func.func @bce_mean(%x: tensor<64x1xf32>, %t: tensor<64x1xf32>) -> tensor<f32> {
  %l = tg.bce_with_logits %x, %t : tensor<64x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @bce_sum
// CHECK: tg.maximum
// CHECK: tg.log
// CHECK: %[[L:.*]] = tg.reduce_sum %{{.*}} [0] : tensor<64xf32> -> tensor<f32>
// CHECK: return %[[L]]
// CHECK-NOT: tg.bce_with_logits
func.func @bce_sum(%x: tensor<64xf32>, %t: tensor<64xf32>) -> tensor<f32> {
  %l = tg.bce_with_logits %x, %t reduction = sum : tensor<64xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Label smoothing, Poly-1 and the z-loss: the target distribution q =
// 0.9 one_hot + 0.1 / 10, then -sum q log p + 1.0 (1 - sum q p) + 1e-4 logZ^2
// per example.
// CHECK-LABEL: func.func @cross_entropy_smoothing_poly1_zloss
// CHECK-SAME: (%[[X:.*]]: tensor<8x10xf32>, %[[Y:.*]]: tensor<8xi32>)
// CHECK-DAG: %[[KEEP:.*]] = tg.constant dense<0.899999976> : tensor<f32>
// CHECK-DAG: %[[SPREAD:.*]] = tg.constant dense<0.00999999977> : tensor<f32>
// CHECK-DAG: %[[WZ:.*]] = tg.constant dense<9.99999974E-5> : tensor<f32>
// CHECK: tg.reduce_max %[[X]] [-1] keepdim : tensor<8x10xf32> -> tensor<8x1xf32>
// CHECK: %[[LOGZK:.*]] = tg.add
// CHECK: %[[LOGZ:.*]] = tg.reshape %[[LOGZK]] : tensor<8x1xf32> -> tensor<8xf32>
// CHECK: %[[OH:.*]] = tg.one_hot %[[Y]] classes 10 : tensor<8xi32> -> tensor<8x10xf32>
// CHECK: %[[SCALED:.*]] = tg.mul %[[OH]], %[[KEEP]]
// CHECK: %[[Q:.*]] = tg.add %[[SCALED]], %[[SPREAD]]
// CHECK: %[[LP:.*]] = tg.sub %[[X]], %[[LOGZK]] : tensor<8x10xf32>, tensor<8x1xf32> -> tensor<8x10xf32>
// CHECK: %[[QLP:.*]] = tg.mul %[[Q]], %[[LP]] : tensor<8x10xf32>
// CHECK: %[[CE:.*]] = tg.reduce_sum %[[QLP]] [-1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK: %[[NCE:.*]] = tg.neg %[[CE]] : tensor<8xf32>
// CHECK: %[[P:.*]] = tg.exp %[[LP]] : tensor<8x10xf32>
// CHECK: %[[QP:.*]] = tg.mul %[[Q]], %[[P]] : tensor<8x10xf32>
// CHECK: %[[PT:.*]] = tg.reduce_sum %[[QP]] [-1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK: %[[MISS:.*]] = tg.sub %{{.*}}, %[[PT]] : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
// CHECK: %[[SQ:.*]] = tg.mul %[[LOGZ]], %[[LOGZ]] : tensor<8xf32>
// CHECK: tg.mul %[[SQ]], %[[WZ]]
// CHECK: %[[L:.*]] = tg.reduce_mean %{{.*}} [0] : tensor<8xf32> -> tensor<f32>
// CHECK: return %[[L]]
func.func @cross_entropy_smoothing_poly1_zloss(%x: tensor<8x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %l = tg.softmax_cross_entropy %x, %y label_smoothing = 0.1 poly1 = 1.0 z_loss = 1.0e-4 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// -(1 - p_t)^gamma log p_t
// CHECK-LABEL: func.func @focal
// CHECK-DAG: %[[GAMMA:.*]] = tg.constant dense<2.000000e+00> : tensor<f32>
// CHECK: %[[LPT:.*]] = tg.reduce_sum %{{.*}} [-1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK: %[[NLL:.*]] = tg.neg %[[LPT]] : tensor<8xf32>
// CHECK: %[[PT:.*]] = tg.exp %[[LPT]] : tensor<8xf32>
// CHECK: %[[MISS:.*]] = tg.sub %{{.*}}, %[[PT]] : tensor<f32>, tensor<8xf32> -> tensor<8xf32>
// CHECK: %[[W:.*]] = tg.pow %[[MISS]], %[[GAMMA]] : tensor<8xf32>, tensor<f32> -> tensor<8xf32>
// CHECK: %[[T:.*]] = tg.mul %[[W]], %[[NLL]] : tensor<8xf32>
// CHECK: tg.reduce_mean %[[T]] [0] : tensor<8xf32> -> tensor<f32>
// CHECK-NOT: tg.focal_loss
func.func @focal(%x: tensor<8x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %l = tg.focal_loss %x, %y : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// s(x) = x >= 0 ? x + 1 : 1 / (1 - min(x, 0)); log sum s - log s[label].
// CHECK-LABEL: func.func @stablemax
// CHECK-SAME: (%[[X:.*]]: tensor<8x97xf32>, %[[Y:.*]]: tensor<8xi32>)
// CHECK: %[[OH:.*]] = tg.one_hot %[[Y]] classes 97
// CHECK: %[[POS:.*]] = tg.add %[[X]], %[[ONE:.*]] : tensor<8x97xf32>, tensor<f32>
// CHECK: %[[MIN:.*]] = tg.minimum %[[X]], %[[ZERO:.*]] : tensor<8x97xf32>, tensor<f32>
// CHECK: %[[DEN:.*]] = tg.sub %[[ONE]], %[[MIN]]
// CHECK: %[[NEG:.*]] = tg.div %[[ONE]], %[[DEN]]
// CHECK: %[[GE:.*]] = tg.compare ge %[[X]], %[[ZERO]]
// CHECK: %[[S:.*]] = tg.select %[[GE]], %[[POS]], %[[NEG]]
// CHECK: %[[SUM:.*]] = tg.reduce_sum %[[S]] [-1] : tensor<8x97xf32> -> tensor<8xf32>
// CHECK: %[[LOGSUM:.*]] = tg.log %[[SUM]] : tensor<8xf32>
// CHECK: %[[LOGS:.*]] = tg.log %[[S]] : tensor<8x97xf32>
// CHECK: %[[PICK:.*]] = tg.mul %[[OH]], %[[LOGS]]
// CHECK: %[[LABEL:.*]] = tg.reduce_sum %[[PICK]] [-1]
// CHECK: %[[T:.*]] = tg.sub %[[LOGSUM]], %[[LABEL]] : tensor<8xf32>
// CHECK: tg.reduce_mean %[[T]] [0]
// CHECK-NOT: tg.stablemax_cross_entropy
func.func @stablemax(%x: tensor<8x97xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %l = tg.stablemax_cross_entropy %x, %y : tensor<8x97xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// alpha log p_t / sum_c log p_c + beta (-log_zero) (1 - p_t)
// CHECK-LABEL: func.func @nce_rce
// CHECK-DAG: %[[ALPHA:.*]] = tg.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[RCE:.*]] = tg.constant dense<8.000000e+00> : tensor<f32>
// CHECK: %[[LP:.*]] = tg.log_softmax
// CHECK: %[[LPT:.*]] = tg.reduce_sum %{{.*}} [-1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK: %[[ALL:.*]] = tg.reduce_sum %[[LP]] [-1] : tensor<8x10xf32> -> tensor<8xf32>
// CHECK: %[[NCE:.*]] = tg.div %[[LPT]], %[[ALL]] : tensor<8xf32>
// CHECK: %[[A:.*]] = tg.mul %[[NCE]], %[[ALPHA]]
// CHECK: %[[PT:.*]] = tg.exp %[[LPT]]
// CHECK: %[[MISS:.*]] = tg.sub %{{.*}}, %[[PT]]
// CHECK: %[[B:.*]] = tg.mul %[[MISS]], %[[RCE]]
// CHECK: %[[T:.*]] = tg.add %[[A]], %[[B]] : tensor<8xf32>
// CHECK: tg.reduce_mean %[[T]] [0]
func.func @nce_rce(%x: tensor<8x10xf32>, %y: tensor<8xi32>) -> tensor<f32> {
  %l = tg.nce_rce_loss %x, %y alpha = 0.5 beta = 2.0 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// (1 - t) x + (1 + (w - 1) t) (max(-x, 0) + log(1 + exp(-|x|)))
// CHECK-LABEL: func.func @bce_pos_weight
// CHECK-SAME: (%[[X:.*]]: tensor<64x5xf32>, %[[T:.*]]: tensor<64x5xf32>, %[[W:.*]]: tensor<5xf32>)
// CHECK: %[[NX:.*]] = tg.neg %[[X]]
// CHECK: %[[NEGPART:.*]] = tg.maximum %[[NX]], %{{.*}}
// CHECK: %[[SP:.*]] = tg.log
// CHECK: %[[SPN:.*]] = tg.add %[[NEGPART]], %[[SP]] : tensor<64x5xf32>
// CHECK: %[[WM1:.*]] = tg.sub %[[W]], %{{.*}} : tensor<5xf32>, tensor<f32> -> tensor<5xf32>
// CHECK: %[[WT:.*]] = tg.mul %[[WM1]], %[[T]] : tensor<5xf32>, tensor<64x5xf32> -> tensor<64x5xf32>
// CHECK: %[[LW:.*]] = tg.add %[[WT]], %{{.*}} : tensor<64x5xf32>, tensor<f32> -> tensor<64x5xf32>
// CHECK: %[[OMT:.*]] = tg.sub %{{.*}}, %[[T]] : tensor<f32>, tensor<64x5xf32> -> tensor<64x5xf32>
// CHECK: %[[NT:.*]] = tg.mul %[[OMT]], %[[X]]
// CHECK: %[[PT:.*]] = tg.mul %[[LW]], %[[SPN]]
// CHECK: %[[TERMS:.*]] = tg.add %[[NT]], %[[PT]]
// CHECK: tg.reduce_mean %[[TERMS]] [0, 1]
func.func @bce_pos_weight(%x: tensor<64x5xf32>, %t: tensor<64x5xf32>, %w: tensor<5xf32>) -> tensor<f32> {
  %l = tg.bce_with_logits %x, %t pos_weight %w : tensor<64x5xf32>, tensor<5xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// |d| < delta ? 0.5 d^2 : delta (|d| - 0.5 delta)
// CHECK-LABEL: func.func @huber
// CHECK-DAG: %[[HALF:.*]] = tg.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: %[[HALFDELTA:.*]] = tg.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[D:.*]] = tg.sub
// CHECK: %[[A:.*]] = tg.abs %[[D]]
// CHECK: %[[SQ:.*]] = tg.mul %[[A]], %[[A]]
// CHECK: %[[QUAD:.*]] = tg.mul %[[SQ]], %[[HALF]]
// CHECK: %[[SHIFT:.*]] = tg.sub %[[A]], %[[HALFDELTA]]
// CHECK: %[[LIN:.*]] = tg.mul %[[SHIFT]], %[[HALF]]
// CHECK: %[[IN:.*]] = tg.compare lt %[[A]], %[[HALF]]
// CHECK: %[[T:.*]] = tg.select %[[IN]], %[[QUAD]], %[[LIN]]
// CHECK: tg.reduce_sum %[[T]] [0, 1]
func.func @huber(%y: tensor<16x4xf32>, %t: tensor<16x4xf32>) -> tensor<f32> {
  %l = tg.huber_loss %y, %t reduction = sum delta = 0.5 : tensor<16x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @pseudo_huber
// CHECK-DAG: %[[C2:.*]] = tg.constant dense<2.500000e-01> : tensor<f64>
// CHECK-DAG: %[[C:.*]] = tg.constant dense<5.000000e-01> : tensor<f64>
// CHECK: %[[D:.*]] = tg.sub
// CHECK: %[[SQ:.*]] = tg.mul %[[D]], %[[D]]
// CHECK: %[[ARG:.*]] = tg.add %[[SQ]], %[[C2]]
// CHECK: %[[R:.*]] = tg.sqrt %[[ARG]]
// CHECK: %[[T:.*]] = tg.sub %[[R]], %[[C]]
// CHECK: tg.reduce_mean %[[T]] [0, 1]
func.func @pseudo_huber(%y: tensor<16x4xf64>, %t: tensor<16x4xf64>) -> tensor<f64> {
  %l = tg.pseudo_huber_loss %y, %t c = 0.5 : tensor<16x4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

// -----

// CHECK-LABEL: func.func @cauchy
// CHECK-DAG: %[[INV:.*]] = tg.constant dense<4.000000e+00> : tensor<f32>
// CHECK: %[[D:.*]] = tg.sub
// CHECK: %[[SQ:.*]] = tg.mul %[[D]], %[[D]]
// CHECK: %[[S:.*]] = tg.mul %[[SQ]], %[[INV]]
// CHECK: %[[ARG:.*]] = tg.add %[[S]], %{{.*}}
// CHECK: %[[T:.*]] = tg.log %[[ARG]]
// CHECK: tg.reduce_mean %[[T]] [0, 1]
func.func @cauchy(%y: tensor<16x4xf32>, %t: tensor<16x4xf32>) -> tensor<f32> {
  %l = tg.cauchy_loss %y, %t c = 0.5 : tensor<16x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Training: the batch's mean and biased variance over every dimension but
// the channels; the running variance blends in the unbiased one (n = 2*4*4
// = 32, so 0.1 * 32/31).
// CHECK-LABEL: func.func @batch_norm_training
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4x4xf32>, %[[G:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>)
// CHECK-DAG: %[[KEEP:.*]] = tg.constant dense<0.899999976> : tensor<f32>
// CHECK-DAG: %[[M:.*]] = tg.constant dense<1.000000e-01> : tensor<f32>
// CHECK-DAG: %[[MV:.*]] = tg.constant dense<0.103225805> : tensor<f32>
// CHECK: %[[MEAN:.*]] = tg.reduce_mean %[[X]] [0, 2, 3] keepdim : tensor<2x3x4x4xf32> -> tensor<1x3x1x1xf32>
// CHECK: %[[C:.*]] = tg.sub %[[X]], %[[MEAN]]
// CHECK: %[[SQ:.*]] = tg.mul %[[C]], %[[C]]
// CHECK: %[[VAR:.*]] = tg.reduce_mean %[[SQ]] [0, 2, 3] keepdim : tensor<2x3x4x4xf32> -> tensor<1x3x1x1xf32>
// CHECK: %[[VE:.*]] = tg.add %[[VAR]], %{{.*}}
// CHECK: %[[INV:.*]] = tg.rsqrt %[[VE]]
// CHECK: %[[N:.*]] = tg.mul %[[C]], %[[INV]]
// CHECK: %[[G3:.*]] = tg.reshape %[[G]] : tensor<3xf32> -> tensor<3x1x1xf32>
// CHECK: %[[S:.*]] = tg.mul %[[N]], %[[G3]]
// CHECK: %[[B3:.*]] = tg.reshape %[[B]] : tensor<3xf32> -> tensor<3x1x1xf32>
// CHECK: %[[Y:.*]] = tg.add %[[S]], %[[B3]] : tensor<2x3x4x4xf32>, tensor<3x1x1xf32> -> tensor<2x3x4x4xf32>
// CHECK: %[[RM1:.*]] = tg.mul %[[RM]], %[[KEEP]]
// CHECK: %[[MEANV:.*]] = tg.reshape %[[MEAN]] : tensor<1x3x1x1xf32> -> tensor<3xf32>
// CHECK: %[[RM2:.*]] = tg.mul %[[MEANV]], %[[M]]
// CHECK: %[[NRM:.*]] = tg.add %[[RM1]], %[[RM2]] : tensor<3xf32>
// CHECK: %[[RV1:.*]] = tg.mul %[[RV]], %[[KEEP]]
// CHECK: %[[VARV:.*]] = tg.reshape %[[VAR]] : tensor<1x3x1x1xf32> -> tensor<3xf32>
// CHECK: %[[RV2:.*]] = tg.mul %[[VARV]], %[[MV]]
// CHECK: %[[NRV:.*]] = tg.add %[[RV1]], %[[RV2]] : tensor<3xf32>
// CHECK: return %[[Y]], %[[NRM]], %[[NRV]]
func.func @batch_norm_training(%x: tensor<2x3x4x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>) -> (tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>) {
  %y, %m, %v = tg.batch_norm %x, %g, %b, %rm, %rv training : tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
  return %y, %m, %v : tensor<2x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

// Evaluation: the running statistics normalize and pass through.
// CHECK-LABEL: func.func @batch_norm_eval
// CHECK-SAME: (%[[X:.*]]: tensor<8x4xf32>, %[[G:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>, %[[RM:.*]]: tensor<4xf32>, %[[RV:.*]]: tensor<4xf32>)
// CHECK: %[[C:.*]] = tg.sub %[[X]], %[[RM]] : tensor<8x4xf32>, tensor<4xf32> -> tensor<8x4xf32>
// CHECK: %[[VE:.*]] = tg.add %[[RV]], %{{.*}} : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: %[[INV:.*]] = tg.rsqrt %[[VE]]
// CHECK: %[[N:.*]] = tg.mul %[[C]], %[[INV]]
// CHECK: %[[S:.*]] = tg.mul %[[N]], %[[G]]
// CHECK: %[[Y:.*]] = tg.add %[[S]], %[[B]]
// CHECK: return %[[Y]], %[[RM]], %[[RV]]
func.func @batch_norm_eval(%x: tensor<8x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %y, %m, %v = tg.batch_norm %x, %g, %b, %rm, %rv : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  return %y, %m, %v : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// LSQ: the scale's value with the gradient scale's derivative, a per-channel
// reshape, then clamp, round straight through, and rescale. 4 bits signed:
// [-8, 7]; the default gradient scale is 1/sqrt(64 * 7).
// CHECK-LABEL: func.func @fake_quant_per_channel
// CHECK-SAME: (%[[X:.*]]: tensor<32x64xf32>, %[[S:.*]]: tensor<32xf32>)
// CHECK-DAG: %[[G:.*]] = tg.constant dense<0.0472455584> : tensor<f32>
// CHECK-DAG: %[[LO:.*]] = tg.constant dense<-8.000000e+00> : tensor<f32>
// CHECK-DAG: %[[HI:.*]] = tg.constant dense<7.000000e+00> : tensor<f32>
// CHECK: %[[SG:.*]] = tg.mul %[[S]], %[[G]] : tensor<32xf32>, tensor<f32> -> tensor<32xf32>
// CHECK: %[[SV:.*]] = tg.straight_through %[[SG]], %[[S]] : tensor<32xf32>
// CHECK: %[[SC:.*]] = tg.reshape %[[SV]] : tensor<32xf32> -> tensor<32x1xf32>
// CHECK: %[[V:.*]] = tg.div %[[X]], %[[SC]] : tensor<32x64xf32>, tensor<32x1xf32> -> tensor<32x64xf32>
// CHECK: %[[A:.*]] = tg.maximum %[[V]], %[[LO]]
// CHECK: %[[C:.*]] = tg.minimum %[[A]], %[[HI]]
// CHECK: %[[R:.*]] = tg.round %[[C]] : tensor<32x64xf32>
// CHECK: %[[Q:.*]] = tg.straight_through %[[C]], %[[R]] : tensor<32x64xf32>
// CHECK: %[[Y:.*]] = tg.mul %[[Q]], %[[SC]] : tensor<32x64xf32>, tensor<32x1xf32> -> tensor<32x64xf32>
// CHECK: return %[[Y]]
func.func @fake_quant_per_channel(%x: tensor<32x64xf32>, %s: tensor<32xf32>) -> tensor<32x64xf32> {
  %y = tg.fake_quant %x, %s bits 4 axis 0 : tensor<32x64xf32>, tensor<32xf32>
  return %y : tensor<32x64xf32>
}

// -----

// An explicit gradient scale of 1 leaves the scale alone.
// CHECK-LABEL: func.func @fake_quant_unsigned
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[S:.*]]: tensor<f32>)
// CHECK-DAG: %[[HI:.*]] = tg.constant dense<2.550000e+02> : tensor<f32>
// CHECK-NOT: tg.straight_through %{{.*}}, %[[S]]
// CHECK: %[[V:.*]] = tg.div %[[X]], %[[S]]
// CHECK: tg.minimum %{{.*}}, %[[HI]]
// CHECK: tg.round
// CHECK: tg.mul %{{.*}}, %[[S]]
func.func @fake_quant_unsigned(%x: tensor<8x16xf32>, %s: tensor<f32>) -> tensor<8x16xf32> {
  %y = tg.fake_quant %x, %s bits 8 unsigned grad_scale 1.0 : tensor<8x16xf32>, tensor<f32>
  return %y : tensor<8x16xf32>
}

// -----

// A long causal attention is split into chunks of 256 queries: chunk c
// multiplies its queries only by the first 256 (c + 1) + (Tk - Tq) keys,
// those it can see, and the chunks' outputs are concatenated.
// CHECK-LABEL: func.func @attention_causal_chunked
// CHECK-SAME: (%[[Q:.*]]: tensor<2x512x8xf32>, %[[K:.*]]: tensor<2x640x8xf32>, %[[V:.*]]: tensor<2x640x4xf32>)
// CHECK: %[[Q0:.*]] = tg.slice %[[Q]] [0, 0, 0] to [2, 256, 8] : tensor<2x512x8xf32> -> tensor<2x256x8xf32>
// CHECK: %[[K0:.*]] = tg.slice %[[K]] [0, 0, 0] to [2, 384, 8] : tensor<2x640x8xf32> -> tensor<2x384x8xf32>
// CHECK: %[[V0:.*]] = tg.slice %[[V]] [0, 0, 0] to [2, 384, 4] : tensor<2x640x4xf32> -> tensor<2x384x4xf32>
// CHECK: tg.matmul %[[Q0]], %[[K0]] transpose_rhs : tensor<2x256x8xf32>, tensor<2x384x8xf32> -> tensor<2x256x384xf32>
// CHECK: %[[O0:.*]] = tg.matmul %{{.*}}, %[[V0]] : tensor<2x256x384xf32>, tensor<2x384x4xf32> -> tensor<2x256x4xf32>
// CHECK: %[[Q1:.*]] = tg.slice %[[Q]] [0, 256, 0] to [2, 512, 8] : tensor<2x512x8xf32> -> tensor<2x256x8xf32>
// CHECK: tg.matmul %[[Q1]], %[[K]] transpose_rhs : tensor<2x256x8xf32>, tensor<2x640x8xf32> -> tensor<2x256x640xf32>
// CHECK: %[[O1:.*]] = tg.matmul %{{.*}}, %[[V]] : tensor<2x256x640xf32>, tensor<2x640x4xf32> -> tensor<2x256x4xf32>
// CHECK: tg.concat %[[O0]], %[[O1]] axis 1 : tensor<2x256x4xf32>, tensor<2x256x4xf32> -> tensor<2x512x4xf32>
func.func @attention_causal_chunked(%q: tensor<2x512x8xf32>, %k: tensor<2x640x8xf32>, %v: tensor<2x640x4xf32>) -> tensor<2x512x4xf32> {
  %o = tg.attention %q, %k, %v causal : tensor<2x512x8xf32>, tensor<2x640x8xf32>, tensor<2x640x4xf32> -> tensor<2x512x4xf32>
  return %o : tensor<2x512x4xf32>
}

// -----

// A long causal tg.attention_grad in the forward's chunks of 256 queries:
// chunk c recomputes its weights against the 256 (c + 1) + (Tk - Tq) keys
// it sees; dq is the chunks' concatenation, dk and dv the sum of the
// chunks' contributions zero-padded to Tk.
// CHECK-LABEL: func.func @attention_grad_causal_chunked
// CHECK-SAME: (%[[Q:.*]]: tensor<2x512x8xf32>, %[[K:.*]]: tensor<2x640x8xf32>, %[[V:.*]]: tensor<2x640x4xf32>, %[[O:.*]]: tensor<2x512x4xf32>, %[[DO:.*]]: tensor<2x512x4xf32>)
// CHECK: %[[Q0:.*]] = tg.slice %[[Q]] [0, 0, 0] to [2, 256, 8]
// CHECK: %[[K0:.*]] = tg.slice %[[K]] [0, 0, 0] to [2, 384, 8]
// CHECK: tg.slice %[[V]] [0, 0, 0] to [2, 384, 4]
// CHECK: tg.slice %[[O]] [0, 0, 0] to [2, 256, 4]
// CHECK: tg.slice %[[DO]] [0, 0, 0] to [2, 256, 4]
// CHECK: tg.matmul %[[Q0]], %[[K0]] transpose_rhs : tensor<2x256x8xf32>, tensor<2x384x8xf32> -> tensor<2x256x384xf32>
// CHECK: %[[DV0:.*]] = tg.matmul %{{.*}}, %{{.*}} transpose_lhs : tensor<2x256x384xf32>, tensor<2x256x4xf32> -> tensor<2x384x4xf32>
// CHECK: %[[DQ0:.*]] = tg.matmul %{{.*}}, %[[K0]] : tensor<2x256x384xf32>, tensor<2x384x8xf32> -> tensor<2x256x8xf32>
// CHECK: %[[DK0:.*]] = tg.matmul %{{.*}}, %[[Q0]] transpose_lhs : tensor<2x256x384xf32>, tensor<2x256x8xf32> -> tensor<2x384x8xf32>
// CHECK: %[[DK0P:.*]] = tg.pad %[[DK0]] low [0, 0, 0] high [0, 256, 0] value 0.0{{[0-9e+]*}} : tensor<2x384x8xf32> -> tensor<2x640x8xf32>
// CHECK: %[[DV0P:.*]] = tg.pad %[[DV0]] low [0, 0, 0] high [0, 256, 0] value 0.0{{[0-9e+]*}} : tensor<2x384x4xf32> -> tensor<2x640x4xf32>
// CHECK: %[[Q1:.*]] = tg.slice %[[Q]] [0, 256, 0] to [2, 512, 8]
// CHECK: tg.matmul %[[Q1]], %[[K]] transpose_rhs : tensor<2x256x8xf32>, tensor<2x640x8xf32> -> tensor<2x256x640xf32>
// CHECK: %[[DV1:.*]] = tg.matmul %{{.*}}, %{{.*}} transpose_lhs : tensor<2x256x640xf32>, tensor<2x256x4xf32> -> tensor<2x640x4xf32>
// CHECK: %[[DQ1:.*]] = tg.matmul %{{.*}}, %[[K]] : tensor<2x256x640xf32>, tensor<2x640x8xf32> -> tensor<2x256x8xf32>
// CHECK: %[[DK1:.*]] = tg.matmul %{{.*}}, %[[Q1]] transpose_lhs : tensor<2x256x640xf32>, tensor<2x256x8xf32> -> tensor<2x640x8xf32>
// CHECK: %[[DK:.*]] = tg.add %[[DK0P]], %[[DK1]] : tensor<2x640x8xf32>
// CHECK: %[[DV:.*]] = tg.add %[[DV0P]], %[[DV1]] : tensor<2x640x4xf32>
// CHECK: %[[DQ:.*]] = tg.concat %[[DQ0]], %[[DQ1]] axis 1 : tensor<2x256x8xf32>, tensor<2x256x8xf32> -> tensor<2x512x8xf32>
// CHECK: return %[[DQ]], %[[DK]], %[[DV]]
func.func @attention_grad_causal_chunked(%q: tensor<2x512x8xf32>, %k: tensor<2x640x8xf32>, %v: tensor<2x640x4xf32>, %o: tensor<2x512x4xf32>, %do: tensor<2x512x4xf32>) -> (tensor<2x512x8xf32>, tensor<2x640x8xf32>, tensor<2x640x4xf32>) {
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<2x512x8xf32>, tensor<2x640x8xf32>, tensor<2x640x4xf32>, tensor<2x512x4xf32>, tensor<2x512x4xf32> -> tensor<2x512x8xf32>, tensor<2x640x8xf32>, tensor<2x640x4xf32>
  return %dq, %dk, %dv : tensor<2x512x8xf32>, tensor<2x640x8xf32>, tensor<2x640x4xf32>
}
