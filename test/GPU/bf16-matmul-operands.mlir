// RUN: tgc-opt %s --tg-gpu-bf16-matmul-operands --canonicalize | FileCheck %s

// A bf16 matmul as tg-decompose leaves it: f32 operands widened from bf16.
// The matmul reads the bf16 values (f32 accumulation); the widened copies
// go away unless something else reads them.

#id = affine_map<(d0, d1) -> (d0, d1)>
#mT = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// CHECK-LABEL: func.func @widened_inputs
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xbf16>, %[[W:.*]]: tensor<16x8xbf16>)
// CHECK-NOT:     arith.extf
// CHECK:         linalg.matmul {{.*}} ins(%[[X]], %[[W]] : tensor<4x8xbf16>, tensor<16x8xbf16>) outs(%{{.*}} : tensor<4x16xf32>)
func.func @widened_inputs(%x: tensor<4x8xbf16>, %w: tensor<16x8xbf16>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xe = tensor.empty() : tensor<4x8xf32>
  %xf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xbf16>) outs(%xe : tensor<4x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<4x8xf32>
  %we = tensor.empty() : tensor<16x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xbf16>) outs(%we : tensor<16x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<16x8xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%xf, %wf : tensor<4x8xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Autocast's rounding fused with the widening, the f32 operand also read
// elsewhere and seen through a reshape: the generic writes the bf16 value
// too, and the reshape is redone on it.
// CHECK-LABEL: func.func @rounded_and_reshaped
// CHECK:         %[[BOTH:.*]]:2 = linalg.generic
// CHECK:           %[[R:.*]] = arith.truncf
// CHECK:           %[[E:.*]] = arith.extf %[[R]]
// CHECK:           linalg.yield %[[E]], %[[R]] : f32, bf16
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %[[BOTH]]#1 {{.*}} into tensor<8x8xbf16>
// CHECK:         linalg.matmul {{.*}} ins(%[[FLAT]], %{{.*}} : tensor<8x8xbf16>, tensor<16x8xbf16>)
// CHECK:         return %{{.*}}, %[[BOTH]]#0
func.func @rounded_and_reshaped(%x: tensor<2x4x8xf32>, %w: tensor<16x8xbf16>) -> (tensor<8x16xf32>, tensor<2x4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %xe = tensor.empty() : tensor<2x4x8xf32>
  %xf = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x8xf32>) outs(%xe : tensor<2x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.truncf %in : f32 to bf16
    %e = arith.extf %r : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<2x4x8xf32>
  %flat = tensor.collapse_shape %xf [[0, 1], [2]] : tensor<2x4x8xf32> into tensor<8x8xf32>
  %we = tensor.empty() : tensor<16x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xbf16>) outs(%we : tensor<16x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<16x8xf32>
  %e = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%flat, %wf : tensor<8x8xf32>, tensor<16x8xf32>) outs(%acc : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %y, %xf : tensor<8x16xf32>, tensor<2x4x8xf32>
}

// One f32 operand: the matmul stays f32.
// CHECK-LABEL: func.func @one_f32_operand
// CHECK:         linalg.matmul {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<16x8xf32>)
func.func @one_f32_operand(%x: tensor<4x8xf32>, %w: tensor<16x8xbf16>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %we = tensor.empty() : tensor<16x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xbf16>) outs(%we : tensor<16x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<16x8xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%x, %wf : tensor<4x8xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// Autocast's rounding fused with the widening, the f32 operand read by the
// matmul only: the generic yields the bf16 value alone (the pass removes
// the dead f32 result, which would be a full f32 write).
// CHECK-LABEL: func.func @rounded_for_the_matmul_only
// CHECK:         %[[R:.*]] = linalg.generic
// CHECK-SAME:      outs(%{{.*}} : tensor<4x8xbf16>)
// CHECK-NOT:       arith.extf
// CHECK:           linalg.yield %{{.*}} : bf16
// CHECK:         linalg.matmul {{.*}} ins(%[[R]], %{{.*}} : tensor<4x8xbf16>, tensor<16x8xbf16>)
func.func @rounded_for_the_matmul_only(%x: tensor<4x8xf32>, %w: tensor<16x8xbf16>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %xe = tensor.empty() : tensor<4x8xf32>
  %xf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%xe : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.truncf %in : f32 to bf16
    %e = arith.extf %r : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<4x8xf32>
  %we = tensor.empty() : tensor<16x8xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<16x8xbf16>) outs(%we : tensor<16x8xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %e = arith.extf %in : bf16 to f32
    linalg.yield %e : f32
  } -> tensor<16x8xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%xf, %wf : tensor<4x8xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
