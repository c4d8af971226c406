//===- Autodiff.cpp - reverse and forward mode automatic differentiation --===//
//
// Replaces tg.grad / tg.value_and_grad / tg.jvp by calls to generated
// functions. A derivative function starts as a copy of the callee with every
// call inlined and every composite op without its own rule decomposed, so it
// is one straight-line block of ops with derivative rules. Then:
//
//  * reverse mode: activity analysis keeps only values that depend on a
//    differentiated input and reach the result; a backward sweep over the
//    active ops, in reverse, applies each op's vjp rule to the accumulated
//    cotangents (fan-out adds). Forward values are reused by the rules.
//  * forward mode: a sweep in program order applies each op's jvp rule.
//
// The generated functions are tg again, so they can be differentiated in
// turn (tg.jvp of a function holding tg.grad gives Hessian-vector products).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGAUTODIFF
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

bool isDerivativeOp(Operation *op) { return isa<GradOp, ValueAndGradOp, JvpOp>(op); }

/// Inlines every func.call in `func` (transitively). Fails on recursion.
LogicalResult inlineCalls(func::FuncOp func, SymbolTableCollection &symbolTable) {
  constexpr int kMaxInlinedCalls = 100000;
  for (int inlined = 0;; ++inlined) {
    func::CallOp call;
    func.walk([&](func::CallOp c) {
      call = c;
      return WalkResult::interrupt();
    });
    if (!call)
      return success();
    if (inlined == kMaxInlinedCalls)
      return call.emitError("cannot differentiate through recursive calls");
    auto callee = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
    if (!callee || callee.isExternal())
      return call.emitError() << "cannot differentiate through a call to "
                              << call.getCalleeAttr() << ": no function body";
    if (!callee.getBody().hasOneBlock())
      return callee.emitError("cannot differentiate a function with several blocks");
    Block &body = callee.getBody().front();
    IRMapping mapping;
    mapping.map(body.getArguments(), call.getOperands());
    OpBuilder builder(call);
    for (Operation &op : body.without_terminator())
      builder.clone(op, mapping);
    SmallVector<Value> results;
    for (Value v : body.getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(v));
    call.replaceAllUsesWith(results);
    call.erase();
  }
}

/// Replaces composite ops that have no derivative rule of their own by their
/// decomposition into core ops.
LogicalResult decomposeWithoutRules(func::FuncOp func) {
  SmallVector<DecomposableOpInterface> composites;
  func.walk([&](DecomposableOpInterface op) {
    if (!isa<DifferentiableOpInterface>(op.getOperation()))
      composites.push_back(op);
  });
  for (DecomposableOpInterface op : composites) {
    OpBuilder builder(op);
    SmallVector<Value> replacements = op.decompose(builder);
    if (replacements.size() != op->getNumResults())
      return op->emitError("could not be decomposed for differentiation");
    op->replaceAllUsesWith(replacements);
    op->erase();
  }
  return success();
}

/// Erases ops without uses or side effects, last first.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (op.use_empty() && isMemoryEffectFree(&op) && !op.hasTrait<OpTrait::IsTerminator>())
      op.erase();
}

/// Copies `callee` to a new private function `name` of type `type`, ready to
/// differentiate: calls inlined, composites without rules decomposed.
FailureOr<func::FuncOp> cloneForDifferentiation(func::FuncOp callee, StringRef name,
                                                ModuleOp module,
                                                SymbolTableCollection &symbolTable) {
  if (callee.isExternal())
    return callee.emitError("cannot differentiate a function without a body");
  if (!callee.getBody().hasOneBlock())
    return callee.emitError("cannot differentiate a function with several blocks");
  OpBuilder builder(module.getBodyRegion());
  builder.setInsertionPointAfter(callee);
  auto clone = cast<func::FuncOp>(builder.clone(*callee));
  clone.setPrivate();
  SymbolTable &table = symbolTable.getSymbolTable(module);
  clone.setSymName(name);
  table.insert(clone);
  if (failed(inlineCalls(clone, symbolTable)) || failed(decomposeWithoutRules(clone))) {
    clone.erase();
    return failure();
  }
  return clone;
}

/// A fresh symbol name `base_suffix`, `base_suffix_1`, ...
std::string uniqueName(ModuleOp module, StringRef base) {
  std::string name = base.str();
  for (int i = 1; module.lookupSymbol(name); ++i)
    name = (base + "_" + Twine(i)).str();
  return name;
}

//===----------------------------------------------------------------------===//
// Reverse mode
//===----------------------------------------------------------------------===//

/// Cotangents accumulated during the backward sweep.
class Cotangents {
public:
  explicit Cotangents(OpBuilder &builder) : builder(builder) {}

  Value get(Value v) const { return map.lookup(v); }
  void accumulate(Value v, Value cotangent, Location loc) {
    Value &slot = map[v];
    slot = slot ? Value(AddOp::create(builder, loc, slot, cotangent)) : cotangent;
  }

private:
  OpBuilder &builder;
  llvm::DenseMap<Value, Value> map;
};

