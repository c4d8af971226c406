//===- Interpreter.cpp - reference interpreter for tg programs ------------===//

#include "Interpreter/Interpreter.h"

#include "tg/TGOps.h"
#include "tgc/Philox.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::tg;

HostTensor::HostTensor(RankedTensorType type)
    : type(type), data(type.getNumElements(), 0.0) {}

void tg::roundToElementType(HostTensor &tensor) {
  Type element = tensor.type.getElementType();
  if (element.isF64() || element.isIndex())
    return;
  if (element.isF32()) {
    for (double &x : tensor.data)
      x = double(float(x));
    return;
  }
  if (auto floatType = dyn_cast<FloatType>(element)) {
    for (double &x : tensor.data) {
      bool lostInfo;
      APFloat value(x);
      value.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                    &lostInfo);
      x = value.convertToDouble();
    }
    return;
  }
  unsigned width = element.getIntOrFloatBitWidth();
  for (double &x : tensor.data) {
    if (width == 1) {
      x = x != 0;
      continue;
    }
    // Wrap like two's complement integers of the element width.
    APInt bits(64, uint64_t(int64_t(std::trunc(x))), /*isSigned=*/true);
    x = double(bits.trunc(width).getSExtValue());
  }
}

namespace {

/// `value` rounded to what `element` holds.
double roundScalar(Type element, double value) {
  HostTensor scalar(RankedTensorType::get({}, element), {value});
  roundToElementType(scalar);
  return scalar.data[0];
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Calls fn(index, flat) for every multi-index of `shape` in row-major order.
void forEachIndex(ArrayRef<int64_t> shape,
                  function_ref<void(ArrayRef<int64_t>, int64_t)> fn) {
  int64_t count = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  SmallVector<int64_t> index(shape.size(), 0);
  for (int64_t flat = 0; flat < count; ++flat) {
    fn(index, flat);
    for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// Flat offset in a tensor of `shape` broadcast (NumPy rules) to an index of
/// a higher- or equal-rank result.
int64_t broadcastOffset(ArrayRef<int64_t> shape, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> resultIndex) {
  size_t skip = resultIndex.size() - shape.size();
  int64_t offset = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] != 1)
      offset += resultIndex[skip + d] * strides[d];
  return offset;
}

RankedTensorType resultTypeOf(Operation *op, unsigned i = 0) {
  return cast<RankedTensorType>(op->getResult(i).getType());
}

/// Elementwise map over broadcast operands into `type`.
HostTensor mapBroadcast(RankedTensorType type, ArrayRef<const HostTensor *> inputs,
                        function_ref<double(ArrayRef<double>)> fn) {
  HostTensor result(type);
  SmallVector<SmallVector<int64_t>> strides;
  for (const HostTensor *input : inputs)
    strides.push_back(stridesOf(input->shape()));
  SmallVector<double> args(inputs.size());
  forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index, int64_t flat) {
    for (size_t i = 0; i < inputs.size(); ++i)
      args[i] = inputs[i]->data[broadcastOffset(inputs[i]->shape(), strides[i], index)];
    result.data[flat] = fn(args);
  });
  return result;
}

HostTensor mapUnary(RankedTensorType type, const HostTensor &input,
                    function_ref<double(double)> fn) {
  HostTensor result(type);
  for (int64_t i = 0; i < input.size(); ++i)
    result.data[i] = fn(input.data[i]);
  return result;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double gelu(double x, GeluApproximation approximation) {
  if (approximation == GeluApproximation::tanh) {
    constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;
    return 0.5 * x * (1.0 + std::tanh(kSqrt2OverPi * (x + 0.044715 * x * x * x)));
  }
  return 0.5 * x * (1.0 + std::erf(x * M_SQRT1_2));
}

/// Reduces `input` over `axes` with `combine`, starting from `init`.
HostTensor reduce(RankedTensorType type, const HostTensor &input,
                  ArrayRef<int64_t> axes, double init,
                  function_ref<double(double, double)> combine) {
  int64_t rank = input.shape().size();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes)
    reduced[axis < 0 ? axis + rank : axis] = true;
  // Result strides over the input's rank (reduced dimensions contribute 0).
  SmallVector<int64_t> keptShape;
  for (int64_t d = 0; d < rank; ++d)
    keptShape.push_back(reduced[d] ? 1 : input.shape()[d]);
  SmallVector<int64_t> keptStrides = stridesOf(keptShape);
  HostTensor result(type);
  std::fill(result.data.begin(), result.data.end(), init);
  forEachIndex(input.shape(), [&](ArrayRef<int64_t> index, int64_t flat) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[d])
        offset += index[d] * keptStrides[d];
    result.data[offset] = combine(result.data[offset], input.data[flat]);
  });
  return result;
}

double nanAwareMax(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return std::max(a, b);
}
double nanAwareMin(double a, double b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<double>::quiet_NaN();
  return std::min(a, b);
}

/// Batched matmul with NumPy batch broadcasting.
HostTensor matmul(RankedTensorType type, const HostTensor &lhs,
                  const HostTensor &rhs, bool transposeLhs, bool transposeRhs) {
  ArrayRef<int64_t> ls = lhs.shape(), rs = rhs.shape(), out = type.getShape();
  size_t lr = ls.size(), rr = rs.size(), orank = out.size();
  int64_t m = out[orank - 2], n = out[orank - 1];
  int64_t k = transposeLhs ? ls[lr - 2] : ls[lr - 1];
  SmallVector<int64_t> lstr = stridesOf(ls), rstr = stridesOf(rs);
  HostTensor result(type);
  ArrayRef<int64_t> batchShape = out.drop_back(2);
  forEachIndex(batchShape, [&](ArrayRef<int64_t> batch, int64_t batchFlat) {
    int64_t lbase = broadcastOffset(ls.drop_back(2), ArrayRef(lstr).drop_back(2), batch);
    int64_t rbase = broadcastOffset(rs.drop_back(2), ArrayRef(rstr).drop_back(2), batch);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double sum = 0;
        for (int64_t p = 0; p < k; ++p) {
          int64_t li = transposeLhs ? p * lstr[lr - 2] + i : i * lstr[lr - 2] + p;
          int64_t ri = transposeRhs ? j * rstr[rr - 2] + p : p * rstr[rr - 2] + j;
          sum += lhs.data[lbase + li] * rhs.data[rbase + ri];
        }
        result.data[(batchFlat * m + i) * n + j] = sum;
      }
  });
  return result;
}

