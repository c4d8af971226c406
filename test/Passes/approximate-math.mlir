// RUN: tgc-opt %s --tg-approximate-math | FileCheck %s

// f32 transcendental functions become arithmetic LLVM can vectorize.
// CHECK-LABEL: func.func @f32_functions
// CHECK-NOT:     math.exp
// CHECK-NOT:     math.log
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf
// CHECK:         return
func.func @f32_functions(%x: f32) -> (f32, f32, f32, f32) {
  %e = math.exp %x : f32
  %l = math.log %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  return %e, %l, %t, %r : f32, f32, f32, f32
}

// f64 keeps the math library's accuracy.
// CHECK-LABEL: func.func @f64_functions
// CHECK:         math.exp
// CHECK:         math.tanh
func.func @f64_functions(%x: f64) -> (f64, f64) {
  %e = math.exp %x : f64
  %t = math.tanh %x : f64
  return %e, %t : f64, f64
}
