//===- TrainStepTest.cpp - expanded train steps against reference rules --===//
//
// A linear model with an MSE loss is trained for a few steps by the step
// function that --tg-expand-train-step and --tg-autodiff build, run in the
// reference interpreter (f64), and by each optimizer's rule (PyTorch's, or the
// paper's) written out here with the analytic gradient. Parameters and losses
// must agree to rounding.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>

using namespace mlir;
using namespace mlir::tg;

namespace {

constexpr int kBatch = 4, kIn = 3, kOut = 2, kSteps = 6;

std::string spec(const std::string &optimizer) {
  return std::string(R"(
ml_program.global private mutable @w(dense<[[0.1, -0.2, 0.3], [0.0, 0.5, -0.4]]> : tensor<2x3xf64>) : tensor<2x3xf64>
ml_program.global private mutable @b(dense<[0.05, -0.05]> : tensor<2xf64>) : tensor<2xf64>
func.func @loss(%x: tensor<4x3xf64>, %t: tensor<4x2xf64>) -> tensor<f64> {
  %w = ml_program.global_load @w : tensor<2x3xf64>
  %b = ml_program.global_load @b : tensor<2xf64>
  %y = tg.linear %x, %w, %b : tensor<4x3xf64>, tensor<2x3xf64>, tensor<2xf64> -> tensor<4x2xf64>
  %l = tg.mse_loss %y, %t : tensor<4x2xf64> -> tensor<f64>
  return %l : tensor<f64>
}
tg.train_step @train_step loss @loss optimizer )") + optimizer + "\n";
}

/// An optimizer's rule on one flat parameter, elementwise, at step t >= 1.
/// Each keeps its state as PyTorch does, in plain vectors.
struct Reference {
  virtual ~Reference() = default;
  virtual void step(std::vector<double> &p, std::vector<double> g, int t) = 0;
};

/// torch.optim.SGD (dampening 0).
struct ReferenceSGD : Reference {
  double lr, momentum, weightDecay;
  bool nesterov;
  std::vector<double> buffer;
  ReferenceSGD(double lr, double momentum, double weightDecay, bool nesterov)
      : lr(lr), momentum(momentum), weightDecay(weightDecay), nesterov(nesterov) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    buffer.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      if (momentum != 0) {
        buffer[i] = t == 1 ? g[i] : momentum * buffer[i] + g[i];
        g[i] = nesterov ? g[i] + momentum * buffer[i] : buffer[i];
      }
      p[i] -= lr * g[i];
    }
  }
};

/// torch.optim.Adam and AdamW (decoupled).
struct ReferenceAdam : Reference {
  double lr, beta1, beta2, eps, weightDecay;
  bool amsgrad, decoupled;
  std::vector<double> m, v, vMax;
  ReferenceAdam(double lr, double beta1, double beta2, double eps,
                double weightDecay, bool amsgrad, bool decoupled)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        amsgrad(amsgrad), decoupled(decoupled) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size()), vMax.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      if (decoupled)
        p[i] *= 1 - lr * weightDecay;
      else
        g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      vMax[i] = std::max(vMax[i], v[i]);
      double mHat = m[i] / (1 - std::pow(beta1, t));
      double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - std::pow(beta2, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + eps);
    }
  }
};

/// torch.optim.Adamax.
struct ReferenceAdamax : Reference {
  double lr, beta1, beta2, eps, weightDecay;
  std::vector<double> m, u;
  ReferenceAdamax(double lr, double beta1, double beta2, double eps, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), u.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      u[i] = std::max(beta2 * u[i], std::fabs(g[i]) + eps);
      p[i] -= lr / (1 - std::pow(beta1, t)) * m[i] / u[i];
    }
  }
};

/// torch.optim.Adagrad.
struct ReferenceAdagrad : Reference {
  double lr, lrDecay, weightDecay, init, eps;
  std::vector<double> sum;
  ReferenceAdagrad(double lr, double lrDecay, double weightDecay, double init, double eps)
      : lr(lr), lrDecay(lrDecay), weightDecay(weightDecay), init(init), eps(eps) {}

  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    if (sum.empty())
      sum.assign(p.size(), init);
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      sum[i] += g[i] * g[i];
      p[i] -= lr / (1 + (t - 1) * lrDecay) * g[i] / (std::sqrt(sum[i]) + eps);
    }
  }
};

/// torch.optim.RMSprop.
struct ReferenceRMSprop : Reference {
  double lr, alpha, eps, weightDecay, momentum;
  bool centered;
  std::vector<double> square, mean, buffer;
  ReferenceRMSprop(double lr, double alpha, double eps, double weightDecay,
                   double momentum, bool centered)
      : lr(lr), alpha(alpha), eps(eps), weightDecay(weightDecay),
        momentum(momentum), centered(centered) {}

