// RUN: tgc-opt %s --tg-cpu-pipeline | FileCheck %s

// The whole CPU pipeline: a spec with a parameter and a train step becomes
// LLVM dialect only. Every public function gets a C interface
// (`_mlir_ciface_<name>`, memrefs passed as pointers to descriptors);
// transcendental functions without an LLVM intrinsic call libm.
// test/Unit/CompiledVsInterpreterTest.cpp runs such code.

// CHECK-NOT: tg.
// CHECK-DAG: llvm.func @erf(f64) -> f64
// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-DAG: llvm.mlir.global private @w(dense<0.000000e+00> : tensor<3xf64>)

// CHECK-LABEL: llvm.func @predict(
// CHECK: llvm.mlir.addressof @w
// CHECK: llvm.call @erf
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_predict(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) attributes {llvm.emit_c_interface}
// CHECK: llvm.call @predict(

// CHECK: llvm.mlir.global private @w_momentum_buffer(dense<0.000000e+00> : tensor<3xf64>)
// CHECK-LABEL: llvm.func @train_step(
// CHECK: llvm.mlir.addressof @w_momentum_buffer
// CHECK-LABEL: llvm.func @_mlir_ciface_train_step(

// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: func.func

ml_program.global private mutable @w(#tg.zeros) : tensor<3xf64>

func.func @predict(%x: tensor<4x3xf64>) -> tensor<4xf64> {
  %w = ml_program.global_load @w : tensor<3xf64>
  %y = tg.mul %x, %w : tensor<4x3xf64>, tensor<3xf64> -> tensor<4x3xf64>
  %g = tg.gelu %y : tensor<4x3xf64>
  %s = tg.reduce_sum %g [1] : tensor<4x3xf64> -> tensor<4xf64>
  return %s : tensor<4xf64>
}

func.func @loss(%x: tensor<4x3xf64>, %t: tensor<4xf64>) -> tensor<f64> {
  %y = func.call @predict(%x) : (tensor<4x3xf64>) -> tensor<4xf64>
  %l = tg.mse_loss %y, %t : tensor<4xf64> -> tensor<f64>
  return %l : tensor<f64>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>
