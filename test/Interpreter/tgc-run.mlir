// RUN: tgc-run %s --entry=main | FileCheck %s
// RUN: tgc-run %tgc_src_root/examples/mlp.mlir --entry=loss --int-bound=10 --print-limit=4 | FileCheck %s --check-prefix=MLP
// RUN: not tgc-run %s --entry=missing 2>&1 | FileCheck %s --check-prefix=MISSING

// The reference interpreter evaluates tg programs on host tensors.

func.func @main() -> (tensor<2xf64>, tensor<2x2xf64>, tensor<f64>) {
  // softmax([0, ln 3]) = [1/4, 3/4]
  %x = tg.constant dense<[0.0, 1.0986122886681098]> : tensor<2xf64>
  %p = tg.softmax %x : tensor<2xf64>
  %a = tg.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf64>
  %m = tg.matmul %a, %a transpose_rhs : tensor<2x2xf64>, tensor<2x2xf64> -> tensor<2x2xf64>
  %s = tg.reduce_sum %a [0, 1] : tensor<2x2xf64> -> tensor<f64>
  return %p, %m, %s : tensor<2xf64>, tensor<2x2xf64>, tensor<f64>
}
// CHECK: result0: tensor<2xf64> = [0.25, 0.75]
// CHECK: result1: tensor<2x2xf64> = [5, 11, 11, 25]
// CHECK: result2: tensor<f64> = [10]

// With freshly initialized parameters the MLP's cross-entropy is near ln 10.
// MLP: arg0: tensor<128x784xf32> = [{{.*}}, ... (100352 elements)]
// MLP: arg1: tensor<128xi32> = [{{[0-9]}}, {{[0-9]}}, {{[0-9]}}, {{[0-9]}}, ... (128 elements)]
// MLP: result0: tensor<f32> = [2.{{[0-9]+}}]

// MISSING: tgc-run: no function @missing in
