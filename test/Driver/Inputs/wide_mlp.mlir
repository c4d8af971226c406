// A wide MLP (1024-2048-2048-10, Adam, batch 64; bench/specs.py mlp) whose
// 100 MB step dominates a process's fixed memory: memory-report.test.
module {
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<2048x1024xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0312500000, 0.0312500000>) : tensor<2048xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<2048x2048xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.0220970869, 0.0220970869>) : tensor<2048xf32>
  ml_program.global private mutable @fc3_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<10x2048xf32>
  ml_program.global private mutable @fc3_bias(#tg.uniform<-0.0220970869, 0.0220970869>) : tensor<10xf32>
  func.func @forward(%x: tensor<64x1024xf32>) -> tensor<64x10xf32> {
    %fc1_w = ml_program.global_load @fc1_weight : tensor<2048x1024xf32>
    %fc1_b = ml_program.global_load @fc1_bias : tensor<2048xf32>
    %h1 = tg.linear %x, %fc1_w, %fc1_b : tensor<64x1024xf32>, tensor<2048x1024xf32>, tensor<2048xf32> -> tensor<64x2048xf32>
    %a1 = tg.relu %h1 : tensor<64x2048xf32>
    %fc2_w = ml_program.global_load @fc2_weight : tensor<2048x2048xf32>
    %fc2_b = ml_program.global_load @fc2_bias : tensor<2048xf32>
    %h2 = tg.linear %a1, %fc2_w, %fc2_b : tensor<64x2048xf32>, tensor<2048x2048xf32>, tensor<2048xf32> -> tensor<64x2048xf32>
    %a2 = tg.relu %h2 : tensor<64x2048xf32>
    %fc3_w = ml_program.global_load @fc3_weight : tensor<10x2048xf32>
    %fc3_b = ml_program.global_load @fc3_bias : tensor<10xf32>
    %h3 = tg.linear %a2, %fc3_w, %fc3_b : tensor<64x2048xf32>, tensor<10x2048xf32>, tensor<10xf32> -> tensor<64x10xf32>
    return %h3 : tensor<64x10xf32>
  }
  func.func @loss(%x: tensor<64x1024xf32>, %labels: tensor<64xi32>) -> tensor<f32> {
    %logits = func.call @forward(%x) : (tensor<64x1024xf32>) -> tensor<64x10xf32>
    %l = tg.softmax_cross_entropy %logits, %labels : tensor<64x10xf32>, tensor<64xi32> -> tensor<f32>
    return %l : tensor<f32>
  }
  tg.train_step @train_step loss @loss optimizer #tg.adam<lr = 0.001>
}

