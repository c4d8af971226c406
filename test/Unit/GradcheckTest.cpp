//===- GradcheckTest.cpp - every derivative rule against finite differences -===//
//
// For each differentiable op and composite, a small f64 function @f is
// differentiated by --tg-autodiff and evaluated by the reference interpreter:
//  * reverse mode: the gradient of L = sum(f(x) * w) with random weights w
//    against central finite differences of L;
//  * forward mode: f's directional derivative along random tangents against
//    central finite differences of f;
//  * consistency: <w, J u> (forward) equals <J^T w, u> (reverse).
// Ops whose derivative is defined rather than computed (stop_gradient,
// straight_through, casts) give a @reference function whose true derivative
// is the intended one. The tg.attention cases run again with keep-attention
// (the op's own rules, tg.attention_grad), and those gradients are compared
// with the decomposed attention's in f32 and, in bf16, with f64 ones. A last
// test fails when a tg op has neither a rule nor a gradcheck case.
//
//===----------------------------------------------------------------------===//

#include "GradcheckCases.h"
#include "Interpreter/Interpreter.h"
#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

using namespace mlir;
using namespace mlir::tg;
using namespace tgc::test;

namespace {

constexpr double kStep = 1e-6;
constexpr double kTolerance = 1e-6;

/// max |actual - expected| / max(max |expected|, 1e-6)
double relativeError(ArrayRef<double> actual, ArrayRef<double> expected) {
  double diff = 0, scale = 1e-6;
  for (size_t i = 0; i < actual.size(); ++i) {
    diff = std::max(diff, std::fabs(actual[i] - expected[i]));
    scale = std::max(scale, std::fabs(expected[i]));
  }
  return diff / scale;
}

double dot(const HostTensor &a, const HostTensor &b) {
  double sum = 0;
  for (int64_t i = 0; i < a.size(); ++i)
    sum += a.data[i] * b.data[i];
  return sum;
}

bool isFloat(Type type) {
  return isa<FloatType>(cast<ShapedType>(type).getElementType());
}

/// Appends to `module`: @loss(args..., w) = sum(f(args) * w), @grad = its
/// gradient w.r.t. every float argument, and @jvp = tg.jvp of @f.
void addDerivativeFunctions(ModuleOp module) {
  auto f = module.lookupSymbol<func::FuncOp>("f");
  MLIRContext *context = module.getContext();
  Location loc = f.getLoc();
  OpBuilder builder(context);
  builder.setInsertionPointToEnd(module.getBody());
  FunctionType fType = f.getFunctionType();
  auto resultType = cast<RankedTensorType>(fType.getResult(0));
  auto scalarType = RankedTensorType::get({}, resultType.getElementType());

  SmallVector<Type> lossInputs(fType.getInputs());
  lossInputs.push_back(resultType);
  auto loss = func::FuncOp::create(builder, loc, "loss",
                                   builder.getFunctionType(lossInputs, scalarType));
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = loss.addEntryBlock();
    builder.setInsertionPointToStart(block);
    auto call = func::CallOp::create(builder, loc, f, block->getArguments().drop_back());
    Value weighted = MulOp::create(builder, loc, call.getResult(0), block->getArguments().back());
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < resultType.getRank(); ++d)
      axes.push_back(d);
    Value sum = ReduceSumOp::create(builder, loc, weighted, axes);
    func::ReturnOp::create(builder, loc, sum);
  }

  SmallVector<int64_t> wrt;
  SmallVector<Type> gradTypes;
  for (auto [i, type] : llvm::enumerate(fType.getInputs()))
    if (isFloat(type)) {
      wrt.push_back(i);
      gradTypes.push_back(type);
    }
  auto grad = func::FuncOp::create(builder, loc, "grad",
                                   builder.getFunctionType(lossInputs, gradTypes));
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = grad.addEntryBlock();
    builder.setInsertionPointToStart(block);
    auto op = GradOp::create(builder, loc, gradTypes, "loss", block->getArguments(),
                             wrt, ArrayAttr());
    func::ReturnOp::create(builder, loc, op.getResults());
  }

  SmallVector<Type> jvpInputs(fType.getInputs());
  jvpInputs.append(gradTypes);
  SmallVector<Type> jvpResults = {resultType, resultType};
  auto jvp = func::FuncOp::create(builder, loc, "jvp",
                                  builder.getFunctionType(jvpInputs, jvpResults));
  {
    OpBuilder::InsertionGuard guard(builder);
    Block *block = jvp.addEntryBlock();
    builder.setInsertionPointToStart(block);
    auto args = block->getArguments();
    auto op = JvpOp::create(builder, loc, jvpResults, "f",
                            args.take_front(fType.getNumInputs()),
                            args.drop_front(fType.getNumInputs()),
                            builder.getDenseI64ArrayAttr(wrt), /*globals=*/ArrayAttr());
    func::ReturnOp::create(builder, loc, op.getResults());
  }
}

