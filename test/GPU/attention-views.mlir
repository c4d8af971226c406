// RUN: tgc-opt %s --split-input-file --tg-gpu-attention-views | FileCheck %s
// RUN: tgc-opt %s --split-input-file --tg-gpu-attention-views | FileCheck %s --check-prefix=COPIES

// tg-gpu-attention-views: the heads' split before a fused attention and
// their merge after it (permuting copies) become views with permuted
// strides; what it cannot prove keeps its copy.

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// The forward reads q, k and v from the [B, T, H, D] activations and
// writes its output through a view of a fresh [B, T, H, D] buffer, which
// the merge's reader reads; the copies, their buffers and an unread view go.
// COPIES-LABEL: func.func @forward
// COPIES-NOT:     linalg.yield %in
// COPIES-NOT:     memref<2x3x128x64xbf16>
// CHECK-LABEL: func.func @forward
// CHECK-SAME:      (%[[S:.*]]: memref<2x128x3x64xbf16>, %[[SINK:.*]]: memref<2x128x3x64xbf16>)
// CHECK-NOT:     linalg.generic
// CHECK-DAG:     %[[Q:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [2, 3, 128, 64], strides: [24576, 64, 192, 1]
// CHECK-DAG:     %[[FRESH:.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x128x3x64xbf16>
// CHECK-DAG:     %[[OUT:.*]] = memref.reinterpret_cast %[[FRESH]] to offset: [0], sizes: [2, 3, 128, 64], strides: [24576, 64, 192, 1]
// CHECK:         tg.fused_attention_forward causal scale 1.250000e-01 ins(%[[Q]], %[[Q]], %[[Q]] : {{.*}}) outs(%[[OUT]], %{{.*}} :
// CHECK:         linalg.generic {{.*}} ins(%[[FRESH]] : memref<2x128x3x64xbf16>) outs(%[[SINK]] : memref<2x128x3x64xbf16>)
// CHECK:         memref.dealloc %[[FRESH]]
// CHECK-NEXT:    return
func.func @forward(%s: memref<2x128x3x64xbf16>, %sink: memref<2x128x3x64xbf16>) {
  %x = memref.alloc() : memref<2x3x128x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : memref<2x128x3x64xbf16>) outs(%x : memref<2x3x128x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %unread = memref.collapse_shape %x [[0, 1], [2], [3]] : memref<2x3x128x64xbf16> into memref<6x128x64xbf16>
  %y = memref.alloc() : memref<2x3x128x64xbf16>
  %lse = memref.alloc() : memref<2x3x128xf32>
  tg.fused_attention_forward causal scale 0.125 ins(%x, %x, %x : memref<2x3x128x64xbf16>, memref<2x3x128x64xbf16>, memref<2x3x128x64xbf16>) outs(%y, %lse : memref<2x3x128x64xbf16>, memref<2x3x128xf32>)
  %d = memref.alloc() {alignment = 64 : i64} : memref<2x128x3x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<2x3x128x64xbf16>) outs(%d : memref<2x128x3x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%d : memref<2x128x3x64xbf16>) outs(%sink : memref<2x128x3x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %n = arith.negf %in : bf16
    linalg.yield %n : bf16
  }
  memref.dealloc %x : memref<2x3x128x64xbf16>
  memref.dealloc %y : memref<2x3x128x64xbf16>
  memref.dealloc %d : memref<2x128x3x64xbf16>
  return
}