/// Softmax or log-softmax along `axis`.
HostTensor softmax(RankedTensorType type, const HostTensor &input, int64_t axis,
                   bool logarithm) {
  int64_t rank = input.shape().size();
  if (axis < 0)
    axis += rank;
  HostTensor result(type);
  int64_t size = input.shape()[axis];
  int64_t stride = stridesOf(input.shape())[axis];
  int64_t outer = input.size() / (size * stride);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t s = 0; s < stride; ++s) {
      int64_t base = o * size * stride + s;
      double maximum = -INFINITY;
      for (int64_t c = 0; c < size; ++c)
        maximum = std::max(maximum, input.data[base + c * stride]);
      double sum = 0;
      for (int64_t c = 0; c < size; ++c)
        sum += std::exp(input.data[base + c * stride] - maximum);
      for (int64_t c = 0; c < size; ++c) {
        double shifted = input.data[base + c * stride] - maximum;
        result.data[base + c * stride] =
            logarithm ? shifted - std::log(sum) : std::exp(shifted) / sum;
      }
    }
  return result;
}

/// For gather (and scatter_add, its transpose): calls fn(inputOffset,
/// gatheredOffset) for every element of the gathered tensor of type
/// `gatheredType` = input.shape[:axis] ++ indices.shape ++ input.shape[axis+1:].
/// Out-of-range indices are clamped (they are undefined behaviour in tg).
void forEachGathered(const HostTensor &input, const HostTensor &indices, int64_t axis,
                     RankedTensorType gatheredType,
                     function_ref<void(int64_t, int64_t)> fn) {
  int64_t rank = input.shape().size();
  if (axis < 0)
    axis += rank;
  int64_t indexRank = indices.shape().size();
  SmallVector<int64_t> inStrides = stridesOf(input.shape());
  SmallVector<int64_t> idxStrides = stridesOf(indices.shape());
  forEachIndex(gatheredType.getShape(), [&](ArrayRef<int64_t> index, int64_t flat) {
    int64_t idxOffset = 0;
    for (int64_t d = 0; d < indexRank; ++d)
      idxOffset += index[axis + d] * idxStrides[d];
    int64_t row = std::clamp<int64_t>(int64_t(indices.data[idxOffset]), 0,
                                      input.shape()[axis] - 1);
    int64_t offset = row * inStrides[axis];
    for (int64_t d = 0; d < axis; ++d)
      offset += index[d] * inStrides[d];
    for (int64_t d = axis + 1; d < rank; ++d)
      offset += index[d - 1 + indexRank] * inStrides[d];
    fn(offset, flat);
  });
}

double scalarOf(Attribute attr) {
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return double(i.getValue().getSExtValue());
  return 0;
}

HostTensor fromElements(ElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  std::vector<double> data;
  data.reserve(type.getNumElements());
  if (isa<FloatType>(type.getElementType())) {
    for (APFloat v : attr.getValues<APFloat>())
      data.push_back(v.convertToDouble());
  } else {
    bool isBool = type.getElementType().isInteger(1);
    for (APInt v : attr.getValues<APInt>())
      data.push_back(isBool ? double(v.getZExtValue()) : double(v.getSExtValue()));
  }
  return HostTensor(type, std::move(data));
}

HostTensor randomTensor(RankedTensorType type, Distribution distribution,
                        uint64_t seed, uint64_t counter) {
  HostTensor result(type);
  for (int64_t i = 0; i < result.size(); ++i)
    result.data[i] = distribution == Distribution::uniform
                         ? tgc::philoxUniform(seed, counter, i)
                         : tgc::philoxNormal(seed, counter, i);
  return result;
}


} // namespace

//===----------------------------------------------------------------------===//
// Globals
//===----------------------------------------------------------------------===//

Interpreter::Interpreter(ModuleOp module, uint64_t seed)
    : module(module), seed(seed) {}

void Interpreter::setGlobal(StringRef name, HostTensor value) {
  globals[name] = std::move(value);
}

