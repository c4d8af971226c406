// RUN: tgc-opt %s --split-input-file --verify-diagnostics

// Every verifier error of the tg dialect has a case here: core ops first,
// then layers and losses, then initializers, optimizers and train steps.

//===----------------------------------------------------------------------===//
// ODS type constraints
//===----------------------------------------------------------------------===//

func.func @exp_of_integers(%x: tensor<4xi32>) {
  // expected-error @+1 {{'tg.exp' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<4xi32>'}}
  %0 = tg.exp %x : tensor<4xi32>
  return
}

// -----

func.func @compare_result_not_bool(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.compare' op result #0 must be ranked tensor of 1-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = tg.compare eq %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @random_seed_not_scalar(%seed: tensor<2xi64>, %counter: tensor<i64>) {
  // expected-error @+1 {{'tg.random' op operand #0 must be 0D tensor of integer values, but got 'tensor<2xi64>'}}
  %0 = tg.random uniform %seed, %counter : tensor<2xi64>, tensor<i64> -> tensor<4xf32>
  return
}

// -----

func.func @add_of_index(%x: tensor<4xindex>) {
  // expected-error @+1 {{'tg.add' op operand #0 must be ranked tensor of floating-point or integer values, but got 'tensor<4xindex>'}}
  %0 = tg.add %x, %x : tensor<4xindex>
  return
}

// -----

func.func @gather_float_indices(%x: tensor<4x2xf32>, %i: tensor<3xf32>) {
  // expected-error @+1 {{'tg.gather' op operand #1 must be ranked tensor of integer values, but got 'tensor<3xf32>'}}
  %0 = tg.gather %x[%i] axis 0 : tensor<4x2xf32>, tensor<3xf32> -> tensor<3x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.fill and the literals of tg.fill and tg.pad
//===----------------------------------------------------------------------===//

// -----

func.func @fill_value_not_a_number() {
  // expected-error @+1 {{'tg.fill' op value must be an integer or floating-point number, got dense<1.000000e+00> : tensor<4xf32>}}
  %0 = "tg.fill"() <{value = dense<1.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  return
}

// -----

func.func @fill_value_type() {
  // expected-error @+1 {{'tg.fill' op value type 'f64' differs from the element type 'f32'}}
  %0 = "tg.fill"() <{value = 1.0 : f64}> : () -> tensor<4xf32>
  return
}

// -----

func.func @fill_integer_for_float() {
  // expected-error @+1 {{expected a floating-point literal such as 1.0 for element type 'f32'}}
  %0 = tg.fill 1 : tensor<4xf32>
  return
}

// -----

func.func @fill_float_for_integer() {
  // expected-error @+1 {{expected an integer literal for element type 'i32'}}
  %0 = tg.fill 1.5 : tensor<4xi32>
  return
}

// -----

func.func @fill_out_of_range() {
  // expected-error @+1 {{integer literal does not fit in 'i8'}}
  %0 = tg.fill 256 : tensor<4xi8>
  return
}

// -----

func.func @fill_float_out_of_range() {
  // expected-error @+1 {{floating-point literal does not fit in 'f16'}}
  %0 = tg.fill 1.0e+05 : tensor<4xf16>
  return
}

// -----

func.func @fill_bool_for_integer() {
  // expected-error @+1 {{true and false need element type i1, got 'i32'}}
  %0 = tg.fill true : tensor<4xi32>
  return
}

// -----

func.func @fill_negative_bool() {
  // expected-error @+1 {{expected a number after '-'}}
  %0 = tg.fill -true : tensor<4xi1>
  return
}

// -----

func.func @fill_index() {
  // expected-error @+1 {{expected a tensor of integers or floats, got element type 'index'}}
  %0 = tg.fill 0 : tensor<4xindex>
  return
}

//===----------------------------------------------------------------------===//
// tg.iota
//===----------------------------------------------------------------------===//

// -----

func.func @iota_dim_out_of_range() {
  // expected-error @+1 {{'tg.iota' op dimension 2 is out of range for a result of rank 2}}
  %0 = tg.iota 2 : tensor<4x4xi32>
  return
}

// -----

func.func @iota_negative_dim() {
  // expected-error @+1 {{'tg.iota' op dimension -1 is out of range for a result of rank 2}}
  %0 = tg.iota -1 : tensor<4x4xi32>
  return
}

//===----------------------------------------------------------------------===//
// Broadcasting binary ops (verifyBroadcastOp, verifyResultShape)
//===----------------------------------------------------------------------===//

// -----

func.func @add_element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{'tg.add' op operand #1 has element type 'i32' but operand #0 has 'f32'}}
  %0 = tg.add %a, %b : tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @add_not_broadcastable(%a: tensor<4x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tg.add' op operands are not broadcast-compatible: shapes [4, 3] and [4] do not broadcast: dimension -1 is 3 vs 4}}
  %0 = tg.add %a, %b : tensor<4x3xf32>, tensor<4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @mul_result_element_type(%a: tensor<4xf32>) {
  // expected-error @+1 {{'tg.mul' op result element type 'f16' differs from the operands' 'f32'}}
  %0 = tg.mul %a, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf16>
  return
}

// -----

func.func @sub_result_shape(%a: tensor<128x512xf32>, %b: tensor<512xf32>) {
  // expected-error @+1 {{'tg.sub' op result type 'tensor<512xf32>' does not match the inferred shape [128, 512]}}
  %0 = tg.sub %a, %b : tensor<128x512xf32>, tensor<512xf32> -> tensor<512xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.compare, tg.select, tg.cast
//===----------------------------------------------------------------------===//

// -----

func.func @compare_element_types(%a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{'tg.compare' op compares lhs of element type 'f32' with rhs of element type 'i32'}}
  %0 = tg.compare lt %a, %b : tensor<4xf32>, tensor<4xi32> -> tensor<4xi1>
  return
}

// -----

func.func @compare_not_broadcastable(%a: tensor<3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'tg.compare' op operands are not broadcast-compatible: shapes [3] and [4] do not broadcast: dimension -1 is 3 vs 4}}
  %0 = tg.compare lt %a, %b : tensor<3xf32>, tensor<4xf32> -> tensor<4xi1>
  return
}

// -----

func.func @compare_result_shape(%a: tensor<4x1xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'tg.compare' op result type 'tensor<4xi1>' does not match the inferred shape [4, 5]}}
  %0 = tg.compare lt %a, %b : tensor<4x1xf32>, tensor<5xf32> -> tensor<4xi1>
  return
}

// -----

func.func @select_branch_types(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xi32>) {
  // expected-error @+1 {{'tg.select' op true_value has element type 'f32' but false_value has 'i32'}}
  %0 = tg.select %c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @select_result_element_type(%c: tensor<4xi1>, %a: tensor<4xf32>) {
  // expected-error @+1 {{'tg.select' op result element type 'f64' differs from the values' 'f32'}}
  %0 = tg.select %c, %a, %a : tensor<4xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf64>
  return
}

// -----

func.func @select_not_broadcastable(%c: tensor<3xi1>, %a: tensor<4xf32>) {
  // expected-error @+1 {{'tg.select' op condition and values are not broadcast-compatible: shapes [3] and [4] do not broadcast: dimension -1 is 3 vs 4}}
  %0 = tg.select %c, %a, %a : tensor<3xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @select_result_shape(%c: tensor<2x1xi1>, %a: tensor<4xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'tg.select' op result type 'tensor<4xf32>' does not match the inferred shape [2, 4]}}
  %0 = tg.select %c, %a, %b : tensor<2x1xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return
}

// -----

func.func @cast_shape(%x: tensor<4x?xi32>) {
  // expected-error @+1 {{'tg.cast' op input shape [4, ?] differs from result shape [5, 2]}}
  %0 = tg.cast %x : tensor<4x?xi32> to tensor<5x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.broadcast_to
//===----------------------------------------------------------------------===//

// -----

func.func @broadcast_to_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.broadcast_to' op result element type 'i32' differs from the input's 'f32'}}
  %0 = tg.broadcast_to %x : tensor<4xf32> -> tensor<2x4xi32>
  return
}

// -----

func.func @broadcast_to_fewer_dims(%x: tensor<2x4xf32>) {
  // expected-error @+1 {{'tg.broadcast_to' op cannot broadcast shape [2, 4] to [4]: the target has fewer dimensions}}
  %0 = tg.broadcast_to %x : tensor<2x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @broadcast_to_mismatch(%x: tensor<3xf32>) {
  // expected-error @+1 {{'tg.broadcast_to' op cannot broadcast shape [3] to [2, 4]: operand dimension 0 is 3, expected 1 or 4}}
  %0 = tg.broadcast_to %x : tensor<3xf32> -> tensor<2x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// Reductions (verifyReduceOp)
//===----------------------------------------------------------------------===//

// -----

func.func @reduce_element_type(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reduce_sum' op result element type 'f16' differs from the input's 'f32'}}
  %0 = tg.reduce_sum %x [1] : tensor<4x5xf32> -> tensor<4xf16>
  return
}

// -----

func.func @reduce_axis_out_of_range(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reduce_mean' op axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = tg.reduce_mean %x [2] : tensor<4x5xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_axis_twice(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reduce_max' op axis -1 is reduced twice}}
  %0 = tg.reduce_max %x [1, -1] : tensor<4x5xf32> -> tensor<4xf32>
  return
}

// -----

