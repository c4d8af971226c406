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

// -----

// A row's statistics in loops of their own (a cross-entropy over 10
// classes): the buffer each writes is allocated right before it. The
// allocations move before the run and the three loops fuse into one (one
// kernel on the GPU).
// CHECK-LABEL: func.func @row_statistics
// CHECK:         memref.alloc
// CHECK:         memref.alloc
// CHECK:         memref.alloc
// CHECK:         scf.parallel
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:           math.log
// CHECK-NOT:     scf.parallel
func.func @row_statistics(%x: memref<128x10xf32>) -> memref<128xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c128 = arith.constant 128 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<128xf32>
  scf.parallel (%i) = (%c0) to (%c128) step (%c1) {
    %m = scf.for %j = %c0 to %c10 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<128x10xf32>
      %n = arith.maximumf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %m, %max[%i] : memref<128xf32>
    scf.reduce
  }
  %sum = memref.alloc() : memref<128xf32>
  scf.parallel (%i) = (%c0) to (%c128) step (%c1) {
    %m = memref.load %max[%i] : memref<128xf32>
    %s = scf.for %j = %c0 to %c10 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<128x10xf32>
      %d = arith.subf %v, %m : f32
      %e = math.exp %d : f32
      %n = arith.addf %acc, %e : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<128xf32>
    scf.reduce
  }
  %lse = memref.alloc() : memref<128xf32>
  scf.parallel (%i) = (%c0) to (%c128) step (%c1) {
    %m = memref.load %max[%i] : memref<128xf32>
    %s = memref.load %sum[%i] : memref<128xf32>
    %l = math.log %s : f32
    %a = arith.addf %m, %l : f32
    memref.store %a, %lse[%i] : memref<128xf32>
    scf.reduce
  }
  return %lse : memref<128xf32>
}

// -----

// A matmul over a short reduction left as loops (fill, product), then a GEMM
// call independent of them (the weight gradient's), then the product's
// consumer: the call moves after the consumer, and the three loops fuse.
// CHECK-LABEL: func.func @call_between_producer_and_consumer
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:           arith.cmpf
// CHECK:           memref.store
// CHECK-NOT:     scf.parallel
// CHECK:         call @gemm
func.func private @gemm(memref<4x8xf32>, memref<8x16xf32>, memref<4x16xf32>)
    attributes {tg.operands_only, tg.read_only_operands = array<i64: 0, 1>}
func.func @call_between_producer_and_consumer(%h: memref<4x16xf32>, %out: memref<4x16xf32>) {
  // Weights and gradients: memory of the step's own, unlike the arguments.
  %a = memref.alloc() : memref<4x8xf32>
  %b = memref.alloc() : memref<8x16xf32>
  %w = memref.alloc() : memref<4x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %d = memref.alloc() : memref<4x16xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    memref.store %zero, %d[%i, %j] : memref<4x16xf32>
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %k] : memref<4x8xf32>
      %y = memref.load %b[%k, %j] : memref<8x16xf32>
      %s = memref.load %d[%i, %j] : memref<4x16xf32>
      %p = arith.mulf %x, %y : f32
      %t = arith.addf %s, %p : f32
      memref.store %t, %d[%i, %j] : memref<4x16xf32>
    }
  }
  // Reads %a and %b, which the loops only read too.
  call @gemm(%a, %b, %w) : (memref<4x8xf32>, memref<8x16xf32>, memref<4x16xf32>) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %g = memref.load %d[%i, %j] : memref<4x16xf32>
    %v = memref.load %h[%i, %j] : memref<4x16xf32>
    %positive = arith.cmpf ogt, %v, %zero : f32
    %r = arith.select %positive, %g, %zero : f32
    memref.store %r, %out[%i, %j] : memref<4x16xf32>
  }
  memref.dealloc %d : memref<4x16xf32>
  memref.dealloc %a : memref<4x8xf32>
  memref.dealloc %b : memref<8x16xf32>
  memref.dealloc %w : memref<4x16xf32>
  return
}

