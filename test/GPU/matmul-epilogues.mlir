// RUN: tgc-opt %s --tg-gpu-matmul-epilogues --tg-matmul-to-runtime-call=cuda=true --canonicalize | FileCheck %s

// A linear layer on device buffers: the product, read only by the generic
// that adds the bias (broadcast over rows) and applies relu or gelu's tanh
// approximation, is never stored; tgc_cuda_matmul_bias_f32 writes the
// generic's output with cuBLASLt's epilogue. Other matmuls keep
// tgc_cuda_matmul_*.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#col = affine_map<(d0, d1) -> (d0)>
#mT = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// CHECK-LABEL: func.func @linear_relu
// CHECK-DAG:     %[[RELU:.*]] = arith.constant 1 : i64
// CHECK-DAG:     memref.reinterpret_cast %arg0 to offset: [0], sizes: [1, 4, 8], strides: [0, 8, 1]
// CHECK-DAG:     memref.reinterpret_cast %arg1 to offset: [0], sizes: [1, 8, 16], strides: [0, 1, 8]
// CHECK-DAG:     memref.reinterpret_cast %arg3 to offset: [0], sizes: [1, 4, 16], strides: [0, 16, 1]
// CHECK-DAG:     %[[BIAS:.*]] = memref.cast %arg2 : memref<16xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK:         call @tgc_cuda_matmul_bias_f32(%{{.*}}, %{{.*}}, %[[BIAS]], %{{.*}}, %[[RELU]])
// CHECK-NOT:     linalg.
// CHECK-NOT:     call
// CHECK:         return
func.func @linear_relu(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// Bias only (bias + product, the other order), on a [batch, rows, features]
// input: the generic reads the product through an expand_shape; the call
// writes the output collapsed the same way.
// CHECK-LABEL: func.func @linear_3d
// CHECK-DAG:     %[[BIAS_ONLY:.*]] = arith.constant 0 : i64
// CHECK-DAG:     %[[Y:.*]] = memref.collapse_shape %arg3 {{\[}}[0, 1], [2]]
// CHECK:         memref.reinterpret_cast %[[Y]] to offset: [0], sizes: [1, 6, 16], strides: [0, 16, 1]
// CHECK:         call @tgc_cuda_matmul_bias_f32({{.*}}, %[[BIAS_ONLY]])
// CHECK-NOT:     linalg.
func.func @linear_3d(%x: memref<6x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<2x3x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<6x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<6x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<6x8xf32>, memref<16x8xf32>) outs(%h : memref<6x16xf32>)
  %h3 = memref.expand_shape %h [[0, 1], [2]] output_shape [2, 3, 16] : memref<6x16xf32> into memref<2x3x16xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%b, %h3 : memref<16xf32>, memref<2x3x16xf32>) outs(%y : memref<2x3x16xf32>) {
  ^bb0(%c: f32, %p: f32, %out: f32):
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<6x16xf32>
  return
}

