// RUN: tgc-opt %s --tg-gpu-launch --split-input-file | FileCheck %s

// A parallel loop: one thread per iteration of the flattened 4x8 space,
// blocks of 256, the last block guarded; (i, j) from the row-major id.

// CHECK-LABEL: func.func @parallel
// CHECK-DAG:     %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         %[[BLOCKS:.*]] = arith.ceildivui %[[TOTAL:.*]], %[[C256]] : index
// CHECK:         gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BLOCKS]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK:           %[[START:.*]] = arith.muli %[[BX]], %[[C256]] : index
// CHECK:           %[[ID:.*]] = arith.addi %[[START]], %[[TX]] : index
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[TOTAL]] : index
// CHECK:           scf.if %[[IN]] {
// CHECK:             arith.remui %[[ID]], %{{.*}} : index
// CHECK:             arith.divui %[[ID]], %{{.*}} : index
// CHECK:             memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<4x8xf32>
// CHECK:             math.exp
// CHECK:             memref.store
// CHECK:           gpu.terminator
// CHECK-NOT:     scf.parallel
func.func @parallel(%in: memref<4x8xf32>, %out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %x = memref.load %in[%i, %j] : memref<4x8xf32>
    %e = math.exp %x : f32
    memref.store %e, %out[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}

// -----

// Loads and stores outside parallel loops (a full reduction, a 0-d update)
// run in one single-thread launch; allocations and copies move to the
// device; a copy with a layout becomes a parallel loop, hence a kernel.
// (Deallocation is tg-gpu-device-deallocs' business.)

// CHECK-LABEL: func.func @serial
// CHECK:         %[[BUF:.*]] = gpu.alloc () : memref<16xf32>
// CHECK:         gpu.memcpy %[[BUF]], %{{.*}} : memref<16xf32>, memref<16xf32>
// CHECK:         %[[ONE:.*]] = arith.constant 1 : index
// CHECK:         gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK:           scf.for
// CHECK:           memref.load %{{.*}}[] : memref<i64>
// CHECK:           arith.addi
// CHECK:           memref.store %{{.*}}, %{{.*}}[] : memref<i64>
// CHECK:           gpu.terminator
// CHECK:         gpu.launch
// CHECK:           memref.load %{{.*}} : memref<4xf32, strided<[2], offset: 1>>
// CHECK:         memref.dealloc %[[BUF]] : memref<16xf32>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
func.func @serial(%x: memref<16xf32>, %sum: memref<f32>, %count: memref<i64>,
                  %strided: memref<4xf32, strided<[2], offset: 1>>, %dense: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %one = arith.constant 1 : i64
  %buf = memref.alloc() : memref<16xf32>
  memref.copy %x, %buf : memref<16xf32> to memref<16xf32>
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %buf[%i] : memref<16xf32>
    %s = memref.load %sum[] : memref<f32>
    %t = arith.addf %s, %v : f32
    memref.store %t, %sum[] : memref<f32>
  }
  %n = memref.load %count[] : memref<i64>
  %m = arith.addi %n, %one : i64
  memref.store %m, %count[] : memref<i64>
  memref.copy %strided, %dense : memref<4xf32, strided<[2], offset: 1>> to memref<4xf32>
  memref.dealloc %buf : memref<16xf32>
  return
}

// -----

// A scalar read on the device that a later kernel needs passes through a
// device buffer of its own.

// CHECK-LABEL: func.func @scalar_to_kernel
// CHECK:         %[[SPILL:.*]] = gpu.alloc () : memref<f32>
// CHECK:         gpu.launch
// CHECK:           %[[S:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK:           %[[T:.*]] = arith.mulf %[[S]], %[[S]] : f32
// CHECK:           memref.store %[[T]], %[[SPILL]][] : memref<f32>
// CHECK:         gpu.launch
// CHECK:           scf.if
// CHECK:             %[[RELOAD:.*]] = memref.load %[[SPILL]][] : memref<f32>
// CHECK:             memref.store %[[RELOAD]], %{{.*}}[%{{.*}}] : memref<8xf32>
// CHECK:         gpu.dealloc %[[SPILL]] : memref<f32>
// CHECK-NEXT:    return
func.func @scalar_to_kernel(%scale: memref<f32>, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %s = memref.load %scale[] : memref<f32>
  %t = arith.mulf %s, %s : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %t, %out[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A returned buffer the function does not own is cloned: on the device, an
// allocation and a device copy.

// CHECK-LABEL: func.func @clone
// CHECK:         %[[COPY:.*]] = gpu.alloc () : memref<4xf32>
// CHECK:         gpu.memcpy %[[COPY]], %arg0 : memref<4xf32>, memref<4xf32>
// CHECK:         return %[[COPY]]
func.func @clone(%x: memref<4xf32>) -> memref<4xf32> {
  %c = bufferization.clone %x : memref<4xf32> to memref<4xf32>
  return %c : memref<4xf32>
}
