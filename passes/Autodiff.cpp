//===- Autodiff.cpp - reverse and forward mode automatic differentiation --===//
//
// Replaces tg.grad / tg.value_and_grad / tg.jvp by calls to generated
// functions. A derivative function starts as a copy of the callee with every
// call inlined and every composite op decomposed (but tg.attention under
// keep-attention, whose rules build a tg.attention_grad or recompute its
// weights), so it is one straight-line block of ops with derivative rules.
// Then:
//
//  * reverse mode: activity analysis keeps only values that depend on a
//    differentiated input and reach the result; a backward sweep over the
//    active ops, in reverse, applies each op's vjp rule to the accumulated
//    cotangents (fan-out adds). Forward values are reused by the rules.
//  * forward mode: a sweep in program order applies each op's jvp rule.
//
// The generated functions are tg again, so they can be differentiated in
// turn (tg.jvp of a function holding tg.grad gives Hessian-vector products;
// with `globals`, with respect to the parameters).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "tg/Decomposition.h"
#include "tg/Derivatives.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MLProgram/IR/MLProgram.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/RegionUtils.h"
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

/// Float tensors and float scalars: what can carry a derivative. Scalars
/// only appear when a program leaves tg (tensor.extract, arith), where they
/// make differentiation stop with a "no derivative rule" error instead of
/// silently dropping the path.
bool isFloatValue(Value value) {
  return isa<FloatType>(getElementTypeOrSelf(value.getType()));
}

bool isDerivativeOp(Operation *op) { return isa<GradOp, ValueAndGradOp, JvpOp>(op); }

