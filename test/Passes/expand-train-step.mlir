// RUN: tgc-opt %s --tg-expand-train-step --split-input-file | FileCheck %s

// SGD with momentum: one momentum buffer per parameter, a step counter, and a
// step function that takes the batch and returns the loss.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<4x3xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<2x3xf32>, %labels: tensor<2xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %y = tg.linear %x, %w, %b : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<2x4xf32>, tensor<2xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>

// CHECK-DAG: ml_program.global private mutable @w_momentum_buffer(#tg.zeros) : tensor<4x3xf32>
// CHECK-DAG: ml_program.global private mutable @b_momentum_buffer(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @train_step_step(dense<0> : tensor<i64>) : tensor<i64>
// CHECK-NOT: tg.train_step
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[LABELS:.*]]: tensor<2xi32>) -> tensor<f32>
// CHECK: %[[COUNT:.*]] = ml_program.global_load @train_step_step
// CHECK: %[[NEXT:.*]] = tg.add %[[COUNT]], %{{.*}} : tensor<i64>
// CHECK: ml_program.global_store @train_step_step = %[[NEXT]]
// CHECK: %[[LOSS:.*]], %[[G:.*]]:2 = tg.value_and_grad @loss(%[[X]], %[[LABELS]]) globals [@w, @b]
// CHECK: %[[W:.*]] = ml_program.global_load @w
// CHECK: %[[BUF:.*]] = ml_program.global_load @w_momentum_buffer
// CHECK: %[[DECAYED:.*]] = tg.mul %{{.*}}, %[[BUF]]
// CHECK: %[[NEWBUF:.*]] = tg.add %[[DECAYED]], %[[G]]#0
// CHECK: %[[STEP:.*]] = tg.mul %{{.*}}, %[[NEWBUF]]
// CHECK: %[[NEWW:.*]] = tg.sub %[[W]], %[[STEP]]
// CHECK: ml_program.global_store @w = %[[NEWW]]
// CHECK: ml_program.global_store @w_momentum_buffer = %[[NEWBUF]]
// CHECK: ml_program.global_store @b =
// CHECK: ml_program.global_store @b_momentum_buffer =
// CHECK: return %[[LOSS]] : tensor<f32>

// -----

// Plain SGD keeps no state; explicit `params` train only those.

