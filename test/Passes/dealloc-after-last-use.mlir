// RUN: tgc-opt %s --split-input-file --tg-dealloc-after-last-use | FileCheck %s

// A temporary freed at the end of the block moves up to right after its
// last use (through a view), before the next allocation of its size, which
// the caching allocator can then serve with it.
// CHECK-LABEL: func.func @temporary
// CHECK:         %[[T:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[T]] : memref<16xf32>)
// CHECK:         %[[V:.*]] = memref.expand_shape %[[T]]
// CHECK:         memref.copy %[[V]], %arg1
// CHECK-NEXT:    memref.dealloc %[[T]]
// CHECK-NEXT:    %[[U:.*]] = memref.alloc() : memref<16xf32>
// CHECK:         memref.dealloc %[[U]]
// CHECK-NEXT:    return
#map = affine_map<(d0) -> (d0)>
func.func @temporary(%x: memref<16xf32>, %out: memref<4x4xf32>) {
  %t = memref.alloc() : memref<16xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<16xf32>) outs(%t : memref<16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %y = arith.negf %a : f32
    linalg.yield %y : f32
  }
  %v = memref.expand_shape %t [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  memref.copy %v, %out : memref<4x4xf32> to memref<4x4xf32>
  %u = memref.alloc() : memref<16xf32>
  memref.copy %x, %u : memref<16xf32> to memref<16xf32>
  memref.dealloc %t : memref<16xf32>
  memref.dealloc %u : memref<16xf32>
  return
}

// -----

// A buffer whose address the runtime alias check reads keeps its place.
// CHECK-LABEL: func.func @address_taken
// CHECK:         memref.extract_aligned_pointer_as_index
// CHECK:         memref.copy
// CHECK-NEXT:    memref.dealloc
func.func @address_taken(%x: memref<16xf32>) -> index {
  %t = memref.alloc() : memref<16xf32>
  memref.copy %x, %t : memref<16xf32> to memref<16xf32>
  %p = memref.extract_aligned_pointer_as_index %t : memref<16xf32> -> index
  memref.copy %x, %x : memref<16xf32> to memref<16xf32>
  memref.dealloc %t : memref<16xf32>
  return %p : index
}
