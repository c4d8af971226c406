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

// A long last dimension (at least a block, whole warps) and others that fit the grid:
// blocks of 256 along the last dimension (x, guarded), the one before on y,
// the rest on z (4 x 3, split by the block index). No division per thread.

// CHECK-LABEL: func.func @grid
// CHECK:         %[[C256:.*]] = arith.constant 256 : index
// CHECK:         %[[COLUMNS:.*]] = arith.ceildivui %[[LAST:.*]], %[[C256]] : index
// CHECK:         %[[C12:.*]] = arith.constant 12 : index
// CHECK:         gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %[[BZ:.*]]) in (%{{.*}} = %[[COLUMNS]], %{{.*}} = %{{.*}}, %{{.*}} = %[[C12]]) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]],
// CHECK:           %[[START:.*]] = arith.muli %[[BX]], %[[C256]] : index
// CHECK:           %[[COLUMN:.*]] = arith.addi %[[START]], %[[TX]] : index
// CHECK:           arith.remui %[[BZ]], %{{.*}} : index
// CHECK:           arith.divui %[[BZ]], %{{.*}} : index
// CHECK:           %[[IN:.*]] = arith.cmpi ult, %[[COLUMN]], %[[LAST]] : index
// CHECK:           scf.if %[[IN]] {
// CHECK-NOT:         arith.divui
// CHECK:             memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<4x3x5x640xf32>
// CHECK:           gpu.terminator
func.func @grid(%in: memref<4x3x5x640xf32>, %out: memref<4x3x5x640xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c640 = arith.constant 640 : index
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%c4, %c3, %c5, %c640)
      step (%c1, %c1, %c1, %c1) {
    %x = memref.load %in[%i, %j, %k, %l] : memref<4x3x5x640xf32>
    %e = math.exp %x : f32
    memref.store %e, %out[%i, %j, %k, %l] : memref<4x3x5x640xf32>
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

// -----

// Scalar work reading 50 buffers (a loss summing a term of each of 50
// parameters): a kernel's buffer parameters must fit in 4 KB, so the
// thread's work is cut into launches of at most 48 buffers. The partial
// sum passes to the second launch through a device buffer, read there (a
// read on the host would dereference device memory).
// CHECK-LABEL: func.func @many_buffers
// CHECK:         %[[PASSED:.*]] = gpu.alloc () : memref<f32>
// CHECK:         gpu.launch blocks
// CHECK:           memref.store %{{.*}}, %[[PASSED]][]
// CHECK:           gpu.terminator
// CHECK-NOT:     memref.load
// CHECK:         gpu.launch blocks
// CHECK:           memref.load %[[PASSED]][]
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
func.func @many_buffers(%x0: memref<f32>, %x1: memref<f32>, %x2: memref<f32>, %x3: memref<f32>, %x4: memref<f32>, %x5: memref<f32>, %x6: memref<f32>, %x7: memref<f32>, %x8: memref<f32>, %x9: memref<f32>, %x10: memref<f32>, %x11: memref<f32>, %x12: memref<f32>, %x13: memref<f32>, %x14: memref<f32>, %x15: memref<f32>, %x16: memref<f32>, %x17: memref<f32>, %x18: memref<f32>, %x19: memref<f32>, %x20: memref<f32>, %x21: memref<f32>, %x22: memref<f32>, %x23: memref<f32>, %x24: memref<f32>, %x25: memref<f32>, %x26: memref<f32>, %x27: memref<f32>, %x28: memref<f32>, %x29: memref<f32>, %x30: memref<f32>, %x31: memref<f32>, %x32: memref<f32>, %x33: memref<f32>, %x34: memref<f32>, %x35: memref<f32>, %x36: memref<f32>, %x37: memref<f32>, %x38: memref<f32>, %x39: memref<f32>, %x40: memref<f32>, %x41: memref<f32>, %x42: memref<f32>, %x43: memref<f32>, %x44: memref<f32>, %x45: memref<f32>, %x46: memref<f32>, %x47: memref<f32>, %x48: memref<f32>, %x49: memref<f32>, %sum: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  %v0 = memref.load %x0[] : memref<f32>
  %s0 = arith.addf %zero, %v0 : f32
  %v1 = memref.load %x1[] : memref<f32>
  %s1 = arith.addf %s0, %v1 : f32
  %v2 = memref.load %x2[] : memref<f32>
  %s2 = arith.addf %s1, %v2 : f32
  %v3 = memref.load %x3[] : memref<f32>
  %s3 = arith.addf %s2, %v3 : f32
  %v4 = memref.load %x4[] : memref<f32>
  %s4 = arith.addf %s3, %v4 : f32
  %v5 = memref.load %x5[] : memref<f32>
  %s5 = arith.addf %s4, %v5 : f32
  %v6 = memref.load %x6[] : memref<f32>
  %s6 = arith.addf %s5, %v6 : f32
  %v7 = memref.load %x7[] : memref<f32>
  %s7 = arith.addf %s6, %v7 : f32
  %v8 = memref.load %x8[] : memref<f32>
  %s8 = arith.addf %s7, %v8 : f32
  %v9 = memref.load %x9[] : memref<f32>
  %s9 = arith.addf %s8, %v9 : f32
  %v10 = memref.load %x10[] : memref<f32>
  %s10 = arith.addf %s9, %v10 : f32
  %v11 = memref.load %x11[] : memref<f32>
  %s11 = arith.addf %s10, %v11 : f32
  %v12 = memref.load %x12[] : memref<f32>
  %s12 = arith.addf %s11, %v12 : f32
  %v13 = memref.load %x13[] : memref<f32>
  %s13 = arith.addf %s12, %v13 : f32
  %v14 = memref.load %x14[] : memref<f32>
  %s14 = arith.addf %s13, %v14 : f32
  %v15 = memref.load %x15[] : memref<f32>
  %s15 = arith.addf %s14, %v15 : f32
  %v16 = memref.load %x16[] : memref<f32>
  %s16 = arith.addf %s15, %v16 : f32
  %v17 = memref.load %x17[] : memref<f32>
  %s17 = arith.addf %s16, %v17 : f32
  %v18 = memref.load %x18[] : memref<f32>
  %s18 = arith.addf %s17, %v18 : f32
  %v19 = memref.load %x19[] : memref<f32>
  %s19 = arith.addf %s18, %v19 : f32
  %v20 = memref.load %x20[] : memref<f32>
  %s20 = arith.addf %s19, %v20 : f32
  %v21 = memref.load %x21[] : memref<f32>
  %s21 = arith.addf %s20, %v21 : f32
  %v22 = memref.load %x22[] : memref<f32>
  %s22 = arith.addf %s21, %v22 : f32
  %v23 = memref.load %x23[] : memref<f32>
  %s23 = arith.addf %s22, %v23 : f32
  %v24 = memref.load %x24[] : memref<f32>
  %s24 = arith.addf %s23, %v24 : f32
  %v25 = memref.load %x25[] : memref<f32>
  %s25 = arith.addf %s24, %v25 : f32
  %v26 = memref.load %x26[] : memref<f32>
  %s26 = arith.addf %s25, %v26 : f32
  %v27 = memref.load %x27[] : memref<f32>
  %s27 = arith.addf %s26, %v27 : f32
  %v28 = memref.load %x28[] : memref<f32>
  %s28 = arith.addf %s27, %v28 : f32
  %v29 = memref.load %x29[] : memref<f32>
  %s29 = arith.addf %s28, %v29 : f32
  %v30 = memref.load %x30[] : memref<f32>
  %s30 = arith.addf %s29, %v30 : f32
  %v31 = memref.load %x31[] : memref<f32>
  %s31 = arith.addf %s30, %v31 : f32
  %v32 = memref.load %x32[] : memref<f32>
  %s32 = arith.addf %s31, %v32 : f32
  %v33 = memref.load %x33[] : memref<f32>
  %s33 = arith.addf %s32, %v33 : f32
  %v34 = memref.load %x34[] : memref<f32>
  %s34 = arith.addf %s33, %v34 : f32
  %v35 = memref.load %x35[] : memref<f32>
  %s35 = arith.addf %s34, %v35 : f32
  %v36 = memref.load %x36[] : memref<f32>
  %s36 = arith.addf %s35, %v36 : f32
  %v37 = memref.load %x37[] : memref<f32>
  %s37 = arith.addf %s36, %v37 : f32
  %v38 = memref.load %x38[] : memref<f32>
  %s38 = arith.addf %s37, %v38 : f32
  %v39 = memref.load %x39[] : memref<f32>
  %s39 = arith.addf %s38, %v39 : f32
  %v40 = memref.load %x40[] : memref<f32>
  %s40 = arith.addf %s39, %v40 : f32
  %v41 = memref.load %x41[] : memref<f32>
  %s41 = arith.addf %s40, %v41 : f32
  %v42 = memref.load %x42[] : memref<f32>
  %s42 = arith.addf %s41, %v42 : f32
  %v43 = memref.load %x43[] : memref<f32>
  %s43 = arith.addf %s42, %v43 : f32
  %v44 = memref.load %x44[] : memref<f32>
  %s44 = arith.addf %s43, %v44 : f32
  %v45 = memref.load %x45[] : memref<f32>
  %s45 = arith.addf %s44, %v45 : f32
  %v46 = memref.load %x46[] : memref<f32>
  %s46 = arith.addf %s45, %v46 : f32
  %v47 = memref.load %x47[] : memref<f32>
  %s47 = arith.addf %s46, %v47 : f32
  %v48 = memref.load %x48[] : memref<f32>
  %s48 = arith.addf %s47, %v48 : f32
  %v49 = memref.load %x49[] : memref<f32>
  %s49 = arith.addf %s48, %v49 : f32
  memref.store %s49, %sum[] : memref<f32>
  return
}
