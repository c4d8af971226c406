// RUN: tgc-opt %s --tg-gpu-launch --verify-diagnostics --split-input-file

// The host cannot branch on a value in device memory.
func.func @branch_on_data(%flag: memref<i1>, %out: memref<f32>) {
  %c = memref.load %flag[] : memref<i1>
  %one = arith.constant 1.0 : f32
  // expected-error @below {{the host needs a value read from device memory here}}
  scf.if %c {
    func.call @host_effect() : () -> ()
  }
  return
}
func.func private @host_effect()

// -----

func.func @reduction_loop(%in: memref<8xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{parallel loops with reductions cannot run on the GPU yet}}
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %x = memref.load %in[%i] : memref<8xf32>
    scf.reduce(%x : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  memref.store %sum, %out[] : memref<f32>
  return
}
