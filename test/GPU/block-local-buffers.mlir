// RUN: tgc-opt %s --tg-gpu-block-local-buffers --split-input-file | FileCheck %s
// RUN: tgc-opt %s --tg-gpu-block-local-buffers=max-bytes=540 --split-input-file | FileCheck %s --check-prefix=BUDGET

// A merged loss block as tg-gpu-merge-small-launches leaves it: row
// statistics and a partial sum pass through buffers that only the block
// uses, across a barrier. They become its shared memory (in the order the
// block first uses them); the loss, which the host reads, stays in device
// memory.
// CHECK-LABEL: func.func @phases
// CHECK-NOT:     gpu.alloc () : memref<128xf32>
// CHECK-NOT:     gpu.alloc () : memref<16xf32>
// CHECK:         %[[LOSS:.*]] = gpu.alloc () : memref<f32>
// CHECK:         gpu.launch {{.*}} workgroup(%[[ROWS:.*]] : memref<128xf32, #gpu.address_space<workgroup>>, %[[PARTIAL:.*]] : memref<16xf32, #gpu.address_space<workgroup>>)
// CHECK:           memref.store %{{.*}}, %[[ROWS]][%{{.*}}] : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK:           memref.load %[[ROWS]][%{{.*}}] : memref<128xf32, #gpu.address_space<workgroup>>
// CHECK:           memref.store %{{.*}}, %[[PARTIAL]][%{{.*}}] : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK:           memref.store %{{.*}}, %[[LOSS]][] : memref<f32>
// CHECK-NOT:     gpu.dealloc %{{.*}} : memref<128xf32>
// CHECK:         gpu.dealloc %[[LOSS]] : memref<f32>
// CHECK-NOT:     gpu.dealloc
// BUDGET-LABEL: func.func @phases
// BUDGET:         workgroup(%{{.*}} : memref<128xf32, #gpu.address_space<workgroup>>)
// BUDGET:         gpu.dealloc %{{.*}} : memref<16xf32>
func.func @phases(%logits: memref<128xf32>, %out: memref<f32>) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %c128 = arith.constant 128 : index
  %rows = gpu.alloc () : memref<128xf32>
  %partial = gpu.alloc () : memref<16xf32>
  %loss = gpu.alloc () : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %in = arith.cmpi ult, %tx, %c128 : index
    scf.if %in {
      %x = memref.load %logits[%tx] : memref<128xf32>
      %e = math.exp %x : f32
      memref.store %e, %rows[%tx] : memref<128xf32>
    }
    gpu.barrier
    %few = arith.cmpi ult, %tx, %c16 : index
    scf.if %few {
      %y = memref.load %rows[%tx] : memref<128xf32>
      memref.store %y, %partial[%tx] : memref<16xf32>
    }
    gpu.barrier
    %c0 = arith.constant 0 : index
    %first = arith.cmpi eq, %tx, %c0 : index
    scf.if %first {
      %z = memref.load %partial[%c0] : memref<16xf32>
      memref.store %z, %loss[] : memref<f32>
    }
    gpu.terminator
  }
  gpu.dealloc %rows : memref<128xf32>
  gpu.dealloc %partial : memref<16xf32>
  %v = memref.load %loss[] : memref<f32>
  memref.store %v, %out[] : memref<f32>
  gpu.dealloc %loss : memref<f32>
  return
}

// -----

// What keeps a buffer in device memory: a launch of several blocks (each
// would have a copy of its own), a use by another launch, a view, and a
// buffer of dynamic size.
// CHECK-LABEL: func.func @kept
// CHECK-NOT:     workgroup
// CHECK-COUNT-4: gpu.alloc
// CHECK-NOT:     workgroup
func.func @kept(%n: index) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %blocks = gpu.alloc () : memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c4, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %zero, %blocks[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.dealloc %blocks : memref<64xf32>
  %shared = gpu.alloc () : memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %zero, %shared[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %x = memref.load %shared[%tx] : memref<64xf32>
    memref.store %x, %shared[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.dealloc %shared : memref<64xf32>
  %viewed = gpu.alloc () : memref<64xf32>
  %matrix = memref.expand_shape %viewed [[0, 1]] output_shape [8, 8] : memref<64xf32> into memref<8x8xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %zero, %matrix[%tx, %tx] : memref<8x8xf32>
    gpu.terminator
  }
  gpu.dealloc %viewed : memref<64xf32>
  %dynamic = gpu.alloc (%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %zero, %dynamic[%tx] : memref<?xf32>
    gpu.terminator
  }
  gpu.dealloc %dynamic : memref<?xf32>
  return
}
