// RUN: tgc-opt %s --tg-lower-to-linalg --tg-split-reductions --canonicalize | FileCheck %s
// RUN: tgc-opt %s --tg-lower-to-linalg --tg-split-reductions=leave-rows=true --canonicalize | FileCheck %s --check-prefix=ROWS

// Reductions of at least 512 elements are split: partials over a new inner
// parallel dimension (element k goes to partial k % ratio), then the
// partials reduced; a long partial reduction is split again.

// CHECK-LABEL: func.func @row_max
// CHECK:         tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [4, 8, 125]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:           arith.maximumf
// CHECK:         } -> tensor<4x125xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK:         } -> tensor<4xf32>
func.func @row_max(%x: tensor<4x1000xf32>) -> tensor<4xf32> {
  %r = tg.reduce_max %x [1] : tensor<4x1000xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// 2^20 = 1024 partials of 1024, then 128 partials of 8, then (a short
// reduction to one output) 16 partials of 8, then 16.
// CHECK-LABEL: func.func @full_sum
// CHECK:         -> tensor<1024xf32>
// CHECK:         -> tensor<128xf32>
// CHECK:         -> tensor<16xf32>
// CHECK:         -> tensor<f32>
func.func @full_sum(%x: tensor<1048576xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<1048576xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// Short reductions with outputs enough for many threads, short ones of
// fewer than 64 elements, and sizes without a divisor (a prime) stay.
// CHECK-LABEL: func.func @stays
// CHECK-NOT:     tensor.expand_shape
// CHECK:         return
func.func @stays(%x: tensor<32x500xf32>, %y: tensor<1009xf32>, %z: tensor<63xf32>)
    -> (tensor<32xf32>, tensor<f32>, tensor<f32>) {
  %r = tg.reduce_sum %x [1] : tensor<32x500xf32> -> tensor<32xf32>
  %s = tg.reduce_sum %y [0] : tensor<1009xf32> -> tensor<f32>
  %t = tg.reduce_sum %z [0] : tensor<63xf32> -> tensor<f32>
  return %r, %s, %t : tensor<32xf32>, tensor<f32>, tensor<f32>
}

// Short reductions to fewer than 32 outputs split too, into partials of
// about 8: a loss's mean over 128 rows into 16 lanes of 8 elements; the
// bias gradient of a 10-class layer, a sum over 128 rows, into 16 chunks of
// 8 rows, placed first.
// CHECK-LABEL: func.func @few_outputs
// CHECK:         tensor.expand_shape %arg0 {{\[}}[0, 1]] output_shape [8, 16]
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK:         } -> tensor<16xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK:         } -> tensor<f32>
// CHECK:         tensor.expand_shape %arg1 {{\[}}[0, 1], [2]] output_shape [16, 8, 10]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:         } -> tensor<16x10xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// CHECK:         } -> tensor<10xf32>
func.func @few_outputs(%terms: tensor<128xf32>, %dlogits: tensor<128x10xf32>)
    -> (tensor<f32>, tensor<10xf32>) {
  %loss = tg.reduce_sum %terms [0] : tensor<128xf32> -> tensor<f32>
  %bias = tg.reduce_sum %dlogits [0] : tensor<128x10xf32> -> tensor<10xf32>
  return %loss, %bias : tensor<f32>, tensor<10xf32>
}

