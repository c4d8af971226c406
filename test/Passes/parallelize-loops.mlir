// RUN: tgc-opt %s --tg-parallelize-loops | FileCheck %s
// RUN: tgc-opt %s --tg-parallelize-loops=min-work=100 | FileCheck %s --check-prefix=LOW

// A big elementwise nest: its outer dimension is shared among threads, the
// inner one stays a loop (sequential, vectorizable).
// CHECK-LABEL: func.func @rows_shared
// CHECK:         omp.parallel {
// CHECK-NEXT:      omp.wsloop nowait {
// CHECK-NEXT:        omp.loop_nest (%[[ROW:.*]]) : index = (%c0) to (%c256) step (%c1) {
// CHECK-NEXT:          scf.parallel (%[[COL:.*]]) = (%c0) to (%c512) step (%c1) {
// CHECK-NEXT:            memref.load %arg0[%[[ROW]], %[[COL]]]
// CHECK:               omp.yield
// CHECK:           omp.terminator
func.func @rows_shared(%a: memref<256x512xf32>, %b: memref<256x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %c512 = arith.constant 512 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c256, %c512) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<256x512xf32>
    %y = math.exp %x : f32
    memref.store %y, %b[%i, %j] : memref<256x512xf32>
    scf.reduce
  }
  return
}

// Two rows: the first dimension with enough iterations to split is shared,
// inside a loop over the rows.
// CHECK-LABEL: func.func @short_outer_dimension
// CHECK:         scf.parallel (%[[ROW:.*]]) = (%c0) to (%c2) step (%c1) {
// CHECK-NEXT:      omp.parallel {
// CHECK-NEXT:        omp.wsloop nowait {
// CHECK-NEXT:          omp.loop_nest (%[[COL:.*]]) : index = (%c0) to (%c65536) step (%c1) {
// CHECK-NEXT:            memref.load %arg0[%[[ROW]], %[[COL]]]
func.func @short_outer_dimension(%a: memref<2x65536xf32>, %b: memref<2x65536xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c65536 = arith.constant 65536 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c2, %c65536) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<2x65536xf32>
    memref.store %x, %b[%i, %j] : memref<2x65536xf32>
    scf.reduce
  }
  return
}

// Row reductions: rows are shared, each row's reduction loop stays inside.
// CHECK-LABEL: func.func @row_sums
// CHECK:         omp.loop_nest (%[[ROW:.*]]) : index = (%c0) to (%c1024) step (%c1) {
// CHECK-NEXT:      scf.for
func.func @row_sums(%a: memref<1024x1024xf32>, %sums: memref<1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i) = (%c0) to (%c1024) step (%c1) {
    scf.for %j = %c0 to %c1024 step %c1 {
      %x = memref.load %a[%i, %j] : memref<1024x1024xf32>
      %s = memref.load %sums[%i] : memref<1024xf32>
      %t = arith.addf %s, %x : f32
      memref.store %t, %sums[%i] : memref<1024xf32>
    }
    scf.reduce
  }
  return
}

// Small nests are not worth a fork; min-work lowers the bar.
// CHECK-LABEL: func.func @small
// CHECK-NOT:     omp.parallel
// CHECK:         scf.parallel
// LOW-LABEL:   func.func @small
// LOW:           omp.parallel
func.func @small(%a: memref<16x16xf32>, %b: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c16, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<16x16xf32>
    memref.store %x, %b[%i, %j] : memref<16x16xf32>
    scf.reduce
  }
  return
}

// A vector operation counts once per element: chunks of a sum in 64 lanes
// (tg-vectorize-lane-loops), 32 x 128 steps of 3 vector operations, are
// 786K operations, enough to share.
// CHECK-LABEL: func.func @vector_lanes_count
// CHECK:         omp.parallel
func.func @vector_lanes_count(%x: memref<32x128x64xf32>, %acc: memref<32x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  scf.parallel (%chunk) = (%c0) to (%c32) step (%c1) {
    scf.for %k = %c0 to %c128 step %c1 {
      %v = vector.load %x[%chunk, %k, %c0] : memref<32x128x64xf32>, vector<64xf32>
      %a = vector.load %acc[%chunk, %c0] : memref<32x64xf32>, vector<64xf32>
      %s = arith.addf %a, %v : vector<64xf32>
      vector.store %s, %acc[%chunk, %c0] : memref<32x64xf32>, vector<64xf32>
    }
    scf.reduce
  }
  return
}

// Loops with reductions and loops nested in others stay as they are.
// CHECK-LABEL: func.func @reduction_stays
// CHECK-NOT:     omp.parallel
func.func @reduction_stays(%a: memref<65536xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 65536 : index
  %zero = arith.constant 0.0 : f32
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %x = memref.load %a[%i] : memref<65536xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
