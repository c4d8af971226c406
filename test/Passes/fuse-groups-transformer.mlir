// The fusion groups of a transformer block's training step
// (examples/transformer_block.mlir: layer norms, causal multi-head
// attention, a GELU MLP, cross-entropy, AdamW). Each group is one
// linalg.generic: one loop nest on the CPU, one GPU kernel. Fewer fused
// groups, or groups split apart, fail this test.
// RUN: tgc-opt %tgc_src_root/examples/transformer_block.mlir --tg-expand-train-step --tg-pipeline --tg-lower-to-linalg --canonicalize --cse --inline --tg-fuse --canonicalize --cse > %t.mlir
// RUN: FileCheck %s --input-file %t.mlir
// RUN: awk '/func.func @train_step/,/^  }$/' %t.mlir | grep -c "= linalg.generic" | FileCheck %s --check-prefix=GROUPS
// RUN: awk '/func.func @train_step/,/^  }$/' %t.mlir | grep -c "= linalg.\(batch_\)\?matmul" | FileCheck %s --check-prefix=MATMULS

// 75 groups around 27 matmuls (a linear layer folds batch dimensions into
// rows, so its weight gradient needs no sum over the batch afterwards).
// GROUPS: {{^}}75{{$}}
// MATMULS: {{^}}27{{$}}

// CHECK-LABEL: func.func @train_step
// CHECK-NOT:   func.call

// The first layer norm: the row sum, the sum of squared deviations with
// the deviation recomputed inside, then the normalization with scale and
// shift.
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0 :
// CHECK:         arith.addf
// CHECK-NEXT:    linalg.yield
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %{{.*}} :
// CHECK:         arith.subf
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    arith.addf
// CHECK:         math.sqrt
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %{{.*}}, %{{.*}}, %ln1_weight, %ln1_bias :
// CHECK:         arith.subf
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    arith.addf

// Causal attention: the scores' matmul, then the softmax in three groups,
// each with the scale and the causal mask inside: the row maximum, the sum
// of exponentials, the normalization.
// CHECK:       %[[SCORES:.*]] = linalg.batch_matmul
// CHECK:       %[[SCORES4:.*]] = tensor.expand_shape %[[SCORES]]
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SCORES4]] :
// CHECK:         arith.mulf
// CHECK-NEXT:    arith.cmpi sle
// CHECK-NEXT:    arith.select
// CHECK-NEXT:    arith.maximumf
// CHECK:       %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[SCORES4]], %[[MAX]] :
// CHECK:         arith.select
// CHECK-NEXT:    arith.subf
// CHECK-NEXT:    math.exp
// CHECK-NEXT:    arith.addf
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[SCORES4]], %[[MAX]], %[[SUM]] :
// CHECK:         arith.select
// CHECK-NEXT:    arith.subf
// CHECK-NEXT:    math.exp
// CHECK-NEXT:    arith.divf
// CHECK:       linalg.batch_matmul

// The MLP's first matmul and its epilogue, bias and GELU, one group.
// CHECK:       %[[FC1:.*]] = linalg.matmul {{.*}} ins(%{{.*}}, %fc1_weight :
// CHECK-NEXT:  %[[FC1_3D:.*]] = tensor.expand_shape %[[FC1]]
// CHECK-NEXT:  tensor.empty
// CHECK-NEXT:  linalg.generic {{.*}} ins(%[[FC1_3D]], %fc1_bias :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    arith.mulf
// CHECK-NEXT:    math.erf

// Cross-entropy: forward and backward as in the MLP: the loss reads each
// example's logit at its label; the logits' gradient is one group.
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "reduction"]} ins(%arg1,
// CHECK:         tensor.extract
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg1,
// CHECK:         math.exp
// CHECK:         arith.cmpi eq

// AdamW: one group per parameter for each state slot and the parameter.
// CHECK:       ml_program.global_store @ln1_weight =