void loadDialects(MLIRContext &context) {
  DialectRegistry registry;
  registerDerivativeExternalModels(registry);
  context.appendDialectRegistry(registry);
  context.loadDialect<TGDialect, func::FuncDialect, ml_program::MLProgramDialect,
                      arith::ArithDialect, scf::SCFDialect, tensor::TensorDialect>();
}

class Gradcheck : public testing::TestWithParam<GradcheckCase> {
protected:
  Gradcheck() { loadDialects(context); }

  HostTensor random(Type type, Domain domain, int64_t integerBound) {
    return drawInput(type, domain, integerBound, rng);
  }

  /// The checks below, with `options` for --tg-autodiff.
  void checkDerivatives(TGAutodiffOptions options);

  MLIRContext context;
  std::mt19937_64 rng{1234};
};

class GradcheckBF16 : public testing::Test {
protected:
  GradcheckBF16() { loadDialects(context); }
  MLIRContext context;
};

TEST_P(Gradcheck, RulesMatchFiniteDifferences) { checkDerivatives({}); }

void Gradcheck::checkDerivatives(TGAutodiffOptions options) {
  const GradcheckCase &testCase = GetParam();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(testCase.source, &context);
  ASSERT_TRUE(module) << "the case does not parse";
  addDerivativeFunctions(*module);
  PassManager pm(&context);
  pm.addPass(createTGAutodiff(options));
  ASSERT_TRUE(succeeded(pm.run(*module))) << "--tg-autodiff failed";
  if (options.keepAttention) {
    // The rules of tg.attention itself were used, not its decomposition's.
    int attentionGrads = 0, kept = 0;
    module->walk([&](AttentionGradOp) { ++attentionGrads; });
    module->lookupSymbol<func::FuncOp>("f_jvp").walk([&](AttentionOp) { ++kept; });
    EXPECT_EQ(attentionGrads, 1) << "reverse mode did not use tg.attention's rule";
    EXPECT_EQ(kept, 1) << "forward mode did not use tg.attention's rule";
  }

  func::FuncOp f = module->lookupSymbol<func::FuncOp>("f");
  bool hasReference = bool(module->lookupSymbol<func::FuncOp>("reference"));
  StringRef fdFunction = hasReference ? "reference" : "f";
  FunctionType type = f.getFunctionType();
  Interpreter interpreter(*module);
  auto callOne = [&](StringRef name, ArrayRef<HostTensor> args) {
    FailureOr<std::vector<HostTensor>> results = interpreter.call(name, args);
    EXPECT_TRUE(succeeded(results)) << "interpreting @" << name.str();
    return succeeded(results) ? *results : std::vector<HostTensor>();
  };

  for (int trial = 0; trial < 2; ++trial) {
    std::vector<HostTensor> args;
    for (Type input : type.getInputs())
      args.push_back(random(input, testCase.domain, testCase.integerBound));
    HostTensor weights = random(type.getResult(0), Domain::Any, 1);

    // Reverse mode against finite differences of L = sum(f * w).
    std::vector<HostTensor> lossArgs = args;
    lossArgs.push_back(weights);
    std::vector<HostTensor> grads = callOne("grad", lossArgs);
    ASSERT_FALSE(grads.empty());
    auto lossAt = [&](std::vector<HostTensor> at) {
      std::vector<HostTensor> r = callOne(fdFunction, at);
      return r.empty() ? 0.0 : dot(r[0], weights);
    };
    size_t gradIndex = 0;
    std::vector<HostTensor> tangents;
    for (size_t a = 0; a < args.size(); ++a) {
      if (!isFloat(args[a].type))
        continue;
      const HostTensor &grad = grads[gradIndex++];
      std::vector<double> numeric(args[a].size());
      for (int64_t i = 0; i < args[a].size(); ++i) {
        std::vector<HostTensor> plus = args, minus = args;
        plus[a].data[i] += kStep;
        minus[a].data[i] -= kStep;
        numeric[i] = (lossAt(plus) - lossAt(minus)) / (2 * kStep);
      }
      EXPECT_LT(relativeError(grad.data, numeric), kTolerance)
          << "reverse mode, argument #" << a << ", trial " << trial;
      tangents.push_back(random(args[a].type, Domain::Any, 1));
    }

    // Forward mode against finite differences along the tangents.
    std::vector<HostTensor> jvpArgs = args;
    jvpArgs.insert(jvpArgs.end(), tangents.begin(), tangents.end());
    std::vector<HostTensor> jvp = callOne("jvp", jvpArgs);
    ASSERT_EQ(jvp.size(), 2u);
    std::vector<HostTensor> plus = args, minus = args;
    size_t t = 0;
    for (size_t a = 0; a < args.size(); ++a) {
      if (!isFloat(args[a].type))
        continue;
      for (int64_t i = 0; i < args[a].size(); ++i) {
        plus[a].data[i] += kStep * tangents[t].data[i];
        minus[a].data[i] -= kStep * tangents[t].data[i];
      }
      ++t;
    }
    std::vector<HostTensor> fPlus = callOne(fdFunction, plus), fMinus = callOne(fdFunction, minus);
    ASSERT_FALSE(fPlus.empty() || fMinus.empty());
    std::vector<double> numeric(fPlus[0].size());
    for (int64_t i = 0; i < fPlus[0].size(); ++i)
      numeric[i] = (fPlus[0].data[i] - fMinus[0].data[i]) / (2 * kStep);
    EXPECT_LT(relativeError(jvp[1].data, numeric), kTolerance)
        << "forward mode, trial " << trial;

    // <w, J u> == <J^T w, u>
    double forward = dot(weights, jvp[1]), reverse = 0;
    for (size_t i = 0; i < tangents.size(); ++i)
      reverse += dot(grads[i], tangents[i]);
    EXPECT_NEAR(forward, reverse, kTolerance * (1 + std::fabs(reverse)))
        << "forward and reverse mode disagree, trial " << trial;
  }
}