func.func @reduce_result_shape(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reduce_min' op result type 'tensor<4xf32>' does not match the inferred shape [4, 1]}}
  %0 = tg.reduce_min %x [1] keepdim : tensor<4x5xf32> -> tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.matmul
//===----------------------------------------------------------------------===//

// -----

func.func @matmul_element_types(%a: tensor<2x3xf32>, %b: tensor<3x4xbf16>) {
  // expected-error @+1 {{'tg.matmul' op lhs has element type 'f32' but rhs has 'bf16'}}
  %0 = tg.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xbf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_result_element_type(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'tg.matmul' op result element type 'f64' differs from the operands' 'f32'}}
  %0 = tg.matmul %a, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf64>
  return
}

// -----

func.func @matmul_rank(%a: tensor<3xf32>, %b: tensor<3x4xf32>) {
  // expected-error @+1 {{'tg.matmul' op operands must have rank >= 2, got lhs [3] and rhs [3, 4]}}
  %0 = tg.matmul %a, %b : tensor<3xf32>, tensor<3x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @matmul_contracting(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>) {
  // expected-error @+1 {{'tg.matmul' op contracting dimensions differ: lhs has 784 (dim 1), rhs has 512 (dim 0)}}
  %0 = tg.matmul %x, %w : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x784xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<2x4x3xf32>, %b: tensor<5x3x6xf32>) {
  // expected-error @+1 {{'tg.matmul' op batch dimensions [2] and [5] do not broadcast}}
  %0 = tg.matmul %a, %b : tensor<2x4x3xf32>, tensor<5x3x6xf32> -> tensor<2x4x6xf32>
  return
}

// -----

func.func @matmul_result_shape(%x: tensor<128x784xf32>, %w: tensor<512x784xf32>) {
  // expected-error @+1 {{'tg.matmul' op result type 'tensor<128x784xf32>' does not match the inferred shape [128, 512]}}
  %0 = tg.matmul %x, %w transpose_rhs : tensor<128x784xf32>, tensor<512x784xf32> -> tensor<128x784xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.transpose, tg.reshape
//===----------------------------------------------------------------------===//

// -----

func.func @transpose_element_type(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.transpose' op result element type 'i32' differs from the input's 'f32'}}
  %0 = tg.transpose %x [1, 0] : tensor<4x5xf32> -> tensor<5x4xi32>
  return
}

// -----

func.func @transpose_length(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.transpose' op permutation has 3 entries but the operand has rank 2}}
  %0 = tg.transpose %x [1, 0, 2] : tensor<4x5xf32> -> tensor<5x4xf32>
  return
}

// -----

func.func @transpose_not_a_permutation(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.transpose' op permutation [0, 0] is not a permutation of [0, 2)}}
  %0 = tg.transpose %x [0, 0] : tensor<4x5xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @transpose_result_shape(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.transpose' op result type 'tensor<4x5xf32>' does not match the inferred shape [5, 4]}}
  %0 = tg.transpose %x [1, 0] : tensor<4x5xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @reshape_element_type(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reshape' op result element type 'f16' differs from the input's 'f32'}}
  %0 = tg.reshape %x : tensor<4x5xf32> -> tensor<20xf16>
  return
}

// -----

func.func @reshape_element_count(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{'tg.reshape' op reshape changes the element count: input [4, 5] has 20, result [3, 7] has 21}}
  %0 = tg.reshape %x : tensor<4x5xf32> -> tensor<3x7xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.slice
//===----------------------------------------------------------------------===//

// -----

func.func @slice_element_type(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op result element type 'i32' differs from the input's 'f32'}}
  %0 = tg.slice %x [0, 0] to [4, 8] : tensor<4x8xf32> -> tensor<4x8xi32>
  return
}

// -----

func.func @slice_entries(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op start, limit and step need one entry per dimension (2)}}
  %0 = tg.slice %x [0] to [4, 8] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

// An explicit empty step is not "all ones".
func.func @slice_empty_step(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op start, limit and step need one entry per dimension (2)}}
  %0 = tg.slice %x [0, 0] to [4, 8] step [] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_step(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op step of dimension 1 must be positive, got 0}}
  %0 = tg.slice %x [0, 0] to [4, 8] step [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @slice_range(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op dimension 0: range [2, 5) is not within [0, 4]}}
  %0 = tg.slice %x [2, 0] to [5, 8] : tensor<4x8xf32> -> tensor<3x8xf32>
  return
}

// -----

func.func @slice_result_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'tg.slice' op result type 'tensor<4x4xf32>' does not match the inferred shape [4, 3]}}
  %0 = tg.slice %x [0, 2] to [4, 8] step [1, 2] : tensor<4x8xf32> -> tensor<4x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.pad
//===----------------------------------------------------------------------===//

// -----

func.func @pad_element_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op result element type 'f16' differs from the input's 'f32'}}
  %0 = tg.pad %x low [1] high [1] value 0.0 : tensor<4xf32> -> tensor<6xf16>
  return
}

// -----

func.func @pad_value_type(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op value type 'i32' differs from the element type 'f32'}}
  %0 = "tg.pad"(%x) <{low = array<i64: 1>, high = array<i64: 1>, value = 0 : i32}> : (tensor<4xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @pad_value_not_a_number(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op value must be an integer or floating-point number, got dense<0.000000e+00> : tensor<1xf32>}}
  %0 = "tg.pad"(%x) <{low = array<i64: 1>, high = array<i64: 1>, value = dense<0.0> : tensor<1xf32>}> : (tensor<4xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @pad_entries(%x: tensor<4x4xf32>) {
  // expected-error @+1 {{'tg.pad' op low, high and interior need one entry per dimension (2)}}
  %0 = tg.pad %x low [1] high [1, 1] value 0.0 : tensor<4x4xf32> -> tensor<6x6xf32>
  return
}

// -----

func.func @pad_negative(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op padding of dimension 0 must be non-negative}}
  %0 = tg.pad %x low [-1] high [1] value 0.0 : tensor<4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @pad_too_large(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op padded size of dimension 0 does not fit in 64 bits}}
  %0 = tg.pad %x low [0] high [9223372036854775807] value 0.0 : tensor<4xf32> -> tensor<?xf32>
  return
}

// -----

func.func @pad_result_shape(%x: tensor<4xf32>) {
  // expected-error @+1 {{'tg.pad' op result type 'tensor<5xf32>' does not match the inferred shape [6]}}
  %0 = tg.pad %x low [1] high [1] value 0.0 : tensor<4xf32> -> tensor<5xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.concat
//===----------------------------------------------------------------------===//

// -----

func.func @concat_no_inputs() {
  // expected-error @+1 {{'tg.concat' op needs at least one input}}
  %0 = "tg.concat"() <{axis = 0 : i64}> : () -> tensor<0xf32>
  return
}

// -----

func.func @concat_axis(%a: tensor<4x2xf32>) {
  // expected-error @+1 {{'tg.concat' op axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = tg.concat %a, %a axis 2 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x4xf32>
  return
}

// -----

func.func @concat_ranks(%a: tensor<4x2xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{'tg.concat' op input 1 has rank 1, input 0 has rank 2}}
  %0 = tg.concat %a, %b axis 0 : tensor<4x2xf32>, tensor<2xf32> -> tensor<6x2xf32>
  return
}

// -----

func.func @concat_other_dims(%a: tensor<4x2xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{'tg.concat' op input 1 has shape [3, 3], which differs from [4, 2] in dimension 0 (not the concat axis)}}
  %0 = tg.concat %a, %b axis 1 : tensor<4x2xf32>, tensor<3x3xf32> -> tensor<4x5xf32>
  return
}

// -----

func.func @concat_too_large(%a: tensor<9223372036854775807xi8>) {
  // expected-error @+1 {{'tg.concat' op concatenated size does not fit in 64 bits}}
  %0 = tg.concat %a, %a axis 0 : tensor<9223372036854775807xi8>, tensor<9223372036854775807xi8> -> tensor<?xi8>
  return
}

// -----

func.func @concat_element_types(%a: tensor<4x2xf32>, %b: tensor<4x3xi32>) {
  // expected-error @+1 {{'tg.concat' op input #1 has element type 'i32' but input #0 has 'f32'}}
  %0 = tg.concat %a, %b axis 1 : tensor<4x2xf32>, tensor<4x3xi32> -> tensor<4x5xf32>
  return
}

// -----

func.func @concat_result_element_type(%a: tensor<4x2xf32>) {
  // expected-error @+1 {{'tg.concat' op result element type 'f16' differs from the inputs' 'f32'}}
  %0 = tg.concat %a, %a axis 1 : tensor<4x2xf32>, tensor<4x2xf32> -> tensor<4x4xf16>
  return
}

// -----

func.func @concat_result_shape(%a: tensor<4x2xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'tg.concat' op result type 'tensor<8x2xf32>' does not match the inferred shape [4, 5]}}
  %0 = tg.concat %a, %b axis 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<8x2xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.gather, tg.take_along, tg.one_hot
//===----------------------------------------------------------------------===//

// -----

func.func @take_along_indices_shape(%x: tensor<8x10xf32>, %i: tensor<4xi32>) {
  // expected-error @+1 {{'tg.take_along' op indices are [4] but the input's leading dimensions are [8]}}
  %0 = tg.take_along %x[%i] : tensor<8x10xf32>, tensor<4xi32> -> tensor<4xf32>
  return
}

// -----

func.func @take_along_scalar(%x: tensor<f32>, %i: tensor<i32>) {
  // expected-error @+1 {{'tg.take_along' op input must have a last dimension to take along, got a scalar}}
  %0 = tg.take_along %x[%i] : tensor<f32>, tensor<i32> -> tensor<f32>
  return
}

// -----

func.func @take_along_result_shape(%x: tensor<8x10xf32>, %i: tensor<8xi32>) {
  // expected-error @+1 {{'tg.take_along' op result type 'tensor<8x10xf32>' does not match the inferred shape [8]}}
  %0 = tg.take_along %x[%i] : tensor<8x10xf32>, tensor<8xi32> -> tensor<8x10xf32>
  return
}

// -----

func.func @gather_element_type(%t: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{'tg.gather' op result element type 'bf16' differs from the input's 'f32'}}
  %0 = tg.gather %t[%i] axis 0 : tensor<10x4xf32>, tensor<3xi32> -> tensor<3x4xbf16>
  return
}

// -----

func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi32>) {
  // expected-error @+1 {{'tg.gather' op axis -3 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = tg.gather %t[%i] axis -3 : tensor<10x4xf32>, tensor<3xi32> -> tensor<3x4xf32>
  return
}

// -----

func.func @gather_result_shape(%t: tensor<10x4xf32>, %i: tensor<8x3xi32>) {
  // expected-error @+1 {{'tg.gather' op result type 'tensor<3x4xf32>' does not match the inferred shape [8, 3, 4]}}
  %0 = tg.gather %t[%i] axis 0 : tensor<10x4xf32>, tensor<8x3xi32> -> tensor<3x4xf32>
  return
}

// -----

func.func @one_hot_classes(%l: tensor<128xi32>) {
  // expected-error @+1 {{'tg.one_hot' op num_classes must be positive, got 0}}
  %0 = tg.one_hot %l classes 0 : tensor<128xi32> -> tensor<128x0xf32>
  return
}

// -----

func.func @one_hot_result_shape(%l: tensor<128xi32>) {
  // expected-error @+1 {{'tg.one_hot' op result type 'tensor<10x128xf32>' does not match the inferred shape [128, 10]}}
  %0 = tg.one_hot %l classes 10 : tensor<128xi32> -> tensor<10x128xf32>
  return
}

//===----------------------------------------------------------------------===//
// tg.softmax, tg.log_softmax
//===----------------------------------------------------------------------===//

// -----

func.func @softmax_axis(%x: tensor<4x10xf32>) {
  // expected-error @+1 {{'tg.softmax' op axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = tg.softmax %x axis 2 : tensor<4x10xf32>
  return
}

// -----

