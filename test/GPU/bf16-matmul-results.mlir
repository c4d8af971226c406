// RUN: tgc-opt %s --tg-gpu-bf16-matmul-results --canonicalize | FileCheck %s

// Autocast's bf16 matmuls on tensors (tg-gpu-bf16-matmul-operands made
// their operands bf16): an f32 product that every reader only rounds to
// bf16 is rounded once, right after the matmul, and the readers read the
// bf16 tensor; after bufferization cuBLAS writes it
// (tgc_cuda_matmul_bf16_bf16, matmul-bf16-results.mlir) and the f32
// product is never stored.

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#q = affine_map<(b, m, n, k) -> (b, m, k)>
#kT = affine_map<(b, m, n, k) -> (b, n, k)>
#s = affine_map<(b, m, n, k) -> (b, m, n)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mT = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]

// Attention scores as a softmax reads them: a row max and a transposed
// elementwise read, both through the heads' expand_shape, both rounding
// every element first.
// CHECK-LABEL: func.func @scores
// CHECK:         %[[S:.*]] = linalg.batch_matmul {{.*}} -> tensor<6x4x4xf32>
// CHECK:         %[[R:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<6x4x4xf32>) outs(%{{.*}} : tensor<6x4x4xbf16>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT:      %[[T:.*]] = arith.truncf %[[IN]] : f32 to bf16
// CHECK-NEXT:      linalg.yield %[[T]] : bf16
// CHECK:         %[[R4:.*]] = tensor.expand_shape %[[R]] {{.*}} into tensor<2x3x4x4xbf16>
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} ins(%[[R4]] : tensor<2x3x4x4xbf16>)
// CHECK-NEXT:    ^bb0(%[[E:.*]]: bf16, %[[ACC:.*]]: bf16):
// CHECK-NEXT:      arith.maximumf %[[ACC]], %[[E]] : bf16
// CHECK:         linalg.generic {{.*}} ins(%[[R4]], %[[MAX]] : tensor<2x3x4x4xbf16>, tensor<2x3x4xbf16>)
// CHECK-NOT:     arith.truncf
// CHECK:         return

func.func @scores(%q: tensor<6x4x8xbf16>, %k: tensor<6x4x8xbf16>) -> (tensor<2x3x4xbf16>, tensor<2x3x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %lowest = arith.constant -3.0e+38 : bf16
  %e = tensor.empty() : tensor<6x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s = linalg.batch_matmul indexing_maps = [#q, #kT, #s] ins(%q, %k : tensor<6x4x8xbf16>, tensor<6x4x8xbf16>) outs(%acc : tensor<6x4x4xf32>) -> tensor<6x4x4xf32>
  %s4 = tensor.expand_shape %s [[0, 1], [2], [3]] output_shape [2, 3, 4, 4] : tensor<6x4x4xf32> into tensor<2x3x4x4xf32>
  %me = tensor.empty() : tensor<2x3x4xbf16>
  %minit = linalg.fill ins(%lowest : bf16) outs(%me : tensor<2x3x4xbf16>) -> tensor<2x3x4xbf16>
  %max = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%s4 : tensor<2x3x4x4xf32>) outs(%minit : tensor<2x3x4xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %r = arith.truncf %in : f32 to bf16
    %m = arith.maximumf %out, %r : bf16
    linalg.yield %m : bf16
  } -> tensor<2x3x4xbf16>
  %te = tensor.empty() : tensor<2x3x4x4xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, d, c)>, affine_map<(a, b, c, d) -> (a, b, c)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s4, %max : tensor<2x3x4x4xf32>, tensor<2x3x4xbf16>) outs(%te : tensor<2x3x4x4xf32>) {
  ^bb0(%in: f32, %mx: bf16, %out: f32):
    %r = arith.truncf %in : f32 to bf16
    %d = arith.subf %r, %mx : bf16
    %w = arith.extf %d : bf16 to f32
    linalg.yield %w : f32
  } -> tensor<2x3x4x4xf32>
  return %max, %t : tensor<2x3x4xbf16>, tensor<2x3x4x4xf32>
}

