// RUN: tgc-opt %s --tg-gpu-column-kernels --split-input-file | FileCheck %s

// A bias's gradient (the column sums of relu's derivative applied to the
// output gradient) and that elementwise producer: one launch of 16 blocks
// of 32 columns by 32 row groups (the most, while each thread keeps 4
// rows). Each thread computes and stores the producer's elements of every
// 32nd row (4 of them, unrolled: their loads are in flight together) and
// sums them; after a barrier the first row group adds the 32 partials to
// the initial value in order and stores the column's sum.
// CHECK-LABEL: func.func @bias_gradient
// CHECK-NOT:     scf.parallel
// CHECK:         gpu.launch blocks(%{{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[LANE:.*]], %[[GROUP:.*]], %{{.*}}) in (%{{.*}} = %c32{{.*}}, %{{.*}} = %c32{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[PARTIALS:.*]] : memref<32x32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:       scf.for
// CHECK:             %[[ZERO:.*]] = arith.constant 0.0
// CHECK:             arith.cmpf ogt
// CHECK:             %[[D:.*]] = arith.mulf
// CHECK:             memref.store %[[D]], %arg2
// CHECK:             %[[D_AGAIN:.*]] = memref.load %arg2
// CHECK:             arith.addf %[[ZERO]], %[[D_AGAIN]]
// CHECK-COUNT-3:     memref.store %{{.*}}, %arg2
// CHECK-NOT:       scf.for
// CHECK:           memref.store %{{.*}}, %[[PARTIALS]][%[[GROUP]], %[[LANE]]]
// CHECK:           gpu.barrier
// CHECK:           scf.if
// CHECK:             memref.store %{{.*}}, %arg3
// CHECK-COUNT-32:    memref.load %[[PARTIALS]]
// CHECK:             memref.store %{{.*}}, %arg3
// CHECK:           gpu.terminator
// CHECK-NOT:     scf.parallel
func.func @bias_gradient(%dh: memref<128x512xf32>, %a: memref<128x512xf32>, %dz: memref<128x512xf32>, %db: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c512) step (%c1, %c1) {
    %g = memref.load %dh[%i, %j] : memref<128x512xf32>
    %x = memref.load %a[%i, %j] : memref<128x512xf32>
    %positive = arith.cmpf ogt, %x, %zero : f32
    %mask = arith.select %positive, %one, %zero : f32
    %d = arith.mulf %g, %mask : f32
    memref.store %d, %dz[%i, %j] : memref<128x512xf32>
  }
  scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
    memref.store %zero, %db[%j] : memref<512xf32>
    %init = memref.load %db[%j] : memref<512xf32>
    %sum = scf.for %i = %c0 to %c128 step %c1 iter_args(%acc = %init) -> (f32) {
      %d = memref.load %dz[%i, %j] : memref<128x512xf32>
      %next = arith.addf %acc, %d : f32
      scf.yield %next : f32
    }
    memref.store %sum, %db[%j] : memref<512xf32>
  }
  return
}

// -----

// Columns that do not fill the last block and rows that the groups do not
// divide: a guard on the column, rows from the group's own by 8 (20 rows
// keep the fewest groups); a max
// combines with -inf. The loop before it reads its output at another
// element, so it stays a loop of its own.
// CHECK-LABEL: func.func @max_with_tails
// CHECK:         scf.parallel
// CHECK:         gpu.launch blocks(%{{.*}}) in (%{{.*}} = %c4{{.*}}, {{.*}} threads(%{{.*}}, %[[GROUP:.*]], %{{.*}}) in
// CHECK:           arith.cmpi ult
// CHECK:           scf.if
// CHECK:             arith.constant 0xFF800000 : f32
// CHECK:             scf.for %{{.*}} = %[[GROUP]] to %c20{{.*}} step %c8
// CHECK:               arith.maximumf
// CHECK:           gpu.barrier
// CHECK-COUNT-8:     arith.maximumf
func.func @max_with_tails(%x: memref<20x100xf32>, %y: memref<20x100xf32>, %m: memref<100xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c20 = arith.constant 20 : index
  %c99 = arith.constant 99 : index
  %c100 = arith.constant 100 : index
  %low = arith.constant -1.0e30 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c20, %c100) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<20x100xf32>
    memref.store %v, %y[%i, %j] : memref<20x100xf32>
  }
  scf.parallel (%j) = (%c0) to (%c100) step (%c1) {
    %r = scf.for %i = %c0 to %c20 step %c1 iter_args(%acc = %low) -> (f32) {
      %v = memref.load %y[%i, %j] : memref<20x100xf32>
      %w = memref.load %y[%i, %c99] : memref<20x100xf32>
      %s = arith.addf %v, %w : f32
      %next = arith.maximumf %acc, %s : f32
      scf.yield %next : f32
    }
    memref.store %r, %m[%j] : memref<100xf32>
  }
  return
}

