// RUN: tgc-opt %s | tgc-opt | FileCheck %s
// RUN: tgc-opt %s --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF
// RUN: tgc-opt %s --canonicalize | FileCheck %s --check-prefix=DCE
// RUN: tgc-opt %s --inline | FileCheck %s --check-prefix=INLINE

// Kernel ops round-trip on tensors and on buffers, and bufferize in
// destination-passing style: each output in place of its result, inputs
// read, the op on buffers without results, no copies (the outputs are
// overwritten whole: not read).

// CHECK-LABEL: func.func @forward
// CHECK:         %{{.*}}:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%arg0, %arg1, %arg2 : tensor<1x4x64x64xbf16>, tensor<1x4x128x64xbf16>, tensor<1x4x128x64xbf16>) outs(%{{.*}}, %{{.*}} : tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>) -> tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>
// BUF-LABEL: func.func @forward
// BUF-SAME:      (%[[Q:.*]]: memref<1x4x64x64xbf16, strided<[?, ?, ?, ?], offset: ?>>, %[[K:.*]]: memref<1x4x128x64xbf16, strided<[?, ?, ?, ?], offset: ?>>, %[[V:.*]]: memref<1x4x128x64xbf16, strided<[?, ?, ?, ?], offset: ?>>)
// BUF-DAG:       %[[OUT:.*]] = memref.alloc() {{.*}}: memref<1x4x64x64xbf16>
// BUF-DAG:       %[[LSE:.*]] = memref.alloc() {{.*}}: memref<1x4x64xf32>
// BUF-NOT:       memref.copy
// BUF:           tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs(%[[OUT]], %[[LSE]] : memref<1x4x64x64xbf16>, memref<1x4x64xf32>){{$}}
// BUF-NOT:       memref.copy
// BUF:           return %[[OUT]], %[[LSE]]
func.func @forward(%q: tensor<1x4x64x64xbf16>, %k: tensor<1x4x128x64xbf16>, %v: tensor<1x4x128x64xbf16>) -> (tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>) {
  %o0 = tensor.empty() : tensor<1x4x64x64xbf16>
  %l0 = tensor.empty() : tensor<1x4x64xf32>
  %o, %lse = tg.fused_attention_forward causal scale 0.125 ins(%q, %k, %v : tensor<1x4x64x64xbf16>, tensor<1x4x128x64xbf16>, tensor<1x4x128x64xbf16>) outs(%o0, %l0 : tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>) -> tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>
  return %o, %lse : tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>
}

// CHECK-LABEL: func.func @backward
// CHECK:         %{{.*}}:4 = tg.fused_attention_backward scale 5.000000e-01 ins(
// One empty tensor for three outputs: three buffers, none copied.
// BUF-LABEL: func.func @backward
// BUF-DAG:       %[[DQ:.*]] = memref.alloc() {{.*}}: memref<1x2x64x32xbf16>
// BUF-DAG:       %[[DK:.*]] = memref.alloc() {{.*}}: memref<1x2x64x32xbf16>
// BUF-DAG:       %[[DV:.*]] = memref.alloc() {{.*}}: memref<1x2x64x32xbf16>
// BUF-DAG:       %[[DELTA:.*]] = memref.alloc() {{.*}}: memref<1x2x64xf32>
// BUF-NOT:       memref.copy
// BUF:           tg.fused_attention_backward scale 5.000000e-01 ins({{.*}}) outs(%[[DQ]], %[[DK]], %[[DV]], %[[DELTA]] : {{.*}}){{$}}
// BUF-NOT:       memref.copy
// BUF:           return %[[DQ]], %[[DK]], %[[DV]]
func.func @backward(%q: tensor<1x2x64x32xbf16>, %o: tensor<1x2x64x32xbf16>, %do: tensor<1x2x64x32xbf16>, %lse: tensor<1x2x64xf32>) -> (tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>) {
  %e = tensor.empty() : tensor<1x2x64x32xbf16>
  %d = tensor.empty() : tensor<1x2x64xf32>
  %dq, %dk, %dv, %delta = tg.fused_attention_backward scale 0.5 ins(%q, %q, %q, %o, %do, %lse : tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64xf32>) outs(%e, %e, %e, %d : tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64xf32>) -> tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64xf32>
  return %dq, %dk, %dv : tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>
}

