// RUN: tgc-opt %s --split-input-file | tgc-opt --split-input-file | FileCheck %s
// RUN: tgc-opt %s --split-input-file --mlir-print-op-generic | tgc-opt --split-input-file | FileCheck %s

// Every tg op round-trips: core ops, then layers and losses, then training.

// Round trip of every core op, in the custom and in the generic form.

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @constant
func.func @constant() -> (tensor<2xf32>, tensor<2x2xi32>, tensor<i1>) {
  // CHECK: tg.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = tg.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: tg.constant dense<7> : tensor<2x2xi32>
  %1 = tg.constant dense<7> : tensor<2x2xi32>
  // CHECK: tg.constant dense<true> : tensor<i1>
  %2 = tg.constant dense<true> : tensor<i1>
  return %0, %1, %2 : tensor<2xf32>, tensor<2x2xi32>, tensor<i1>
}

// The number takes the element type of the result.
// CHECK-LABEL: func.func @fill
func.func @fill() {
  // CHECK: tg.fill 0.0 : tensor<128x512xf32>
  %0 = tg.fill 0.0 : tensor<128x512xf32>
  // CHECK: tg.fill -1.5 : tensor<4xf16>
  %1 = tg.fill -1.5 : tensor<4xf16>
  // CHECK: tg.fill 0.1 : tensor<4xbf16>
  %2 = tg.fill 0.1 : tensor<4xbf16>
  // CHECK: tg.fill 1.0e-05 : tensor<f64>
  %3 = tg.fill 1.0e-05 : tensor<f64>
  // CHECK: tg.fill -inf : tensor<?x4xf32>
  %4 = tg.fill -inf : tensor<?x4xf32>
  // CHECK: tg.fill nan : tensor<4xf32>
  %5 = tg.fill nan : tensor<4xf32>
  // CHECK: tg.fill -3 : tensor<4xi32>
  %6 = tg.fill -3 : tensor<4xi32>
  // CHECK: tg.fill true : tensor<4xi1>
  %7 = tg.fill true : tensor<4xi1>
  // CHECK: tg.fill 2 {note = "x"} : tensor<4xi64>
  %8 = tg.fill 2 {note = "x"} : tensor<4xi64>
  return
}

// CHECK-LABEL: func.func @iota
func.func @iota() -> (tensor<4x4xi32>, tensor<4x?xf32>) {
  // CHECK: tg.iota 0 : tensor<4x4xi32>
  %0 = tg.iota 0 : tensor<4x4xi32>
  // CHECK: tg.iota 1 : tensor<4x?xf32>
  %1 = tg.iota 1 : tensor<4x?xf32>
  return %0, %1 : tensor<4x4xi32>, tensor<4x?xf32>
}

// CHECK-LABEL: func.func @random
func.func @random(%seed: tensor<i64>, %counter: tensor<i32>) -> (tensor<128x512xf32>, tensor<?xbf16>) {
  // CHECK: tg.random uniform %{{.*}}, %{{.*}} : tensor<i64>, tensor<i32> -> tensor<128x512xf32>
  %0 = tg.random uniform %seed, %counter : tensor<i64>, tensor<i32> -> tensor<128x512xf32>
  // CHECK: tg.random normal %{{.*}}, %{{.*}} : tensor<i64>, tensor<i32> -> tensor<?xbf16>
  %1 = tg.random normal %seed, %counter : tensor<i64>, tensor<i32> -> tensor<?xbf16>
  return %0, %1 : tensor<128x512xf32>, tensor<?xbf16>
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic
//===----------------------------------------------------------------------===//

// One type when operands and result agree; otherwise all three.
// CHECK-LABEL: func.func @binary
func.func @binary(%a: tensor<4xf32>, %b: tensor<4xf32>, %i: tensor<4xi32>) {
  // CHECK: tg.add %{{.*}}, %{{.*}} : tensor<4xf32>
  %0 = tg.add %a, %b : tensor<4xf32>
  // CHECK: tg.sub %{{.*}}, %{{.*}} : tensor<4xf32>
  %1 = tg.sub %a, %b : tensor<4xf32>
  // CHECK: tg.mul %{{.*}}, %{{.*}} : tensor<4xf32>
  %2 = tg.mul %a, %b : tensor<4xf32>
  // CHECK: tg.div %{{.*}}, %{{.*}} : tensor<4xi32>
  %3 = tg.div %i, %i : tensor<4xi32>
  // CHECK: tg.pow %{{.*}}, %{{.*}} : tensor<4xf32>
  %4 = tg.pow %a, %b : tensor<4xf32>
  // CHECK: tg.maximum %{{.*}}, %{{.*}} : tensor<4xf32>
  %5 = tg.maximum %a, %b : tensor<4xf32>
  // CHECK: tg.minimum %{{.*}}, %{{.*}} : tensor<4xi32>
  %6 = tg.minimum %i, %i : tensor<4xi32>
  return
}

// CHECK-LABEL: func.func @broadcasting
func.func @broadcasting(%x: tensor<128x512xf32>, %b: tensor<512xf32>, %s: tensor<f32>,
                        %col: tensor<?x1xf32>, %row: tensor<1x?xf32>) {
  // CHECK: tg.add %{{.*}}, %{{.*}} : tensor<128x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
  %0 = tg.add %x, %b : tensor<128x512xf32>, tensor<512xf32> -> tensor<128x512xf32>
  // CHECK: tg.mul %{{.*}}, %{{.*}} : tensor<f32>, tensor<128x512xf32> -> tensor<128x512xf32>
  %1 = tg.mul %s, %x : tensor<f32>, tensor<128x512xf32> -> tensor<128x512xf32>
  // CHECK: tg.sub %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<1x?xf32> -> tensor<?x?xf32>
  %2 = tg.sub %col, %row : tensor<?x1xf32>, tensor<1x?xf32> -> tensor<?x?xf32>
  // A dynamic dimension meets a static one.
  // CHECK: tg.div %{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<512xf32> -> tensor<?x512xf32>
  %3 = tg.div %col, %b : tensor<?x1xf32>, tensor<512xf32> -> tensor<?x512xf32>
  // CHECK: tg.pow %{{.*}}, %{{.*}} : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xf32>
  %4 = tg.pow %x, %s : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xf32>
  // CHECK: tg.maximum %{{.*}}, %{{.*}} : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xf32>
  %5 = tg.maximum %x, %s : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xf32>
  // CHECK: tg.minimum %{{.*}}, %{{.*}} : tensor<f32>, tensor<512xf32> -> tensor<512xf32>
  %6 = tg.minimum %s, %b : tensor<f32>, tensor<512xf32> -> tensor<512xf32>
  return
}

// CHECK-LABEL: func.func @compare
func.func @compare(%u: tensor<128x512xf32>, %p: tensor<f32>, %i: tensor<?xi32>) {
  // CHECK: tg.compare ge %{{.*}}, %{{.*}} : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xi1>
  %0 = tg.compare ge %u, %p : tensor<128x512xf32>, tensor<f32> -> tensor<128x512xi1>
  // CHECK: tg.compare eq %{{.*}}, %{{.*}} : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  %1 = tg.compare eq %i, %i : tensor<?xi32>, tensor<?xi32> -> tensor<?xi1>
  // CHECK: tg.compare ne
  %2 = tg.compare ne %p, %p : tensor<f32>, tensor<f32> -> tensor<i1>
  // CHECK: tg.compare lt
  %3 = tg.compare lt %p, %p : tensor<f32>, tensor<f32> -> tensor<i1>
  // CHECK: tg.compare le
  %4 = tg.compare le %p, %p : tensor<f32>, tensor<f32> -> tensor<i1>
  // CHECK: tg.compare gt
  %5 = tg.compare gt %p, %p : tensor<f32>, tensor<f32> -> tensor<i1>
  return
}

// CHECK-LABEL: func.func @select
func.func @select(%keep: tensor<4x4xi1>, %x: tensor<4x4xf32>, %zero: tensor<f32>,
                  %c: tensor<?xi1>, %i: tensor<?xi32>) {
  // CHECK: tg.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
  %0 = tg.select %keep, %x, %zero : tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32> -> tensor<4x4xf32>
  // CHECK: tg.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?xi1>, tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  %1 = tg.select %c, %i, %i : tensor<?xi1>, tensor<?xi32>, tensor<?xi32> -> tensor<?xi32>
  return
}

// CHECK-LABEL: func.func @cast
func.func @cast(%labels: tensor<128xi32>, %x: tensor<?x4xf32>) {
  // CHECK: tg.cast %{{.*}} : tensor<128xi32> to tensor<128xf32>
  %0 = tg.cast %labels : tensor<128xi32> to tensor<128xf32>
  // CHECK: tg.cast %{{.*}} : tensor<?x4xf32> to tensor<?x4xbf16>
  %1 = tg.cast %x : tensor<?x4xf32> to tensor<?x4xbf16>
  // CHECK: tg.cast %{{.*}} : tensor<?x4xf32> to tensor<3x4xi1>
  %2 = tg.cast %x : tensor<?x4xf32> to tensor<3x4xi1>
  return
}

//===----------------------------------------------------------------------===//
// Elementwise math
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<4x?xf32>, %i: tensor<4xi32>) {
  // CHECK: tg.neg %{{.*}} : tensor<4xi32>
  %0 = tg.neg %i : tensor<4xi32>
  // CHECK: tg.abs %{{.*}} : tensor<4x?xf32>
  %1 = tg.abs %x : tensor<4x?xf32>
  // CHECK: tg.sign %{{.*}} : tensor<4xi32>
  %2 = tg.sign %i : tensor<4xi32>
  // CHECK: tg.round %{{.*}} : tensor<4x?xf32>
  %r = tg.round %x : tensor<4x?xf32>
  // CHECK: tg.exp %{{.*}} : tensor<4x?xf32>
  %3 = tg.exp %x : tensor<4x?xf32>
  // CHECK: tg.log %{{.*}} : tensor<4x?xf32>
  %4 = tg.log %x : tensor<4x?xf32>
  // CHECK: tg.sqrt %{{.*}} : tensor<4x?xf32>
  %5 = tg.sqrt %x : tensor<4x?xf32>
  // CHECK: tg.rsqrt %{{.*}} : tensor<4x?xf32>
  %6 = tg.rsqrt %x : tensor<4x?xf32>
  // CHECK: tg.cos %{{.*}} : tensor<4x?xf32>
  %cos = tg.cos %x : tensor<4x?xf32>
  // CHECK: tg.sin %{{.*}} : tensor<4x?xf32>
  %sin = tg.sin %x : tensor<4x?xf32>
  // CHECK: tg.tanh %{{.*}} : tensor<4x?xf32>
  %7 = tg.tanh %x : tensor<4x?xf32>
  // CHECK: tg.sigmoid %{{.*}} : tensor<4x?xf32>
  %8 = tg.sigmoid %x : tensor<4x?xf32>
  // CHECK: tg.relu %{{.*}} : tensor<4x?xf32>
  %9 = tg.relu %x : tensor<4x?xf32>
  // CHECK: tg.silu %{{.*}} : tensor<4x?xf32>
  %10 = tg.silu %x : tensor<4x?xf32>
  return
}

