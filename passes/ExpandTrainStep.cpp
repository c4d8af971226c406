//===- ExpandTrainStep.cpp - tg.train_step to a step function -------------===//
//
// Turns each `tg.train_step @name loss @f optimizer #opt` into the function
// the runtime calls once per batch:
//
//   func.func @name(batch...) -> loss {
//     step counter += 1
//     %loss, %grads... = tg.value_and_grad @f(batch...) globals [params...]
//       (with the Hessian's diagonal (AdaHessian): %loss, %grads..., _,
//        %hz... = tg.jvp @name_gradient(batch...) tangents(probes...) wrt []
//        globals [params...], @name_gradient holding the value_and_grad)
//     for each gradient transform, in order (`transforms [...]`):
//       sums = sum over parameters of its buildStatistics(...)
//       if it moves the gradient elsewhere (SAM): parameters = points,
//         gradients = tg.value_and_grad @f(batch...) there
//       for each parameter: gradient (parameter), state = buildTransform(...)
//     sums = sum over parameters of #opt.buildStatistics(...)  (if any)
//     for each parameter: new parameter and state = #opt.buildUpdate(...)
//     new shared state = #opt.buildSharedUpdate(...)
//     return %loss
//   }
//
// Optimizers with an evaluation view (Schedule-Free) also get
// `@<name>_eval_view()` and `@<name>_train_view()`, which swap every
// parameter to the point to evaluate at and back.
//
// The optimizer's per-parameter state lives in new globals `@<param>_<slot>`
// (f32 for f16 and bf16 parameters, whose updates run in f32), its shared
// state in `@<name>_<slot>` and the step counter in `@<name>_step`, so a
// checkpoint of all mutable globals is a complete training state.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGEXPANDTRAINSTEP
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

/// A fresh symbol name: `base`, else `base_1`, `base_2`, ...
std::string uniqueSymbol(ModuleOp module, const Twine &base) {
  std::string name = base.str();
  for (int i = 1; module.lookupSymbol(name); ++i)
    name = (base + "_" + Twine(i)).str();
  return name;
}

/// A new private mutable global of `type` starting at `initialValue`.
ml_program::GlobalOp createGlobal(OpBuilder &builder, Location loc, StringRef name,
                                  Type type, Attribute initialValue) {
  return ml_program::GlobalOp::create(builder, loc, name, type,
                                      /*is_mutable=*/true, initialValue,
                                      builder.getStringAttr("private"));
}

/// The element type an optimizer updates a parameter of `type` in, and keeps
/// its state in: f32 for narrower floats, whose rounding would swamp small
/// steps and moving averages.
Type updateElementType(ShapedType type) {
  Type element = type.getElementType();
  if (element.getIntOrFloatBitWidth() < 32)
    return Float32Type::get(type.getContext());
  return element;
}

/// The initial value of an optimizer state global.
Attribute initialValue(MLIRContext *context, const OptimizerStateSlot &slot) {
  if (slot.initialValue == 0)
    return ZerosAttr::get(context);
  return ConstantInitAttr::get(context, APFloat(slot.initialValue));
}

/// `value` converted to `element` (itself when it has that type already).
Value castTo(OpBuilder &builder, Location loc, Value value, Type element) {
  auto type = cast<ShapedType>(value.getType());
  if (type.getElementType() == element)
    return value;
  return CastOp::create(builder, loc, type.clone(element), value);
}

