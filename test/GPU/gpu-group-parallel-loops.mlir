// RUN: tgc-opt %s --tg-gpu-group-parallel-loops=coarsening=1 --split-input-file | FileCheck %s

// Three independent loops (64, 4 x 8 and 16 iterations, each writing its own
// buffer) become one loop over 112 iterations; a binary tree of comparisons
// with the loops' first iterations (64 for the second loop, then 96 for the
// third) picks the body, and the 2-D loop's indices come back from its
// linear index (row-major). (Arguments of a public function may alias each
// other, so the buffers here are the function's own.)
// CHECK-LABEL: func.func @independent
// CHECK:         %[[C112:.*]] = arith.constant 112 : index
// CHECK:         scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C112]]) step (%{{.*}}) {
// CHECK:           %[[C64:.*]] = arith.constant 64 : index
// CHECK:           %[[FIRST:.*]] = arith.cmpi ult, %[[I]], %[[C64]] : index
// CHECK:           scf.if %[[FIRST]] {
// CHECK:             memref.store %{{.*}}, %{{.*}}[%[[I]]] : memref<64xf32>
// CHECK:           } else {
// CHECK:             %[[C96:.*]] = arith.constant 96 : index
// CHECK:             %[[SECOND:.*]] = arith.cmpi ult, %[[I]], %[[C96]] : index
// CHECK:             scf.if %[[SECOND]] {
// CHECK:               %[[J:.*]] = arith.subi %[[I]], %{{.*}} : index
// CHECK:               %[[C8:.*]] = arith.constant 8 : index
// CHECK:               %[[ROW:.*]] = arith.divui %[[J]], %[[C8]] : index
// CHECK:               %[[COL:.*]] = arith.remui %[[J]], %[[C8]] : index
// CHECK:               memref.store %{{.*}}, %{{.*}}[%[[ROW]], %[[COL]]] : memref<4x8xf32>
// CHECK:             } else {
// CHECK:               %[[K:.*]] = arith.subi %[[I]], %{{.*}} : index
// CHECK:               memref.store %{{.*}}, %{{.*}}[%[[K]]] : memref<16xf32>
// CHECK-NOT:     scf.parallel
func.func @independent() -> (memref<64xf32>, memref<4x8xf32>, memref<16xf32>) {
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<4x8xf32>
  %c = memref.alloc() : memref<16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %x = memref.load %a[%i] : memref<64xf32>
    %y = arith.addf %x, %one : f32
    memref.store %y, %a[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    memref.store %one, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
    memref.store %one, %c[%i] : memref<16xf32>
    scf.reduce
  }
  return %a, %b, %c : memref<64xf32>, memref<4x8xf32>, memref<16xf32>
}

// -----

// The second loop reads what the first writes: two loops (two kernels), in
// order.
// CHECK-LABEL: func.func @dependent
// CHECK:         scf.parallel
// CHECK:         scf.parallel
func.func @dependent() -> (memref<64xf32>, memref<64xf32>) {
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    memref.store %one, %a[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %x = memref.load %a[%c0] : memref<64xf32>
    memref.store %x, %b[%i] : memref<64xf32>
    scf.reduce
  }
  return %a, %b : memref<64xf32>, memref<64xf32>
}

// -----

// Autocast's weight casts, each before the GEMM that reads it: the GEMMs
// (runtime calls that touch only their operands) wait until after the
// group, so the first two casts are one kernel. A GEMM that writes what
// the third cast reads keeps that cast out.
// CHECK-LABEL: func.func @casts_around_gemms
// CHECK:         scf.parallel
// CHECK-NOT:     scf.parallel
// CHECK:         call @tgc_cuda_matmul_bf16_f32
// CHECK-NEXT:    call @tgc_cuda_matmul_bf16_f32
// CHECK-NEXT:    call @tgc_cuda_matmul_bf16_f32(%{{.*}}, %{{.*}}, %[[OUT:[a-z_0-9]*]])
// CHECK-NEXT:    scf.parallel
// CHECK:           memref.load %[[OUT]]
func.func private @tgc_cuda_matmul_bf16_f32(memref<4x4xbf16>, memref<4x4xbf16>, memref<4x4xf32>) attributes {tg.operands_only}
func.func @casts_around_gemms(%x: memref<4x4xbf16>) -> memref<4x4xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %w1 = memref.alloc() : memref<4x4xf32>
  %w2 = memref.alloc() : memref<4x4xf32>
  %w3 = memref.alloc() : memref<4x4xf32>
  %b1 = memref.alloc() : memref<4x4xbf16>
  %b2 = memref.alloc() : memref<4x4xbf16>
  %b3 = memref.alloc() : memref<4x4xbf16>
  %o1 = memref.alloc() : memref<4x4xf32>
  %o2 = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %w1[%i, %j] : memref<4x4xf32>
    %t = arith.truncf %v : f32 to bf16
    memref.store %t, %b1[%i, %j] : memref<4x4xbf16>
  }
  call @tgc_cuda_matmul_bf16_f32(%x, %b1, %o1) : (memref<4x4xbf16>, memref<4x4xbf16>, memref<4x4xf32>) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %w2[%i, %j] : memref<4x4xf32>
    %t = arith.truncf %v : f32 to bf16
    memref.store %t, %b2[%i, %j] : memref<4x4xbf16>
  }
  call @tgc_cuda_matmul_bf16_f32(%x, %b2, %o2) : (memref<4x4xbf16>, memref<4x4xbf16>, memref<4x4xf32>) -> ()
  call @tgc_cuda_matmul_bf16_f32(%x, %b2, %w3) : (memref<4x4xbf16>, memref<4x4xbf16>, memref<4x4xf32>) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %v = memref.load %w3[%i, %j] : memref<4x4xf32>
    %t = arith.truncf %v : f32 to bf16
    memref.store %t, %b3[%i, %j] : memref<4x4xbf16>
  }
  return %b3 : memref<4x4xbf16>
}
