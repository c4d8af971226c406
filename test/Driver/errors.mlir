// RUN: not tgc %s -o %t 2>&1 | FileCheck %s
// RUN: not tgc %s --target=metal -o %t 2>&1 | FileCheck %s --check-prefix=TARGET
// RUN: not tgc %s -O5 -o %t 2>&1 | FileCheck %s --check-prefix=LEVEL
// RUN: not tgc %t.missing.mlir -o %t 2>&1 | FileCheck %s --check-prefix=MISSING

// A spec without a train step has nothing to build.
// CHECK: error: no tg.train_step in the spec
// TARGET: tgc: error: unsupported target 'metal' (this build has: cpu, cuda)
// LEVEL: tgc: error: -O5 is not an optimization level (0-3)
// MISSING: tgc: error: cannot open input file

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
