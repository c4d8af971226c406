//===- HessianTest.cpp - second derivatives by forward-over-reverse -------===//
//
// A function @grad that holds `tg.grad @loss(...)` is itself differentiated
// by `tg.jvp @grad(...) tangents(v)`: --tg-autodiff expands the inner grad
// first, then the jvp of the reverse-mode function gives H v, the product of
// the loss's Hessian with v. Everything runs in f64 on the reference
// interpreter:
//  * f(x) = sum(exp(x)) + 1/2 x^T A x, whose Hessian is
//    diag(exp(x)) + (A + A^T) / 2: H v and the whole H, column by column,
//    against the closed form;
//  * small MLP losses (smooth activations, so that finite differences are
//    meaningful): H v against central differences of the gradient, and the
//    symmetry u^T (H v) == v^T (H u);
//  * the same with the parameters as globals (`tg.jvp ... globals`, what a
//    train step with AdaHessian builds) against the argument form;
//  * an attention differentiated by its own rules (keep-attention) against
//    its decomposition.
//
//===----------------------------------------------------------------------===//

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
#include <iostream>
#include <random>
#include <string>

using namespace mlir;
using namespace mlir::tg;

namespace {

/// max |actual - expected| / max |expected|: the error relative to the
/// largest entry, so that near-zero entries do not dominate.
double relativeError(ArrayRef<double> actual, ArrayRef<double> expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double diff = 0, scale = 1e-300;
  for (size_t i = 0; i < actual.size() && i < expected.size(); ++i) {
    diff = std::max(diff, std::fabs(actual[i] - expected[i]));
    scale = std::max(scale, std::fabs(expected[i]));
  }
  return diff / scale;
}

double dot(ArrayRef<double> a, ArrayRef<double> b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sum += a[i] * b[i];
  return sum;
}

/// The elements of `tensors`, one after another.
std::vector<double> flatten(ArrayRef<HostTensor> tensors) {
  std::vector<double> flat;
  for (const HostTensor &t : tensors)
    flat.insert(flat.end(), t.data.begin(), t.data.end());
  return flat;
}

/// Prints a measured error next to the test's own output, for the record.
void report(const std::string &what, double value) {
  testing::Test::RecordProperty(what, std::to_string(value));
  std::cout << "[ measured ] " << what << " = " << value << "\n";
}

class HessianBase {
protected:
  HessianBase() {
    context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect>();
  }

  /// Parses `source` and runs --tg-autodiff on it.
  OwningOpRef<ModuleOp> compile(const std::string &source, TGAutodiffOptions options = {}) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module) << "the test source does not parse";
    if (!module)
      return {};
    PassManager pm(&context);
    pm.addPass(createTGAutodiff(options));
    if (failed(pm.run(*module))) {
      ADD_FAILURE() << "--tg-autodiff failed";
      return {};
    }
    return module;
  }

  /// Runs @name; on failure the test fails and the result is empty.
  static std::vector<HostTensor> call(Interpreter &interpreter, StringRef name,
                                      ArrayRef<HostTensor> args) {
    FailureOr<std::vector<HostTensor>> results = interpreter.call(name, args);
    if (failed(results)) {
      ADD_FAILURE() << "interpreting @" << name.str() << " failed";
      return {};
    }
    return *results;
  }

  /// Standard normal floats; integers uniform in [0, integerBound).
  HostTensor random(Type type, int64_t integerBound = 1) {
    HostTensor tensor(cast<RankedTensorType>(type));
    bool isFloat = isa<FloatType>(tensor.type.getElementType());
    std::normal_distribution<double> normal;
    std::uniform_int_distribution<int64_t> integer(0, integerBound - 1);
    for (double &x : tensor.data)
      x = isFloat ? normal(rng) : double(integer(rng));
    return tensor;
  }

  MLIRContext context;
  std::mt19937_64 rng{20240611};
};

//===----------------------------------------------------------------------===//
// A Hessian in closed form
//===----------------------------------------------------------------------===//

constexpr int64_t kN = 5;

