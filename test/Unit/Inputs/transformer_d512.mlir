// A GPT-2-style block wide enough (d_model 512) that the GPU mapping splits
// each row of features in two loop dimensions (the layer norms' rows), so
// tg-gpu-matmul-epilogues sees the bias expanded the same way. Generated:
//   python3 -c "import sys; sys.path.insert(0, 'bench'); import specs;
//     print(specs.transformer(1, 4, 512, 2, 64, None, '#tg.sgd<lr = 0.1>'))"

module {
  ml_program.global private mutable @ln1_weight(#tg.ones) : tensor<512xf32>
  ml_program.global private mutable @ln1_bias(#tg.zeros) : tensor<512xf32>
  ml_program.global private mutable @ln2_weight(#tg.ones) : tensor<512xf32>
  ml_program.global private mutable @ln2_bias(#tg.zeros) : tensor<512xf32>
  ml_program.global private mutable @q_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @q_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @k_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @k_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @v_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @v_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @out_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x512xf32>
  ml_program.global private mutable @out_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<512xf32>
  ml_program.global private mutable @fc1_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<64x512xf32>
  ml_program.global private mutable @fc1_bias(#tg.uniform<-0.0441941738, 0.0441941738>) : tensor<64xf32>
  ml_program.global private mutable @fc2_weight(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x64xf32>
  ml_program.global private mutable @fc2_bias(#tg.uniform<-0.1250000000, 0.1250000000>) : tensor<512xf32>
  func.func private @split_heads(%x: tensor<1x4x512xf32>) -> tensor<1x2x4x256xf32> {
    %r = tg.reshape %x : tensor<1x4x512xf32> -> tensor<1x4x2x256xf32>
    %t = tg.transpose %r [0, 2, 1, 3] : tensor<1x4x2x256xf32> -> tensor<1x2x4x256xf32>
    return %t : tensor<1x2x4x256xf32>
  }
  func.func private @block(%x: tensor<1x4x512xf32>) -> tensor<1x4x512xf32> {
    %ln1_g = ml_program.global_load @ln1_weight : tensor<512xf32>
    %ln1_b = ml_program.global_load @ln1_bias : tensor<512xf32>
    %h = tg.layer_norm %x, %ln1_g, %ln1_b epsilon 1.0e-05 : tensor<1x4x512xf32>, tensor<512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %q_w = ml_program.global_load @q_weight : tensor<512x512xf32>
    %q_b = ml_program.global_load @q_bias : tensor<512xf32>
    %q = tg.linear %h, %q_w, %q_b : tensor<1x4x512xf32>, tensor<512x512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %qh = func.call @split_heads(%q) : (tensor<1x4x512xf32>) -> tensor<1x2x4x256xf32>
    %k_w = ml_program.global_load @k_weight : tensor<512x512xf32>
    %k_b = ml_program.global_load @k_bias : tensor<512xf32>
    %k = tg.linear %h, %k_w, %k_b : tensor<1x4x512xf32>, tensor<512x512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %kh = func.call @split_heads(%k) : (tensor<1x4x512xf32>) -> tensor<1x2x4x256xf32>
    %v_w = ml_program.global_load @v_weight : tensor<512x512xf32>
    %v_b = ml_program.global_load @v_bias : tensor<512xf32>
    %v = tg.linear %h, %v_w, %v_b : tensor<1x4x512xf32>, tensor<512x512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %vh = func.call @split_heads(%v) : (tensor<1x4x512xf32>) -> tensor<1x2x4x256xf32>
    %oh = tg.attention %qh, %kh, %vh causal : tensor<1x2x4x256xf32>, tensor<1x2x4x256xf32>, tensor<1x2x4x256xf32> -> tensor<1x2x4x256xf32>
    %ot = tg.transpose %oh [0, 2, 1, 3] : tensor<1x2x4x256xf32> -> tensor<1x4x2x256xf32>
    %o = tg.reshape %ot : tensor<1x4x2x256xf32> -> tensor<1x4x512xf32>
    %out_w = ml_program.global_load @out_weight : tensor<512x512xf32>
    %out_b = ml_program.global_load @out_bias : tensor<512xf32>
    %a = tg.linear %o, %out_w, %out_b : tensor<1x4x512xf32>, tensor<512x512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %x1 = tg.add %x, %a : tensor<1x4x512xf32>
    %ln2_g = ml_program.global_load @ln2_weight : tensor<512xf32>
    %ln2_b = ml_program.global_load @ln2_bias : tensor<512xf32>
    %h2 = tg.layer_norm %x1, %ln2_g, %ln2_b epsilon 1.0e-05 : tensor<1x4x512xf32>, tensor<512xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %fc1_w = ml_program.global_load @fc1_weight : tensor<64x512xf32>
    %fc1_b = ml_program.global_load @fc1_bias : tensor<64xf32>
    %f1 = tg.linear %h2, %fc1_w, %fc1_b : tensor<1x4x512xf32>, tensor<64x512xf32>, tensor<64xf32> -> tensor<1x4x64xf32>
    %f1a = tg.gelu %f1 : tensor<1x4x64xf32>
    %fc2_w = ml_program.global_load @fc2_weight : tensor<512x64xf32>
    %fc2_b = ml_program.global_load @fc2_bias : tensor<512xf32>
    %f2 = tg.linear %f1a, %fc2_w, %fc2_b : tensor<1x4x64xf32>, tensor<512x64xf32>, tensor<512xf32> -> tensor<1x4x512xf32>
    %x2 = tg.add %x1, %f2 : tensor<1x4x512xf32>
    return %x2 : tensor<1x4x512xf32>
  }
  func.func @loss(%x: tensor<1x4x512xf32>, %target: tensor<1x4x512xf32>) -> tensor<f32> {
    %y = func.call @block(%x) : (tensor<1x4x512xf32>) -> tensor<1x4x512xf32>
    %l = tg.mse_loss %y, %target : tensor<1x4x512xf32> -> tensor<f32>
    return %l : tensor<f32>
  }
  tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>
}