// The default approximation is not printed.
// CHECK-LABEL: func.func @gelu
func.func @gelu(%x: tensor<16x128x1024xf32>) {
  // CHECK: tg.gelu %{{.*}} : tensor<16x128x1024xf32>
  %0 = tg.gelu %x : tensor<16x128x1024xf32>
  // CHECK: tg.gelu %{{.*}} : tensor<16x128x1024xf32>
  %1 = tg.gelu %x approximate = erf : tensor<16x128x1024xf32>
  // CHECK: tg.gelu %{{.*}} approximate = tanh : tensor<16x128x1024xf32>
  %2 = tg.gelu %x approximate = tanh : tensor<16x128x1024xf32>
  return
}

// CHECK-LABEL: func.func @stop_gradient
func.func @stop_gradient(%t: tensor<128x10xf32>, %i: tensor<?xi64>) {
  // CHECK: tg.stop_gradient %{{.*}} : tensor<128x10xf32>
  %0 = tg.stop_gradient %t : tensor<128x10xf32>
  // CHECK: tg.stop_gradient %{{.*}} : tensor<?xi64>
  %1 = tg.stop_gradient %i : tensor<?xi64>
  return
}

//===----------------------------------------------------------------------===//
// Shapes and layout
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @broadcast_to
func.func @broadcast_to(%bias: tensor<512xf32>, %col: tensor<?x1xi32>) {
  // CHECK: tg.broadcast_to %{{.*}} : tensor<512xf32> -> tensor<128x512xf32>
  %0 = tg.broadcast_to %bias : tensor<512xf32> -> tensor<128x512xf32>
  // CHECK: tg.broadcast_to %{{.*}} : tensor<?x1xi32> -> tensor<2x?x8xi32>
  %1 = tg.broadcast_to %col : tensor<?x1xi32> -> tensor<2x?x8xi32>
  return
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<128x10xf32>, %d: tensor<?x?x4xi32>) {
  // CHECK: tg.reduce_sum %{{.*}} [1] : tensor<128x10xf32> -> tensor<128xf32>
  %0 = tg.reduce_sum %x [1] : tensor<128x10xf32> -> tensor<128xf32>
  // CHECK: tg.reduce_sum %{{.*}} [-1] keepdim : tensor<128x10xf32> -> tensor<128x1xf32>
  %1 = tg.reduce_sum %x [-1] keepdim : tensor<128x10xf32> -> tensor<128x1xf32>
  // CHECK: tg.reduce_mean %{{.*}} [0, 1] : tensor<128x10xf32> -> tensor<f32>
  %2 = tg.reduce_mean %x [0, 1] : tensor<128x10xf32> -> tensor<f32>
  // CHECK: tg.reduce_max %{{.*}} [0] keepdim : tensor<?x?x4xi32> -> tensor<1x?x4xi32>
  %3 = tg.reduce_max %d [0] keepdim : tensor<?x?x4xi32> -> tensor<1x?x4xi32>
  // CHECK: tg.reduce_min %{{.*}} [] : tensor<?x?x4xi32> -> tensor<?x?x4xi32>
  %4 = tg.reduce_min %d [] : tensor<?x?x4xi32> -> tensor<?x?x4xi32>
  return
}

// CHECK-LABEL: func.func @matmul
func.func @matmul(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>, %v: tensor<784x512xf32>,
                  %q: tensor<16x4x128x64xf32>, %k: tensor<16x4x128x64xf32>,
                  %a: tensor<?x8x?xbf16>, %b: tensor<?x16xbf16>) {
  // CHECK: tg.matmul %{{.*}}, %{{.*}} : tensor<128x784xf32>, tensor<784x512xf32> -> tensor<128x512xf32>
  %0 = tg.matmul %x, %v : tensor<128x784xf32>, tensor<784x512xf32> -> tensor<128x512xf32>
  // CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
  %1 = tg.matmul %x, %w transpose_rhs : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
  // CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_lhs : tensor<128x784xf32>, tensor<128x784xf32> -> tensor<784x784xf32>
  %2 = tg.matmul %x, %x transpose_lhs : tensor<128x784xf32>, tensor<128x784xf32> -> tensor<784x784xf32>
  // CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_lhs transpose_rhs : tensor<784x512xf32>, tensor<128x784xf32> -> tensor<512x128xf32>
  %3 = tg.matmul %v, %x transpose_lhs transpose_rhs : tensor<784x512xf32>, tensor<128x784xf32> -> tensor<512x128xf32>
  // CHECK: tg.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32> -> tensor<16x4x128x128xf32>
  %4 = tg.matmul %q, %k transpose_rhs : tensor<16x4x128x64xf32>, tensor<16x4x128x64xf32> -> tensor<16x4x128x128xf32>
  // Batch dimensions broadcast; a dynamic contracting dimension meets 16.
  // CHECK: tg.matmul %{{.*}}, %{{.*}} : tensor<?x8x?xbf16>, tensor<?x16xbf16> -> tensor<?x8x16xbf16>
  %5 = tg.matmul %a, %b : tensor<?x8x?xbf16>, tensor<?x16xbf16> -> tensor<?x8x16xbf16>
  return
}

// CHECK-LABEL: func.func @transpose
func.func @transpose(%x: tensor<4x5xf32>, %y: tensor<2x?x3xi32>) {
  // CHECK: tg.transpose %{{.*}} [1, 0] : tensor<4x5xf32> -> tensor<5x4xf32>
  %0 = tg.transpose %x [1, 0] : tensor<4x5xf32> -> tensor<5x4xf32>
  // CHECK: tg.transpose %{{.*}} [2, 0, 1] : tensor<2x?x3xi32> -> tensor<3x2x?xi32>
  %1 = tg.transpose %y [2, 0, 1] : tensor<2x?x3xi32> -> tensor<3x2x?xi32>
  return
}