struct ClosedFormCase {
  const char *name;
  const char *f;     // func.func @f(%x: $X, %a: tensor<5x5xf64>) -> tensor<f64>
  const char *xType; // $X
};

std::ostream &operator<<(std::ostream &os, const ClosedFormCase &c) { return os << c.name; }

// f(x) = sum(exp(x)) + 1/2 x^T A x in two spellings: x a column and a
// matmul, or x a vector and a broadcasting multiply with a row sum.
const ClosedFormCase kClosedFormCases[] = {
    {"column_matmul", R"(
func.func @f(%x: tensor<5x1xf64>, %a: tensor<5x5xf64>) -> tensor<f64> {
  %e = tg.exp %x : tensor<5x1xf64>
  %sum_e = tg.reduce_sum %e [0, 1] : tensor<5x1xf64> -> tensor<f64>
  %ax = tg.matmul %a, %x : tensor<5x5xf64>, tensor<5x1xf64> -> tensor<5x1xf64>
  %xax = tg.matmul %x, %ax transpose_lhs : tensor<5x1xf64>, tensor<5x1xf64> -> tensor<1x1xf64>
  %q = tg.reduce_sum %xax [0, 1] : tensor<1x1xf64> -> tensor<f64>
  %half = tg.constant dense<0.5> : tensor<f64>
  %half_q = tg.mul %half, %q : tensor<f64>
  %y = tg.add %sum_e, %half_q : tensor<f64>
  return %y : tensor<f64>
}
)",
     "tensor<5x1xf64>"},
    {"vector_broadcast", R"(
func.func @f(%x: tensor<5xf64>, %a: tensor<5x5xf64>) -> tensor<f64> {
  %e = tg.exp %x : tensor<5xf64>
  %sum_e = tg.reduce_sum %e [0] : tensor<5xf64> -> tensor<f64>
  %a_x = tg.mul %a, %x : tensor<5x5xf64>, tensor<5xf64> -> tensor<5x5xf64>
  %ax = tg.reduce_sum %a_x [1] : tensor<5x5xf64> -> tensor<5xf64>
  %x_ax = tg.mul %x, %ax : tensor<5xf64>
  %q = tg.reduce_sum %x_ax [0] : tensor<5xf64> -> tensor<f64>
  %half = tg.constant dense<0.5> : tensor<f64>
  %half_q = tg.mul %q, %half : tensor<f64>
  %y = tg.add %sum_e, %half_q : tensor<f64>
  return %y : tensor<f64>
}
)",
     "tensor<5xf64>"},
};

// Gradient, Hessian-vector product, and the same through value_and_grad.
// $X is the type of x; A is not differentiated.
constexpr const char *kSecondOrderFunctions = R"(
func.func @grad_f(%x: $X, %a: tensor<5x5xf64>) -> $X {
  %g = tg.grad @f(%x, %a) wrt [0] : ($X, tensor<5x5xf64>) -> $X
  return %g : $X
}

func.func @hvp(%x: $X, %a: tensor<5x5xf64>, %v: $X) -> ($X, $X) {
  %g, %hv = tg.jvp @grad_f(%x, %a) tangents(%v) wrt [0]
      : ($X, tensor<5x5xf64>, $X) -> ($X, $X)
  return %g, %hv : $X, $X
}

func.func @value_and_grad_f(%x: $X, %a: tensor<5x5xf64>) -> (tensor<f64>, $X) {
  %y, %g = tg.value_and_grad @f(%x, %a) wrt [0] : ($X, tensor<5x5xf64>) -> (tensor<f64>, $X)
  return %y, %g : tensor<f64>, $X
}

func.func @value_and_grad_jvp(%x: $X, %a: tensor<5x5xf64>, %v: $X)
    -> (tensor<f64>, $X, tensor<f64>, $X) {
  %y, %g, %dy, %hv = tg.jvp @value_and_grad_f(%x, %a) tangents(%v) wrt [0]
      : ($X, tensor<5x5xf64>, $X) -> (tensor<f64>, $X, tensor<f64>, $X)
  return %y, %g, %dy, %hv : tensor<f64>, $X, tensor<f64>, $X
}
)";

