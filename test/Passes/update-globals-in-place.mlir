// RUN: tgc-opt %s --split-input-file --tg-update-globals-in-place | FileCheck %s

// A momentum update as one-shot bufferization leaves it: the state and the
// parameter are copied out of their globals, the new values computed into
// fresh buffers and copied back. Afterwards the updates read and write the
// globals, and the gradient's call (whose callee reads @w) comes before.
// CHECK-LABEL: func.func @sgd_momentum
// CHECK-NOT:     memref.copy
// CHECK-NOT:     memref.alloc
// CHECK:         %[[GRAD:.*]] = call @grad()
// CHECK-DAG:     %[[W:.*]] = memref.get_global @w
// CHECK-DAG:     %[[M:.*]] = memref.get_global @m
// CHECK:         %[[M_OUT:.*]] = memref.get_global @m
// CHECK:         linalg.generic {{.*}} ins(%[[M]], %[[GRAD]] : {{.*}}) outs(%[[M_OUT]] : memref<16xf32>)
// CHECK:         %[[W_OUT:.*]] = memref.get_global @w
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[M_OUT]] : {{.*}}) outs(%[[W_OUT]] : memref<16xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return
#map = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
memref.global "private" @m : memref<16xf32> = dense<0.0>
func.func private @grad() -> memref<16xf32> {
  %w = memref.get_global @w : memref<16xf32>
  %g = memref.alloc() : memref<16xf32>
  memref.copy %w, %g : memref<16xf32> to memref<16xf32>
  return %g : memref<16xf32>
}
func.func @sgd_momentum() {
  %grad = call @grad() : () -> memref<16xf32>
  %w_global = memref.get_global @w : memref<16xf32>
  %w = memref.alloc() : memref<16xf32>
  memref.copy %w_global, %w : memref<16xf32> to memref<16xf32>
  %m_global = memref.get_global @m : memref<16xf32>
  %m = memref.alloc() : memref<16xf32>
  memref.copy %m_global, %m : memref<16xf32> to memref<16xf32>
  %new_m = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%m, %grad : memref<16xf32>, memref<16xf32>) outs(%new_m : memref<16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %c = arith.constant 0.9 : f32
    %x = arith.mulf %a, %c : f32
    %y = arith.addf %x, %b : f32
    linalg.yield %y : f32
  }
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%w, %new_m : memref<16xf32>, memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %y = arith.subf %a, %b : f32
    linalg.yield %y : f32
  }
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  %m_store = memref.get_global @m : memref<16xf32>
  memref.copy %new_m, %m_store : memref<16xf32> to memref<16xf32>
  return
}

// -----

