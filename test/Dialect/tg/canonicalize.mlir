// RUN: tgc-opt %s --canonicalize --split-input-file | FileCheck %s

// Folders of the core ops. A fold never changes the result type.

// CHECK-LABEL: func.func @constant
// CHECK-NEXT: %[[C:.*]] = tg.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-NEXT: return %[[C]], %[[C]]
func.func @constant() -> (tensor<2xf32>, tensor<2xf32>) {
  %0 = tg.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %1 = tg.constant dense<[1.0, 2.0]> : tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}

// -----

// CHECK-LABEL: func.func @fill
// CHECK-DAG: tg.constant dense<5.000000e-01> : tensor<2x3xf32>
// CHECK-DAG: tg.constant dense<-1> : tensor<4xi8>
// CHECK-DAG: tg.constant dense<true> : tensor<i1>
// A dynamic shape has no dense attribute.
// CHECK-DAG: tg.fill 0.0 : tensor<?x3xf32>
// CHECK-NOT: tg.fill
func.func @fill() -> (tensor<2x3xf32>, tensor<4xi8>, tensor<i1>, tensor<?x3xf32>) {
  %0 = tg.fill 0.5 : tensor<2x3xf32>
  %1 = tg.fill -1 : tensor<4xi8>
  %2 = tg.fill true : tensor<i1>
  %3 = tg.fill 0.0 : tensor<?x3xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<4xi8>, tensor<i1>, tensor<?x3xf32>
}

// -----

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4x3xf32>, %[[I:[a-z0-9]+]]: tensor<?x3xi32>)
// CHECK-NOT: tg.add
// CHECK: return %[[X]], %[[X]], %[[I]]
func.func @add_zero(%x: tensor<4x3xf32>, %i: tensor<?x3xi32>) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<?x3xi32>) {
  %nz = tg.fill -0.0 : tensor<f32>
  %0 = tg.add %x, %nz : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  // The constant moves to the right of the commutative add first.
  %1 = tg.add %nz, %x : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %z = tg.constant dense<0> : tensor<1x3xi32>
  %2 = tg.add %i, %z : tensor<?x3xi32>, tensor<1x3xi32> -> tensor<?x3xi32>
  return %0, %1, %2 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<?x3xi32>
}

// -----

// x + 0.0 is not x when x is -0.0; a zero that enlarges x by broadcasting
// is not an identity either, nor is one that a dynamic dimension may meet.
// CHECK-LABEL: func.func @add_zero_kept
// CHECK-COUNT-3: tg.add
func.func @add_zero_kept(%x: tensor<4xf32>, %d: tensor<?xf32>) -> (tensor<4xf32>, tensor<2x4xf32>, tensor<?xf32>) {
  %pz = tg.fill 0.0 : tensor<4xf32>
  %0 = tg.add %x, %pz : tensor<4xf32>
  %nz = tg.fill -0.0 : tensor<2x4xf32>
  %1 = tg.add %x, %nz : tensor<4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
  %nz4 = tg.fill -0.0 : tensor<4xf32>
  %2 = tg.add %d, %nz4 : tensor<?xf32>, tensor<4xf32> -> tensor<?xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<2x4xf32>, tensor<?xf32>
}

// -----

// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4xf32>, %[[I:[a-z0-9]+]]: tensor<4xi64>)
// CHECK-NOT: tg.sub
// CHECK: return %[[X]], %[[I]]
func.func @sub_zero(%x: tensor<4xf32>, %i: tensor<4xi64>) -> (tensor<4xf32>, tensor<4xi64>) {
  %z = tg.fill 0.0 : tensor<f32>
  %0 = tg.sub %x, %z : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %zi = tg.fill 0 : tensor<4xi64>
  %1 = tg.sub %i, %zi : tensor<4xi64>
  return %0, %1 : tensor<4xf32>, tensor<4xi64>
}

// -----

