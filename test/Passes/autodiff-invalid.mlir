// RUN: tgc-opt %s --tg-autodiff --split-input-file --verify-diagnostics --allow-unregistered-dialect

// What --tg-autodiff refuses to differentiate. Errors point at the op the
// derivative cannot go through, in the function the user wrote; a note
// points at the tg.grad / tg.jvp that asked for it.
// (--allow-unregistered-dialect: tgc-opt does not register the cf dialect,
// so the multi-block cases spell cf.br in generic form.)

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate through 'math.exp': it has no derivative rule}}
  %e = math.exp %x : tensor<4xf32>
  %r = tg.reduce_sum %e [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_through_math_exp(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{differentiated here}}
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// The same op reached through a call: the error is at the op in the callee.

func.func @layer(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot differentiate through 'math.tanh': it has no derivative rule}}
  %t = math.tanh %x : tensor<4xf32>
  return %t : tensor<4xf32>
}

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %y = func.call @layer(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %r = tg.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_through_call(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-note @+1 {{differentiated here}}
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func @recursive(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate through recursive calls}}
  %r = func.call @recursive(%x) : (tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_of_recursive(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @recursive(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

func.func private @external(tensor<4xf32>) -> tensor<f32>

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{cannot differentiate through a call to @external: no function body}}
  %r = func.call @external(%x) : (tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_through_external_call(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// expected-error @+1 {{cannot differentiate a function without a body}}
func.func private @external(tensor<4xf32>) -> tensor<f32>

func.func @grad_of_external(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @external(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// expected-error @+1 {{cannot differentiate a function with several blocks}}
func.func @branches(%x: tensor<4xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  "cf.br"(%r)[^bb1] : (tensor<f32>) -> ()
^bb1(%s: tensor<f32>):
  return %s : tensor<f32>
}

func.func @grad_of_branches(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @branches(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// Several blocks in a called function: the error is at that function.

// expected-error @+1 {{cannot differentiate a function with several blocks}}
func.func @branches(%x: tensor<4xf32>) -> tensor<f32> {
  %r = tg.reduce_sum %x [0] : tensor<4xf32> -> tensor<f32>
  "cf.br"(%r)[^bb1] : (tensor<f32>) -> ()
^bb1(%s: tensor<f32>):
  return %s : tensor<f32>
}

func.func @f(%x: tensor<4xf32>) -> tensor<f32> {
  %r = func.call @branches(%x) : (tensor<4xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

func.func @grad_through_branches(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = tg.grad @f(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}

// -----

// Forward mode checks rules the same way.

func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot differentiate through 'math.exp': it has no derivative rule}}
  %e = math.exp %x : tensor<4xf32>
  return %e : tensor<4xf32>
}

func.func @jvp_through_math_exp(%x: tensor<4xf32>, %t: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // expected-note @+1 {{differentiated here}}
  %y, %dy = tg.jvp @f(%x) tangents(%t) : (tensor<4xf32>, tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  return %y, %dy : tensor<4xf32>, tensor<4xf32>
}

// -----

// A function that differentiates itself has no innermost derivative to
// expand first.

func.func @self(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{derivative ops differentiate each other in a cycle}}
  %g = tg.grad @self(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  %r = tg.reduce_sum %g [0] : tensor<4xf32> -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Automatic differentiation needs static shapes (it builds zeros and tapes
// of known size).

// expected-error @+1 {{cannot differentiate a value of type 'tensor<8x?xf32>': automatic differentiation needs static shapes}}
func.func @ce(%logits: tensor<8x?xf32>, %labels: tensor<8xi32>) -> tensor<f32> {
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<8x?xf32>, tensor<8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

func.func @grad_of_dynamic_ce(%logits: tensor<8x?xf32>, %labels: tensor<8xi32>) -> tensor<8x?xf32> {
  %g = tg.grad @ce(%logits, %labels) wrt [0] : (tensor<8x?xf32>, tensor<8xi32>) -> tensor<8x?xf32>
  return %g : tensor<8x?xf32>
}

// -----

// A float leaving tg as a scalar stops differentiation with an error rather
// than a silent zero.

func.func @scalar(%x: tensor<f32>) -> tensor<f32> {
  %v = tensor.extract %x[] : tensor<f32>
  // expected-error @+1 {{cannot differentiate through 'tensor.from_elements': it has no derivative rule}}
  %t = tensor.from_elements %v : tensor<f32>
  return %t : tensor<f32>
}

func.func @grad_through_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-note @+1 {{differentiated here}}
  %g = tg.grad @scalar(%x) wrt [0] : (tensor<f32>) -> tensor<f32>
  return %g : tensor<f32>
}

// -----

// Loops need constant bounds to record their forward values.

func.func @loop(%x: tensor<4xf32>, %n: index) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot differentiate a loop whose bounds and step are not constants}}
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> (tensor<4xf32>) {
    %t = tg.tanh %a : tensor<4xf32>
    scf.yield %t : tensor<4xf32>
  }
  %s = tg.reduce_sum %r [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

func.func @grad_of_loop(%x: tensor<4xf32>, %n: index) -> tensor<4xf32> {
  %g = tg.grad @loop(%x, %n) wrt [0] : (tensor<4xf32>, index) -> tensor<4xf32>
  return %g : tensor<4xf32>
}
