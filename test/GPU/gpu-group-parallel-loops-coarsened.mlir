// RUN: tgc-opt %s --tg-gpu-group-parallel-loops --split-input-file | FileCheck %s

// Two independent updates of 64 and 4 x 8 elements (multiples of 4): the
// merged loop has 96 / 4 iterations, each running 4 neighbouring iterations
// of one loop; its own elements are read and written as vector<4xf32>
// (16-byte aligned), other reads (a 0-d scale) stay scalar, and the 4 x 8
// loop's indices come back for the first of the four.
// CHECK-LABEL: func.func @coarsened
// CHECK:         %[[C24:.*]] = arith.constant 24 : index
// CHECK:         scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C24]]) step (%{{.*}}) {
// CHECK:           arith.cmpi ult, %[[I]], %c16
// CHECK:           scf.if
// CHECK:             %[[FIRST:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:             %[[X:.*]] = vector.load %{{.*}}[%[[FIRST]]] {alignment = 16 : i64} : memref<64xf32>, vector<4xf32>
// CHECK-COUNT-4:     vector.extract %[[X]]
// CHECK:             memref.load %{{.*}}[] : memref<f32>
// CHECK:             vector.from_elements
// CHECK:             vector.store %{{.*}}, %{{.*}}[%[[FIRST]]] {alignment = 16 : i64} : memref<64xf32>, vector<4xf32>
// CHECK:           } else {
// CHECK:             %[[OFFSET:.*]] = arith.subi %[[I]], %c16
// CHECK:             %[[J:.*]] = arith.muli %[[OFFSET]], %{{.*}} : index
// CHECK:             %[[ROW:.*]] = arith.divui %[[J]], %{{.*}} : index
// CHECK:             %[[COL:.*]] = arith.remui %[[J]], %{{.*}} : index
// CHECK:             vector.store %{{.*}}, %{{.*}}[%[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<4x8xf32>, vector<4xf32>
// CHECK-NOT:     scf.parallel
func.func @coarsened(%scale: memref<f32>) -> (memref<64xf32>, memref<4x8xf32>) {
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<4x8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %x = memref.load %a[%i] : memref<64xf32>
    %s = memref.load %scale[] : memref<f32>
    %y = arith.mulf %x, %s : f32
    memref.store %y, %a[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    memref.store %one, %b[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return %a, %b : memref<64xf32>, memref<4x8xf32>
}

// -----

// A loop whose count is no multiple of 4 (a 10-class bias) runs one
// iteration per merged one, scalar; the other loop of its group keeps its
// 4 and its vector accesses: 64 / 4 + 10 = 26 merged iterations.
// CHECK-LABEL: func.func @mixed_counts
// CHECK:         %[[C26:.*]] = arith.constant 26 : index
// CHECK:         scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C26]]) step (%{{.*}}) {
// CHECK:           arith.cmpi ult, %[[I]], %c16
// CHECK:           scf.if
// CHECK:             vector.load %{{.*}} : memref<64xf32>, vector<4xf32>
// CHECK:             vector.store %{{.*}} : memref<64xf32>, vector<4xf32>
// CHECK:           } else {
// CHECK:             %[[J:.*]] = arith.subi %[[I]], %c16
// CHECK-NOT:         vector
// CHECK:             memref.store %{{.*}}, %{{.*}}[%[[J]]] : memref<10xf32>
// CHECK-NOT:     scf.parallel
func.func @mixed_counts(%scale: memref<f32>) -> (memref<64xf32>, memref<10xf32>) {
  %a = memref.alloc() : memref<64xf32>
  %b = memref.alloc() : memref<10xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %x = memref.load %a[%i] : memref<64xf32>
    %s = memref.load %scale[] : memref<f32>
    %y = arith.mulf %x, %s : f32
    memref.store %y, %a[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c10) step (%c1) {
    %x = memref.load %b[%i] : memref<10xf32>
    %s = memref.load %scale[] : memref<f32>
    %y = arith.mulf %x, %s : f32
    memref.store %y, %b[%i] : memref<10xf32>
    scf.reduce
  }
  return %a, %b : memref<64xf32>, memref<10xf32>
}

// -----

// A loop on its own (the second reads what the first writes) of at least
// 65536 iterations is coarsened too, unless tg-gpu-launch would give it a
// grid (a last dimension of whole warps, as the second's).
// CHECK-LABEL: func.func @alone
// CHECK:         %[[C25600:.*]] = arith.constant 25600 : index
// CHECK:         scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[C25600]])
// CHECK:           vector.load %{{.*}} {alignment = 16 : i64} : memref<1024x100xf32>, vector<4xf32>
// CHECK:           math.exp
// CHECK:           vector.store %{{.*}} {alignment = 16 : i64} : memref<1024x100xf32>, vector<4xf32>
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// CHECK-NOT:       vector.load
func.func @alone() -> (memref<1024x100xf32>, memref<256x256xf32>) {
  %a = memref.alloc() : memref<1024x100xf32>
  %b = memref.alloc() : memref<256x256xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c100 = arith.constant 100 : index
  %c256 = arith.constant 256 : index
  %c1024 = arith.constant 1024 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1024, %c100) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<1024x100xf32>
    %e = math.exp %x : f32
    memref.store %e, %a[%i, %j] : memref<1024x100xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c256, %c256) step (%c1, %c1) {
    %x = memref.load %a[%i, %c0] : memref<1024x100xf32>
    %e = math.exp %x : f32
    memref.store %e, %b[%i, %j] : memref<256x256xf32>
    scf.reduce
  }
  return %a, %b : memref<1024x100xf32>, memref<256x256xf32>
}

// -----

// A loop with a grid of whole warps is coarsened when it reads or writes
// bf16: one element a thread, a warp's access is half a 128-byte line.
// CHECK-LABEL: func.func @narrow_warp_rows
// CHECK:         %[[C16384:.*]] = arith.constant 16384 : index
// CHECK:         scf.parallel (%{{.*}}) = (%{{.*}}) to (%[[C16384]])
// CHECK:           vector.load %{{.*}} {alignment = 8 : i64} : memref<256x256xbf16>, vector<4xbf16>
// CHECK:           vector.store %{{.*}} {alignment = 16 : i64} : memref<256x256xf32>, vector<4xf32>
func.func @narrow_warp_rows(%a: memref<256x256xbf16>) -> memref<256x256xf32> {
  %b = memref.alloc() : memref<256x256xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c256, %c256) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<256x256xbf16>
    %e = arith.extf %x : bf16 to f32
    memref.store %e, %b[%i, %j] : memref<256x256xf32>
    scf.reduce
  }
  return %b : memref<256x256xf32>
}
