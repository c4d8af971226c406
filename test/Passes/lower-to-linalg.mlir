// RUN: tgc-opt %s --tg-lower-to-linalg --split-input-file | FileCheck %s

// What each family of core tg ops becomes. The meaning is the reference
// interpreter's; test/Unit/CompiledVsInterpreterTest.cpp runs the compiled
// code against it.

// Constants: tg.constant and tg.fill are arith.constant.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<-1.500000e+00> : tensor<2x3xf32>
// CHECK-DAG: arith.constant dense<true> : tensor<3xi1>
// CHECK-NOT: tg.
func.func @constants() -> (tensor<2xf32>, tensor<2x3xf32>, tensor<3xi1>) {
  %c = tg.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %f = tg.fill -1.5 : tensor<2x3xf32>
  %t = tg.fill true : tensor<3xi1>
  return %c, %f, %t : tensor<2xf32>, tensor<2x3xf32>, tensor<3xi1>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @iota
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x3xi32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<2x3xi32>)
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[C:.*]] = arith.index_cast %[[I]] : index to i32
// CHECK: linalg.yield %[[C]] : i32
func.func @iota() -> tensor<2x3xi32> {
  %i = tg.iota 1 : tensor<2x3xi32>
  return %i : tensor<2x3xi32>
}

// -----

// tg.random: Philox 4x32-10 on counter + i / 4 keyed by the seed, ten rounds
// of 32x32->64 multiplies, lane i % 4, then (bits >> 8) * 2^-24.
// CHECK-LABEL: func.func @random
// CHECK-SAME: (%[[SEED:.*]]: tensor<i64>, %[[CTR:.*]]: tensor<i64>)
// CHECK-DAG: %[[S:.*]] = tensor.extract %[[SEED]][] : tensor<i64>
// CHECK-DAG: %[[K:.*]] = tensor.extract %[[CTR]][] : tensor<i64>
// CHECK: linalg.generic
// CHECK: linalg.index 1
// CHECK: linalg.index 0
// CHECK: %[[LIN:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[BLOCK:.*]] = arith.shrui %[[LIN]], %{{.*}} : i64
// CHECK: arith.addi %[[K]], %[[BLOCK]] : i64
// CHECK-COUNT-20: arith.mului_extended
// CHECK: %[[BITS:.*]] = arith.shrui %{{.*}}, %{{.*}} : i32
// CHECK: %[[F:.*]] = arith.uitofp %[[BITS]] : i32 to f32
// CHECK: %[[U:.*]] = arith.mulf %[[F]], %{{.*}} : f32
// CHECK: linalg.yield %[[U]] : f32
func.func @random(%seed: tensor<i64>, %counter: tensor<i64>) -> tensor<4x8xf32> {
  %u = tg.random uniform %seed, %counter : tensor<i64>, tensor<i64> -> tensor<4x8xf32>
  return %u : tensor<4x8xf32>
}

// -----

// Elementwise ops are one linalg.generic; broadcasting is in the indexing
// maps: missing leading dimensions are dropped, size-1 ones read index 0.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<2x1x3xf32>, tensor<4x1xf32>) outs(%{{.*}} : tensor<2x4x3xf32>)
// CHECK: ^bb0(%[[X0:.*]]: f32, %[[X1:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[X0]], %[[X1]] : f32
// CHECK: linalg.yield %[[S]]
func.func @add_broadcast(%a: tensor<2x1x3xf32>, %b: tensor<4x1xf32>) -> tensor<2x4x3xf32> {
  %y = tg.add %a, %b : tensor<2x1x3xf32>, tensor<4x1xf32> -> tensor<2x4x3xf32>
  return %y : tensor<2x4x3xf32>
}

// -----

