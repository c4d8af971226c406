// RUN: tgc-opt %s --tg-gpu-merge-kernel-modules | FileCheck %s

// Outlined kernels, one module each, end up in @tgc_kernels under their
// modules' names; the launches follow.

// CHECK:     gpu.module @tgc_kernels {
// CHECK:       gpu.func @f_kernel(%{{.*}}: memref<8xf32>) kernel
// CHECK:       gpu.func @f_kernel_0(%{{.*}}: memref<8xf32>) kernel
// CHECK:     }
// CHECK-NOT: gpu.module
// CHECK-LABEL: func.func @f
// CHECK:       gpu.launch_func @tgc_kernels::@f_kernel blocks
// CHECK:       gpu.launch_func @tgc_kernels::@f_kernel_0 blocks
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel(%a: memref<8xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%a: memref<8xf32>) kernel {
      gpu.return
    }
  }
  func.func @f(%a: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    return
  }
}