LogicalResult expandTrainStep(TrainStepOp step, SymbolTableCollection &symbolTable) {
  auto module = cast<ModuleOp>(step->getParentOp());
  auto loss = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(step, step.getLossAttr());
  SmallVector<ml_program::GlobalOp> params = step.getTrainableGlobals(symbolTable);
  if (!loss || params.empty())
    return step.emitOpError("cannot be expanded: it does not verify");
  OptimizerAttrInterface optimizer = step.getOptimizer();
  SmallVector<GradientTransformAttrInterface> transforms;
  if (ArrayAttr attrs = step.getTransformsAttr())
    for (Attribute attr : attrs)
      transforms.push_back(cast<GradientTransformAttrInterface>(attr));
  Location loc = step.getLoc();
  OpBuilder builder(step);
  MLIRContext *context = step.getContext();

  // State globals: one per parameter and slot (of the transforms, in order,
  // then of the optimizer), and the step counter.
  using StateGlobals = SmallVector<SmallVector<ml_program::GlobalOp>>;
  auto createState = [&](ArrayRef<OptimizerStateSlot> slots) {
    StateGlobals state;
    for (ml_program::GlobalOp param : params) {
      state.emplace_back();
      auto paramType = cast<RankedTensorType>(param.getType());
      Type element = updateElementType(paramType);
      for (const OptimizerStateSlot &slot : slots) {
        auto type = slot.scalar ? RankedTensorType::get({}, element)
                                : paramType.clone(element);
        state.back().push_back(createGlobal(
            builder, param.getLoc(),
            uniqueSymbol(module, param.getSymName() + "_" + slot.name), type,
            initialValue(context, slot)));
      }
    }
    return state;
  };
  SmallVector<StateGlobals> transformState = llvm::map_to_vector(
      transforms, [&](GradientTransformAttrInterface transform) {
        return createState(transform.getStateSlots());
      });
  StateGlobals state = createState(optimizer.getStateSlots());
  SmallVector<ml_program::GlobalOp> shared;
  for (const OptimizerStateSlot &slot : optimizer.getSharedStateSlots())
    shared.push_back(createGlobal(
        builder, loc, uniqueSymbol(module, step.getSymName() + "_" + slot.name),
        RankedTensorType::get({}, builder.getF64Type()), initialValue(context, slot)));
  auto counterType = RankedTensorType::get({}, builder.getI64Type());
  ml_program::GlobalOp counter = createGlobal(
      builder, loc, uniqueSymbol(module, step.getSymName() + "_step"), counterType,
      DenseElementsAttr::get(counterType, builder.getI64IntegerAttr(0)));

  // The step function takes the loss function's batch and returns its loss.
  FunctionType lossType = loss.getFunctionType();
  std::string name = step.getSymName().str();
  builder.setInsertionPointAfter(step);
  step.erase();
  auto func = func::FuncOp::create(builder, loc, name, lossType);
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);

  SmallVector<Attribute> refs;
  SmallVector<Type> resultTypes = {lossType.getResult(0)};
  for (ml_program::GlobalOp param : params) {
    refs.push_back(FlatSymbolRefAttr::get(param.getSymNameAttr()));
    resultTypes.push_back(param.getType());
  }
  auto gradientOfLoss = [&] {
    return ValueAndGradOp::create(builder, loc, resultTypes, loss.getSymName(),
                                  body->getArguments(),
                                  /*wrt=*/ArrayRef<int64_t>{},
                                  builder.getArrayAttr(refs));
  };

  auto counterRef = FlatSymbolRefAttr::get(counter.getSymNameAttr());
  Value count = ml_program::GlobalLoadOp::create(builder, loc, counterType, counterRef);
  count = AddOp::create(builder, loc, count,
                        scalar(builder, loc, builder.getI64Type(), 1.0));
  ml_program::GlobalStoreOp::create(builder, loc, counterRef, count);

  // The loss and gradients; for optimizers that precondition with the
  // Hessian's diagonal, also H z along their probes z (forward-over-reverse:
  // the jvp of a function returning the gradients, with respect to the
  // parameters' globals), and Hutchinson's estimate z * (H z).
  SmallVector<Value> probes = llvm::map_to_vector(params, [&](ml_program::GlobalOp param) {
    return optimizer.buildHessianProbe(
        builder, loc, cast<RankedTensorType>(param.getType()), count, param.getSymName());
  });
  Value lossValue;
  SmallVector<Value> grads, hessianDiagonals(params.size());
  if (!probes.front()) {
    ValueAndGradOp valueAndGrad = gradientOfLoss();
    lossValue = valueAndGrad.getValue();
    llvm::append_range(grads, valueAndGrad.getGradients());
  } else {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPoint(func);
    auto gradientFunc = func::FuncOp::create(
        builder, loc, uniqueSymbol(module, name + "_gradient"),
        builder.getFunctionType(lossType.getInputs(), resultTypes));
    gradientFunc.setPrivate();
    builder.setInsertionPointToStart(gradientFunc.addEntryBlock());
    ValueAndGradOp inner = ValueAndGradOp::create(
        builder, loc, resultTypes, loss.getSymName(), gradientFunc.getArguments(),
        /*wrt=*/ArrayRef<int64_t>{}, builder.getArrayAttr(refs));
    func::ReturnOp::create(builder, loc, inner.getResults());
    builder.setInsertionPointToEnd(body);
    SmallVector<Type> jvpTypes(resultTypes);
    llvm::append_range(jvpTypes, resultTypes);
    auto jvp = JvpOp::create(builder, loc, jvpTypes, gradientFunc.getSymName(),
                             body->getArguments(), probes,
                             builder.getDenseI64ArrayAttr({}),
                             builder.getArrayAttr(refs));
    lossValue = jvp.getResult(0);
    for (size_t i = 0; i < params.size(); ++i) {
      grads.push_back(jvp.getResult(1 + i));
      Value hz = jvp.getResult(resultTypes.size() + 1 + i);
      hessianDiagonals[i] = MulOp::create(builder, loc, hz, probes[i]);
    }
  }

  auto load = [&](ml_program::GlobalOp global) -> Value {
    return ml_program::GlobalLoadOp::create(
        builder, loc, global.getType(), FlatSymbolRefAttr::get(global.getSymNameAttr()));
  };
  auto store = [&](ml_program::GlobalOp global, Value value) {
    ml_program::GlobalStoreOp::create(
        builder, loc, FlatSymbolRefAttr::get(global.getSymNameAttr()), value);
  };
  SmallVector<Value> sharedValues = llvm::map_to_vector(shared, load);

  // Every parameter and its gradient in the update's element type.
  struct Operands {
    Value param, grad;
    SmallVector<Value> state;
  };
  SmallVector<Operands> operands;
  for (auto [i, param] : llvm::enumerate(params)) {
    Type element = updateElementType(cast<ShapedType>(param.getType()));
    operands.push_back({castTo(builder, loc, load(param), element),
                        castTo(builder, loc, grads[i], element),
                        {}});
  }

  // Statistics summed over the parameters (reduce, then map).
  auto sumOverParams =
      [&](function_ref<SmallVector<Value>(Operands &)> statisticsOf) {
        SmallVector<Value> sums;
        for (Operands &p : operands) {
          SmallVector<Value> statistics = statisticsOf(p);
          if (sums.empty())
            sums = statistics;
          else
            for (auto [sum, value] : llvm::zip_equal(sums, statistics))
              sum = AddOp::create(builder, loc, sum, value);
        }
        return sums;
      };

  // The gradient transforms, each on the previous one's output.
  for (auto [transform, globals] : llvm::zip_equal(transforms, transformState)) {
    for (auto [p, slots] : llvm::zip_equal(operands, globals))
      p.state = llvm::map_to_vector(slots, load);
    SmallVector<Value> sums = sumOverParams([&, transform = transform](Operands &p) {
      return transform.buildStatistics(builder, loc, p.param, p.grad, p.state,
                                       count);
    });
    // The gradient at other points: the parameters' globals hold the points
    // while the loss is differentiated there; the update stores the new
    // parameters (from p.param, the values before) afterwards.
    SmallVector<Value> points;
    for (Operands &p : operands)
      if (Value point = transform.buildGradientPoint(builder, loc, p.param,
                                                     p.grad, sums, count))
        points.push_back(point);
    if (!points.empty()) {
      for (auto [param, point] : llvm::zip_equal(params, points))
        store(param, castTo(builder, loc, point,
                            cast<ShapedType>(param.getType()).getElementType()));
      ValueAndGradOp there = gradientOfLoss();
      for (auto [p, grad] : llvm::zip_equal(operands, there.getGradients()))
        p.grad = castTo(builder, loc, grad,
                        cast<ShapedType>(p.param.getType()).getElementType());
    }
    for (auto [param, p, slots] : llvm::zip_equal(params, operands, globals)) {
      SmallVector<Value> results = transform.buildTransform(
          builder, loc, p.param, p.grad, p.state, sums, count, param.getSymName());
      p.param = results[0];
      p.grad = results[1];
      for (auto [slot, value] : llvm::zip_equal(slots, ArrayRef(results).drop_front(2)))
        store(slot, value);
    }
  }

  for (auto [p, slots] : llvm::zip_equal(operands, state))
    p.state = llvm::map_to_vector(slots, load);
  SmallVector<Value> sums = sumOverParams([&](Operands &p) {
    return optimizer.buildStatistics(builder, loc, p.param, p.grad, p.state,
                                     sharedValues, count);
  });

  for (auto [param, p, slots, hessianDiagonal] :
       llvm::zip_equal(params, operands, state, hessianDiagonals)) {
    Type element = cast<ShapedType>(p.param.getType()).getElementType();
    SmallVector<Value> updated = optimizer.buildUpdate(
        builder, loc, p.param, p.grad, p.state, sharedValues, sums, count,
        hessianDiagonal ? castTo(builder, loc, hessianDiagonal, element) : Value());
    Type paramElement = cast<ShapedType>(param.getType()).getElementType();
    store(param, castTo(builder, loc, updated[0], paramElement));
    for (auto [slot, newValue] : llvm::zip_equal(slots, ArrayRef(updated).drop_front()))
      store(slot, newValue);
  }
  for (auto [global, newValue] : llvm::zip_equal(
           shared, optimizer.buildSharedUpdate(builder, loc, sharedValues, sums, count)))
    store(global, newValue);
  func::ReturnOp::create(builder, loc, lossValue);

  // Optimizers that evaluate elsewhere than they train (Schedule-Free's x
  // and y) get two functions that turn every parameter into its evaluation
  // view and back, marked for the driver with `tg.parameter_view`.
  for (bool toEval : {true, false}) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointAfter(func);
    auto view = func::FuncOp::create(
        builder, loc,
        uniqueSymbol(module, name + (toEval ? "_eval_view" : "_train_view")),
        builder.getFunctionType({}, {}));
    view->setAttr(kParameterViewAttrName,
                  builder.getStringAttr(toEval ? "eval" : "train"));
    builder.setInsertionPointToStart(view.addEntryBlock());
    Value count = load(counter);
    bool any = false;
    for (auto [param, slots] : llvm::zip_equal(params, state)) {
      auto paramType = cast<ShapedType>(param.getType());
      Value value = castTo(builder, loc, load(param), updateElementType(paramType));
      if (Value viewed = optimizer.buildParameterView(
              builder, loc, value, llvm::map_to_vector(slots, load), count, toEval)) {
        store(param, castTo(builder, loc, viewed, paramType.getElementType()));
        any = true;
      }
    }
    func::ReturnOp::create(builder, loc);
    if (!any)
      view.erase();
  }
  return success();
}

struct TGExpandTrainStepPass
    : tg::impl::TGExpandTrainStepBase<TGExpandTrainStepPass> {
  void runOnOperation() override {
    SmallVector<TrainStepOp> steps;
    getOperation()->walk([&](TrainStepOp step) { steps.push_back(step); });
    SymbolTableCollection symbolTable;
    for (TrainStepOp step : steps)
      if (failed(expandTrainStep(step, symbolTable)))
        return signalPassFailure();
  }
};

} // namespace