// Integer division truncates toward zero; x / 0 is 0 and x / -1 is -x, so
// neither traps.
// CHECK-LABEL: func.func @integer_div
// CHECK: ^bb0(%[[N:.*]]: i32, %[[D:.*]]: i32, %{{.*}}: i32):
// CHECK: %[[ZERO:.*]] = arith.cmpi eq, %[[D]], %{{.*}} : i32
// CHECK: %[[MINUS:.*]] = arith.cmpi eq, %[[D]], %{{.*}} : i32
// CHECK: %[[SAFE:.*]] = arith.select %{{.*}}, %{{.*}}, %[[D]] : i32
// CHECK: %[[Q:.*]] = arith.divsi %[[N]], %[[SAFE]] : i32
// CHECK: arith.select %[[MINUS]]
// CHECK: arith.select %[[ZERO]]
func.func @integer_div(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %y = tg.div %a, %b : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

// NaN-propagating maximum; a rank-0 operand reads no index.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @maximum
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #{{.*}}]
// CHECK: arith.maximumf
func.func @maximum(%a: tensor<4xf32>, %b: tensor<f32>) -> tensor<4xf32> {
  %y = tg.maximum %a, %b : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// `ne` is unordered (true for NaN), the other float predicates ordered.
// CHECK-LABEL: func.func @compare_select
// CHECK: %[[MASK:.*]] = linalg.generic
// CHECK: arith.cmpf une
// CHECK: } -> tensor<2x3xi1>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[MASK]], %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>)
// CHECK: arith.select
// CHECK: arith.cmpf olt
func.func @compare_select(%x: tensor<2x3xf32>, %y: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %zero = tg.constant dense<0.0> : tensor<f32>
  %c = tg.compare ne %x, %zero : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xi1>
  %r = tg.select %c, %x, %y : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %l = tg.compare lt %x, %y : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  return %r, %l : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// Float to integer truncates toward zero and wraps through i64; integer to
// i1 is x != 0.
// CHECK-LABEL: func.func @cast
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.cmpi ne
func.func @cast(%x: tensor<4xf32>) -> tensor<4xi1> {
  %y = tg.cast %x : tensor<4xf32> to tensor<4xi32>
  %b = tg.cast %y : tensor<4xi32> to tensor<4xi1>
  return %b : tensor<4xi1>
}

// -----

// Unary math follows the interpreter's formulas.
// CHECK-LABEL: func.func @unary
// sigmoid = 1 / (1 + exp(-x))
// CHECK: arith.negf
// CHECK-NEXT: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// rsqrt = 1 / sqrt(x)
// CHECK: math.sqrt
// CHECK: arith.divf
// gelu (tanh) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// CHECK: arith.constant 4.471500e-02 : f32
// CHECK: math.tanh
// gelu (erf) = 0.5 x (1 + erf(x / sqrt(2)))
// CHECK: math.erf
func.func @unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = tg.sigmoid %x : tensor<4xf32>
  %b = tg.rsqrt %a : tensor<4xf32>
  %c = tg.gelu %b approximate = tanh : tensor<4xf32>
  %d = tg.gelu %c : tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// stop_gradient and straight_through only matter to autodiff.
// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%{{.*}}: tensor<4xf32>, %[[F:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[F]]
func.func @identities(%x: tensor<4xf32>, %f: tensor<4xf32>) -> tensor<4xf32> {
  %s = tg.stop_gradient %x : tensor<4xf32>
  %y = tg.straight_through %s, %f : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Size-1 dimensions that expand are collapsed away; linalg.broadcast adds
// the rest.
// CHECK-LABEL: func.func @broadcast_to
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<3x1xf32> into tensor<3xf32>
// CHECK: linalg.broadcast ins(%[[C]] : tensor<3xf32>) outs(%{{.*}} : tensor<2x3x4xf32>) dimensions = [0, 2]
func.func @broadcast_to(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %y = tg.broadcast_to %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// Reductions: linalg.reduce from the identity, a division for the mean,
// expand_shape for keepdim.
// CHECK-LABEL: func.func @reduce_mean_keepdim
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<3xf32>)
// CHECK: %[[SUM:.*]] = linalg.reduce { arith.addf } ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<3xf32>) dimensions = [0, 2]
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<3xf32>)
// CHECK: arith.constant 8.000000e+00 : f32
// CHECK: arith.divf
// CHECK: tensor.expand_shape %[[MEAN]] {{\[}}[0, 1, 2]] output_shape [1, 3, 1] : tensor<3xf32> into tensor<1x3x1xf32>
func.func @reduce_mean_keepdim(%x: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %y = tg.reduce_mean %x [0, -1] keepdim : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  return %y : tensor<1x3x1xf32>
}

// CHECK-LABEL: func.func @reduce_max_int
// CHECK: %[[LOWEST:.*]] = arith.constant -2147483648 : i32
// CHECK: linalg.fill ins(%[[LOWEST]] : i32)
// CHECK: linalg.reduce { arith.maxsi }
func.func @reduce_max_int(%x: tensor<2x3xi32>) -> tensor<2xi32> {
  %y = tg.reduce_max %x [1] : tensor<2x3xi32> -> tensor<2xi32>
  return %y : tensor<2xi32>
}

// A sum of bf16 accumulates in f32 (as PyTorch's), then rounds to bf16; a
// maximum is exact in its own type.
// CHECK-LABEL: func.func @reduce_sum_bf16
// CHECK:         %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2xf32>)
// CHECK:         %[[SUM:.*]] = linalg.reduce ins(%{{.*}} : tensor<2x1024xbf16>) outs(%[[INIT]] : tensor<2xf32>) dimensions = [1]
// CHECK:           %[[X:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK:           arith.addf %{{.*}}, %[[X]] : f32
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]] : tensor<2xf32>) outs(%{{.*}} : tensor<2xbf16>)
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
// CHECK:         linalg.reduce { arith.maximumf } ins(%{{.*}} : tensor<2x1024xbf16>) outs(%{{.*}} : tensor<2xbf16>)
func.func @reduce_sum_bf16(%x: tensor<2x1024xbf16>) -> (tensor<2xbf16>, tensor<2xbf16>) {
  %s = tg.reduce_sum %x [1] : tensor<2x1024xbf16> -> tensor<2xbf16>
  %m = tg.reduce_max %x [1] : tensor<2x1024xbf16> -> tensor<2xbf16>
  return %s, %m : tensor<2xbf16>, tensor<2xbf16>
}

