// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention | FileCheck %s
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention --tg-decompose --tg-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tg-gpu-attention-to-runtime-call --canonicalize | FileCheck %s --check-prefix=CALL
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention --tg-decompose --tg-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tg-gpu-attention-to-runtime-call --convert-linalg-to-parallel-loops --tg-gpu-launch | FileCheck %s --check-prefix=LAUNCH

// tg-gpu-fused-attention: bf16 attentions the runtime's kernels take (D =
// 64, Tq and Tk multiples of 64, static shapes, Tk >= Tq when causal)
// become tg.fused_attention_forward on [BH, T, D], the batch and head
// dimensions collapsed by tg.reshape (a view after bufferization), the
// scale the attention's or 1 / sqrt(D). After bufferization,
// tg-gpu-attention-to-runtime-call calls tgc_cuda_attention_forward_bf16
// with the buffers as fully dynamic strided views, causal as an i64 and
// the scale as an f32; tg-gpu-launch leaves the call on the host, after the
// kernel that writes its operands.

// CHECK-LABEL: func.func @causal
// CHECK-SAME:      (%[[Q:.*]]: tensor<2x3x128x64xbf16>, %[[K:.*]]: tensor<2x3x128x64xbf16>, %[[V:.*]]: tensor<2x3x128x64xbf16>)
// CHECK-DAG:     %[[Q3:.*]] = tg.reshape %[[Q]] : tensor<2x3x128x64xbf16> -> tensor<6x128x64xbf16>
// CHECK-DAG:     %[[K3:.*]] = tg.reshape %[[K]] : tensor<2x3x128x64xbf16> -> tensor<6x128x64xbf16>
// CHECK-DAG:     %[[V3:.*]] = tg.reshape %[[V]] : tensor<2x3x128x64xbf16> -> tensor<6x128x64xbf16>
// CHECK-DAG:     %[[OUT:.*]] = tensor.empty() : tensor<6x128x64xbf16>
// CHECK-DAG:     %[[LSE:.*]] = tensor.empty() : tensor<6x128xf32>
// CHECK:         %[[F:.*]]:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q3]], %[[K3]], %[[V3]] : {{.*}}) outs(%[[OUT]], %[[LSE]] : tensor<6x128x64xbf16>, tensor<6x128xf32>)
// CHECK:         %[[R:.*]] = tg.reshape %[[F]]#0 : tensor<6x128x64xbf16> -> tensor<2x3x128x64xbf16>
// CHECK:         return %[[R]]
// CALL-LABEL: func.func @causal
// CALL-SAME:      (%[[Q:.*]]: memref<2x3x128x64xbf16>, %[[K:.*]]: memref<2x3x128x64xbf16>, %[[V:.*]]: memref<2x3x128x64xbf16>)
// CALL-DAG:     %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CALL-DAG:     %[[CAUSAL:.*]] = arith.constant 1 : i64
// CALL-DAG:     %[[Q3:.*]] = memref.collapse_shape %[[Q]] {{\[}}[0, 1], [2], [3]] : memref<2x3x128x64xbf16> into memref<6x128x64xbf16>
// CALL-DAG:     %[[OUT:.*]] = memref.alloc() {{.*}}: memref<6x128x64xbf16>
// CALL-DAG:     %[[LSE:.*]] = memref.alloc() {{.*}}: memref<6x128xf32>
// CALL-DAG:     %[[QV:.*]] = memref.cast %[[Q3]] : memref<6x128x64xbf16> to memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>
// CALL-DAG:     %[[OV:.*]] = memref.cast %[[OUT]] : memref<6x128x64xbf16> to memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>
// CALL-DAG:     %[[LV:.*]] = memref.cast %[[LSE]] : memref<6x128xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CALL:         call @tgc_cuda_attention_forward_bf16(%[[QV]], %{{.*}}, %{{.*}}, %[[OV]], %[[LV]], %[[CAUSAL]], %[[SCALE]])
// CALL-NOT:     memref.copy
// CALL:         %[[R:.*]] = memref.expand_shape %[[OUT]]
// CALL:         return %[[R]]
// CALL-LABEL: func.func private @tgc_cuda_attention_forward_bf16(memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, f32) attributes {llvm.emit_c_interface, tg.operands_only}
func.func @causal(%q: tensor<2x3x128x64xbf16>, %k: tensor<2x3x128x64xbf16>, %v: tensor<2x3x128x64xbf16>) -> tensor<2x3x128x64xbf16> {
  %o = tg.attention %q, %k, %v causal : tensor<2x3x128x64xbf16>, tensor<2x3x128x64xbf16>, tensor<2x3x128x64xbf16> -> tensor<2x3x128x64xbf16>
  return %o : tensor<2x3x128x64xbf16>
}

