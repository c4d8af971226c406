// RUN: tgc-opt %s --tg-gpu-matmul-epilogues --tg-matmul-to-runtime-call=cuda=true --canonicalize | FileCheck %s

// Autocast's linear layers on device buffers: bf16 operands, an f32 product,
// and readers that first round product + bias to bf16 (the bias rounded to
// bf16 first, or already bf16). tgc_cuda_matmul_bias_bf16 computes that
// rounded sum with cuBLASLt's epilogue: into the lone reader's output when
// it yields the sum or its relu, else into a bf16 buffer the readers load
// instead of the f32 product, which is no longer allocated.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#mT = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// The f32 bias is rounded to bf16 where the product was zeroed; relu of the
// rounded sum is cuBLASLt's relu epilogue (relu commutes with rounding).
// CHECK-LABEL: func.func @linear_relu
// CHECK-NOT:     memref.alloc() {{.*}}: memref<4x16xf32>
// CHECK-DAG:     %[[RELU:.*]] = arith.constant 1 : i64
// CHECK-DAG:     %[[B16:.*]] = memref.alloc() : memref<16xbf16>
// CHECK:         linalg.generic {{.*}} ins(%arg2 : memref<16xf32>) outs(%[[B16]] : memref<16xbf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
// CHECK-DAG:     memref.reinterpret_cast %arg3 to offset: [0], sizes: [1, 4, 16], strides: [0, 16, 1]
// CHECK-DAG:     %[[BIAS:.*]] = memref.cast %[[B16]] : memref<16xbf16> to memref<?xbf16, strided<[?], offset: ?>>
// CHECK:         call @tgc_cuda_matmul_bias_bf16(%{{.*}}, %{{.*}}, %[[BIAS]], %{{.*}}, %[[RELU]])
// CHECK-NEXT:    memref.dealloc %[[B16]]
// CHECK-NOT:     linalg.
// CHECK:         return
func.func @linear_relu(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %b: memref<16xf32>, %y: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %zero16 = arith.constant 0.0 : bf16
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%p: f32, %c: f32, %out: bf16):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    %r = arith.truncf %s : f32 to bf16
    %a = arith.maximumf %r, %zero16 : bf16
    linalg.yield %a : bf16
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// A bf16 bias is passed as it is; the rounded sum alone is the bias-only
// epilogue.
// CHECK-LABEL: func.func @linear_bf16_bias
// CHECK-DAG:     %[[BIAS_ONLY:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[BIAS:.*]] = memref.cast %arg2 : memref<16xbf16> to memref<?xbf16, strided<[?], offset: ?>>
// CHECK:         call @tgc_cuda_matmul_bias_bf16(%{{.*}}, %{{.*}}, %[[BIAS]], %{{.*}}, %[[BIAS_ONLY]])
// CHECK-NOT:     linalg.
func.func @linear_bf16_bias(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %b: memref<16xbf16>, %y: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xbf16>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%p: f32, %c: bf16, %out: bf16):
    %cw = arith.extf %c : bf16 to f32
    %s = arith.addf %cw, %p : f32
    %r = arith.truncf %s : f32 to bf16
    linalg.yield %r : bf16
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// Two readers: the forward computes more from the rounded sum (a GELU-like
// product with itself) and the backward recomputes it for relu's mask. The
// call writes the sum to a bf16 buffer at the first reader; both load it
// (through the expand_shape they read the product by), freed after the
// last; neither reads the bias any more.
// CHECK-LABEL: func.func @two_readers
// CHECK-NOT:     memref.alloc() {{.*}}: memref<6x16xf32>
// CHECK:         %[[SUM:.*]] = memref.alloc() : memref<6x16xbf16>
// CHECK:         call @tgc_cuda_matmul_bias_bf16(
// CHECK:         %[[SUM3:.*]] = memref.expand_shape %[[SUM]] {{\[}}[0, 1], [2]] output_shape [2, 3, 16] : memref<6x16xbf16> into memref<2x3x16xbf16>
// CHECK:         linalg.generic {{.*}} ins(%[[SUM3]], %arg2 : memref<2x3x16xbf16>, memref<16xf32>) outs(%arg3 : memref<2x3x16xbf16>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: bf16, %{{.*}}: f32, %{{.*}}: bf16):
// CHECK-NEXT:      %[[SQ:.*]] = arith.mulf %[[IN]], %[[IN]] : bf16
// CHECK-NEXT:      linalg.yield %[[SQ]] : bf16
// CHECK:         call @tgc_cuda_matmul_bf16_f32(
// CHECK:         %[[AGAIN:.*]] = memref.expand_shape %[[SUM]]
// CHECK:         linalg.generic {{.*}} ins(%arg4, %[[AGAIN]], %arg2 : memref<2x3x16xbf16>, memref<2x3x16xbf16>, memref<16xf32>)
// CHECK-NEXT:    ^bb0(%[[G:.*]]: bf16, %[[S:.*]]: bf16, %{{.*}}: f32, %{{.*}}: bf16):
// CHECK-NEXT:      arith.cmpf ogt, %[[S]], %{{.*}} : bf16
// CHECK:         memref.dealloc %[[SUM]] : memref<6x16xbf16>
// CHECK-NEXT:    return
func.func @two_readers(%x: memref<6x8xbf16>, %w: memref<16x8xbf16>, %b: memref<16xf32>, %y: memref<2x3x16xbf16>,
                       %g: memref<2x3x16xbf16>, %dz: memref<2x3x16xbf16>, %other: memref<6x8xbf16>, %o: memref<6x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %zero16 = arith.constant 0.0 : bf16
  %h = memref.alloc() : memref<6x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<6x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<6x8xbf16>, memref<16x8xbf16>) outs(%h : memref<6x16xf32>)
  %h3 = memref.expand_shape %h [[0, 1], [2]] output_shape [2, 3, 16] : memref<6x16xf32> into memref<2x3x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h3, %b : memref<2x3x16xf32>, memref<16xf32>) outs(%y : memref<2x3x16xbf16>) {
  ^bb0(%p: f32, %c: f32, %out: bf16):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    %r = arith.truncf %s : f32 to bf16
    %sq = arith.mulf %r, %r : bf16
    linalg.yield %sq : bf16
  }
  // Another product in between, into another buffer.
  linalg.fill ins(%zero : f32) outs(%o : memref<6x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%other, %w : memref<6x8xbf16>, memref<16x8xbf16>) outs(%o : memref<6x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%g, %h3, %b : memref<2x3x16xbf16>, memref<2x3x16xf32>, memref<16xf32>) outs(%dz : memref<2x3x16xbf16>) {
  ^bb0(%gi: bf16, %p: f32, %c: f32, %out: bf16):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    %r = arith.truncf %s : f32 to bf16
    %pos = arith.cmpf ogt, %r, %zero16 : bf16
    %d = arith.select %pos, %gi, %zero16 : bf16
    linalg.yield %d : bf16
  }
  memref.dealloc %h : memref<6x16xf32>
  return
}