/// Fails at the first call that closes a cycle in the call graph below
/// `func` (`onStack` holds the functions on the current path).
LogicalResult checkNoRecursion(func::FuncOp func, SymbolTableCollection &symbolTable,
                               llvm::SmallPtrSetImpl<Operation *> &onStack,
                               llvm::SmallPtrSetImpl<Operation *> &done) {
  if (done.contains(func))
    return success();
  onStack.insert(func);
  WalkResult result = func.walk([&](func::CallOp call) {
    auto callee = symbolTable.lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
    if (!callee)
      return WalkResult::advance();
    if (onStack.contains(callee)) {
      call.emitError("cannot differentiate through recursive calls");
      return WalkResult::interrupt();
    }
    return failed(checkNoRecursion(callee, symbolTable, onStack, done))
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  onStack.erase(func);
  done.insert(func);
  return failure(result.wasInterrupted());
}

/// Inlines every func.call in `func` (transitively); the call graph below it
/// must be acyclic.
LogicalResult inlineCalls(func::FuncOp func, SymbolTableCollection &symbolTable) {
  llvm::SmallPtrSet<Operation *, 8> onStack, done;
  if (failed(checkNoRecursion(func, symbolTable, onStack, done)))
    return failure();
  while (true) {
    func::CallOp call;
    func.walk([&](func::CallOp c) {
      call = c;
      return WalkResult::interrupt();
    });
    if (!call)
      return success();
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

/// Autodiff builds zeros and tapes of known size: every tensor in the
/// function must have a static shape.
LogicalResult checkStaticShapes(func::FuncOp func) {
  auto check = [](Value value, Location loc) -> LogicalResult {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || type.hasStaticShape())
      return success();
    return emitError(loc) << "cannot differentiate a value of type " << type
                          << ": automatic differentiation needs static shapes";
  };
  for (BlockArgument arg : func.getArguments())
    if (failed(check(arg, func.getLoc())))
      return failure();
  WalkResult result = func.walk([&](Operation *op) {
    for (Value r : op->getResults())
      if (failed(check(r, op->getLoc())))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Replaces composite ops that have no derivative rule of their own by their
/// decomposition into core ops, as tg-decompose builds it (a step computes
/// what an evaluation of the function computes); tg.attention's rule (one
/// tg.attention_grad) is only used with `keepAttention`.
LogicalResult decomposeWithoutRules(func::FuncOp func, bool keepAttention) {
  SmallVector<DecomposableOpInterface> composites;
  func.walk([&](DecomposableOpInterface op) {
    bool hasRule = isa<DifferentiableOpInterface>(op.getOperation()) &&
                   (keepAttention || !isa<AttentionOp>(op.getOperation()));
    if (!hasRule)
      composites.push_back(op);
  });
  IRRewriter rewriter(func.getContext());
  for (DecomposableOpInterface op : composites) {
    FailureOr<SmallVector<Value>> replacements = decomposeComposite(rewriter, op);
    if (failed(replacements))
      return op->emitOpError("could not be decomposed for differentiation");
    rewriter.replaceOp(op, *replacements);
  }
  return success();
}

/// The ops on f16/bf16 whose derivative rule takes several operations
/// compute in f32 between tg.casts (the forward as its lowering computes
/// it anyway), so that the rule's ops are f32 and the gradient is rounded
/// once, at the cast, as PyTorch's backward kernels (gelu_backward,
/// tanh_backward...) compute in f32 and round once.
void widenMultiOpRules(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) {
    if (isa<TanhOp, SigmoidOp, SiluOp, GeluOp, ErfOp, SqrtOp, RsqrtOp, SinOp, CosOp, DivOp>(op))
      ops.push_back(op);
  });
  IRRewriter rewriter(func.getContext());
  for (Operation *op : ops)
    (void)computeInF32(rewriter, op); // ops without half types stay
}

/// Copies `callee` to a new private function `name` of type `type`, ready to
/// differentiate: calls inlined, composites without rules decomposed,
/// half-precision ops with multi-operation rules widened.
FailureOr<func::FuncOp> cloneForDifferentiation(func::FuncOp callee, StringRef name,
                                                ModuleOp module, SymbolTableCollection &symbolTable,
                                                bool keepAttention) {
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
  if (failed(inlineCalls(clone, symbolTable)) || failed(checkStaticShapes(clone)) ||
      failed(decomposeWithoutRules(clone, keepAttention))) {
    clone.erase();
    return failure();
  }
  widenMultiOpRules(clone);
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
// Loops
//===----------------------------------------------------------------------===//

/// Values defined outside `loop` that its body uses.
SmallVector<Value> capturedValues(scf::ForOp loop) {
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(loop.getRegion(), captured);
  return captured.takeVector();
}

/// The values an op reads: its operands and what its regions capture.
SmallVector<Value> inputsOf(Operation &op) {
  SmallVector<Value> inputs(op.getOperands());
  llvm::SetVector<Value> captured;
  for (Region &region : op.getRegions())
    getUsedValuesDefinedAbove(region, captured);
  llvm::append_range(inputs, captured);
  return inputs;
}

/// The trip count of a loop with constant bounds.
FailureOr<int64_t> staticTripCount(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!lb || !ub || !step || *step <= 0)
    return loop.emitError("cannot differentiate a loop whose bounds and step "
                          "are not constants");
  return std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step);
}

bool isStaticTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape();
}

/// The iteration number (0, 1, ...) of induction variable `iv`.
Value iterationIndex(OpBuilder &builder, Location loc, scf::ForOp loop, Value iv) {
  Value offset = arith::SubIOp::create(builder, loc, iv, loop.getLowerBound());
  return arith::DivUIOp::create(builder, loc, offset, loop.getStep());
}

/// A forward loop rewritten to record, per iteration, every tensor value of
/// its body (iteration arguments and op results) into a tape of shape
/// [trip count, ...]; the backward loop reads forward values from it instead
/// of recomputing them. With rematerialization only the iteration arguments
/// are recorded and the backward loop recomputes the body from them.
struct TapedLoop {
  scf::ForOp loop;
  int64_t tripCount;
  SmallVector<Operation *> bodyOps;       // the original ops, cloned
  llvm::DenseMap<Value, Value> tapeOf;    // body value -> its tape (a loop result)
};

FailureOr<TapedLoop> recordTape(scf::ForOp loop, bool rematerialize) {
  FailureOr<int64_t> tripCount = staticTripCount(loop);
  if (failed(tripCount))
    return failure();
  Block *body = loop.getBody();
  SmallVector<Value> taped;
  for (Value arg : loop.getRegionIterArgs())
    if (isStaticTensor(arg))
      taped.push_back(arg);
  for (Operation &op : body->without_terminator()) {
    if (op.getNumRegions() != 0)
      return op.emitError("cannot differentiate nested regions inside a loop body");
    if (!rematerialize)
      for (Value r : op.getResults())
        if (isStaticTensor(r))
          taped.push_back(r);
  }

  Location loc = loop.getLoc();
  OpBuilder builder(loop);
  SmallVector<Value> inits(loop.getInitArgs());
  for (Value v : taped) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape = {*tripCount};
    llvm::append_range(shape, type.getShape());
    inits.push_back(splat(builder, loc, RankedTensorType::get(shape, type.getElementType()), 0.0));
  }
  auto taping = scf::ForOp::create(builder, loc, loop.getLowerBound(),
                                   loop.getUpperBound(), loop.getStep(), inits);
  Block *newBody = taping.getBody();
  if (!newBody->empty())
    newBody->getTerminator()->erase();
  IRMapping mapping;
  mapping.map(loop.getInductionVar(), taping.getInductionVar());
  unsigned numCarried = loop.getNumRegionIterArgs();
  mapping.map(loop.getRegionIterArgs(),
              taping.getRegionIterArgs().take_front(numCarried));
  builder.setInsertionPointToEnd(newBody);
  TapedLoop result;
  result.loop = taping;
  result.tripCount = *tripCount;
  for (Operation &op : body->without_terminator())
    result.bodyOps.push_back(builder.clone(op, mapping));

  Value index = iterationIndex(builder, loc, taping, taping.getInductionVar());
  SmallVector<Value> yields;
  for (Value v : body->getTerminator()->getOperands())
    yields.push_back(mapping.lookupOrDefault(v));
  for (auto [i, v] : llvm::enumerate(taped)) {
    Value tape = taping.getRegionIterArgs()[numCarried + i];
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<OpFoldResult> offsets(type.getRank() + 1, builder.getIndexAttr(0));
    offsets[0] = index;
    SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1)};
    for (int64_t d : type.getShape())
      sizes.push_back(builder.getIndexAttr(d));
    SmallVector<OpFoldResult> strides(type.getRank() + 1, builder.getIndexAttr(1));
    yields.push_back(tensor::InsertSliceOp::create(builder, loc, mapping.lookup(v), tape,
                                                   offsets, sizes, strides));
    result.tapeOf[mapping.lookup(v)] = taping.getResult(numCarried + i);
  }
  scf::YieldOp::create(builder, loc, yields);
  loop.replaceAllUsesWith(taping.getResults().take_front(numCarried));
  loop.erase();
  return result;
}