// -----

// Already [BH, T, D]; more keys than queries; the attention's scale. The
// keys are computed (an elementwise op, a kernel): the call follows it.
// CHECK-LABEL: func.func @rank3_scale
// CHECK-NOT:     tg.reshape
// CHECK:         tg.fused_attention_forward scale 3.000000e-01 ins(%arg0, %{{.*}}, %arg2 : tensor<4x64x64xbf16>, tensor<4x192x64xbf16>, tensor<4x192x64xbf16>)
// CHECK-NOT:     tg.reshape
// CALL-LABEL: func.func @rank3_scale
// CALL-DAG:     %[[SCALE:.*]] = arith.constant 3.000000e-01 : f32
// CALL-DAG:     %[[CAUSAL:.*]] = arith.constant 0 : i64
// CALL:         call @tgc_cuda_attention_forward_bf16({{.*}}, %[[CAUSAL]], %[[SCALE]])
// LAUNCH-LABEL: func.func @rank3_scale
// LAUNCH:         gpu.launch
// LAUNCH:         gpu.terminator
// LAUNCH-NOT:     gpu.launch
// LAUNCH:         call @tgc_cuda_attention_forward_bf16
// LAUNCH-NOT:     gpu.launch
// LAUNCH:         return
func.func @rank3_scale(%q: tensor<4x64x64xbf16>, %k: tensor<4x192x64xbf16>, %v: tensor<4x192x64xbf16>) -> tensor<4x64x64xbf16> {
  %k2 = tg.neg %k : tensor<4x192x64xbf16>
  %o = tg.attention %q, %k2, %v scale 0.3 : tensor<4x64x64xbf16>, tensor<4x192x64xbf16>, tensor<4x192x64xbf16> -> tensor<4x64x64xbf16>
  return %o : tensor<4x64x64xbf16>
}

// -----

// What the kernels do not take stays for tg-decompose: f32, a head size
// other than 64, lengths that are not multiples of 64, causal with fewer
// keys than queries.
// CHECK-LABEL: func.func @ineligible
// CHECK-NOT:     tg.fused_attention_forward
// CHECK-COUNT-4: tg.attention
// CHECK-NOT:     tg.fused_attention_forward
func.func @ineligible(%f: tensor<2x64x64xf32>, %d: tensor<2x64x32xbf16>, %t: tensor<2x96x64xbf16>, %q: tensor<2x128x64xbf16>, %k: tensor<2x64x64xbf16>) -> (tensor<2x64x64xf32>, tensor<2x64x32xbf16>, tensor<2x96x64xbf16>, tensor<2x128x64xbf16>) {
  %0 = tg.attention %f, %f, %f : tensor<2x64x64xf32>, tensor<2x64x64xf32>, tensor<2x64x64xf32> -> tensor<2x64x64xf32>
  %1 = tg.attention %d, %d, %d : tensor<2x64x32xbf16>, tensor<2x64x32xbf16>, tensor<2x64x32xbf16> -> tensor<2x64x32xbf16>
  %2 = tg.attention %t, %t, %t : tensor<2x96x64xbf16>, tensor<2x96x64xbf16>, tensor<2x96x64xbf16> -> tensor<2x96x64xbf16>
  %3 = tg.attention %q, %k, %k causal : tensor<2x128x64xbf16>, tensor<2x64x64xbf16>, tensor<2x64x64xbf16> -> tensor<2x128x64xbf16>
  return %0, %1, %2, %3 : tensor<2x64x64xf32>, tensor<2x64x32xbf16>, tensor<2x96x64xbf16>, tensor<2x128x64xbf16>
}

// -----