ml_program.global private mutable @w(#tg.zeros) : tensor<4x3xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<2x3xf32>, %t: tensor<2x4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %y = tg.linear %x, %w, %b : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %l = tg.mse_loss %y, %t : tensor<2x4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @finetune loss @loss params [@b] optimizer #tg.sgd<lr = 0.1>

// CHECK-NOT: momentum_buffer
// CHECK-LABEL: func.func @finetune
// CHECK: tg.value_and_grad @loss(%{{.*}}, %{{.*}}) globals [@b] : (tensor<2x3xf32>, tensor<2x4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK-NOT: global_store @w
// CHECK: ml_program.global_store @b =

// -----

// Adam with AMSGrad: three state globals per parameter, named after PyTorch's
// state keys, and the update in tg ops. The bias corrections are f64 scalars
// of the step counter, rounded once to the parameter's type.

ml_program.global private mutable @w(#tg.zeros) : tensor<4x3xf32>

func.func @loss(%x: tensor<4x3xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %y = tg.mul %x, %w : tensor<4x3xf32>
  %l = tg.reduce_sum %y [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @adam loss @loss optimizer #tg.adam<lr = 1.0e-3, amsgrad = true>

// CHECK-DAG: ml_program.global private mutable @w_exp_avg(#tg.zeros) : tensor<4x3xf32>
// CHECK-DAG: ml_program.global private mutable @w_exp_avg_sq(#tg.zeros) : tensor<4x3xf32>
// CHECK-DAG: ml_program.global private mutable @w_max_exp_avg_sq(#tg.zeros) : tensor<4x3xf32>
// CHECK-LABEL: func.func @adam
// CHECK: %[[T:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<i64>
// CHECK: ml_program.global_store @adam_step = %[[T]]
// CHECK: %[[LOSS:.*]], %[[G:.*]] = tg.value_and_grad @loss
// CHECK: %[[W:.*]] = ml_program.global_load @w :
// CHECK: %[[M0:.*]] = ml_program.global_load @w_exp_avg :
// CHECK: %[[V0:.*]] = ml_program.global_load @w_exp_avg_sq :
// CHECK: %[[VMAX0:.*]] = ml_program.global_load @w_max_exp_avg_sq :
// m = beta1 * m + (1 - beta1) * g
// CHECK: %[[BETA1:.*]] = tg.constant dense<0.899999976> : tensor<f32>
// CHECK: %[[M1:.*]] = tg.mul %[[M0]], %[[BETA1]]
// CHECK: %[[M2:.*]] = tg.mul %{{.*}}, %[[G]]
// CHECK: %[[M:.*]] = tg.add %[[M1]], %[[M2]]
// v = beta2 * v + (1 - beta2) * g * g, v_max = max(v_max, v)
// CHECK: %[[V1:.*]] = tg.mul %[[V0]], %{{.*}}
// CHECK: %[[V2:.*]] = tg.mul %{{.*}}, %[[G]]
// CHECK: %[[V3:.*]] = tg.mul %[[V2]], %[[G]]
// CHECK: %[[V:.*]] = tg.add %[[V1]], %[[V3]]
// CHECK: %[[VMAX:.*]] = tg.maximum %[[VMAX0]], %[[V]]
// step size -lr / (1 - beta1^t), in f64
// CHECK: %[[TF:.*]] = tg.cast %[[T]] : tensor<i64> to tensor<f64>
// CHECK: %[[POW1:.*]] = tg.pow %{{.*}}, %[[TF]] : tensor<f64>
// CHECK: %[[BC1:.*]] = tg.sub %{{.*}}, %[[POW1]] : tensor<f64>
// CHECK: %[[SS64:.*]] = tg.div %{{.*}}, %[[BC1]] : tensor<f64>
// CHECK: %[[SS:.*]] = tg.cast %[[SS64]] : tensor<f64> to tensor<f32>
// CHECK: %[[NUM:.*]] = tg.mul %[[SS]], %[[M]]
// denominator sqrt(v_max) / sqrt(1 - beta2^t) + eps
// CHECK: %[[POW2:.*]] = tg.pow %{{.*}}, %[[TF]] : tensor<f64>
// CHECK: %[[BC2:.*]] = tg.sub %{{.*}}, %[[POW2]] : tensor<f64>
// CHECK: %[[BC2SQRT:.*]] = tg.sqrt %[[BC2]] : tensor<f64>
// CHECK: %[[BC2F:.*]] = tg.cast %[[BC2SQRT]] : tensor<f64> to tensor<f32>
// CHECK: %[[ROOT:.*]] = tg.sqrt %[[VMAX]] : tensor<4x3xf32>
// CHECK: %[[SCALED:.*]] = tg.div %[[ROOT]], %[[BC2F]]
// CHECK: %[[EPS:.*]] = tg.constant dense<9.99999993E-9> : tensor<f32>
// CHECK: %[[DEN:.*]] = tg.add %[[SCALED]], %[[EPS]]
// CHECK: %[[STEP:.*]] = tg.div %[[NUM]], %[[DEN]] : tensor<4x3xf32>
// CHECK: %[[NEWW:.*]] = tg.add %[[W]], %[[STEP]] : tensor<4x3xf32>
// CHECK: ml_program.global_store @w = %[[NEWW]]
// CHECK: ml_program.global_store @w_exp_avg = %[[M]]
// CHECK: ml_program.global_store @w_exp_avg_sq = %[[V]]
// CHECK: ml_program.global_store @w_max_exp_avg_sq = %[[VMAX]]
// CHECK: return %[[LOSS]]

// -----

// A bf16 parameter keeps its optimizer state in f32 and is updated in f32:
// the parameter and its gradient are cast up, the new value back down.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xbf16>

func.func @loss(%x: tensor<4xbf16>) -> tensor<bf16> {
  %w = ml_program.global_load @w : tensor<4xbf16>
  %y = tg.mul %x, %w : tensor<4xbf16>
  %l = tg.reduce_sum %y [0] : tensor<4xbf16> -> tensor<bf16>
  return %l : tensor<bf16>
}

tg.train_step @adamw loss @loss optimizer #tg.adamw<lr = 1.0e-3>

// CHECK-DAG: ml_program.global private mutable @w_exp_avg(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @w_exp_avg_sq(#tg.zeros) : tensor<4xf32>
// CHECK-LABEL: func.func @adamw
// CHECK: %[[LOSS:.*]], %[[G:.*]] = tg.value_and_grad @loss
// CHECK: %[[W:.*]] = ml_program.global_load @w : tensor<4xbf16>
// CHECK: %[[W32:.*]] = tg.cast %[[W]] : tensor<4xbf16> to tensor<4xf32>
// CHECK: %[[G32:.*]] = tg.cast %[[G]] : tensor<4xbf16> to tensor<4xf32>
// Decoupled weight decay: w * (1 - lr * weight_decay).
// CHECK: %[[DECAY:.*]] = tg.constant dense<0.999989986> : tensor<f32>
// CHECK: %[[SHRUNK:.*]] = tg.mul %[[W32]], %[[DECAY]]
// CHECK: %[[NEW32:.*]] = tg.add %[[SHRUNK]], %{{.*}} : tensor<4xf32>
// CHECK: %[[NEW:.*]] = tg.cast %[[NEW32]] : tensor<4xf32> to tensor<4xbf16>
// CHECK: ml_program.global_store @w = %[[NEW]] : tensor<4xbf16>
// CHECK: ml_program.global_store @w_exp_avg = %{{.*}} : tensor<4xf32>

// -----

// State that does not start at zero: Adagrad's accumulator starts at
// initial_accumulator_value, NAdam's scalar product of momentum coefficients
// at one.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %y = tg.mul %x, %w : tensor<4xf32>
  %l = tg.reduce_sum %y [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @adagrad loss @loss optimizer #tg.adagrad<lr = 0.01, initial_accumulator_value = 0.1>
tg.train_step @nadam loss @loss optimizer #tg.nadam<lr = 2.0e-3>

// CHECK: ml_program.global private mutable @w_sum(#tg.constant<0.1>) : tensor<4xf32>
// CHECK-LABEL: func.func @adagrad
// CHECK: ml_program.global_store @w_sum =
// CHECK-DAG: ml_program.global private mutable @w_exp_avg(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @w_exp_avg_sq(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @w_mu_product(#tg.constant<1.0>) : tensor<f32>
// CHECK-LABEL: func.func @nadam
// CHECK: %[[P:.*]] = ml_program.global_load @w_mu_product : tensor<f32>
// CHECK: %[[NEWP:.*]] = tg.mul %[[P]], %{{.*}} : tensor<f32>
// CHECK: ml_program.global_store @w_mu_product = %[[NEWP]] : tensor<f32>

// -----

// DoG takes its step size from norms over all parameters: each parameter
// contributes statistics (|x - x0|^2 and |g|^2, in f64) that are summed
// before any update; every update sees the sums, and the shared state
// (`@dog_rbar`, `@dog_G`, starting at eps) is written last. x0 becomes a
// copy of the parameter on the first step.

ml_program.global private mutable @w(#tg.zeros) : tensor<4x3xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4x3xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %b = ml_program.global_load @b : tensor<4xf32>
  %y = tg.mul %x, %w : tensor<4x3xf32>
  %s = tg.reduce_sum %y [0, 1] : tensor<4x3xf32> -> tensor<f32>
  %t = tg.reduce_sum %b [0] : tensor<4xf32> -> tensor<f32>
  %l = tg.add %s, %t : tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @dog loss @loss optimizer #tg.dog

// CHECK-DAG: ml_program.global private mutable @w_x0(#tg.zeros) : tensor<4x3xf32>
// CHECK-DAG: ml_program.global private mutable @b_x0(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @dog_rbar(#tg.zeros) : tensor<f64>
// CHECK-DAG: ml_program.global private mutable @dog_G(#tg.constant<1.0e-08>) : tensor<f64>
// CHECK-LABEL: func.func @dog
// CHECK: %[[T:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<i64>
// CHECK: %{{.*}}, %[[G:.*]]:2 = tg.value_and_grad @loss
// CHECK: %[[RBAR:.*]] = ml_program.global_load @dog_rbar
// CHECK: %[[GSUM:.*]] = ml_program.global_load @dog_G
// CHECK: %[[W:.*]] = ml_program.global_load @w :
// CHECK: %[[W0:.*]] = ml_program.global_load @w_x0 :
// Statistics of @w, then of @b, then their sums.
// CHECK: %[[WD:.*]] = tg.sub %[[W]], %[[W0]]
// CHECK: %[[WD2:.*]] = tg.mul %[[WD]], %[[WD]]
// CHECK: %[[WDS:.*]] = tg.reduce_sum %[[WD2]] [0, 1]
// CHECK: %[[WDIST:.*]] = tg.cast %[[WDS]] : tensor<f32> to tensor<f64>
// CHECK: %[[WG2:.*]] = tg.mul %[[G]]#0, %[[G]]#0
// CHECK: tg.reduce_sum %[[WG2]] [0, 1]
// CHECK: %[[WGRAD:.*]] = tg.cast %{{.*}} : tensor<f32> to tensor<f64>
// CHECK: %[[BDIST:.*]] = tg.cast %{{.*}} : tensor<f32> to tensor<f64>
// CHECK: %[[BGRAD:.*]] = tg.cast %{{.*}} : tensor<f32> to tensor<f64>
// CHECK: %[[DIST:.*]] = tg.add %[[WDIST]], %[[BDIST]] : tensor<f64>
// CHECK: %[[GRAD:.*]] = tg.add %[[WGRAD]], %[[BGRAD]] : tensor<f64>
// The update of @w: r = t == 1 ? reps_rel (1 + |x0|) : max(r, |x - x0|),
// G += |g|^2, w -= r / sqrt(G) g; x0 = w on the first step.
// CHECK: %[[D:.*]] = tg.sqrt %[[DIST]] : tensor<f64>
// CHECK: %[[RMAX:.*]] = tg.maximum %[[RBAR]], %[[D]] : tensor<f64>
// CHECK: %[[FIRST:.*]] = tg.compare eq %[[T]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i1>
// CHECK: %[[R:.*]] = tg.select %[[FIRST]], %{{.*}}, %[[RMAX]]
// CHECK: %[[NEWG:.*]] = tg.add %[[GSUM]], %[[GRAD]] : tensor<f64>
// CHECK: %[[SQRTG:.*]] = tg.sqrt %[[NEWG]] : tensor<f64>
// CHECK: %[[ETA:.*]] = tg.div %{{.*}}, %[[SQRTG]] : tensor<f64>
// CHECK: %[[STEP:.*]] = tg.mul %{{.*}}, %[[G]]#0 : tensor<f32>, tensor<4x3xf32> -> tensor<4x3xf32>
// CHECK: %[[NEWW:.*]] = tg.add %[[W]], %[[STEP]]
// CHECK: %[[NEWW0:.*]] = tg.select %{{.*}}, %[[W]], %[[W0]]
// CHECK: ml_program.global_store @w = %[[NEWW]]
// CHECK: ml_program.global_store @w_x0 = %[[NEWW0]]
// CHECK: ml_program.global_store @b =
// CHECK: ml_program.global_store @b_x0 =
// CHECK: ml_program.global_store @dog_rbar =
// CHECK: ml_program.global_store @dog_G =
// CHECK: return

// -----

// A global the loss function stores to (batch norm's running statistics) is
// state that the step updates, not a parameter: it gets no gradient and no
// optimizer state, and the store stays in the loss.

ml_program.global private mutable @w(#tg.kaiming_uniform) : tensor<4x3xf32>
ml_program.global private mutable @bn_weight(#tg.ones) : tensor<4xf32>
ml_program.global private mutable @bn_bias(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @bn_running_mean(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @bn_running_var(#tg.ones) : tensor<4xf32>

func.func @loss(%x: tensor<2x3xf32>, %labels: tensor<2xi32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4x3xf32>
  %h = tg.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %g = ml_program.global_load @bn_weight : tensor<4xf32>
  %b = ml_program.global_load @bn_bias : tensor<4xf32>
  %rm = ml_program.global_load @bn_running_mean : tensor<4xf32>
  %rv = ml_program.global_load @bn_running_var : tensor<4xf32>
  %y, %m, %v = tg.batch_norm %h, %g, %b, %rm, %rv training : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
  ml_program.global_store @bn_running_mean = %m : tensor<4xf32>
  ml_program.global_store @bn_running_var = %v : tensor<4xf32>
  %l = tg.softmax_cross_entropy %y, %labels : tensor<2x4xf32>, tensor<2xi32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @train_step loss @loss optimizer #tg.sgd<lr = 0.05, momentum = 0.9>

// CHECK-DAG: ml_program.global private mutable @w_momentum_buffer
// CHECK-DAG: ml_program.global private mutable @bn_weight_momentum_buffer
// CHECK-DAG: ml_program.global private mutable @bn_bias_momentum_buffer
// CHECK-NOT: @bn_running_mean_momentum_buffer
// CHECK-NOT: @bn_running_var_momentum_buffer
// CHECK-LABEL: func.func @train_step
// CHECK: tg.value_and_grad @loss(%{{.*}}, %{{.*}}) globals [@w, @bn_weight, @bn_bias]
// CHECK-NOT: ml_program.global_store @bn_running
// CHECK: return

// -----

// A scheduled learning rate: #tg.linear_decay is evaluated from the step
// counter as f64 ops (s = t - 1 steps taken; warm-up peak * s / warmup,
// then a line from peak to final) and rounded once to the update's type.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %p = tg.mul %x, %w : tensor<4xf32>
  %l = tg.reduce_sum %p [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @decay loss @loss optimizer #tg.sgd<lr = #tg.linear_decay<peak = 0.1, warmup = 10, total = 100, final = 0.01>>

// CHECK-LABEL: func.func @decay
// CHECK: %[[T:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<i64>
// CHECK: %[[VALUE:.*]], %[[G:.*]] = tg.value_and_grad @loss
// CHECK: %[[W:.*]] = ml_program.global_load @w
// CHECK: %[[TF:.*]] = tg.cast %[[T]] : tensor<i64> to tensor<f64>
// CHECK: %[[S:.*]] = tg.sub %[[TF]], %{{.*}} : tensor<f64>
// The decay's progress, clamped to [0, 1].
// CHECK: %[[FROM:.*]] = tg.sub %[[S]], %{{.*}} : tensor<f64>
// CHECK: %[[X:.*]] = tg.div %[[FROM]], %{{.*}} : tensor<f64>
// CHECK: %[[X0:.*]] = tg.maximum %[[X]], %{{.*}} : tensor<f64>
// CHECK: %[[X1:.*]] = tg.minimum %[[X0]], %{{.*}} : tensor<f64>
// CHECK: %[[PEAK:.*]] = tg.constant dense<1.000000e-01> : tensor<f64>
// CHECK: %[[FINAL:.*]] = tg.constant dense<1.000000e-02> : tensor<f64>
// CHECK: %[[SPAN:.*]] = tg.sub %[[FINAL]], %[[PEAK]] : tensor<f64>
// CHECK: %[[DOWN:.*]] = tg.mul %[[SPAN]], %[[X1]] : tensor<f64>
// CHECK: %[[DECAY:.*]] = tg.add %[[PEAK]], %[[DOWN]] : tensor<f64>
// The warm-up.
// CHECK: %[[UP:.*]] = tg.mul %{{.*}}, %[[S]] : tensor<f64>
// CHECK: %[[RISE:.*]] = tg.div %[[UP]], %{{.*}} : tensor<f64>
// CHECK: %[[EARLY:.*]] = tg.compare lt %[[S]], %{{.*}} : tensor<f64>, tensor<f64> -> tensor<i1>
// CHECK: %[[LR64:.*]] = tg.select %[[EARLY]], %[[RISE]], %[[DECAY]]
// CHECK: %[[LR:.*]] = tg.cast %[[LR64]] : tensor<f64> to tensor<f32>
// CHECK: %[[STEP:.*]] = tg.mul %[[LR]], %[[G]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[NEW:.*]] = tg.sub %[[W]], %[[STEP]]
// CHECK: ml_program.global_store @w = %[[NEW]]

// -----

// Gradient transforms, in order before the update: the global norm is a
// statistic summed over both parameters, which every parameter's clip reads;
// Grokfast's average is state (`@<param>_grokfast_ema`) that starts at the
// first (clipped) gradient; the optimizer sees the filtered gradient.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>
ml_program.global private mutable @b(#tg.zeros) : tensor<f32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %b = ml_program.global_load @b : tensor<f32>
  %p = tg.mul %x, %w : tensor<4xf32>
  %l = tg.reduce_sum %p [0] : tensor<4xf32> -> tensor<f32>
  %m = tg.add %l, %b : tensor<f32>
  return %m : tensor<f32>
}

tg.train_step @chain loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.clip_global_norm<max_norm = 1.0>, #tg.grokfast]

// CHECK-DAG: ml_program.global private mutable @w_grokfast_ema(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @b_grokfast_ema(#tg.zeros) : tensor<f32>
// CHECK-LABEL: func.func @chain
// CHECK: %[[T:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<i64>
// CHECK: %[[VALUE:.*]], %[[G:.*]]:2 = tg.value_and_grad @loss
// CHECK: %[[W:.*]] = ml_program.global_load @w
// CHECK: %[[WSQ:.*]] = tg.mul %[[G]]#0, %[[G]]#0
// CHECK: %[[BSQ:.*]] = tg.mul %[[G]]#1, %[[G]]#1
// CHECK: %[[SUM:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<f64>
// CHECK: %[[NORM:.*]] = tg.sqrt %[[SUM]] : tensor<f64>
// CHECK: %[[COEF:.*]] = tg.div %{{.*}}, %{{.*}} : tensor<f64>
// CHECK: %[[CLAMP:.*]] = tg.minimum %[[COEF]], %{{.*}} : tensor<f64>
// CHECK: %[[C32:.*]] = tg.cast %[[CLAMP]] : tensor<f64> to tensor<f32>
// CHECK: %[[WCLIP:.*]] = tg.mul %[[G]]#0, %[[C32]] : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: %[[EMA0:.*]] = ml_program.global_load @w_grokfast_ema
// CHECK: %[[FIRST:.*]] = tg.compare eq %[[T]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<i1>
// CHECK: %[[PREV:.*]] = tg.select %[[FIRST]], %[[WCLIP]], %[[EMA0]]
// CHECK: %[[DECAYED:.*]] = tg.mul %[[PREV]], %{{.*}} : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: %[[NEWPART:.*]] = tg.mul %{{.*}}, %[[WCLIP]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[EMA:.*]] = tg.add %[[DECAYED]], %[[NEWPART]]
// CHECK: %[[AMP:.*]] = tg.mul %[[EMA]], %{{.*}} : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
// CHECK: %[[FILTERED:.*]] = tg.add %[[WCLIP]], %[[AMP]]
// CHECK: ml_program.global_store @w_grokfast_ema = %[[EMA]]
// CHECK: ml_program.global_store @b_grokfast_ema =
// CHECK: %[[STEP:.*]] = tg.mul %{{.*}}, %[[FILTERED]] : tensor<f32>, tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[NEW:.*]] = tg.sub %[[W]], %[[STEP]]
// CHECK: ml_program.global_store @w = %[[NEW]]

// -----

// SAM: the gradient at w + rho g / |g| (|g| over all parameters) replaces
// g. The parameters' globals hold the point while the loss is differentiated
// again; the update starts from the values loaded before, and its stores
// put the weights back. The step returns the loss at w.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %p = tg.mul %x, %w : tensor<4xf32>
  %q = tg.mul %p, %w : tensor<4xf32>
  %l = tg.reduce_sum %q [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @sam loss @loss optimizer #tg.sgd<lr = 0.1> transforms [#tg.sam<rho = 0.05>]

// CHECK-LABEL: func.func @sam
// CHECK: %[[VALUE:.*]], %[[G:.*]] = tg.value_and_grad @loss(%[[X:.*]]) globals [@w]
// CHECK: %[[W:.*]] = ml_program.global_load @w
// CHECK: %[[SQ:.*]] = tg.mul %[[G]], %[[G]]
// CHECK: %[[SUM:.*]] = tg.reduce_sum %[[SQ]] [0]
// CHECK: %[[NORM:.*]] = tg.sqrt %{{.*}} : tensor<f64>
// CHECK: %[[SCALE:.*]] = tg.div %{{.*}}, %{{.*}} : tensor<f64>
// CHECK: %[[SCALE32:.*]] = tg.cast %[[SCALE]] : tensor<f64> to tensor<f32>
// CHECK: %[[E:.*]] = tg.mul %[[G]], %[[SCALE32]]
// CHECK: %[[POINT:.*]] = tg.add %[[W]], %[[E]]
// CHECK: ml_program.global_store @w = %[[POINT]]
// CHECK: %{{.*}}, %[[G2:.*]] = tg.value_and_grad @loss(%[[X]]) globals [@w]
// CHECK: %[[STEP:.*]] = tg.mul %{{.*}}, %[[G2]]
// CHECK: %[[NEW:.*]] = tg.sub %[[W]], %[[STEP]]
// CHECK: ml_program.global_store @w = %[[NEW]]
// CHECK: return %[[VALUE]]

// -----

// AdaHessian: the loss and gradient come from a tg.jvp, along Rademacher
// probes z (Philox uniforms >= 1/2, on the parameter's stream at a counter
// of the step), of @adahessian_gradient (which holds the value_and_grad)
// with respect to the parameters' globals: its last results are H z, and
// z * (H z) is Hutchinson's estimate of the Hessian's diagonal.

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %p = tg.mul %x, %w : tensor<4xf32>
  %q = tg.mul %p, %w : tensor<4xf32>
  %l = tg.reduce_sum %q [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @adahessian loss @loss optimizer #tg.adahessian<lr = 0.1, seed = 5>

// CHECK-DAG: ml_program.global private mutable @w_exp_avg(#tg.zeros) : tensor<4xf32>
// CHECK-DAG: ml_program.global private mutable @w_exp_hessian_diag_sq(#tg.zeros) : tensor<4xf32>
// CHECK-LABEL: func.func private @adahessian_gradient(
// CHECK-SAME:      %[[X:.*]]: tensor<4xf32>) -> (tensor<f32>, tensor<4xf32>)
// CHECK: %[[L:.*]], %[[G:.*]] = tg.value_and_grad @loss(%[[X]]) globals [@w]
// CHECK: return %[[L]], %[[G]]
// CHECK-LABEL: func.func @adahessian(
// CHECK-SAME:      %[[X:.*]]: tensor<4xf32>) -> tensor<f32>
// CHECK: %[[T:.*]] = tg.add %{{.*}}, %{{.*}} : tensor<i64>
// CHECK: ml_program.global_store @adahessian_step = %[[T]]
// CHECK: %[[SEED:.*]] = tg.constant dense<5> : tensor<i64>
// CHECK: %[[U:.*]] = tg.random uniform %[[SEED]], %{{.*}} : tensor<i64>, tensor<i64> -> tensor<4xf32>
// CHECK: %[[UPPER:.*]] = tg.compare ge %[[U]], %{{.*}}
// CHECK: %[[Z:.*]] = tg.select %[[UPPER]], %{{.*}}, %{{.*}} : tensor<4xi1>, tensor<f32>, tensor<f32> -> tensor<4xf32>
// CHECK: %[[R:.*]]:4 = tg.jvp @adahessian_gradient(%[[X]]) tangents(%[[Z]]) wrt [] globals [@w]
// CHECK: %[[D:.*]] = tg.mul %[[R]]#3, %[[Z]] : tensor<4xf32>
// CHECK: tg.mul %{{.*}}, %[[D]]
// CHECK: return %[[R]]#0

// -----

// Schedule-Free AdamW evaluates at x, not at the y its parameter holds:
// the step gets @<step>_eval_view and @<step>_train_view, which swap every
// parameter between y and x = lerp(y, z, 1 - 1/beta1) (y = lerp(x, z,
// 1 - beta1) back), except before the first step (counter 0).

ml_program.global private mutable @w(#tg.zeros) : tensor<4xf32>

func.func @loss(%x: tensor<4xf32>) -> tensor<f32> {
  %w = ml_program.global_load @w : tensor<4xf32>
  %p = tg.mul %x, %w : tensor<4xf32>
  %l = tg.reduce_sum %p [0] : tensor<4xf32> -> tensor<f32>
  return %l : tensor<f32>
}

tg.train_step @sf loss @loss optimizer #tg.schedule_free_adamw<lr = 0.01, beta1 = 0.8>

// CHECK-LABEL: func.func @sf(
// CHECK-LABEL: func.func @sf_train_view()
// CHECK-SAME:      attributes {tg.parameter_view = "train"}
// CHECK: %[[T:.*]] = ml_program.global_load @sf_step
// CHECK: %[[Y:.*]] = ml_program.global_load @w :
// CHECK: %[[Z:.*]] = ml_program.global_load @w_z :
// CHECK: tg.constant dense<2.000000e-01> : tensor<f32>
// CHECK: %[[ZERO:.*]] = tg.constant dense<0> : tensor<i64>
// CHECK: %[[FRESH:.*]] = tg.compare eq %[[T]], %[[ZERO]]
// CHECK: %[[V:.*]] = tg.select %[[FRESH]], %[[Y]], %{{.*}}
// CHECK: ml_program.global_store @w = %[[V]]
// CHECK-LABEL: func.func @sf_eval_view()
// CHECK-SAME:      attributes {tg.parameter_view = "eval"}
// CHECK: tg.constant dense<-2.500000e-01> : tensor<f32>
// CHECK: ml_program.global_store @w =
