// RUN: tgc %s --emit=mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: tgc %s --emit=llvm -o - | FileCheck %s --check-prefix=LLVM
// RUN: rm -rf %t && mkdir -p %t
// RUN: tgc %s --emit=lib -o %t/libemit.a
// RUN: FileCheck %s --check-prefix=HEADER --input-file %t/emit.h
// RUN: tgc %s --emit=obj -o %t/emit.o
// RUN: test -s %t/emit.o
// RUN: tgc %s --emit=lib -o %t/libtimed.a --timing 2>&1 | FileCheck %s --check-prefix=TIMING

// The step, the loss (eval), forward (predict) and @tgc_init get C entry
// points; the state becomes public globals named tgc_g_<name>.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<3x4xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<3xf32>

func.func @forward(%x: tensor<8x4xf32>) -> tensor<8x3xf32> {
  %w = ml_program.global_load @w : tensor<3x4xf32>
  %b = ml_program.global_load @b : tensor<3xf32>
  %y = tg.linear %x, %w, %b : tensor<8x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

func.func @loss(%x: tensor<8x4xf32>, %labels: tensor<8xi32>) -> tensor<f32> {
  %logits = func.call @forward(%x) : (tensor<8x4xf32>) -> tensor<8x3xf32>
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<8x3xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9>

// MLIR-DAG: llvm.mlir.global external @tgc_g_w
// MLIR-DAG: llvm.mlir.global external @tgc_g_w_momentum_buffer
// MLIR-DAG: llvm.mlir.global external @tgc_g_train_step_step
// MLIR-DAG: llvm.func @_mlir_ciface_train_step
// MLIR-DAG: llvm.func @_mlir_ciface_loss
// MLIR-DAG: llvm.func @_mlir_ciface_forward
// MLIR-DAG: llvm.func @_mlir_ciface_tgc_init

// LLVM-DAG: @tgc_g_w = {{.*}}global [3 x [4 x float]] zeroinitializer
// LLVM-DAG: define void @_mlir_ciface_train_step(
// LLVM-DAG: call ptr @_mlir_memref_to_llvm_alloc

// HEADER: const tgc_model *tgc_get_model(void);

// Every stage of the compile is in the --timing report, the passes nested;
// a library's LLVM passes run in parallel on parts of the module.
// TIMING: Execution time report
// TIMING: tg front end
// TIMING: TGExpandTrainStep
// TIMING: code generation pipeline
// TIMING: OneShotBufferizePass
// TIMING: translation to LLVM IR
// TIMING: LLVM optimization and code generation
// TIMING: glue and link