// A product whose only reader is its rounding (a bias-free bf16 linear):
// that rounding is the one, the reader's copy folds away.
// CHECK-LABEL: func.func @rounded_only
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK-NEXT:    %{{.*}} = tensor.empty() : tensor<4x16xbf16>
// CHECK-NEXT:    %[[R:.*]] = linalg.generic {{.*}} ins(%[[P]] : tensor<4x16xf32>)
// CHECK:         arith.truncf
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]

func.func @rounded_only(%x: tensor<4x8xbf16>, %w: tensor<16x8xbf16>) -> tensor<4x16xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%x, %w : tensor<4x8xbf16>, tensor<16x8xbf16>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %be = tensor.empty() : tensor<4x16xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x16xf32>) outs(%be : tensor<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x16xbf16>
  return %r : tensor<4x16xbf16>
}

// One reader also uses the f32 element (an f32 bias added before the
// rounding): the product stays f32 for every reader.
// CHECK-LABEL: func.func @also_read_as_f32
// CHECK:         %[[P:.*]] = linalg.matmul
// CHECK-NEXT:    tensor.empty() : tensor<4x16xbf16>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[P]] : tensor<4x16xf32>) outs(%{{.*}} : tensor<4x16xbf16>)
// CHECK:         linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<4x16xf32>, tensor<16xf32>)
// CHECK-NEXT:    ^bb0(%[[IN:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: bf16):
// CHECK-NEXT:      arith.addf %[[IN]], %[[B]] : f32

func.func @also_read_as_f32(%x: tensor<4x8xbf16>, %w: tensor<16x8xbf16>, %bias: tensor<16xf32>) -> (tensor<4x16xbf16>, tensor<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%x, %w : tensor<4x8xbf16>, tensor<16x8xbf16>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %be = tensor.empty() : tensor<4x16xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x16xf32>) outs(%be : tensor<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x16xbf16>
  %biased = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<4x16xf32>, tensor<16xf32>) outs(%be : tensor<4x16xbf16>) {
  ^bb0(%in: f32, %b: f32, %out: bf16):
    %a = arith.addf %in, %b : f32
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x16xbf16>
  return %r, %biased : tensor<4x16xbf16>, tensor<4x16xbf16>
}

// f32 operands (an f32 model's matmul, rounded by a cast): the exact f32
// product stays, rounded where it is read.
// CHECK-LABEL: func.func @f32_operands
// CHECK:         %[[P:.*]] = linalg.matmul {{.*}} -> tensor<4x16xf32>
// CHECK-NEXT:    %{{.*}} = tensor.empty() : tensor<4x16xbf16>
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[P]] : tensor<4x16xf32>)

func.func @f32_operands(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xbf16> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.matmul indexing_maps = #mT ins(%x, %w : tensor<4x8xf32>, tensor<16x8xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %be = tensor.empty() : tensor<4x16xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x16xf32>) outs(%be : tensor<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x16xbf16>
  return %r : tensor<4x16xbf16>
}

// A matmul that accumulates into its init, and one whose product is
// returned: both keep their f32 products.
// CHECK-LABEL: func.func @accumulating_or_returned
// CHECK:         %[[ACC:.*]] = linalg.matmul {{.*}} outs(%arg2 : tensor<4x16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[ACC]] : tensor<4x16xf32>)
// CHECK:         %[[RET:.*]] = linalg.matmul
// CHECK-NOT:     linalg.generic
// CHECK:         return %{{.*}}, %[[RET]]
func.func @accumulating_or_returned(%x: tensor<4x8xbf16>, %w: tensor<16x8xbf16>, %c: tensor<4x16xf32>) -> (tensor<4x16xbf16>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = linalg.matmul indexing_maps = #mT ins(%x, %w : tensor<4x8xbf16>, tensor<16x8xbf16>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %be = tensor.empty() : tensor<4x16xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x16xf32>) outs(%be : tensor<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x16xbf16>
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %z = linalg.matmul indexing_maps = #mT ins(%x, %w : tensor<4x8xbf16>, tensor<16x8xbf16>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r, %z : tensor<4x16xbf16>, tensor<4x16xf32>
}