// CHECK-LABEL: func.func @reshape
func.func @reshape(%img: tensor<128x1x28x28xf32>, %d: tensor<?x784xf32>, %s: tensor<1xi32>) {
  // CHECK: tg.reshape %{{.*}} : tensor<128x1x28x28xf32> -> tensor<128x784xf32>
  %0 = tg.reshape %img : tensor<128x1x28x28xf32> -> tensor<128x784xf32>
  // CHECK: tg.reshape %{{.*}} : tensor<?x784xf32> -> tensor<?x28x28xf32>
  %1 = tg.reshape %d : tensor<?x784xf32> -> tensor<?x28x28xf32>
  // CHECK: tg.reshape %{{.*}} : tensor<1xi32> -> tensor<i32>
  %2 = tg.reshape %s : tensor<1xi32> -> tensor<i32>
  return
}

// CHECK-LABEL: func.func @slice
func.func @slice(%x: tensor<4x8xf32>, %d: tensor<?x8xi32>) {
  // CHECK: tg.slice %{{.*}} [0, 2] to [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  %0 = tg.slice %x [0, 2] to [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x3xf32>
  // CHECK: tg.slice %{{.*}} [1, 0] to [3, 8] : tensor<4x8xf32> -> tensor<2x8xf32>
  %1 = tg.slice %x [1, 0] to [3, 8] : tensor<4x8xf32> -> tensor<2x8xf32>
  // The limit of a dynamic dimension is checked at run time.
  // CHECK: tg.slice %{{.*}} [0, 0] to [16, 8] step [4, 3] : tensor<?x8xi32> -> tensor<4x3xi32>
  %2 = tg.slice %d [0, 0] to [16, 8] step [4, 3] : tensor<?x8xi32> -> tensor<4x3xi32>
  return
}

// CHECK-LABEL: func.func @pad
func.func @pad(%x: tensor<8x3x28x28xf32>, %i: tensor<?x2xi32>) {
  // CHECK: tg.pad %{{.*}} low [0, 0, 1, 1] high [0, 0, 1, 1] value 0.0 : tensor<8x3x28x28xf32> -> tensor<8x3x30x30xf32>
  %0 = tg.pad %x low [0, 0, 1, 1] high [0, 0, 1, 1] value 0.0 : tensor<8x3x28x28xf32> -> tensor<8x3x30x30xf32>
  // CHECK: tg.pad %{{.*}} low [0, 0, 0, 0] high [0, 0, 2, 0] value -inf : tensor<8x3x28x28xf32> -> tensor<8x3x30x28xf32>
  %1 = tg.pad %x low [0, 0, 0, 0] high [0, 0, 2, 0] value -inf : tensor<8x3x28x28xf32> -> tensor<8x3x30x28xf32>
  // CHECK: tg.pad %{{.*}} low [1, 0] high [1, 3] value -1 : tensor<?x2xi32> -> tensor<?x5xi32>
  %2 = tg.pad %i low [1, 0] high [1, 3] value -1 : tensor<?x2xi32> -> tensor<?x5xi32>
  return
}

// CHECK-LABEL: func.func @concat
func.func @concat(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>, %c: tensor<?x3xf32>) {
  // CHECK: tg.concat %{{.*}}, %{{.*}} axis 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<4x5xf32>
  %0 = tg.concat %a, %b axis 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<4x5xf32>
  // CHECK: tg.concat %{{.*}}, %{{.*}}, %{{.*}} axis -2 : tensor<4x3xf32>, tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  %1 = tg.concat %b, %c, %b axis -2 : tensor<4x3xf32>, tensor<?x3xf32>, tensor<4x3xf32> -> tensor<?x3xf32>
  // CHECK: tg.concat %{{.*}} axis 0 : tensor<4x2xf32> -> tensor<4x2xf32>
  %2 = tg.concat %a axis 0 : tensor<4x2xf32> -> tensor<4x2xf32>
  return
}

// CHECK-LABEL: func.func @gather
func.func @gather(%table: tensor<50257x768xf32>, %ids: tensor<8x1024xi32>,
                  %x: tensor<4x?x6xi64>, %j: tensor<2xi64>) {
  // CHECK: tg.gather %{{.*}}[%{{.*}}] axis 0 : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
  %0 = tg.gather %table[%ids] axis 0 : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
  // CHECK: tg.gather %{{.*}}[%{{.*}}] axis -1 : tensor<4x?x6xi64>, tensor<2xi64> -> tensor<4x?x2xi64>
  %1 = tg.gather %x[%j] axis -1 : tensor<4x?x6xi64>, tensor<2xi64> -> tensor<4x?x2xi64>
  return
}

// CHECK-LABEL: func.func @take_along
func.func @take_along(%logp: tensor<128x10xf32>, %labels: tensor<128xi32>,
                      %x: tensor<?x4x6xf64>, %i: tensor<?x4xi64>) {
  // CHECK: tg.take_along %{{.*}}[%{{.*}}] : tensor<128x10xf32>, tensor<128xi32> -> tensor<128xf32>
  %0 = tg.take_along %logp[%labels] : tensor<128x10xf32>, tensor<128xi32> -> tensor<128xf32>
  // CHECK: tg.take_along %{{.*}}[%{{.*}}] : tensor<?x4x6xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
  %1 = tg.take_along %x[%i] : tensor<?x4x6xf64>, tensor<?x4xi64> -> tensor<?x4xf64>
  return
}

// CHECK-LABEL: func.func @one_hot
func.func @one_hot(%labels: tensor<128xi32>, %d: tensor<?x4xi64>) {
  // CHECK: tg.one_hot %{{.*}} classes 10 : tensor<128xi32> -> tensor<128x10xf32>
  %0 = tg.one_hot %labels classes 10 : tensor<128xi32> -> tensor<128x10xf32>
  // CHECK: tg.one_hot %{{.*}} classes 3 : tensor<?x4xi64> -> tensor<?x4x3xi1>
  %1 = tg.one_hot %d classes 3 : tensor<?x4xi64> -> tensor<?x4x3xi1>
  return
}

//===----------------------------------------------------------------------===//
// Normalized exponentials
//===----------------------------------------------------------------------===//

// The default axis (-1) is not printed.
// CHECK-LABEL: func.func @softmax
func.func @softmax(%s: tensor<16x4x128x128xf32>, %l: tensor<?x10xf16>) {
  // CHECK: tg.softmax %{{.*}} : tensor<16x4x128x128xf32>
  %0 = tg.softmax %s : tensor<16x4x128x128xf32>
  // CHECK: tg.softmax %{{.*}} axis 1 : tensor<16x4x128x128xf32>
  %1 = tg.softmax %s axis 1 : tensor<16x4x128x128xf32>
  // CHECK: tg.log_softmax %{{.*}} : tensor<?x10xf16>
  %2 = tg.log_softmax %l axis -1 : tensor<?x10xf16>
  // CHECK: tg.log_softmax %{{.*}} axis 0 : tensor<?x10xf16>
  %3 = tg.log_softmax %l axis 0 : tensor<?x10xf16>
  return
}

// -----

//===--- Layers and losses ---===//

// Every composite op prints and parses back, with its optional operands and
// attributes present and absent.

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xf32>,
                  %s: tensor<4x16x784xbf16>, %ws: tensor<10x784xbf16>,
                  %v: tensor<784xf32>, %d: tensor<?x784xf32>) {
  // CHECK: tg.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
  %0 = tg.linear %x, %w, %b : tensor<128x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<128x512xf32>
  // CHECK: tg.linear %{{.*}}, %{{.*}} : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
  %1 = tg.linear %x, %w : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x512xf32>
  // CHECK: tg.linear %{{.*}}, %{{.*}} : tensor<4x16x784xbf16>, tensor<10x784xbf16> -> tensor<4x16x10xbf16>
  %2 = tg.linear %s, %ws : tensor<4x16x784xbf16>, tensor<10x784xbf16> -> tensor<4x16x10xbf16>
  // CHECK: tg.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<512xf32>
  %3 = tg.linear %v, %w, %b : tensor<784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<512xf32>
  // CHECK: tg.linear %{{.*}}, %{{.*}} : tensor<?x784xf32>, tensor<512x784xf32> -> tensor<?x512xf32>
  %4 = tg.linear %d, %w : tensor<?x784xf32>, tensor<512x784xf32> -> tensor<?x512xf32>
  return
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<16x128x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) {
  // The default epsilon is not printed.
  // CHECK: tg.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
  %0 = tg.layer_norm %x, %g, %b : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
  // CHECK: tg.layer_norm %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x128x256xf32>
  %1 = tg.layer_norm %x, %g, %b epsilon 1.0e-05 : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
  // CHECK: tg.layer_norm %{{.*}}, %{{.*}}, %{{.*}} epsilon 1.000000e-03 : tensor<16x128x256xf32>
  %2 = tg.layer_norm %x, %g, %b epsilon 1.0e-03 : tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<16x128x256xf32>
  return
}