// tg.attention differentiated by its own rules (--tg-autodiff=keep-attention):
// reverse mode through one tg.attention_grad, forward mode through its jvp.
using AttentionRules = Gradcheck;

TEST_P(AttentionRules, MatchFiniteDifferences) {
  TGAutodiffOptions options;
  options.keepAttention = true;
  checkDerivatives(options);
}

/// What @grad (addDerivativeFunctions) returns for `source` at `args` (the
/// inputs of @f, then the weights w), after --tg-autodiff with
/// keep-attention = `keep` and, when `decompose`, --tg-decompose. `check`
/// sees the module before it is interpreted.
std::vector<HostTensor> gradientsOf(MLIRContext &context, StringRef source,
                                    ArrayRef<HostTensor> args, bool keep, bool decompose,
                                    function_ref<void(ModuleOp)> check = nullptr) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  EXPECT_TRUE(module) << "the case does not parse";
  if (!module)
    return {};
  addDerivativeFunctions(*module);
  PassManager pm(&context);
  TGAutodiffOptions options;
  options.keepAttention = keep;
  pm.addPass(createTGAutodiff(options));
  if (decompose)
    pm.addPass(createTGDecompose());
  if (failed(pm.run(*module))) {
    ADD_FAILURE() << "the passes failed";
    return {};
  }
  if (check)
    check(*module);
  Interpreter interpreter(*module);
  FailureOr<std::vector<HostTensor>> grads = interpreter.call("grad", args);
  EXPECT_TRUE(succeeded(grads)) << "interpreting @grad";
  return succeeded(grads) ? *grads : std::vector<HostTensor>();
}