// f32 attentions (the runtime's f32 kernels): every [B, H, T, D] operand
// f32, round trip and bufferization as for bf16.
// CHECK-LABEL: func.func @f32
// CHECK:         %{{.*}}:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%arg0, %arg1, %arg1 : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x2x64x64xf32>, tensor<2x2x64xf32>) -> tensor<2x2x64x64xf32>, tensor<2x2x64xf32>
// CHECK:         %{{.*}}:4 = tg.fused_attention_backward causal scale 1.250000e-01 ins(%arg0, %arg1, %arg1, %{{.*}}#0, %arg2, %{{.*}}#1 : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64xf32>) outs({{.*}} : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64xf32>) -> tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64xf32>
// BUF-LABEL: func.func @f32
// BUF-DAG:       %[[OUT:.*]] = memref.alloc() {{.*}}: memref<2x2x64x64xf32>
// BUF-DAG:       %[[LSE:.*]] = memref.alloc() {{.*}}: memref<2x2x64xf32>
// BUF-NOT:       memref.copy
// BUF:           tg.fused_attention_forward causal scale 1.250000e-01 ins({{.*}}) outs(%[[OUT]], %[[LSE]] : memref<2x2x64x64xf32>, memref<2x2x64xf32>){{$}}
// BUF-DAG:       %[[DQ:.*]] = memref.alloc() {{.*}}: memref<2x2x64x64xf32>
// BUF-DAG:       %[[DK:.*]] = memref.alloc() {{.*}}: memref<2x2x128x64xf32>
// BUF-DAG:       %[[DV:.*]] = memref.alloc() {{.*}}: memref<2x2x128x64xf32>
// BUF-NOT:       memref.copy
// BUF:           tg.fused_attention_backward causal scale 1.250000e-01 ins({{.*}}, %[[OUT]], %{{.*}}, %[[LSE]] : {{.*}}) outs(%[[DQ]], %[[DK]], %[[DV]], %{{.*}} : memref<2x2x64x64xf32>, memref<2x2x128x64xf32>, memref<2x2x128x64xf32>, memref<2x2x64xf32>){{$}}
// BUF-NOT:       memref.copy
// BUF:           return %[[OUT]], %[[DQ]], %[[DK]], %[[DV]]
func.func @f32(%q: tensor<2x2x64x64xf32>, %k: tensor<2x2x128x64xf32>, %do: tensor<2x2x64x64xf32>) -> (tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>) {
  %o0 = tensor.empty() : tensor<2x2x64x64xf32>
  %l0 = tensor.empty() : tensor<2x2x64xf32>
  %o, %lse = tg.fused_attention_forward causal scale 0.125 ins(%q, %k, %k : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>) outs(%o0, %l0 : tensor<2x2x64x64xf32>, tensor<2x2x64xf32>) -> tensor<2x2x64x64xf32>, tensor<2x2x64xf32>
  %eq = tensor.empty() : tensor<2x2x64x64xf32>
  %ek = tensor.empty() : tensor<2x2x128x64xf32>
  %d = tensor.empty() : tensor<2x2x64xf32>
  %dq, %dk, %dv, %delta = tg.fused_attention_backward causal scale 0.125 ins(%q, %k, %k, %o, %do, %lse : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x64xf32>) outs(%eq, %ek, %ek, %d : tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64xf32>) -> tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x64xf32>
  return %o, %dq, %dk, %dv : tensor<2x2x64x64xf32>, tensor<2x2x64x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x64xf32>
}

// Buffers of any strided layout (a view of a head's slice); dynamic sizes.
// CHECK-LABEL: func.func @on_buffers
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%arg0, %arg1, %arg1 : memref<1x?x64x64xbf16, strided<[?, 8192, 128, 1], offset: ?>>, memref<1x?x?x64xbf16>, memref<1x?x?x64xbf16>) outs(%arg2, %arg3 : memref<1x?x64x64xbf16>, memref<1x?x64xf32>){{$}}
func.func @on_buffers(%q: memref<1x?x64x64xbf16, strided<[?, 8192, 128, 1], offset: ?>>, %k: memref<1x?x?x64xbf16>, %o: memref<1x?x64x64xbf16>, %lse: memref<1x?x64xf32>) {
  tg.fused_attention_forward scale 0.125 ins(%q, %k, %k : memref<1x?x64x64xbf16, strided<[?, 8192, 128, 1], offset: ?>>, memref<1x?x?x64xbf16>, memref<1x?x?x64xbf16>) outs(%o, %lse : memref<1x?x64x64xbf16>, memref<1x?x64xf32>)
  return
}

// Unused on tensors: no effects, so it goes; on buffers it stays.
// DCE-LABEL: func.func @on_buffers
// DCE:         tg.fused_attention_forward
// DCE-LABEL: func.func @unused
// DCE-NOT:     tg.fused_attention_forward
func.func @unused(%q: tensor<1x1x64x64xbf16>) {
  %o0 = tensor.empty() : tensor<1x1x64x64xbf16>
  %l0 = tensor.empty() : tensor<1x1x64xf32>
  %o, %lse = tg.fused_attention_forward scale 0.125 ins(%q, %q, %q : tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>, tensor<1x1x64x64xbf16>) outs(%o0, %l0 : tensor<1x1x64x64xbf16>, tensor<1x1x64xf32>) -> tensor<1x1x64x64xbf16>, tensor<1x1x64xf32>
  return
}

// Kernel ops inline (the CUDA pipeline inlines after tg-lower-to-linalg,
// where they are the only tg ops left).
// INLINE-LABEL: func.func @caller
// INLINE-NOT:     call @forward
// INLINE:         tg.fused_attention_forward causal
// INLINE-NOT:     call @forward
// INLINE:         return
func.func @caller(%q: tensor<1x4x64x64xbf16>, %k: tensor<1x4x128x64xbf16>) -> tensor<1x4x64x64xbf16> {
  %o, %lse = func.call @forward(%q, %k, %k) : (tensor<1x4x64x64xbf16>, tensor<1x4x128x64xbf16>, tensor<1x4x128x64xbf16>) -> (tensor<1x4x64x64xbf16>, tensor<1x4x64xf32>)
  return %o : tensor<1x4x64x64xbf16>
}