func.func @log_softmax_of_scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'tg.log_softmax' op axis -1 is out of range for rank 0 (expected in [0, 0))}}
  %0 = tg.log_softmax %x : tensor<f32>
  return
}

// -----

func.func @pad_negative_interior(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.pad' op padding of dimension 0 must be non-negative}}
  %0 = tg.pad %x low [0] high [0] interior [-1] value 0.0 : tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @scatter_add_updates_element_type(%x: tensor<5x2xf32>, %i: tensor<3xi32>, %u: tensor<3x2xf64>) -> tensor<5x2xf32> {
  // expected-error @+1 {{'tg.scatter_add' op updates have element type 'f64' but the input has 'f32'}}
  %0 = tg.scatter_add %x[%i], %u axis 0 : tensor<5x2xf32>, tensor<3xi32>, tensor<3x2xf64>
  return %0 : tensor<5x2xf32>
}

// -----

func.func @scatter_add_updates_shape(%x: tensor<5x2xf32>, %i: tensor<3xi32>, %u: tensor<4x2xf32>) -> tensor<5x2xf32> {
  // expected-error @+1 {{'tg.scatter_add' op updates are [4, 2] but gathering the input at these indices gives [3, 2]}}
  %0 = tg.scatter_add %x[%i], %u axis 0 : tensor<5x2xf32>, tensor<3xi32>, tensor<4x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

func.func @scatter_add_axis(%x: tensor<5x2xf32>, %i: tensor<3xi32>, %u: tensor<3x2xf32>) -> tensor<5x2xf32> {
  // expected-error @+1 {{'tg.scatter_add' op axis 2 is out of range for rank 2 (expected in [-2, 2))}}
  %0 = tg.scatter_add %x[%i], %u axis 2 : tensor<5x2xf32>, tensor<3xi32>, tensor<3x2xf32>
  return %0 : tensor<5x2xf32>
}

// -----

//===--- Layers and losses ---===//

// One case per verifier message of the composite ops (LayerOps.cpp,
// LossOps.cpp).

//===----------------------------------------------------------------------===//
// linear
//===----------------------------------------------------------------------===//

func.func @linear_scalar_input(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+1 {{'tg.linear' op input must be [..., in], got a rank-0 tensor}}
  %0 = tg.linear %x, %w : tensor<f32>, tensor<4x1xf32> -> tensor<4xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<8x784xf32>, %w: tensor<512x784x1xf32>) {
  // expected-error @+1 {{'tg.linear' op weight must be [out, in], got [512, 784, 1]}}
  %0 = tg.linear %x, %w : tensor<8x784xf32>, tensor<512x784x1xf32> -> tensor<8x512xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<8x100xf32>, %w: tensor<512x784xf32>) {
  // expected-error @+1 {{'tg.linear' op weight is [512, 784] but the input has 100 features (last dim); expected [out, 100]}}
  %0 = tg.linear %x, %w : tensor<8x100xf32>, tensor<512x784xf32> -> tensor<8x512xf32>
  return
}

// -----

func.func @linear_weight_element_type(%x: tensor<8x784xf32>, %w: tensor<512x784xf16>) {
  // expected-error @+1 {{'tg.linear' op weight has element type 'f16' but input has 'f32'}}
  %0 = tg.linear %x, %w : tensor<8x784xf32>, tensor<512x784xf16> -> tensor<8x512xf32>
  return
}

// -----

func.func @linear_bias_shape(%x: tensor<8x784xf32>, %w: tensor<512x784xf32>, %b: tensor<10xf32>) {
  // expected-error @+1 {{'tg.linear' op bias is [10] but the weight has 512 outputs; expected [512]}}
  %0 = tg.linear %x, %w, %b : tensor<8x784xf32>, tensor<512x784xf32>, tensor<10xf32> -> tensor<8x512xf32>
  return
}

// -----

func.func @linear_bias_element_type(%x: tensor<8x784xf32>, %w: tensor<512x784xf32>, %b: tensor<512xbf16>) {
  // expected-error @+1 {{'tg.linear' op bias has element type 'bf16' but input has 'f32'}}
  %0 = tg.linear %x, %w, %b : tensor<8x784xf32>, tensor<512x784xf32>, tensor<512xbf16> -> tensor<8x512xf32>
  return
}

// -----

func.func @linear_result_element_type(%x: tensor<8x784xf32>, %w: tensor<512x784xf32>) {
  // expected-error @+1 {{'tg.linear' op result has element type 'f64' but input has 'f32'}}
  %0 = tg.linear %x, %w : tensor<8x784xf32>, tensor<512x784xf32> -> tensor<8x512xf64>
  return
}

// -----

func.func @linear_result_shape(%x: tensor<8x784xf32>, %w: tensor<512x784xf32>) {
  // expected-error @+1 {{'tg.linear' op result type 'tensor<8x784xf32>' does not match the inferred shape [8, 512]}}
  %0 = tg.linear %x, %w : tensor<8x784xf32>, tensor<512x784xf32> -> tensor<8x784xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// layer_norm and rms_norm
//===----------------------------------------------------------------------===//

func.func @layer_norm_scalar_input(%x: tensor<f32>, %g: tensor<1xf32>, %b: tensor<1xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op input must have a last dimension to normalize, got a rank-0 tensor}}
  %0 = tg.layer_norm %x, %g, %b : tensor<f32>, tensor<1xf32>, tensor<1xf32> -> tensor<f32>
  return
}

// -----

func.func @layer_norm_weight_shape(%x: tensor<4x256xf32>, %g: tensor<128xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op weight is [128] but the input's last dimension is 256; expected [256]}}
  %0 = tg.layer_norm %x, %g, %b : tensor<4x256xf32>, tensor<128xf32>, tensor<256xf32> -> tensor<4x256xf32>
  return
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<4x256xf32>, %g: tensor<256xf32>, %b: tensor<1x256xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op bias is [1, 256] but the input's last dimension is 256; expected [256]}}
  %0 = tg.layer_norm %x, %g, %b : tensor<4x256xf32>, tensor<256xf32>, tensor<1x256xf32> -> tensor<4x256xf32>
  return
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<4x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf16>) {
  // expected-error @+1 {{'tg.layer_norm' op bias has element type 'f16' but input has 'f32'}}
  %0 = tg.layer_norm %x, %g, %b : tensor<4x256xf32>, tensor<256xf32>, tensor<256xf16> -> tensor<4x256xf32>
  return
}

// -----

func.func @layer_norm_epsilon(%x: tensor<4x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op epsilon must be positive, got 0}}
  %0 = tg.layer_norm %x, %g, %b epsilon 0.0 : tensor<4x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<4x256xf32>
  return
}

// -----

func.func @layer_norm_result_element_type(%x: tensor<4x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op result has element type 'bf16' but input has 'f32'}}
  %0 = tg.layer_norm %x, %g, %b : tensor<4x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<4x256xbf16>
  return
}

// -----

func.func @layer_norm_result_shape(%x: tensor<4x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'tg.layer_norm' op result type 'tensor<256xf32>' does not match the inferred shape [4, 256]}}
  %0 = tg.layer_norm %x, %g, %b : tensor<4x256xf32>, tensor<256xf32>, tensor<256xf32> -> tensor<256xf32>
  return
}

// -----

func.func @rms_norm_scalar_input(%x: tensor<f16>, %g: tensor<1xf16>) {
  // expected-error @+1 {{'tg.rms_norm' op input must have a last dimension to normalize, got a rank-0 tensor}}
  %0 = tg.rms_norm %x, %g : tensor<f16>, tensor<1xf16> -> tensor<f16>
  return
}

// -----

func.func @rms_norm_weight_shape(%x: tensor<4x256xf16>, %g: tensor<255xf16>) {
  // expected-error @+1 {{'tg.rms_norm' op weight is [255] but the input's last dimension is 256; expected [256]}}
  %0 = tg.rms_norm %x, %g : tensor<4x256xf16>, tensor<255xf16> -> tensor<4x256xf16>
  return
}

// -----

func.func @rms_norm_weight_element_type(%x: tensor<4x256xf16>, %g: tensor<256xf32>) {
  // expected-error @+1 {{'tg.rms_norm' op weight has element type 'f32' but input has 'f16'}}
  %0 = tg.rms_norm %x, %g : tensor<4x256xf16>, tensor<256xf32> -> tensor<4x256xf16>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<4x256xf16>, %g: tensor<256xf16>) {
  // expected-error @+1 {{'tg.rms_norm' op epsilon must be positive, got -1e-06}}
  %0 = tg.rms_norm %x, %g epsilon -1.0e-06 : tensor<4x256xf16>, tensor<256xf16> -> tensor<4x256xf16>
  return
}

// -----

func.func @rms_norm_result_element_type(%x: tensor<4x256xf16>, %g: tensor<256xf16>) {
  // expected-error @+1 {{'tg.rms_norm' op result has element type 'f32' but input has 'f16'}}
  %0 = tg.rms_norm %x, %g : tensor<4x256xf16>, tensor<256xf16> -> tensor<4x256xf32>
  return
}

// -----

func.func @rms_norm_result_shape(%x: tensor<4x256xf16>, %g: tensor<256xf16>) {
  // expected-error @+1 {{'tg.rms_norm' op result type 'tensor<4x1xf16>' does not match the inferred shape [4, 256]}}
  %0 = tg.rms_norm %x, %g : tensor<4x256xf16>, tensor<256xf16> -> tensor<4x1xf16>
  return
}

// -----

//===----------------------------------------------------------------------===//
// embedding
//===----------------------------------------------------------------------===//

func.func @embedding_table_rank(%t: tensor<1000xf32>, %ids: tensor<8xi32>) {
  // expected-error @+1 {{'tg.embedding' op table must be [vocabulary, D], got [1000]}}
  %0 = tg.embedding %t[%ids] : tensor<1000xf32>, tensor<8xi32> -> tensor<8xf32>
  return
}

// -----

func.func @embedding_result_element_type(%t: tensor<1000x64xf32>, %ids: tensor<8xi32>) {
  // expected-error @+1 {{'tg.embedding' op result has element type 'f16' but table has 'f32'}}
  %0 = tg.embedding %t[%ids] : tensor<1000x64xf32>, tensor<8xi32> -> tensor<8x64xf16>
  return
}

// -----

