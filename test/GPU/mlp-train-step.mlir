// REQUIRES: ptxas
// RUN: tgc %tgc_src_root/examples/mlp_fashion_mnist.mlir --target=cuda --emit=ptx -o %t.ptx
// RUN: FileCheck %s --input-file %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: tgc %tgc_src_root/examples/mlp_fashion_mnist.mlir --target=cuda --gpu-arch=sm_80 --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: tgc %tgc_src_root/examples/transformer_block.mlir --target=cuda --emit=ptx -o %t.transformer.ptx
// RUN: %ptxas -arch=sm_90 %t.transformer.ptx -o %t.transformer.cubin

// Whole train steps: the Fashion-MNIST MLP (forward, loss, backward, SGD
// with momentum, init) and the transformer block, every kernel in one module.

// CHECK: .target sm_90
// CHECK: .entry forward_kernel(
// CHECK: .entry train_step_kernel
// The hidden layers' bias gradients (tg-gpu-column-kernels): blocks of 32
// columns by 32 row groups (the batch's 128 rows, 4 a thread), partials in
// shared memory.
// CHECK: .maxntid 32, 32, 1
// CHECK: .shared .align 4 .b8 __wg_train_step_kernel_{{[0-9]+}}_0[4096];
// CHECK: bar.sync
// CHECK: .maxntid 32, 32, 1
// CHECK: .entry tgc_init_kernel
