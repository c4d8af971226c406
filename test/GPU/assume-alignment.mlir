// RUN: tgc-opt %s --pass-pipeline="builtin.module(gpu.module(tg-gpu-assume-alignment))" | FileCheck %s

// A kernel's buffers of identity layout get a 16-byte alignment assumption
// that their uses go through; a strided view (an offset) does not.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @scale
    // CHECK:         %[[A:.*]] = memref.assume_alignment %arg0, 16 : memref<64xf32>
    // CHECK-NOT:     memref.assume_alignment %arg1
    // CHECK:         memref.load %[[A]]
    // CHECK:         memref.store %{{.*}}, %arg1
    gpu.func @scale(%in: memref<64xf32>, %out: memref<8xf32, strided<[1], offset: 3>>) kernel {
      %c0 = arith.constant 0 : index
      %x = memref.load %in[%c0] : memref<64xf32>
      memref.store %x, %out[%c0] : memref<8xf32, strided<[1], offset: 3>>
      gpu.return
    }
  }
}