// -----

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// The source written between the split and the attention: the split stays.
// The output read by another op than its merge: the merge stays.
// COPIES-LABEL: func.func @kept
// COPIES-COUNT-2: linalg.yield %in
// CHECK-LABEL: func.func @kept
// CHECK:         linalg.generic
// CHECK:         linalg.fill
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%[[X:.*]], %[[X]], %[[X]] : memref<1x2x64x64xbf16>, {{.*}}) outs(%[[Y:.*]], %{{.*}} : memref<1x2x64x64xbf16>,
// CHECK:         linalg.generic {{.*}} ins(%[[Y]]
// CHECK:         linalg.generic {{.*}} ins(%[[Y]]
func.func @kept(%s: memref<1x64x2x64xbf16>, %sink: memref<1x64x2x64xbf16>, %other: memref<1x2x64x64xbf16>) {
  %x = memref.alloc() : memref<1x2x64x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : memref<1x64x2x64xbf16>) outs(%x : memref<1x2x64x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %zero = arith.constant 0.0 : bf16
  linalg.fill ins(%zero : bf16) outs(%s : memref<1x64x2x64xbf16>)
  %y = memref.alloc() : memref<1x2x64x64xbf16>
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%x, %x, %x : memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>) outs(%y, %lse : memref<1x2x64x64xbf16>, memref<1x2x64xf32>)
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x2x64x64xbf16>) outs(%sink : memref<1x64x2x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x2x64x64xbf16>) outs(%other : memref<1x2x64x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %n = arith.negf %in : bf16
    linalg.yield %n : bf16
  }
  return
}

// -----

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// The backward: the forward's output, which it reads, comes from the
// forward's fresh buffer; dout's split is a view; dq and dk are merged into
// one shared buffer in turn, each read before the next merge overwrites it:
// each gets a fresh buffer of its own, and its readers read that.
// COPIES-LABEL: func.func @backward
// COPIES-NOT:     linalg.yield %in
// CHECK-LABEL: func.func @backward
// CHECK-SAME:      (%[[S:.*]]: memref<1x64x2x64xbf16>, %[[DS:.*]]: memref<1x64x2x64xbf16>, %[[SINK:.*]]: memref<2x1x64x2x64xbf16>)
// CHECK-DAG:     %[[O:.*]] = memref.alloc() {{.*}}: memref<1x64x2x64xbf16>
// CHECK-DAG:     %[[OV:.*]] = memref.reinterpret_cast %[[O]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK:         tg.fused_attention_forward {{.*}} outs(%[[OV]],
// CHECK-DAG:     %[[DOV:.*]] = memref.reinterpret_cast %[[DS]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK-DAG:     %[[DQ:.*]] = memref.alloc() : memref<1x64x2x64xbf16>
// CHECK-DAG:     %[[DQV:.*]] = memref.reinterpret_cast %[[DQ]]
// CHECK-DAG:     %[[DK:.*]] = memref.alloc() : memref<1x64x2x64xbf16>
// CHECK-DAG:     %[[DKV:.*]] = memref.reinterpret_cast %[[DK]]
// CHECK:         tg.fused_attention_backward scale 1.250000e-01 ins(%{{.*}}, %{{.*}}, %{{.*}}, %[[OV]], %[[DOV]], %{{.*}} : {{.*}}) outs(%[[DQV]], %[[DKV]], %{{.*}}, %{{.*}} :
// CHECK:         %[[SINK0:.*]] = memref.subview %[[SINK]][0
// CHECK:         linalg.generic {{.*}} ins(%[[DQ]] : memref<1x64x2x64xbf16>) outs(%[[SINK0]]
// CHECK:         %[[SINK1:.*]] = memref.subview %[[SINK]][1
// CHECK:         linalg.generic {{.*}} ins(%[[DK]] : memref<1x64x2x64xbf16>) outs(%[[SINK1]]
func.func @backward(%s: memref<1x64x2x64xbf16>, %ds: memref<1x64x2x64xbf16>, %sink: memref<2x1x64x2x64xbf16>) {
  %x = memref.alloc() : memref<1x2x64x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : memref<1x64x2x64xbf16>) outs(%x : memref<1x2x64x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %y = memref.alloc() : memref<1x2x64x64xbf16>
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%x, %x, %x : memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>) outs(%y, %lse : memref<1x2x64x64xbf16>, memref<1x2x64xf32>)
  %o = memref.alloc() : memref<1x64x2x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x2x64x64xbf16>) outs(%o : memref<1x64x2x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %dout = memref.alloc() : memref<1x2x64x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ds : memref<1x64x2x64xbf16>) outs(%dout : memref<1x2x64x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %dq = memref.alloc() : memref<1x2x64x64xbf16>
  %dk = memref.alloc() : memref<1x2x64x64xbf16>
  %dv = memref.alloc() : memref<1x2x64x64xbf16>
  %delta = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_backward scale 0.125 ins(%x, %x, %x, %y, %dout, %lse : memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64xf32>) outs(%dq, %dk, %dv, %delta : memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64x64xbf16>, memref<1x2x64xf32>)
  %shared = memref.alloc() : memref<1x64x2x64xbf16>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dq : memref<1x2x64x64xbf16>) outs(%shared : memref<1x64x2x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %sink0 = memref.subview %sink[0, 0, 0, 0, 0] [1, 1, 64, 2, 64] [1, 1, 1, 1, 1] : memref<2x1x64x2x64xbf16> to memref<1x64x2x64xbf16, strided<[8192, 128, 64, 1]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%shared : memref<1x64x2x64xbf16>) outs(%sink0 : memref<1x64x2x64xbf16, strided<[8192, 128, 64, 1]>>) {
  ^bb0(%in: bf16, %out: bf16):
    %n = arith.negf %in : bf16
    linalg.yield %n : bf16
  }
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dk : memref<1x2x64x64xbf16>) outs(%shared : memref<1x64x2x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  %sink1 = memref.subview %sink[1, 0, 0, 0, 0] [1, 1, 64, 2, 64] [1, 1, 1, 1, 1] : memref<2x1x64x2x64xbf16> to memref<1x64x2x64xbf16, strided<[8192, 128, 64, 1], offset: 8192>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%shared : memref<1x64x2x64xbf16>) outs(%sink1 : memref<1x64x2x64xbf16, strided<[8192, 128, 64, 1], offset: 8192>>) {
  ^bb0(%in: bf16, %out: bf16):
    %n = arith.negf %in : bf16
    linalg.yield %n : bf16
  }
  return
}