std::string replaceAll(std::string text, StringRef from, StringRef to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to.str());
  return text;
}

/// exp(x) + (A + A^T) / 2 x
std::vector<double> closedFormGradient(const HostTensor &x, const HostTensor &a) {
  std::vector<double> g(kN);
  for (int64_t i = 0; i < kN; ++i) {
    g[i] = std::exp(x.data[i]);
    for (int64_t j = 0; j < kN; ++j)
      g[i] += 0.5 * (a.data[i * kN + j] + a.data[j * kN + i]) * x.data[j];
  }
  return g;
}

/// (diag(exp(x)) + (A + A^T) / 2) v
std::vector<double> closedFormHvp(const HostTensor &x, const HostTensor &a, const HostTensor &v) {
  std::vector<double> hv(kN);
  for (int64_t i = 0; i < kN; ++i) {
    hv[i] = std::exp(x.data[i]) * v.data[i];
    for (int64_t j = 0; j < kN; ++j)
      hv[i] += 0.5 * (a.data[i * kN + j] + a.data[j * kN + i]) * v.data[j];
  }
  return hv;
}

class ClosedFormHessian : public HessianBase, public testing::TestWithParam<ClosedFormCase> {
protected:
  void SetUp() override {
    const ClosedFormCase &c = GetParam();
    module = compile(std::string(c.f) + replaceAll(kSecondOrderFunctions, "$X", c.xType));
    ASSERT_TRUE(module);
    auto f = module->lookupSymbol<func::FuncOp>("f");
    xType = f.getArgumentTypes()[0];
    aType = f.getArgumentTypes()[1];
  }

  OwningOpRef<ModuleOp> module;
  Type xType, aType;
};

TEST_P(ClosedFormHessian, HvpMatchesClosedForm) {
  Interpreter interpreter(*module);
  double maxGradError = 0, maxHvpError = 0;
  for (int trial = 0; trial < 10; ++trial) {
    HostTensor x = random(xType), a = random(aType), v = random(xType);
    std::vector<HostTensor> r = call(interpreter, "hvp", {x, a, v});
    ASSERT_EQ(r.size(), 2u);
    double gradError = relativeError(r[0].data, closedFormGradient(x, a));
    double hvpError = relativeError(r[1].data, closedFormHvp(x, a, v));
    EXPECT_LT(gradError, 1e-10) << "gradient, trial " << trial;
    EXPECT_LT(hvpError, 1e-10) << "H v, trial " << trial;
    maxGradError = std::max(maxGradError, gradError);
    maxHvpError = std::max(maxHvpError, hvpError);
  }
  report(std::string(GetParam().name) + " gradient max relative error", maxGradError);
  report(std::string(GetParam().name) + " H v max relative error", maxHvpError);
}

TEST_P(ClosedFormHessian, FullHessianColumnByColumn) {
  Interpreter interpreter(*module);
  HostTensor x = random(xType), a = random(aType);
  std::vector<double> hessian(kN * kN), expected(kN * kN);
  for (int64_t j = 0; j < kN; ++j) {
    HostTensor unit(cast<RankedTensorType>(xType));
    unit.data[j] = 1;
    std::vector<HostTensor> r = call(interpreter, "hvp", {x, a, unit});
    ASSERT_EQ(r.size(), 2u);
    for (int64_t i = 0; i < kN; ++i) {
      hessian[i * kN + j] = r[1].data[i];
      expected[i * kN + j] =
          (i == j ? std::exp(x.data[i]) : 0.0) + 0.5 * (a.data[i * kN + j] + a.data[j * kN + i]);
    }
  }
  double error = relativeError(hessian, expected);
  EXPECT_LT(error, 1e-10);
  double asymmetry = 0;
  for (int64_t i = 0; i < kN; ++i)
    for (int64_t j = 0; j < i; ++j)
      asymmetry = std::max(asymmetry, std::fabs(hessian[i * kN + j] - hessian[j * kN + i]));
  EXPECT_LT(asymmetry, 1e-12);
  report(std::string(GetParam().name) + " full Hessian relative error", error);
  report(std::string(GetParam().name) + " full Hessian max |H_ij - H_ji|", asymmetry);
}

