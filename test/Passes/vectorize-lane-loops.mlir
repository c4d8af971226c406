// RUN: tgc-opt %s --tg-vectorize-lane-loops --split-input-file | FileCheck %s

// A row maximum's lanes (tg-vectorize-reductions, then loops): 64 lanes in
// the loop over the reduced dimension become vector<64xf32> loads, a
// vector maximum and a store at the accumulator's row, the same address in
// every step. The row index stays a scalar.
// CHECK-LABEL: func.func @row_max_lanes
// CHECK:         scf.for %[[K:.*]] =
// CHECK-NOT:       scf.parallel
// CHECK:           %[[X:.*]] = vector.load %{{.*}}[%{{.*}}, %[[K]], %[[C0:.*]]] : memref<8x16x64xf32>, vector<64xf32>
// CHECK:           %[[ACC:.*]] = vector.load %{{.*}}[%{{.*}}, %[[C0]]] : memref<8x64xf32>, vector<64xf32>
// CHECK:           %[[MAX:.*]] = arith.maximumf %[[ACC]], %[[X]] : vector<64xf32>
// CHECK:           vector.store %[[MAX]], %{{.*}}[%{{.*}}, %[[C0]]] : memref<8x64xf32>, vector<64xf32>
func.func @row_max_lanes(%x: memref<8x16x64xf32>, %acc: memref<8x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.for %k = %c0 to %c16 step %c1 {
    scf.parallel (%lane) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %x[%row, %k, %lane] : memref<8x16x64xf32>
      %a = memref.load %acc[%row, %lane] : memref<8x64xf32>
      %m = arith.maximumf %a, %v : f32
      memref.store %m, %acc[%row, %lane] : memref<8x64xf32>
      scf.reduce
    }
  }
  return
}

// -----

// A sum of exponentials with the row's maximum, a scalar loaded once per
// step and broadcast: the subtraction and the exp work on vectors.
// CHECK-LABEL: func.func @sum_of_exps
// CHECK:         scf.for
// CHECK:           %[[X:.*]] = vector.load {{.*}} : memref<8x16x32xf32>, vector<32xf32>
// CHECK:           %[[MAX:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<8xf32>
// CHECK:           %[[B:.*]] = vector.broadcast %[[MAX]] : f32 to vector<32xf32>
// CHECK:           %[[D:.*]] = arith.subf %[[X]], %[[B]] : vector<32xf32>
// CHECK:           math.exp %[[D]] : vector<32xf32>
// CHECK:           arith.addf {{.*}} : vector<32xf32>
// CHECK:           vector.store
func.func @sum_of_exps(%x: memref<8x16x32xf32>, %max: memref<8xf32>, %acc: memref<8x32xf32>,
                       %row: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.for %k = %c0 to %c16 step %c1 {
    scf.parallel (%lane) = (%c0) to (%c32) step (%c1) {
      %v = memref.load %x[%row, %k, %lane] : memref<8x16x32xf32>
      %m = memref.load %max[%row] : memref<8xf32>
      %a = memref.load %acc[%row, %lane] : memref<8x32xf32>
      %d = arith.subf %v, %m : f32
      %e = math.exp %d : f32
      %s = arith.addf %a, %e : f32
      memref.store %s, %acc[%row, %lane] : memref<8x32xf32>
      scf.reduce
    }
  }
  return
}

// -----

// Left alone: a lane loop that computes with the lane index (a one-hot
// comparison), one whose store is not per lane, one that is not in a
// reduction loop, and one of 48 lanes.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-4: scf.parallel
// CHECK-NOT:     vector.
func.func @left_alone(%x: memref<16x64xf32>, %acc: memref<64xf32>, %out: memref<f32>,
                      %y: memref<16x48xf32>, %acc48: memref<48xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c48 = arith.constant 48 : index
  %c64 = arith.constant 64 : index
  %c7 = arith.constant 7 : index
  scf.for %k = %c0 to %c16 step %c1 {
    scf.parallel (%lane) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %x[%k, %lane] : memref<16x64xf32>
      %hot = arith.cmpi eq, %lane, %c7 : index
      %z = arith.constant 0.0 : f32
      %s = arith.select %hot, %v, %z : f32
      memref.store %s, %acc[%lane] : memref<64xf32>
      scf.reduce
    }
    scf.parallel (%lane) = (%c0) to (%c64) step (%c1) {
      %v = memref.load %x[%k, %lane] : memref<16x64xf32>
      memref.store %v, %out[] : memref<f32>
      scf.reduce
    }
    scf.parallel (%lane) = (%c0) to (%c48) step (%c1) {
      %v = memref.load %y[%k, %lane] : memref<16x48xf32>
      memref.store %v, %acc48[%lane] : memref<48xf32>
      scf.reduce
    }
  }
  scf.parallel (%lane) = (%c0) to (%c64) step (%c1) {
    %v = memref.load %x[%c0, %lane] : memref<16x64xf32>
    memref.store %v, %acc[%lane] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// A mask in memory: an i1 takes a byte there, but a vector<16xi1> load
// would read 16 packed bits, so the lanes stay a loop (a causal
// attention's mask read by its masked maximum on the CPU).
// CHECK-LABEL: func.func @mask_lanes
// CHECK:         scf.parallel
// CHECK:           memref.load %{{.*}} : memref<4x16xi1>
// CHECK-NOT:     vector.load
func.func @mask_lanes(%mask: memref<4x16xi1>, %x: memref<4x16xf32>, %acc: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %lowest = arith.constant -3.40282347E+38 : f32
  scf.for %k = %c0 to %c4 step %c1 {
    scf.parallel (%lane) = (%c0) to (%c16) step (%c1) {
      %visible = memref.load %mask[%k, %lane] : memref<4x16xi1>
      %v = memref.load %x[%k, %lane] : memref<4x16xf32>
      %s = arith.select %visible, %v, %lowest : f32
      %a = memref.load %acc[%lane] : memref<16xf32>
      %m = arith.maximumf %a, %s : f32
      memref.store %m, %acc[%lane] : memref<16xf32>
      scf.reduce
    }
  }
  return
}