// A reduction of several dimensions whose innermost is short splits its
// longest into contiguous chunks, placed first: 1024 rows of 10 become 512
// partials of 2 rows.
// CHECK-LABEL: func.func @full_sum_2d
// CHECK:         tensor.expand_shape %arg0 {{\[\[}}0, 1], [2]] output_shape [512, 2, 10]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]
// CHECK:         } -> tensor<512xf32>
// CHECK:         } -> tensor<f32>
func.func @full_sum_2d(%x: tensor<1024x10xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0, 1] : tensor<1024x10xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// A loss over a whole activation: 96 lanes of the innermost 768 are too
// few threads, so the 1024 rows split again, into 512 chunks of 2 (49152
// threads, neighbours on neighbouring elements), and still too few for 128
// elements each: the batch of 8 into 4 chunks of 2 (196608 threads, 32
// elements each); then 4, 512 and 96 partials.
// CHECK-LABEL: func.func @sum_of_squares
// CHECK:         tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2, 3], [4, 5]] output_shape [4, 2, 512, 2, 8, 96]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction", "parallel"]
// CHECK:         } -> tensor<4x512x96xf32>
// CHECK:         } -> tensor<512x96xf32>
// CHECK:         } -> tensor<96xf32>
// CHECK:         } -> tensor<f32>
func.func @sum_of_squares(%x: tensor<8x1024x768xf32>) -> tensor<f32> {
  %s = tg.mul %x, %x : tensor<8x1024x768xf32>
  %r = tg.reduce_sum %s [0, 1, 2] : tensor<8x1024x768xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// A fusion group that reads linalg.index (the logit of the label) splits
// too; the body still compares the original column, 125 * i + lane.
// CHECK-LABEL: func.func @picked_logit
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:           %[[I:.+]] = linalg.index 1 : index
// CHECK:           %[[SCALED:.+]] = arith.muli %[[I]], %c125 : index
// CHECK:           %[[LANE:.+]] = linalg.index 2 : index
// CHECK:           %[[COLUMN:.+]] = arith.addi %[[SCALED]], %[[LANE]] : index
// CHECK:           arith.index_cast %[[COLUMN]] : index to i32
// CHECK:         } -> tensor<4x125xf32>
// CHECK:         } -> tensor<4xf32>
#rows = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
func.func @picked_logit(%x: tensor<4x1000xf32>, %labels: tensor<4xi32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#rows, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %labels : tensor<4x1000xf32>, tensor<4xi32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %label: i32, %acc: f32):
    %j = linalg.index 1 : index
    %c = arith.index_cast %j : index to i32
    %hit = arith.cmpi eq, %c, %label : i32
    %picked = arith.select %hit, %v, %zero : f32
    %sum = arith.addf %acc, %picked : f32
    linalg.yield %sum : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// A prime length (as a vocabulary of 50257, whose best divisor is 29): the
// first 9216 elements split among 1024 threads (then 128, then 16), the
// last 791 in a tail that continues from their result.
// CHECK-LABEL: func.func @prime_length
// CHECK:         %[[HEAD:.*]] = tensor.extract_slice %[[Y:.*]][0] [9216] [1]
// CHECK:         tensor.expand_shape %[[HEAD]] {{\[}}[0, 1]] output_shape [9, 1024]
// CHECK:         %[[SPLIT:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<16xf32>)
// CHECK:         %[[TAIL:.*]] = tensor.extract_slice %[[Y]][9216] [791] [1]
// CHECK:         linalg.generic {{.*}} ins(%[[TAIL]] : tensor<791xf32>) outs(%[[SPLIT]] : tensor<f32>)
func.func @prime_length(%y: tensor<10007xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%y : tensor<10007xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// With leave-rows: a sum of per-row terms that read the rows (a
// cross-entropy's picked logit x[r, label[r]]) becomes a loop over the rows
// writing each term, which tg-gpu-row-kernels adds to the rows' kernel,
// then the sum of the terms, split as any other.
// ROWS-LABEL: func.func @row_terms
// ROWS:         %[[TERMS:.+]] = linalg.generic {{.*}} iterator_types = ["parallel"]
// ROWS:           %[[ROW:.+]] = linalg.index 0 : index
// ROWS:           tensor.extract %arg0[%[[ROW]], %{{.+}}] : tensor<1024x1000xf32>
// ROWS:         } -> tensor<1024xf32>
// ROWS:         linalg.generic {{.*}} ins(%{{.*}} : tensor<8x128xf32>)
// ROWS:         } -> tensor<128xf32>
// ROWS:         } -> tensor<f32>
// ROWS-NOT:     tensor.extract
// Without it, the sum is split as any other: 128 partials of 8 rows.
// CHECK-LABEL: func.func @row_terms
// CHECK:         tensor.extract
// CHECK:         } -> tensor<128xf32>
#terms = affine_map<(i) -> (i)>
#total = affine_map<(i) -> ()>
func.func @row_terms(%x: tensor<1024x1000xf32>, %labels: tensor<1024xi32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#terms, #total], iterator_types = ["reduction"]}
      ins(%labels : tensor<1024xi32>) outs(%fill : tensor<f32>) {
  ^bb0(%label: i32, %acc: f32):
    %row = linalg.index 0 : index
    %column = arith.index_cast %label : i32 to index
    %picked = tensor.extract %x[%row, %column] : tensor<1024x1000xf32>
    %next = arith.addf %acc, %picked : f32
    linalg.yield %next : f32
  } -> tensor<f32>
  return %sum : tensor<f32>
}

// Short rows too (an MLP's 128 rows of 10 logits): one thread chasing the
// labels' loads one after another is slow, so each row's term gets a thread;
// the sum of the terms, initialized right before it, is a short reduction
// to one output: 16 partials of 8, then their sum.
// ROWS-LABEL: func.func @short_row_terms
// ROWS:         linalg.generic {{.*}} iterator_types = ["parallel"]
// ROWS:           tensor.extract %arg0
// ROWS:         } -> tensor<128xf32>
// ROWS-NEXT:    %[[INIT:.+]] = linalg.fill
// ROWS:         linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]
// ROWS:         } -> tensor<16xf32>
// ROWS-NEXT:    linalg.generic {{.*}} outs(%[[INIT]] : tensor<f32>)
func.func @short_row_terms(%x: tensor<128x10xf32>, %labels: tensor<128xi32>) -> tensor<f32> {
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<f32>
  %fill = linalg.fill ins(%zero : f32) outs(%init : tensor<f32>) -> tensor<f32>
  %sum = linalg.generic {indexing_maps = [#terms, #total], iterator_types = ["reduction"]}
      ins(%labels : tensor<128xi32>) outs(%fill : tensor<f32>) {
  ^bb0(%label: i32, %acc: f32):
    %row = linalg.index 0 : index
    %column = arith.index_cast %label : i32 to index
    %picked = tensor.extract %x[%row, %column] : tensor<128x10xf32>
    %next = arith.addf %acc, %picked : f32
    linalg.yield %next : f32
  } -> tensor<f32>
  return %sum : tensor<f32>
}
