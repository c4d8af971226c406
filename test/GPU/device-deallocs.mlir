// RUN: tgc-opt %s --tg-gpu-device-deallocs | FileCheck %s

// Device buffers (from gpu.alloc, arguments, views of them) are freed with
// gpu.dealloc; the host lists of the deallocation lowering keep
// memref.dealloc.

// CHECK-LABEL: func.func @frees
// CHECK:         gpu.dealloc %{{.*}} : memref<8xf32>
// CHECK:         gpu.dealloc %arg0 : memref<4xf32>
// CHECK:         %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %arg1
// CHECK:         gpu.dealloc %[[BASE]] : memref<f32>
// CHECK:         memref.dealloc %{{.*}} : memref<2xindex>
// CHECK:         memref.dealloc %{{.*}} : memref<?xi1>
func.func @frees(%arg: memref<4xf32>, %view: memref<2xf32, strided<[1], offset: 2>>) {
  %device = gpu.alloc () : memref<8xf32>
  memref.dealloc %device : memref<8xf32>
  memref.dealloc %arg : memref<4xf32>
  %base, %offset, %size, %stride = memref.extract_strided_metadata %view
      : memref<2xf32, strided<[1], offset: 2>> -> memref<f32>, index, index, index
  memref.dealloc %base : memref<f32>
  %list = memref.alloc() : memref<2xindex>
  memref.dealloc %list : memref<2xindex>
  %flags = memref.alloc() : memref<3xi1>
  %cast = memref.cast %flags : memref<3xi1> to memref<?xi1>
  memref.dealloc %cast : memref<?xi1>
  return
}
