// RUN: tgc-opt %s --tg-matmul-to-runtime-call=cuda=true --canonicalize | FileCheck %s

// On device buffers: a bf16 matmul whose f32 product only its rounding to
// bf16 reads (autocast's bf16 products; tg-gpu-bf16-matmul-results makes
// that rounding) becomes one tgc_cuda_matmul_bf16_bf16 at the rounding's
// place, writing the rounding's output: the f32 product is never stored.
// Otherwise the product stays f32 (tgc_cuda_matmul_bf16_f32) and is
// rounded by the loop.

#id = affine_map<(d0, d1) -> (d0, d1)>
#mT = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// Two products in one buffer, as one-shot bufferization reuses a dead
// product's buffer: each is freed from the f32 buffer, which then goes.
// CHECK-LABEL: func.func @reused_buffer
// CHECK-DAG:     %[[OVERWRITE:.*]] = arith.constant 0 : i64
// CHECK-DAG:     memref.reinterpret_cast %arg3 to offset: [0], sizes: [1, 4, 16], strides: [0, 16, 1]
// CHECK:         call @tgc_cuda_matmul_bf16_bf16({{.*}}, %[[OVERWRITE]]) : (memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, i64) -> ()
// CHECK:         memref.reinterpret_cast %arg4 to offset: [0], sizes: [1, 4, 16], strides: [0, 16, 1]
// CHECK:         call @tgc_cuda_matmul_bf16_bf16({{.*}}, %[[OVERWRITE]])
// CHECK-NOT:     linalg.
// CHECK-NOT:     memref<4x16xf32>
// CHECK:         return
func.func @reused_buffer(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %v: memref<16x8xbf16>, %y: memref<4x16xbf16>, %z: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  linalg.fill ins(%zero : f32) outs(%p : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %v : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%z : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %p : memref<4x16xf32>
  return
}

// The product read again after its rounding: it is stored.
// CHECK-LABEL: func.func @read_after_rounding
// CHECK:         call @tgc_cuda_matmul_bf16_f32
// CHECK:         linalg.generic
// CHECK:         memref.copy
func.func @read_after_rounding(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %y: memref<4x16xbf16>, %f: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.copy %p, %f : memref<4x16xf32> to memref<4x16xf32>
  memref.dealloc %p : memref<4x16xf32>
  return
}

// An operand overwritten between the matmul and the rounding, where the
// call would read it: the matmul stays where it is.
// CHECK-LABEL: func.func @operand_written_before_rounding
// CHECK:         call @tgc_cuda_matmul_bf16_f32
// CHECK:         linalg.fill
// CHECK:         linalg.generic
func.func @operand_written_before_rounding(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %y: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : bf16
  %p = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  linalg.fill ins(%one : bf16) outs(%w : memref<16x8xbf16>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %p : memref<4x16xf32>
  return
}

// A rounding into every other column of a wider buffer: neither its rows
// nor its columns are contiguous, which cuBLAS cannot write as bf16. A
// column-major output (a transposed view) is written directly.
// CHECK-LABEL: func.func @output_layouts
// CHECK:         call @tgc_cuda_matmul_bf16_f32
// CHECK:         linalg.generic
// CHECK:         %[[T:.*]] = memref.transpose %arg4
// CHECK:         memref.reinterpret_cast %[[T]] to offset: [0], sizes: [1, 4, 16], strides: [0, 1, 4]
// CHECK:         call @tgc_cuda_matmul_bf16_bf16
// CHECK-NOT:     linalg.generic
// CHECK:         return
func.func @output_layouts(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %wide: memref<4x32xbf16>, %p2: memref<4x16xf32>, %yT: memref<16x4xbf16>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  %odd = memref.subview %wide[0, 1] [4, 16] [1, 2] : memref<4x32xbf16> to memref<4x16xbf16, strided<[32, 2], offset: 1>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%odd : memref<4x16xbf16, strided<[32, 2], offset: 1>>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %p : memref<4x16xf32>
  %q = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%q : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%q : memref<4x16xf32>)
  %y = memref.transpose %yT (i, j) -> (j, i) : memref<16x4xbf16> to memref<4x16xbf16, strided<[1, 4]>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q : memref<4x16xf32>) outs(%y : memref<4x16xbf16, strided<[1, 4]>>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %q : memref<4x16xf32>
  return
}

// Accumulating into its buffer (no zero fill), or an f32 model's matmul:
// f32 results as before.
// CHECK-LABEL: func.func @accumulating_or_f32
// CHECK:         call @tgc_cuda_matmul_bf16_f32
// CHECK:         linalg.generic
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         linalg.generic
func.func @accumulating_or_f32(%x: memref<4x8xbf16>, %w: memref<16x8xbf16>, %y: memref<4x16xbf16>, %xf: memref<4x8xf32>, %wf: memref<16x8xf32>, %z: memref<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<4x16xf32>
  linalg.matmul indexing_maps = #mT ins(%x, %w : memref<4x8xbf16>, memref<16x8xbf16>) outs(%p : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<4x16xf32>) outs(%y : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %p : memref<4x16xf32>
  %q = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%q : memref<4x16xf32>)
  linalg.matmul indexing_maps = #mT ins(%xf, %wf : memref<4x8xf32>, memref<16x8xf32>) outs(%q : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%q : memref<4x16xf32>) outs(%z : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }
  memref.dealloc %q : memref<4x16xf32>
  return
}