// -----

// The output gradient itself computed in the producer, by a loop over a
// short reduction (the gradient through a 10-class layer, K = 10, left as
// loops): the loop runs inside the kernel, per element, in each of a
// thread's 4 unrolled rows. A producer whose inner loop stores keeps its
// own kernel.
// CHECK-LABEL: func.func @producer_with_a_short_matmul
// CHECK-NOT:     scf.parallel
// CHECK:         gpu.launch
// CHECK-COUNT-4:   scf.for %{{.*}} = %c0{{.*}} to %c10
// CHECK-NOT:       scf.for
// CHECK:           gpu.barrier
// CHECK-LABEL: func.func @producer_storing_in_its_loop
// CHECK:         scf.parallel
// CHECK:         gpu.launch
func.func @producer_with_a_short_matmul(%dl: memref<128x10xf32>, %w: memref<10x512xf32>, %a: memref<128x512xf32>,
                                        %dz: memref<128x512xf32>, %db: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c512) step (%c1, %c1) {
    %g = scf.for %k = %c0 to %c10 step %c1 iter_args(%acc = %zero) -> (f32) {
      %l = memref.load %dl[%i, %k] : memref<128x10xf32>
      %v = memref.load %w[%k, %j] : memref<10x512xf32>
      %p = arith.mulf %l, %v : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %x = memref.load %a[%i, %j] : memref<128x512xf32>
    %positive = arith.cmpf ogt, %x, %zero : f32
    %mask = arith.select %positive, %one, %zero : f32
    %d = arith.mulf %g, %mask : f32
    memref.store %d, %dz[%i, %j] : memref<128x512xf32>
  }
  scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
    %sum = scf.for %i = %c0 to %c128 step %c1 iter_args(%acc = %zero) -> (f32) {
      %d = memref.load %dz[%i, %j] : memref<128x512xf32>
      %next = arith.addf %acc, %d : f32
      scf.yield %next : f32
    }
    memref.store %sum, %db[%j] : memref<512xf32>
  }
  return
}
func.func @producer_storing_in_its_loop(%dl: memref<128x10xf32>, %dz: memref<128x512xf32>, %db: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c10 = arith.constant 10 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c512) step (%c1, %c1) {
    scf.for %k = %c0 to %c10 step %c1 {
      %l = memref.load %dl[%i, %k] : memref<128x10xf32>
      memref.store %l, %dz[%i, %j] : memref<128x512xf32>
    }
  }
  scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
    %sum = scf.for %i = %c0 to %c128 step %c1 iter_args(%acc = %zero) -> (f32) {
      %d = memref.load %dz[%i, %j] : memref<128x512xf32>
      %next = arith.addf %acc, %d : f32
      scf.yield %next : f32
    }
    memref.store %sum, %db[%j] : memref<512xf32>
  }
  return
}

// -----

// Too few columns, a reduction over the contiguous dimension (a row's, not
// a column's), and a combination without a neutral element stay loops.
// CHECK-LABEL: func.func @not_column_reductions
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-3: scf.parallel
// CHECK-NOT:     gpu.launch
func.func @not_column_reductions(%x: memref<128x512xf32>, %out: memref<512xf32>, %few: memref<128x32xf32>, %f: memref<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  %c128 = arith.constant 128 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%j) = (%c0) to (%c32) step (%c1) {
    %r = scf.for %i = %c0 to %c128 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %few[%i, %j] : memref<128x32xf32>
      %next = arith.addf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %r, %f[%j] : memref<32xf32>
  }
  scf.parallel (%j) = (%c0) to (%c128) step (%c1) {
    %r = scf.for %i = %c0 to %c512 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%j, %i] : memref<128x512xf32>
      %next = arith.addf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %r, %out[%j] : memref<512xf32>
  }
  scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
    %r = scf.for %i = %c0 to %c128 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<128x512xf32>
      %next = arith.subf %acc, %v : f32
      scf.yield %next : f32
    }
    memref.store %r, %out[%j] : memref<512xf32>
  }
  return
}