// In f32 on the same random inputs, the gradients through tg.attention_grad
// (its decomposition, and the interpreter's own formula for it) agree with
// those of the decomposed attention differentiated op by op.
TEST_P(AttentionRules, AgreeWithTheDecomposedAttentionInF32) {
  std::string source = GetParam().source;
  for (size_t at = 0; (at = source.find("f64", at)) != std::string::npos;)
    source.replace(at, 3, "f32");
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(parsed);
  FunctionType type = parsed->lookupSymbol<func::FuncOp>("f").getFunctionType();
  std::vector<HostTensor> args;
  for (Type input : type.getInputs())
    args.push_back(random(input, Domain::Any, 1));
  args.push_back(random(type.getResult(0), Domain::Any, 1));

  std::vector<HostTensor> decomposedAttention = gradientsOf(context, source, args, false, false);
  std::vector<HostTensor> decomposedGrad = gradientsOf(context, source, args, true, true);
  std::vector<HostTensor> direct = gradientsOf(context, source, args, true, false);
  ASSERT_EQ(decomposedAttention.size(), 3u);
  ASSERT_EQ(decomposedGrad.size(), 3u);
  ASSERT_EQ(direct.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LT(relativeError(decomposedGrad[i].data, decomposedAttention[i].data), 2e-6)
        << "tg.attention_grad's decomposition, gradient #" << i;
    EXPECT_LT(relativeError(direct[i].data, decomposedAttention[i].data), 2e-6)
        << "tg.attention_grad in the interpreter, gradient #" << i;
  }
}

// A bf16 attention under keep-attention: its tg.attention_grad is bf16 and
// tg-decompose computes it in f32 (one rounding of each gradient), as it does
// the forward. Against the f64 gradients at the same (bf16) inputs.
TEST_F(GradcheckBF16, AttentionGradIsWidened) {
  const char *bf16 = R"(
func.func @f(%q: tensor<2x4x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x4xf32>) -> tensor<2x4x4xf32> {
  %qb = tg.cast %q : tensor<2x4x8xf32> to tensor<2x4x8xbf16>
  %kb = tg.cast %k : tensor<2x6x8xf32> to tensor<2x6x8xbf16>
  %vb = tg.cast %v : tensor<2x6x4xf32> to tensor<2x6x4xbf16>
  %o = tg.attention %qb, %kb, %vb causal : tensor<2x4x8xbf16>, tensor<2x6x8xbf16>, tensor<2x6x4xbf16> -> tensor<2x4x4xbf16>
  %y = tg.cast %o : tensor<2x4x4xbf16> to tensor<2x4x4xf32>
  return %y : tensor<2x4x4xf32>
}
)";
  const char *f64 = R"(
func.func @f(%q: tensor<2x4x8xf64>, %k: tensor<2x6x8xf64>, %v: tensor<2x6x4xf64>) -> tensor<2x4x4xf64> {
  %o = tg.attention %q, %k, %v causal : tensor<2x4x8xf64>, tensor<2x6x8xf64>, tensor<2x6x4xf64> -> tensor<2x4x4xf64>
  return %o : tensor<2x4x4xf64>
}
)";
  // Inputs and weights (the cotangent reaches the attention cast to bf16)
  // that bf16 holds exactly.
  std::mt19937_64 rng(7);
  std::vector<HostTensor> args, wide;
  const SmallVector<int64_t> shapes[] = {{2, 4, 8}, {2, 6, 8}, {2, 6, 4}, {2, 4, 4}};
  for (ArrayRef<int64_t> shape : shapes) {
    HostTensor x =
        drawInput(RankedTensorType::get(shape, BFloat16Type::get(&context)), Domain::Any, 1, rng);
    args.emplace_back(RankedTensorType::get(shape, Float32Type::get(&context)), x.data);
    wide.emplace_back(RankedTensorType::get(shape, Float64Type::get(&context)), x.data);
  }
  std::vector<HostTensor> expected = gradientsOf(context, f64, wide, false, false);
  std::vector<HostTensor> actual =
      gradientsOf(context, bf16, args, true, true, [&](ModuleOp module) {
        // Every softmax and matmul of the gradient function (the forward's
        // and the gradient's) in f32.
        int narrow = 0;
        module.lookupSymbol<func::FuncOp>("loss_grad").walk([&](Operation *op) {
          if (isa<SoftmaxOp, MatmulOp>(op) &&
              !cast<ShapedType>(op->getResult(0).getType()).getElementType().isF32())
            ++narrow;
        });
        EXPECT_EQ(narrow, 0) << "a softmax or matmul was not widened to f32";
      });
  // Before tg-decompose, the gradient is one bf16 tg.attention_grad.
  gradientsOf(context, bf16, args, true, false, [&](ModuleOp module) {
    int found = 0;
    module.walk(
        [&](AttentionGradOp op) { found += op.getQuery().getType().getElementType().isBF16(); });
    EXPECT_EQ(found, 1);
  });
  ASSERT_EQ(expected.size(), 3u);
  ASSERT_EQ(actual.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_LT(relativeError(actual[i].data, expected[i].data), 1e-2) << "gradient #" << i;
}