// 0 - x is not x.
// CHECK-LABEL: func.func @sub_from_zero_kept
// CHECK: tg.sub
func.func @sub_from_zero_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %z = tg.fill 0.0 : tensor<f32>
  %0 = tg.sub %z, %x : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<2x?xbf16>, %[[I:[a-z0-9]+]]: tensor<3xi32>)
// CHECK-NOT: tg.mul
// CHECK: return %[[X]], %[[I]]
func.func @mul_one(%x: tensor<2x?xbf16>, %i: tensor<3xi32>) -> (tensor<2x?xbf16>, tensor<3xi32>) {
  %one = tg.fill 1.0 : tensor<1x1xbf16>
  %0 = tg.mul %one, %x : tensor<1x1xbf16>, tensor<2x?xbf16> -> tensor<2x?xbf16>
  %onei = tg.constant dense<1> : tensor<3xi32>
  %1 = tg.mul %i, %onei : tensor<3xi32>
  return %0, %1 : tensor<2x?xbf16>, tensor<3xi32>
}

// -----

// CHECK-LABEL: func.func @div_one
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4xf64>, %[[I:[a-z0-9]+]]: tensor<4xi32>, %{{.*}}: tensor<4xi1>)
// CHECK: %[[B:.*]] = tg.div
// CHECK: return %[[X]], %[[I]], %[[B]]
func.func @div_one(%x: tensor<4xf64>, %i: tensor<4xi32>, %b: tensor<4xi1>) -> (tensor<4xf64>, tensor<4xi32>, tensor<4xi1>) {
  %one = tg.fill 1.0 : tensor<f64>
  %0 = tg.div %x, %one : tensor<4xf64>, tensor<f64> -> tensor<4xf64>
  %onei = tg.fill 1 : tensor<i32>
  %1 = tg.div %i, %onei : tensor<4xi32>, tensor<i32> -> tensor<4xi32>
  // An i1 "1" reads as -1 when signed: left alone.
  %t = tg.fill true : tensor<i1>
  %2 = tg.div %b, %t : tensor<4xi1>, tensor<i1> -> tensor<4xi1>
  return %0, %1, %2 : tensor<4xf64>, tensor<4xi32>, tensor<4xi1>
}

// -----

// CHECK-LABEL: func.func @cast
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4xf32>)
// CHECK-NEXT: %[[Y:.*]] = tg.cast %[[X]] : tensor<4xf32> to tensor<4xf16>
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @cast(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf16>) {
  %0 = tg.cast %x : tensor<4xf32> to tensor<4xf32>
  %1 = tg.cast %x : tensor<4xf32> to tensor<4xf16>
  return %0, %1 : tensor<4xf32>, tensor<4xf16>
}

// -----

// CHECK-LABEL: func.func @broadcast_to
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK-NEXT: %[[Y:.*]] = tg.broadcast_to %[[X]] : tensor<?x4xf32> -> tensor<2x?x4xf32>
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @broadcast_to(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<2x?x4xf32>) {
  %0 = tg.broadcast_to %x : tensor<?x4xf32> -> tensor<?x4xf32>
  %1 = tg.broadcast_to %x : tensor<?x4xf32> -> tensor<2x?x4xf32>
  return %0, %1 : tensor<?x4xf32>, tensor<2x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @transpose
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4x4xf32>)
// CHECK-NEXT: %[[Y:.*]] = tg.transpose %[[X]] [1, 0]
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @transpose(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %0 = tg.transpose %x [0, 1] : tensor<4x4xf32> -> tensor<4x4xf32>
  %1 = tg.transpose %x [1, 0] : tensor<4x4xf32> -> tensor<4x4xf32>
  return %0, %1 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func.func @reshape
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<2x3xi32>)
// CHECK-NEXT: %[[Y:.*]] = tg.reshape %[[X]] : tensor<2x3xi32> -> tensor<3x2xi32>
// CHECK-NEXT: return %[[X]], %[[Y]]
func.func @reshape(%x: tensor<2x3xi32>) -> (tensor<2x3xi32>, tensor<3x2xi32>) {
  %0 = tg.reshape %x : tensor<2x3xi32> -> tensor<2x3xi32>
  %1 = tg.reshape %x : tensor<2x3xi32> -> tensor<3x2xi32>
  return %0, %1 : tensor<2x3xi32>, tensor<3x2xi32>
}

