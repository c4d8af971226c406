// loss = sum(x * x) + sum(w): inputs of 1e-20 give denormal squares (1e-40).
ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %sq = tg.mul %x, %x : tensor<4xf32>
  %xw = tg.add %sq, %w : tensor<4xf32>
  %l = tg.reduce_sum %xw [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.1>