// CHECK-LABEL: func.func @rms_norm
func.func @rms_norm(%x: tensor<16x128x256xf16>, %g: tensor<256xf16>) {
  // CHECK: tg.rms_norm %{{.*}}, %{{.*}} : tensor<16x128x256xf16>, tensor<256xf16> -> tensor<16x128x256xf16>
  %0 = tg.rms_norm %x, %g : tensor<16x128x256xf16>, tensor<256xf16> -> tensor<16x128x256xf16>
  // CHECK: tg.rms_norm %{{.*}}, %{{.*}} epsilon 1.000000e-05 : tensor<16x128x256xf16>
  %1 = tg.rms_norm %x, %g epsilon 1.0e-05 : tensor<16x128x256xf16>, tensor<256xf16> -> tensor<16x128x256xf16>
  return
}

// CHECK-LABEL: func.func @embedding
func.func @embedding(%table: tensor<50257x768xf32>, %ids: tensor<8x1024xi32>, %id: tensor<i64>) {
  // CHECK: tg.embedding %{{.*}}[%{{.*}}] : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
  %0 = tg.embedding %table[%ids] : tensor<50257x768xf32>, tensor<8x1024xi32> -> tensor<8x1024x768xf32>
  // CHECK: tg.embedding %{{.*}}[%{{.*}}] : tensor<50257x768xf32>, tensor<i64> -> tensor<768xf32>
  %1 = tg.embedding %table[%id] : tensor<50257x768xf32>, tensor<i64> -> tensor<768xf32>
  return
}

// CHECK-LABEL: func.func @dropout
func.func @dropout(%x: tensor<16x128x256xf32>, %seed: tensor<i64>, %counter: tensor<i32>) {
  // CHECK: tg.dropout %{{.*}}, %{{.*}}, %{{.*}} rate 1.000000e-01 : tensor<16x128x256xf32>, tensor<i64>, tensor<i32>
  %0 = tg.dropout %x, %seed, %counter rate 0.1 : tensor<16x128x256xf32>, tensor<i64>, tensor<i32>
  // CHECK: tg.dropout %{{.*}}, %{{.*}}, %{{.*}} rate 0.000000e+00 : tensor<16x128x256xf32>
  %1 = tg.dropout %x, %seed, %counter rate 0.0 : tensor<16x128x256xf32>, tensor<i64>, tensor<i32>
  return
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<16x4x128x64xf32>, %k: tensor<16x4x256x64xf32>, %v: tensor<16x4x256x32xf32>) {
  // CHECK: tg.attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  %0 = tg.attention %q, %k, %v : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  // CHECK: tg.attention %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<16x4x128x64xf32>
  %1 = tg.attention %q, %k, %v causal : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  // CHECK: tg.attention %{{.*}}, %{{.*}}, %{{.*}} scale 1.250000e-01 : tensor<16x4x128x64xf32>
  %2 = tg.attention %q, %k, %v scale 0.125 : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  // CHECK: tg.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale 1.250000e-01 : tensor<16x4x128x64xf32>
  %3 = tg.attention %q, %k, %v causal scale 0.125 : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32> -> tensor<16x4x128x32xf32>
  return
}

// CHECK-LABEL: func.func @attention_grad
func.func @attention_grad(%q: tensor<16x4x128x64xf32>, %k: tensor<16x4x256x64xf32>, %v: tensor<16x4x256x32xf32>, %o: tensor<16x4x128x32xf32>, %do: tensor<16x4x128x32xf32>) {
  // CHECK: tg.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>, tensor<16x4x128x32xf32>, tensor<16x4x128x32xf32> -> tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>, tensor<16x4x128x32xf32>, tensor<16x4x128x32xf32> -> tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>
  // CHECK: tg.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} causal scale 1.250000e-01 : tensor<16x4x128x64xf32>
  %1:3 = tg.attention_grad %q, %k, %v, %o, %do causal scale 0.125 : tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>, tensor<16x4x128x32xf32>, tensor<16x4x128x32xf32> -> tensor<16x4x128x64xf32>, tensor<16x4x256x64xf32>, tensor<16x4x256x32xf32>
  return
}

// CHECK-LABEL: func.func @attention_grad_bf16_dynamic
func.func @attention_grad_bf16_dynamic(%q: tensor<?x8x16xbf16>, %k: tensor<?x8x16xbf16>, %v: tensor<?x8x16xbf16>, %o: tensor<2x8x16xbf16>, %do: tensor<?x8x16xbf16>) {
  // CHECK: tg.attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} causal : tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<2x8x16xbf16>, tensor<?x8x16xbf16> -> tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<?x8x16xbf16>
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<2x8x16xbf16>, tensor<?x8x16xbf16> -> tensor<?x8x16xbf16>, tensor<?x8x16xbf16>, tensor<?x8x16xbf16>
  return
}

