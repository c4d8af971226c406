// RUN: tgc-opt %s --tg-gpu-kernel-noalias | FileCheck %s

// After convert-gpu-to-nvvm: kernels are llvm.funcs taking each memref as
// its unpacked descriptor (allocated pointer, aligned pointer, offset, sizes,
// strides: five arguments for rank 1, seven for rank 2), while the host's
// launches are still on memrefs.

module attributes {gpu.container_module} {
  memref.global "private" @weights : memref<4xf32> = dense<0.0>

  gpu.module @kernels {
    // Operands on memory of their own (two allocations, a global, an
    // argument of the host function) get noalias on their aligned pointers;
    // a scalar operand is one argument.
    // CHECK-LABEL: llvm.func @distinct
    // CHECK-SAME: (%arg0: !llvm.ptr, %arg1: !llvm.ptr {llvm.noalias}, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: f32,
    // CHECK-SAME: %arg6: !llvm.ptr, %arg7: !llvm.ptr {llvm.noalias},
    // CHECK-SAME: %arg11: !llvm.ptr, %arg12: !llvm.ptr {llvm.noalias},
    // CHECK-SAME: %arg16: !llvm.ptr, %arg17: !llvm.ptr {llvm.noalias},
    llvm.func @distinct(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64, %s: f32,
                        %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64,
                        %c0: !llvm.ptr, %c1: !llvm.ptr, %c2: i64, %c3: i64, %c4: i64,
                        %d0: !llvm.ptr, %d1: !llvm.ptr, %d2: i64, %d3: i64, %d4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }

    // A buffer and a view of it (a collapsed shape), and the same global
    // twice, overlap: only the other allocation gets noalias.
    // CHECK-LABEL: llvm.func @overlapping
    // CHECK-SAME: (%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64,
    // CHECK-SAME: %arg7: !llvm.ptr, %arg8: !llvm.ptr, %arg9: i64,
    // CHECK-SAME: %arg12: !llvm.ptr, %arg13: !llvm.ptr, %arg14: i64,
    // CHECK-SAME: %arg17: !llvm.ptr, %arg18: !llvm.ptr, %arg19: i64,
    // CHECK-SAME: %arg22: !llvm.ptr, %arg23: !llvm.ptr {llvm.noalias}, %arg24: i64,
    llvm.func @overlapping(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64, %a5: i64, %a6: i64,
                           %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64,
                           %c0: !llvm.ptr, %c1: !llvm.ptr, %c2: i64, %c3: i64, %c4: i64,
                           %d0: !llvm.ptr, %d1: !llvm.ptr, %d2: i64, %d3: i64, %d4: i64,
                           %e0: !llvm.ptr, %e1: !llvm.ptr, %e2: i64, %e3: i64, %e4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }

    // An operand of unknown memory (a call's result) may overlap any other:
    // no argument gets noalias.
    // CHECK-LABEL: llvm.func @unknown
    // CHECK-NOT:   llvm.noalias
    // CHECK:       llvm.return
    llvm.func @unknown(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64,
                       %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }

    // Two arguments of the launching entry point (a batch and its labels)
    // are the caller's distinct buffers; arguments of a private function
    // may be one buffer passed twice.
    // CHECK-LABEL: llvm.func @two_inputs
    // CHECK-SAME: (%arg0: !llvm.ptr, %arg1: !llvm.ptr {llvm.noalias},
    // CHECK-SAME: %arg5: !llvm.ptr, %arg6: !llvm.ptr {llvm.noalias},
    llvm.func @two_inputs(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64,
                          %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
    // CHECK-LABEL: llvm.func @private_arguments
    // CHECK-NOT:   llvm.noalias
    // CHECK:       llvm.return
    llvm.func @private_arguments(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64,
                                 %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }

    // Launched twice: on two allocations, then on a buffer and a view of
    // it. Every launch must give an operand memory of its own.
    // CHECK-LABEL: llvm.func @launched_twice
    // CHECK-NOT:   llvm.noalias
    // CHECK:       llvm.return
    llvm.func @launched_twice(%a0: !llvm.ptr, %a1: !llvm.ptr, %a2: i64, %a3: i64, %a4: i64,
                              %b0: !llvm.ptr, %b1: !llvm.ptr, %b2: i64, %b3: i64, %b4: i64)
        attributes {gpu.kernel, nvvm.kernel} {
      llvm.return
    }
  }

  func.func private @opaque() -> memref<4xf32>

  func.func @inputs(%x: memref<4xf32>, %labels: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@two_inputs blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%x : memref<4xf32>, %labels : memref<4xf32>)
    func.call @helper(%x, %x) : (memref<4xf32>, memref<4xf32>) -> ()
    return
  }

  func.func private @helper(%a: memref<4xf32>, %b: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@private_arguments blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %b : memref<4xf32>)
    return
  }

  // CHECK-LABEL: func.func @host
  func.func @host(%input: memref<4xf32>, %scale: f32) {
    %c1 = arith.constant 1 : index
    %a = gpu.alloc () : memref<4xf32>
    %b = memref.alloc () : memref<4xf32>
    %w = memref.get_global @weights : memref<4xf32>
    gpu.launch_func @kernels::@distinct blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %scale : f32, %b : memref<4xf32>, %w : memref<4xf32>,
             %input : memref<4xf32>)

    %matrix = gpu.alloc () : memref<2x2xf32>
    %flat = memref.collapse_shape %matrix [[0, 1]] : memref<2x2xf32> into memref<4xf32>
    %w2 = memref.get_global @weights : memref<4xf32>
    %c = gpu.alloc () : memref<4xf32>
    gpu.launch_func @kernels::@overlapping blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%matrix : memref<2x2xf32>, %flat : memref<4xf32>, %w : memref<4xf32>,
             %w2 : memref<4xf32>, %c : memref<4xf32>)

    %o = func.call @opaque() : () -> memref<4xf32>
    gpu.launch_func @kernels::@unknown blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%o : memref<4xf32>, %a : memref<4xf32>)

    gpu.launch_func @kernels::@launched_twice blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %b : memref<4xf32>)
    %view = memref.cast %a : memref<4xf32> to memref<4xf32, strided<[1]>>
    %same = memref.cast %view : memref<4xf32, strided<[1]>> to memref<4xf32>
    gpu.launch_func @kernels::@launched_twice blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
        args(%a : memref<4xf32>, %same : memref<4xf32>)
    return
  }
}