  void step(std::vector<double> &p, std::vector<double> g, int) override {
    square.resize(p.size()), mean.resize(p.size()), buffer.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      square[i] = alpha * square[i] + (1 - alpha) * g[i] * g[i];
      mean[i] = alpha * mean[i] + (1 - alpha) * g[i];
      double variance = centered ? square[i] - mean[i] * mean[i] : square[i];
      double scaled = g[i] / (std::sqrt(variance) + eps);
      buffer[i] = momentum * buffer[i] + scaled;
      p[i] -= lr * (momentum != 0 ? buffer[i] : scaled);
    }
  }
};

/// Lion (Chen et al. 2023, Algorithm 2).
struct ReferenceLion : Reference {
  double lr, beta1, beta2, weightDecay;
  std::vector<double> m;
  ReferenceLion(double lr, double beta1, double beta2, double weightDecay)
      : lr(lr), beta1(beta1), beta2(beta2), weightDecay(weightDecay) {}

  void step(std::vector<double> &p, std::vector<double> g, int) override {
    m.resize(p.size());
    for (size_t i = 0; i < p.size(); ++i) {
      double c = beta1 * m[i] + (1 - beta1) * g[i];
      double sign = c > 0 ? 1 : c < 0 ? -1 : 0;
      p[i] -= lr * (sign + weightDecay * p[i]);
      m[i] = beta2 * m[i] + (1 - beta2) * g[i];
    }
  }
};

/// NAdam (Dozat 2016): m_hat = mu_{t+1} m / (1 - prod_{i<=t+1} mu_i)
/// + (1 - mu_t) g / (1 - prod_{i<=t} mu_i).
struct ReferenceNAdam : Reference {
  double lr, beta1, beta2, eps, weightDecay, momentumDecay;
  std::vector<double> m, v;
  double product = 1;
  ReferenceNAdam(double lr, double beta1, double beta2, double eps,
                 double weightDecay, double momentumDecay)
      : lr(lr), beta1(beta1), beta2(beta2), eps(eps), weightDecay(weightDecay),
        momentumDecay(momentumDecay) {}