// -----

// A call that writes what the consumer reads stays between the loops.
// CHECK-LABEL: func.func @call_feeding_the_consumer
// CHECK:         scf.parallel
// CHECK:         call @gemm
// CHECK:         scf.parallel
func.func private @gemm(memref<4x8xf32>, memref<8x16xf32>, memref<4x16xf32>)
    attributes {tg.operands_only, tg.read_only_operands = array<i64: 0, 1>}
func.func @call_feeding_the_consumer(%a: memref<4x8xf32>, %b: memref<8x16xf32>,
                                     %out: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %d = memref.alloc() : memref<4x16xf32>
  %w = memref.alloc() : memref<4x16xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %x = memref.load %a[%i, %c0] : memref<4x8xf32>
    memref.store %x, %d[%i, %j] : memref<4x16xf32>
  }
  call @gemm(%a, %b, %w) : (memref<4x8xf32>, memref<8x16xf32>, memref<4x16xf32>) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %g = memref.load %d[%i, %j] : memref<4x16xf32>
    %v = memref.load %w[%i, %j] : memref<4x16xf32>
    %r = arith.addf %g, %v : f32
    memref.store %r, %out[%i, %j] : memref<4x16xf32>
  }
  memref.dealloc %d : memref<4x16xf32>
  memref.dealloc %w : memref<4x16xf32>
  return
}

// -----

// The array limit counts each stretch of loops with the same bounds on its
// own: the loss's loops over 4 x 10 elements (six arrays) come first in
// the run, yet the two 4 x 16 loops after them (three arrays) still fuse.
// CHECK-LABEL: func.func @limit_per_bounds
// CHECK-COUNT-2: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %c10)
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %c16)
// CHECK-NOT:     scf.parallel
func.func @limit_per_bounds(%l0: memref<4x10xf32>, %l1: memref<4x10xf32>, %l2: memref<4x10xf32>,
                            %l3: memref<4x10xf32>) {
  %w = memref.alloc() : memref<10x16xf32>
  %out = memref.alloc() : memref<4x16xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c10 = arith.constant 10 : index
  %c16 = arith.constant 16 : index
  %g = memref.alloc() : memref<4x10xf32>
  %h = memref.alloc() : memref<4x10xf32>
  %d = memref.alloc() : memref<4x16xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c10) step (%c1, %c1) {
    %x = memref.load %l0[%i, %j] : memref<4x10xf32>
    %y = memref.load %l1[%i, %j] : memref<4x10xf32>
    %z = memref.load %l2[%i, %j] : memref<4x10xf32>
    %s = arith.addf %x, %y : f32
    %t = arith.addf %s, %z : f32
    memref.store %t, %g[%i, %j] : memref<4x10xf32>
  }
  // Reads %g shifted: does not fuse with the loop before.
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c10) step (%c1, %c1) {
    %x = memref.load %g[%i, %c0] : memref<4x10xf32>
    %y = memref.load %l3[%i, %j] : memref<4x10xf32>
    %s = arith.mulf %x, %y : f32
    memref.store %s, %h[%i, %j] : memref<4x10xf32>
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %x = memref.load %h[%i, %c0] : memref<4x10xf32>
    %y = memref.load %w[%c0, %j] : memref<10x16xf32>
    %s = arith.mulf %x, %y : f32
    memref.store %s, %d[%i, %j] : memref<4x16xf32>
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c16) step (%c1, %c1) {
    %x = memref.load %d[%i, %j] : memref<4x16xf32>
    %s = arith.mulf %x, %x : f32
    memref.store %s, %out[%i, %j] : memref<4x16xf32>
  }
  memref.dealloc %g : memref<4x10xf32>
  memref.dealloc %h : memref<4x10xf32>
  memref.dealloc %d : memref<4x16xf32>
  memref.dealloc %w : memref<10x16xf32>
  memref.dealloc %out : memref<4x16xf32>
  return
}
