// RUN: tgc-opt %s --tg-gpu-row-kernels --split-input-file | FileCheck %s

// A softmax's loops after tg-accumulate-in-registers: the row max, the sum
// of exponentials, and the normalized elements. One launch, a block of 256
// threads per row; each reduction combines the threads' parts with
// gpu.all_reduce; the row values reach the later loops as SSA values
// (thread 0 stores them); the input, read by all three, is loaded once into
// registers: 4 elements per thread (1024 / 256), no guard as 256 divides
// the row.
// CHECK-LABEL: func.func @softmax
// CHECK-NOT:     scf.parallel
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[ROWS:.*]], {{.*}}) threads(%[[T:[^,]*]], {{.*}}) in ({{.*}} = %[[THREADS:.*]], {{.*}})
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[T]], %{{.*}} : index
// CHECK-COUNT-4:   memref.load %arg0[%{{.*}}, %{{.*}}] : memref<8x1024xf32>
// CHECK-NOT:       memref.load %arg0
// CHECK:           %[[MAX:.*]] = gpu.all_reduce maximumf %{{.*}} uniform
// CHECK:           %[[ROWMAX:.*]] = arith.maximumf %{{.*}}, %[[MAX]] : f32
// CHECK:           scf.if %[[FIRST]] {
// CHECK-NEXT:        memref.store %[[ROWMAX]], %[[MAXES:.*]][%{{.*}}]
// CHECK-COUNT-4:   math.exp
// CHECK:           %[[SUM:.*]] = gpu.all_reduce add %{{.*}} uniform
// CHECK-NOT:       memref.load %[[MAXES]]
// CHECK-COUNT-4:   memref.store %{{.*}}, %arg1[%{{.*}}, %{{.*}}] : memref<8x1024xf32>
// CHECK:           gpu.terminator
// CHECK-NOT:     scf.parallel
func.func @softmax(%x: memref<8x1024xf32>, %y: memref<8x1024xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1024 = arith.constant 1024 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<8xf32>
  %sum = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %ninf, %max[%i] : memref<8xf32>
    %init = memref.load %max[%i] : memref<8xf32>
    %m = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %init) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %n = arith.maximumf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %m, %max[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %zero, %sum[%i] : memref<8xf32>
    %init = memref.load %sum[%i] : memref<8xf32>
    %s = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %init) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %m = memref.load %max[%i] : memref<8xf32>
      %d = arith.subf %v, %m : f32
      %e = math.exp %d : f32
      %n = arith.addf %acc, %e : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1024) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x1024xf32>
    %m = memref.load %max[%i] : memref<8xf32>
    %s = memref.load %sum[%i] : memref<8xf32>
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %p = arith.divf %e, %s : f32
    memref.store %p, %y[%i, %j] : memref<8x1024xf32>
    scf.reduce
  }
  return
}

// -----

// A row that 256 threads do not divide (300): the second stride is guarded
// (its reads clamped to the row, its partials selected).
// CHECK-LABEL: func.func @ragged_row_sum
// CHECK:         gpu.launch
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK:           arith.minui
// CHECK:           arith.select %[[IN]]
// CHECK:           gpu.all_reduce add
func.func @ragged_row_sum(%x: memref<4x300xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c300 = arith.constant 300 : index
  %zero = arith.constant 0.0 : f32
  %sum = memref.alloc() : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %s = scf.for %j = %c0 to %c300 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<4x300xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<4xf32>
    scf.reduce
  }
  return %sum : memref<4xf32>
}

// -----

// The later loop reads another row of what the chain writes: rows are not
// independent, so the reduction is alone in its kernel and the loop stays.
// CHECK-LABEL: func.func @other_row
// CHECK:         gpu.launch
// CHECK:           gpu.all_reduce add
// CHECK:         scf.parallel
func.func @other_row(%x: memref<4x512xf32>, %y: memref<4x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  %zero = arith.constant 0.0 : f32
  %sum = memref.alloc() : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %s = scf.for %j = %c0 to %c512 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<4x512xf32>
      %n = arith.addf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c512) step (%c1, %c1) {
    %k = arith.subi %c3, %i : index
    %s = memref.load %sum[%k] : memref<4xf32>
    %v = memref.load %x[%i, %j] : memref<4x512xf32>
    %p = arith.divf %v, %s : f32
    memref.store %p, %y[%i, %j] : memref<4x512xf32>
    scf.reduce
  }
  return
}

// -----