/// Reads iteration `index` of `tape` ([n, ...] -> [...]).
Value readTape(OpBuilder &builder, Location loc, Value tape, Value index) {
  auto tapeType = cast<RankedTensorType>(tape.getType());
  auto type = RankedTensorType::get(tapeType.getShape().drop_front(),
                                    tapeType.getElementType());
  SmallVector<OpFoldResult> offsets(tapeType.getRank(), builder.getIndexAttr(0));
  offsets[0] = index;
  SmallVector<OpFoldResult> sizes = {builder.getIndexAttr(1)};
  for (int64_t d : type.getShape())
    sizes.push_back(builder.getIndexAttr(d));
  SmallVector<OpFoldResult> strides(tapeType.getRank(), builder.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(builder, loc, type, tape, offsets, sizes, strides);
}

Value indexConstant(OpBuilder &builder, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(builder, loc, value);
}

/// Erases ops without uses or side effects in `block` and nested blocks.
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block))) {
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        eraseDeadOps(nested);
    if (op.use_empty() && isMemoryEffectFree(&op) &&
        !op.hasTrait<OpTrait::IsTerminator>())
      op.erase();
  }
}

/// The "no derivative rule" diagnostic, with a note at the derivative op.
LogicalResult noRule(Operation *inner, Operation *derivativeOp) {
  InFlightDiagnostic diag = inner->emitError()
                            << "cannot differentiate through '" << inner->getName()
                            << "': it has no derivative rule";
  diag.attachNote(derivativeOp->getLoc()) << "differentiated here";
  return diag;
}

//===----------------------------------------------------------------------===//
// Reverse mode
//===----------------------------------------------------------------------===//

/// Cotangents accumulated during a backward sweep (fan-out adds).
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
    if (llvm::any_of(inputsOf(op), [&](Value v) { return varied.contains(v); }))
      for (Value r : op.getResults())
        if (isFloatValue(r))
          varied.insert(r);
  }
  llvm::DenseSet<Value> useful{result};
  for (Operation &op : llvm::reverse(block))
    if (llvm::any_of(op.getResults(), [&](Value v) { return useful.contains(v); }))
      for (Value input : inputsOf(op))
        useful.insert(input);
  llvm::DenseSet<Value> active;
  for (Value v : varied)
    if (useful.contains(v))
      active.insert(v);
  return active;
}