// -----

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// f32 attentions (the runtime's f32 kernels) alike: the forward reads the
// split's source and writes a fresh [B, T, H, D] buffer through a view, and
// the backward reads the forward's output and dout's source through views
// and writes dq's merge through one; no copy is left.
// COPIES-LABEL: func.func @f32
// COPIES-NOT:     linalg.yield %in
// CHECK-LABEL: func.func @f32
// CHECK-SAME:      (%[[S:.*]]: memref<1x64x2x64xf32>, %[[DS:.*]]: memref<1x64x2x64xf32>, %[[SINK:.*]]: memref<1x64x2x64xf32>)
// CHECK-DAG:     %[[X:.*]] = memref.reinterpret_cast %[[S]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1] : memref<1x64x2x64xf32> to memref<1x2x64x64xf32, strided<[8192, 64, 128, 1]>>
// CHECK-DAG:     %[[O:.*]] = memref.alloc() : memref<1x64x2x64xf32>
// CHECK-DAG:     %[[OV:.*]] = memref.reinterpret_cast %[[O]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%[[X]], %[[X]], %[[X]] : {{.*}}) outs(%[[OV]], %{{.*}} : memref<1x2x64x64xf32, strided<[8192, 64, 128, 1]>>, memref<1x2x64xf32>)
// CHECK-DAG:     %[[DOV:.*]] = memref.reinterpret_cast %[[DS]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK-DAG:     %[[DQ:.*]] = memref.alloc() : memref<1x64x2x64xf32>
// CHECK-DAG:     %[[DQV:.*]] = memref.reinterpret_cast %[[DQ]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK:         tg.fused_attention_backward scale 1.250000e-01 ins(%[[X]], %[[X]], %[[X]], %[[OV]], %[[DOV]], %{{.*}} : {{.*}}) outs(%[[DQV]], %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK:         linalg.generic {{.*}} ins(%[[DQ]] : memref<1x64x2x64xf32>) outs(%[[SINK]] : memref<1x64x2x64xf32>)
func.func @f32(%s: memref<1x64x2x64xf32>, %ds: memref<1x64x2x64xf32>, %sink: memref<1x64x2x64xf32>) {
  %x = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : memref<1x64x2x64xf32>) outs(%x : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %y = memref.alloc() : memref<1x2x64x64xf32>
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%x, %x, %x : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>) outs(%y, %lse : memref<1x2x64x64xf32>, memref<1x2x64xf32>)
  %o = memref.alloc() : memref<1x64x2x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y : memref<1x2x64x64xf32>) outs(%o : memref<1x64x2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %dout = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%ds : memref<1x64x2x64xf32>) outs(%dout : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %dq = memref.alloc() : memref<1x2x64x64xf32>
  %dk = memref.alloc() : memref<1x2x64x64xf32>
  %dv = memref.alloc() : memref<1x2x64x64xf32>
  %delta = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_backward scale 0.125 ins(%x, %x, %x, %y, %dout, %lse : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64xf32>) outs(%dq, %dk, %dv, %delta : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64xf32>)
  %merged = memref.alloc() : memref<1x64x2x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%dq : memref<1x2x64x64xf32>) outs(%merged : memref<1x64x2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%merged : memref<1x64x2x64xf32>) outs(%sink : memref<1x64x2x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  return
}

