//===- DecompositionTest.cpp - composites equal their decompositions ------===//
//
// Each composite op is evaluated two ways in f64 by the reference
// interpreter: directly (its own formula) and after --tg-decompose (the core
// ops it becomes). The two must agree to rounding error.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace mlir;
using namespace mlir::tg;

namespace {

struct DecompositionCase {
  const char *name;
  const char *source; // defines func.func @f
  int64_t integerBound = 1; // integer arguments are drawn from [0, bound)
};

std::ostream &operator<<(std::ostream &os, const DecompositionCase &c) {
  return os << c.name;
}

std::vector<HostTensor> randomArguments(func::FuncOp func, int64_t integerBound,
                                        std::mt19937_64 &rng) {
  std::vector<HostTensor> args;
  std::normal_distribution<double> normal;
  std::uniform_int_distribution<int64_t> integer(0, integerBound - 1);
  for (Type type : func.getArgumentTypes()) {
    HostTensor tensor(cast<RankedTensorType>(type));
    bool isFloat = isa<FloatType>(tensor.type.getElementType());
    for (double &x : tensor.data)
      x = isFloat ? normal(rng) : double(integer(rng));
    args.push_back(std::move(tensor));
  }
  return args;
}

class Decomposition : public testing::TestWithParam<DecompositionCase> {
protected:
  Decomposition() {
    context.loadDialect<TGDialect, func::FuncDialect>();
  }
  MLIRContext context;
};

TEST_P(Decomposition, MatchesTheCompositeFormula) {
  const DecompositionCase &testCase = GetParam();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(testCase.source, &context);
  ASSERT_TRUE(module) << "the test spec does not parse";
  OwningOpRef<ModuleOp> decomposed = module->clone();
  PassManager pm(&context);
  pm.addPass(createTGDecompose());
  ASSERT_TRUE(succeeded(pm.run(*decomposed))) << "--tg-decompose failed";
  bool composite = false;
  decomposed->walk([&](DecomposableOpInterface) { composite = true; });
  ASSERT_FALSE(composite) << "a composite op survived --tg-decompose";

  std::mt19937_64 rng(42);
  auto func = module->lookupSymbol<func::FuncOp>("f");
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<HostTensor> args = randomArguments(func, testCase.integerBound, rng);
    Interpreter direct(*module), viaCore(*decomposed);
    FailureOr<std::vector<HostTensor>> expected = direct.call("f", args);
    FailureOr<std::vector<HostTensor>> actual = viaCore.call("f", args);
    ASSERT_TRUE(succeeded(expected) && succeeded(actual));
    ASSERT_EQ(expected->size(), actual->size());
    for (size_t r = 0; r < expected->size(); ++r) {
      const HostTensor &e = (*expected)[r], &a = (*actual)[r];
      ASSERT_EQ(e.type, a.type);
      for (int64_t i = 0; i < e.size(); ++i)
        ASSERT_NEAR(a.data[i], e.data[i], 1e-10 * (1 + std::fabs(e.data[i])))
            << "result " << r << " element " << i << " (trial " << trial << ")";
    }
  }
}