// A bf16 softmax: the maximum in bf16 (exact), then x - max, the exps,
// their sum and the division in f32, rounded once.
// CHECK-LABEL: func.func @softmax_bf16
// CHECK:         linalg.reduce { arith.maximumf } ins(%{{.*}} : tensor<2x1024xbf16>) outs(%{{.*}} : tensor<2xbf16>)
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2xf32>)
// CHECK:           arith.extf %{{.*}} : bf16 to f32
// CHECK:           math.exp %{{.*}} : f32
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %[[SUM]] : tensor<2x1024xbf16>, tensor<2xbf16>, tensor<2xf32>) outs(%{{.*}} : tensor<2x1024xbf16>)
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f32
// CHECK:           arith.truncf %{{.*}} : f32 to bf16
func.func @softmax_bf16(%x: tensor<2x1024xbf16>) -> tensor<2x1024xbf16> {
  %y = tg.softmax %x axis 1 : tensor<2x1024xbf16>
  return %y : tensor<2x1024xbf16>
}

// -----

// Matmul without batch dimensions: linalg.matmul, transposes as maps.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @matmul_transpose_rhs
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: linalg.matmul indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]] ins(%{{.*}}, %{{.*}} : tensor<8x16xf32>, tensor<4x16xf32>) outs(%[[ZERO]] : tensor<8x4xf32>)
func.func @matmul_transpose_rhs(%x: tensor<8x16xf32>, %w: tensor<4x16xf32>) -> tensor<8x4xf32> {
  %y = tg.matmul %x, %w transpose_rhs : tensor<8x16xf32>, tensor<4x16xf32> -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// A 2-D right operand: the left operand's batch dimensions fold into rows.
// CHECK-LABEL: func.func @matmul_rows
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x8x16xf32> into tensor<16x16xf32>
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[ROWS]], %{{.*}} : tensor<16x16xf32>, tensor<16x4xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [2, 8, 4] : tensor<16x4xf32> into tensor<2x8x4xf32>
func.func @matmul_rows(%x: tensor<2x8x16xf32>, %w: tensor<16x4xf32>) -> tensor<2x8x4xf32> {
  %y = tg.matmul %x, %w : tensor<2x8x16xf32>, tensor<16x4xf32> -> tensor<2x8x4xf32>
  return %y : tensor<2x8x4xf32>
}