// GELU's tanh approximation as tg-lower-to-linalg writes it.
// CHECK-LABEL: func.func @linear_gelu_tanh
// CHECK-DAG:     %[[GELU:.*]] = arith.constant 2 : i64
// CHECK:         call @tgc_cuda_matmul_bias_f32({{.*}}, %[[GELU]])
// CHECK-NOT:     linalg.
func.func @linear_gelu_tanh(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %k0 = arith.constant 0.044715 : f32
    %k1 = arith.constant 0.797884583 : f32
    %s = arith.addf %p, %c : f32
    %c1 = arith.mulf %k0, %s : f32
    %c2 = arith.mulf %c1, %s : f32
    %c3 = arith.mulf %c2, %s : f32
    %in = arith.addf %s, %c3 : f32
    %sc = arith.mulf %k1, %in : f32
    %t = math.tanh %sc : f32
    %hx = arith.mulf %half, %s : f32
    %op = arith.addf %one, %t : f32
    %g = arith.mulf %hx, %op : f32
    linalg.yield %g : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// Exact GELU (erf) is not cuBLASLt's: a plain matmul and the generic.
// CHECK-LABEL: func.func @linear_gelu_erf
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
// CHECK:           math.erf
func.func @linear_gelu_erf(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %half = arith.constant 0.5 : f32
    %one = arith.constant 1.0 : f32
    %r2 = arith.constant 0.707106769 : f32
    %s = arith.addf %p, %c : f32
    %sc = arith.mulf %s, %r2 : f32
    %e = math.erf %sc : f32
    %hx = arith.mulf %half, %s : f32
    %op = arith.addf %one, %e : f32
    %g = arith.mulf %hx, %op : f32
    linalg.yield %g : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// Another activation (tanh) after the bias: not fused.
// CHECK-LABEL: func.func @linear_tanh
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @linear_tanh(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// The product read twice (the backward also reads it): not fused.
// CHECK-LABEL: func.func @product_used_twice
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
// CHECK:         linalg.generic
func.func @product_used_twice(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>, %z: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : memref<4x16xf32>) outs(%z : memref<4x16xf32>) {
  ^bb0(%p: f32, %out: f32):
    %n = arith.negf %p : f32
    linalg.yield %n : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// Two relu layers whose products share one buffer (one-shot bufferization
// reuses a dead product's): each layer's earlier and later accesses are
// separated by the next zero fill, so both fuse.
// CHECK-LABEL: func.func @two_layers_one_product_buffer
// CHECK:         call @tgc_cuda_matmul_bias_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RELU:.*]])
// CHECK:         call @tgc_cuda_matmul_bias_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RELU]])
// CHECK-NOT:     linalg.generic
func.func @two_layers_one_product_buffer(%x: memref<4x16xf32>, %w1: memref<16x16xf32>, %b1: memref<16xf32>,
                                         %w2: memref<16x16xf32>, %b2: memref<16xf32>,
                                         %y1: memref<4x16xf32>, %y2: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w1 : memref<4x16xf32>, memref<16x16xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : memref<4x16xf32>, memref<16xf32>) outs(%y1 : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%y1, %w2 : memref<4x16xf32>, memref<16x16xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b2 : memref<4x16xf32>, memref<16xf32>) outs(%y2 : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// The product read again after the generic, before any fill overwrites
// it: not fused.
// CHECK-LABEL: func.func @product_read_before_the_next_fill
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @product_read_before_the_next_fill(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>, %z: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.copy %h, %z : memref<4x16xf32> to memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  memref.dealloc %h : memref<4x16xf32>
  return
}

// A bias broadcast over columns (one value per row) is not cuBLASLt's.
// CHECK-LABEL: func.func @column_bias
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @column_bias(%x: memref<4x8xf32>, %w: memref<4x8xf32>, %b: memref<4xf32>, %y: memref<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x4xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<4x8xf32>) outs(%h : memref<4x4xf32>)
  linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x4xf32>, memref<4xf32>) outs(%y : memref<4x4xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<4x4xf32>
  return
}

// f64: cuBLASLt's bias epilogues are for the FP32 path here.
// CHECK-LABEL: func.func @linear_f64
// CHECK:         call @tgc_cuda_matmul_f64
// CHECK:         linalg.generic
func.func @linear_f64(%x: memref<4x8xf64>, %w: memref<16x8xf64>, %b: memref<16xf64>, %y: memref<4x16xf64>) {
  %zero = arith.constant 0.0 : f64
  %h = memref.alloc() : memref<4x16xf64>
  linalg.fill ins(%zero : f64) outs(%h : memref<4x16xf64>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf64>, memref<16x8xf64>) outs(%h : memref<4x16xf64>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf64>, memref<16xf64>) outs(%y : memref<4x16xf64>) {
  ^bb0(%p: f64, %c: f64, %out: f64):
    %s = arith.addf %p, %c : f64
    linalg.yield %s : f64
  }
  memref.dealloc %h : memref<4x16xf64>
  return
}

// An accumulating matmul (no zero fill) is not fused.
// CHECK-LABEL: func.func @accumulating
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @accumulating(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %h = memref.alloc() : memref<4x16xf32>
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// A batch_matmul with a broadcast (shared) operand and a bias: not fused.
// CHECK-LABEL: func.func @broadcast_batch
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @broadcast_batch(%x: memref<2x4x8xf32>, %w: memref<8x16xf32>, %b: memref<16xf32>, %y: memref<2x4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<2x4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<2x4x16xf32>)
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%x, %w : memref<2x4x8xf32>, memref<8x16xf32>) outs(%h : memref<2x4x16xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%h, %b : memref<2x4x16xf32>, memref<16xf32>) outs(%y : memref<2x4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<2x4x16xf32>
  return
}

// The output is the weight (an in-place update): the call would write what
// it reads. Not fused.
// CHECK-LABEL: func.func @output_aliases_an_operand
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @output_aliases_an_operand(%x: memref<16x8xf32>, %w: memref<8x8xf32>, %b: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<16x8xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<16x8xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<16x8xf32>, memref<8x8xf32>) outs(%h : memref<16x8xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<16x8xf32>, memref<8xf32>) outs(%x : memref<16x8xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<16x8xf32>
  return
}

// An operand written between the matmul and the generic: the call, at the
// generic's place, would read the new values. Not fused.
// CHECK-LABEL: func.func @operand_written_in_between
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.fill
// CHECK:         linalg.generic
func.func @operand_written_in_between(%x: memref<4x8xf32>, %w: memref<16x8xf32>, %b: memref<16xf32>, %y: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %h = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%h : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xf32>, memref<16x8xf32>) outs(%h : memref<4x16xf32>)
  linalg.fill ins(%zero : f32) outs(%x : memref<4x8xf32>)
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b : memref<4x16xf32>, memref<16xf32>) outs(%y : memref<4x16xf32>) {
  ^bb0(%p: f32, %c: f32, %out: f32):
    %s = arith.addf %p, %c : f32
    linalg.yield %s : f32
  }
  memref.dealloc %h : memref<4x16xf32>
  return
}

// CHECK: func.func private @tgc_cuda_matmul_bias_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface, tg.operands_only, tg.read_only_operands = array<i64: 0, 1, 2>}