// jvp of a function returning (value, gradient): the value's tangent is the
// directional derivative g . v, the gradient's is H v.
TEST_P(ClosedFormHessian, JvpOfValueAndGrad) {
  Interpreter interpreter(*module);
  double maxError = 0;
  for (int trial = 0; trial < 5; ++trial) {
    HostTensor x = random(xType), a = random(aType), v = random(xType);
    std::vector<HostTensor> r = call(interpreter, "value_and_grad_jvp", {x, a, v});
    ASSERT_EQ(r.size(), 4u);
    std::vector<double> g = closedFormGradient(x, a);
    double directional = dot(g, v.data);
    double errors[] = {
        relativeError(r[1].data, g),
        relativeError(r[2].data, {directional}),
        relativeError(r[3].data, closedFormHvp(x, a, v)),
    };
    for (double error : errors) {
      EXPECT_LT(error, 1e-10) << "trial " << trial;
      maxError = std::max(maxError, error);
    }
  }
  report(std::string(GetParam().name) + " jvp(value_and_grad) max relative error", maxError);
}

INSTANTIATE_TEST_SUITE_P(Hessian, ClosedFormHessian, testing::ValuesIn(kClosedFormCases),
                         [](const testing::TestParamInfo<ClosedFormCase> &info) {
                           return std::string(info.param.name);
                         });

//===----------------------------------------------------------------------===//
// MLP losses: finite differences and symmetry
//===----------------------------------------------------------------------===//

struct MlpCase {
  const char *name;
  // @loss(params..., data...) -> tensor<f64>; @grad(params..., data...) ->
  // gradients of the params; @hvp(params..., data..., tangents...) ->
  // (gradients..., H v...).
  const char *source;
  int64_t integerBound; // labels are drawn from [0, integerBound)
};

std::ostream &operator<<(std::ostream &os, const MlpCase &c) { return os << c.name; }