// Left alone: a reader that uses the f32 product itself (the sum is not
// rounded), and a bias that the step changes between the readers.
// CHECK-LABEL: func.func @not_rounded
// CHECK:         call @tgc_cuda_matmul_bf16_f32(
// CHECK-NOT:     tgc_cuda_matmul_bias_bf16
func.func @not_rounded(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// CHECK-LABEL: func.func @bias_changes
// CHECK:         call @tgc_cuda_matmul_bf16_f32(
// CHECK-NOT:     tgc_cuda_matmul_bias_bf16
func.func @bias_changes(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %b: memref<16xf32>, %y: memref<4x16xbf16>, %z: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%p: f32, %c: f32, %out: bf16):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    %r = arith.truncf %s : f32 to bf16
    linalg.yield %r : bf16
  }
  linalg.fill ins(%one : f32) outs(%b : memref<16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%z : memref<4x16xbf16>) {
  ^bb0(%p: f32, %c: f32, %out: bf16):
    %c16 = arith.truncf %c : f32 to bf16
    %cw = arith.extf %c16 : bf16 to f32
    %s = arith.addf %p, %cw : f32
    %r = arith.truncf %s : f32 to bf16
    linalg.yield %r : bf16
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// CHECK-LABEL: func.func private @tgc_cuda_matmul_bias_bf16(
