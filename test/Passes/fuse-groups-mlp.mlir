// The fusion groups of a whole training step: examples/mlp.mlir (784-512-
// 512-10, softmax cross-entropy, SGD with momentum). Each group is one
// linalg.generic: one loop nest on the CPU, one GPU kernel. Fewer fused
// groups, or groups split apart, fail this test.
// RUN: tgc-opt %tgc_src_root/examples/mlp.mlir --tg-expand-train-step --tg-pipeline --tg-lower-to-linalg --canonicalize --cse --inline --tg-fuse --canonicalize --cse > %t.mlir
// RUN: FileCheck %s --input-file %t.mlir
// RUN: awk '/func.func @train_step/,/^  }$/' %t.mlir | grep -c "= linalg.generic" | FileCheck %s --check-prefix=GROUPS
// RUN: awk '/func.func @train_step/,/^  }$/' %t.mlir | grep -c "= linalg.matmul" | FileCheck %s --check-prefix=MATMULS

// 29 groups (37 loop nests before tg-fuse) around 8 matmuls.
// GROUPS: {{^}}29{{$}}
// MATMULS: {{^}}8{{$}}

// The step is one function: the gradient was inlined into it.
// CHECK-NOT:   func.call
// CHECK-LABEL: func.func @train_step
// CHECK-NOT:   func.call

// Forward: every hidden layer is its matmul and one group for the epilogue,
// the bias and the ReLU.
// CHECK:       %[[MM1:.*]] = linalg.matmul
// CHECK-NEXT:  linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[MM1]], %fc1_bias :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    arith.maximumf
// CHECK-NEXT:    linalg.yield
// CHECK:       %[[MM2:.*]] = linalg.matmul
// CHECK-NEXT:  %[[H2:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[MM2]], %fc2_bias :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    arith.maximumf
// CHECK-NEXT:    linalg.yield

// Cross-entropy forward: the logits with their bias (read one element per
// row by the loss), the row maximum, the sum of exponentials, log Z, and the
// loss: each example's logit at its label minus log Z, summed, without a
// one-hot tensor.
// CHECK:       %[[LOGITS:.*]] = linalg.matmul
// CHECK-NEXT:  %[[Z:.*]] = linalg.generic {{.*}} ins(%[[LOGITS]], %fc3_bias :
// CHECK:       %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Z]] :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.maximumf
// CHECK:       %[[SUMEXP:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[Z]], %{{.*}} :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.subf
// CHECK-NEXT:    math.exp
// CHECK-NEXT:    arith.addf
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%arg1, %{{.*}} :
// CHECK:         tensor.extract %[[Z]]
// CHECK:         arith.subf
// CHECK-NEXT:    arith.addf

// Cross-entropy backward: the gradient of the logits, softmax minus the
// one-hot, recomputed from the logits in one group.
// CHECK:       %[[DLOGITS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%arg1, %{{.*}}, %[[Z]], %{{.*}} :
// CHECK:         math.exp
// CHECK:         arith.cmpi eq
// CHECK:         arith.addf
// The bias gradient: a column sum.
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[DLOGITS]] :

// The ReLU's derivative from its result (the activation the next layer's
// weight gradient reads anyway), one group per layer.
// CHECK:       %[[DH2:.*]] = linalg.matmul ins(%[[DLOGITS]], %fc3_weight
// CHECK:       linalg.generic {{.*}} ins(%[[DH2]], %[[H2]] :
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.cmpf ogt
// CHECK-NEXT:    arith.select
// CHECK-NEXT:    arith.mulf

// SGD with momentum: the buffer's update, then the parameter's.
// CHECK:       %[[BUF:.*]] = linalg.generic {{.*}} ins(%fc1_weight_momentum_buffer, %{{.*}} :
// CHECK:         arith.mulf
// CHECK-NEXT:    arith.addf
// CHECK:       %[[W:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[BUF]] :
// CHECK:         arith.mulf
// CHECK-NEXT:    arith.subf
// CHECK:       ml_program.global_store @fc1_weight = %[[W]]
