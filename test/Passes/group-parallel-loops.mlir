// RUN: tgc-opt %s --split-input-file --tg-group-parallel-loops | FileCheck %s

// Two parameters' updates, each a region of its own, touch different
// globals: one region runs both loops. The address computation between them
// moves before the group, the small sequential update of a third global
// after it.
// CHECK-LABEL: func.func @independent_updates
// CHECK:         memref.get_global @b
// CHECK:         omp.parallel {
// CHECK:           omp.wsloop nowait {
// CHECK:             memref.store {{.*}}, %{{.*}}[%{{.*}}] : memref<1024xf32>
// CHECK:           omp.wsloop nowait {
// CHECK:             memref.store {{.*}}, %{{.*}}[%{{.*}}] : memref<1024xf32>
// CHECK:           omp.terminator
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    return
memref.global "private" @a : memref<1024xf32> = dense<1.0>
memref.global "private" @b : memref<1024xf32> = dense<1.0>
memref.global "private" @c : memref<f32> = dense<1.0>
func.func @independent_updates(%f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1024 : index
  %a = memref.get_global @a : memref<1024xf32>
  omp.parallel {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %x = memref.load %a[%i] : memref<1024xf32>
        %y = arith.mulf %x, %f : f32
        memref.store %y, %a[%i] : memref<1024xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  %c = memref.get_global @c : memref<f32>
  memref.store %f, %c[] : memref<f32>
  %b = memref.get_global @b : memref<1024xf32>
  omp.parallel {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %x = memref.load %b[%i] : memref<1024xf32>
        %y = arith.addf %x, %f : f32
        memref.store %y, %b[%i] : memref<1024xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

// The second loop reads what the first writes, at other indices (another
// thread's share): without a barrier between them they must stay apart.
// CHECK-LABEL: func.func @dependent_loops
// CHECK:         omp.parallel
// CHECK:           omp.terminator
// CHECK:         omp.parallel
memref.global "private" @a : memref<1024xf32> = dense<1.0>
memref.global "private" @b : memref<1024xf32> = dense<1.0>
func.func @dependent_loops() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 1024 : index
  %a = memref.get_global @a : memref<1024xf32>
  %b = memref.get_global @b : memref<1024xf32>
  omp.parallel {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %x = memref.load %a[%i] : memref<1024xf32>
        memref.store %x, %b[%i] : memref<1024xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop nowait {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        %j = arith.subi %n, %i : index
        %k = arith.subi %j, %c1 : index
        %x = memref.load %b[%k] : memref<1024xf32>
        memref.store %x, %a[%i] : memref<1024xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