// -----

// Equal batch shapes: collapsed into one batch dimension, batch_matmul.
// CHECK-LABEL: func.func @matmul_batch
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x3x5x4xf32> into tensor<6x5x4xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x3x6x4xf32> into tensor<6x6x4xf32>
// CHECK: %[[P:.*]] = linalg.batch_matmul indexing_maps = [{{.*}}] ins({{.*}} : tensor<6x5x4xf32>, tensor<6x6x4xf32>) outs({{.*}} : tensor<6x5x6xf32>)
// CHECK: tensor.expand_shape %[[P]] {{.*}} output_shape [2, 3, 5, 6]
func.func @matmul_batch(%q: tensor<2x3x5x4xf32>, %k: tensor<2x3x6x4xf32>) -> tensor<2x3x5x6xf32> {
  %s = tg.matmul %q, %k transpose_rhs : tensor<2x3x5x4xf32>, tensor<2x3x6x4xf32> -> tensor<2x3x5x6xf32>
  return %s : tensor<2x3x5x6xf32>
}

// -----

// Broadcasting batch dimensions: a linalg.generic contraction.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @matmul_batch_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK: ^bb0(%[[L:.*]]: f32, %[[R:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[M:.*]] = arith.mulf %[[L]], %[[R]] : f32
// CHECK: arith.addf %[[ACC]], %[[M]] : f32
func.func @matmul_batch_broadcast(%a: tensor<2x1x3x4xf32>, %b: tensor<3x4x2xf32>) -> tensor<2x3x3x2xf32> {
  %y = tg.matmul %a, %b : tensor<2x1x3x4xf32>, tensor<3x4x2xf32> -> tensor<2x3x3x2xf32>
  return %y : tensor<2x3x3x2xf32>
}

// -----

// Layout: transpose, reshape (collapse, expand, or both through 1-D), slice.
// CHECK-LABEL: func.func @layout
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<2x6xf32> into tensor<12xf32>
// CHECK: tensor.expand_shape %[[FLAT]] {{\[}}[0, 1]] output_shape [3, 4] : tensor<12xf32> into tensor<3x4xf32>
// CHECK: tensor.extract_slice %{{.*}}[1, 1] [2, 3] [2, 2] : tensor<4x7xf32> to tensor<2x3xf32>
func.func @layout(%x: tensor<2x3x4xf32>, %y: tensor<2x6xf32>, %z: tensor<4x7xf32>)
    -> (tensor<4x2x3xf32>, tensor<6x4xf32>, tensor<3x4xf32>, tensor<2x3xf32>) {
  %t = tg.transpose %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %a = tg.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %b = tg.reshape %y : tensor<2x6xf32> -> tensor<3x4xf32>
  %s = tg.slice %z [1, 1] to [4, 7] step [2, 2] : tensor<4x7xf32> -> tensor<2x3xf32>
  return %t, %a, %b, %s : tensor<4x2x3xf32>, tensor<6x4xf32>, tensor<3x4xf32>, tensor<2x3xf32>
}

// -----

