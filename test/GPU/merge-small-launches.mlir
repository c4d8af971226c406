// RUN: tgc-opt %s --tg-gpu-merge-small-launches --split-input-file | FileCheck %s

// A cross-entropy's tail as tg-gpu-launch leaves it: a block, a thread and
// three blocks. One launch of one block runs them in order, a barrier
// between each; the three blocks in a loop whose index is the block id.
// The deallocation between them waits for the merged launch.
// CHECK-LABEL: func.func @chain
// CHECK:         gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[ONE:.*]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%[[TID:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK:           memref.store %{{.*}}, %{{.*}}[%[[TID]]] : memref<256xf32>
// CHECK-NEXT:      gpu.barrier
// CHECK:           %[[FIRST:.*]] = arith.cmpi eq, %[[TID]], %{{.*}}
// CHECK-NEXT:      scf.if %[[FIRST]] {
// CHECK:             memref.store %{{.*}}, %{{.*}}[] : memref<f32>
// CHECK:           gpu.barrier
// CHECK:           scf.for %[[BLOCK:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             %[[START:.*]] = arith.muli %[[BLOCK]], %{{.*}}
// CHECK:             arith.addi %[[START]], %[[TID]]
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
// CHECK:         gpu.dealloc
// CHECK-NEXT:    return
func.func @chain(%a: memref<256xf32>, %s: memref<f32>, %b: memref<768xf32>) {
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1.0 : f32
  %scratch = gpu.alloc () : memref<256xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %scratch[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.dealloc %scratch : memref<256xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %one, %s[] : memref<f32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c3, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %start = arith.muli %bx, %c256 : index
    %i = arith.addi %start, %tx : index
    %x = memref.load %s[] : memref<f32>
    memref.store %x, %b[%i] : memref<768xf32>
    gpu.terminator
  }
  return
}

// -----

// What ends a run: a call (a cuBLAS matmul), a launch of more than 8
// blocks, a launch of several blocks that synchronizes its threads, and
// other threads per block. Nothing here merges.
// CHECK-LABEL: func.func @apart
// CHECK-COUNT-6: gpu.launch
// CHECK-NOT:     gpu.launch
func.func private @matmul(memref<256xf32>)
func.func @apart(%a: memref<256xf32>, %big: memref<4096xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  func.call @matmul(%a) : (memref<256xf32>) -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c16, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %start = arith.muli %bx, %c256 : index
    %i = arith.addi %start, %tx : index
    memref.store %one, %big[%i] : memref<4096xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%tx] : memref<256xf32>
    %sum = gpu.all_reduce add %x uniform {} : (f32) -> (f32)
    memref.store %sum, %big[%bx] : memref<4096xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c128, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  return
}

// -----

// A block that synchronizes its threads (a block reduction) joins as it
// is: all the merged block's threads run it.
// CHECK-LABEL: func.func @reduction
// CHECK:         gpu.launch
// CHECK:           gpu.all_reduce add
// CHECK:           memref.store
// CHECK-NEXT:      gpu.barrier
// CHECK:           memref.store
// CHECK:           gpu.terminator
// CHECK-NOT:     gpu.launch
func.func @reduction(%a: memref<256xf32>, %s: memref<f32>) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %x = memref.load %a[%tx] : memref<256xf32>
    %sum = gpu.all_reduce add %x uniform {} : (f32) -> (f32)
    memref.store %sum, %s[] : memref<f32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %x = memref.load %s[] : memref<f32>
    memref.store %x, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  return
}

// -----

// A one-thread launch of several blocks stays apart: the merged block
// would run it on one thread of one block.
// CHECK-LABEL: func.func @threads_of_one
// CHECK-COUNT-3: gpu.launch
func.func @threads_of_one(%a: memref<256xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%bx] : memref<256xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<256xf32>
    gpu.terminator
  }
  return
}

// -----

// The step counter's one-thread launch moves down past a matmul on other
// buffers (the runtime's functions touch only their operands) and joins the
// next small launch. The bias's one-thread launch stays before the matmul
// that reads what it writes, and the last one before the deallocation of
// its buffer: each joins the launch before it instead.
// CHECK-LABEL: func.func @sink_one_thread
// CHECK:         call @tgc_cuda_matmul_f32(%[[M:.*]], %[[M]], %[[M]], %[[UNUSED:.*]])
// CHECK:         gpu.launch
// CHECK:           memref.store %{{.*}}, %{{.*}}[] : memref<i64>
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<256xf32>
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}}, %arg1[] : memref<f32>
// CHECK:           gpu.terminator
// CHECK:         call @tgc_cuda_matmul_f32(%[[M]], %[[M]], %[[M]], %arg1)
// CHECK:         gpu.launch
// CHECK:           memref.store %{{.*}}, %[[S:.*]][] : memref<f32>
// CHECK:           gpu.terminator
// CHECK:         gpu.dealloc %[[S]]
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK:         gpu.launch
memref.global "private" @step : memref<i64> = dense<0>
func.func private @tgc_cuda_matmul_f32(memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>, memref<f32>) attributes {tg.operands_only}
func.func @sink_one_thread(%a: memref<4x4xf32>, %bias: memref<f32>, %out: memref<256xf32>) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %one = arith.constant 1 : i64
  %x = arith.constant 2.0 : f32
  %step = memref.get_global @step : memref<i64>
  %m = gpu.alloc () : memref<4x4xf32>
  %unused = gpu.alloc () : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %t = memref.load %step[] : memref<i64>
    %t1 = arith.addi %t, %one : i64
    memref.store %t1, %step[] : memref<i64>
    gpu.terminator
  }
  call @tgc_cuda_matmul_f32(%m, %m, %m, %unused) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>, memref<f32>) -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %f = arith.constant 1.0 : f32
    memref.store %f, %out[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %x, %bias[] : memref<f32>
    gpu.terminator
  }
  call @tgc_cuda_matmul_f32(%m, %m, %m, %bias) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>, memref<f32>) -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %f = arith.constant 2.0 : f32
    memref.store %f, %out[%tx] : memref<256xf32>
    gpu.terminator
  }
  %s = gpu.alloc () : memref<f32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %x, %s[] : memref<f32>
    gpu.terminator
  }
  gpu.dealloc %s : memref<f32>
  call @tgc_cuda_matmul_f32(%m, %m, %m, %unused) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>, memref<f32>) -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %f = arith.constant 3.0 : f32
    memref.store %f, %out[%tx] : memref<256xf32>
    gpu.terminator
  }
  gpu.dealloc %m : memref<4x4xf32>
  gpu.dealloc %unused : memref<f32>
  return
}
