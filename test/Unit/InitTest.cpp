//===- InitTest.cpp - the generated init function and initializers --------===//

#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::tg;

namespace {

const char *kSpec = R"(
ml_program.global private mutable @zeros(#tg.zeros) : tensor<3xf32>
ml_program.global private mutable @ones(#tg.ones) : tensor<2x2xf64>
ml_program.global private mutable @half(#tg.constant<0.5>) : tensor<4xf32>
ml_program.global private mutable @normal(#tg.normal<std = 0.02, mean = 1.0>) : tensor<64x64xf32>
ml_program.global private mutable @uniform(#tg.uniform<-0.25, 0.75>) : tensor<4096xf32>
ml_program.global private mutable @kaiming(#tg.kaiming_uniform<a = 2.2360679775>) : tensor<512x784xf32>
ml_program.global private mutable @he(#tg.kaiming_normal<mode = fan_out>) : tensor<256x128x3x3xf32>
ml_program.global private mutable @glorot(#tg.xavier_uniform) : tensor<300x200xf64>
ml_program.global private mutable @glorot_normal(#tg.xavier_normal<gain = 2.0>) : tensor<300x200xf32>
ml_program.global private mutable @data(dense<[1.0, 2.0, 3.0]> : tensor<3xf32>) : tensor<3xf32>
ml_program.global private mutable @step(dense<0> : tensor<i64>) : tensor<i64>
)";

const char *kNames[] = {"zeros", "ones",   "half",          "normal", "uniform", "kaiming",
                        "he",    "glorot", "glorot_normal", "data",   "step"};

class Init : public testing::Test {
protected:
  Init() {
    context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
    module = parseSourceString<ModuleOp>(kSpec, &context);
  }
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

// @tgc_init, built from tg ops, stores exactly what the interpreter's own
// initialization draws: both follow InitializerAttrInterface and Philox.
TEST_F(Init, GeneratedInitMatchesTheInterpreter) {
  ASSERT_TRUE(module);
  PassManager pm(&context);
  pm.addPass(createTGBuildInit());
  ASSERT_TRUE(succeeded(pm.run(*module)));
  for (uint64_t seed : {0ull, 42ull}) {
    Interpreter viaInit(*module, /*seed=*/12345), lazy(*module, seed);
    auto seedType = RankedTensorType::get({}, IntegerType::get(&context, 64));
    ASSERT_TRUE(succeeded(viaInit.call("tgc_init", {HostTensor(seedType, {double(seed)})})));
    for (const char *name : kNames) {
      FailureOr<HostTensor> a = viaInit.getGlobal(name), b = lazy.getGlobal(name);
      ASSERT_TRUE(succeeded(a) && succeeded(b)) << name;
      ASSERT_EQ(a->data, b->data) << name << ", seed " << seed;
    }
  }
}

/// Mean and standard deviation of a global's elements.
std::pair<double, double> moments(const HostTensor &t) {
  double sum = 0, squares = 0;
  for (double x : t.data)
    sum += x, squares += x * x;
  double mean = sum / t.size();
  return {mean, std::sqrt(squares / t.size() - mean * mean)};
}

// The initializers have PyTorch's distributions (nn.init).
TEST_F(Init, DistributionsFollowPyTorch) {
  ASSERT_TRUE(module);
  Interpreter interpreter(*module, 7);
  auto get = [&](const char *name) { return *interpreter.getGlobal(name); };
  EXPECT_EQ(get("zeros").data, std::vector<double>(3, 0.0));
  EXPECT_EQ(get("ones").data, std::vector<double>(4, 1.0));
  EXPECT_EQ(get("half").data, std::vector<double>(4, 0.5));
  EXPECT_EQ(get("data").data, (std::vector<double>{1, 2, 3}));

  auto [mean, deviation] = moments(get("normal"));
  EXPECT_NEAR(mean, 1.0, 0.002);
  EXPECT_NEAR(deviation, 0.02, 0.001);

  HostTensor uniform = get("uniform");
  for (double x : uniform.data) {
    ASSERT_GE(x, -0.25);
    ASSERT_LT(x, 0.75);
  }
  EXPECT_NEAR(moments(uniform).first, 0.25, 0.02);

  // nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 784.
  HostTensor kaiming = get("kaiming");
  double bound = 1 / std::sqrt(784.0), largest = 0;
  for (double x : kaiming.data)
    largest = std::max(largest, std::fabs(x));
  EXPECT_LE(largest, bound * (1 + 1e-6));
  EXPECT_GT(largest, bound * 0.999);

  // kaiming_normal, mode fan_out: std = sqrt(2) / sqrt(256 * 3 * 3).
  EXPECT_NEAR(moments(get("he")).second, std::sqrt(2.0 / (256 * 9)), 0.0005);
  // xavier_uniform: bound sqrt(6 / (300 + 200)), std = bound / sqrt(3).
  EXPECT_NEAR(moments(get("glorot")).second, std::sqrt(6.0 / 500) / std::sqrt(3.0), 0.001);
  // xavier_normal with gain 2: std = 2 sqrt(2 / 500).
  EXPECT_NEAR(moments(get("glorot_normal")).second, 2 * std::sqrt(2.0 / 500), 0.002);
}

// Different seeds give different parameters; the same seed the same ones.
TEST_F(Init, SeedsAreReproducible) {
  ASSERT_TRUE(module);
  Interpreter a(*module, 1), b(*module, 1), c(*module, 2);
  EXPECT_EQ(a.getGlobal("kaiming")->data, b.getGlobal("kaiming")->data);
  EXPECT_NE(a.getGlobal("kaiming")->data, c.getGlobal("kaiming")->data);
  // Globals of one module draw from different streams.
  EXPECT_NE(a.getGlobal("glorot")->data[0], a.getGlobal("glorot_normal")->data[0]);
}

} // namespace