FailureOr<HostTensor> Interpreter::getGlobal(StringRef name) {
  auto it = globals.find(name);
  if (it != globals.end())
    return it->second;
  auto global = module.lookupSymbol<ml_program::GlobalOp>(name);
  if (!global)
    return module.emitError() << "no global @" << name;
  auto type = dyn_cast<RankedTensorType>(global.getType());
  if (!type || !type.hasStaticShape())
    return global.emitError() << "the interpreter needs a static tensor type";
  Attribute value = global.getValue().value_or(Attribute());
  HostTensor tensor(type);
  if (auto data = dyn_cast_or_null<ElementsAttr>(value)) {
    tensor = fromElements(data);
  } else if (auto init = dyn_cast_or_null<InitializerAttrInterface>(value)) {
    // The same ops, rounded the same way, as @tgc_init (--tg-build-init):
    // draw, times scale, plus shift.
    InitialDistribution d = init.getDistribution(type);
    uint64_t stream = tgc::philoxStreamForName(global.getSymName().str().c_str());
    Type element = type.getElementType();
    bool uniform = d.kind == InitialDistribution::Uniform;
    double scale = roundScalar(element, uniform ? d.b - d.a : d.b);
    double shift = roundScalar(element, d.a);
    for (int64_t i = 0; i < tensor.size(); ++i) {
      if (d.kind == InitialDistribution::Constant) {
        tensor.data[i] = shift;
        continue;
      }
      double draw = roundScalar(element, uniform ? tgc::philoxUniform(seed, stream, i)
                                                 : tgc::philoxNormal(seed, stream, i));
      tensor.data[i] = roundScalar(element, draw * scale) + shift;
    }
  } else {
    return global.emitError() << "the interpreter cannot initialize this global";
  }
  roundToElementType(tensor);
  globals[name] = tensor;
  return tensor;
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

namespace {
/// Evaluates one function body; values live in `env`.
class FunctionEvaluator {
public:
  FunctionEvaluator(Interpreter &interpreter) : interpreter(interpreter) {}

  FailureOr<std::vector<HostTensor>> run(func::FuncOp func,
                                         ArrayRef<HostTensor> args);

private:
  const HostTensor &get(Value v) { return env.find(v)->second; }
  void set(Value v, HostTensor t) {
    roundToElementType(t);
    env[v] = std::move(t);
  }
  LogicalResult evaluate(Operation *op);
  /// Upstream ops the derivative functions use: scalar index arithmetic,
  /// scf.for and tensor slices. Returns nullopt for any other op.
  std::optional<LogicalResult> evaluateUpstream(Operation *op);
  /// Evaluates a composite op through an independent direct formula.
  std::optional<HostTensor> evaluateComposite(Operation *op);
  /// tg.batch_norm and tg.attention_grad, the composites with several results.
  LogicalResult evaluateBatchNorm(BatchNormOp op);
  LogicalResult evaluateAttentionGrad(AttentionGradOp op);

  Interpreter &interpreter;
  llvm::DenseMap<Value, HostTensor> env;
  std::vector<HostTensor> returned;
};
} // namespace

FailureOr<std::vector<HostTensor>> FunctionEvaluator::run(func::FuncOp func,
                                                          ArrayRef<HostTensor> args) {
  if (func.isExternal())
    return func.emitError() << "cannot interpret a function without a body";
  Block &body = func.getBody().front();
  if (args.size() != body.getNumArguments())
    return func.emitError() << "expects " << body.getNumArguments()
                            << " arguments, got " << args.size();
  for (auto [arg, value] : llvm::zip(body.getArguments(), args)) {
    if (arg.getType() != value.type)
      return func.emitError() << "argument of type " << arg.getType()
                              << " given a tensor of type " << value.type;
    env[arg] = value;
  }
  for (Operation &op : body)
    if (failed(evaluate(&op)))
      return failure();
  return returned;
}

LogicalResult FunctionEvaluator::evaluate(Operation *op) {
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    for (Value v : ret.getOperands())
      returned.push_back(get(v));
    return success();
  }
  if (auto call = dyn_cast<func::CallOp>(op)) {
    std::vector<HostTensor> args;
    for (Value v : call.getOperands())
      args.push_back(get(v));
    FailureOr<std::vector<HostTensor>> results = interpreter.call(call.getCallee(), args);
    if (failed(results))
      return failure();
    for (auto [r, v] : llvm::zip(call.getResults(), *results))
      set(r, v);
    return success();
  }
  if (auto load = dyn_cast<ml_program::GlobalLoadOp>(op)) {
    FailureOr<HostTensor> value = interpreter.getGlobal(load.getGlobal().getLeafReference());
    if (failed(value))
      return failure();
    set(load.getResult(), *value);
    return success();
  }
  if (auto store = dyn_cast<ml_program::GlobalStoreOp>(op)) {
    interpreter.setGlobal(store.getGlobal().getLeafReference(), get(store.getValue()));
    return success();
  }
  if (std::optional<LogicalResult> handled = evaluateUpstream(op))
    return *handled;
  if (auto batchNorm = dyn_cast<BatchNormOp>(op))
    return evaluateBatchNorm(batchNorm);
  if (auto attentionGrad = dyn_cast<AttentionGradOp>(op))
    return evaluateAttentionGrad(attentionGrad);
  if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()) ||
      !resultTypeOf(op).hasStaticShape())
    return op->emitError("the interpreter does not support this op");

  RankedTensorType type = resultTypeOf(op);
  auto operand = [&](unsigned i) -> const HostTensor & { return get(op->getOperand(i)); };
  auto binary = [&](function_ref<double(double, double)> fn) {
    return mapBroadcast(type, {&operand(0), &operand(1)},
                        [&](ArrayRef<double> x) { return fn(x[0], x[1]); });
  };
  auto unary = [&](function_ref<double(double)> fn) {
    return mapUnary(type, operand(0), fn);
  };
  bool isInteger = type.getElementType().isSignlessInteger();

  std::optional<HostTensor> result =
      TypeSwitch<Operation *, std::optional<HostTensor>>(op)
          .Case([&](ConstantOp c) { return fromElements(c.getValue()); })
          .Case([&](FillOp f) {
            HostTensor t(type);
            std::fill(t.data.begin(), t.data.end(), scalarOf(f.getValue()));
            return t;
          })
          .Case([&](IotaOp iota) {
            HostTensor t(type);
            int64_t dim = iota.getDim();
            forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index, int64_t flat) {
              t.data[flat] = double(index[dim]);
            });
            return t;
          })
          .Case([&](RandomOp r) {
            return randomTensor(type, r.getDistribution(),
                                uint64_t(int64_t(operand(0).data[0])),
                                uint64_t(int64_t(operand(1).data[0])));
          })
          .Case([&](AddOp) { return binary([](double a, double b) { return a + b; }); })
          .Case([&](SubOp) { return binary([](double a, double b) { return a - b; }); })
          .Case([&](MulOp) { return binary([](double a, double b) { return a * b; }); })
          .Case([&](DivOp) {
            return binary([&](double a, double b) {
              return isInteger ? (b == 0 ? 0 : std::trunc(a / b)) : a / b;
            });
          })
          .Case([&](PowOp) { return binary([](double a, double b) { return std::pow(a, b); }); })
          .Case([&](MaximumOp) { return binary(nanAwareMax); })
          .Case([&](MinimumOp) { return binary(nanAwareMin); })
          .Case([&](CompareOp c) {
            ComparePredicate p = c.getPredicate();
            return binary([p](double a, double b) -> double {
              switch (p) {
              case ComparePredicate::eq: return a == b;
              case ComparePredicate::ne: return a != b;
              case ComparePredicate::lt: return a < b;
              case ComparePredicate::le: return a <= b;
              case ComparePredicate::gt: return a > b;
              case ComparePredicate::ge: return a >= b;
              }
              return 0;
            });
          })
          .Case([&](SelectOp) {
            return mapBroadcast(type, {&operand(0), &operand(1), &operand(2)},
                                [](ArrayRef<double> x) { return x[0] != 0 ? x[1] : x[2]; });
          })
          .Case([&](CastOp) {
            return unary([&](double x) { return isInteger ? std::trunc(x) : x; });
          })
          .Case([&](NegOp) { return unary([](double x) { return -x; }); })
          .Case([&](AbsOp) { return unary([](double x) { return std::fabs(x); }); })
          // Ties to even in the default rounding mode, as torch.round.
          .Case([&](RoundOp) { return unary([](double x) { return std::nearbyint(x); }); })
          .Case([&](SignOp) {
            return unary([](double x) {
              return std::isnan(x) ? x : double((x > 0) - (x < 0));
            });
          })
          .Case([&](ExpOp) { return unary([](double x) { return std::exp(x); }); })
          .Case([&](LogOp) { return unary([](double x) { return std::log(x); }); })
          .Case([&](SqrtOp) { return unary([](double x) { return std::sqrt(x); }); })
          .Case([&](RsqrtOp) { return unary([](double x) { return 1.0 / std::sqrt(x); }); })
          .Case([&](CosOp) { return unary([](double x) { return std::cos(x); }); })
          .Case([&](SinOp) { return unary([](double x) { return std::sin(x); }); })
          .Case([&](TanhOp) { return unary([](double x) { return std::tanh(x); }); })
          .Case([&](SigmoidOp) { return unary(sigmoid); })
          .Case([&](ReluOp) { return unary([](double x) { return x > 0 ? x : 0.0 * x; }); })
          .Case([&](SiluOp) { return unary([](double x) { return x * sigmoid(x); }); })
          .Case([&](ErfOp) { return unary([](double x) { return std::erf(x); }); })
          .Case([&](StraightThroughOp) { return operand(1); })
          .Case([&](GeluOp g) {
            GeluApproximation a = g.getApproximate();
            return unary([a](double x) { return gelu(x, a); });
          })
          .Case([&](StopGradientOp) { return operand(0); })
          .Case([&](BroadcastToOp) {
            return mapBroadcast(type, {&operand(0)}, [](ArrayRef<double> x) { return x[0]; });
          })
          .Case([&](ReduceSumOp r) {
            return reduce(type, operand(0), r.getAxes(), 0.0,
                          [](double a, double b) { return a + b; });
          })
          .Case([&](ReduceMeanOp r) {
            HostTensor t = reduce(type, operand(0), r.getAxes(), 0.0,
                                  [](double a, double b) { return a + b; });
            double count = double(operand(0).size()) / double(std::max<int64_t>(t.size(), 1));
            for (double &x : t.data)
              x /= count;
            return t;
          })
          .Case([&](ReduceMaxOp r) {
            return reduce(type, operand(0), r.getAxes(), -INFINITY, nanAwareMax);
          })
          .Case([&](ReduceMinOp r) {
            return reduce(type, operand(0), r.getAxes(), INFINITY, nanAwareMin);
          })
          .Case([&](MatmulOp m) {
            return matmul(type, operand(0), operand(1), m.getTransposeLhs(),
                          m.getTransposeRhs());
          })
          .Case([&](TransposeOp t) {
            HostTensor out(type);
            ArrayRef<int64_t> perm = t.getPermutation();
            SmallVector<int64_t> inStrides = stridesOf(operand(0).shape());
            forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index, int64_t flat) {
              int64_t offset = 0;
              for (size_t d = 0; d < perm.size(); ++d)
                offset += index[d] * inStrides[perm[d]];
              out.data[flat] = operand(0).data[offset];
            });
            return out;
          })
          .Case([&](ReshapeOp) { return HostTensor(type, operand(0).data); })
          .Case([&](SliceOp s) {
            HostTensor out(type);
            ArrayRef<int64_t> start = s.getStart();
            SmallVector<int64_t> step = s.getStrides();
            SmallVector<int64_t> inStrides = stridesOf(operand(0).shape());
            forEachIndex(type.getShape(), [&](ArrayRef<int64_t> index, int64_t flat) {
              int64_t offset = 0;
              for (size_t d = 0; d < index.size(); ++d)
                offset += (start[d] + index[d] * step[d]) * inStrides[d];
              out.data[flat] = operand(0).data[offset];
            });
            return out;
          })
          .Case([&](PadOp p) {
            HostTensor out(type);
            std::fill(out.data.begin(), out.data.end(), scalarOf(p.getValue()));
            ArrayRef<int64_t> low = p.getLow();
            SmallVector<int64_t> interior = p.getInteriorOrZeros();
            SmallVector<int64_t> outStrides = stridesOf(type.getShape());
            forEachIndex(operand(0).shape(), [&](ArrayRef<int64_t> index, int64_t flat) {
              int64_t offset = 0;
              for (size_t d = 0; d < index.size(); ++d)
                offset += (low[d] + index[d] * (interior[d] + 1)) * outStrides[d];
              out.data[offset] = operand(0).data[flat];
            });
            return out;
          })
          .Case([&](ConcatOp c) {
            HostTensor out(type);
            int64_t rank = type.getRank();
            int64_t axis = int64_t(c.getAxis());
            if (axis < 0)
              axis += rank;
            SmallVector<int64_t> outStrides = stridesOf(type.getShape());
            int64_t base = 0;
            for (Value input : c.getInputs()) {
              const HostTensor &in = get(input);
              forEachIndex(in.shape(), [&](ArrayRef<int64_t> index, int64_t flat) {
                int64_t offset = 0;
                for (int64_t d = 0; d < rank; ++d)
                  offset += (index[d] + (d == axis ? base : 0)) * outStrides[d];
                out.data[offset] = in.data[flat];
              });
              base += in.shape()[axis];
            }
            return out;
          })
          .Case([&](GatherOp g) {
            HostTensor out(type);
            forEachGathered(operand(0), operand(1), int64_t(g.getAxis()), type,
                            [&](int64_t from, int64_t to) { out.data[to] = operand(0).data[from]; });
            return out;
          })
          .Case([&](ScatterAddOp sc) {
            HostTensor out = operand(0);
            out.type = type;
            forEachGathered(operand(0), operand(1), int64_t(sc.getAxis()),
                            cast<RankedTensorType>(sc.getUpdates().getType()),
                            [&](int64_t into, int64_t from) { out.data[into] += operand(2).data[from]; });
            return out;
          })
          .Case([&](TakeAlongOp) {
            HostTensor out(type);
            int64_t classes = operand(0).shape().back();
            for (int64_t i = 0; i < out.size(); ++i) {
              int64_t index = int64_t(operand(1).data[i]);
              if (index >= 0 && index < classes)
                out.data[i] = operand(0).data[i * classes + index];
            }
            return out;
          })
          .Case([&](OneHotOp o) {
            HostTensor out(type);
            int64_t classes = o.getNumClasses();
            for (int64_t i = 0; i < operand(0).size(); ++i) {
              int64_t label = int64_t(operand(0).data[i]);
              if (label >= 0 && label < classes)
                out.data[i * classes + label] = 1;
            }
            return out;
          })
          .Case([&](SoftmaxOp s) {
            return softmax(type, operand(0), int64_t(s.getAxis()), false);
          })
          .Case([&](LogSoftmaxOp s) {
            return softmax(type, operand(0), int64_t(s.getAxis()), true);
          })
          .Default([&](Operation *op) { return evaluateComposite(op); });
  if (!result)
    return op->emitError("the interpreter does not support this op");
  set(op->getResult(0), std::move(*result));
  return success();
}