// Padding: tensor.pad; interior padding inserts with stride interior + 1
// into a filled tensor. Concat is tensor.concat.
// CHECK-LABEL: func.func @pad_concat
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: tensor.pad %{{.*}} low[1, 0] high[2, 1]
// CHECK: tensor.yield %[[HALF]] : f32
// CHECK: %[[FILLED:.*]] = linalg.fill
// CHECK: tensor.insert_slice %{{.*}} into %[[FILLED]][0, 1] [2, 3] [2, 3] : tensor<2x3xf32> into tensor<4x8xf32>
// CHECK: tensor.concat dim(1) %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
func.func @pad_concat(%x: tensor<2x3xf32>, %c: tensor<2x1xf32>) -> (tensor<5x4xf32>, tensor<4x8xf32>, tensor<2x4xf32>) {
  %a = tg.pad %x low [1, 0] high [2, 1] value 0.5 : tensor<2x3xf32> -> tensor<5x4xf32>
  %b = tg.pad %x low [0, 1] high [1, 0] interior [1, 2] value 0.0 : tensor<2x3xf32> -> tensor<4x8xf32>
  %y = tg.concat %x, %c axis -1 : tensor<2x3xf32>, tensor<2x1xf32> -> tensor<2x4xf32>
  return %a, %b, %y : tensor<5x4xf32>, tensor<4x8xf32>, tensor<2x4xf32>
}

// -----

