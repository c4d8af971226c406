// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention | FileCheck %s
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention --tg-decompose --tg-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tg-gpu-attention-to-runtime-call --canonicalize | FileCheck %s --check-prefix=CALL
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention --tg-decompose --tg-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tg-gpu-attention-to-runtime-call --convert-linalg-to-parallel-loops --tg-gpu-launch | FileCheck %s --check-prefix=LAUNCH
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention="f32=1" | FileCheck %s --check-prefix=F32
// RUN: tgc-opt %s --split-input-file --tg-gpu-fused-attention="f32=1" --tg-decompose --tg-lower-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --tg-gpu-attention-to-runtime-call --canonicalize | FileCheck %s --check-prefix=F32CALL

// tg-gpu-fused-attention: bf16 attentions the runtime's kernels take (D =
// 64, Tq and Tk multiples of 64, static shapes, Tk >= Tq when causal)
// become tg.fused_attention_forward on [B, H, T, D] (a rank-4 attention's
// operands as they are, others reshaped by tg.reshape, a view after
// bufferization), the scale the attention's or 1 / sqrt(D). After
// bufferization, tg-gpu-attention-to-runtime-call calls
// tgc_cuda_attention_forward_bf16 with the buffers as fully dynamic strided
// views, causal as an i64 and the scale as an f32; tg-gpu-launch leaves the
// call on the host, after the kernel that writes its operands. With the
// `f32` option, f32 attentions too (tgc_cuda_attention_*_f32).

// CHECK-LABEL: func.func @causal
// CHECK-SAME:      (%[[Q:.*]]: tensor<2x3x128x64xbf16>, %[[K:.*]]: tensor<2x3x128x64xbf16>, %[[V:.*]]: tensor<2x3x128x64xbf16>)
// CHECK-NOT:     tg.reshape
// CHECK-DAG:     %[[OUT:.*]] = tensor.empty() : tensor<2x3x128x64xbf16>
// CHECK-DAG:     %[[LSE:.*]] = tensor.empty() : tensor<2x3x128xf32>
// CHECK:         %[[F:.*]]:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]] : {{.*}}) outs(%[[OUT]], %[[LSE]] : tensor<2x3x128x64xbf16>, tensor<2x3x128xf32>)
// CHECK-NOT:     tg.reshape
// CHECK:         return %[[F]]#0
// CALL-LABEL: func.func @causal
// CALL-SAME:      (%[[Q:.*]]: memref<2x3x128x64xbf16>, %[[K:.*]]: memref<2x3x128x64xbf16>, %[[V:.*]]: memref<2x3x128x64xbf16>)
// CALL-DAG:     %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CALL-DAG:     %[[CAUSAL:.*]] = arith.constant 1 : i64
// CALL-DAG:     %[[OUT:.*]] = memref.alloc() {{.*}}: memref<2x3x128x64xbf16>
// CALL-DAG:     %[[LSE:.*]] = memref.alloc() {{.*}}: memref<2x3x128xf32>
// CALL-DAG:     %[[QV:.*]] = memref.cast %[[Q]] : memref<2x3x128x64xbf16> to memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>
// CALL-DAG:     %[[OV:.*]] = memref.cast %[[OUT]] : memref<2x3x128x64xbf16> to memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>
// CALL-DAG:     %[[LV:.*]] = memref.cast %[[LSE]] : memref<2x3x128xf32> to memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
// CALL:         call @tgc_cuda_attention_forward_bf16(%[[QV]], %{{.*}}, %{{.*}}, %[[OV]], %[[LV]], %[[CAUSAL]], %[[SCALE]])
// CALL-NOT:     memref.copy
// CALL:         return %[[OUT]]
// F32CALL-LABEL: func.func @causal
// F32CALL:         call @tgc_cuda_attention_forward_bf16(
// CALL-LABEL: func.func private @tgc_cuda_attention_forward_bf16(memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, f32) attributes {llvm.emit_c_interface, tg.operands_only}
func.func @causal(%q: tensor<2x3x128x64xbf16>, %k: tensor<2x3x128x64xbf16>, %v: tensor<2x3x128x64xbf16>) -> tensor<2x3x128x64xbf16> {
  %o = tg.attention %q, %k, %v causal : tensor<2x3x128x64xbf16>, tensor<2x3x128x64xbf16>, tensor<2x3x128x64xbf16> -> tensor<2x3x128x64xbf16>
  return %o : tensor<2x3x128x64xbf16>
}

// -----

// [BH, T, D] as [1, BH, T, D]; more keys than queries; the attention's
// scale. The keys are computed (an elementwise op, a kernel): the call
// follows it.
// CHECK-LABEL: func.func @rank3_scale
// CHECK-DAG:     %[[Q4:.*]] = tg.reshape %arg0 : tensor<4x64x64xbf16> -> tensor<1x4x64x64xbf16>
// CHECK-DAG:     %[[V4:.*]] = tg.reshape %arg2 : tensor<4x192x64xbf16> -> tensor<1x4x192x64xbf16>
// CHECK:         %[[F:.*]]:2 = tg.fused_attention_forward scale 3.000000e-01 ins(%[[Q4]], %{{.*}}, %[[V4]] : tensor<1x4x64x64xbf16>, tensor<1x4x192x64xbf16>, tensor<1x4x192x64xbf16>)
// CHECK:         tg.reshape %[[F]]#0 : tensor<1x4x64x64xbf16> -> tensor<4x64x64xbf16>
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