func.func @embedding_result_shape(%t: tensor<1000x64xf32>, %ids: tensor<8x16xi32>) {
  // expected-error @+1 {{'tg.embedding' op result type 'tensor<8x64xf32>' does not match the inferred shape [8, 16, 64]}}
  %0 = tg.embedding %t[%ids] : tensor<1000x64xf32>, tensor<8x16xi32> -> tensor<8x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// dropout
//===----------------------------------------------------------------------===//

func.func @dropout_rate(%x: tensor<4x4xf32>, %seed: tensor<i64>, %counter: tensor<i64>) {
  // expected-error @+1 {{'tg.dropout' op rate must be in [0, 1), got 1}}
  %0 = tg.dropout %x, %seed, %counter rate 1.0 : tensor<4x4xf32>, tensor<i64>, tensor<i64>
  return
}

// -----

func.func @dropout_negative_rate(%x: tensor<4x4xf32>, %seed: tensor<i64>, %counter: tensor<i64>) {
  // expected-error @+1 {{'tg.dropout' op rate must be in [0, 1), got -0.5}}
  %0 = tg.dropout %x, %seed, %counter rate -0.5 : tensor<4x4xf32>, tensor<i64>, tensor<i64>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

func.func @attention_rank(%q: tensor<64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op query must be [..., T, D] (rank >= 2), got [64]}}
  %0 = tg.attention %q, %k, %v : tensor<64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<64xf32>
  return
}

// -----

func.func @attention_ranks_differ(%q: tensor<2x8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<2x8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op query, key and value must have the same rank, got 3, 2 and 3}}
  %0 = tg.attention %q, %k, %v : tensor<2x8x64xf32>, tensor<8x64xf32>, tensor<2x8x64xf32> -> tensor<2x8x64xf32>
  return
}

// -----

func.func @attention_leading_dims(%q: tensor<2x4x8x64xf32>, %k: tensor<2x4x8x64xf32>, %v: tensor<2x1x8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op leading (batch and head) dimensions differ: query [2, 4], key [2, 4], value [2, 1]}}
  %0 = tg.attention %q, %k, %v : tensor<2x4x8x64xf32>, tensor<2x4x8x64xf32>, tensor<2x1x8x64xf32> -> tensor<2x4x8x64xf32>
  return
}

// -----

func.func @attention_head_size(%q: tensor<8x64xf32>, %k: tensor<8x32xf32>, %v: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op query has head size 64 (last dim) but key has 32}}
  %0 = tg.attention %q, %k, %v : tensor<8x64xf32>, tensor<8x32xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_positions(%q: tensor<8x64xf32>, %k: tensor<128x64xf32>, %v: tensor<100x64xf32>) {
  // expected-error @+1 {{'tg.attention' op key has 128 positions (dim -2) but value has 100}}
  %0 = tg.attention %q, %k, %v : tensor<8x64xf32>, tensor<128x64xf32>, tensor<100x64xf32> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op scale must be positive, got -0.125}}
  %0 = tg.attention %q, %k, %v scale -0.125 : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_key_element_type(%q: tensor<8x64xf32>, %k: tensor<8x64xbf16>, %v: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op key has element type 'bf16' but query has 'f32'}}
  %0 = tg.attention %q, %k, %v : tensor<8x64xf32>, tensor<8x64xbf16>, tensor<8x64xf32> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_value_element_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf16>) {
  // expected-error @+1 {{'tg.attention' op value has element type 'f16' but query has 'f32'}}
  %0 = tg.attention %q, %k, %v : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf16> -> tensor<8x64xf32>
  return
}

// -----

func.func @attention_result_element_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention' op result has element type 'f64' but query has 'f32'}}
  %0 = tg.attention %q, %k, %v : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf64>
  return
}

// -----

func.func @attention_result_shape(%q: tensor<4x8x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x32xf32>) {
  // expected-error @+1 {{'tg.attention' op result type 'tensor<4x8x64xf32>' does not match the inferred shape [4, 8, 32]}}
  %0 = tg.attention %q, %k, %v : tensor<4x8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32> -> tensor<4x8x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attention_grad
//===----------------------------------------------------------------------===//

func.func @attention_grad_rank(%q: tensor<64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>, %o: tensor<64xf32>, %do: tensor<64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op query must be [..., T, D] (rank >= 2), got [64]}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32> -> tensor<64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

func.func @attention_grad_head_size(%q: tensor<8x64xf32>, %k: tensor<8x32xf32>, %v: tensor<8x64xf32>, %o: tensor<8x64xf32>, %do: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op query has head size 64 (last dim) but key has 32}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<8x32xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>, tensor<8x32xf32>, tensor<8x64xf32>
  return
}

// -----

func.func @attention_grad_scale(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>, %o: tensor<8x64xf32>, %do: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op scale must be positive, got 0}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do scale 0.0 : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

func.func @attention_grad_value_element_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xbf16>, %o: tensor<8x64xf32>, %do: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op value has element type 'bf16' but query has 'f32'}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xbf16>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xbf16>
  return
}

// -----

func.func @attention_grad_output_shape(%q: tensor<4x8x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x32xf32>, %o: tensor<4x8x64xf32>, %do: tensor<4x8x32xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op output is [4, 8, 64] but the attention's result is [4, 8, 32]}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<4x8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32>, tensor<4x8x64xf32>, tensor<4x8x32xf32> -> tensor<4x8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32>
  return
}

// -----

func.func @attention_grad_output_grad_shape(%q: tensor<4x8x64xf32>, %k: tensor<4x16x64xf32>, %v: tensor<4x16x32xf32>, %o: tensor<4x8x32xf32>, %do: tensor<4x16x32xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op output_grad is [4, 16, 32] but the attention's result is [4, 8, 32]}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<4x8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32>, tensor<4x8x32xf32>, tensor<4x16x32xf32> -> tensor<4x8x64xf32>, tensor<4x16x64xf32>, tensor<4x16x32xf32>
  return
}

// -----

func.func @attention_grad_output_grad_element_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>, %o: tensor<8x64xf32>, %do: tensor<8x64xf16>) {
  // expected-error @+1 {{'tg.attention_grad' op output_grad has element type 'f16' but query has 'f32'}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf16> -> tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

func.func @attention_grad_query_grad_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x64xf32>, %o: tensor<8x64xf32>, %do: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op query_grad has type 'tensor<8x64xbf16>' but query has 'tensor<8x64xf32>'; a gradient has its operand's type}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xbf16>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

func.func @attention_grad_key_grad_type(%q: tensor<8x64xf32>, %k: tensor<16x64xf32>, %v: tensor<16x64xf32>, %o: tensor<8x64xf32>, %do: tensor<8x64xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op key_grad has type 'tensor<8x64xf32>' but key has 'tensor<16x64xf32>'; a gradient has its operand's type}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<16x64xf32>, tensor<16x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<8x64xf32>, tensor<8x64xf32>, tensor<16x64xf32>
  return
}

// -----

func.func @attention_grad_value_grad_type(%q: tensor<8x64xf32>, %k: tensor<8x64xf32>, %v: tensor<8x32xf32>, %o: tensor<8x32xf32>, %do: tensor<8x32xf32>) {
  // expected-error @+1 {{'tg.attention_grad' op value_grad has type 'tensor<8x64xf32>' but value has 'tensor<8x32xf32>'; a gradient has its operand's type}}
  %0:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32> -> tensor<8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

func.func @conv2d_input_rank(%x: tensor<3x32x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op input must be [N, C, H, W], got [3, 32, 32]}}
  %0 = tg.conv2d %x, %w : tensor<3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<16x30x30xf32>
  return
}

// -----

func.func @conv2d_weight_rank(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op weight must be [O, C, KH, KW], got [16, 3, 3]}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3xf32> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_attribute_entries(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op stride, padding and dilation must have 2 entries [h, w]}}
  %0 = tg.conv2d %x, %w stride [2] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x15x15xf32>
  return
}

// -----

func.func @conv2d_channels(%x: tensor<8x3x32x32xf32>, %w: tensor<16x4x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op input has 3 channels but weight expects 4}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x4x3x3xf32> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_stride(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op stride and dilation must be positive and padding non-negative}}
  %0 = tg.conv2d %x, %w stride [0, 1] : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_too_small(%x: tensor<8x3x2x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op height 2 with padding 0 is smaller than the kernel span 3}}
  %0 = tg.conv2d %x, %w : tensor<8x3x2x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x1x30xf32>
  return
}

// -----

func.func @conv2d_empty_kernel(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x0x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op weight has an empty kernel [0, 3] (KH, KW must be at least 1)}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x0x3xf32> -> tensor<8x16x33x30xf32>
  return
}

// -----

func.func @conv2d_weight_element_type(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf16>) {
  // expected-error @+1 {{'tg.conv2d' op weight has element type 'f16' but input has 'f32'}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf16> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_bias_shape(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op bias is [3] but the weight has 16 output channels; expected [16]}}
  %0 = tg.conv2d %x, %w, %b : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<3xf32> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_bias_element_type(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>, %b: tensor<16xf64>) {
  // expected-error @+1 {{'tg.conv2d' op bias has element type 'f64' but input has 'f32'}}
  %0 = tg.conv2d %x, %w, %b : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf64> -> tensor<8x16x30x30xf32>
  return
}

// -----

func.func @conv2d_result_element_type(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op result has element type 'bf16' but input has 'f32'}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x30x30xbf16>
  return
}

// -----

func.func @conv2d_result_shape(%x: tensor<8x3x32x32xf32>, %w: tensor<16x3x3x3xf32>) {
  // expected-error @+1 {{'tg.conv2d' op result type 'tensor<8x16x32x32xf32>' does not match the inferred shape [8, 16, 30, 30]}}
  %0 = tg.conv2d %x, %w : tensor<8x3x32x32xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x32x32xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

func.func @mse_loss_result_element_type(%y: tensor<8x1xf32>, %t: tensor<8x1xf32>) {
  // expected-error @+1 {{'tg.mse_loss' op result has element type 'f16' but input has 'f32'}}
  %0 = tg.mse_loss %y, %t : tensor<8x1xf32> -> tensor<f16>
  return
}

// -----

func.func @softmax_cross_entropy_scalar_logits(%x: tensor<f32>, %y: tensor<i32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op logits must be [..., C] with a class dimension, got a rank-0 tensor}}
  %0 = tg.softmax_cross_entropy %x, %y : tensor<f32>, tensor<i32> -> tensor<f32>
  return
}

// -----

func.func @softmax_cross_entropy_labels(%x: tensor<128x10xf32>, %y: tensor<128x10xi32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op labels are [128, 10] but logits [128, 10] need labels of shape [128] (the logits without the class dimension)}}
  %0 = tg.softmax_cross_entropy %x, %y : tensor<128x10xf32>, tensor<128x10xi32> -> tensor<f32>
  return
}

// -----

func.func @softmax_cross_entropy_result_element_type(%x: tensor<128x10xbf16>, %y: tensor<128xi32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op result has element type 'f32' but logits has 'bf16'}}
  %0 = tg.softmax_cross_entropy %x, %y : tensor<128x10xbf16>, tensor<128xi32> -> tensor<f32>
  return
}

// -----