// Gather: a linalg.generic over the result reading the index (clamped into
// range) and extracting the row.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[T:.*]]: tensor<10x4xf32>, %[[IDS:.*]]: tensor<2x3xi32>)
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #{{.*}}]{{.*}} ins(%[[IDS]] : tensor<2x3xi32>)
// CHECK: ^bb0(%[[ID:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[ROW:.*]] = arith.index_cast %[[ID]] : i32 to index
// CHECK: arith.maxsi %[[ROW]]
// CHECK: %[[CLAMPED:.*]] = arith.minsi
// CHECK: %[[COL:.*]] = linalg.index 2 : index
// CHECK: tensor.extract %[[T]][%[[CLAMPED]], %[[COL]]] : tensor<10x4xf32>
func.func @gather(%t: tensor<10x4xf32>, %ids: tensor<2x3xi32>) -> tensor<2x3x4xf32> {
  %y = tg.gather %t[%ids] axis 0 : tensor<10x4xf32>, tensor<2x3xi32> -> tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// scatter_add: loops over the updates carrying the result, extract + add +
// insert, so repeated indices accumulate in order.
// CHECK-LABEL: func.func @scatter_add
// CHECK-SAME: (%[[BASE:.*]]: tensor<5x2xf32>, %[[I:.*]]: tensor<4xi32>, %[[U:.*]]: tensor<4x2xf32>)
// CHECK: scf.for %[[A:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUTER:.*]] = %[[BASE]])
// CHECK: scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[OUTER]])
// CHECK: tensor.extract %[[I]][%[[A]]]
// CHECK: %[[ROW:.*]] = arith.minsi
// CHECK: %[[OLD:.*]] = tensor.extract %[[ACC]][%[[ROW]], %[[B]]]
// CHECK: %[[NEW:.*]] = tensor.extract %[[U]][%[[A]], %[[B]]]
// CHECK: %[[SUM:.*]] = arith.addf %[[OLD]], %[[NEW]]
// CHECK: tensor.insert %[[SUM]] into %[[ACC]][%[[ROW]], %[[B]]]
func.func @scatter_add(%base: tensor<5x2xf32>, %i: tensor<4xi32>, %u: tensor<4x2xf32>) -> tensor<5x2xf32> {
  %y = tg.scatter_add %base[%i], %u axis 0 : tensor<5x2xf32>, tensor<4xi32>, tensor<4x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// One element per row: the label clamped for the read, 0 when out of range.
// CHECK-LABEL: func.func @take_along
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}} : tensor<4xi32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: ^bb0(%[[L:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[ROW:.*]] = linalg.index 0 : index
// CHECK: %[[CLAMPED:.*]] = arith.minsi
// CHECK: %[[PICKED:.*]] = tensor.extract %{{.*}}[%[[ROW]], %[[CLAMPED]]] : tensor<4x10xf32>
// CHECK: arith.select %{{.*}}, %[[PICKED]], %{{.*}} : f32
func.func @take_along(%x: tensor<4x10xf32>, %labels: tensor<4xi32>) -> tensor<4xf32> {
  %y = tg.take_along %x[%labels] : tensor<4x10xf32>, tensor<4xi32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @one_hot
// CHECK: linalg.generic
// CHECK: ^bb0(%[[L:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[WIDE:.*]] = arith.extsi %[[L]] : i32 to i64
// CHECK: %[[C:.*]] = linalg.index 1 : index
// CHECK: %[[CI:.*]] = arith.index_cast %[[C]] : index to i64
// CHECK: %[[HIT:.*]] = arith.cmpi eq, %[[WIDE]], %[[CI]] : i64
// CHECK: arith.select %[[HIT]]
func.func @one_hot(%labels: tensor<4xi32>) -> tensor<4x10xf32> {
  %y = tg.one_hot %labels classes 10 : tensor<4xi32> -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

// Softmax: max-reduce, a reduction of exp(x - max), then exp(x - max) / sum;
// log_softmax ends with (x - max) - log(sum).
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.reduce { arith.maximumf } ins(%{{.*}} : tensor<2x5xf32>) outs(%[[MAXINIT]] : tensor<2xf32>) dimensions = [1]
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[MAX]], %[[SUM]] : tensor<2x5xf32>, tensor<2xf32>, tensor<2xf32>)
// CHECK: %[[SHIFTED:.*]] = arith.subf
// CHECK: %[[E:.*]] = math.exp %[[SHIFTED]]
// CHECK: arith.divf %[[E]]
func.func @softmax(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %y = tg.softmax %x : tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// CHECK-LABEL: func.func @log_softmax
// CHECK: linalg.reduce { arith.maximumf } {{.*}} dimensions = [0]
// CHECK: iterator_types = ["reduction", "parallel"]
// CHECK: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SHIFTED:.*]] = arith.subf
// CHECK: %[[LOG:.*]] = math.log %[[S]]
// CHECK: arith.subf %[[SHIFTED]], %[[LOG]]
func.func @log_softmax(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %y = tg.log_softmax %x axis 0 : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Ops inside loops are lowered in place.
// CHECK-LABEL: func.func @loop
// CHECK: scf.for
// CHECK: tensor.extract_slice
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: scf.yield
// CHECK-NOT: tg.
func.func @loop(%h0: tensor<2x3xf32>, %xs: tensor<4x2x3xf32>) -> tensor<2x3xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  %h = scf.for %i = %c0 to %c4 step %c1 iter_args(%hi = %h0) -> (tensor<2x3xf32>) {
    %x = tensor.extract_slice %xs[%i, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<4x2x3xf32> to tensor<2x3xf32>
    %b = tg.add %hi, %x : tensor<2x3xf32>
    %n = tg.tanh %b : tensor<2x3xf32>
    scf.yield %n : tensor<2x3xf32>
  }
  return %h : tensor<2x3xf32>
}

// -----

// Globals: constant initializers become their splat; random ones zero
// storage that keeps the initializer for the runtime.
// CHECK: ml_program.global private mutable @w(dense<0.000000e+00> : tensor<4x4xf32>) : tensor<4x4xf32> {tg.initializer = #tg.normal<std = 0.02>}
// CHECK: ml_program.global private mutable @b(dense<1.000000e-01> : tensor<4xf32>) : tensor<4xf32>
// CHECK-NOT: tg.initializer
ml_program.global private mutable @w(#tg.normal<std = 0.02>) : tensor<4x4xf32>
ml_program.global private mutable @b(#tg.constant<0.1>) : tensor<4xf32>