namespace {
/// The sizes of an attention on q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv].
struct AttentionShape {
  int64_t batches, queries, keys, headSize, valueSize;
  double scale;
  bool causal;
};

AttentionShape attentionShape(const HostTensor &q, const HostTensor &k, const HostTensor &v,
                              std::optional<APFloat> scale, bool causal) {
  AttentionShape at;
  at.queries = q.shape()[q.shape().size() - 2];
  at.headSize = q.shape().back();
  at.keys = k.shape()[k.shape().size() - 2];
  at.valueSize = v.shape().back();
  at.batches = q.size() / (at.queries * at.headSize);
  at.scale = scale ? scale->convertToDouble() : 1.0 / std::sqrt(double(at.headSize));
  at.causal = causal;
  return at;
}

/// Whether query i sees key j.
bool attentionVisible(const AttentionShape &at, int64_t i, int64_t j) {
  return !at.causal || j <= i + (at.keys - at.queries);
}

/// The attention weights of query i of batch b: a softmax of scale q_i . k_j
/// over the keys it sees. A query that sees no key weighs all keys equally,
/// as in the decomposition, whose hidden scores are the lowest finite value.
void attentionWeights(const AttentionShape &at, const HostTensor &q, const HostTensor &k, int64_t b,
                      int64_t i, std::vector<double> &weights) {
  weights.assign(at.keys, 0.0);
  bool seesAny = attentionVisible(at, i, 0);
  double maximum = -INFINITY;
  for (int64_t j = 0; j < at.keys; ++j) {
    if (seesAny && !attentionVisible(at, i, j)) {
      weights[j] = -INFINITY;
      continue;
    }
    double s = 0;
    for (int64_t p = 0; p < at.headSize; ++p)
      s += q.data[(b * at.queries + i) * at.headSize + p] *
           k.data[(b * at.keys + j) * at.headSize + p];
    weights[j] = seesAny ? s * at.scale : 0.0;
    maximum = std::max(maximum, weights[j]);
  }
  double sum = 0;
  for (double &w : weights)
    sum += (w = std::exp(w - maximum));
  for (double &w : weights)
    w /= sum;
}
} // namespace