// What the kernels do not take stays for tg-decompose: f32 (without the
// `f32` option; @f32 below), a head size other than 64, lengths that are
// not multiples of 64, causal with fewer keys than queries.
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
// the backward kernel reads the forward's operands, output and lse.
// CHECK-LABEL: func.func @backward
// CHECK-SAME:      (%[[Q:.*]]: tensor<2x2x64x64xbf16>, %[[K:.*]]: tensor<2x2x128x64xbf16>, %[[V:.*]]: tensor<2x2x128x64xbf16>, %[[DO:.*]]: tensor<2x2x64x64xbf16>)
// CHECK:         %[[F:.*]]:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]] :
// CHECK-DAG:     %[[DQ0:.*]] = tensor.empty() : tensor<2x2x64x64xbf16>
// CHECK-DAG:     %[[DK0:.*]] = tensor.empty() : tensor<2x2x128x64xbf16>
// CHECK-DAG:     %[[DV0:.*]] = tensor.empty() : tensor<2x2x128x64xbf16>
// CHECK-DAG:     %[[DELTA:.*]] = tensor.empty() : tensor<2x2x64xf32>
// CHECK:         %[[B:.*]]:4 = tg.fused_attention_backward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]], %[[F]]#0, %[[DO]], %[[F]]#1 : {{.*}}) outs(%[[DQ0]], %[[DK0]], %[[DV0]], %[[DELTA]] : {{.*}})
// CHECK-NOT:     tg.attention_grad
// CHECK-NOT:     tg.reshape
// CHECK:         return %[[F]]#0, %[[B]]#0, %[[B]]#1, %[[B]]#2
// CALL-LABEL: func.func @backward
// CALL:         call @tgc_cuda_attention_forward_bf16
// CALL:         call @tgc_cuda_attention_backward_bf16(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xbf16, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, f32) -> ()
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

// -----

// f32 attentions: only with the `f32` option, into f32 outputs and
// gradients (the runtime's f32 kernels); without it they decompose.
// CHECK-LABEL: func.func @f32
// CHECK-NOT:     tg.fused_attention
// CHECK:         tg.attention
// CHECK:         tg.attention_grad
// CHECK-NOT:     tg.fused_attention
// F32-LABEL: func.func @f32
// F32-SAME:      (%[[Q:.*]]: tensor<2x3x64x64xf32>, %[[K:.*]]: tensor<2x3x128x64xf32>, %[[V:.*]]: tensor<2x3x128x64xf32>, %[[DO:.*]]: tensor<2x3x64x64xf32>)
// F32-DAG:       %[[OUT:.*]] = tensor.empty() : tensor<2x3x64x64xf32>
// F32-DAG:       %[[LSE:.*]] = tensor.empty() : tensor<2x3x64xf32>
// F32:           %[[F:.*]]:2 = tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]] : tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>) outs(%[[OUT]], %[[LSE]] : tensor<2x3x64x64xf32>, tensor<2x3x64xf32>)
// F32-DAG:       %[[DQ0:.*]] = tensor.empty() : tensor<2x3x64x64xf32>
// F32-DAG:       %[[DK0:.*]] = tensor.empty() : tensor<2x3x128x64xf32>
// F32-DAG:       %[[DV0:.*]] = tensor.empty() : tensor<2x3x128x64xf32>
// F32-DAG:       %[[DELTA:.*]] = tensor.empty() : tensor<2x3x64xf32>
// F32:           %[[B:.*]]:4 = tg.fused_attention_backward causal scale 1.250000e-01 ins(%[[Q]], %[[K]], %[[V]], %[[F]]#0, %[[DO]], %[[F]]#1 : {{.*}}) outs(%[[DQ0]], %[[DK0]], %[[DV0]], %[[DELTA]] : tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x64xf32>)
// F32-NOT:       tg.attention
// F32:           return %[[F]]#0, %[[B]]#0, %[[B]]#1, %[[B]]#2
// F32CALL-LABEL: func.func @f32
// F32CALL:         call @tgc_cuda_attention_forward_f32({{.*}}) : (memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, f32) -> ()
// F32CALL:         call @tgc_cuda_attention_backward_f32({{.*}}) : (memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?x?xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64, f32) -> ()
// F32CALL-NOT:     memref.copy
// F32CALL:         return
// F32CALL-DAG:   func.func private @tgc_cuda_attention_forward_f32({{.*}}) attributes {llvm.emit_c_interface, tg.operands_only}
// F32CALL-DAG:   func.func private @tgc_cuda_attention_backward_f32({{.*}}) attributes {llvm.emit_c_interface, tg.operands_only}
func.func @f32(%q: tensor<2x3x64x64xf32>, %k: tensor<2x3x128x64xf32>, %v: tensor<2x3x128x64xf32>, %do: tensor<2x3x64x64xf32>) -> (tensor<2x3x64x64xf32>, tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>) {
  %o = tg.attention %q, %k, %v causal : tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32> -> tensor<2x3x64x64xf32>
  %dq, %dk, %dv = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x64x64xf32>, tensor<2x3x64x64xf32> -> tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>
  return %o, %dq, %dk, %dv : tensor<2x3x64x64xf32>, tensor<2x3x64x64xf32>, tensor<2x3x128x64xf32>, tensor<2x3x128x64xf32>
}