// A bf16 op whose derivative takes several operations (GELU, tanh, sigmoid,
// SiLU) has its gradient rounded to bf16 once, as PyTorch's backward kernels
// compute it in f32: tg-autodiff widens the op, so the rule's operations are
// f32. Against dy * f'(x) in f64, rounded to bf16 (a tie's other side at
// most, from the f32 arithmetic: within one bf16 ulp, and almost always
// exactly). Rounded after every operation of the rule instead, 10% (SiLU)
// to 46% (tanh) of the gradients were more than one ulp off.
TEST_F(GradcheckBF16, MultiOpRulesRoundOnce) {
  struct Case {
    const char *op;
    double (*derivative)(double);
  };
  const Case cases[] = {
      {"tg.gelu",
       [](double x) {
         return 0.5 * (1 + std::erf(x * M_SQRT1_2)) +
                x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
       }},
      {"tg.tanh", [](double x) { return 1 - std::tanh(x) * std::tanh(x); }},
      {"tg.sigmoid",
       [](double x) {
         double s = 1 / (1 + std::exp(-x));
         return s * (1 - s);
       }},
      {"tg.silu",
       [](double x) {
         double s = 1 / (1 + std::exp(-x));
         return s * (1 + x * (1 - s));
       }},
  };
  std::mt19937_64 rng(11);
  for (const Case &c : cases) {
    SCOPED_TRACE(c.op);
    std::string source = std::string(R"(
func.func @f(%x: tensor<2048xf32>) -> tensor<2048xf32> {
  %xb = tg.cast %x : tensor<2048xf32> to tensor<2048xbf16>
  %yb = )") + c.op + R"( %xb : tensor<2048xbf16>
  %y = tg.cast %yb : tensor<2048xbf16> to tensor<2048xf32>
  return %y : tensor<2048xf32>
}
)";
    auto bf16Type = RankedTensorType::get({2048}, BFloat16Type::get(&context));
    auto f32Type = RankedTensorType::get({2048}, Float32Type::get(&context));
    HostTensor x = drawInput(bf16Type, Domain::Any, 1, rng);
    HostTensor w = drawInput(bf16Type, Domain::Any, 1, rng);
    // Within [-3, 3]: further out, 1 + erf(x / sqrt(2)) cancels in f32 (as
    // in PyTorch's f32 gelu_backward), and f'(x) is off by more than a
    // bf16 rounding.
    for (double &v : x.data)
      v = std::clamp(2 * v, -3.0, 3.0);
    roundToElementType(x);
    std::vector<HostTensor> args = {HostTensor(f32Type, x.data), HostTensor(f32Type, w.data)};
    std::vector<HostTensor> grads = gradientsOf(context, source, args, false, true);
    ASSERT_EQ(grads.size(), 1u);
    HostTensor expected(bf16Type, std::vector<double>(2048));
    for (size_t i = 0; i < 2048; ++i)
      expected.data[i] = w.data[i] * c.derivative(x.data[i]);
    roundToElementType(expected);
    int exact = 0;
    for (size_t i = 0; i < 2048; ++i) {
      double ulp = std::ldexp(1.0, std::ilogb(expected.data[i]) - 7);
      EXPECT_LE(std::fabs(grads[0].data[i] - expected.data[i]), ulp)
          << "element " << i << ": x " << x.data[i] << ", dy " << w.data[i];
      exact += grads[0].data[i] == expected.data[i];
    }
    EXPECT_GE(exact, 2048 * 99 / 100) << "gradients rounded more than once";
  }
}

