// RUN: tgc-opt %s --tg-accumulate-in-registers --split-input-file | FileCheck %s

// A row sum of two reduced loops: the element is loaded once, carried
// through both loops, and stored once.
// CHECK-LABEL: func.func @row_sums
// CHECK:         %[[OUT:.*]] = memref.alloc() : memref<4xf32>
// CHECK:         scf.parallel (%[[I:.*]]) =
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[I]]]
// CHECK:           %[[INIT:.*]] = memref.load %[[OUT]][%[[I]]]
// CHECK:           %[[SUM:.*]] = scf.for {{.*}} iter_args(%[[OUTER:.*]] = %[[INIT]]) -> (f32) {
// CHECK:             %[[INNER:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[OUTER]]) -> (f32) {
// CHECK-NOT:           memref.load %[[OUT]]
// CHECK:               %[[X:.*]] = memref.load %arg0
// CHECK:               %[[NEW:.*]] = arith.addf %[[ACC]], %[[X]] : f32
// CHECK-NOT:           memref.store
// CHECK:               scf.yield %[[NEW]] : f32
// CHECK:             scf.yield %[[INNER]] : f32
// CHECK:           memref.store %[[SUM]], %[[OUT]][%[[I]]]
func.func @row_sums(%x: memref<4x8x16xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %out = memref.alloc() : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %out[%i] : memref<4xf32>
    scf.for %j = %c0 to %c8 step %c1 {
      scf.for %k = %c0 to %c16 step %c1 {
        %v = memref.load %x[%i, %j, %k] : memref<4x8x16xf32>
        %acc = memref.load %out[%i] : memref<4xf32>
        %s = arith.addf %acc, %v : f32
        memref.store %s, %out[%i] : memref<4xf32>
      }
    }
    scf.reduce
  }
  return %out : memref<4xf32>
}

// -----

// An output the function does not allocate may be one of its inputs: the
// loop keeps its loads and stores.
// CHECK-LABEL: func.func @argument_output
// CHECK:         scf.for
// CHECK:           memref.load %arg1
// CHECK:           memref.store {{.*}}, %arg1
func.func @argument_output(%x: memref<16xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %k = %c0 to %c16 step %c1 {
    %v = memref.load %x[%k] : memref<16xf32>
    %acc = memref.load %out[] : memref<f32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %out[] : memref<f32>
  }
  return
}

// -----

// The loop reads another view of the output's allocation: it stays.
// CHECK-LABEL: func.func @aliasing_view
// CHECK:         scf.for
// CHECK:           memref.load %[[VIEW:.*]][%{{.*}}]
// CHECK:           memref.load %[[BUFFER:.*]][]
// CHECK:           memref.store {{.*}}, %[[BUFFER]][]
func.func @aliasing_view() -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %all = memref.alloc() : memref<17xf32>
  %view = memref.subview %all[0] [16] [1] : memref<17xf32> to memref<16xf32, strided<[1]>>
  %out = memref.subview %all[16] [1] [1] : memref<17xf32> to memref<f32, strided<[], offset: 16>>
  scf.for %k = %c0 to %c16 step %c1 {
    %v = memref.load %view[%k] : memref<16xf32, strided<[1]>>
    %acc = memref.load %out[] : memref<f32, strided<[], offset: 16>>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %out[] : memref<f32, strided<[], offset: 16>>
  }
  %r = memref.alloc() : memref<f32>
  return %r : memref<f32>
}