// dV = P^T dO, dS = P * (dO V^T - rowsum(dO * O)) (zero for a query that
// sees no key), dQ = scale dS K, dK = scale dS^T Q.
LogicalResult FunctionEvaluator::evaluateAttentionGrad(AttentionGradOp op) {
  const HostTensor &q = get(op.getQuery()), &k = get(op.getKey()), &v = get(op.getValue()),
                   &o = get(op.getOutput()), &dout = get(op.getOutputGrad());
  AttentionShape at = attentionShape(q, k, v, op.getScale(), op.getCausal());
  HostTensor dq(op.getQueryGrad().getType()), dk(op.getKeyGrad().getType()),
      dv(op.getValueGrad().getType());
  int64_t d = at.headSize, dvSize = at.valueSize;
  std::vector<double> weights;
  for (int64_t b = 0; b < at.batches; ++b)
    for (int64_t i = 0; i < at.queries; ++i) {
      attentionWeights(at, q, k, b, i, weights);
      const double *doRow = &dout.data[(b * at.queries + i) * dvSize];
      const double *oRow = &o.data[(b * at.queries + i) * dvSize];
      double delta = 0;
      for (int64_t c = 0; c < dvSize; ++c)
        delta += doRow[c] * oRow[c];
      bool seesAny = attentionVisible(at, i, 0);
      for (int64_t j = 0; j < at.keys; ++j) {
        double dp = 0;
        for (int64_t c = 0; c < dvSize; ++c) {
          dp += doRow[c] * v.data[(b * at.keys + j) * dvSize + c];
          dv.data[(b * at.keys + j) * dvSize + c] += weights[j] * doRow[c];
        }
        double ds = seesAny ? weights[j] * (dp - delta) * at.scale : 0.0;
        for (int64_t p = 0; p < d; ++p) {
          dq.data[(b * at.queries + i) * d + p] += ds * k.data[(b * at.keys + j) * d + p];
          dk.data[(b * at.keys + j) * d + p] += ds * q.data[(b * at.queries + i) * d + p];
        }
      }
    }
  set(op.getQueryGrad(), std::move(dq));
  set(op.getKeyGrad(), std::move(dk));
  set(op.getValueGrad(), std::move(dv));
  return success();
}

LogicalResult FunctionEvaluator::evaluateBatchNorm(BatchNormOp op) {
  const HostTensor &x = get(op.getInput()), &weight = get(op.getWeight()),
                   &bias = get(op.getBias());
  HostTensor mean = get(op.getRunningMean()), var = get(op.getRunningVar());
  ArrayRef<int64_t> shape = x.shape();
  int64_t channels = shape[1], inner = x.size() / (shape[0] * channels);
  int64_t count = x.size() / channels;
  auto channelOf = [&](int64_t flat) { return flat / inner % channels; };
  if (op.getTraining()) {
    double momentum = op.getMomentum().convertToDouble();
    std::vector<double> sum(channels), squares(channels);
    for (int64_t i = 0; i < x.size(); ++i)
      sum[channelOf(i)] += x.data[i];
    for (int64_t i = 0; i < x.size(); ++i) {
      int64_t c = channelOf(i);
      squares[c] += std::pow(x.data[i] - sum[c] / count, 2);
    }
    HostTensor runningMean = mean, runningVar = var;
    for (int64_t c = 0; c < channels; ++c) {
      mean.data[c] = sum[c] / count;
      var.data[c] = squares[c] / count;
      double unbiased = count > 1 ? squares[c] / (count - 1) : var.data[c];
      runningMean.data[c] = (1 - momentum) * runningMean.data[c] + momentum * mean.data[c];
      runningVar.data[c] = (1 - momentum) * runningVar.data[c] + momentum * unbiased;
    }
    set(op.getNewRunningMean(), runningMean);
    set(op.getNewRunningVar(), runningVar);
  } else {
    set(op.getNewRunningMean(), mean);
    set(op.getNewRunningVar(), var);
  }
  double epsilon = op.getEpsilon().convertToDouble();
  HostTensor y(op.getResult().getType());
  for (int64_t i = 0; i < x.size(); ++i) {
    int64_t c = channelOf(i);
    y.data[i] = (x.data[i] - mean.data[c]) / std::sqrt(var.data[c] + epsilon) *
                    weight.data[c] + bias.data[c];
  }
  set(op.getResult(), std::move(y));
  return success();
}

