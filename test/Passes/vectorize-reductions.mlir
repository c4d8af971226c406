// RUN: tgc-opt %s --tg-vectorize-reductions | FileCheck %s

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#all = affine_map<(i, j) -> ()>

// A row sum over 1024 columns: 64 lanes of 16 elements each, the lanes
// innermost (vector code), then a sum of the 64 partials of each row, in a
// fixed order. The body's column index is what it was.
// CHECK-LABEL: func.func @row_sum
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[X:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [256, 16, 64] : tensor<256x1024xf32> into tensor<256x16x64xf32>
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<256x64xf32>
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<256x64xf32>)
// CHECK:         %[[PARTIAL:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      ins(%[[X]] : tensor<256x16x64xf32>) outs(%[[FILL]] : tensor<256x64xf32>)
// CHECK:           %[[I:.*]] = linalg.index 1 : index
// CHECK:           %[[I64:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK:           %[[LANE:.*]] = linalg.index 2 : index
// CHECK:           arith.addi %[[I64]], %[[LANE]] : index
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[PARTIAL]] : tensor<256x64xf32>) outs(%{{.*}} : tensor<256xf32>)
// CHECK:           arith.addf
func.func @row_sum(%x: tensor<256x1024xf32>, %init: tensor<256xf32>) -> tensor<256xf32> {
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<256x1024xf32>) outs(%init : tensor<256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %y = arith.mulf %in, %jf : f32
    %s = arith.addf %out, %y : f32
    linalg.yield %s : f32
  } -> tensor<256xf32>
  return %r : tensor<256xf32>
}

// A full reduction (the mean of a loss): 64 chunks of rows in parallel
// first, each in 64 lanes of f32, then the chunks and the lanes combined.
// CHECK-LABEL: func.func @full_max
// CHECK-DAG:     %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[LANES:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[CHUNKS:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      ins(%[[LANES]] : tensor<64x64xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["reduction"]
// CHECK-SAME:      ins(%[[CHUNKS]] : tensor<64xf32>) outs(%{{.*}} : tensor<f32>)
func.func @full_max(%x: tensor<512x1024xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#id, #all], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<512x1024xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %out, %in : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// A full sum of 50000 elements (one parameter's share of a loss, bench B1):
// 16 lanes (the most that divide it), and 25 chunks that run on all cores;
// a full sum of 8192 elements is too short for chunks.
// CHECK-LABEL: func.func @parameter_sums
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-SAME:      outs(%{{.*}} : tensor<25x16xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "reduction"]
// CHECK-SAME:      ins(%{{.*}} : tensor<25x16xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["reduction", "parallel"]
// CHECK-SAME:      ins(%{{.*}} : tensor<128x64xf32>) outs(%{{.*}} : tensor<64xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["reduction"]
// CHECK-NOT:     linalg.generic
func.func @parameter_sums(%x: tensor<50000xf32>, %y: tensor<8192xf32>, %init: tensor<f32>)
    -> (tensor<f32>, tensor<f32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%x : tensor<50000xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  %1 = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>], iterator_types = ["reduction"]}
      ins(%y : tensor<8192xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// A row of 1001, which no lane count divides (as a vocabulary of 50257):
// the first 960 columns in 64 lanes, then a tail over the last 41 that
// starts from the head's result and whose column index is shifted back to
// the original (+ 960).
// CHECK-LABEL: func.func @head_and_tail
// CHECK:         %[[HEAD_IN:.*]] = tensor.extract_slice %[[X:.*]][0, 0] [8, 960] [1, 1]
// CHECK:         tensor.expand_shape %[[HEAD_IN]] {{\[}}[0], [1, 2]] output_shape [8, 15, 64]
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:         %[[HEAD:.*]] = linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%{{.*}} : tensor<8x64xf32>)
// CHECK:         %[[TAIL_IN:.*]] = tensor.extract_slice %[[X]][0, 960] [8, 41] [1, 1]
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-SAME:      ins(%[[TAIL_IN]] : tensor<8x41xf32>) outs(%[[HEAD]] : tensor<8xf32>)
// CHECK:           %[[J:.*]] = linalg.index 1 : index
// CHECK:           %[[C960:.*]] = arith.constant 960 : index
// CHECK:           arith.addi %[[J]], %[[C960]] : index
func.func @head_and_tail(%x: tensor<8x1001xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x1001xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %y = arith.mulf %in, %jf : f32
    %s = arith.addf %out, %y : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// Left alone: a column sum (the inner loop is parallel already), an
// integer sum (LLVM reassociates it), a short row.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @left_alone(%x: tensor<256x1024xf32>, %c: tensor<1024xf32>, %i: tensor<256x1024xi32>,
                      %ri: tensor<256xi32>, %s: tensor<256x16xf32>, %r: tensor<256xf32>)
    -> (tensor<1024xf32>, tensor<256xi32>, tensor<256xf32>) {
  %0 = linalg.generic {indexing_maps = [#id, affine_map<(i, j) -> (j)>], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<256x1024xf32>) outs(%c : tensor<1024xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<1024xf32>
  %1 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%i : tensor<256x1024xi32>) outs(%ri : tensor<256xi32>) {
  ^bb0(%in: i32, %out: i32):
    %a = arith.addi %out, %in : i32
    linalg.yield %a : i32
  } -> tensor<256xi32>
  %2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%s : tensor<256x16xf32>) outs(%r : tensor<256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  } -> tensor<256xf32>
  return %0, %1, %2 : tensor<1024xf32>, tensor<256xi32>, tensor<256xf32>
}