const MlpCase kMlpCases[] = {
    {"tanh_cross_entropy", R"(
func.func @loss(%w1: tensor<3x5xf64>, %b1: tensor<5xf64>, %w2: tensor<5x3xf64>, %b2: tensor<3xf64>,
                %x: tensor<4x3xf64>, %labels: tensor<4xi32>) -> tensor<f64> {
  %xw = tg.matmul %x, %w1 : tensor<4x3xf64>, tensor<3x5xf64> -> tensor<4x5xf64>
  %z = tg.add %xw, %b1 : tensor<4x5xf64>, tensor<5xf64> -> tensor<4x5xf64>
  %h = tg.tanh %z : tensor<4x5xf64>
  %hw = tg.matmul %h, %w2 : tensor<4x5xf64>, tensor<5x3xf64> -> tensor<4x3xf64>
  %logits = tg.add %hw, %b2 : tensor<4x3xf64>, tensor<3xf64> -> tensor<4x3xf64>
  %l = tg.softmax_cross_entropy %logits, %labels : tensor<4x3xf64>, tensor<4xi32> -> tensor<f64>
  return %l : tensor<f64>
}

func.func @grad(%w1: tensor<3x5xf64>, %b1: tensor<5xf64>, %w2: tensor<5x3xf64>, %b2: tensor<3xf64>,
                %x: tensor<4x3xf64>, %labels: tensor<4xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>) {
  %g:4 = tg.grad @loss(%w1, %b1, %w2, %b2, %x, %labels) wrt [0, 1, 2, 3]
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>, tensor<4x3xf64>, tensor<4xi32>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
  return %g#0, %g#1, %g#2, %g#3 : tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>
}

func.func @hvp(%w1: tensor<3x5xf64>, %b1: tensor<5xf64>, %w2: tensor<5x3xf64>, %b2: tensor<3xf64>,
               %x: tensor<4x3xf64>, %labels: tensor<4xi32>,
               %v1: tensor<3x5xf64>, %v2: tensor<5xf64>, %v3: tensor<5x3xf64>, %v4: tensor<3xf64>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
        tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>) {
  %r:8 = tg.jvp @grad(%w1, %b1, %w2, %b2, %x, %labels) tangents(%v1, %v2, %v3, %v4) wrt [0, 1, 2, 3]
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>, tensor<4x3xf64>, tensor<4xi32>,
         tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
          tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
  return %r#0, %r#1, %r#2, %r#3, %r#4, %r#5, %r#6, %r#7
      : tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
        tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>
}
)",
     3},
    // tg.linear (weights [out, in]) decomposes before differentiation.
    {"gelu_mse", R"(
func.func @loss(%w1: tensor<6x3xf64>, %b1: tensor<6xf64>, %w2: tensor<2x6xf64>, %b2: tensor<2xf64>,
                %x: tensor<4x3xf64>, %target: tensor<4x2xf64>) -> tensor<f64> {
  %z = tg.linear %x, %w1, %b1 : tensor<4x3xf64>, tensor<6x3xf64>, tensor<6xf64> -> tensor<4x6xf64>
  %h = tg.gelu %z : tensor<4x6xf64>
  %y = tg.linear %h, %w2, %b2 : tensor<4x6xf64>, tensor<2x6xf64>, tensor<2xf64> -> tensor<4x2xf64>
  %l = tg.mse_loss %y, %target : tensor<4x2xf64> -> tensor<f64>
  return %l : tensor<f64>
}

func.func @grad(%w1: tensor<6x3xf64>, %b1: tensor<6xf64>, %w2: tensor<2x6xf64>, %b2: tensor<2xf64>,
                %x: tensor<4x3xf64>, %target: tensor<4x2xf64>)
    -> (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>) {
  %g:4 = tg.grad @loss(%w1, %b1, %w2, %b2, %x, %target) wrt [0, 1, 2, 3]
      : (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>, tensor<4x3xf64>, tensor<4x2xf64>)
      -> (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>)
  return %g#0, %g#1, %g#2, %g#3 : tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>
}

func.func @hvp(%w1: tensor<6x3xf64>, %b1: tensor<6xf64>, %w2: tensor<2x6xf64>, %b2: tensor<2xf64>,
               %x: tensor<4x3xf64>, %target: tensor<4x2xf64>,
               %v1: tensor<6x3xf64>, %v2: tensor<6xf64>, %v3: tensor<2x6xf64>, %v4: tensor<2xf64>)
    -> (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>,
        tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>) {
  %r:8 = tg.jvp @grad(%w1, %b1, %w2, %b2, %x, %target) tangents(%v1, %v2, %v3, %v4) wrt [0, 1, 2, 3]
      : (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>, tensor<4x3xf64>, tensor<4x2xf64>,
         tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>)
      -> (tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>,
          tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>)
  return %r#0, %r#1, %r#2, %r#3, %r#4, %r#5, %r#6, %r#7
      : tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>,
        tensor<6x3xf64>, tensor<6xf64>, tensor<2x6xf64>, tensor<2xf64>
}
)",
     1},
};

class MlpHessian : public HessianBase, public testing::TestWithParam<MlpCase> {
protected:
  void SetUp() override {
    module = compile(GetParam().source);
    ASSERT_TRUE(module);
    auto loss = module->lookupSymbol<func::FuncOp>("loss");
    auto grad = module->lookupSymbol<func::FuncOp>("grad");
    ASSERT_TRUE(loss && grad);
    numParams = grad.getNumResults();
    argTypes = llvm::to_vector(loss.getArgumentTypes());
  }

  /// Random parameters followed by random data.
  std::vector<HostTensor> randomArguments() {
    std::vector<HostTensor> args;
    for (Type type : argTypes)
      args.push_back(random(type, GetParam().integerBound));
    return args;
  }

  /// A random direction in parameter space.
  std::vector<HostTensor> randomDirection() {
    std::vector<HostTensor> direction;
    for (size_t i = 0; i < numParams; ++i)
      direction.push_back(random(argTypes[i]));
    return direction;
  }

