// RUN: tgc-opt %s --tg-fuse | FileCheck %s

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// An elementwise chain becomes one linalg.generic.
// CHECK-LABEL: func.func @chain
// CHECK:         linalg.generic
// CHECK:           math.exp
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.generic
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %x : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %y = arith.mulf %in, %in2 : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  return %b : tensor<4x8xf32>
}

// An elementwise producer of a named matmul stays apart: the matmul keeps
// its name and so reaches the matmul kernels.
// CHECK-LABEL: func.func @matmul_stays_named
// CHECK:         linalg.generic
// CHECK:         linalg.matmul
func.func @matmul_stays_named(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %zero = arith.constant 0.0 : f32
    %y = arith.maximumf %in, %zero : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%z : f32) outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%r, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// A reduction is one group with the elementwise chain it reads, and the
// named linalg.reduce becomes a generic to take it in.
// CHECK-LABEL: func.func @reduction_with_producer
// CHECK:         linalg.fill
// CHECK-NEXT:    linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK-NOT:     linalg.{{generic|reduce|broadcast}}
func.func @reduction_with_producer(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %r0 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%z : f32) outs(%r0 : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.reduce { arith.addf } ins(%a : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
  return %r : tensor<4xf32>
}

// A cheap producer with two consumers is recomputed in each: nothing is
// written between them.
// CHECK-LABEL: func.func @cheap_producer_recomputed
// CHECK:         %[[A:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         %[[B:.*]] = linalg.generic
// CHECK-SAME:      ins(%{{.*}}, %[[A]] :
// CHECK:           math.exp
// CHECK:           arith.divf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[B]]
func.func @cheap_producer_recomputed(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.exp %in : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  %z = arith.constant 0.0 : f32
  %r0 = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%z : f32) outs(%r0 : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce { arith.addf } ins(%a : tensor<4x8xf32>) outs(%init : tensor<4xf32>) dimensions = [1]
  %b = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %s : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %sum: f32, %out: f32):
    %y = arith.divf %in, %sum : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  return %b : tensor<4x8xf32>
}

// A producer read through a broadcast is not recomputed for every element
// unless it is trivial: the log of each row stays a group of its own, the
// broadcast itself fuses.
// CHECK-LABEL: func.func @broadcast_use
// CHECK:         %[[LOG:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel"]
// CHECK:           math.log
// CHECK:         linalg.generic
// CHECK-SAME:      ins(%{{.*}}, %[[LOG]], %{{.*}} :
// CHECK-NOT:       math.log
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK-NOT:     linalg.{{generic|reduce|broadcast}}
func.func @broadcast_use(%x: tensor<4x8xf32>, %s: tensor<4xf32>, %c: tensor<f32>) -> tensor<4x8xf32> {
  %r0 = tensor.empty() : tensor<4xf32>
  %log = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%s : tensor<4xf32>) outs(%r0 : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.log %in : f32
    linalg.yield %y : f32
  } -> tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %cb = linalg.broadcast ins(%c : tensor<f32>) outs(%e : tensor<4x8xf32>) dimensions = [0, 1]
  %b = linalg.generic {indexing_maps = [#id, #row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %log, %cb : tensor<4x8xf32>, tensor<4xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %l: f32, %k: f32, %out: f32):
    %d = arith.subf %in, %l : f32
    %y = arith.mulf %d, %k : f32
    linalg.yield %y : f32
  } -> tensor<4x8xf32>
  return %b : tensor<4x8xf32>
}
