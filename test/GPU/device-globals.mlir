// RUN: tgc-opt %s --tg-gpu-device-globals | FileCheck %s

// Host code reaches each global through its device copy: the host address,
// the size in bytes and whether it is constant go to tgc_cuda_global, and
// its result becomes the buffer of a descriptor of the global's type.

memref.global @tgc_g_w : memref<4x8xf32> = dense<0.0>
memref.global "private" constant @table : memref<3xi64> = dense<[1, 2, 3]>

// CHECK: llvm.func @tgc_cuda_global(!llvm.ptr, i64, i1) -> !llvm.ptr
// CHECK-LABEL: func.func @uses
// CHECK:         %[[HOST:.*]] = memref.get_global @tgc_g_w : memref<4x8xf32>
// CHECK:         %[[ADDRESS:.*]] = memref.extract_aligned_pointer_as_index %[[HOST]]
// CHECK:         %[[POINTER:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr
// CHECK-DAG:     %[[BYTES:.*]] = llvm.mlir.constant(128 : i64) : i64
// CHECK-DAG:     %[[MUTABLE:.*]] = llvm.mlir.constant(false) : i1
// CHECK:         %[[DEVICE:.*]] = llvm.call @tgc_cuda_global(%[[POINTER]], %[[BYTES]], %[[MUTABLE]])
// CHECK:         llvm.insertvalue %[[DEVICE]], %{{.*}}[1]
// CHECK:         %[[W:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<{{.*}}> to memref<4x8xf32>
// CHECK:         llvm.mlir.constant(24 : i64) : i64
// CHECK:         llvm.mlir.constant(true) : i1
// CHECK:         call @consume(%[[W]], %{{.*}})
func.func @uses() {
  %w = memref.get_global @tgc_g_w : memref<4x8xf32>
  %t = memref.get_global @table : memref<3xi64>
  call @consume(%w, %t) : (memref<4x8xf32>, memref<3xi64>) -> ()
  return
}
func.func private @consume(memref<4x8xf32>, memref<3xi64>)