  double mu(int t) const {
    return beta1 * (1 - 0.5 * std::pow(0.96, t * momentumDecay));
  }
  void step(std::vector<double> &p, std::vector<double> g, int t) override {
    m.resize(p.size()), v.resize(p.size());
    product *= mu(t);
    for (size_t i = 0; i < p.size(); ++i) {
      g[i] += weightDecay * p[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      double mHat = mu(t + 1) * m[i] / (1 - product * mu(t + 1)) +
                    (1 - mu(t)) * g[i] / (1 - product);
      double vHat = v[i] / (1 - std::pow(beta2, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + eps);
    }
  }
};

struct OptimizerCase {
  const char *name;
  const char *attribute;
  std::function<std::unique_ptr<Reference>()> make;
};

std::ostream &operator<<(std::ostream &os, const OptimizerCase &c) {
  return os << c.attribute;
}

template <typename R, typename... Args>
std::function<std::unique_ptr<Reference>()> reference(Args... args) {
  return [=] { return std::make_unique<R>(args...); };
}

class TrainStep : public testing::TestWithParam<OptimizerCase> {};

TEST_P(TrainStep, MatchesTheReferenceRuleStepByStep) {
  const OptimizerCase &config = GetParam();
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(spec(config.attribute), &context);
  ASSERT_TRUE(module);
  PassManager pm(&context);
  pm.addPass(createTGExpandTrainStep());
  pm.addPass(createTGAutodiff());
  ASSERT_TRUE(succeeded(pm.run(*module)));

  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal;
  auto xType = RankedTensorType::get({kBatch, kIn}, Float64Type::get(&context));
  auto tType = RankedTensorType::get({kBatch, kOut}, Float64Type::get(&context));
  HostTensor x(xType), t(tType);
  for (double &v : x.data)
    v = normal(rng);
  for (double &v : t.data)
    v = normal(rng);

  std::vector<double> w = {0.1, -0.2, 0.3, 0.0, 0.5, -0.4}, b = {0.05, -0.05};
  std::unique_ptr<Reference> referenceW = config.make(), referenceB = config.make();
  Interpreter interpreter(*module);
  for (int step = 0; step < kSteps; ++step) {
    // Reference: y = x w^T + b, L = mean((y - t)^2), dL/dy = 2 (y - t) / 8.
    std::vector<double> gw(w.size(), 0), gb(b.size(), 0);
    double loss = 0;
    for (int n = 0; n < kBatch; ++n)
      for (int o = 0; o < kOut; ++o) {
        double y = b[o];
        for (int i = 0; i < kIn; ++i)
          y += x.data[n * kIn + i] * w[o * kIn + i];
        double diff = y - t.data[n * kOut + o];
        loss += diff * diff / (kBatch * kOut);
        double dy = 2 * diff / (kBatch * kOut);
        gb[o] += dy;
        for (int i = 0; i < kIn; ++i)
          gw[o * kIn + i] += dy * x.data[n * kIn + i];
      }
    referenceW->step(w, gw, step + 1);
    referenceB->step(b, gb, step + 1);

    FailureOr<std::vector<HostTensor>> result = interpreter.call("train_step", {x, t});
    ASSERT_TRUE(succeeded(result));
    EXPECT_NEAR((*result)[0].data[0], loss, 1e-12 * (1 + loss)) << "loss, step " << step;
    FailureOr<HostTensor> wNow = interpreter.getGlobal("w"), bNow = interpreter.getGlobal("b");
    ASSERT_TRUE(succeeded(wNow) && succeeded(bNow));
    for (size_t i = 0; i < w.size(); ++i)
      EXPECT_NEAR(wNow->data[i], w[i], 1e-12) << "w[" << i << "], step " << step;
    for (size_t i = 0; i < b.size(); ++i)
      EXPECT_NEAR(bNow->data[i], b[i], 1e-12) << "b[" << i << "], step " << step;
  }
  FailureOr<HostTensor> counter = interpreter.getGlobal("train_step_step");
  ASSERT_TRUE(succeeded(counter));
  EXPECT_EQ(counter->data[0], kSteps);
}

const OptimizerCase kCases[] = {
    {"sgd", "#tg.sgd<lr = 0.1>", reference<ReferenceSGD>(0.1, 0.0, 0.0, false)},
    {"sgd_momentum", "#tg.sgd<lr = 0.05, momentum = 0.9>",
     reference<ReferenceSGD>(0.05, 0.9, 0.0, false)},
    {"sgd_nesterov_weight_decay",
     "#tg.sgd<lr = 0.05, momentum = 0.9, nesterov = true, weight_decay = 0.01>",
     reference<ReferenceSGD>(0.05, 0.9, 0.01, true)},
    {"adam", "#tg.adam<lr = 0.01>",
     reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.0, false, false)},
    {"adam_l2_amsgrad",
     "#tg.adam<lr = 0.01, beta1 = 0.8, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1, amsgrad = true>",
     reference<ReferenceAdam>(0.01, 0.8, 0.9, 1e-3, 0.1, true, false)},
    {"adamw", "#tg.adamw<lr = 0.01, weight_decay = 0.5>",
     reference<ReferenceAdam>(0.01, 0.9, 0.999, 1e-8, 0.5, false, true)},
    {"adamw_amsgrad", "#tg.adamw<lr = 0.01, beta2 = 0.5, amsgrad = true>",
     reference<ReferenceAdam>(0.01, 0.9, 0.5, 1e-8, 0.01, true, true)},
    {"adamax", "#tg.adamax<lr = 0.01, beta2 = 0.5, eps = 1.0e-3, weight_decay = 0.1>",
     reference<ReferenceAdamax>(0.01, 0.9, 0.5, 1e-3, 0.1)},
    {"adagrad",
     "#tg.adagrad<lr = 0.1, lr_decay = 0.1, weight_decay = 0.1, initial_accumulator_value = 0.5, eps = 1.0e-3>",
     reference<ReferenceAdagrad>(0.1, 0.1, 0.1, 0.5, 1e-3)},
    {"rmsprop", "#tg.rmsprop<lr = 0.01, weight_decay = 0.1>",
     reference<ReferenceRMSprop>(0.01, 0.99, 1e-8, 0.1, 0.0, false)},
    {"rmsprop_centered_momentum",
     "#tg.rmsprop<lr = 0.01, alpha = 0.9, eps = 1.0e-3, momentum = 0.5, centered = true>",
     reference<ReferenceRMSprop>(0.01, 0.9, 1e-3, 0.0, 0.5, true)},
    {"lion", "#tg.lion<lr = 0.01, beta1 = 0.8, weight_decay = 0.5>",
     reference<ReferenceLion>(0.01, 0.8, 0.99, 0.5)},
    {"nadam", "#tg.nadam<lr = 0.01, beta2 = 0.9, eps = 1.0e-3, weight_decay = 0.1, momentum_decay = 0.5>",
     reference<ReferenceNAdam>(0.01, 0.9, 0.9, 1e-3, 0.1, 0.5)},
};

INSTANTIATE_TEST_SUITE_P(Optimizers, TrainStep, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<OptimizerCase> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