// A gradient (tg-autodiff's rule with keep-attention) of a fused forward:
// the backward kernel reads the forward's collapsed operands, output and
// lse; its gradients are reshaped back.
// CHECK-LABEL: func.func @backward
// CHECK-SAME:      (%[[Q:.*]]: tensor<2x2x64x64xbf16>, %[[K:.*]]: tensor<2x2x128x64xbf16>, %[[V:.*]]: tensor<2x2x128x64xbf16>, %[[DO:.*]]: tensor<2x2x64x64xbf16>)
// CHECK-DAG:     %[[Q3:.*]] = tg.reshape %[[Q]] : tensor<2x2x64x64xbf16> -> tensor<4x64x64xbf16>
// CHECK-DAG:     %[[K3:.*]] = tg.reshape %[[K]] : tensor<2x2x128x64xbf16> -> tensor<4x128x64xbf16>
// CHECK-DAG:     %[[V3:.*]] = tg.reshape %[[V]] : tensor<2x2x128x64xbf16> -> tensor<4x128x64xbf16>
// CHECK:         %[[F:.*]]:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q3]], %[[K3]], %[[V3]] :
// CHECK:         %[[O:.*]] = tg.reshape %[[F]]#0 : tensor<4x64x64xbf16> -> tensor<2x2x64x64xbf16>
// CHECK-DAG:     %[[DO3:.*]] = tg.reshape %[[DO]] : tensor<2x2x64x64xbf16> -> tensor<4x64x64xbf16>
// CHECK-DAG:     %[[DQ0:.*]] = tensor.empty() : tensor<4x64x64xbf16>
// CHECK-DAG:     %[[DK0:.*]] = tensor.empty() : tensor<4x128x64xbf16>
// CHECK-DAG:     %[[DV0:.*]] = tensor.empty() : tensor<4x128x64xbf16>
// CHECK-DAG:     %[[DELTA:.*]] = tensor.empty() : tensor<4x64xf32>
// CHECK:         %[[B:.*]]:4 = tg.fused_attention_backward causal scale 1.250000e-01 ins(%[[Q3]], %[[K3]], %[[V3]], %[[F]]#0, %[[DO3]], %[[F]]#1 : {{.*}}) outs(%[[DQ0]], %[[DK0]], %[[DV0]], %[[DELTA]] : {{.*}})
// CHECK-DAG:     %[[DQ:.*]] = tg.reshape %[[B]]#0 : tensor<4x64x64xbf16> -> tensor<2x2x64x64xbf16>
// CHECK-DAG:     %[[DK:.*]] = tg.reshape %[[B]]#1 : tensor<4x128x64xbf16> -> tensor<2x2x128x64xbf16>
// CHECK-DAG:     %[[DV:.*]] = tg.reshape %[[B]]#2 : tensor<4x128x64xbf16> -> tensor<2x2x128x64xbf16>
// CHECK-NOT:     tg.attention_grad
// CHECK:         return %[[O]], %[[DQ]], %[[DK]], %[[DV]]
// CALL-LABEL: func.func @backward
// CALL:         call @tgc_cuda_attention_forward_bf16
// CALL:         call @tgc_cuda_attention_backward_bf16(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i64, f32) -> ()
// CALL-NOT:     memref.copy
// CALL:         return
func.func @backward(%q: tensor<2x2x64x64xbf16>, %k: tensor<2x2x128x64xbf16>, %v: tensor<2x2x128x64xbf16>, %do: tensor<2x2x64x64xbf16>) -> (tensor<2x2x64x64xbf16>, tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>) {
  %o = tg.attention %q, %k, %v causal : tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16> -> tensor<2x2x64x64xbf16>
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x64x64xbf16>, tensor<2x2x64x64xbf16> -> tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>
  return %o, %dq, %dk, %dv : tensor<2x2x64x64xbf16>, tensor<2x2x64x64xbf16>, tensor<2x2x128x64xbf16>, tensor<2x2x128x64xbf16>
}

// -----

// Gradients the backward kernel cannot take decompose: without a fused
// forward's statistics (an output that is an argument), or of another
// attention than the forward's (another scale, not causal).
// CHECK-LABEL: func.func @gradients_left
// CHECK-COUNT-1: tg.fused_attention_forward
// CHECK-NOT:     tg.fused_attention_backward
// CHECK-COUNT-3: tg.attention_grad
// CHECK-NOT:     tg.fused_attention_backward
// CALL-LABEL: func.func @gradients_left
// CALL-COUNT-1: call @tgc_cuda_attention_forward_bf16
// CALL-NOT:     call @tgc_cuda_attention_backward_bf16
func.func @gradients_left(%q: tensor<4x64x64xbf16>, %o: tensor<4x64x64xbf16>, %do: tensor<4x64x64xbf16>) -> (tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>) {
  %f = tg.attention %q, %q, %q causal : tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16> -> tensor<4x64x64xbf16>
  %a:3 = tg.attention_grad %q, %q, %q, %o, %do causal : tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16> -> tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>
  %b:3 = tg.attention_grad %q, %q, %q, %f, %do causal scale 0.5 : tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16> -> tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>
  %c:3 = tg.attention_grad %q, %q, %q, %f, %do : tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16> -> tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>
  return %a#0, %b#1, %c#2 : tensor<4x64x64xbf16>, tensor<4x64x64xbf16>, tensor<4x64x64xbf16>
}