// Several buffers that two loops read are cached in the order of their
// first reads (a, b, c), whatever their addresses: the kernel is the same
// from one compilation to the next.
// CHECK-LABEL: func.func @cache_order
// CHECK:         gpu.launch
// CHECK:           memref.load %arg0
// CHECK-NOT:       memref.load %arg2
// CHECK:           memref.load %arg1
// CHECK-NOT:       memref.load %arg0
// CHECK:           memref.load %arg2
// CHECK:           gpu.all_reduce add
func.func @cache_order(%a: memref<4x256xf32>, %b: memref<4x256xf32>, %c: memref<4x256xf32>,
                       %y: memref<4x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  %sum = memref.alloc() : memref<4xf32>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %s = scf.for %j = %c0 to %c256 step %c1 iter_args(%acc = %zero) -> (f32) {
      %u = memref.load %a[%i, %j] : memref<4x256xf32>
      %v = memref.load %b[%i, %j] : memref<4x256xf32>
      %w = memref.load %c[%i, %j] : memref<4x256xf32>
      %uv = arith.mulf %u, %v : f32
      %uvw = arith.mulf %uv, %w : f32
      %n = arith.addf %acc, %uvw : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c256) step (%c1, %c1) {
    %s = memref.load %sum[%i] : memref<4xf32>
    %u = memref.load %a[%i, %j] : memref<4x256xf32>
    %v = memref.load %b[%i, %j] : memref<4x256xf32>
    %w = memref.load %c[%i, %j] : memref<4x256xf32>
    %uv = arith.addf %u, %v : f32
    %uvw = arith.addf %uv, %w : f32
    %p = arith.divf %uvw, %s : f32
    memref.store %p, %y[%i, %j] : memref<4x256xf32>
    scf.reduce
  }
  return
}

// -----

// A cross-entropy with the logits updated in place (SGD on x itself):
// the row max and the sum of exponentials, the picked logit's term
// x[r, label] - logsumexp (a row scalar that reads another element of the
// row), then x -= lr * (softmax - onehot). One kernel:
// - the label is loaded once, at the start;
// - the terms' sum (a loop over all rows) moves after the kernel;
// - the block's threads wait for each other before the update, which
//   overwrites the element that all of them read for the term;
// - x is cached in registers for the two reductions only: the update
//   reads it again (caching it through the update spills registers).
// CHECK-LABEL: func.func @in_place_cross_entropy
// CHECK:         gpu.launch
// CHECK:           memref.load %arg1[%{{.*}}] : memref<8xi32>
// CHECK-COUNT-4:   memref.load %arg0[%{{.*}}, %{{.*}}] : memref<8x1024xf32>
// CHECK:           gpu.all_reduce maximumf
// CHECK:           gpu.all_reduce add
// CHECK:           memref.load %arg0[%{{.*}}, %{{.*}}] : memref<8x1024xf32>
// CHECK:           memref.store %{{.*}}, %[[TERMS:.*]][%{{.*}}] : memref<8xf32>
// CHECK-NOT:       memref.store %{{.*}}, %arg0
// CHECK:           gpu.barrier
// CHECK-NOT:       memref.load %arg1
// CHECK-COUNT-4:   memref.store %{{.*}}, %arg0[%{{.*}}, %{{.*}}] : memref<8x1024xf32>
// CHECK:           gpu.terminator
// CHECK:         memref.store %{{.*}}, %arg2[] : memref<f32>
// CHECK:         scf.for
// CHECK:           memref.load %[[TERMS]]
// CHECK-NOT:     scf.parallel
func.func @in_place_cross_entropy(%x: memref<8x1024xf32>, %labels: memref<8xi32>,
                                  %loss: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1023 = arith.constant 1023 : index
  %c1024 = arith.constant 1024 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %lr = arith.constant 0.1 : f32
  %max = memref.alloc() : memref<8xf32>
  %sum = memref.alloc() : memref<8xf32>
  %lse = memref.alloc() : memref<8xf32>
  %terms = memref.alloc() : memref<8xf32>
  %scale = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %n = arith.maximumf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %m, %max[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %s = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %m = memref.load %max[%i] : memref<8xf32>
      %d = arith.subf %v, %m : f32
      %e = math.exp %d : f32
      %n = arith.addf %acc, %e : f32
      scf.yield %n : f32
    }
    memref.store %s, %sum[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = memref.load %max[%i] : memref<8xf32>
    %s = memref.load %sum[%i] : memref<8xf32>
    %l = math.log %s : f32
    %a = arith.addf %m, %l : f32
    memref.store %a, %lse[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %label = memref.load %labels[%i] : memref<8xi32>
    %k = arith.index_cast %label : i32 to index
    %column = arith.minsi %k, %c1023 : index
    %picked = memref.load %x[%i, %column] : memref<8x1024xf32>
    %a = memref.load %lse[%i] : memref<8xf32>
    %t = arith.subf %picked, %a : f32
    memref.store %t, %terms[%i] : memref<8xf32>
    scf.reduce
  }
  memref.store %zero, %loss[] : memref<f32>
  %total = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
    %t = memref.load %terms[%i] : memref<8xf32>
    %n = arith.addf %acc, %t : f32
    scf.yield %n : f32
  }
  memref.store %total, %loss[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %s = memref.load %sum[%i] : memref<8xf32>
    %r = arith.divf %one, %s : f32
    memref.store %r, %scale[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1024) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x1024xf32>
    %m = memref.load %max[%i] : memref<8xf32>
    %r = memref.load %scale[%i] : memref<8xf32>
    %label = memref.load %labels[%i] : memref<8xi32>
    %d = arith.subf %v, %m : f32
    %e = math.exp %d : f32
    %p = arith.mulf %e, %r : f32
    %k = arith.index_cast %label : i32 to index
    %hit = arith.cmpi eq, %k, %j : index
    %onehot = arith.select %hit, %one, %zero : f32
    %g = arith.subf %p, %onehot : f32
    %step = arith.mulf %g, %lr : f32
    %n = arith.subf %v, %step : f32
    memref.store %n, %x[%i, %j] : memref<8x1024xf32>
    scf.reduce
  }
  return
}