// CHECK-LABEL: func.func @conv2d
func.func @conv2d(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf32>) {
  // CHECK: tg.conv2d %{{.*}}, %{{.*}}, %{{.*}} padding [1, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<8x16x32x32xf32>
  %0 = tg.conv2d %x, %w, %b padding [1, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<8x16x32x32xf32>
  // Default stride, padding and dilation are not printed.
  // CHECK: tg.conv2d %{{.*}}, %{{.*}} : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  %1 = tg.conv2d %x, %w stride [1, 1] padding [0, 0] dilation [1, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  // CHECK: tg.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [2, 2] padding [1, 1] dilation [2, 2] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<8x16x15x15xf32>
  %2 = tg.conv2d %x, %w, %b stride [2, 2] padding [1, 1] dilation [2, 2] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32> -> tensor<8x16x15x15xf32>
  // CHECK: tg.conv2d %{{.*}}, %{{.*}} stride [2, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x15x30xf32>
  %3 = tg.conv2d %x, %w stride [2, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x15x30xf32>
  return
}

// CHECK-LABEL: func.func @losses
func.func @losses(%y: tensor<128x1xf32>, %t: tensor<128x1xf32>, %logits: tensor<128x10xf32>,
                  %labels: tensor<128xi32>) {
  // CHECK: tg.mse_loss %{{.*}}, %{{.*}} : tensor<128x1xf32> -> tensor<f32>
  %0 = tg.mse_loss %y, %t : tensor<128x1xf32> -> tensor<f32>
  // CHECK: tg.mse_loss %{{.*}}, %{{.*}} reduction = {{ *}}sum : tensor<128x1xf32> -> tensor<f32>
  %1 = tg.mse_loss %y, %t reduction = sum : tensor<128x1xf32> -> tensor<f32>
  // CHECK: tg.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %2 = tg.softmax_cross_entropy %logits, %labels reduction = mean : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.softmax_cross_entropy %{{.*}}, %{{.*}} reduction = {{ *}}sum : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %3 = tg.softmax_cross_entropy %logits, %labels reduction = sum : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.bce_with_logits %{{.*}}, %{{.*}} : tensor<128x1xf32> -> tensor<f32>
  %4 = tg.bce_with_logits %y, %t : tensor<128x1xf32> -> tensor<f32>
  // CHECK: tg.bce_with_logits %{{.*}}, %{{.*}} reduction = {{ *}}sum : tensor<128x1xf32> -> tensor<f32>
  %5 = tg.bce_with_logits %y, %t reduction = sum : tensor<128x1xf32> -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @batch_norm
func.func @batch_norm(%x: tensor<32x64xf32>, %x4: tensor<8x16x5x5xf16>, %c: tensor<64xf32>, %c16: tensor<16xf16>) {
  // CHECK: tg.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} training : tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
  %0:3 = tg.batch_norm %x, %c, %c, %c, %c training momentum 0.1 epsilon 1.0e-5 : tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
  // CHECK: tg.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} momentum 1.000000e-02 epsilon 1.000000e-03 : tensor<8x16x5x5xf16>, tensor<16xf16>, tensor<16xf16>, tensor<16xf16>, tensor<16xf16>
  %1:3 = tg.batch_norm %x4, %c16, %c16, %c16, %c16 momentum 0.01 epsilon 1.0e-3 : tensor<8x16x5x5xf16>, tensor<16xf16>, tensor<16xf16>, tensor<16xf16>, tensor<16xf16>
  return
}

// CHECK-LABEL: func.func @fake_quant
func.func @fake_quant(%w: tensor<32x64xf32>, %s: tensor<32xf32>, %a: tensor<8x32xf32>, %t: tensor<f32>) {
  // CHECK: tg.fake_quant %{{.*}}, %{{.*}} bits 4 axis 0 : tensor<32x64xf32>, tensor<32xf32>
  %0 = tg.fake_quant %w, %s bits 4 axis 0 : tensor<32x64xf32>, tensor<32xf32>
  // CHECK: tg.fake_quant %{{.*}}, %{{.*}} bits 8 unsigned grad_scale 1.000000e-02 : tensor<8x32xf32>, tensor<f32>
  %1 = tg.fake_quant %a, %t bits 8 unsigned grad_scale 0.01 : tensor<8x32xf32>, tensor<f32>
  return
}

// CHECK-LABEL: func.func @more_losses
func.func @more_losses(%y: tensor<128x4xf32>, %t: tensor<128x4xf32>, %pw: tensor<4xf32>,
                       %logits: tensor<128x10xf32>, %labels: tensor<128xi32>) {
  // Attributes at their defaults are not printed.
  // CHECK: tg.softmax_cross_entropy %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %0 = tg.softmax_cross_entropy %logits, %labels label_smoothing = 0.0 poly1 = 0.0 z_loss = 0.0 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.softmax_cross_entropy %{{.*}}, %{{.*}} reduction = {{ *}}sum label_smoothing = 1.000000e-01 poly1 = 1.000000e+00 z_loss = 1.000000e-04 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %1 = tg.softmax_cross_entropy %logits, %labels reduction = sum label_smoothing = 0.1 poly1 = 1.0 z_loss = 1.0e-4 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.focal_loss %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %2 = tg.focal_loss %logits, %labels gamma = 2.0 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.focal_loss %{{.*}}, %{{.*}} reduction = {{ *}}sum gamma = 5.000000e-01 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %3 = tg.focal_loss %logits, %labels reduction = sum gamma = 0.5 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.stablemax_cross_entropy %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %4 = tg.stablemax_cross_entropy %logits, %labels : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.nce_rce_loss %{{.*}}, %{{.*}} : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %5 = tg.nce_rce_loss %logits, %labels alpha = 1.0 beta = 1.0 log_zero = -4.0 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.nce_rce_loss %{{.*}}, %{{.*}} alpha = 1.000000e+01 beta = 1.000000e-01 log_zero = -9.210000e+00 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  %6 = tg.nce_rce_loss %logits, %labels alpha = 10.0 beta = 0.1 log_zero = -9.21 : tensor<128x10xf32>, tensor<128xi32> -> tensor<f32>
  // CHECK: tg.bce_with_logits %{{.*}}, %{{.*}} pos_weight %{{.*}} reduction = {{ *}}sum : tensor<128x4xf32>, tensor<4xf32> -> tensor<f32>
  %7 = tg.bce_with_logits %y, %t pos_weight %pw reduction = sum : tensor<128x4xf32>, tensor<4xf32> -> tensor<f32>
  // CHECK: tg.huber_loss %{{.*}}, %{{.*}} : tensor<128x4xf32> -> tensor<f32>
  %8 = tg.huber_loss %y, %t : tensor<128x4xf32> -> tensor<f32>
  // CHECK: tg.huber_loss %{{.*}}, %{{.*}} reduction = {{ *}}sum delta = 5.000000e-01 : tensor<128x4xf32> -> tensor<f32>
  %9 = tg.huber_loss %y, %t reduction = sum delta = 0.5 : tensor<128x4xf32> -> tensor<f32>
  // CHECK: tg.pseudo_huber_loss %{{.*}}, %{{.*}} c = 3.000000e-02 : tensor<128x4xf32> -> tensor<f32>
  %10 = tg.pseudo_huber_loss %y, %t c = 0.03 : tensor<128x4xf32> -> tensor<f32>
  // CHECK: tg.cauchy_loss %{{.*}}, %{{.*}} reduction = {{ *}}sum c = 2.000000e+00 : tensor<128x4xf32> -> tensor<f32>
  %11 = tg.cauchy_loss %y, %t reduction = sum c = 2.0 : tensor<128x4xf32> -> tensor<f32>
  return
}

// -----

//===--- Training: initializers, optimizers, train steps ---===//

// Initializer attributes on ml_program.global, optimizers and tg.train_step:
// each prints back in its shortest form (parameters at their default value
// are left out) and parses again to the same thing.

// CHECK-LABEL: module
module {
  // CHECK: ml_program.global private mutable @zeros(#tg.zeros) : tensor<4xf32>
  ml_program.global private mutable @zeros(#tg.zeros) : tensor<4xf32>
  // CHECK: ml_program.global private mutable @ones(#tg.ones) : tensor<4xf32>
  ml_program.global private mutable @ones(#tg.ones) : tensor<4xf32>
  // CHECK: ml_program.global private mutable @constant(#tg.constant<0.5>) : tensor<4xf32>
  ml_program.global private mutable @constant(#tg.constant<0.5>) : tensor<4xf32>
  // CHECK: ml_program.global private mutable @constant_negative(#tg.constant<-2.0>) : tensor<4xf64>
  ml_program.global private mutable @constant_negative(#tg.constant<-2.0>) : tensor<4xf64>

  // Numbers print as the shortest decimal that reads back exactly, always as
  // a float literal (with a `.`), with an exponent only when very large or
  // small.
  // CHECK: @constant_hundred(#tg.constant<100.0>)
  ml_program.global private mutable @constant_hundred(#tg.constant<1.0e2>) : tensor<4xf32>
  // CHECK: @constant_tiny(#tg.constant<1.0e-30>)
  ml_program.global private mutable @constant_tiny(#tg.constant<0.000000000000000000000000000001>) : tensor<4xf32>
  // CHECK: @constant_huge(#tg.constant<1.0e+20>)
  ml_program.global private mutable @constant_huge(#tg.constant<100000000000000000000.0>) : tensor<4xf32>
  // CHECK: @constant_third(#tg.constant<0.3333333333333333>)
  ml_program.global private mutable @constant_third(#tg.constant<0.33333333333333333333>) : tensor<4xf32>
  // CHECK: @constant_negative_zero(#tg.constant<-0.0>)
  ml_program.global private mutable @constant_negative_zero(#tg.constant<-0.0>) : tensor<4xf32>

  // CHECK: ml_program.global private mutable @normal(#tg.normal<std = 0.02>) : tensor<4x8xf32>
  ml_program.global private mutable @normal(#tg.normal<std = 0.02>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @normal_mean(#tg.normal<std = 1.0, mean = -3.0>) : tensor<4x8xf32>
  ml_program.global private mutable @normal_mean(#tg.normal<std = 1.0, mean = -3.0>) : tensor<4x8xf32>
  // Struct parameters may come in any order; they print in declaration order.
  // CHECK: ml_program.global private mutable @normal_reordered(#tg.normal<std = 2.0, mean = 0.5>) : tensor<4x8xbf16>
  ml_program.global private mutable @normal_reordered(#tg.normal<mean = 0.5, std = 2.0>) : tensor<4x8xbf16>
  // CHECK: ml_program.global private mutable @normal_default_mean(#tg.normal<std = 0.1>) : tensor<8xf32>
  ml_program.global private mutable @normal_default_mean(#tg.normal<std = 0.1, mean = 0.0>) : tensor<8xf32>

  // CHECK: ml_program.global private mutable @uniform(#tg.uniform<-0.1, 0.1>) : tensor<4xf32>
  ml_program.global private mutable @uniform(#tg.uniform<-0.1, 0.1>) : tensor<4xf32>
  // CHECK: ml_program.global private mutable @uniform_positive(#tg.uniform<0.0, 1.0>) : tensor<f32>
  ml_program.global private mutable @uniform_positive(#tg.uniform<0.0, 1.0>) : tensor<f32>

  // CHECK: ml_program.global private mutable @kaiming_uniform(#tg.kaiming_uniform) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform(#tg.kaiming_uniform) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @kaiming_uniform_empty(#tg.kaiming_uniform) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform_empty(#tg.kaiming_uniform<>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @kaiming_uniform_a(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform_a(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @kaiming_uniform_fan_out(#tg.kaiming_uniform<mode = fan_out>) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform_fan_out(#tg.kaiming_uniform<mode = fan_out>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @kaiming_uniform_all(#tg.kaiming_uniform<a = 0.01, mode = fan_out>) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform_all(#tg.kaiming_uniform<mode = fan_out, a = 0.01>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @kaiming_uniform_defaults(#tg.kaiming_uniform) : tensor<4x8xf32>
  ml_program.global private mutable @kaiming_uniform_defaults(#tg.kaiming_uniform<a = 0.0, mode = fan_in>) : tensor<4x8xf32>

  // CHECK: ml_program.global private mutable @kaiming_normal(#tg.kaiming_normal) : tensor<16x3x3x3xf32>
  ml_program.global private mutable @kaiming_normal(#tg.kaiming_normal) : tensor<16x3x3x3xf32>
  // CHECK: ml_program.global private mutable @kaiming_normal_a(#tg.kaiming_normal<a = 0.2>) : tensor<16x3x3x3xf32>
  ml_program.global private mutable @kaiming_normal_a(#tg.kaiming_normal<a = 0.2>) : tensor<16x3x3x3xf32>
  // CHECK: ml_program.global private mutable @kaiming_normal_all(#tg.kaiming_normal<a = 0.01, mode = fan_out>) : tensor<16x3x3x3xf32>
  ml_program.global private mutable @kaiming_normal_all(#tg.kaiming_normal<a = 0.01, mode = fan_out>) : tensor<16x3x3x3xf32>

  // CHECK: ml_program.global private mutable @xavier_uniform(#tg.xavier_uniform) : tensor<4x8xf32>
  ml_program.global private mutable @xavier_uniform(#tg.xavier_uniform) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @xavier_uniform_gain(#tg.xavier_uniform<gain = 1.4142135623730951>) : tensor<4x8xf32>
  ml_program.global private mutable @xavier_uniform_gain(#tg.xavier_uniform<gain = 1.4142135623730951>) : tensor<4x8xf32>
  // CHECK: ml_program.global private mutable @xavier_normal(#tg.xavier_normal) : tensor<4x8xf64>
  ml_program.global private mutable @xavier_normal(#tg.xavier_normal) : tensor<4x8xf64>
  // CHECK: ml_program.global private mutable @xavier_normal_gain(#tg.xavier_normal<gain = 0.5>) : tensor<4x8xf16>
  ml_program.global private mutable @xavier_normal_gain(#tg.xavier_normal<gain = 0.5>) : tensor<4x8xf16>
  // CHECK: ml_program.global private mutable @xavier_normal_default(#tg.xavier_normal) : tensor<4x8xf32>
  ml_program.global private mutable @xavier_normal_default(#tg.xavier_normal<gain = 1.0>) : tensor<4x8xf32>

  // Initial values given as data, and a frozen (immutable) global.
  // CHECK: ml_program.global private mutable @data(dense<{{\[}}[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>) : tensor<2x2xf32>
  ml_program.global private mutable @data(dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>) : tensor<2x2xf32>
  // CHECK: ml_program.global private @frozen(dense<5.000000e-01> : tensor<4xf32>) : tensor<4xf32>
  ml_program.global private @frozen(dense<0.5> : tensor<4xf32>) : tensor<4xf32>

  // CHECK-LABEL: func.func @loss
  func.func @loss(%x: tensor<4xf32>, %target: tensor<4xf32>) -> tensor<f32> {
    %w = ml_program.global_load @zeros : tensor<4xf32>
    %d = ml_program.global_load @data : tensor<2x2xf32>
    %f = ml_program.global_load @frozen : tensor<4xf32>
    // CHECK: %[[T:.*]] = tg.stop_gradient %{{.*}} : tensor<4xf32>
    %t = tg.stop_gradient %target : tensor<4xf32>
    %p = tg.mul %w, %x : tensor<4xf32>
    %q = tg.add %p, %f : tensor<4xf32>
    // CHECK: tg.sub %{{.*}}, %[[T]] : tensor<4xf32>
    %r = tg.sub %q, %t : tensor<4xf32>
    %dr = tg.reduce_sum %d [0, 1] : tensor<2x2xf32> -> tensor<f32>
    %l = tg.reduce_sum %r [0] : tensor<4xf32> -> tensor<f32>
    %sum = tg.add %l, %dr : tensor<f32>
    return %sum : tensor<f32>
  }

  // Without `params`, a train step trains every mutable float global that
  // the loss loads (here @zeros and @data; @frozen is immutable).
  // CHECK: tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.05>
  tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.05>
  // CHECK: tg.train_step @momentum loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
  tg.train_step @momentum loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>
  // Every #tg.sgd parameter; 1.0e-4 prints as 0.0001, 1.0e-5 keeps its
  // exponent.
  // CHECK: tg.train_step @all_sgd_params loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.0001>
  tg.train_step @all_sgd_params loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 1.0e-4>
  // CHECK: tg.train_step @small_lr loss @loss optimizer #tg.sgd<lr = 1.0e-05, weight_decay = 0.01>
  tg.train_step @small_lr loss @loss optimizer #tg.sgd<weight_decay = 0.01, lr = 1.0e-5>
  // Parameters at their defaults are left out.
  // CHECK: tg.train_step @defaults loss @loss optimizer #tg.sgd<lr = 0.001>
  tg.train_step @defaults loss @loss optimizer #tg.sgd<lr = 1.0e-3, momentum = 0.0, nesterov = false, weight_decay = 0.0>

  // Adaptive optimizers: every parameter, defaults left out, any order.
  // CHECK: tg.train_step @adam loss @loss optimizer #tg.adam<lr = 0.001>
  tg.train_step @adam loss @loss optimizer #tg.adam<lr = 1.0e-3>
  // CHECK: tg.train_step @adam_all loss @loss optimizer #tg.adam<lr = 0.002, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-06, weight_decay = 0.01, amsgrad = true>
  tg.train_step @adam_all loss @loss optimizer #tg.adam<amsgrad = true, weight_decay = 1.0e-2, eps = 1.0e-6, beta2 = 0.99, beta1 = 0.8, lr = 2.0e-3>
  // CHECK: tg.train_step @adam_defaults loss @loss optimizer #tg.adam<lr = 0.001>
  tg.train_step @adam_defaults loss @loss optimizer #tg.adam<lr = 1.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8, weight_decay = 0.0, amsgrad = false>
  // AdamW's weight decay defaults to PyTorch's 0.01; zero is written out.
  // CHECK: tg.train_step @adamw loss @loss optimizer #tg.adamw<lr = 0.001>
  tg.train_step @adamw loss @loss optimizer #tg.adamw<lr = 1.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8, weight_decay = 1.0e-2>
  // CHECK: tg.train_step @adamw_all loss @loss optimizer #tg.adamw<lr = 0.0003, beta1 = 0.85, beta2 = 0.95, eps = 1.0e-07, weight_decay = 0.0, amsgrad = true>
  tg.train_step @adamw_all loss @loss optimizer #tg.adamw<lr = 3.0e-4, beta1 = 0.85, beta2 = 0.95, eps = 1.0e-7, weight_decay = 0.0, amsgrad = true>
  // CHECK: tg.train_step @adamax loss @loss optimizer #tg.adamax<lr = 0.002>
  tg.train_step @adamax loss @loss optimizer #tg.adamax<lr = 2.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8, weight_decay = 0.0>
  // CHECK: tg.train_step @adamax_all loss @loss optimizer #tg.adamax<lr = 0.002, beta1 = 0.5, beta2 = 0.9, eps = 0.0001, weight_decay = 0.1>
  tg.train_step @adamax_all loss @loss optimizer #tg.adamax<lr = 2.0e-3, beta1 = 0.5, beta2 = 0.9, eps = 1.0e-4, weight_decay = 0.1>
  // CHECK: tg.train_step @adagrad loss @loss optimizer #tg.adagrad<lr = 0.01>
  tg.train_step @adagrad loss @loss optimizer #tg.adagrad<lr = 0.01, lr_decay = 0.0, weight_decay = 0.0, initial_accumulator_value = 0.0, eps = 1.0e-10>
  // CHECK: tg.train_step @adagrad_all loss @loss optimizer #tg.adagrad<lr = 0.01, lr_decay = 0.001, weight_decay = 0.0001, initial_accumulator_value = 0.1, eps = 1.0e-08>
  tg.train_step @adagrad_all loss @loss optimizer #tg.adagrad<lr = 0.01, lr_decay = 1.0e-3, weight_decay = 1.0e-4, initial_accumulator_value = 0.1, eps = 1.0e-8>
  // CHECK: tg.train_step @rmsprop loss @loss optimizer #tg.rmsprop<lr = 0.01>
  tg.train_step @rmsprop loss @loss optimizer #tg.rmsprop<lr = 0.01, alpha = 0.99, eps = 1.0e-8, weight_decay = 0.0, momentum = 0.0, centered = false>
  // CHECK: tg.train_step @rmsprop_all loss @loss optimizer #tg.rmsprop<lr = 0.001, alpha = 0.9, eps = 1.0e-05, weight_decay = 0.001, momentum = 0.9, centered = true>
  tg.train_step @rmsprop_all loss @loss optimizer #tg.rmsprop<centered = true, momentum = 0.9, lr = 1.0e-3, alpha = 0.9, eps = 1.0e-5, weight_decay = 1.0e-3>
  // CHECK: tg.train_step @lion loss @loss optimizer #tg.lion<lr = 0.0001>
  tg.train_step @lion loss @loss optimizer #tg.lion<lr = 1.0e-4, beta1 = 0.9, beta2 = 0.99, weight_decay = 0.0>
  // CHECK: tg.train_step @lion_all loss @loss optimizer #tg.lion<lr = 0.0003, beta1 = 0.95, beta2 = 0.98, weight_decay = 0.1>
  tg.train_step @lion_all loss @loss optimizer #tg.lion<lr = 3.0e-4, beta1 = 0.95, beta2 = 0.98, weight_decay = 0.1>
  // CHECK: tg.train_step @nadam loss @loss optimizer #tg.nadam<lr = 0.002>
  tg.train_step @nadam loss @loss optimizer #tg.nadam<lr = 2.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8, weight_decay = 0.0, momentum_decay = 4.0e-3>
  // CHECK: tg.train_step @nadam_all loss @loss optimizer #tg.nadam<lr = 0.002, beta1 = 0.85, beta2 = 0.99, eps = 0.0001, weight_decay = 0.01, momentum_decay = 0.01>
  tg.train_step @nadam_all loss @loss optimizer #tg.nadam<lr = 2.0e-3, beta1 = 0.85, beta2 = 0.99, eps = 1.0e-4, weight_decay = 1.0e-2, momentum_decay = 1.0e-2>

  // CHECK: tg.train_step @diffgrad loss @loss optimizer #tg.diffgrad<lr = 0.001>
  tg.train_step @diffgrad loss @loss optimizer #tg.diffgrad<lr = 1.0e-3, beta1 = 0.9, beta2 = 0.999, eps = 1.0e-8, weight_decay = 0.0>
  // CHECK: tg.train_step @diffgrad_all loss @loss optimizer #tg.diffgrad<lr = 0.002, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-05, weight_decay = 0.001>
  tg.train_step @diffgrad_all loss @loss optimizer #tg.diffgrad<weight_decay = 1.0e-3, eps = 1.0e-5, beta2 = 0.99, beta1 = 0.8, lr = 2.0e-3>
  // CHECK: tg.train_step @adabound loss @loss optimizer #tg.adabound<lr = 0.001>
  tg.train_step @adabound loss @loss optimizer #tg.adabound<lr = 1.0e-3, beta1 = 0.9, beta2 = 0.999, final_lr = 0.1, gamma = 1.0e-3, eps = 1.0e-8, weight_decay = 0.0, amsbound = false>
  // CHECK: tg.train_step @amsbound loss @loss optimizer #tg.adabound<lr = 0.001, final_lr = 0.05, gamma = 0.01, weight_decay = 0.0001, amsbound = true>
  tg.train_step @amsbound loss @loss optimizer #tg.adabound<lr = 1.0e-3, final_lr = 0.05, gamma = 0.01, weight_decay = 1.0e-4, amsbound = true>
  // CHECK: tg.train_step @adamod loss @loss optimizer #tg.adamod<lr = 0.001>
  tg.train_step @adamod loss @loss optimizer #tg.adamod<lr = 1.0e-3, beta3 = 0.999>
  // CHECK: tg.train_step @adamod_all loss @loss optimizer #tg.adamod<lr = 0.001, beta1 = 0.8, beta2 = 0.99, beta3 = 0.9999, eps = 1.0e-06, weight_decay = 0.01>
  tg.train_step @adamod_all loss @loss optimizer #tg.adamod<lr = 1.0e-3, beta1 = 0.8, beta2 = 0.99, beta3 = 0.9999, eps = 1.0e-6, weight_decay = 1.0e-2>
  // CHECK: tg.train_step @grams loss @loss optimizer #tg.grams<lr = 0.001, weight_decay = 0.1>
  tg.train_step @grams loss @loss optimizer #tg.grams<lr = 1.0e-3, beta1 = 0.9, weight_decay = 0.1>
  // Warm-up lengths are integers; 0 (no warm-up) is the default.
  // CHECK: tg.train_step @ademamix loss @loss optimizer #tg.ademamix<lr = 0.001>
  tg.train_step @ademamix loss @loss optimizer #tg.ademamix<lr = 1.0e-3, beta3 = 0.9999, alpha = 2.0, beta3_warmup = 0, alpha_warmup = 0>
  // CHECK: tg.train_step @ademamix_all loss @loss optimizer #tg.ademamix<lr = 0.001, beta1 = 0.8, beta2 = 0.99, beta3 = 0.999, alpha = 8.0, beta3_warmup = 256000, alpha_warmup = 256000, eps = 1.0e-06, weight_decay = 0.1>
  tg.train_step @ademamix_all loss @loss optimizer #tg.ademamix<alpha_warmup = 256000, beta3_warmup = 256000, lr = 1.0e-3, beta1 = 0.8, beta2 = 0.99, beta3 = 0.999, alpha = 8.0, eps = 1.0e-6, weight_decay = 0.1>
  // CHECK: tg.train_step @schedule_free loss @loss optimizer #tg.schedule_free_adamw<lr = 0.0025>
  tg.train_step @schedule_free loss @loss optimizer #tg.schedule_free_adamw<lr = 2.5e-3, warmup_steps = 0, r = 0.0, weight_lr_power = 2.0>
  // CHECK: tg.train_step @schedule_free_all loss @loss optimizer #tg.schedule_free_adamw<lr = 0.005, beta1 = 0.95, beta2 = 0.99, eps = 1.0e-06, weight_decay = 0.01, warmup_steps = 1000, r = 1.0, weight_lr_power = 0.0>
  tg.train_step @schedule_free_all loss @loss optimizer #tg.schedule_free_adamw<lr = 5.0e-3, beta1 = 0.95, beta2 = 0.99, eps = 1.0e-6, weight_decay = 1.0e-2, warmup_steps = 1000, r = 1.0, weight_lr_power = 0.0>
  // DoG and D-Adaptation need no parameter at all.
  // CHECK: tg.train_step @adahessian loss @loss optimizer #tg.adahessian<lr = 0.15>
  tg.train_step @adahessian loss @loss optimizer #tg.adahessian<lr = 0.15, beta1 = 0.9, hessian_power = 1.0, seed = 0>
  // CHECK: tg.train_step @adahessian_all loss @loss optimizer #tg.adahessian<lr = 0.1, beta1 = 0.8, beta2 = 0.99, eps = 0.0001, weight_decay = 0.0005, hessian_power = 0.5, seed = 42>
  tg.train_step @adahessian_all loss @loss optimizer #tg.adahessian<seed = 42, hessian_power = 0.5, weight_decay = 5.0e-4, eps = 1.0e-4, beta2 = 0.99, beta1 = 0.8, lr = 0.1>
  // CHECK: tg.train_step @dog loss @loss optimizer #tg.dog{{$}}
  tg.train_step @dog loss @loss optimizer #tg.dog
  // CHECK: tg.train_step @dog_defaults loss @loss optimizer #tg.dog{{$}}
  tg.train_step @dog_defaults loss @loss optimizer #tg.dog<lr = 1.0, reps_rel = 1.0e-6, weight_decay = 0.0, eps = 1.0e-8, layerwise = false>
  // CHECK: tg.train_step @ldog loss @loss optimizer #tg.dog<reps_rel = 0.0001, weight_decay = 0.0001, layerwise = true>
  tg.train_step @ldog loss @loss optimizer #tg.dog<reps_rel = 1.0e-4, weight_decay = 1.0e-4, layerwise = true>
  // CHECK: tg.train_step @dadapt loss @loss optimizer #tg.dadapt_adam{{$}}
  tg.train_step @dadapt loss @loss optimizer #tg.dadapt_adam<>
  // CHECK: tg.train_step @dadapt_all loss @loss optimizer #tg.dadapt_adam<lr = 0.5, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-06, weight_decay = 0.01, decouple = true, use_bias_correction = true, d0 = 0.0001, growth_rate = 1.02>
  tg.train_step @dadapt_all loss @loss optimizer #tg.dadapt_adam<lr = 0.5, beta1 = 0.8, beta2 = 0.99, eps = 1.0e-6, weight_decay = 1.0e-2, decouple = true, use_bias_correction = true, d0 = 1.0e-4, growth_rate = 1.02>

  // With `params`, exactly the listed globals are trained, whether or not
  // the loss loads them.
  // Schedules in place of numbers, for any hyperparameter; defaults left out.
  // CHECK: tg.train_step @cosine loss @loss optimizer #tg.adamw<lr = #tg.cosine<peak = 0.001, warmup = 100, total = 1000, final = 1.0e-05>, weight_decay = #tg.linear_decay<peak = 0.1, total = 1000>>
  tg.train_step @cosine loss @loss optimizer #tg.adamw<weight_decay = #tg.linear_decay<total = 1000, peak = 0.1, final = 0.0>, lr = #tg.cosine<peak = 1.0e-3, warmup = 100, total = 1000, final = 1.0e-5>>
  // CHECK: tg.train_step @schedules loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 500>, momentum = #tg.linear_warmup<peak = 0.9, warmup = 10, start = 0.5>>
  tg.train_step @schedules loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 500, pct_start = 0.3>, momentum = #tg.linear_warmup<peak = 0.9, warmup = 10, start = 0.5>>
  // CHECK: tg.train_step @wsd loss @loss optimizer #tg.adam<lr = #tg.wsd<peak = 0.001, warmup = 10, total = 100, decay = 20>, beta1 = #tg.constant_schedule<value = 0.9, factor = 0.5, steps = 3>>
  tg.train_step @wsd loss @loss optimizer #tg.adam<lr = #tg.wsd<peak = 1.0e-3, warmup = 10, total = 100, decay = 20>, beta1 = #tg.constant_schedule<value = 0.9, factor = 0.5, steps = 3>>
  // CHECK: tg.train_step @one_cycle_all loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 500, pct_start = 0.25, div_factor = 10.0, final_div_factor = 100.0>>
  tg.train_step @one_cycle_all loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 500, pct_start = 0.25, div_factor = 10.0, final_div_factor = 100.0>>
  // Gradient transforms, in order; defaults left out.
  // CHECK: tg.train_step @transforms loss @loss optimizer #tg.adam<lr = 0.001> transforms [#tg.clip_global_norm<max_norm = 1.0>, #tg.grokfast, #tg.fira_limiter, #tg.clip_value<max = 0.5>, #tg.clip_norm<max_norm = 2.0>, #tg.decoupled_weight_decay<rate = 0.0001>]
  tg.train_step @transforms loss @loss optimizer #tg.adam<lr = 1.0e-3> transforms [#tg.clip_global_norm<max_norm = 1.0>, #tg.grokfast<alpha = 0.98, lamb = 2.0>, #tg.fira_limiter<gamma = 1.01>, #tg.clip_value<max = 0.5>, #tg.clip_norm<max_norm = 2.0>, #tg.decoupled_weight_decay<rate = 1.0e-4>]
  // CHECK: tg.train_step @transforms_all loss @loss params [@data] optimizer #tg.sgd<lr = 0.01> transforms [#tg.sam, #tg.grad_noise, #tg.grad_noise<eta = 0.3, seed = 42>, #tg.grokfast<alpha = 0.9, lamb = 5.0>, #tg.fira_limiter<gamma = 1.1>, #tg.decoupled_weight_decay<rate = #tg.cosine<peak = 0.001, total = 100>>] {note = "kept"}
  tg.train_step @transforms_all loss @loss params [@data] optimizer #tg.sgd<lr = 0.01> transforms [#tg.sam<rho = 0.05>, #tg.grad_noise<eta = 0.01, gamma = 0.55>, #tg.grad_noise<seed = 42, eta = 0.3>, #tg.grokfast<alpha = 0.9, lamb = 5.0>, #tg.fira_limiter<gamma = 1.1>, #tg.decoupled_weight_decay<rate = #tg.cosine<peak = 1.0e-3, total = 100>>] {note = "kept"}
  // CHECK: tg.train_step @finetune loss @loss params [@data] optimizer #tg.sgd<lr = 0.01>
  tg.train_step @finetune loss @loss params [@data] optimizer #tg.sgd<lr = 0.01>
  // CHECK: tg.train_step @every_initializer loss @loss params [@zeros, @ones, @constant, @constant_negative, @normal, @normal_reordered, @uniform, @uniform_positive, @kaiming_uniform, @kaiming_uniform_all, @kaiming_normal, @kaiming_normal_all, @xavier_uniform_gain, @xavier_normal, @xavier_normal_gain, @data] optimizer #tg.sgd<lr = 0.01>
  tg.train_step @every_initializer loss @loss params [@zeros, @ones, @constant, @constant_negative, @normal, @normal_reordered, @uniform, @uniform_positive, @kaiming_uniform, @kaiming_uniform_all, @kaiming_normal, @kaiming_normal_all, @xavier_uniform_gain, @xavier_normal, @xavier_normal_gain, @data] optimizer #tg.sgd<lr = 0.01>
  // CHECK: tg.train_step @with_attrs loss @loss optimizer #tg.sgd<lr = 0.01> {note = "kept"}
  tg.train_step @with_attrs loss @loss optimizer #tg.sgd<lr = 0.01> {note = "kept"}
}

// -----

//===--- Derivative ops and the core ops derivatives use ---===//

// CHECK-LABEL: func.func @derivative_core_ops
func.func @derivative_core_ops(%x: tensor<3x2xf32>, %i: tensor<4xi32>, %u: tensor<4x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<5x5xf32>) {
  // CHECK: tg.erf %{{.*}} : tensor<3x2xf32>
  %e = tg.erf %x : tensor<3x2xf32>
  // CHECK: tg.scatter_add %{{.*}}[%{{.*}}], %{{.*}} axis 0 : tensor<3x2xf32>, tensor<4xi32>, tensor<4x2xf32>
  %s = tg.scatter_add %x[%i], %u axis 0 : tensor<3x2xf32>, tensor<4xi32>, tensor<4x2xf32>
  // CHECK: tg.pad %{{.*}} low [0, 1] high [0, 1] interior [1, 1] value 0.0 : tensor<3x2xf32> -> tensor<5x5xf32>
  %p = tg.pad %x low [0, 1] high [0, 1] interior [1, 1] value 0.0 : tensor<3x2xf32> -> tensor<5x5xf32>
  return %e, %s, %p : tensor<3x2xf32>, tensor<3x2xf32>, tensor<5x5xf32>
}

ml_program.global private mutable @w(#tg.zeros) : tensor<3x2xf32>

func.func @loss(%x: tensor<3x2xf32>, %labels: tensor<3xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<3x2xf32>
  %y = tg.mul %x, %w : tensor<3x2xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<3x2xf32>, tensor<3xi32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @square(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %y = tg.mul %x, %x : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// CHECK-LABEL: func.func @derivatives
func.func @derivatives(%x: tensor<3x2xf32>, %labels: tensor<3xi32>) -> (tensor<3x2xf32>, tensor<f32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  // CHECK: tg.grad @loss(%{{.*}}, %{{.*}}) wrt [0] globals [@w] : (tensor<3x2xf32>, tensor<3xi32>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
  %gx, %gw = tg.grad @loss(%x, %labels) wrt [0] globals [@w] : (tensor<3x2xf32>, tensor<3xi32>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
  // CHECK: tg.value_and_grad @loss(%{{.*}}, %{{.*}}) globals [@w] : (tensor<3x2xf32>, tensor<3xi32>) -> (tensor<f32>, tensor<3x2xf32>)
  %l, %gw2 = tg.value_and_grad @loss(%x, %labels) globals [@w] : (tensor<3x2xf32>, tensor<3xi32>) -> (tensor<f32>, tensor<3x2xf32>)
  // CHECK: tg.jvp @square(%{{.*}}) tangents(%{{.*}}) : (tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
  %y, %dy = tg.jvp @square(%x) tangents(%x) : (tensor<3x2xf32>, tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>)
  // CHECK: tg.straight_through %{{.*}}, %{{.*}} clip [-1.000000e+00, 1.000000e+00] : tensor<3x2xf32>
  %q = tg.straight_through %x, %y clip [-1.0, 1.0] : tensor<3x2xf32>
  return %gx, %l, %gw2, %dy, %q : tensor<3x2xf32>, tensor<f32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}
