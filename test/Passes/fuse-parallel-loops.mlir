// RUN: tgc-opt %s --split-input-file --tg-fuse-parallel-loops | FileCheck %s

// A momentum update in place: the moment's loop and the weight's loop share
// @m (the weight reads the new moment at the same index) and fuse; the
// gradient freed between them is freed after the fused loop. The next
// parameter's loop has the same bounds but shares no array: it stays a loop
// of its own.
// CHECK-LABEL: func.func @momentum_updates
// CHECK:         scf.parallel
// CHECK:           memref.store {{.*}}, %[[M:.*]][%{{.*}}]
// CHECK:           memref.load %[[M]]
// CHECK:           memref.store {{.*}}, %[[W:.*]][%{{.*}}]
// CHECK:         memref.dealloc %[[GRAD:.*]] :
// CHECK:         scf.parallel
// CHECK:           memref.store {{.*}}, %[[W2:.*]][%{{.*}}]
// CHECK-NOT:     scf.parallel
memref.global "private" @w : memref<64xf32> = dense<1.0>
memref.global "private" @m : memref<64xf32> = dense<0.0>
memref.global "private" @w2 : memref<64xf32> = dense<1.0>
func.func @momentum_updates() {
  // Gradients (an out-parameter of the gradient's function in a step).
  %grad = memref.alloc() : memref<64xf32>
  %grad2 = memref.alloc() : memref<64xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %w = memref.get_global @w : memref<64xf32>
  %m = memref.get_global @m : memref<64xf32>
  %w2 = memref.get_global @w2 : memref<64xf32>
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %a = memref.load %m[%i] : memref<64xf32>
    %g = memref.load %grad[%i] : memref<64xf32>
    %s = arith.addf %a, %g : f32
    memref.store %s, %m[%i] : memref<64xf32>
    scf.reduce
  }
  memref.dealloc %grad : memref<64xf32>
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %a = memref.load %w[%i] : memref<64xf32>
    %b = memref.load %m[%i] : memref<64xf32>
    %s = arith.subf %a, %b : f32
    memref.store %s, %w[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c1) {
    %a = memref.load %w2[%i] : memref<64xf32>
    %g = memref.load %grad2[%i] : memref<64xf32>
    %s = arith.subf %a, %g : f32
    memref.store %s, %w2[%i] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// The second loop reads the first one's output at another index: fusing
// would read values not yet written. Upstream's check keeps them apart.
// CHECK-LABEL: func.func @shifted_read
// CHECK:         scf.parallel
// CHECK:         scf.parallel
memref.global "private" @x : memref<64xf32> = dense<1.0>
memref.global "private" @y : memref<64xf32> = dense<0.0>
func.func @shifted_read() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c63 = arith.constant 63 : index
  %x = memref.get_global @x : memref<64xf32>
  %y = memref.get_global @y : memref<64xf32>
  scf.parallel (%i) = (%c0) to (%c63) step (%c1) {
    %a = memref.load %x[%i] : memref<64xf32>
    memref.store %a, %y[%i] : memref<64xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c63) step (%c1) {
    %j = arith.addi %i, %c1 : index
    %a = memref.load %y[%j] : memref<64xf32>
    memref.store %a, %x[%i] : memref<64xf32>
    scf.reduce
  }
  return
}