/// Applies `op`'s vjp rule to `resultCotangents` and adds the operand
/// cotangents into `cotangents` (for operands `wanted` accepts).
LogicalResult backpropagate(Operation *op, ArrayRef<Value> resultCotangents,
                            OpBuilder &builder, Cotangents &cotangents,
                            function_ref<bool(Value)> wanted,
                            Operation *derivativeOp) {
  auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
  if (!differentiable)
    return noRule(op, derivativeOp);
  SmallVector<Value> operandCotangents = differentiable.vjp(builder, resultCotangents);
  for (auto [operand, ct] : llvm::zip(op->getOperands(), operandCotangents))
    if (ct && wanted(operand))
      cotangents.accumulate(operand, ct, op->getLoc());
  return success();
}

/// Backpropagates through a taped loop: a loop over the iterations in
/// reverse whose body applies each body op's vjp rule to forward values read
/// from the tape. It carries the cotangents of the iteration arguments and
/// accumulates those of the values the body captures.
LogicalResult backpropagateLoop(TapedLoop &taped, OpBuilder &builder,
                                Cotangents &cotangents,
                                const llvm::DenseSet<Value> &active,
                                Operation *derivativeOp) {
  scf::ForOp loop = taped.loop;
  Location loc = loop.getLoc();
  unsigned numCarried = loop.getNumRegionIterArgs() - taped.tapeOf.size();
  SmallVector<unsigned> carried; // positions of float iteration arguments
  SmallVector<Value> inits;
  for (unsigned i = 0; i < numCarried; ++i) {
    Value result = loop.getResult(i);
    if (!isFloatTensor(result))
      continue;
    carried.push_back(i);
    Value ct = cotangents.get(result);
    inits.push_back(ct ? ct : splat(builder, loc, result.getType(), 0.0));
  }
  SmallVector<Value> captured;
  for (Value v : capturedValues(loop))
    if (active.contains(v)) {
      captured.push_back(v);
      inits.push_back(splat(builder, loc, v.getType(), 0.0));
    }

  Value zero = indexConstant(builder, loc, 0);
  Value one = indexConstant(builder, loc, 1);
  Value count = indexConstant(builder, loc, taped.tripCount);
  auto backward = scf::ForOp::create(builder, loc, zero, count, one, inits);
  Block *body = backward.getBody();
  if (!body->empty())
    body->getTerminator()->erase();
  OpBuilder inner = OpBuilder::atBlockEnd(body);

  // Iteration k = n - 1 - j of the forward loop, and its forward values.
  Value last = indexConstant(inner, loc, taped.tripCount - 1);
  Value k = arith::SubIOp::create(inner, loc, last, backward.getInductionVar());
  IRMapping forward;
  Value iv = arith::AddIOp::create(
      inner, loc, loop.getLowerBound(),
      arith::MulIOp::create(inner, loc, k, loop.getStep()));
  forward.map(loop.getInductionVar(), iv);
  for (auto [value, tape] : taped.tapeOf)
    forward.map(value, readTape(inner, loc, tape, k));
  // Index arithmetic and other untaped scalars are recomputed.
  for (Operation *op : taped.bodyOps)
    if (llvm::none_of(op->getResults(), [&](Value r) { return taped.tapeOf.count(r); }))
      inner.clone(*op, forward);

  Cotangents local(inner);
  Operation *yield = loop.getBody()->getTerminator();
  for (auto [j, i] : llvm::enumerate(carried))
    local.accumulate(yield->getOperand(i), backward.getRegionIterArgs()[j], loc);

  // Body values that depend on the carried state or an active captured value.
  llvm::DenseSet<Value> varied(captured.begin(), captured.end());
  for (unsigned i : carried)
    varied.insert(loop.getRegionIterArgs()[i]);
  for (Operation *op : taped.bodyOps)
    if (llvm::any_of(op->getOperands(), [&](Value v) { return varied.contains(v); }))
      for (Value r : op->getResults())
        if (isFloatTensor(r))
          varied.insert(r);

  for (Operation *op : llvm::reverse(taped.bodyOps)) {
    SmallVector<Value> resultCotangents;
    bool any = false;
    for (Value r : op->getResults()) {
      resultCotangents.push_back(varied.contains(r) ? local.get(r) : Value());
      any |= bool(resultCotangents.back());
    }
    if (!any)
      continue;
    // The rule runs on a copy of the op whose operands are this iteration's
    // forward values; the copy's results are then redirected to the taped
    // ones, so nothing is recomputed.
    IRMapping scratch = forward; // cloning maps results: keep `forward` intact
    Operation *copy = inner.clone(*op, scratch);
    auto differentiable = dyn_cast<DifferentiableOpInterface>(copy);
    if (!differentiable) {
      copy->erase();
      return noRule(op, derivativeOp);
    }
    SmallVector<Value> operandCotangents = differentiable.vjp(inner, resultCotangents);
    for (auto [r, c] : llvm::zip(op->getResults(), copy->getResults()))
      c.replaceAllUsesWith(forward.lookupOrDefault(r));
    copy->erase();
    for (auto [operand, ct] : llvm::zip(op->getOperands(), operandCotangents))
      if (ct && varied.contains(operand))
        local.accumulate(operand, ct, op->getLoc());
  }

  SmallVector<Value> yields;
  for (unsigned i : carried) {
    Value arg = loop.getRegionIterArgs()[i];
    Value ct = local.get(arg);
    yields.push_back(ct ? ct : splat(inner, loc, arg.getType(), 0.0));
  }
  for (auto [c, v] : llvm::enumerate(captured)) {
    Value sum = backward.getRegionIterArgs()[carried.size() + c];
    if (Value ct = local.get(v))
      sum = AddOp::create(inner, loc, sum, ct);
    yields.push_back(sum);
  }
  scf::YieldOp::create(inner, loc, yields);

  for (auto [j, i] : llvm::enumerate(carried))
    if (active.contains(loop.getInitArgs()[i]))
      cotangents.accumulate(loop.getInitArgs()[i], backward.getResult(j), loc);
  for (auto [c, v] : llvm::enumerate(captured))
    cotangents.accumulate(v, backward.getResult(carried.size() + c), loc);
  return success();
}

