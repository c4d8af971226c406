// RUN: tgc-opt %s --tg-hoist-scalar-work --split-input-file | FileCheck %s

// A bias correction computed from the step counter, between a moment's loop
// and the parameter's loop that reads it: it moves up, with its allocation,
// past the loop and the runtime's matmul (which touches only its operands),
// to right after the counter's increment.
// CHECK-LABEL: func.func @bias_correction
// CHECK:         memref.store %{{.*}}, %[[STEP:.*]][] : memref<i64>
// CHECK:         %[[CORRECTION:.*]] = memref.alloc() : memref<f64>
// CHECK-NEXT:    memref.load %[[STEP]][]
// CHECK-NEXT:    arith.sitofp
// CHECK-NEXT:    math.powf
// CHECK-NEXT:    memref.store %{{.*}}, %[[CORRECTION]][]
// CHECK:         call @tgc_matmul_f32
// CHECK-NEXT:    scf.parallel
// CHECK:         scf.parallel
// CHECK:           memref.load %[[CORRECTION]][]
memref.global "private" @step : memref<i64> = dense<0>
func.func private @tgc_matmul_f32(memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) attributes {tg.operands_only}
func.func @bias_correction(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %m: memref<4x4xf32>, %p: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %one = arith.constant 1 : i64
  %beta = arith.constant 0.9 : f64
  %step = memref.get_global @step : memref<i64>
  %t = memref.load %step[] : memref<i64>
  %t1 = arith.addi %t, %one : i64
  memref.store %t1, %step[] : memref<i64>
  call @tgc_matmul_f32(%a, %b, %m) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %g = memref.load %m[%i, %j] : memref<4x4xf32>
    %h = arith.mulf %g, %g : f32
    memref.store %h, %m[%i, %j] : memref<4x4xf32>
  }
  %correction = memref.alloc() : memref<f64>
  %s = memref.load %step[] : memref<i64>
  %sf = arith.sitofp %s : i64 to f64
  %pow = math.powf %beta, %sf : f64
  memref.store %pow, %correction[] : memref<f64>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %c = memref.load %correction[] : memref<f64>
    %cf = arith.truncf %c : f64 to f32
    %g = memref.load %m[%i, %j] : memref<4x4xf32>
    %u = arith.mulf %g, %cf : f32
    memref.store %u, %p[%i, %j] : memref<4x4xf32>
  }
  memref.dealloc %correction : memref<f64>
  return
}

// -----

// A call the analysis cannot see into may touch the counter: the work stays
// after it. A loop that writes what the work reads holds it too, and the
// work then lands after the loops that follow that loop, never between two
// of them (which would keep them from fusing or grouping): here before an
// independent matmul.
// CHECK-LABEL: func.func @held_back
// CHECK:         call @opaque
// CHECK-NEXT:    memref.load
// CHECK-NEXT:    memref.store
// CHECK:         scf.parallel
// CHECK:         scf.parallel
// CHECK:           memref.store
// CHECK:         memref.load %[[X:.*]][%{{.*}}] : memref<4xi64>
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    call @tgc_matmul_f32
memref.global "private" @step : memref<i64> = dense<0>
memref.global "private" @out : memref<i64> = dense<0>
memref.global "private" @x : memref<4xi64> = dense<0>
memref.global "private" @y : memref<4xi64> = dense<0>
memref.global "private" @a : memref<4x4xf32> = dense<0.0>
func.func private @opaque()
func.func private @tgc_matmul_f32(memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) attributes {tg.operands_only}
func.func @held_back() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0 : i64
  %step = memref.get_global @step : memref<i64>
  %out = memref.get_global @out : memref<i64>
  %x = memref.get_global @x : memref<4xi64>
  %y = memref.get_global @y : memref<4xi64>
  %a = memref.get_global @a : memref<4x4xf32>
  memref.store %zero, %step[] : memref<i64>
  call @opaque() : () -> ()
  %s = memref.load %step[] : memref<i64>
  memref.store %s, %out[] : memref<i64>
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %x[%i] : memref<4xi64>
  }
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    memref.store %zero, %y[%i] : memref<4xi64>
  }
  call @tgc_matmul_f32(%a, %a, %a) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
  %e = memref.load %x[%c0] : memref<4xi64>
  memref.store %e, %out[] : memref<i64>
  return
}
