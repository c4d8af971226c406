// RUN: tgc-opt %s --tg-gpu-concurrent-branches --split-input-file | FileCheck %s
// RUN: tgc-opt %s --tg-gpu-concurrent-branches="max-deferred-bytes=1024" --split-input-file \
// RUN:   | FileCheck %s --check-prefix=LIMIT

!view = memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>
func.func private @tgc_cuda_matmul_f32(!view, !view, !view, i64)

// A layer's backward as a small model's step runs it: the output gradient
// (a kernel), the input gradient (a GEMM), the weight gradient (a GEMM), the
// activation's derivative (a kernel), the next input gradient (a GEMM), the
// update (a kernel). The heaviest path is all but the weight gradient,
// which runs on the side stream: forked after the work it reads, and the
// update waits for it through an event. The output gradient is freed in
// the branch (the runtime holds it until the join); the main stream joins
// the side one after the last work.
// CHECK-LABEL: func.func @weight_gradient_beside_input_gradient
// CHECK:         gpu.launch
// CHECK:         call @tgc_cuda_matmul_f32(%[[G:[a-z_0-9]+]], %{{.*}}, %[[DH:[a-z_0-9]+]],
// CHECK-NEXT:    call @tgc_cuda_fork()
// CHECK-NEXT:    %[[ONE:.*]] = arith.constant 1 : i32
// CHECK-NEXT:    call @tgc_cuda_use_stream(%[[ONE]])
// CHECK-NEXT:    call @tgc_cuda_matmul_f32(%{{.*}}, %[[G]], %[[DW:[a-z_0-9]+]],
// CHECK-NEXT:    %[[EVENT:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @tgc_cuda_signal(%[[EVENT]])
// CHECK-NEXT:    gpu.dealloc
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @tgc_cuda_use_stream(%[[ZERO]])
// CHECK-NEXT:    gpu.launch
// CHECK:         call @tgc_cuda_matmul_f32
// CHECK-NEXT:    %[[AGAIN:.*]] = arith.constant 0 : i32
// CHECK-NEXT:    call @tgc_cuda_wait(%[[AGAIN]])
// CHECK-NEXT:    gpu.launch
// CHECK:         gpu.terminator
// CHECK-NEXT:    }
// CHECK-NEXT:    call @tgc_cuda_join()
// CHECK-NEXT:    gpu.dealloc
//
// With at most 1 KiB held back, the 16 KiB deallocation joins first; the
// update then needs no event.
// LIMIT-LABEL: func.func @weight_gradient_beside_input_gradient
// LIMIT:         call @tgc_cuda_fork()
// LIMIT:         call @tgc_cuda_join()
// LIMIT-NEXT:    gpu.dealloc
// LIMIT-NOT:     call @tgc_cuda_wait
// LIMIT-NOT:     call @tgc_cuda_join
// LIMIT:         return
func.func @weight_gradient_beside_input_gradient(%x: memref<64xf32>, %input: memref<1x64x64xf32>,
                                                 %w: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %overwrite = arith.constant 0 : i64
  %g = gpu.alloc () : memref<1x64x64xf32>
  %dh = gpu.alloc () : memref<1x64x64xf32>
  %dz = gpu.alloc () : memref<1x64x64xf32>
  %dx = gpu.alloc () : memref<1x64x64xf32>
  %dw = gpu.alloc () : memref<1x64x64xf32>
  %w3 = memref.expand_shape %w [[0, 1], [2]] output_shape [1, 64, 64] : memref<64x64xf32> into memref<1x64x64xf32>
  %gv = memref.cast %g : memref<1x64x64xf32> to !view
  %dhv = memref.cast %dh : memref<1x64x64xf32> to !view
  %dzv = memref.cast %dz : memref<1x64x64xf32> to !view
  %dxv = memref.cast %dx : memref<1x64x64xf32> to !view
  %dwv = memref.cast %dw : memref<1x64x64xf32> to !view
  %wv = memref.cast %w3 : memref<1x64x64xf32> to !view
  %inputv = memref.cast %input : memref<1x64x64xf32> to !view
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c64, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<64xf32>
    memref.store %v, %g[%c0, %bx, %tx] : memref<1x64x64xf32>
    gpu.terminator
  }
  call @tgc_cuda_matmul_f32(%gv, %wv, %dhv, %overwrite) : (!view, !view, !view, i64) -> ()
  call @tgc_cuda_matmul_f32(%inputv, %gv, %dwv, %overwrite) : (!view, !view, !view, i64) -> ()
  gpu.dealloc %g : memref<1x64x64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c64, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %dh[%c0, %bx, %tx] : memref<1x64x64xf32>
    %r = arith.maximumf %v, %zero : f32
    memref.store %r, %dz[%c0, %bx, %tx] : memref<1x64x64xf32>
    gpu.terminator
  }
  call @tgc_cuda_matmul_f32(%dzv, %wv, %dxv, %overwrite) : (!view, !view, !view, i64) -> ()
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c64, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %a = memref.load %dw[%c0, %bx, %tx] : memref<1x64x64xf32>
    %b = memref.load %dx[%c0, %bx, %tx] : memref<1x64x64xf32>
    %s = arith.addf %a, %b : f32
    memref.store %s, %w[%bx, %tx] : memref<64x64xf32>
    gpu.terminator
  }
  gpu.dealloc %dh : memref<1x64x64xf32>
  gpu.dealloc %dz : memref<1x64x64xf32>
  gpu.dealloc %dx : memref<1x64x64xf32>
  gpu.dealloc %dw : memref<1x64x64xf32>
  return
}

// -----

// A chain: every kernel reads what the one before wrote. One stream.
// CHECK-LABEL: func.func @chain
// CHECK-NOT:     call @tgc_cuda
// CHECK:         return
func.func @chain(%a: memref<64xf32>, %b: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<64xf32>
    memref.store %v, %b[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<64xf32>
    memref.store %v, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}

// -----

// Two independent kernels (of buffers of the function: arguments may alias
// each other), then a copy (an operation with other effects): they fork,
// and join before it. Then a kernel reads %b into %c on the side stream
// while the main one writes %a; the main stream's next kernel overwrites %b
// and must wait for that read.
// CHECK-LABEL: func.func @copy_between
// CHECK:         call @tgc_cuda_fork()
// CHECK:         call @tgc_cuda_join()
// CHECK-NEXT:    gpu.memcpy
// CHECK:         gpu.launch
// CHECK:         call @tgc_cuda_fork()
// CHECK:         call @tgc_cuda_use_stream
// CHECK-NEXT:    gpu.launch
// CHECK:         call @tgc_cuda_signal
// CHECK:         call @tgc_cuda_use_stream
// CHECK:         call @tgc_cuda_wait
// CHECK-NEXT:    gpu.launch
// CHECK:         gpu.launch
// CHECK:         call @tgc_cuda_join()
// CHECK-NEXT:    return
func.func @copy_between() {
  %a = gpu.alloc () : memref<64xf32>
  %b = gpu.alloc () : memref<64xf32>
  %c = gpu.alloc () : memref<64xf32>
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %one = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %one, %b[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.memcpy %c, %a : memref<64xf32>, memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    memref.store %one, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<64xf32>
    memref.store %v, %c[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %a[%tx] : memref<64xf32>
    memref.store %v, %b[%tx] : memref<64xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %b[%tx] : memref<64xf32>
    memref.store %v, %a[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