  /// @hvp's results: the gradient and H v, each one tensor per parameter.
  std::pair<std::vector<HostTensor>, std::vector<HostTensor>>
  hvp(Interpreter &interpreter, const std::vector<HostTensor> &args,
      const std::vector<HostTensor> &direction) {
    std::vector<HostTensor> hvpArgs = args;
    hvpArgs.insert(hvpArgs.end(), direction.begin(), direction.end());
    std::vector<HostTensor> r = call(interpreter, "hvp", hvpArgs);
    if (r.size() != 2 * numParams) {
      ADD_FAILURE() << "@hvp returned " << r.size() << " results";
      return {};
    }
    return {std::vector<HostTensor>(r.begin(), r.begin() + numParams),
            std::vector<HostTensor>(r.begin() + numParams, r.end())};
  }

  OwningOpRef<ModuleOp> module;
  size_t numParams = 0;
  SmallVector<Type> argTypes;
};

// H v = (grad(p + h v) - grad(p - h v)) / 2h + O(h^2).
TEST_P(MlpHessian, HvpMatchesFiniteDifferencesOfTheGradient) {
  constexpr double kStep = 1e-5;
  Interpreter interpreter(*module);
  double maxError = 0, maxGradMismatch = 0;
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<HostTensor> args = randomArguments();
    std::vector<HostTensor> direction = randomDirection();
    auto [grads, hv] = hvp(interpreter, args, direction);
    ASSERT_EQ(hv.size(), numParams);

    // The primal results of the jvp are the plain gradient.
    std::vector<HostTensor> plainGrads = call(interpreter, "grad", args);
    ASSERT_EQ(plainGrads.size(), numParams);
    double gradMismatch = relativeError(flatten(grads), flatten(plainGrads));
    EXPECT_LT(gradMismatch, 1e-14) << "trial " << trial;
    maxGradMismatch = std::max(maxGradMismatch, gradMismatch);

    std::vector<HostTensor> plus = args, minus = args;
    for (size_t p = 0; p < numParams; ++p)
      for (int64_t i = 0; i < direction[p].size(); ++i) {
        plus[p].data[i] += kStep * direction[p].data[i];
        minus[p].data[i] -= kStep * direction[p].data[i];
      }
    std::vector<double> gPlus = flatten(call(interpreter, "grad", plus));
    std::vector<double> gMinus = flatten(call(interpreter, "grad", minus));
    ASSERT_EQ(gPlus.size(), gMinus.size());
    std::vector<double> numeric(gPlus.size());
    for (size_t i = 0; i < numeric.size(); ++i)
      numeric[i] = (gPlus[i] - gMinus[i]) / (2 * kStep);
    double error = relativeError(flatten(hv), numeric);
    EXPECT_LT(error, 1e-6) << "trial " << trial;
    maxError = std::max(maxError, error);
  }
  report(std::string(GetParam().name) + " H v vs finite differences, max relative error", maxError);
  report(std::string(GetParam().name) + " jvp primal vs @grad, max relative error",
         maxGradMismatch);
}

// The Hessian is symmetric: u^T (H v) == v^T (H u).
TEST_P(MlpHessian, HvpIsSymmetric) {
  Interpreter interpreter(*module);
  double maxError = 0;
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<HostTensor> args = randomArguments();
    std::vector<HostTensor> u = randomDirection(), v = randomDirection();
    std::vector<HostTensor> hu = hvp(interpreter, args, u).second;
    std::vector<HostTensor> hv = hvp(interpreter, args, v).second;
    ASSERT_EQ(hu.size(), numParams);
    ASSERT_EQ(hv.size(), numParams);
    double uHv = dot(flatten(u), flatten(hv)), vHu = dot(flatten(v), flatten(hu));
    double error = std::fabs(uHv - vHu) / std::max(std::fabs(uHv), std::fabs(vHu));
    EXPECT_LT(error, 1e-10) << "trial " << trial << ": u^T H v = " << uHv << ", v^T H u = " << vHu;
    maxError = std::max(maxError, error);
  }
  report(std::string(GetParam().name) + " |u^T H v - v^T H u| / |u^T H v|, max", maxError);
}

