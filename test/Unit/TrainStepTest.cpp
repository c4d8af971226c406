//===- TrainStepTest.cpp - expanded train steps against a hand-written SGD ===//
//
// A linear model with an MSE loss is trained for a few steps by the step
// function that --tg-expand-train-step and --tg-autodiff build, run in the
// reference interpreter (f64), and by PyTorch's SGD rule written out here with
// the analytic gradient. Parameters and losses must agree to rounding.
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

#include <random>
#include <string>

using namespace mlir;
using namespace mlir::tg;

namespace {

struct SGDConfig {
  const char *name;
  double lr, momentum, weightDecay;
  bool nesterov;
};

std::ostream &operator<<(std::ostream &os, const SGDConfig &c) { return os << c.name; }

constexpr int kBatch = 4, kIn = 3, kOut = 2, kSteps = 6;

std::string spec(const SGDConfig &c) {
  char optimizer[160];
  std::snprintf(optimizer, sizeof(optimizer),
                "#tg.sgd<lr = %.6f, momentum = %.6f, nesterov = %s, weight_decay = %.6f>",
                c.lr, c.momentum, c.nesterov ? "true" : "false", c.weightDecay);
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

/// torch.optim.SGD on one flat parameter (dampening 0).
struct ReferenceSGD {
  SGDConfig config;
  std::vector<double> buffer;
  bool first = true;

  void step(std::vector<double> &param, std::vector<double> grad) {
    for (size_t i = 0; i < grad.size(); ++i)
      grad[i] += config.weightDecay * param[i];
    if (config.momentum != 0) {
      if (first)
        buffer = grad;
      else
        for (size_t i = 0; i < grad.size(); ++i)
          buffer[i] = config.momentum * buffer[i] + grad[i];
      for (size_t i = 0; i < grad.size(); ++i)
        grad[i] = config.nesterov ? grad[i] + config.momentum * buffer[i] : buffer[i];
    }
    first = false;
    for (size_t i = 0; i < grad.size(); ++i)
      param[i] -= config.lr * grad[i];
  }
};

class TrainStep : public testing::TestWithParam<SGDConfig> {};

TEST_P(TrainStep, MatchesPyTorchSGDStepByStep) {
  const SGDConfig &config = GetParam();
  MLIRContext context;
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(spec(config), &context);
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
  ReferenceSGD sgdW{config, {}}, sgdB{config, {}};
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
    sgdW.step(w, gw);
    sgdB.step(b, gb);

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

const SGDConfig kConfigs[] = {
    {"plain", 0.1, 0.0, 0.0, false},
    {"momentum", 0.05, 0.9, 0.0, false},
    {"nesterov_weight_decay", 0.05, 0.9, 0.01, true},
};

INSTANTIATE_TEST_SUITE_P(SGD, TrainStep, testing::ValuesIn(kConfigs),
                         [](const testing::TestParamInfo<SGDConfig> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
