// RUN: tgc-opt %s --tg-read-only-arguments | FileCheck %s
// RUN: tgc-opt %s --tg-read-only-arguments --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUFFERS
// RUN: tgc-opt %s --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=IN-PLACE

// An entry point's tensor arguments are the caller's batch: bufferization
// must not write into them, even where an op's destination is one.

// CHECK-LABEL: func.func @step
// CHECK-SAME: (%{{.*}}: tensor<4xf32> {bufferization.writable = false}, %{{.*}}: index)
// BUFFERS-LABEL: func.func @step
// BUFFERS: %[[COPY:.*]] = memref.alloc
// BUFFERS: memref.copy %arg0, %[[COPY]]
// BUFFERS: memref.store %{{.*}}, %[[COPY]]
// IN-PLACE-LABEL: func.func @step
// IN-PLACE-NOT: memref.alloc
// IN-PLACE: memref.store %{{.*}}, %arg0
func.func @step(%batch: tensor<4xf32>, %i: index) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %cleared = tensor.insert %zero into %batch[%i] : tensor<4xf32>
  return %cleared : tensor<4xf32>
}

// Private functions (inlined into the entry points) are left alone.
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{.*}}: tensor<4xf32>)
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