// -----

#toHeads = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Views the kernels cannot read keep their copies: rows not of unit stride
// (a [B, T, D, H] source), and rows not 16-byte aligned (an f32 source at
// an offset of 2 elements).
// COPIES-LABEL: func.func @unaligned
// COPIES-COUNT-2: linalg.yield %in
// CHECK-LABEL: func.func @unaligned
// CHECK-NOT:     memref.reinterpret_cast
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%[[Q:.*]], %[[K:.*]], %[[K]] : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>)
func.func @unaligned(%s: memref<1x64x64x2xf32>, %t: memref<1x64x2x64xf32, strided<[8192, 128, 64, 1], offset: 2>>, %sink: memref<1x2x64x64xf32>) {
  %x = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#toHeads, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%s : memref<1x64x64x2xf32>) outs(%x : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %z = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%t : memref<1x64x2x64xf32, strided<[8192, 128, 64, 1], offset: 2>>) outs(%z : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%x, %z, %z : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>) outs(%sink, %lse : memref<1x2x64x64xf32>, memref<1x2x64xf32>)
  return
}

// -----

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// One buffer for q and then k before their splits (bufferization reuses a
// value's buffer once its split has copied it, as for f32 linear layers),
// each filled and then accumulated into (a matmul's pattern): q's fill and
// accumulation get a fresh buffer, read until k's fill overwrites the old
// one, and the attention reads both through views; no copy is left.
// COPIES-LABEL: func.func @reused_source
// COPIES-NOT:     linalg.yield %in
// CHECK-LABEL: func.func @reused_source
// CHECK-SAME:      (%[[XQ:.*]]: memref<1x64x128xf32>, %[[XK:.*]]: memref<1x64x128xf32>, %[[SINK:.*]]: memref<1x2x64x64xf32>)
// CHECK:         %[[A:.*]] = memref.alloc() : memref<1x64x128xf32>
// CHECK:         %[[M:.*]] = memref.alloc() : memref<1x64x128xf32>
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[M]] : memref<1x64x128xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[XQ]] : memref<1x64x128xf32>) outs(%[[M]] : memref<1x64x128xf32>)
// CHECK:         %[[Q:.*]] = memref.expand_shape %[[M]]
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[A]] : memref<1x64x128xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[XK]] : memref<1x64x128xf32>) outs(%[[A]] : memref<1x64x128xf32>)
// CHECK:         %[[K:.*]] = memref.expand_shape %[[A]]
// CHECK-DAG:     %[[QV:.*]] = memref.reinterpret_cast %[[Q]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK-DAG:     %[[KV:.*]] = memref.reinterpret_cast %[[K]] to offset: [0], sizes: [1, 2, 64, 64], strides: [8192, 64, 128, 1]
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%[[QV]], %[[KV]], %[[KV]] : {{.*}}) outs(%[[SINK]],
// CHECK:         memref.dealloc %[[A]]
// CHECK:         memref.dealloc %[[M]]
// CHECK-NEXT:    return
func.func @reused_source(%xq: memref<1x64x128xf32>, %xk: memref<1x64x128xf32>, %sink: memref<1x2x64x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<1x64x128xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<1x64x128xf32>)
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xq : memref<1x64x128xf32>) outs(%a : memref<1x64x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.addf %in, %out : f32
    linalg.yield %n : f32
  }
  %q = memref.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 64, 2, 64] : memref<1x64x128xf32> into memref<1x64x2x64xf32>
  %qh = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : memref<1x64x2x64xf32>) outs(%qh : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.fill ins(%zero : f32) outs(%a : memref<1x64x128xf32>)
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xk : memref<1x64x128xf32>) outs(%a : memref<1x64x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.addf %in, %out : f32
    linalg.yield %n : f32
  }
  %k = memref.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 64, 2, 64] : memref<1x64x128xf32> into memref<1x64x2x64xf32>
  %kh = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%k : memref<1x64x2x64xf32>) outs(%kh : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%qh, %kh, %kh : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>) outs(%sink, %lse : memref<1x2x64x64xf32>, memref<1x2x64xf32>)
  memref.dealloc %a : memref<1x64x128xf32>
  memref.dealloc %qh : memref<1x2x64x64xf32>
  memref.dealloc %kh : memref<1x2x64x64xf32>
  memref.dealloc %lse : memref<1x2x64xf32>
  return
}