// Loops differentiated with rematerialization (the backward pass recomputes
// loop bodies instead of reading them from tapes) give the same gradients.
using RematerializedLoops = Gradcheck;

TEST_P(RematerializedLoops, GiveTheSameGradients) {
  const GradcheckCase &testCase = GetParam();
  std::vector<HostTensor> gradients[2];
  std::vector<HostTensor> args;
  for (bool rematerialize : {false, true}) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(testCase.source, &context);
    ASSERT_TRUE(module);
    addDerivativeFunctions(*module);
    PassManager pm(&context);
    pm.addPass(createTGAutodiff(TGAutodiffOptions{rematerialize}));
    ASSERT_TRUE(succeeded(pm.run(*module)));
    FunctionType type = module->lookupSymbol<func::FuncOp>("f").getFunctionType();
    if (args.empty()) {
      for (Type input : type.getInputs())
        args.push_back(random(input, testCase.domain, testCase.integerBound));
      args.push_back(random(type.getResult(0), Domain::Any, 1));
    }
    Interpreter interpreter(*module);
    FailureOr<std::vector<HostTensor>> grads = interpreter.call("grad", args);
    ASSERT_TRUE(succeeded(grads));
    gradients[rematerialize] = *grads;
  }
  ASSERT_EQ(gradients[0].size(), gradients[1].size());
  for (size_t i = 0; i < gradients[0].size(); ++i)
    EXPECT_LT(relativeError(gradients[1][i].data, gradients[0][i].data), 1e-12);
}

#include "GradcheckCases.inc"

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, testing::ValuesIn(kGradcheckCases),
                         [](const testing::TestParamInfo<GradcheckCase> &info) {
                           return std::string(info.param.name);
                         });

std::vector<GradcheckCase> attentionCases() {
  std::vector<GradcheckCase> cases;
  for (const GradcheckCase &c : kGradcheckCases)
    if (StringRef(c.op) == "tg.attention")
      cases.push_back(c);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(KeepAttention, AttentionRules, testing::ValuesIn(attentionCases()),
                         [](const testing::TestParamInfo<GradcheckCase> &info) {
                           return std::string(info.param.name);
                         });

std::vector<GradcheckCase> loopCases() {
  std::vector<GradcheckCase> loops;
  for (const GradcheckCase &c : kGradcheckCases)
    if (StringRef(c.source).contains("scf.for"))
      loops.push_back(c);
  return loops;
}

INSTANTIATE_TEST_SUITE_P(Loops, RematerializedLoops, testing::ValuesIn(loopCases()),
                         [](const testing::TestParamInfo<GradcheckCase> &info) {
                           return std::string(info.param.name);
                         });

// Ops that never carry a derivative: no float operand reaches a float result;
// and kernel ops, which code generation makes after differentiation.
const char *const kWithoutDerivative[] = {
    "tg.constant", "tg.fill",  "tg.iota",           "tg.random",
    "tg.compare",  "tg.one_hot", "tg.train_step",   "tg.grad",
    "tg.value_and_grad", "tg.jvp", "tg.fused_attention_forward",
    "tg.fused_attention_backward",
};

TEST(GradcheckCoverage, EveryOpHasARuleAndACase) {
  MLIRContext context;
  context.loadDialect<TGDialect>();
  std::set<std::string> covered, exempt(std::begin(kWithoutDerivative),
                                        std::end(kWithoutDerivative));
  for (const GradcheckCase &c : kGradcheckCases)
    covered.insert(c.op);
  int differentiable = 0;
  for (RegisteredOperationName name : context.getRegisteredOperations()) {
    if (name.getDialectNamespace() != "tg")
      continue;
    std::string op = name.getStringRef().str();
    if (exempt.count(op))
      continue;
    ++differentiable;
    EXPECT_TRUE(name.hasInterface<DifferentiableOpInterface>() ||
                name.hasInterface<DecomposableOpInterface>())
        << op << " has no derivative rule: implement DifferentiableOpInterface "
        << "(or DecomposableOpInterface for a composite)";
    EXPECT_TRUE(covered.count(op)) << op << " has no gradcheck case";
  }
  EXPECT_GT(differentiable, 40);
}

} // namespace