// -----

// CHECK-LABEL: func.func @slice
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<4x8xf32>, %[[D:[a-z0-9]+]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[S:.*]] = tg.slice %[[X]] [0, 0] to [4, 8] step [1, 2]
// CHECK-NEXT: %[[T:.*]] = tg.slice %[[D]] [0, 0] to [4, 8]
// CHECK-NEXT: return %[[X]], %[[X]], %[[S]], %[[T]]
func.func @slice(%x: tensor<4x8xf32>, %d: tensor<?x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>, tensor<?x8xf32>) {
  %0 = tg.slice %x [0, 0] to [4, 8] : tensor<4x8xf32> -> tensor<4x8xf32>
  %1 = tg.slice %x [0, 0] to [4, 8] step [1, 1] : tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = tg.slice %x [0, 0] to [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  // Whether [0, 4) covers a dynamic dimension is unknown.
  %3 = tg.slice %d [0, 0] to [4, 8] : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0, %1, %2, %3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>, tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @concat
// CHECK-SAME: (%[[A:[a-z0-9]+]]: tensor<4x2xf32>)
// CHECK-NEXT: %[[C:.*]] = tg.concat %[[A]], %[[A]] axis 0
// CHECK-NEXT: return %[[A]], %[[C]]
func.func @concat(%a: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<8x2xf32>) {
  %0 = tg.concat %a axis 1 : tensor<4x2xf32> -> tensor<4x2xf32>
  %1 = tg.concat %a, %a axis 0 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<8x2xf32>
  return %0, %1 : tensor<4x2xf32>, tensor<8x2xf32>
}

// -----

// A float narrowed after a layout op is narrowed before it, where it meets
// the exact widening that made its input: bf16 -> f32 -> bf16 folds away
// (autocast's round trips around a head split).
// CHECK-LABEL: func.func @round_trip_through_layout
// CHECK-NEXT:    %[[R:.*]] = tg.reshape %arg0 : tensor<2x8xbf16> -> tensor<2x2x4xbf16>
// CHECK-NEXT:    %[[T:.*]] = tg.transpose %[[R]] [1, 0, 2] : tensor<2x2x4xbf16> -> tensor<2x2x4xbf16>
// CHECK-NEXT:    return %[[T]]
func.func @round_trip_through_layout(%x: tensor<2x8xbf16>) -> tensor<2x2x4xbf16> {
  %w = tg.cast %x : tensor<2x8xbf16> to tensor<2x8xf32>
  %r = tg.reshape %w : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %t = tg.transpose %r [1, 0, 2] : tensor<2x2x4xf32> -> tensor<2x2x4xf32>
  %n = tg.cast %t : tensor<2x2x4xf32> to tensor<2x2x4xbf16>
  return %n : tensor<2x2x4xbf16>
}

// -----

// Narrowing then widening rounds: it stays. A widening is not moved.
// CHECK-LABEL: func.func @rounding_stays
// CHECK:         tg.cast %arg0 : tensor<8xf32> to tensor<8xbf16>
// CHECK:         tg.cast %{{.*}} : tensor<8xbf16> to tensor<8xf32>
// CHECK:         tg.reshape
func.func @rounding_stays(%x: tensor<8xf32>) -> tensor<2x4xf32> {
  %n = tg.cast %x : tensor<8xf32> to tensor<8xbf16>
  %w = tg.cast %n : tensor<8xbf16> to tensor<8xf32>
  %r = tg.reshape %w : tensor<8xf32> -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