// The old value is read after the new one is stored (as when a gradient
// transform moves the parameters and the update reads them again): the
// load copy must stay; the store copy still goes, the update writing @w.
// CHECK-LABEL: func.func @old_value_read_later
// CHECK:         %[[W:.*]] = memref.get_global @w
// CHECK:         %[[OLD:.*]] = memref.alloc()
// CHECK:         memref.copy %[[W]], %[[OLD]]
// CHECK:         %[[W_OUT:.*]] = memref.get_global @w
// CHECK:         linalg.generic {{.*}} ins(%[[OLD]] : memref<16xf32>) outs(%[[W_OUT]] : memref<16xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         linalg.generic {{.*}} ins(%[[OLD]] : memref<16xf32>) outs(%arg0 : memref<16xf32>)
#map = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
func.func @old_value_read_later(%out: memref<16xf32>) {
  %w_global = memref.get_global @w : memref<16xf32>
  %w = memref.alloc() : memref<16xf32>
  memref.copy %w_global, %w : memref<16xf32> to memref<16xf32>
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%w : memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.negf %a : f32
    linalg.yield %y : f32
  }
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%w : memref<16xf32>) outs(%out : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A call between the new value and its store that reads the global: the
// update cannot write it early, so the store copy stays.
// CHECK-LABEL: func.func @callee_reads_global_before_store
// CHECK:         %[[NEW:.*]] = memref.alloc()
// CHECK:         linalg.generic {{.*}} outs(%[[NEW]] : memref<16xf32>)
// CHECK:         call @read_w
// CHECK:         memref.copy %[[NEW]]
#map = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
func.func private @read_w() -> memref<16xf32> {
  %w = memref.get_global @w : memref<16xf32>
  %r = memref.alloc() : memref<16xf32>
  memref.copy %w, %r : memref<16xf32> to memref<16xf32>
  return %r : memref<16xf32>
}
func.func @callee_reads_global_before_store(%x: memref<16xf32>) -> memref<16xf32> {
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  %seen = call @read_w() : () -> memref<16xf32>
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  return %seen : memref<16xf32>
}

// -----

// An update that reads the global at another index than it writes (a
// reversal): writing in place would clobber values still to be read.
// CHECK-LABEL: func.func @not_elementwise
// CHECK:         memref.alloc()
// CHECK:         memref.copy
#map = affine_map<(d0) -> (d0)>
#reverse = affine_map<(d0) -> (15 - d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
func.func @not_elementwise() {
  %w = memref.get_global @w : memref<16xf32>
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#reverse, #map], iterator_types = ["parallel"]}
      ins(%w : memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  return
}

// -----

// diffGrad keeps the previous gradient as state: the new one is computed
// first, but the update still reads the old one. Writing the new gradient
// into @prev early would feed the update the wrong value: that store copy
// stays (the update's and the parameter's copies go).
// CHECK-LABEL: func.func @state_read_after_its_new_value
// CHECK:         %[[PREV:.*]] = memref.get_global @prev
// CHECK:         %[[NEW:.*]] = memref.alloc()
// CHECK:         linalg.generic {{.*}} outs(%[[NEW]] : memref<16xf32>)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %[[PREV]], %[[NEW]] : {{.*}}) outs(%{{.*}} : memref<16xf32>)
// CHECK:         %[[PREV_OUT:.*]] = memref.get_global @prev
// CHECK:         memref.copy %[[NEW]], %[[PREV_OUT]]
#map = affine_map<(d0) -> (d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
memref.global "private" @prev : memref<16xf32> = dense<0.0>
func.func @state_read_after_its_new_value(%grad: memref<16xf32>) {
  %w_global = memref.get_global @w : memref<16xf32>
  %w = memref.alloc() : memref<16xf32>
  memref.copy %w_global, %w : memref<16xf32> to memref<16xf32>
  %prev_global = memref.get_global @prev : memref<16xf32>
  %prev = memref.alloc() : memref<16xf32>
  memref.copy %prev_global, %prev : memref<16xf32> to memref<16xf32>
  %g = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%grad : memref<16xf32>) outs(%g : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.negf %a : f32
    linalg.yield %y : f32
  }
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map, #map], iterator_types = ["parallel"]}
      ins(%w, %prev, %g : memref<16xf32>, memref<16xf32>, memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %y = arith.subf %a, %d : f32
    linalg.yield %y : f32
  }
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  %prev_store = memref.get_global @prev : memref<16xf32>
  memref.copy %g, %prev_store : memref<16xf32> to memref<16xf32>
  return
}

// -----

// The step's own input (an argument of a public function: the caller's
// batch, never a global) is read between the new moment and its store; the
// parameter is read through a view (a reduction split into chunks) before
// its update. No copy stays.
// CHECK-LABEL: func.func @input_gradient_and_viewed_parameter
// CHECK-NOT:     memref.copy
// CHECK-NOT:     memref.alloc() {{.*}} memref<16xf32>
// CHECK:         %[[W:.*]] = memref.get_global @w
// CHECK:         memref.expand_shape %[[W]]
// CHECK:         %[[M:.*]] = memref.get_global @m
// CHECK-NEXT:    %[[M_OUT:.*]] = memref.get_global @m
// CHECK-NEXT:    linalg.generic {{.*}} ins(%[[M]], %arg0 : {{.*}}) outs(%[[M_OUT]] : memref<16xf32>)
// CHECK:         %[[W_OUT:.*]] = memref.get_global @w
// CHECK:         linalg.generic {{.*}} ins(%[[W]], %[[M_OUT]], %arg0 : {{.*}}) outs(%[[W_OUT]] : memref<16xf32>)
// CHECK-NOT:     memref.copy
// CHECK:         return
#map = affine_map<(d0) -> (d0)>
#chunks = affine_map<(d0, d1) -> (d0, d1)>
#chunk = affine_map<(d0, d1) -> (d0)>
memref.global "private" @w : memref<16xf32> = dense<1.0>
memref.global "private" @m : memref<16xf32> = dense<0.0>
func.func @input_gradient_and_viewed_parameter(%grad: memref<16xf32>) -> memref<4xf32> {
  %w_global = memref.get_global @w : memref<16xf32>
  %w = memref.alloc() : memref<16xf32>
  memref.copy %w_global, %w : memref<16xf32> to memref<16xf32>
  %w_chunks = memref.expand_shape %w [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  %sums = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [#chunks, #chunk], iterator_types = ["parallel", "reduction"]}
      ins(%w_chunks : memref<4x4xf32>) outs(%sums : memref<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  }
  %m_global = memref.get_global @m : memref<16xf32>
  %m = memref.alloc() : memref<16xf32>
  memref.copy %m_global, %m : memref<16xf32> to memref<16xf32>
  %new_m = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%m, %grad : memref<16xf32>, memref<16xf32>) outs(%new_m : memref<16xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %y = arith.addf %a, %b : f32
    linalg.yield %y : f32
  }
  %new_w = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map, #map, #map], iterator_types = ["parallel"]}
      ins(%w, %new_m, %grad : memref<16xf32>, memref<16xf32>, memref<16xf32>) outs(%new_w : memref<16xf32>) {
  ^bb0(%a: f32, %b: f32, %g: f32, %out: f32):
    %y = arith.subf %a, %b : f32
    %z = arith.subf %y, %g : f32
    linalg.yield %z : f32
  }
  %w_store = memref.get_global @w : memref<16xf32>
  memref.copy %new_w, %w_store : memref<16xf32> to memref<16xf32>
  %m_store = memref.get_global @m : memref<16xf32>
  memref.copy %new_m, %m_store : memref<16xf32> to memref<16xf32>
  return %sums : memref<4xf32>
}