std::optional<HostTensor> FunctionEvaluator::evaluateComposite(Operation *op) {
  RankedTensorType type = resultTypeOf(op);
  auto operand = [&](unsigned i) -> const HostTensor & { return get(op->getOperand(i)); };
  auto scalar = [&](double value) {
    return HostTensor(type, std::vector<double>{value});
  };
  /// Mean or sum of per-element terms.
  auto combine = [&](const std::vector<double> &terms, Reduction reduction) {
    double sum = 0;
    for (double t : terms)
      sum += t;
    return scalar(reduction == Reduction::mean ? sum / double(terms.size()) : sum);
  };
  /// A regression loss: f(input - target) per element, then combined.
  auto combineElementwise = [&](Reduction reduction, function_ref<double(double)> f) {
    std::vector<double> terms;
    for (int64_t i = 0; i < operand(0).size(); ++i)
      terms.push_back(f(operand(0).data[i] - operand(1).data[i]));
    return combine(terms, reduction);
  };
  /// Calls `f(logits row, label)` for each example of a classification loss
  /// (operands: [..., C] logits, [...] labels).
  auto forEachExample = [&](function_ref<void(ArrayRef<double>, int64_t)> f) {
    const HostTensor &logits = operand(0), &labels = operand(1);
    int64_t classes = logits.shape().back();
    for (int64_t row = 0; row < labels.size(); ++row)
      f(ArrayRef(logits.data).slice(row * classes, classes), int64_t(labels.data[row]));
  };
  auto logSumExp = [](ArrayRef<double> x) {
    double maximum = -INFINITY, sum = 0;
    for (double v : x)
      maximum = std::max(maximum, v);
    for (double v : x)
      sum += std::exp(v - maximum);
    return maximum + std::log(sum);
  };
  /// `value(x[label])`; an out-of-range label has an all-zero one-hot
  /// encoding, which picks 0.
  auto pick = [](ArrayRef<double> x, int64_t label, function_ref<double(double)> value) {
    return label >= 0 && label < int64_t(x.size()) ? value(x[label]) : 0.0;
  };
  return TypeSwitch<Operation *, std::optional<HostTensor>>(op)
      .Case([&](LinearOp l) -> std::optional<HostTensor> {
        // A vector input is one row: [in] -> [1, in].
        HostTensor x = operand(0);
        RankedTensorType rowType = type;
        if (x.shape().size() == 1) {
          x.type = RankedTensorType::get({1, x.shape()[0]}, x.type.getElementType());
          rowType = RankedTensorType::get({1, type.getDimSize(0)}, type.getElementType());
        }
        HostTensor y = matmul(rowType, x, operand(1), false, true);
        y.type = type;
        if (l.getBias()) {
          const HostTensor &b = get(l.getBias());
          for (int64_t i = 0; i < y.size(); ++i)
            y.data[i] += b.data[i % b.size()];
        }
        return y;
      })
      .Case([&](LayerNormOp l) -> std::optional<HostTensor> {
        const HostTensor &x = operand(0), &w = operand(1), &b = operand(2);
        double eps = l.getEpsilon().convertToDouble();
        int64_t d = x.shape().back();
        HostTensor y(type);
        for (int64_t row = 0; row < x.size() / d; ++row) {
          double mean = 0, var = 0;
          for (int64_t i = 0; i < d; ++i)
            mean += x.data[row * d + i];
          mean /= d;
          for (int64_t i = 0; i < d; ++i)
            var += std::pow(x.data[row * d + i] - mean, 2);
          var /= d;
          for (int64_t i = 0; i < d; ++i)
            y.data[row * d + i] =
                (x.data[row * d + i] - mean) / std::sqrt(var + eps) * w.data[i] + b.data[i];
        }
        return y;
      })
      .Case([&](RMSNormOp r) -> std::optional<HostTensor> {
        const HostTensor &x = operand(0), &w = operand(1);
        double eps = r.getEpsilon().convertToDouble();
        int64_t d = x.shape().back();
        HostTensor y(type);
        for (int64_t row = 0; row < x.size() / d; ++row) {
          double meanSquare = 0;
          for (int64_t i = 0; i < d; ++i)
            meanSquare += x.data[row * d + i] * x.data[row * d + i];
          meanSquare /= d;
          for (int64_t i = 0; i < d; ++i)
            y.data[row * d + i] = x.data[row * d + i] / std::sqrt(meanSquare + eps) * w.data[i];
        }
        return y;
      })
      .Case([&](FakeQuantOp q) -> std::optional<HostTensor> {
        auto [low, high] = q.getRange();
        const HostTensor &x = operand(0), &scale = operand(1);
        ArrayRef<int64_t> shape = x.shape();
        // Element i uses scale[i / inner % channels].
        int64_t inner = 1, channels = 1;
        if (std::optional<int64_t> axis = q.getAxis()) {
          int64_t a = *axis < 0 ? *axis + int64_t(shape.size()) : *axis;
          channels = shape[a];
          for (size_t d = a + 1; d < shape.size(); ++d)
            inner *= shape[d];
        }
        HostTensor y(type);
        for (int64_t i = 0; i < x.size(); ++i) {
          double s = scale.data[i / inner % channels];
          y.data[i] = std::nearbyint(std::clamp(x.data[i] / s, low, high)) * s;
        }
        return y;
      })
      .Case([&](EmbeddingOp) -> std::optional<HostTensor> {
        const HostTensor &table = operand(0), &ids = operand(1);
        int64_t d = table.shape().back();
        HostTensor y(type);
        for (int64_t i = 0; i < ids.size(); ++i) {
          int64_t row = std::clamp<int64_t>(int64_t(ids.data[i]), 0, table.shape()[0] - 1);
          for (int64_t j = 0; j < d; ++j)
            y.data[i * d + j] = table.data[row * d + j];
        }
        return y;
      })
      .Case([&](DropoutOp dropout) -> std::optional<HostTensor> {
        double rate = dropout.getRate().convertToDouble();
        HostTensor mask = randomTensor(type, Distribution::uniform,
                                       uint64_t(int64_t(operand(1).data[0])),
                                       uint64_t(int64_t(operand(2).data[0])));
        roundToElementType(mask);
        HostTensor y(type);
        for (int64_t i = 0; i < y.size(); ++i)
          y.data[i] = mask.data[i] >= rate ? operand(0).data[i] / (1.0 - rate) : 0.0;
        return y;
      })
      .Case([&](AttentionOp a) -> std::optional<HostTensor> {
        const HostTensor &q = operand(0), &k = operand(1), &v = operand(2);
        AttentionShape at = attentionShape(q, k, v, a.getScale(), a.getCausal());
        HostTensor y(type);
        std::vector<double> weights;
        for (int64_t b = 0; b < at.batches; ++b)
          for (int64_t i = 0; i < at.queries; ++i) {
            attentionWeights(at, q, k, b, i, weights);
            for (int64_t c = 0; c < at.valueSize; ++c) {
              double acc = 0;
              for (int64_t j = 0; j < at.keys; ++j)
                acc += weights[j] * v.data[(b * at.keys + j) * at.valueSize + c];
              y.data[(b * at.queries + i) * at.valueSize + c] = acc;
            }
          }
        return y;
      })
      .Case([&](Conv2DOp c) -> std::optional<HostTensor> {
        const HostTensor &x = operand(0), &w = operand(1);
        ArrayRef<int64_t> stride = c.getStride(), pad = c.getPadding(), dil = c.getDilation();
        int64_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], wd = x.shape()[3];
        int64_t o = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
        int64_t oh = type.getShape()[2], ow = type.getShape()[3];
        HostTensor y(type);
        for (int64_t b = 0; b < n; ++b)
          for (int64_t f = 0; f < o; ++f)
            for (int64_t i = 0; i < oh; ++i)
              for (int64_t j = 0; j < ow; ++j) {
                double acc = c.getBias() ? get(c.getBias()).data[f] : 0.0;
                for (int64_t cc = 0; cc < ch; ++cc)
                  for (int64_t p = 0; p < kh; ++p)
                    for (int64_t q = 0; q < kw; ++q) {
                      int64_t r = i * stride[0] - pad[0] + p * dil[0];
                      int64_t s = j * stride[1] - pad[1] + q * dil[1];
                      if (r < 0 || r >= h || s < 0 || s >= wd)
                        continue;
                      acc += x.data[((b * ch + cc) * h + r) * wd + s] *
                             w.data[((f * ch + cc) * kh + p) * kw + q];
                    }
                y.data[((b * o + f) * oh + i) * ow + j] = acc;
              }
        return y;
      })
      .Case([&](MSELossOp m) -> std::optional<HostTensor> {
        std::vector<double> terms;
        for (int64_t i = 0; i < operand(0).size(); ++i)
          terms.push_back(std::pow(operand(0).data[i] - operand(1).data[i], 2));
        return combine(terms, m.getReduction());
      })
      .Case([&](SoftmaxCrossEntropyOp s) -> std::optional<HostTensor> {
        double smoothing = s.getLabelSmoothing().convertToDouble();
        double poly1 = s.getPoly1().convertToDouble();
        double zLoss = s.getZLoss().convertToDouble();
        std::vector<double> terms;
        forEachExample([&](ArrayRef<double> x, int64_t label) {
          int64_t classes = x.size();
          double logZ = logSumExp(x), term = 0, targetProb = 0;
          for (int64_t c = 0; c < classes; ++c) {
            double q = (c == label ? 1.0 - smoothing : 0.0) + smoothing / classes;
            term -= q * (x[c] - logZ);
            targetProb += q * std::exp(x[c] - logZ);
          }
          terms.push_back(term + poly1 * (1 - targetProb) + zLoss * logZ * logZ);
        });
        return combine(terms, s.getReduction());
      })
      .Case([&](FocalLossOp f) -> std::optional<HostTensor> {
        double gamma = f.getGamma().convertToDouble();
        std::vector<double> terms;
        forEachExample([&](ArrayRef<double> x, int64_t label) {
          double logZ = logSumExp(x);
          double logP = pick(x, label, [&](double v) { return v - logZ; });
          terms.push_back(-std::pow(1 - std::exp(logP), gamma) * logP);
        });
        return combine(terms, f.getReduction());
      })
      .Case([&](StableMaxCrossEntropyOp s) -> std::optional<HostTensor> {
        auto stable = [](double x) { return x >= 0 ? x + 1 : 1 / (1 - x); };
        std::vector<double> terms;
        forEachExample([&](ArrayRef<double> x, int64_t label) {
          double sum = 0;
          for (double v : x)
            sum += stable(v);
          terms.push_back(std::log(sum) - pick(x, label, [&](double v) { return std::log(stable(v)); }));
        });
        return combine(terms, s.getReduction());
      })
      .Case([&](NceRceLossOp n) -> std::optional<HostTensor> {
        double alpha = n.getAlpha().convertToDouble(), beta = n.getBeta().convertToDouble();
        double logZero = n.getLogZero().convertToDouble();
        std::vector<double> terms;
        forEachExample([&](ArrayRef<double> x, int64_t label) {
          double logZ = logSumExp(x), allLogProbs = 0, rce = 0;
          for (int64_t c = 0; c < int64_t(x.size()); ++c) {
            allLogProbs += x[c] - logZ;
            if (c != label)
              rce -= std::exp(x[c] - logZ) * logZero;
          }
          double logP = pick(x, label, [&](double v) { return v - logZ; });
          terms.push_back(alpha * logP / allLogProbs + beta * rce);
        });
        return combine(terms, n.getReduction());
      })
      .Case([&](BCEWithLogitsOp b) -> std::optional<HostTensor> {
        HostTensor weights(cast<RankedTensorType>(operand(0).type));
        if (Value w = b.getPosWeight())
          weights = mapBroadcast(weights.type, {&get(w)},
                                 [](ArrayRef<double> v) { return v[0]; });
        else
          std::fill(weights.data.begin(), weights.data.end(), 1.0);
        std::vector<double> terms;
        for (int64_t i = 0; i < operand(0).size(); ++i) {
          double x = operand(0).data[i], t = operand(1).data[i], w = weights.data[i];
          // -w t log sigmoid(x) - (1 - t) log(1 - sigmoid(x)), with
          // -log sigmoid(x) = log1p(exp(-x)) and -log(1 - sigmoid(x)) = x + that.
          double softplusMinusX = std::max(-x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
          terms.push_back(w * t * softplusMinusX + (1 - t) * (x + softplusMinusX));
        }
        return combine(terms, b.getReduction());
      })
      .Case([&](HuberLossOp h) -> std::optional<HostTensor> {
        double delta = h.getDelta().convertToDouble();
        return combineElementwise(h.getReduction(), [&](double d) {
          d = std::fabs(d);
          return d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
        });
      })
      .Case([&](PseudoHuberLossOp p) -> std::optional<HostTensor> {
        double c = p.getC().convertToDouble();
        return combineElementwise(p.getReduction(), [&](double d) {
          return std::sqrt(d * d + c * c) - c;
        });
      })
      .Case([&](CauchyLossOp cauchy) -> std::optional<HostTensor> {
        double c = cauchy.getC().convertToDouble();
        return combineElementwise(cauchy.getReduction(), [&](double d) {
          return std::log1p(d * d / (c * c));
        });
      })
      .Default([](Operation *) { return std::nullopt; });
}