INSTANTIATE_TEST_SUITE_P(Hessian, MlpHessian, testing::ValuesIn(kMlpCases),
                         [](const testing::TestParamInfo<MlpCase> &info) {
                           return std::string(info.param.name);
                         });

// With the parameters as globals (as a train step has them): tg.jvp with
// `globals` of a function holding `tg.grad ... globals` gives the same
// gradient and H v as the argument form above.
constexpr const char *kGlobalsHvp = R"(
ml_program.global private mutable @w1(#tg.zeros) : tensor<3x5xf64>
ml_program.global private mutable @b1(#tg.zeros) : tensor<5xf64>
ml_program.global private mutable @w2(#tg.zeros) : tensor<5x3xf64>
ml_program.global private mutable @b2(#tg.zeros) : tensor<3xf64>

func.func @loss_of_globals(%x: tensor<4x3xf64>, %labels: tensor<4xi32>) -> tensor<f64> {
  %w1 = ml_program.global_load @w1 : tensor<3x5xf64>
  %b1 = ml_program.global_load @b1 : tensor<5xf64>
  %w2 = ml_program.global_load @w2 : tensor<5x3xf64>
  %b2 = ml_program.global_load @b2 : tensor<3xf64>
  %l = func.call @loss(%w1, %b1, %w2, %b2, %x, %labels)
      : (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>, tensor<4x3xf64>, tensor<4xi32>) -> tensor<f64>
  return %l : tensor<f64>
}

func.func @grad_of_globals(%x: tensor<4x3xf64>, %labels: tensor<4xi32>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>) {
  %g:4 = tg.grad @loss_of_globals(%x, %labels) globals [@w1, @b1, @w2, @b2]
      : (tensor<4x3xf64>, tensor<4xi32>) -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
  return %g#0, %g#1, %g#2, %g#3 : tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>
}

func.func @hvp_of_globals(%x: tensor<4x3xf64>, %labels: tensor<4xi32>,
                          %v1: tensor<3x5xf64>, %v2: tensor<5xf64>, %v3: tensor<5x3xf64>, %v4: tensor<3xf64>)
    -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
        tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>) {
  %r:8 = tg.jvp @grad_of_globals(%x, %labels) tangents(%v1, %v2, %v3, %v4) wrt [] globals [@w1, @b1, @w2, @b2]
      : (tensor<4x3xf64>, tensor<4xi32>, tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
      -> (tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
          tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>)
  return %r#0, %r#1, %r#2, %r#3, %r#4, %r#5, %r#6, %r#7
      : tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>,
        tensor<3x5xf64>, tensor<5xf64>, tensor<5x3xf64>, tensor<3xf64>
}
)";

class GlobalsHessian : public HessianBase, public testing::Test {};

TEST_F(GlobalsHessian, JvpAlongGlobalsMatchesJvpAlongArguments) {
  OwningOpRef<ModuleOp> module = compile(std::string(kMlpCases[0].source) + kGlobalsHvp);
  ASSERT_TRUE(module);
  auto loss = module->lookupSymbol<func::FuncOp>("loss");
  ASSERT_TRUE(loss);
  SmallVector<Type> types(loss.getArgumentTypes());
  const char *const names[] = {"w1", "b1", "w2", "b2"};
  Interpreter interpreter(*module);
  double maxError = 0;
  for (int trial = 0; trial < 4; ++trial) {
    std::vector<HostTensor> params, data, direction;
    for (size_t i = 0; i < 4; ++i) {
      params.push_back(random(types[i]));
      direction.push_back(random(types[i]));
      interpreter.setGlobal(names[i], params.back());
    }
    data = {random(types[4]), random(types[5], 3)};
    std::vector<HostTensor> byArguments = params;
    byArguments.insert(byArguments.end(), data.begin(), data.end());
    byArguments.insert(byArguments.end(), direction.begin(), direction.end());
    std::vector<HostTensor> byGlobals = data;
    byGlobals.insert(byGlobals.end(), direction.begin(), direction.end());
    std::vector<double> expected = flatten(call(interpreter, "hvp", byArguments));
    std::vector<double> actual = flatten(call(interpreter, "hvp_of_globals", byGlobals));
    ASSERT_EQ(actual.size(), expected.size());
    double error = relativeError(actual, expected);
    EXPECT_LT(error, 1e-13) << "trial " << trial;
    maxError = std::max(maxError, error);
  }
  report("gradient and H v along globals vs along arguments, max relative error", maxError);
}

//===----------------------------------------------------------------------===//
// tg.attention's own rules
//===----------------------------------------------------------------------===//

// With keep-attention the inner gradient is one tg.attention_grad, which the
// outer jvp differentiates through its decomposition, fed by the forward
// attention's jvp rule: the same H v as with the attention decomposed.
const char *const kAttentionHvp = R"(
func.func @loss(%q: tensor<2x3x4xf64>, %k: tensor<2x5x4xf64>, %v: tensor<2x5x3xf64>, %w: tensor<2x3x3xf64>) -> tensor<f64> {
  %o = tg.attention %q, %k, %v causal : tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64> -> tensor<2x3x3xf64>
  %p = tg.mul %o, %w : tensor<2x3x3xf64>
  %s = tg.reduce_sum %p [0, 1, 2] : tensor<2x3x3xf64> -> tensor<f64>
  return %s : tensor<f64>
}

func.func @grad(%q: tensor<2x3x4xf64>, %k: tensor<2x5x4xf64>, %v: tensor<2x5x3xf64>, %w: tensor<2x3x3xf64>)
    -> (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>) {
  %g:3 = tg.grad @loss(%q, %k, %v, %w) wrt [0, 1, 2]
      : (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>, tensor<2x3x3xf64>)
      -> (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>)
  return %g#0, %g#1, %g#2 : tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>
}

func.func @hvp(%q: tensor<2x3x4xf64>, %k: tensor<2x5x4xf64>, %v: tensor<2x5x3xf64>, %w: tensor<2x3x3xf64>,
               %tq: tensor<2x3x4xf64>, %tk: tensor<2x5x4xf64>, %tv: tensor<2x5x3xf64>)
    -> (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>, tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>) {
  %r:6 = tg.jvp @grad(%q, %k, %v, %w) tangents(%tq, %tk, %tv) wrt [0, 1, 2]
      : (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>, tensor<2x3x3xf64>,
         tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>)
      -> (tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>, tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>)
  return %r#0, %r#1, %r#2, %r#3, %r#4, %r#5 : tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>, tensor<2x3x4xf64>, tensor<2x5x4xf64>, tensor<2x5x3xf64>
}
)";

class AttentionHessian : public HessianBase, public testing::Test {};

TEST_F(AttentionHessian, KeptAttentionGivesTheDecomposedHvp) {
  TGAutodiffOptions keep;
  keep.keepAttention = true;
  OwningOpRef<ModuleOp> decomposed = compile(kAttentionHvp), kept = compile(kAttentionHvp, keep);
  ASSERT_TRUE(decomposed && kept);
  int attentionGrads = 0;
  kept->walk([&](AttentionGradOp) { ++attentionGrads; });
  EXPECT_EQ(attentionGrads, 1) << "the inner gradient did not use tg.attention's rule";
  SmallVector<Type> types(decomposed->lookupSymbol<func::FuncOp>("hvp").getArgumentTypes());
  Interpreter viaDecomposition(*decomposed), viaRules(*kept);
  double maxError = 0;
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<HostTensor> args;
    for (Type type : types)
      args.push_back(random(type));
    std::vector<HostTensor> expected = call(viaDecomposition, "hvp", args);
    std::vector<HostTensor> actual = call(viaRules, "hvp", args);
    ASSERT_EQ(actual.size(), 6u);
    ASSERT_EQ(expected.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      double error = relativeError(actual[i].data, expected[i].data);
      EXPECT_LT(error, 1e-12) << (i < 3 ? "gradient #" : "H v #") << i % 3 << ", trial " << trial;
      maxError = std::max(maxError, error);
    }
  }
  report("attention gradient and H v, own rules vs decomposed, max relative error", maxError);
}

} // namespace
