// RUN: tgc %tgc_src_root/examples/mlp_fashion_mnist.mlir --target=cuda --emit=mlir -o - | FileCheck %s

// Memory planning on the GPU as on the CPU: the step's kernels update the
// parameters and the optimizer state in their device globals, so the step
// copies no buffer (before, 38 device copies moved them in and out every
// step). @tgc_init still copies initial values into the globals.

// CHECK-LABEL: llvm.func @train_step(
// CHECK-NOT:     llvm.call @mgpuMemcpy
// CHECK:         llvm.return
// CHECK-LABEL: llvm.func @tgc_init(
// CHECK:         llvm.call @mgpuMemcpy
