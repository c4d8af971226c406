// RUN: tgc-opt %s --tg-matmul-to-runtime-call --canonicalize | FileCheck %s
// RUN: tgc-opt %s --tg-matmul-to-runtime-call="cuda=1 loop-reduction-limit=8" | FileCheck %s --check-prefix=SHORT

// f32/f64 matmuls on buffers call the runtime kernel with rank-3 strided
// views: transposes are swapped strides, a missing or broadcast batch a
// batch stride of 0; a zero fill right before folds into accumulate = 0.

// CHECK-LABEL: func.func @matmul
// CHECK-NOT:     linalg.fill
// CHECK-DAG:     %[[OVERWRITE:.*]] = arith.constant 0 : i64
// CHECK-DAG:     memref.reinterpret_cast %arg0 to offset: [0], sizes: [1, 4, 8], strides: [0, 8, 1]
// CHECK-DAG:     memref.reinterpret_cast %arg1 to offset: [0], sizes: [1, 8, 16], strides: [0, 16, 1]
// CHECK-DAG:     memref.reinterpret_cast %arg2 to offset: [0], sizes: [1, 4, 16], strides: [0, 16, 1]
// CHECK:         call @tgc_matmul_f32({{.*}}, %[[OVERWRITE]])
// CHECK-NOT:     linalg.matmul
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// CHECK-LABEL: func.func @transposed_lhs_accumulates
// CHECK:         %[[ACCUMULATE:.*]] = arith.constant 1 : i64
// CHECK:         memref.reinterpret_cast %arg0 to offset: [0], sizes: [1, 4, 8], strides: [0, 1, 4]
// CHECK:         call @tgc_matmul_f64({{.*}}, %[[ACCUMULATE]])
func.func @transposed_lhs_accumulates(%a: memref<8x4xf64>, %b: memref<8x16xf64>, %c: memref<4x16xf64>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<8x4xf64>, memref<8x16xf64>) outs(%c : memref<4x16xf64>)
  return
}

// CHECK-LABEL: func.func @batch_with_broadcast_rhs
// CHECK:         memref.reinterpret_cast %arg1 to offset: [0], sizes: [2, 8, 16], strides: [0, 16, 1]
// CHECK:         call @tgc_matmul_f32
func.func @batch_with_broadcast_rhs(%a: memref<2x4x8xf32>, %b: memref<8x16xf32>, %c: memref<2x4x16xf32>) {
  linalg.batch_matmul indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>]
    ins(%a, %b : memref<2x4x8xf32>, memref<8x16xf32>) outs(%c : memref<2x4x16xf32>)
  return
}

// With loop-reduction-limit = 8 (the CUDA pipeline's is 16), a product over
// 8 stays loops and one over 16 is a cuBLAS call; bf16 operands always are.
// SHORT-LABEL: func.func @short_and_long_reductions
// SHORT:         linalg.matmul ins(%arg0, %arg1 : memref<4x8xf32>, memref<8x16xf32>)
// SHORT:         call @tgc_cuda_matmul_f32
// SHORT:         call @tgc_cuda_matmul_bf16_f32
func.func @short_and_long_reductions(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>,
                                     %d: memref<4x16xf32>, %e: memref<16x16xf32>,
                                     %f: memref<4x8xbf16>, %g: memref<8x16xbf16>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%d, %e : memref<4x16xf32>, memref<16x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%f, %g : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c : memref<4x16xf32>)
  return
}

// Integer matmuls keep the loop lowering.
// CHECK-LABEL: func.func @integer_matmul_stays
// CHECK:         linalg.matmul
func.func @integer_matmul_stays(%a: memref<4x8xi32>, %b: memref<8x16xi32>, %c: memref<4x16xi32>) {
  linalg.matmul ins(%a, %b : memref<4x8xi32>, memref<8x16xi32>) outs(%c : memref<4x16xi32>)
  return
}

// CHECK: func.func private @tgc_matmul_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64) attributes {llvm.emit_c_interface, tg.operands_only, tg.read_only_operands = array<i64: 0, 1>}