const DecompositionCase kCases[] = {
    {"linear_bias", R"(
func.func @f(%x: tensor<3x5xf64>, %w: tensor<4x5xf64>, %b: tensor<4xf64>) -> tensor<3x4xf64> {
  %y = tg.linear %x, %w, %b : tensor<3x5xf64>, tensor<4x5xf64>, tensor<4xf64> -> tensor<3x4xf64>
  return %y : tensor<3x4xf64>
})"},
    {"linear_no_bias_3d", R"(
func.func @f(%x: tensor<2x3x5xf64>, %w: tensor<4x5xf64>) -> tensor<2x3x4xf64> {
  %y = tg.linear %x, %w : tensor<2x3x5xf64>, tensor<4x5xf64> -> tensor<2x3x4xf64>
  return %y : tensor<2x3x4xf64>
})"},
    {"layer_norm", R"(
func.func @f(%x: tensor<2x3x8xf64>, %g: tensor<8xf64>, %b: tensor<8xf64>) -> tensor<2x3x8xf64> {
  %y = tg.layer_norm %x, %g, %b epsilon 0.001 : tensor<2x3x8xf64>, tensor<8xf64>, tensor<8xf64> -> tensor<2x3x8xf64>
  return %y : tensor<2x3x8xf64>
})"},
    {"rms_norm", R"(
func.func @f(%x: tensor<4x8xf64>, %g: tensor<8xf64>) -> tensor<4x8xf64> {
  %y = tg.rms_norm %x, %g : tensor<4x8xf64>, tensor<8xf64> -> tensor<4x8xf64>
  return %y : tensor<4x8xf64>
})"},
    {"embedding", R"(
func.func @f(%t: tensor<10x4xf64>, %ids: tensor<2x3xi32>) -> tensor<2x3x4xf64> {
  %y = tg.embedding %t[%ids] : tensor<10x4xf64>, tensor<2x3xi32> -> tensor<2x3x4xf64>
  return %y : tensor<2x3x4xf64>
})",
     10},
    {"dropout", R"(
func.func @f(%x: tensor<4x16xf64>, %seed: tensor<i64>, %counter: tensor<i64>) -> tensor<4x16xf64> {
  %y = tg.dropout %x, %seed, %counter rate 0.3 : tensor<4x16xf64>, tensor<i64>, tensor<i64>
  return %y : tensor<4x16xf64>
})",
     1000},
    {"attention", R"(
func.func @f(%q: tensor<2x3x5x4xf64>, %k: tensor<2x3x6x4xf64>, %v: tensor<2x3x6x7xf64>) -> tensor<2x3x5x7xf64> {
  %y = tg.attention %q, %k, %v : tensor<2x3x5x4xf64>, tensor<2x3x6x4xf64>, tensor<2x3x6x7xf64> -> tensor<2x3x5x7xf64>
  return %y : tensor<2x3x5x7xf64>
})"},
    {"attention_causal", R"(
func.func @f(%q: tensor<2x5x4xf64>, %k: tensor<2x5x4xf64>, %v: tensor<2x5x3xf64>) -> tensor<2x5x3xf64> {
  %y = tg.attention %q, %k, %v causal : tensor<2x5x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64> -> tensor<2x5x3xf64>
  return %y : tensor<2x5x3xf64>
})"},
    {"attention_causal_offset_scale", R"(
func.func @f(%q: tensor<3x4xf64>, %k: tensor<5x4xf64>, %v: tensor<5x2xf64>) -> tensor<3x2xf64> {
  %y = tg.attention %q, %k, %v causal scale 0.25 : tensor<3x4xf64>, tensor<5x4xf64>, tensor<5x2xf64> -> tensor<3x2xf64>
  return %y : tensor<3x2xf64>
})"},
    // Tq > Tk: the first two queries see no key and average the values.
    {"attention_causal_unseen_keys", R"(
func.func @f(%q: tensor<2x5x4xf64>, %k: tensor<2x3x4xf64>, %v: tensor<2x3x3xf64>) -> tensor<2x5x3xf64> {
  %y = tg.attention %q, %k, %v causal : tensor<2x5x4xf64>, tensor<2x3x4xf64>, tensor<2x3x3xf64> -> tensor<2x5x3xf64>
  return %y : tensor<2x5x3xf64>
})"},
    // Long enough to be split into chunks of 256 queries (Tk - Tq = 128
    // keys cached before them).
    {"attention_causal_chunked", R"(
func.func @f(%q: tensor<2x512x3xf64>, %k: tensor<2x640x3xf64>, %v: tensor<2x640x2xf64>) -> tensor<2x512x2xf64> {
  %y = tg.attention %q, %k, %v causal : tensor<2x512x3xf64>, tensor<2x640x3xf64>, tensor<2x640x2xf64> -> tensor<2x512x2xf64>
  return %y : tensor<2x512x2xf64>
})"},
    // The gradients of attention given a (random) output and its cotangent.
    {"attention_grad", R"(
func.func @f(%q: tensor<2x3x5x4xf64>, %k: tensor<2x3x6x4xf64>, %v: tensor<2x3x6x7xf64>, %o: tensor<2x3x5x7xf64>, %do: tensor<2x3x5x7xf64>) -> (tensor<2x3x5x4xf64>, tensor<2x3x6x4xf64>, tensor<2x3x6x7xf64>) {
  %g:3 = tg.attention_grad %q, %k, %v, %o, %do : tensor<2x3x5x4xf64>, tensor<2x3x6x4xf64>, tensor<2x3x6x7xf64>, tensor<2x3x5x7xf64>, tensor<2x3x5x7xf64> -> tensor<2x3x5x4xf64>, tensor<2x3x6x4xf64>, tensor<2x3x6x7xf64>
  return %g#0, %g#1, %g#2 : tensor<2x3x5x4xf64>, tensor<2x3x6x4xf64>, tensor<2x3x6x7xf64>
})"},
    {"attention_grad_causal_offset_scale", R"(
func.func @f(%q: tensor<3x4xf64>, %k: tensor<5x4xf64>, %v: tensor<5x2xf64>, %o: tensor<3x2xf64>, %do: tensor<3x2xf64>) -> (tensor<3x4xf64>, tensor<5x4xf64>, tensor<5x2xf64>) {
  %g:3 = tg.attention_grad %q, %k, %v, %o, %do causal scale 0.25 : tensor<3x4xf64>, tensor<5x4xf64>, tensor<5x2xf64>, tensor<3x2xf64>, tensor<3x2xf64> -> tensor<3x4xf64>, tensor<5x4xf64>, tensor<5x2xf64>
  return %g#0, %g#1, %g#2 : tensor<3x4xf64>, tensor<5x4xf64>, tensor<5x2xf64>
})"},
    // Tq > Tk: the first two queries see no key.
    {"attention_grad_causal_unseen_keys", R"(
func.func @f(%q: tensor<2x5x4xf64>, %k: tensor<2x3x4xf64>, %v: tensor<2x3x3xf64>, %o: tensor<2x5x3xf64>, %do: tensor<2x5x3xf64>) -> (tensor<2x5x4xf64>, tensor<2x3x4xf64>, tensor<2x3x3xf64>) {
  %g:3 = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<2x5x4xf64>, tensor<2x3x4xf64>, tensor<2x3x3xf64>, tensor<2x5x3xf64>, tensor<2x5x3xf64> -> tensor<2x5x4xf64>, tensor<2x3x4xf64>, tensor<2x3x3xf64>
  return %g#0, %g#1, %g#2 : tensor<2x5x4xf64>, tensor<2x3x4xf64>, tensor<2x3x3xf64>
})"},
    // In the forward's chunks of 256 queries.
    {"attention_grad_causal_chunked", R"(
func.func @f(%q: tensor<2x512x3xf64>, %k: tensor<2x640x3xf64>, %v: tensor<2x640x2xf64>, %o: tensor<2x512x2xf64>, %do: tensor<2x512x2xf64>) -> (tensor<2x512x3xf64>, tensor<2x640x3xf64>, tensor<2x640x2xf64>) {
  %g:3 = tg.attention_grad %q, %k, %v, %o, %do causal : tensor<2x512x3xf64>, tensor<2x640x3xf64>, tensor<2x640x2xf64>, tensor<2x512x2xf64>, tensor<2x512x2xf64> -> tensor<2x512x3xf64>, tensor<2x640x3xf64>, tensor<2x640x2xf64>
  return %g#0, %g#1, %g#2 : tensor<2x512x3xf64>, tensor<2x640x3xf64>, tensor<2x640x2xf64>
})"},
    {"conv2d", R"(
func.func @f(%x: tensor<2x3x7x6xf64>, %w: tensor<4x3x3x2xf64>, %b: tensor<4xf64>) -> tensor<2x4x4x8xf64> {
  %y = tg.conv2d %x, %w, %b stride [2, 1] padding [1, 2] dilation [1, 2] : tensor<2x3x7x6xf64>, tensor<4x3x3x2xf64>, tensor<4xf64> -> tensor<2x4x4x8xf64>
  return %y : tensor<2x4x4x8xf64>
})"},
    {"conv2d_defaults", R"(
func.func @f(%x: tensor<1x2x5x5xf64>, %w: tensor<3x2x3x3xf64>) -> tensor<1x3x3x3xf64> {
  %y = tg.conv2d %x, %w : tensor<1x2x5x5xf64>, tensor<3x2x3x3xf64> -> tensor<1x3x3x3xf64>
  return %y : tensor<1x3x3x3xf64>
})"},
    {"mse_mean", R"(
func.func @f(%x: tensor<4x3xf64>, %t: tensor<4x3xf64>) -> tensor<f64> {
  %l = tg.mse_loss %x, %t : tensor<4x3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"mse_sum", R"(
func.func @f(%x: tensor<4x3xf64>, %t: tensor<4x3xf64>) -> tensor<f64> {
  %l = tg.mse_loss %x, %t reduction = sum : tensor<4x3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"cross_entropy_mean", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.softmax_cross_entropy %x, %y : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"cross_entropy_sum_3d", R"(
func.func @f(%x: tensor<2x3x5xf64>, %y: tensor<2x3xi64>) -> tensor<f64> {
  %l = tg.softmax_cross_entropy %x, %y reduction = sum : tensor<2x3x5xf64>, tensor<2x3xi64> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"bce_mean", R"(
func.func @f(%x: tensor<8x2xf64>, %t: tensor<8x2xf64>) -> tensor<f64> {
  %l = tg.bce_with_logits %x, %t : tensor<8x2xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"bce_sum", R"(
func.func @f(%x: tensor<8xf64>, %t: tensor<8xf64>) -> tensor<f64> {
  %l = tg.bce_with_logits %x, %t reduction = sum : tensor<8xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"cross_entropy_smoothing_poly1_zloss", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.softmax_cross_entropy %x, %y label_smoothing = 0.2 poly1 = 1.5 z_loss = 0.01 : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"cross_entropy_poly1_sum", R"(
func.func @f(%x: tensor<2x3x5xf64>, %y: tensor<2x3xi64>) -> tensor<f64> {
  %l = tg.softmax_cross_entropy %x, %y reduction = sum poly1 = -0.5 : tensor<2x3x5xf64>, tensor<2x3xi64> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"focal", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.focal_loss %x, %y gamma = 1.5 : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"focal_gamma0_sum", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.focal_loss %x, %y reduction = sum gamma = 0.0 : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"stablemax", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.stablemax_cross_entropy %x, %y : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"nce_rce", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.nce_rce_loss %x, %y alpha = 2.0 beta = 0.5 log_zero = -9.0 : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"nce_alone_sum", R"(
func.func @f(%x: tensor<6x5xf64>, %y: tensor<6xi32>) -> tensor<f64> {
  %l = tg.nce_rce_loss %x, %y reduction = sum beta = 0.0 : tensor<6x5xf64>, tensor<6xi32> -> tensor<f64>
  return %l : tensor<f64>
})",
     5},
    {"bce_pos_weight", R"(
func.func @f(%x: tensor<8x3xf64>, %t: tensor<8x3xf64>, %w: tensor<3xf64>) -> tensor<f64> {
  %l = tg.bce_with_logits %x, %t pos_weight %w : tensor<8x3xf64>, tensor<3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"huber", R"(
func.func @f(%x: tensor<4x3xf64>, %t: tensor<4x3xf64>) -> tensor<f64> {
  %l = tg.huber_loss %x, %t delta = 0.7 : tensor<4x3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"pseudo_huber_sum", R"(
func.func @f(%x: tensor<4x3xf64>, %t: tensor<4x3xf64>) -> tensor<f64> {
  %l = tg.pseudo_huber_loss %x, %t reduction = sum c = 0.3 : tensor<4x3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"cauchy", R"(
func.func @f(%x: tensor<4x3xf64>, %t: tensor<4x3xf64>) -> tensor<f64> {
  %l = tg.cauchy_loss %x, %t c = 0.5 : tensor<4x3xf64> -> tensor<f64>
  return %l : tensor<f64>
})"},
    {"batch_norm_training_2d", R"(
func.func @f(%x: tensor<6x3xf64>, %g: tensor<3xf64>, %b: tensor<3xf64>, %rm: tensor<3xf64>, %rv: tensor<3xf64>) -> (tensor<6x3xf64>, tensor<3xf64>, tensor<3xf64>) {
  %y, %m, %v = tg.batch_norm %x, %g, %b, %rm, %rv training momentum 0.3 : tensor<6x3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
  return %y, %m, %v : tensor<6x3xf64>, tensor<3xf64>, tensor<3xf64>
})"},
    {"batch_norm_training_4d", R"(
func.func @f(%x: tensor<2x3x2x4xf64>, %g: tensor<3xf64>, %b: tensor<3xf64>, %rm: tensor<3xf64>, %rv: tensor<3xf64>) -> (tensor<2x3x2x4xf64>, tensor<3xf64>, tensor<3xf64>) {
  %y, %m, %v = tg.batch_norm %x, %g, %b, %rm, %rv training epsilon 0.01 : tensor<2x3x2x4xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
  return %y, %m, %v : tensor<2x3x2x4xf64>, tensor<3xf64>, tensor<3xf64>
})"},
    {"batch_norm_eval", R"(
func.func @f(%x: tensor<2x3x5xf64>, %g: tensor<3xf64>, %b: tensor<3xf64>, %rm: tensor<3xf64>, %rv: tensor<3xf64>) -> (tensor<2x3x5xf64>, tensor<3xf64>, tensor<3xf64>) {
  %pos = tg.mul %rv, %rv : tensor<3xf64>
  %y, %m, %v = tg.batch_norm %x, %g, %b, %rm, %pos : tensor<2x3x5xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
  return %y, %m, %v : tensor<2x3x5xf64>, tensor<3xf64>, tensor<3xf64>
})"},
    {"fake_quant_per_tensor", R"(
func.func @f(%x: tensor<4x5xf64>, %s: tensor<f64>) -> tensor<4x5xf64> {
  %a = tg.abs %s : tensor<f64>
  %t = tg.mul %a, %a : tensor<f64>
  %y = tg.fake_quant %x, %t bits 4 : tensor<4x5xf64>, tensor<f64>
  return %y : tensor<4x5xf64>
})"},
    {"fake_quant_per_channel_unsigned", R"(
func.func @f(%x: tensor<2x3x4xf64>, %s: tensor<3xf64>) -> tensor<2x3x4xf64> {
  %a = tg.abs %s : tensor<3xf64>
  %y = tg.fake_quant %x, %a bits 2 unsigned axis 1 grad_scale 0.1 : tensor<2x3x4xf64>, tensor<3xf64>
  return %y : tensor<2x3x4xf64>
})"},
    {"fake_quant_last_axis", R"(
func.func @f(%x: tensor<3x4xf64>, %s: tensor<4xf64>) -> tensor<3x4xf64> {
  %y = tg.fake_quant %x, %s bits 8 axis -1 : tensor<3x4xf64>, tensor<4xf64>
  return %y : tensor<3x4xf64>
})"},
};

INSTANTIATE_TEST_SUITE_P(Composites, Decomposition, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<DecompositionCase> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
