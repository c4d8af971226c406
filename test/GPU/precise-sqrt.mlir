// RUN: tgc-opt %s --pass-pipeline='builtin.module(gpu.module(tg-gpu-precise-sqrt))' | FileCheck %s

// An f32 square root in a kernel is the correctly rounded sqrt.rn.f32 (as on
// the CPU), not libdevice's __nv_sqrtf (sqrt.approx.f32 under LLVM 22); f64
// ones and fast-math ones are left to convert-gpu-to-nvvm.
// CHECK-LABEL: gpu.func @update
// CHECK:         llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%arg0) : (f32) -> f32
// CHECK:         math.sqrt %arg1 : f64
// CHECK:         math.sqrt %arg0 fastmath<afn> : f32
// CHECK-NOT:     llvm.call_intrinsic
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @update(%x: f32, %y: f64, %out: memref<3xf64>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %a = math.sqrt %x : f32
      %b = math.sqrt %y : f64
      %c = math.sqrt %x fastmath<afn> : f32
      %a64 = arith.extf %a : f32 to f64
      %c64 = arith.extf %c : f32 to f64
      memref.store %a64, %out[%c0] : memref<3xf64>
      memref.store %b, %out[%c1] : memref<3xf64>
      memref.store %c64, %out[%c2] : memref<3xf64>
      gpu.return
    }
  }
}