/// A scalar (index or integer) as a rank-0 host tensor.
static HostTensor scalarTensor(Type type, double value) {
  return HostTensor(RankedTensorType::get({}, type), std::vector<double>{value});
}

/// The row-major offsets of a static slice [offsets, sizes, strides] of a
/// tensor of `shape`, in order.
static std::vector<int64_t> sliceOffsets(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> offsets,
                                         ArrayRef<int64_t> sizes,
                                         ArrayRef<int64_t> strides) {
  SmallVector<int64_t> shapeStrides = stridesOf(shape);
  std::vector<int64_t> result;
  forEachIndex(sizes, [&](ArrayRef<int64_t> index, int64_t) {
    int64_t offset = 0;
    for (size_t d = 0; d < index.size(); ++d)
      offset += (offsets[d] + index[d] * strides[d]) * shapeStrides[d];
    result.push_back(offset);
  });
  return result;
}

std::optional<LogicalResult> FunctionEvaluator::evaluateUpstream(Operation *op) {
  auto scalar = [&](Value v) { return int64_t(get(v).data[0]); };
  auto staticOr = [&](ArrayRef<OpFoldResult> mixed) {
    SmallVector<int64_t> values;
    for (OpFoldResult entry : mixed)
      values.push_back(isa<Attribute>(entry)
                           ? cast<IntegerAttr>(cast<Attribute>(entry)).getInt()
                           : scalar(cast<Value>(entry)));
    return values;
  };
  auto integerBinary = [&](function_ref<int64_t(int64_t, int64_t)> fn) {
    set(op->getResult(0), scalarTensor(op->getResult(0).getType(),
                                       double(fn(scalar(op->getOperand(0)),
                                                 scalar(op->getOperand(1))))));
    return success();
  };
  return TypeSwitch<Operation *, std::optional<LogicalResult>>(op)
      .Case([&](arith::ConstantOp c) -> std::optional<LogicalResult> {
        if (auto elements = dyn_cast<ElementsAttr>(c.getValue()))
          set(c.getResult(), fromElements(elements));
        else
          set(c.getResult(), scalarTensor(c.getType(), scalarOf(c.getValue())));
        return success();
      })
      .Case([&](arith::AddIOp) { return integerBinary(std::plus<int64_t>()); })
      .Case([&](arith::SubIOp) { return integerBinary(std::minus<int64_t>()); })
      .Case([&](arith::MulIOp) { return integerBinary(std::multiplies<int64_t>()); })
      .Case([&](arith::DivUIOp) {
        return integerBinary([](int64_t a, int64_t b) { return b ? int64_t(uint64_t(a) / uint64_t(b)) : 0; });
      })
      .Case([&](arith::DivSIOp) {
        return integerBinary([](int64_t a, int64_t b) { return b ? a / b : 0; });
      })
      .Case([&](scf::ForOp loop) -> std::optional<LogicalResult> {
        int64_t lb = scalar(loop.getLowerBound()), ub = scalar(loop.getUpperBound());
        int64_t step = scalar(loop.getStep());
        if (step <= 0)
          return loop.emitError("the interpreter needs a positive loop step");
        std::vector<HostTensor> carried;
        for (Value init : loop.getInitArgs())
          carried.push_back(get(init));
        Block *body = loop.getBody();
        for (int64_t i = lb; i < ub; i += step) {
          set(loop.getInductionVar(), scalarTensor(loop.getInductionVar().getType(), double(i)));
          for (auto [arg, value] : llvm::zip(loop.getRegionIterArgs(), carried))
            set(arg, value);
          for (Operation &inner : body->without_terminator())
            if (failed(evaluate(&inner)))
              return failure();
          for (auto [slot, v] : llvm::zip(carried, body->getTerminator()->getOperands()))
            slot = get(v);
        }
        for (auto [r, value] : llvm::zip(loop.getResults(), carried))
          set(r, value);
        return success();
      })
      .Case([&](tensor::ExtractSliceOp slice) -> std::optional<LogicalResult> {
        const HostTensor &source = get(slice.getSource());
        std::vector<int64_t> offsets = sliceOffsets(
            source.shape(), staticOr(slice.getMixedOffsets()),
            staticOr(slice.getMixedSizes()), staticOr(slice.getMixedStrides()));
        HostTensor out(slice.getType());
        for (size_t i = 0; i < offsets.size(); ++i)
          out.data[i] = source.data[offsets[i]];
        set(slice.getResult(), std::move(out));
        return success();
      })
      .Case([&](tensor::InsertSliceOp slice) -> std::optional<LogicalResult> {
        HostTensor out = get(slice.getDest());
        const HostTensor &source = get(slice.getSource());
        std::vector<int64_t> offsets = sliceOffsets(
            out.shape(), staticOr(slice.getMixedOffsets()),
            staticOr(slice.getMixedSizes()), staticOr(slice.getMixedStrides()));
        for (size_t i = 0; i < offsets.size(); ++i)
          out.data[offsets[i]] = source.data[i];
        set(slice.getResult(), std::move(out));
        return success();
      })
      .Default([](Operation *) { return std::nullopt; });
}

FailureOr<std::vector<HostTensor>> Interpreter::call(func::FuncOp func,
                                                     ArrayRef<HostTensor> args) {
  FunctionEvaluator evaluator(*this);
  return evaluator.run(func, args);
}

FailureOr<std::vector<HostTensor>> Interpreter::call(StringRef name,
                                                     ArrayRef<HostTensor> args) {
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (!func)
    return module.emitError() << "no function @" << name;
  return call(func, args);
}
