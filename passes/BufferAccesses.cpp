//===- BufferAccesses.cpp - which memory operations on buffers touch ------===//

#include "passes/BufferAccesses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace mlir::tg;

bool BufferRoot::mayAlias(const BufferRoot &other) const {
  if (kind == Unknown || other.kind == Unknown)
    return true;
  if (kind == Input || other.kind == Input)
    return kind != Allocation && other.kind != Allocation && kind != Global &&
           other.kind != Global;
  if (kind == Argument || other.kind == Argument)
    return kind != Allocation && other.kind != Allocation;
  return kind == other.kind && allocation == other.allocation && global == other.global;
}

bool tg::isOperandsOnlyCall(Operation *op) {
  auto call = dyn_cast<func::CallOp>(op);
  if (!call)
    return false;
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(op, call.getCalleeAttr());
  return callee && callee->hasAttr(kOperandsOnlyAttrName);
}

bool tg::dependent(ArrayRef<BufferAccess> a, ArrayRef<BufferAccess> b) {
  for (const BufferAccess &x : a)
    for (const BufferAccess &y : b)
      if ((x.write || y.write) && x.root.mayAlias(y.root))
        return true;
  return false;
}

BufferRoot BufferAccessAnalysis::rootOf(Value value) {
  for (int depth = 0; depth < 64; ++depth) {
    Operation *def = value.getDefiningOp();
    if (!def) {
      auto argument = cast<BlockArgument>(value);
      // A launch's shared or private memory: its own, like an allocation.
      if (auto launch = dyn_cast<gpu::LaunchOp>(argument.getOwner()->getParentOp());
          launch && argument.getArgNumber() >= gpu::LaunchOp::kNumConfigRegionAttributes)
        return {BufferRoot::Allocation, value, {}};
      auto function = dyn_cast<func::FuncOp>(argument.getOwner()->getParentOp());
      if (!function || !argument.getOwner()->isEntryBlock())
        return BufferRoot::unknown();
      if (callersPassFreshBuffer(argument))
        return {BufferRoot::Allocation, value, {}};
      if (function.isPublic())
        return {BufferRoot::Input, value, {}};
      return {BufferRoot::Argument, {}, {}};
    }
    if (isa<memref::AllocOp, memref::AllocaOp, gpu::AllocOp>(def))
      return {BufferRoot::Allocation, value, {}};
    if (auto global = dyn_cast<memref::GetGlobalOp>(def))
      return {BufferRoot::Global, {}, global.getNameAttr().getAttr()};
    if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
      value = view.getViewSource();
      continue;
    }
    if (auto call = dyn_cast<func::CallOp>(def)) {
      BufferRoot root =
          summary(call.getCallee()).results[cast<OpResult>(value).getResultNumber()];
      if (root.kind == BufferRoot::Allocation)
        return {BufferRoot::Allocation, value, {}}; // fresh at every call
      return root;
    }
    return BufferRoot::unknown();
  }
  return BufferRoot::unknown();
}

bool BufferAccessAnalysis::callersPassFreshBuffer(BlockArgument argument) {
  auto [it, inserted] = freshArguments.try_emplace(argument, false);
  auto function = cast<func::FuncOp>(argument.getOwner()->getParentOp());
  if (!inserted || !function.isPrivate())
    return it->second;
  std::optional<SymbolTable::UseRange> uses = SymbolTable::getSymbolUses(function, module);
  if (!uses)
    return false;
  bool fresh = true;
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call || call->getParentOfType<func::FuncOp>() == function) {
      fresh = false;
      break;
    }
    // An allocation of the caller that no other operand may alias.
    BufferRoot root = rootOf(call.getOperand(argument.getArgNumber()));
    fresh &= root.kind == BufferRoot::Allocation;
    for (OpOperand &other : call->getOpOperands())
      if (fresh && other.getOperandNumber() != argument.getArgNumber() &&
          isa<BaseMemRefType>(other.get().getType()))
        fresh &= !rootOf(other.get()).mayAlias(root);
  }
  return freshArguments[argument] = fresh;
}