func.func @bce_with_logits_result_element_type(%x: tensor<64x1xf64>, %t: tensor<64x1xf64>) {
  // expected-error @+1 {{'tg.bce_with_logits' op result has element type 'f32' but logits has 'f64'}}
  %0 = tg.bce_with_logits %x, %t : tensor<64x1xf64> -> tensor<f32>
  return
}

// -----

func.func @batch_norm_rank(%x: tensor<64xf32>, %c: tensor<64xf32>) {
  // expected-error @+1 {{'tg.batch_norm' op input must be [N, C, ...] (rank >= 2), got [64]}}
  %0:3 = tg.batch_norm %x, %c, %c, %c, %c training : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
  return
}

// -----

func.func @batch_norm_channels(%x: tensor<8x16x4x4xf32>, %c: tensor<16xf32>, %v: tensor<4xf32>) {
  // expected-error @+1 {{'tg.batch_norm' op running_var is [4] but the input has 16 channels (dim 1); expected [16]}}
  %0:3 = tg.batch_norm %x, %c, %c, %c, %v training : tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<4xf32>
  return
}

// -----

func.func @batch_norm_element_type(%x: tensor<8x16xf32>, %c: tensor<16xf32>, %w: tensor<16xbf16>) {
  // expected-error @+1 {{'tg.batch_norm' op weight has element type 'bf16' but input has 'f32'}}
  %0:3 = tg.batch_norm %x, %w, %c, %c, %c training : tensor<8x16xf32>, tensor<16xbf16>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @batch_norm_momentum(%x: tensor<8x16xf32>, %c: tensor<16xf32>) {
  // expected-error @+1 {{'tg.batch_norm' op momentum must be in [0, 1], got 1.5}}
  %0:3 = tg.batch_norm %x, %c, %c, %c, %c training momentum 1.5 : tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @batch_norm_epsilon(%x: tensor<8x16xf32>, %c: tensor<16xf32>) {
  // expected-error @+1 {{'tg.batch_norm' op epsilon must be positive, got 0}}
  %0:3 = tg.batch_norm %x, %c, %c, %c, %c epsilon 0.0 : tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
  return
}

// -----

func.func @fake_quant_bits(%x: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{'tg.fake_quant' op bits must be in [2, 16], got 1}}
  %0 = tg.fake_quant %x, %s bits 1 : tensor<8x4xf32>, tensor<f32>
  return
}

// -----

func.func @fake_quant_scale_without_axis(%x: tensor<8x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tg.fake_quant' op scale is [4] without an axis; a per-tensor scale is a scalar, a per-channel one needs `axis`}}
  %0 = tg.fake_quant %x, %s bits 8 : tensor<8x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @fake_quant_channels(%x: tensor<8x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tg.fake_quant' op scale is [4] but the input has 8 channels on axis 0; expected [8]}}
  %0 = tg.fake_quant %x, %s bits 8 axis 0 : tensor<8x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @fake_quant_axis(%x: tensor<8x4xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{'tg.fake_quant' op axis 2 is out of range}}
  %0 = tg.fake_quant %x, %s bits 8 axis 2 : tensor<8x4xf32>, tensor<4xf32>
  return
}

// -----

func.func @fake_quant_grad_scale(%x: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{'tg.fake_quant' op grad_scale must be positive, got 0}}
  %0 = tg.fake_quant %x, %s bits 8 grad_scale 0.0 : tensor<8x4xf32>, tensor<f32>
  return
}

// -----

func.func @fake_quant_scale_element_type(%x: tensor<8x4xf32>, %s: tensor<f64>) {
  // expected-error @+1 {{'tg.fake_quant' op scale has element type 'f64' but input has 'f32'}}
  %0 = tg.fake_quant %x, %s bits 8 : tensor<8x4xf32>, tensor<f64>
  return
}

// -----

func.func @softmax_cross_entropy_label_smoothing(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op label_smoothing must be in [0, 1], got 1.5}}
  %0 = tg.softmax_cross_entropy %x, %y label_smoothing = 1.5 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @softmax_cross_entropy_poly1(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op poly1 must be at least -1 (the loss must grow with the error), got -2}}
  %0 = tg.softmax_cross_entropy %x, %y poly1 = -2.0 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @softmax_cross_entropy_z_loss(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.softmax_cross_entropy' op z_loss must be non-negative, got -0.0001}}
  %0 = tg.softmax_cross_entropy %x, %y z_loss = -1.0e-4 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @focal_loss_gamma(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.focal_loss' op gamma must be non-negative, got -1}}
  %0 = tg.focal_loss %x, %y gamma = -1.0 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @focal_loss_labels(%x: tensor<8x10xf32>, %y: tensor<10xi32>) {
  // expected-error @+1 {{'tg.focal_loss' op labels are [10] but logits [8, 10] need labels of shape [8] (the logits without the class dimension)}}
  %0 = tg.focal_loss %x, %y : tensor<8x10xf32>, tensor<10xi32> -> tensor<f32>
  return
}

// -----

func.func @stablemax_cross_entropy_scalar_logits(%x: tensor<f32>, %y: tensor<i32>) {
  // expected-error @+1 {{'tg.stablemax_cross_entropy' op logits must be [..., C] with a class dimension, got a rank-0 tensor}}
  %0 = tg.stablemax_cross_entropy %x, %y : tensor<f32>, tensor<i32> -> tensor<f32>
  return
}

// -----

func.func @stablemax_cross_entropy_result_element_type(%x: tensor<8x97xf64>, %y: tensor<8xi64>) {
  // expected-error @+1 {{'tg.stablemax_cross_entropy' op result has element type 'f32' but logits has 'f64'}}
  %0 = tg.stablemax_cross_entropy %x, %y : tensor<8x97xf64>, tensor<8xi64> -> tensor<f32>
  return
}

// -----

func.func @nce_rce_loss_both_zero(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.nce_rce_loss' op alpha and beta are both 0: the loss would be constant}}
  %0 = tg.nce_rce_loss %x, %y alpha = 0.0 beta = 0.0 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @nce_rce_loss_log_zero(%x: tensor<8x10xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'tg.nce_rce_loss' op log_zero stands for log 0 and must be negative, got 4}}
  %0 = tg.nce_rce_loss %x, %y log_zero = 4.0 : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>
  return
}

// -----

func.func @bce_with_logits_pos_weight_shape(%x: tensor<64x5xf32>, %t: tensor<64x5xf32>, %w: tensor<4xf32>) {
  // expected-error @+1 {{'tg.bce_with_logits' op pos_weight is [4], which does not broadcast to the logits [64, 5]}}
  %0 = tg.bce_with_logits %x, %t pos_weight %w : tensor<64x5xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @bce_with_logits_pos_weight_element_type(%x: tensor<64x5xf32>, %t: tensor<64x5xf32>, %w: tensor<5xf64>) {
  // expected-error @+1 {{'tg.bce_with_logits' op pos_weight has element type 'f64' but logits has 'f32'}}
  %0 = tg.bce_with_logits %x, %t pos_weight %w : tensor<64x5xf32>, tensor<5xf64> -> tensor<f32>
  return
}

// -----

func.func @huber_loss_delta(%x: tensor<8x2xf32>, %t: tensor<8x2xf32>) {
  // expected-error @+1 {{'tg.huber_loss' op delta must be positive, got 0}}
  %0 = tg.huber_loss %x, %t delta = 0.0 : tensor<8x2xf32> -> tensor<f32>
  return
}

// -----

func.func @pseudo_huber_loss_c(%x: tensor<8x2xf32>, %t: tensor<8x2xf32>) {
  // expected-error @+1 {{'tg.pseudo_huber_loss' op c must be positive, got -0.5}}
  %0 = tg.pseudo_huber_loss %x, %t c = -0.5 : tensor<8x2xf32> -> tensor<f32>
  return
}

// -----

func.func @pseudo_huber_loss_missing_c(%x: tensor<8x2xf32>, %t: tensor<8x2xf32>) {
  // expected-error @+1 {{expected 'c'}}
  %0 = tg.pseudo_huber_loss %x, %t : tensor<8x2xf32> -> tensor<f32>
  return
}

// -----

func.func @cauchy_loss_result_element_type(%x: tensor<8x2xf16>, %t: tensor<8x2xf16>) {
  // expected-error @+1 {{'tg.cauchy_loss' op result has element type 'f32' but input has 'f16'}}
  %0 = tg.cauchy_loss %x, %t c = 1.0 : tensor<8x2xf16> -> tensor<f32>
  return
}

// -----

//===--- Training: initializers, optimizers, train steps ---===//

// One case per diagnostic of the initializer and optimizer attributes
// (TGAttributes.cpp) and of tg.train_step (TrainingOps.cpp), then the ones
// ODS generates for them.

//===----------------------------------------------------------------------===//
// Initializer parameters
//===----------------------------------------------------------------------===//

// expected-error@+1 {{#tg.normal needs a finite std > 0, got -1}}
ml_program.global private mutable @w(#tg.normal<std = -1.0>) : tensor<4xf32>

// -----

// expected-error@+1 {{#tg.normal needs a finite std > 0, got 0}}
ml_program.global private mutable @w(#tg.normal<std = 0.0, mean = 1.0>) : tensor<4xf32>

// -----

// A NaN (written as its bit pattern) is not > 0 either.
// expected-error@+1 {{#tg.normal needs a finite std > 0, got nan}}
ml_program.global private mutable @w(#tg.normal<std = 0x7FF8000000000000>) : tensor<4xf32>

// -----

// expected-error@+1 {{struct is missing required parameter: std}}
ml_program.global private mutable @w(#tg.normal<mean = 1.0>) : tensor<4xf32>

// -----

// expected-error@+1 {{#tg.uniform needs finite bounds with low < high, got [0.1, -0.1)}}
ml_program.global private mutable @w(#tg.uniform<0.1, -0.1>) : tensor<4xf32>

// -----

// expected-error@+1 {{#tg.uniform needs finite bounds with low < high, got [0.5, 0.5)}}
ml_program.global private mutable @w(#tg.uniform<0.5, 0.5>) : tensor<4xf32>

// -----

// expected-error@+1 {{#tg.xavier_uniform needs a finite gain > 0, got -1}}
ml_program.global private mutable @w(#tg.xavier_uniform<gain = -1.0>) : tensor<4x4xf32>

// -----

// expected-error@+1 {{#tg.xavier_normal needs a finite gain > 0, got 0}}
ml_program.global private mutable @w(#tg.xavier_normal<gain = 0.0>) : tensor<4x4xf32>

// -----

// Numbers are float literals: an integer is refused by the parameter parser.
// expected-error@+3 {{unexpected decimal integer literal for a floating point value}}
// expected-note@+2 {{add a trailing dot to make the literal a float}}
// expected-error@+1 {{failed to parse TG_ConstantInitAttr parameter 'value' which is to be a `::llvm::APFloat`}}
ml_program.global private mutable @w(#tg.constant<3>) : tensor<4xf32>

// -----

// expected-error@+2 {{expected floating point literal}}
// expected-error@+1 {{failed to parse TG_UniformAttr parameter 'low' which is to be a `::llvm::APFloat`}}
ml_program.global private mutable @w(#tg.uniform<low, 1.0>) : tensor<4xf32>

// -----

// expected-error@+2 {{expected one of [fan_in, fan_out] for which fan a Kaiming initializer scales by, got: fan_avg}}
// expected-error@+1 {{failed to parse TG_KaimingNormalAttr parameter 'mode' which is to be a `::mlir::tg::FanMode`}}
ml_program.global private mutable @w(#tg.kaiming_normal<mode = fan_avg>) : tensor<4x4xf32>

// -----

// expected-error@+1 {{duplicate or unknown struct parameter name: gain}}
ml_program.global private mutable @w(#tg.kaiming_uniform<gain = 1.0>) : tensor<4x4xf32>

// -----

// expected-error@+1 {{unknown attribute `glorot_uniform` in dialect `tg`}}
ml_program.global private mutable @w(#tg.glorot_uniform) : tensor<4x4xf32>

//===----------------------------------------------------------------------===//
// Optimizer parameters
//===----------------------------------------------------------------------===//

// -----

func.func @loss() -> tensor<f32> {
  %l = tg.fill 0.0 : tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{#tg.sgd needs a finite lr > 0, got -0.05}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = -0.05>

// -----

// expected-error@+1 {{#tg.sgd needs a finite lr > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.0, momentum = 0.9>

// -----

// expected-error@+1 {{#tg.sgd needs a finite lr > 0, got inf}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0x7FF0000000000000>

// -----

// expected-error@+1 {{#tg.sgd needs momentum in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 1.0>

// -----

// expected-error@+1 {{#tg.sgd needs momentum in [0, 1), got -0.1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = -0.1>

// -----

// expected-error@+1 {{#tg.sgd with nesterov = true needs momentum > 0}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, nesterov = true>

// -----

// expected-error@+1 {{#tg.sgd needs a finite weight_decay >= 0, got -0.0001}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, weight_decay = -1.0e-4>

// -----

// parseBoolKeyword: a flag is `true` or `false`.
// expected-error@+2 {{failed to parse TG_SGDAttr parameter 'nesterov' which is to be a `bool`}}
// expected-error@+1 {{expected true or false}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, momentum = 0.9, nesterov = 1>

// -----

// expected-error@+1 {{struct is missing required parameter: lr}}
tg.train_step @step loss @loss optimizer #tg.sgd<momentum = 0.9>

// -----

// expected-error@+1 {{duplicate or unknown struct parameter name: lr}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1, lr = 0.2>

// -----

// expected-error@+1 {{#tg.adam needs a finite lr > 0, got -0.001}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = -1.0e-3>

// -----

// expected-error@+1 {{#tg.adam needs beta1 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, beta1 = 1.0>

// -----

// expected-error@+1 {{#tg.adam needs beta2 in [0, 1), got -0.1}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, beta2 = -0.1>

// -----

// expected-error@+1 {{#tg.adam needs beta2 in [0, 1), got nan}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, beta2 = 0x7FF8000000000000>

// -----

// expected-error@+1 {{#tg.adam needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, eps = 0.0>

// -----

// expected-error@+1 {{#tg.adam needs a finite weight_decay >= 0, got -0.01}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, weight_decay = -1.0e-2, amsgrad = true>

// -----

// expected-error@+1 {{#tg.adamw needs a finite lr > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = 0.0>

// -----

// expected-error@+1 {{#tg.adamw needs beta2 in [0, 1), got 1.5}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = 1.0e-3, beta2 = 1.5>

// -----

// expected-error@+1 {{#tg.adamw needs a finite eps > 0, got -1e-08}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = 1.0e-3, eps = -1.0e-8>

// -----

// expected-error@+1 {{#tg.adamw needs a finite weight_decay >= 0, got inf}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = 1.0e-3, weight_decay = 0x7FF0000000000000>

// -----

// expected-error@+1 {{#tg.adamax needs beta1 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.adamax<lr = 2.0e-3, beta1 = 1.0>

// -----

// expected-error@+1 {{#tg.adamax needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adamax<lr = 2.0e-3, eps = 0.0>

// -----

// expected-error@+1 {{#tg.adagrad needs a finite lr > 0, got -0.01}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = -0.01>

// -----

// expected-error@+1 {{#tg.adagrad needs a finite lr_decay >= 0, got -1}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = 0.01, lr_decay = -1.0>

// -----

// expected-error@+1 {{#tg.adagrad needs a finite weight_decay >= 0, got -0.1}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = 0.01, weight_decay = -0.1>

// -----

// expected-error@+1 {{#tg.adagrad needs a finite initial_accumulator_value >= 0, got -0.1}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = 0.01, initial_accumulator_value = -0.1>

// -----

// expected-error@+1 {{#tg.adagrad needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = 0.01, eps = 0.0>

// -----

// expected-error@+1 {{#tg.rmsprop needs alpha in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.rmsprop<lr = 0.01, alpha = 1.0>

// -----

// expected-error@+1 {{#tg.rmsprop needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.rmsprop<lr = 0.01, eps = 0.0>

// -----

// expected-error@+1 {{#tg.rmsprop needs a finite weight_decay >= 0, got -0.001}}
tg.train_step @step loss @loss optimizer #tg.rmsprop<lr = 0.01, weight_decay = -1.0e-3>

// -----

// expected-error@+1 {{#tg.rmsprop needs momentum in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.rmsprop<lr = 0.01, momentum = 1.0, centered = true>

// -----

// expected-error@+1 {{#tg.lion needs a finite lr > 0, got -0.0001}}
tg.train_step @step loss @loss optimizer #tg.lion<lr = -1.0e-4>

// -----

// expected-error@+1 {{#tg.lion needs beta1 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.lion<lr = 1.0e-4, beta1 = 1.0>

// -----

// expected-error@+1 {{#tg.lion needs beta2 in [0, 1), got -0.5}}
tg.train_step @step loss @loss optimizer #tg.lion<lr = 1.0e-4, beta2 = -0.5>

// -----

// expected-error@+1 {{#tg.lion needs a finite weight_decay >= 0, got -0.1}}
tg.train_step @step loss @loss optimizer #tg.lion<lr = 1.0e-4, weight_decay = -0.1>

// -----

// expected-error@+1 {{#tg.nadam needs beta1 in [0, 1), got 1.1}}
tg.train_step @step loss @loss optimizer #tg.nadam<lr = 2.0e-3, beta1 = 1.1>

// -----

// expected-error@+1 {{#tg.nadam needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.nadam<lr = 2.0e-3, eps = 0.0>

// -----

// expected-error@+1 {{#tg.nadam needs a finite momentum_decay >= 0, got -0.004}}
tg.train_step @step loss @loss optimizer #tg.nadam<lr = 2.0e-3, momentum_decay = -4.0e-3>

// -----

// expected-error@+1 {{#tg.diffgrad needs a finite lr > 0, got -0.001}}
tg.train_step @step loss @loss optimizer #tg.diffgrad<lr = -1.0e-3>

// -----

// expected-error@+1 {{#tg.diffgrad needs beta2 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.diffgrad<lr = 1.0e-3, beta2 = 1.0>

// -----

// expected-error@+1 {{#tg.adabound needs a finite final_lr > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adabound<lr = 1.0e-3, final_lr = 0.0>

// -----

// expected-error@+1 {{#tg.adabound needs gamma in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.adabound<lr = 1.0e-3, gamma = 1.0>

// -----

// expected-error@+1 {{#tg.adabound needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adabound<lr = 1.0e-3, eps = 0.0, amsbound = true>

// -----

// expected-error@+1 {{#tg.adamod needs beta3 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.adamod<lr = 1.0e-3, beta3 = 1.0>

// -----

// expected-error@+1 {{#tg.adamod needs a finite weight_decay >= 0, got -0.1}}
tg.train_step @step loss @loss optimizer #tg.adamod<lr = 1.0e-3, weight_decay = -0.1>

// -----

// expected-error@+1 {{#tg.grams needs a finite lr > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.grams<lr = 0.0>

// -----

// expected-error@+1 {{#tg.grams needs beta1 in [0, 1), got -0.9}}
tg.train_step @step loss @loss optimizer #tg.grams<lr = 1.0e-3, beta1 = -0.9>

// -----

// expected-error@+1 {{#tg.ademamix needs beta3 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, beta3 = 1.0>

// -----

// expected-error@+1 {{#tg.ademamix needs a finite alpha >= 0, got -5}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, alpha = -5.0>

// -----

// expected-error@+1 {{#tg.ademamix needs beta3_warmup >= 0, got -100}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, beta3_warmup = -100>

// -----

// expected-error@+1 {{#tg.ademamix needs alpha_warmup >= 0, got -1}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, alpha_warmup = -1>

// -----

// expected-error@+1 {{#tg.schedule_free_adamw needs beta1 in (0, 1), got 0}}
tg.train_step @step loss @loss optimizer #tg.schedule_free_adamw<lr = 2.5e-3, beta1 = 0.0>

// -----

// expected-error@+1 {{#tg.schedule_free_adamw needs warmup_steps >= 0, got -10}}
tg.train_step @step loss @loss optimizer #tg.schedule_free_adamw<lr = 2.5e-3, warmup_steps = -10>

// -----

// expected-error@+1 {{#tg.schedule_free_adamw needs a finite weight_lr_power >= 0, got -2}}
tg.train_step @step loss @loss optimizer #tg.schedule_free_adamw<lr = 2.5e-3, weight_lr_power = -2.0>

// -----

// expected-error@+1 {{#tg.adahessian needs a finite lr > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.0>

// -----

// expected-error@+1 {{#tg.adahessian needs beta2 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, beta2 = 1.0>

// -----

// expected-error@+1 {{#tg.adahessian needs hessian_power in [0, 1], got 2}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, hessian_power = 2.0>

// -----

// expected-error@+1 {{#tg.adahessian needs hessian_power in [0, 1] throughout its schedule, got 1.5}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, hessian_power = #tg.linear_warmup<peak = 1.5, warmup = 10>>

// -----

// expected-error@+1 {{#tg.adahessian needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, eps = 0.0>

// -----

// expected-error@+1 {{#tg.adahessian needs a finite weight_decay >= 0, got -0.001}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, weight_decay = -1.0e-3>

// -----

// expected-error@+1 {{#tg.adahessian needs a seed >= 0, got -3}}
tg.train_step @step loss @loss optimizer #tg.adahessian<lr = 0.15, seed = -3>

// -----

// expected-error@+1 {{#tg.dog needs a finite reps_rel > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.dog<reps_rel = 0.0>

// -----

// expected-error@+1 {{#tg.dog needs a finite lr > 0, got -1}}
tg.train_step @step loss @loss optimizer #tg.dog<lr = -1.0, layerwise = true>

// -----

// expected-error@+1 {{#tg.dog needs a finite eps > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.dog<eps = 0.0>

// -----

// expected-error@+1 {{#tg.dadapt_adam needs a finite d0 > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.dadapt_adam<d0 = 0.0>

// -----

// expected-error@+1 {{#tg.dadapt_adam needs growth_rate >= 1, got 0.5}}
tg.train_step @step loss @loss optimizer #tg.dadapt_adam<growth_rate = 0.5>

// -----

// expected-error@+1 {{#tg.dadapt_adam needs beta2 in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.dadapt_adam<beta2 = 1.0, decouple = true>

//===----------------------------------------------------------------------===//
// Schedules
//===----------------------------------------------------------------------===//

// -----

// expected-error@+2 {{#tg.cosine needs total > warmup (the steps to decay over), got total = 100, warmup = 200}}
// expected-error@+1 {{failed to parse TG_AdamWAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = #tg.cosine<peak = 1.0e-3, warmup = 200, total = 100>>

// -----

// expected-error@+2 {{struct is missing required parameter: total}}
// expected-error@+1 {{failed to parse TG_AdamWAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = #tg.cosine<peak = 1.0e-3, warmup = 100>>

// -----

// expected-error@+2 {{#tg.linear_decay needs total > warmup (the steps to decay over), got total = 10, warmup = 10}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.linear_decay<peak = 0.1, warmup = 10, total = 10>>

// -----

// expected-error@+2 {{#tg.cosine needs warmup >= 0, got -1}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.cosine<peak = 0.1, warmup = -1, total = 10>>

// -----

// expected-error@+2 {{#tg.linear_warmup needs warmup > 0, got 0}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.linear_warmup<peak = 0.1, warmup = 0>>

// -----

// expected-error@+2 {{#tg.wsd needs warmup + decay <= total, got 10 + 100 > 100}}
// expected-error@+1 {{failed to parse TG_AdamAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = #tg.wsd<peak = 1.0e-3, warmup = 10, total = 100, decay = 100>>

// -----

// expected-error@+2 {{#tg.wsd needs decay > 0, got 0}}
// expected-error@+1 {{failed to parse TG_AdamAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = #tg.wsd<peak = 1.0e-3, total = 100, decay = 0>>

// -----

// expected-error@+2 {{#tg.one_cycle needs 1 < pct_start * total < total (both phases at least a step long), got 0.5}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 5, pct_start = 0.1>>

// -----

// expected-error@+2 {{#tg.one_cycle needs total > 0, got 0}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 0>>

// -----

// expected-error@+2 {{#tg.one_cycle needs div_factor > 0, got 0}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 10, div_factor = 0.0>>

// -----

// expected-error@+2 {{#tg.one_cycle needs final_div_factor > 0, got -1}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.one_cycle<peak = 0.1, total = 10, final_div_factor = -1.0>>

// -----

// expected-error@+2 {{#tg.cosine needs a finite peak, got inf}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.cosine<peak = 0x7FF0000000000000, total = 10>>

// -----

// expected-error@+2 {{#tg.constant_schedule needs steps >= 0, got -2}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.constant_schedule<value = 0.1, steps = -2>>

// The optimizer checks every value a schedule takes.

// -----

// expected-error@+1 {{#tg.adam needs beta1 in [0, 1) throughout its schedule, got 1}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, beta1 = #tg.linear_warmup<peak = 1.0, warmup = 10, start = 0.5>>

// -----

// expected-error@+1 {{#tg.sgd needs a finite lr >= 0 throughout its schedule, got -0.1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.linear_decay<peak = 0.1, total = 10, final = -0.1>>

// -----

// expected-error@+1 {{#tg.adamw needs a finite weight_decay >= 0 throughout its schedule, got -1}}
tg.train_step @step loss @loss optimizer #tg.adamw<lr = 1.0e-3, weight_decay = #tg.constant_schedule<value = 0.1, factor = -10.0>>

// -----

// expected-error@+1 {{#tg.adagrad takes a number, not a schedule, for initial_accumulator_value}}
tg.train_step @step loss @loss optimizer #tg.adagrad<lr = 0.1, initial_accumulator_value = #tg.linear_warmup<peak = 0.1, warmup = 10>>

// -----

// expected-error@+1 {{#tg.dadapt_adam takes a number, not a schedule, for beta2}}
tg.train_step @step loss @loss optimizer #tg.dadapt_adam<beta2 = #tg.linear_warmup<peak = 0.99, warmup = 10>>

// -----

// expected-error@+1 {{#tg.ademamix with beta3_warmup takes numbers, not schedules, for beta1 and beta3}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, beta1 = #tg.linear_warmup<peak = 0.9, warmup = 10>, beta3_warmup = 100>

// -----

// expected-error@+2 {{expected a number or a schedule, got #tg.zeros}}
// expected-error@+1 {{failed to parse TG_SGDAttr parameter 'lr'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = #tg.zeros>

// -----

// A number of steps is an integer.
// expected-error@+2 {{expected integer value}}
// expected-error@+1 {{failed to parse TG_AdEMAMixAttr parameter 'alpha_warmup' which is to be a `int64_t`}}
tg.train_step @step loss @loss optimizer #tg.ademamix<lr = 1.0e-3, alpha_warmup = 10.5>

// -----

// expected-error@+1 {{struct is missing required parameter: lr}}
tg.train_step @step loss @loss optimizer #tg.adamw<weight_decay = 0.1>

// -----

// PyTorch's `betas` pair is two parameters here.
// expected-error@+1 {{duplicate or unknown struct parameter name: betas}}
tg.train_step @step loss @loss optimizer #tg.adam<lr = 1.0e-3, betas = 0.9>

// -----

// expected-error@+2 {{failed to parse TG_RMSpropAttr parameter 'centered' which is to be a `bool`}}
// expected-error@+1 {{expected true or false}}
tg.train_step @step loss @loss optimizer #tg.rmsprop<lr = 0.01, centered = yes>

// -----

// expected-error@+1 {{unknown attribute `adabelief` in dialect `tg`}}
tg.train_step @step loss @loss optimizer #tg.adabelief<lr = 1.0e-3>

//===----------------------------------------------------------------------===//
// tg.train_step: the loss function
//===----------------------------------------------------------------------===//

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
// expected-error@+1 {{'tg.train_step' op loss function @missing is not a func.func in this module}}
tg.train_step @step loss @missing optimizer #tg.sgd<lr = 0.1>

// -----

// The loss names a symbol that exists, but is not a function.
ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
// expected-error@+1 {{'tg.train_step' op loss function @w is not a func.func in this module}}
tg.train_step @step loss @w optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<4xf32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  return %w : tensor<4xf32>
}
// expected-error@+1 {{'tg.train_step' op loss function @loss must return one scalar float tensor such as tensor<f32>, but returns ('tensor<4xf32>')}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<i32> {
  %c = tg.fill 0 : tensor<i32>
  return %c : tensor<i32>
}
// expected-error@+1 {{'tg.train_step' op loss function @loss must return one scalar float tensor such as tensor<f32>, but returns ('tensor<i32>')}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> (tensor<f32>, tensor<f32>) {
  %c = tg.fill 0.0 : tensor<f32>
  return %c, %c : tensor<f32>, tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op loss function @loss must return one scalar float tensor such as tensor<f32>, but returns ('tensor<f32>', 'tensor<f32>')}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

func.func @loss() {
  return
}
// expected-error@+1 {{'tg.train_step' op loss function @loss must return one scalar float tensor such as tensor<f32>, but returns ()}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// A plain f32 result is not a tensor.
func.func @loss(%x: f32) -> f32 {
  return %x : f32
}
// expected-error@+1 {{'tg.train_step' op loss function @loss must return one scalar float tensor such as tensor<f32>, but returns ('f32')}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

//===----------------------------------------------------------------------===//
// tg.train_step: the parameters
//===----------------------------------------------------------------------===//

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w is listed twice}}
tg.train_step @step loss @loss params [@w, @w] optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @v is not an ml_program.global in this module}}
tg.train_step @step loss @loss params [@w, @v] optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @loss is not an ml_program.global in this module}}
tg.train_step @step loss @loss params [@loss] optimizer #tg.sgd<lr = 0.1>

// -----

// Immutable and integer globals are not trained, and there is nothing else.
ml_program.global private @frozen(dense<1.0> : tensor<4xf32>) : tensor<4xf32>
ml_program.global private mutable @count(#tg.zeros) : tensor<i64>
func.func @loss() -> tensor<f32> {
  %f = ml_program.global_load @frozen : tensor<4xf32>
  %c = ml_program.global_load @count : tensor<i64>
  %l = tg.reduce_sum %f [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op has nothing to train: loss function @loss loads no mutable float ml_program.global}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// An empty `params` list trains nothing either.
ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op has nothing to train: `params` is an empty list}}
tg.train_step @step loss @loss params [] optimizer #tg.sgd<lr = 0.1>

// -----

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
// expected-note@+1 {{@count is declared here}}
ml_program.global private mutable @count(#tg.zeros) : tensor<i64>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @count: must be a float tensor, got 'tensor<i64>'}}
tg.train_step @step loss @loss params [@w, @count] optimizer #tg.sgd<lr = 0.1>

// -----

// A float global that is not a tensor, found through the loads of the loss.
// expected-note@+1 {{@scale is declared here}}
ml_program.global private mutable @scale(#tg.ones) : f32
func.func @loss() -> tensor<f32> {
  %s = ml_program.global_load @scale : f32
  %l = tg.fill 0.0 : tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @scale: must be a float tensor, got 'f32'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// expected-note@+1 {{@w is declared here}}
ml_program.global private @w(#tg.zeros) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w: is not mutable (declare it `ml_program.global private mutable`)}}
tg.train_step @step loss @loss params [@w] optimizer #tg.sgd<lr = 0.1>

// -----

// expected-note@+1 {{@w is declared here}}
ml_program.global private mutable @w(dense<1.0> : tensor<2xf32>) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w: initial data has type 'tensor<2xf32>' but the global is 'tensor<4xf32>'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// A parameter found through a call of the loss function.
// expected-note@+1 {{@w is declared here}}
ml_program.global private mutable @w : tensor<4xf32>
func.func @model() -> tensor<4xf32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  return %w : tensor<4xf32>
}
func.func @loss() -> tensor<f32> {
  %w = func.call @model() : () -> tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w: needs an initial value: an initializer such as #tg.zeros, #tg.normal<std = 0.02> or #tg.kaiming_uniform, or dense data}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// An optimizer is not an initializer.
// expected-note@+1 {{@w is declared here}}
ml_program.global private mutable @w(#tg.sgd<lr = 0.1>) : tensor<4xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %l = tg.reduce_sum %w [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w: needs an initial value: an initializer such as #tg.zeros, #tg.normal<std = 0.02> or #tg.kaiming_uniform, or dense data}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

//===----------------------------------------------------------------------===//
// tg.train_step: initializers checked against their parameter's type
//===----------------------------------------------------------------------===//

// -----

// expected-note@+1 {{@b is declared here}}
ml_program.global private mutable @b(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512xf32>
func.func @loss() -> tensor<f32> {
  %b = ml_program.global_load @b : tensor<512xf32>
  %l = tg.reduce_sum %b [0] : tensor<512xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @b: #tg.kaiming_uniform needs a global of rank >= 2 to compute fans, got 'tensor<512xf32>'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// expected-note@+1 {{@b is declared here}}
ml_program.global private mutable @b(#tg.kaiming_normal) : tensor<f32>
func.func @loss() -> tensor<f32> {
  %b = ml_program.global_load @b : tensor<f32>
  return %b : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @b: #tg.kaiming_normal needs a global of rank >= 2 to compute fans, got 'tensor<f32>'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// expected-note@+1 {{@b is declared here}}
ml_program.global private mutable @b(#tg.xavier_uniform) : tensor<10xf32>
func.func @loss() -> tensor<f32> {
  %b = ml_program.global_load @b : tensor<10xf32>
  %l = tg.reduce_sum %b [0] : tensor<10xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @b: #tg.xavier_uniform needs a global of rank >= 2 to compute fans, got 'tensor<10xf32>'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

// -----

// expected-note@+1 {{@w is declared here}}
ml_program.global private mutable @w(#tg.xavier_normal<gain = 2.0>) : tensor<?x8xf32>
func.func @loss() -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<?x8xf32>
  %l = tg.reduce_sum %w [0, 1] : tensor<?x8xf32> -> tensor<f32>
  return %l : tensor<f32>
}
// expected-error@+1 {{'tg.train_step' op parameter @w: #tg.xavier_normal needs a static shape, got 'tensor<?x8xf32>'}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>

//===----------------------------------------------------------------------===//
// tg.train_step: ODS-generated checks and syntax
//===----------------------------------------------------------------------===//

// -----

func.func @loss() -> tensor<f32> {
  %l = tg.fill 0.0 : tensor<f32>
  // expected-error@+1 {{'tg.train_step' op expects parent op 'builtin.module'}}
  tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1>
  return %l : tensor<f32>
}

// -----

// expected-error@+1 {{custom op 'tg.train_step' invalid kind of attribute specified}}
tg.train_step @step loss @loss optimizer #tg.normal<std = 1.0>

// -----

// expected-error@+1 {{invalid properties {loss = @loss, optimizer = #tg.zeros, sym_name = "step"} for op tg.train_step: Invalid attribute `optimizer` in property conversion: #tg.zeros}}
"tg.train_step"() <{sym_name = "step", loss = @loss, optimizer = #tg.zeros}> : () -> ()

// -----

// expected-error@+1 {{'tg.train_step' op attribute 'params' failed to satisfy constraint: flat symbol ref array attribute}}
"tg.train_step"() <{sym_name = "step", loss = @loss, params = [@w, 1 : i64], optimizer = #tg.sgd<lr = 0.1>}> : () -> ()

// -----

// expected-error@+1 {{'tg.train_step' op requires attribute 'loss'}}
"tg.train_step"() <{sym_name = "step", optimizer = #tg.sgd<lr = 0.1>}> : () -> ()

// -----

// The error is reported at the next token.
// expected-error@+2 {{custom op 'tg.train_step' expected 'optimizer'}}
tg.train_step @step loss @loss
ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

// -----

// expected-error@+1 {{expected attribute value}}
tg.train_step @step loss @loss params [@w,] optimizer #tg.sgd<lr = 0.1>

// -----

//===--- Automatic differentiation ---===//

func.func @f(%x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @wrt_integer(%x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'tg.grad' op cannot differentiate with respect to argument #1 of type 'tensor<4xi32>': only float tensors have gradients}}
  %g = tg.grad @f(%x, %y) wrt [1] : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi32>
  return %g : tensor<4xi32>
}

// -----

func.func @missing_callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.grad' op @nowhere is not a func.func in this module}}
  %g = tg.grad @nowhere(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @operand_types(%x: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'tg.grad' op operand types do not match the arguments of @f: expected ('tensor<4xf32>')}}
  %g = tg.grad @f(%x) wrt [0] : (tensor<3xf32>) -> tensor<3xf32>
  return %g : tensor<3xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @non_scalar(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.grad' op @f must return one scalar float tensor (such as tensor<f32>) to have a gradient}}
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @value_type(%x: tensor<4xf32>) -> tensor<f64> {
  // expected-error @+1 {{'tg.value_and_grad' op value type 'tensor<f64>' differs from the function's result type 'tensor<f32>'}}
  %v, %g = tg.value_and_grad @f(%x) wrt [0] : (tensor<4xf32>) -> (tensor<f64>, tensor<4xf32>)
  return %v : tensor<f64>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @wrt_out_of_range(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.grad' op wrt position 1 is out of range: @f has 1 arguments}}
  %g = tg.grad @f(%x) wrt [1] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @wrt_twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{'tg.grad' op wrt position 0 is listed twice}}
  %g:2 = tg.grad @f(%x) wrt [0, 0] : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %g#0, %g#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @missing_global(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.grad' op global @w is not an ml_program.global in this module}}
  %g = tg.grad @f(%x) globals [@w] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

ml_program.global private mutable @steps(dense<0> : tensor<i64>) : tensor<i64>
func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @integer_global(%x: tensor<4xf32>) -> tensor<i64> {
  // expected-error @+1 {{'tg.grad' op cannot differentiate with respect to global @steps of type 'tensor<i64>': only float tensors have gradients}}
  %g = tg.grad @f(%x) globals [@steps] : (tensor<4xf32>) -> tensor<i64>
  return %g : tensor<i64>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @jvp_missing_global(%x: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.jvp' op global @w is not an ml_program.global in this module}}
  %y, %dy = tg.jvp @f(%x) tangents(%t) wrt [] globals [@w] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dy : tensor<4xf32>
}

// -----

ml_program.global private mutable @w(dense<1.0> : tensor<3xf32>) : tensor<3xf32>
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @jvp_global_tangent_type(%x: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.jvp' op needs one tangent per differentiated argument and global, with its type: ('tensor<3xf32>')}}
  %y, %dy = tg.jvp @f(%x) tangents(%t) wrt [] globals [@w] : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dy : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @nothing(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'tg.value_and_grad' op differentiates with respect to nothing: list arguments in `wrt` or globals in `globals`}}
  %v = tg.value_and_grad @f(%x) : (tensor<4xf32>) -> tensor<f32>
  return %v : tensor<f32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %s = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}
func.func @gradient_types(%x: tensor<4xf32>) -> tensor<4xf64> {
  // expected-error @+1 {{'tg.grad' op gradient types must match what they differentiate: ('tensor<4xf32>')}}
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf64>
  return %g : tensor<4xf64>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @tangent_types(%x: tensor<4xf32>, %t: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.jvp' op needs one tangent per differentiated argument and global, with its type: ('tensor<4xf32>')}}
  %y, %dy = tg.jvp @f(%x) tangents(%t) : (tensor<4xf32>, tensor<3xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %dy : tensor<4xf32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xi32> {
  %i = tg.cast %x : tensor<4xf32> to tensor<4xi32>
  return %i : tensor<4xi32>
}
func.func @integer_result(%x: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<4xi32> {
  // expected-error @+1 {{'tg.jvp' op cannot take the derivative of a result of type 'tensor<4xi32>': only float tensors have tangents}}
  %y, %dy = tg.jvp @f(%x) tangents(%t) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xi32>, tensor<4xi32>)
  return %dy : tensor<4xi32>
}

// -----

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @jvp_results(%x: tensor<4xf32>, %t: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.jvp' op results must be the function's results, then one tangent per result: ('tensor<4xf32>', 'tensor<4xf32>')}}
  %y = tg.jvp @f(%x) tangents(%t) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @clip_arity(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.straight_through' op clip needs two bounds [lo, hi], got 3}}
  %y = tg.straight_through %x, %x clip [-1.0, 0.0, 1.0] : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @clip_order(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'tg.straight_through' op clip bounds must satisfy lo <= hi, got [1, -1]}}
  %y = tg.straight_through %x, %x clip [1.0, -1.0] : tensor<4xf32>
  return %y : tensor<4xf32>
}

//===----------------------------------------------------------------------===//
// Gradient transforms
//===----------------------------------------------------------------------===//

// -----

// expected-error@+1 {{#tg.clip_global_norm needs a finite max_norm > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.clip_global_norm<max_norm = 0.0>]

// -----

// expected-error@+1 {{#tg.clip_norm needs a finite max_norm > 0, got -1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.clip_norm<max_norm = -1.0>]

// -----

// expected-error@+1 {{#tg.clip_value needs a finite max > 0, got inf}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.clip_value<max = 0x7FF0000000000000>]

// -----

// expected-error@+1 {{#tg.grokfast needs alpha in [0, 1), got 1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.grokfast<alpha = 1.0>]

// -----

// expected-error@+1 {{#tg.grokfast needs a finite lamb >= 0, got -2}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.grokfast<lamb = -2.0>]

// -----

// expected-error@+1 {{#tg.fira_limiter needs gamma >= 1, got 0.9}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.fira_limiter<gamma = 0.9>]

// -----

// expected-error@+1 {{#tg.decoupled_weight_decay needs rate in [0, 1) throughout its schedule, got 1}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.decoupled_weight_decay<rate = #tg.linear_warmup<peak = 1.0, warmup = 10>>]

// -----

// expected-error@+1 {{'tg.train_step' op attribute 'transforms' failed to satisfy constraint: array of gradient transform attributes}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.sgd<lr = 0.1>]

// -----

// expected-error@+1 {{#tg.sam needs a finite rho > 0, got 0}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.sam<rho = 0.0>]

// -----

// expected-error@+1 {{#tg.grad_noise needs a finite eta >= 0, got -0.01}}
tg.train_step @step loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.grad_noise<eta = -0.01>]