// -----

// The ops between the loops read what a later loop writes (the picked
// logits summed straight from x): they cannot wait until after the kernel,
// so the chain ends before the update, which stays a loop.
// CHECK-LABEL: func.func @update_after_reader
// CHECK:         gpu.launch
// CHECK:           gpu.all_reduce maximumf
// CHECK:           gpu.terminator
// CHECK:         scf.for
// CHECK:         scf.parallel
func.func @update_after_reader(%x: memref<8x1024xf32>, %loss: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1024 = arith.constant 1024 : index
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %max = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %n = arith.maximumf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %m, %max[%i] : memref<8xf32>
    scf.reduce
  }
  %total = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
    %t = memref.load %x[%i, %c0] : memref<8x1024xf32>
    %n = arith.addf %acc, %t : f32
    scf.yield %n : f32
  }
  memref.store %total, %loss[] : memref<f32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1024) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x1024xf32>
    %m = memref.load %max[%i] : memref<8xf32>
    %d = arith.subf %v, %m : f32
    memref.store %d, %x[%i, %j] : memref<8x1024xf32>
    scf.reduce
  }
  return
}

// -----

// A row scalar that reads another row of what a later loop overwrites in
// place: the rows are not independent, so the update stays a loop.
// CHECK-LABEL: func.func @other_row_before_update
// CHECK:         gpu.launch
// CHECK:           gpu.terminator
// CHECK:         scf.parallel
func.func @other_row_before_update(%x: memref<8x1024xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  %c8 = arith.constant 8 : index
  %c1024 = arith.constant 1024 : index
  %ninf = arith.constant 0xFF800000 : f32
  %max = memref.alloc() : memref<8xf32>
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %ninf) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<8x1024xf32>
      %n = arith.maximumf %acc, %v : f32
      scf.yield %n : f32
    }
    memref.store %m, %max[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %k = arith.subi %c7, %i : index
    %v = memref.load %x[%k, %c0] : memref<8x1024xf32>
    memref.store %v, %y[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c1024) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<8x1024xf32>
    %m = memref.load %max[%i] : memref<8xf32>
    %d = arith.subf %v, %m : f32
    memref.store %d, %x[%i, %j] : memref<8x1024xf32>
    scf.reduce
  }
  return
}

// -----

// A bf16 row max: warp shuffles move 32 bits, so the threads' partials
// combine widened to f32 (exact for a max) and the result is narrowed back.
// CHECK-LABEL: func.func @bf16_row_max
// CHECK:         gpu.launch
// CHECK:           %[[WIDE:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK:           %[[MAX:.*]] = gpu.all_reduce maximumf %[[WIDE]] uniform
// CHECK:           arith.truncf %[[MAX]] : f32 to bf16
func.func @bf16_row_max(%x: memref<8x1024xbf16>, %y: memref<8xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c1024 = arith.constant 1024 : index
  %ninf = arith.constant 0xFF80 : bf16
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %m = scf.for %j = %c0 to %c1024 step %c1 iter_args(%acc = %ninf) -> (bf16) {
      %v = memref.load %x[%i, %j] : memref<8x1024xbf16>
      %n = arith.maximumf %acc, %v : bf16
      scf.yield %n : bf16
    }
    memref.store %m, %y[%i] : memref<8xbf16>
    scf.reduce
  }
  return
}