std::optional<SmallVector<BufferAccess>> BufferAccessAnalysis::accesses(Operation *op) {
  SmallVector<BufferAccess> result;
  bool known = true;
  op->walk([&](Operation *nested) {
    if (auto call = dyn_cast<func::CallOp>(nested)) {
      const FunctionSummary &callee = summary(call.getCallee());
      if (callee.touchesAnything)
        result.push_back({BufferRoot::unknown(), true});
      for (StringAttr global : callee.globals)
        result.push_back({{BufferRoot::Global, {}, global}, true});
      for (auto [position, operand] : llvm::enumerate(call.getOperands()))
        if (isa<BaseMemRefType>(operand.getType()))
          result.push_back(
              {rootOf(operand), position >= callee.readOnly.size() || !callee.readOnly[position]});
      return WalkResult::advance();
    }
    // A kernel's synchronization of its block's threads touches no buffer.
    if (isa<gpu::BarrierOp, gpu::AllReduceOp>(nested))
      return WalkResult::advance();
    // Its own effects (a linalg op: its operands'), and those of the
    // operations nested in it, which the walk visits.
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::advance();
      known = false;
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      bool write = isa<MemoryEffects::Write>(effect.getEffect());
      if (!write && !isa<MemoryEffects::Read>(effect.getEffect()))
        continue; // allocations and frees
      Value value = effect.getValue();
      result.push_back(
          {value && isa<BaseMemRefType>(value.getType()) ? rootOf(value) : BufferRoot::unknown(),
           write});
    }
    return WalkResult::advance();
  });
  if (!known)
    return std::nullopt;
  return result;
}

bool BufferAccessAnalysis::mayAccess(Operation *op, const BufferRoot &root, bool writesOnly) {
  std::optional<SmallVector<BufferAccess>> all = accesses(op);
  if (!all)
    return true;
  return llvm::any_of(*all, [&](const BufferAccess &access) {
    return (access.write || !writesOnly) && access.root.mayAlias(root);
  });
}

const BufferAccessAnalysis::FunctionSummary &BufferAccessAnalysis::summary(StringRef name) {
  auto it = summaries.find(name);
  if (it != summaries.end())
    return it->second;
  auto function = module.lookupSymbol<func::FuncOp>(name);
  // Conservative while the callee is being summarized (recursion), and for
  // callees without a body.
  FunctionSummary &conservative = summaries[name];
  conservative.touchesAnything = true;
  if (function)
    conservative.results.assign(function.getNumResults(), BufferRoot::unknown());
  if (function && function.isExternal() && function->hasAttr(kOperandsOnlyAttrName)) {
    conservative.touchesAnything = false;
    conservative.readOnly.assign(function.getNumArguments(), false);
    if (auto readOnly = function->getAttrOfType<DenseI64ArrayAttr>(kReadOnlyOperandsAttrName))
      for (int64_t argument : readOnly.asArrayRef())
        if (argument >= 0 && argument < int64_t(function.getNumArguments()))
          conservative.readOnly[argument] = true;
  }
  if (!function || function.isExternal())
    return conservative;
  FunctionSummary computed;
  function.walk([&](Operation *op) {
    if (auto global = dyn_cast<memref::GetGlobalOp>(op))
      computed.globals.insert(global.getNameAttr().getAttr());
    else if (auto call = dyn_cast<func::CallOp>(op)) {
      const FunctionSummary &callee = summary(call.getCallee());
      computed.touchesAnything |= callee.touchesAnything;
      computed.globals.insert(callee.globals.begin(), callee.globals.end());
    } else if (isa<CallOpInterface>(op)) {
      computed.touchesAnything = true;
    }
  });
  Operation *terminator = function.getBody().back().getTerminator();
  for (Value returned : terminator->getOperands()) {
    BufferRoot root = rootOf(returned);
    // Fresh unless returned twice.
    bool fresh = root.kind == BufferRoot::Allocation &&
                 llvm::none_of(computed.results, [&](const BufferRoot &earlier) {
                   return earlier.kind == BufferRoot::Allocation &&
                          earlier.allocation == root.allocation;
                 });
    computed.results.push_back(fresh || root.kind == BufferRoot::Global ? root
                                                                        : BufferRoot::unknown());
  }
  // `summaries` may have grown (callees): look the entry up again.
  return summaries[name] = std::move(computed);
}
