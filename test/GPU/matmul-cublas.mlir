// RUN: tgc-opt %s --tg-matmul-to-runtime-call=cuda=true --canonicalize | FileCheck %s
// RUN: tgc-opt %s --tg-matmul-to-runtime-call=cuda=true --tg-gpu-launch | FileCheck %s --check-prefix=LAUNCH

// With cuda=true, f32/f64 matmuls on (device) buffers call the runtime's
// cuBLAS entry with the CPU kernel's rank-3 strided views; tg-gpu-launch
// leaves the call on the host, between the kernels before and after it.

// CHECK-LABEL: func.func @matmul
// CHECK-NOT:     linalg.fill
// CHECK-DAG:     %[[OVERWRITE:.*]] = arith.constant 0 : i64
// CHECK-DAG:     memref.reinterpret_cast %arg0 to offset: [0], sizes: [1, 4, 8], strides: [0, 8, 1]
// CHECK-DAG:     memref.reinterpret_cast %arg1 to offset: [0], sizes: [1, 8, 16], strides: [0, 1, 8]
// CHECK:         call @tgc_cuda_matmul_f32({{.*}}, %[[OVERWRITE]])
// CHECK-NOT:     linalg.matmul

// LAUNCH-LABEL: func.func @matmul
// LAUNCH:         gpu.launch
// LAUNCH:         call @tgc_cuda_matmul_f32
// LAUNCH:         gpu.launch
func.func @matmul(%a: memref<4x8xf32>, %b: memref<16x8xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%a : memref<4x8xf32>)
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<4x8xf32>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
  linalg.fill ins(%one : f32) outs(%a : memref<4x8xf32>)
  return
}

// CHECK-LABEL: func.func @batch_f64
// CHECK:         call @tgc_cuda_matmul_f64
func.func @batch_f64(%a: memref<2x4x8xf64>, %b: memref<2x8x16xf64>, %c: memref<2x4x16xf64>) {
  linalg.batch_matmul ins(%a, %b : memref<2x4x8xf64>, memref<2x8x16xf64>) outs(%c : memref<2x4x16xf64>)
  return
}

// bf16 operands, an f32 result (tg-gpu-bf16-matmul-operands): cuBLAS's
// mixed-precision GEMM.
// CHECK-LABEL: func.func @bf16_operands
// CHECK:         call @tgc_cuda_matmul_bf16_f32({{.*}}) : (memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xbf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, i64) -> ()
// CHECK-NOT:     linalg.matmul
func.func @bf16_operands(%a: memref<4x8xbf16>, %b: memref<16x8xbf16>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<4x8xbf16>, memref<16x8xbf16>) outs(%c : memref<4x16xf32>)
  return
}

// CHECK: func.func private @tgc_cuda_matmul_f32(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, {{.*}}, i64) attributes {llvm.emit_c_interface, tg.operands_only, tg.read_only_operands = array<i64: 0, 1>}