// -----

#split = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// The buffer is updated rather than overwritten after the split (the
// update reads what the split copied): the split stays.
// COPIES-LABEL: func.func @updated_source
// COPIES-COUNT-1: linalg.yield %in
// CHECK-LABEL: func.func @updated_source
// CHECK-NOT:     memref.reinterpret_cast
// CHECK:         tg.fused_attention_forward scale 1.250000e-01 ins(%[[QH:.*]], %[[QH]], %[[QH]] : memref<1x2x64x64xf32>,
func.func @updated_source(%xq: memref<1x64x128xf32>, %sink: memref<1x2x64x64xf32>) {
  %a = memref.alloc() : memref<1x64x128xf32>
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xq : memref<1x64x128xf32>) outs(%a : memref<1x64x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  %q = memref.expand_shape %a [[0], [1], [2, 3]] output_shape [1, 64, 2, 64] : memref<1x64x128xf32> into memref<1x64x2x64xf32>
  %qh = memref.alloc() : memref<1x2x64x64xf32>
  linalg.generic {indexing_maps = [#split, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : memref<1x64x2x64xf32>) outs(%qh : memref<1x2x64x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xq : memref<1x64x128xf32>) outs(%a : memref<1x64x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.addf %in, %out : f32
    linalg.yield %n : f32
  }
  %lse = memref.alloc() : memref<1x2x64xf32>
  tg.fused_attention_forward scale 0.125 ins(%qh, %qh, %qh : memref<1x2x64x64xf32>, memref<1x2x64x64xf32>, memref<1x2x64x64xf32>) outs(%sink, %lse : memref<1x2x64x64xf32>, memref<1x2x64xf32>)
  memref.dealloc %a : memref<1x64x128xf32>
  memref.dealloc %qh : memref<1x2x64x64xf32>
  memref.dealloc %lse : memref<1x2x64xf32>
  return
}