/// Stops recording tapes that no backward rule reads: their slot becomes a
/// pass-through, which scf.for's canonicalization then removes.
LogicalResult pruneUnusedTapes(func::FuncOp func,
                               llvm::DenseMap<Operation *, TapedLoop> &tapes) {
  for (auto &[op, taped] : tapes) {
    scf::ForOp loop = taped.loop;
    unsigned numCarried = loop.getNumRegionIterArgs() - taped.tapeOf.size();
    Operation *yield = loop.getBody()->getTerminator();
    for (unsigned i = numCarried; i < loop.getNumRegionIterArgs(); ++i)
      if (loop.getResult(i).use_empty())
        yield->setOperand(i, loop.getRegionIterArgs()[i]);
  }
  RewritePatternSet patterns(func.getContext());
  scf::ForOp::getCanonicalizationPatterns(patterns, func.getContext());
  tensor::InsertSliceOp::getCanonicalizationPatterns(patterns, func.getContext());
  return applyPatternsGreedily(func, std::move(patterns));
}

/// Builds the reverse-mode function of a tg.grad or tg.value_and_grad:
/// (callee's arguments) -> ([value,] gradients...).
template <typename OpT>
FailureOr<func::FuncOp> buildGradientFunction(OpT op, bool returnValue, bool rematerializeLoops,
                                              bool keepAttention, ModuleOp module,
                                              SymbolTableCollection &symbolTable) {
  func::FuncOp callee = op.getCalleeFunc(symbolTable);
  FailureOr<func::FuncOp> cloned =
      cloneForDifferentiation(callee, uniqueName(module, callee.getSymName().str() + "_grad"),
                              module, symbolTable, keepAttention);
  if (failed(cloned))
    return failure();
  func::FuncOp func = *cloned;
  auto fail = [&]() {
    func.erase();
    return failure();
  };
  Block &block = func.getBody().front();
  Operation *terminator = block.getTerminator();
  Value result = terminator->getOperand(0);

  // Seeds: the differentiated arguments and every load of a differentiated global.
  SmallVector<Value> seeds;
  for (int64_t position : op.getWrt())
    seeds.push_back(block.getArgument(position));
  llvm::StringMap<SmallVector<Value>> globalLoads;
  llvm::StringSet<> wanted;
  for (FlatSymbolRefAttr ref : op.getGlobalRefs())
    wanted.insert(ref.getValue());
  block.walk([&](ml_program::GlobalLoadOp load) {
    StringRef name = load.getGlobal().getLeafReference();
    if (wanted.contains(name)) {
      seeds.push_back(load.getResult());
      globalLoads[name].push_back(load.getResult());
    }
  });
  llvm::DenseSet<Value> active = findActiveValues(block, seeds, result);

  // Loops on the active path record their forward values first.
  llvm::DenseMap<Operation *, TapedLoop> tapes;
  SmallVector<scf::ForOp> loops;
  for (auto loop : block.getOps<scf::ForOp>())
    if (llvm::any_of(loop.getResults(), [&](Value r) { return active.contains(r); }))
      loops.push_back(loop);
  for (scf::ForOp loop : loops) {
    FailureOr<TapedLoop> taped = recordTape(loop, rematerializeLoops);
    if (failed(taped))
      return fail();
    // The taped loop's results replace the original's in the active set.
    for (Value r : taped->loop.getResults())
      if (isFloatTensor(r))
        active.insert(r);
    tapes[taped->loop] = std::move(*taped);
  }

  OpBuilder builder(terminator);
  Location loc = op.getLoc();
  Cotangents cotangents(builder);
  if (active.contains(result))
    cotangents.accumulate(result, splat(builder, loc, result.getType(), 1.0), loc);

  SmallVector<Operation *> forward;
  for (Operation &inner : block.without_terminator())
    forward.push_back(&inner);
  auto isActive = [&](Value v) { return active.contains(v); };
  for (Operation *inner : llvm::reverse(forward)) {
    SmallVector<Value> resultCotangents;
    bool any = false;
    for (Value r : inner->getResults()) {
      resultCotangents.push_back(active.contains(r) ? cotangents.get(r) : Value());
      any |= bool(resultCotangents.back());
    }
    if (!any || isa<ml_program::GlobalLoadOp>(inner))
      continue;
    auto taped = tapes.find(inner);
    LogicalResult done =
        taped != tapes.end()
            ? backpropagateLoop(taped->second, builder, cotangents, active, op)
            : backpropagate(inner, resultCotangents, builder, cotangents, isActive, op);
    if (failed(done))
      return fail();
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
  for (FlatSymbolRefAttr ref : op.getGlobalRefs()) {
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
  if (!tapes.empty() && failed(pruneUnusedTapes(func, tapes)))
    return fail();
  func.setFunctionType(builder.getFunctionType(block.getArgumentTypes(),
                                               TypeRange(ValueRange(results))));
  return func;
}

//===----------------------------------------------------------------------===//
// Forward mode
//===----------------------------------------------------------------------===//

/// The tangents of differentiated globals, by name: each load of one starts
/// with the global's tangent.
using GlobalTangents = llvm::StringMap<Value>;

/// Applies `op`'s jvp rule after it and records the result tangents.
LogicalResult pushForward(Operation *op, OpBuilder &builder,
                          llvm::DenseMap<Value, Value> &tangents,
                          const GlobalTangents &globalTangents,
                          Operation *derivativeOp) {
  if (auto load = dyn_cast<ml_program::GlobalLoadOp>(op)) {
    if (Value t = globalTangents.lookup(load.getGlobal().getLeafReference()))
      tangents[load.getResult()] = t;
    return success();
  }
  bool any = llvm::any_of(inputsOf(*op), [&](Value v) { return tangents.count(v); });
  if (!any || llvm::none_of(op->getResults(), isFloatValue))
    return success();
  SmallVector<Value> operandTangents;
  for (Value operand : op->getOperands())
    operandTangents.push_back(tangents.lookup(operand));
  auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
  if (!differentiable)
    return noRule(op, derivativeOp);
  builder.setInsertionPointAfter(op);
  SmallVector<Value> resultTangents = differentiable.jvp(builder, operandTangents);
  for (auto [r, t] : llvm::zip(op->getResults(), resultTangents))
    if (t)
      tangents[r] = t;
  return success();
}

/// Forward mode through a loop: a new loop that also carries the tangents of
/// its float iteration arguments, with each body op followed by its jvp.
LogicalResult pushForwardLoop(scf::ForOp loop, OpBuilder &builder,
                              llvm::DenseMap<Value, Value> &tangents,
                              const GlobalTangents &globalTangents,
                              Operation *derivativeOp) {
  Location loc = loop.getLoc();
  SmallVector<unsigned> carried;
  SmallVector<Value> inits(loop.getInitArgs());
  builder.setInsertionPoint(loop);
  for (auto [i, init] : llvm::enumerate(loop.getInitArgs()))
    if (isFloatTensor(init)) {
      carried.push_back(i);
      Value t = tangents.lookup(init);
      inits.push_back(t ? t : splat(builder, loc, init.getType(), 0.0));
    }
  auto extended = scf::ForOp::create(builder, loc, loop.getLowerBound(),
                                     loop.getUpperBound(), loop.getStep(), inits);
  Block *body = extended.getBody();
  if (!body->empty())
    body->getTerminator()->erase();
  unsigned numCarried = loop.getNumRegionIterArgs();
  IRMapping mapping;
  mapping.map(loop.getInductionVar(), extended.getInductionVar());
  mapping.map(loop.getRegionIterArgs(),
              extended.getRegionIterArgs().take_front(numCarried));
  for (auto [j, i] : llvm::enumerate(carried))
    tangents[extended.getRegionIterArgs()[i]] =
        extended.getRegionIterArgs()[numCarried + j];
  OpBuilder inner = OpBuilder::atBlockEnd(body);
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (op.getNumRegions() != 0)
      return op.emitError("cannot differentiate nested regions inside a loop body");
    Operation *copy = inner.clone(op, mapping);
    if (failed(pushForward(copy, inner, tangents, globalTangents, derivativeOp)))
      return failure();
    inner.setInsertionPointToEnd(body);
  }
  Operation *yield = loop.getBody()->getTerminator();
  SmallVector<Value> yields;
  for (Value v : yield->getOperands())
    yields.push_back(mapping.lookupOrDefault(v));
  for (unsigned i : carried) {
    Value t = tangents.lookup(mapping.lookupOrDefault(yield->getOperand(i)));
    yields.push_back(t ? t : splat(inner, loc, yield->getOperand(i).getType(), 0.0));
  }
  scf::YieldOp::create(inner, loc, yields);
  for (auto [j, i] : llvm::enumerate(carried))
    tangents[loop.getResult(i)] = extended.getResult(numCarried + j);
  loop.replaceAllUsesWith(extended.getResults().take_front(numCarried));
  // Tangents keyed by the old results now belong to the new ones.
  for (unsigned i : carried)
    tangents[extended.getResult(i)] = tangents.lookup(loop.getResult(i));
  loop.erase();
  return success();
}

/// Builds the forward-mode function of a tg.jvp: (arguments..., argument
/// tangents..., global tangents...) -> (results..., result tangents...).
FailureOr<func::FuncOp> buildJvpFunction(JvpOp op, bool keepAttention, ModuleOp module,
                                         SymbolTableCollection &symbolTable) {
  func::FuncOp callee = op.getCalleeFunc(symbolTable);
  FailureOr<func::FuncOp> cloned =
      cloneForDifferentiation(callee, uniqueName(module, callee.getSymName().str() + "_jvp"),
                              module, symbolTable, keepAttention);
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
  GlobalTangents globalTangents;
  for (FlatSymbolRefAttr ref : op.getGlobalRefs()) {
    auto global = symbolTable.lookupNearestSymbolFrom<ml_program::GlobalOp>(op, ref);
    globalTangents[ref.getValue()] = block.addArgument(global.getType(), op.getLoc());
  }

  SmallVector<Operation *> forward;
  for (Operation &inner : block.without_terminator())
    forward.push_back(&inner);
  OpBuilder builder(op.getContext());
  for (Operation *inner : forward) {
    auto loop = dyn_cast<scf::ForOp>(inner);
    LogicalResult done =
        loop ? pushForwardLoop(loop, builder, tangents, globalTangents, op)
             : pushForward(inner, builder, tangents, globalTangents, op);
    if (failed(done)) {
      func.erase();
      return failure();
    }
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
  using TGAutodiffBase::TGAutodiffBase;

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
              return buildGradientFunction(grad, false, rematerializeLoops, keepAttention, module,
                                           symbolTable);
            })
            .Case([&](ValueAndGradOp grad) {
              return buildGradientFunction(grad, true, rematerializeLoops, keepAttention, module,
                                           symbolTable);
            })
            .Case([&](JvpOp jvp) {
              return buildJvpFunction(jvp, keepAttention, module, symbolTable);
            });
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