/// Values that depend on a differentiated input and reach the result.
llvm::DenseSet<Value> findActiveValues(Block &block, ArrayRef<Value> seeds,
                                       Value result) {
  llvm::DenseSet<Value> varied(seeds.begin(), seeds.end());
  for (Operation &op : block) {
    if (llvm::any_of(op.getOperands(), [&](Value v) { return varied.contains(v); }))
      for (Value r : op.getResults())
        if (isFloatTensor(r))
          varied.insert(r);
  }
  llvm::DenseSet<Value> useful{result};
  for (Operation &op : llvm::reverse(block))
    if (llvm::any_of(op.getResults(), [&](Value v) { return useful.contains(v); }))
      for (Value operand : op.getOperands())
        useful.insert(operand);
  llvm::DenseSet<Value> active;
  for (Value v : varied)
    if (useful.contains(v) && isFloatTensor(v))
      active.insert(v);
  return active;
}

/// Builds the reverse-mode function of a tg.grad or tg.value_and_grad:
/// (callee's arguments) -> ([value,] gradients...).
template <typename OpT>
FailureOr<func::FuncOp> buildGradientFunction(OpT op, bool returnValue,
                                              ModuleOp module,
                                              SymbolTableCollection &symbolTable) {
  func::FuncOp callee = op.getCalleeFunc(symbolTable);
  FailureOr<func::FuncOp> cloned = cloneForDifferentiation(
      callee, uniqueName(module, callee.getSymName().str() + "_grad"), module,
      symbolTable);
  if (failed(cloned))
    return failure();
  func::FuncOp func = *cloned;
  Block &block = func.getBody().front();
  Operation *terminator = block.getTerminator();
  Value result = terminator->getOperand(0);

  // Seeds: the differentiated arguments and every load of a differentiated global.
  SmallVector<Value> seeds;
  for (int64_t position : op.getWrt())
    seeds.push_back(block.getArgument(position));
  llvm::StringMap<SmallVector<Value>> globalLoads;
  llvm::StringSet<> wanted;
  for (auto ref : op.getGlobalRefs())
    wanted.insert(ref.getValue());
  block.walk([&](ml_program::GlobalLoadOp load) {
    StringRef name = load.getGlobal().getLeafReference();
    if (wanted.contains(name)) {
      seeds.push_back(load.getResult());
      globalLoads[name].push_back(load.getResult());
    }
  });
  llvm::DenseSet<Value> active = findActiveValues(block, seeds, result);

  OpBuilder builder(terminator);
  Location loc = op.getLoc();
  Cotangents cotangents(builder);
  if (active.contains(result))
    cotangents.accumulate(result, splat(builder, loc, result.getType(), 1.0), loc);

  SmallVector<Operation *> forward;
  for (Operation &inner : block.without_terminator())
    forward.push_back(&inner);
  for (Operation *inner : llvm::reverse(forward)) {
    SmallVector<Value> resultCotangents;
    bool any = false;
    for (Value r : inner->getResults()) {
      Value ct = active.contains(r) ? cotangents.get(r) : Value();
      resultCotangents.push_back(ct);
      any |= bool(ct);
    }
    if (!any || isa<ml_program::GlobalLoadOp>(inner))
      continue;
    auto differentiable = dyn_cast<DifferentiableOpInterface>(inner);
    if (!differentiable) {
      InFlightDiagnostic diag = inner->emitError()
                                << "cannot differentiate through '"
                                << inner->getName() << "': it has no derivative rule";
      diag.attachNote(op.getLoc()) << "differentiated here";
      func.erase();
      return failure();
    }
    SmallVector<Value> operandCotangents = differentiable.vjp(builder, resultCotangents);
    for (auto [operand, ct] : llvm::zip(inner->getOperands(), operandCotangents))
      if (ct && active.contains(operand))
        cotangents.accumulate(operand, ct, inner->getLoc());
  }

  // The gradient of a global sums the cotangents of all its loads.
  SmallVector<Value> results;
  if (returnValue)
    results.push_back(result);
  for (int64_t position : op.getWrt()) {
    Value arg = block.getArgument(position);
    Value grad = cotangents.get(arg);
    results.push_back(grad ? grad : splat(builder, loc, arg.getType(), 0.0));
  }
  for (auto ref : op.getGlobalRefs()) {
    Value grad;
    for (Value load : globalLoads.lookup(ref.getValue()))
      if (Value ct = cotangents.get(load))
        grad = grad ? Value(AddOp::create(builder, loc, grad, ct)) : ct;
    if (!grad) {
      auto global = symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(op, ref);
      grad = splat(builder, loc, global.getType(), 0.0);
    }
    results.push_back(grad);
  }
  func::ReturnOp::create(builder, terminator->getLoc(), results);
  terminator->erase();
  eraseDeadOps(block);
  func.setFunctionType(builder.getFunctionType(block.getArgumentTypes(),
                                               TypeRange(ValueRange(results))));
  return func;
}

//===----------------------------------------------------------------------===//
// Forward mode
//===----------------------------------------------------------------------===//

/// Builds the forward-mode function of a tg.jvp:
/// (arguments..., tangents...) -> (results..., result tangents...).
FailureOr<func::FuncOp> buildJvpFunction(JvpOp op, ModuleOp module,
                                         SymbolTableCollection &symbolTable) {
  func::FuncOp callee = op.getCalleeFunc(symbolTable);
  FailureOr<func::FuncOp> cloned = cloneForDifferentiation(
      callee, uniqueName(module, callee.getSymName().str() + "_jvp"), module,
      symbolTable);
  if (failed(cloned))
    return failure();
  func::FuncOp func = *cloned;
  Block &block = func.getBody().front();
  Operation *terminator = block.getTerminator();

  llvm::DenseMap<Value, Value> tangents;
  for (int64_t position : op.getWrtPositions(callee.getFunctionType())) {
    Value arg = block.getArgument(position);
    tangents[arg] = block.addArgument(arg.getType(), arg.getLoc());
  }

  SmallVector<Operation *> forward;
  for (Operation &inner : block.without_terminator())
    forward.push_back(&inner);
  OpBuilder builder(op.getContext());
  for (Operation *inner : forward) {
    SmallVector<Value> operandTangents;
    bool any = false;
    for (Value operand : inner->getOperands()) {
      operandTangents.push_back(tangents.lookup(operand));
      any |= bool(operandTangents.back());
    }
    if (!any || llvm::none_of(inner->getResults(), isFloatTensor))
      continue;
    auto differentiable = dyn_cast<DifferentiableOpInterface>(inner);
    if (!differentiable) {
      InFlightDiagnostic diag = inner->emitError()
                                << "cannot differentiate through '"
                                << inner->getName() << "': it has no derivative rule";
      diag.attachNote(op.getLoc()) << "differentiated here";
      func.erase();
      return failure();
    }
    builder.setInsertionPointAfter(inner);
    SmallVector<Value> resultTangents = differentiable.jvp(builder, operandTangents);
    for (auto [r, t] : llvm::zip(inner->getResults(), resultTangents))
      if (t)
        tangents[r] = t;
  }

  builder.setInsertionPoint(terminator);
  SmallVector<Value> results(terminator->getOperands());
  for (Value r : terminator->getOperands()) {
    Value t = tangents.lookup(r);
    results.push_back(t ? t : splat(builder, op.getLoc(), r.getType(), 0.0));
  }
  func::ReturnOp::create(builder, terminator->getLoc(), results);
  terminator->erase();
  eraseDeadOps(block);
  func.setFunctionType(builder.getFunctionType(block.getArgumentTypes(),
                                               TypeRange(ValueRange(results))));
  return func;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// Whether `func` or a function it calls still holds a derivative op.
bool reachesDerivativeOp(func::FuncOp func, SymbolTableCollection &symbolTable,
                         llvm::SmallPtrSetImpl<Operation *> &visited) {
  if (!visited.insert(func).second)
    return false;
  bool found = false;
  func.walk([&](Operation *op) {
    if (isDerivativeOp(op))
      found = true;
    else if (auto call = dyn_cast<func::CallOp>(op))
      if (auto callee = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr()))
        found |= reachesDerivativeOp(callee, symbolTable, visited);
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

struct TGAutodiffPass : tg::impl::TGAutodiffBase<TGAutodiffPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Innermost first: differentiate a function only once the functions it
    // reaches hold no derivative op of their own.
    while (true) {
      SymbolTableCollection symbolTable;
      SmallVector<Operation *> pending;
      module.walk([&](Operation *op) {
        if (isDerivativeOp(op))
          pending.push_back(op);
      });
      if (pending.empty())
        return;
      bool progress = false;
      for (Operation *op : pending) {
        auto callee = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(
            op, op->getAttrOfType<FlatSymbolRefAttr>("callee"));
        llvm::SmallPtrSet<Operation *, 8> visited;
        if (reachesDerivativeOp(callee, symbolTable, visited))
          continue;
        if (failed(expand(op, module, symbolTable)))
          return signalPassFailure();
        progress = true;
      }
      if (!progress) {
        pending.front()->emitError("derivative ops differentiate each other in a cycle");
        return signalPassFailure();
      }
    }
  }

  LogicalResult expand(Operation *op, ModuleOp module,
                       SymbolTableCollection &symbolTable) {
    FailureOr<func::FuncOp> derivative =
        TypeSwitch<Operation *, FailureOr<func::FuncOp>>(op)
            .Case([&](GradOp grad) {
              return buildGradientFunction(grad, false, module, symbolTable);
            })
            .Case([&](ValueAndGradOp grad) {
              return buildGradientFunction(grad, true, module, symbolTable);
            })
            .Case([&](JvpOp jvp) { return buildJvpFunction(jvp, module, symbolTable); });
    if (failed(derivative))
      return failure();
    OpBuilder builder(op);
    // A jvp's derivative function takes the inputs, then the tangents: its
    // operands in order, as for grad and value_and_grad.
    auto call = func::CallOp::create(builder, op->getLoc(), *derivative,
                                     op->getOperands());
    op->replaceAllUsesWith(call.getResults());
    op->erase();
    return success();
  }
};

} // namespace
