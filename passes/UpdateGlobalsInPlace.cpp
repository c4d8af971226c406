//===- UpdateGlobalsInPlace.cpp - state written straight into its globals -===//
//
// After one-shot bufferization a train step reads every parameter and
// optimizer-state global through a copy (`global_load` in a function that
// stores to globals) and writes the new value through another one:
//
//   %g = memref.get_global @m          %n = memref.alloc
//   %old = memref.alloc                linalg.generic ins(%old, %grad) outs(%n)
//   memref.copy %g, %old               memref.copy %n, %g2   (%g2 = get_global @m)
//
// This pass removes both copies where that cannot change what any operation
// reads: the load copy when nothing writes the global while the copy is
// read, the store copy by letting the operation that computes the new value
// write it into the global (and the readers of that value read the global)
// when nothing else touches the global in between. An elementwise update
// then reads and writes the global at the same index in the same iteration.
//
// It works on buffers, not tensors: the facts it needs are about memory.
// Every `memref.get_global @x` of a module is the same buffer and callees
// read and write globals, which one-shot bufferization's tensor analysis
// does not see (each `global_load` is a value of its own). Here they are
// explicit: an operation's accesses are its memory effects, traced through
// views to an allocation, a global or something unknown, and a call's are
// those of its callee, transitively.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGUPDATEGLOBALSINPLACE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Where the memory behind a memref value comes from.
struct Root {
  enum Kind {
    Allocation, // a memref.alloc/alloca of the function, or a fresh callee result
    Global,     // memref.get_global @name
    Argument,   // an argument of the function: anything but its own allocations
    Unknown,    // may be any memory
  } kind;
  Value allocation;
  StringAttr global;

  static Root unknown() { return {Unknown, {}, {}}; }

  /// Whether the two may share memory.
  bool mayAlias(const Root &other) const {
    if (kind == Unknown || other.kind == Unknown)
      return true;
    if (kind == Argument || other.kind == Argument)
      return kind != Allocation && other.kind != Allocation;
    return kind == other.kind && allocation == other.allocation && global == other.global;
  }
};

struct Access {
  Root root;
  bool write;
};

/// What a function may do to globals and what its results are.
struct FunctionSummary {
  llvm::DenseSet<StringAttr> globals; // referenced, so maybe read and written
  bool touchesAnything = false;       // calls something we cannot see
  SmallVector<Root> results;          // an allocation, a global, or unknown
};

class MemoryModel {
public:
  explicit MemoryModel(ModuleOp module) : module(module) {}

  /// The memory `value` lives in.
  Root rootOf(Value value) {
    for (int depth = 0; depth < 64; ++depth) {
      Operation *def = value.getDefiningOp();
      if (!def) {
        Block *owner = cast<BlockArgument>(value).getOwner();
        return {owner->isEntryBlock() && isa<func::FuncOp>(owner->getParentOp())
                    ? Root::Argument
                    : Root::Unknown,
                {}, {}};
      }
      if (isa<memref::AllocOp, memref::AllocaOp>(def))
        return {Root::Allocation, value, {}};
      if (auto global = dyn_cast<memref::GetGlobalOp>(def))
        return {Root::Global, {}, global.getNameAttr().getAttr()};
      if (auto view = dyn_cast<ViewLikeOpInterface>(def)) {
        value = view.getViewSource();
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(def)) {
        Root root = summary(call.getCallee()).results[cast<OpResult>(value).getResultNumber()];
        if (root.kind == Root::Allocation)
          return {Root::Allocation, value, {}}; // fresh at every call
        return root;
      }
      return Root::unknown();
    }
    return Root::unknown();
  }

  /// Every access of `op` and the operations nested in it; nullopt when some
  /// effect is unknown.
  std::optional<SmallVector<Access>> accesses(Operation *op) {
    SmallVector<Access> result;
    bool known = true;
    op->walk([&](Operation *nested) {
      if (auto call = dyn_cast<func::CallOp>(nested)) {
        const FunctionSummary &callee = summary(call.getCallee());
        if (callee.touchesAnything)
          result.push_back({Root::unknown(), true});
        for (StringAttr global : callee.globals)
          result.push_back({{Root::Global, {}, global}, true});
        for (Value operand : call.getOperands())
          if (isa<BaseMemRefType>(operand.getType()))
            result.push_back({rootOf(operand), true});
        return WalkResult::advance();
      }
      if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::advance(); // the nested operations say
      auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
      if (!effects) {
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
            {value && isa<BaseMemRefType>(value.getType()) ? rootOf(value) : Root::unknown(),
             write});
      }
      return WalkResult::advance();
    });
    if (!known)
      return std::nullopt;
    return result;
  }

  /// Whether `op` may read (or, with `writesOnly`, write) the memory of `root`.
  bool mayAccess(Operation *op, const Root &root, bool writesOnly = false) {
    std::optional<SmallVector<Access>> all = accesses(op);
    if (!all)
      return true;
    return llvm::any_of(*all, [&](const Access &access) {
      return (access.write || !writesOnly) && access.root.mayAlias(root);
    });
  }

private:
  const FunctionSummary &summary(StringRef name) {
    auto it = summaries.find(name);
    if (it != summaries.end())
      return it->second;
    FunctionSummary &result = summaries[name];
    auto function = module.lookupSymbol<func::FuncOp>(name);
    if (!function || function.isExternal()) {
      result.touchesAnything = true;
      if (function)
        result.results.assign(function.getNumResults(), Root::unknown());
      return result;
    }
    // Conservative while the callee is being summarized (recursion).
    result.touchesAnything = true;
    result.results.assign(function.getNumResults(), Root::unknown());
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
      Root root = rootOf(returned);
      // Fresh unless returned twice.
      bool fresh = root.kind == Root::Allocation &&
                   llvm::none_of(computed.results, [&](const Root &earlier) {
                     return earlier.kind == Root::Allocation &&
                            earlier.allocation == root.allocation;
                   });
      computed.results.push_back(fresh || root.kind == Root::Global ? root : Root::unknown());
    }
    // `summaries` may have grown (callees): look the entry up again.
    return summaries[name] = std::move(computed);
  }

  ModuleOp module;
  llvm::StringMap<FunctionSummary> summaries;
};

/// The operation of `block` that is or contains `op`.
Operation *topLevel(Operation *op, Block *block) { return block->findAncestorOpInBlock(*op); }

/// Whether `op` writes all of `buffer` without reading it first: a linalg op
/// with `buffer` as an output it does not read, whose map covers it, or a
/// copy into it.
bool definesWhole(Operation *op, Value buffer) {
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return copy.getTarget() == buffer && copy.getSource() != buffer;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureBufferSemantics() ||
      linalgOp.getNumLoops() != linalgOp.getNumParallelLoops())
    return false;
  bool defines = false;
  for (OpOperand &operand : op->getOpOperands()) {
    if (operand.get() != buffer)
      continue;
    if (!linalgOp.isDpsInit(&operand) || linalgOp.payloadUsesValueFromOperand(&operand) ||
        !linalgOp.getMatchingIndexingMap(&operand).isPermutation())
      return false;
    defines = true;
  }
  return defines;
}

struct UpdateGlobalsInPlace : tg::impl::TGUpdateGlobalsInPlaceBase<UpdateGlobalsInPlace> {
  void runOnOperation() override {
    MemoryModel memory(getOperation());
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal() || !function.getBody().hasOneBlock())
        continue;
      Block &block = function.getBody().front();
      for (memref::CopyOp copy : llvm::to_vector(block.getOps<memref::CopyOp>()))
        removeLoadCopy(copy, memory);
      for (memref::CopyOp copy : llvm::to_vector(block.getOps<memref::CopyOp>()))
        removeStoreCopy(copy, memory);
    }
  }

  /// `copy` of a global into a fresh buffer that is only read: read the
  /// global instead, when nothing writes it before the last read.
  void removeLoadCopy(memref::CopyOp copy, MemoryModel &memory) {
    auto global = copy.getSource().getDefiningOp<memref::GetGlobalOp>();
    auto alloc = copy.getTarget().getDefiningOp<memref::AllocOp>();
    Block *block = copy->getBlock();
    if (!global || !alloc || alloc->getBlock() != block ||
        global.getType() != alloc.getType())
      return;
    Operation *lastRead = copy;
    for (OpOperand &use : alloc->getUses()) {
      Operation *user = use.getOwner();
      if (user == copy)
        continue;
      if (!readsOnly(user, use.get()))
        return;
      Operation *top = topLevel(user, block);
      if (!top || top->isBeforeInBlock(copy))
        return;
      if (lastRead->isBeforeInBlock(top))
        lastRead = top;
    }
    Root root = memory.rootOf(global);
    for (Operation *op = copy->getNextNode(); op && op != lastRead->getNextNode();
         op = op->getNextNode())
      if (memory.mayAccess(op, root, /*writesOnly=*/true))
        return;
    alloc.getResult().replaceUsesWithIf(global.getResult(), [&](OpOperand &use) {
      return use.getOwner() != copy;
    });
    copy.erase();
    alloc.erase();
    ++numLoadCopiesRemoved;
  }

  /// Whether `user`'s only effect on `buffer` is reading it (no views).
  static bool readsOnly(Operation *user, Value buffer) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    if (!effects)
      return false;
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffectsOnValue(buffer, instances);
    return !instances.empty() && llvm::all_of(instances, [](auto &effect) {
      return isa<MemoryEffects::Read>(effect.getEffect());
    });
  }

  /// `copy` of a fresh buffer into a global: the operation that last defined
  /// the buffer writes the global instead, and the buffer's readers up to
  /// its next definition read the global, when nothing else touches the
  /// global from that definition to the last of those reads.
  void removeStoreCopy(memref::CopyOp copy, MemoryModel &memory) {
    auto global = copy.getTarget().getDefiningOp<memref::GetGlobalOp>();
    auto alloc = copy.getSource().getDefiningOp<memref::AllocOp>();
    Block *block = copy->getBlock();
    if (!global || !alloc || alloc->getBlock() != block ||
        global.getType() != alloc.getType())
      return;
    Value buffer = alloc.getResult();
    // The buffer's users by the top-level operation that holds them; views
    // of it would need rebuilding: leave those buffers alone.
    llvm::DenseSet<Operation *> users;
    for (Operation *user : buffer.getUsers()) {
      if (isa<ViewLikeOpInterface>(user) || user->getBlock() != block)
        return;
      users.insert(user);
    }

    // The definition: the last user before the copy that writes the buffer.
    Operation *definition = nullptr;
    for (Operation *op = copy->getPrevNode(); op; op = op->getPrevNode()) {
      if (!users.contains(op) || readsOnly(op, buffer))
        continue;
      definition = op;
      break;
    }
    if (!definition || !definesWhole(definition, buffer) ||
        !readsGlobalOnlyInPlace(definition, buffer, global, memory))
      return;

    // The readers after the copy, up to the next definition of the buffer.
    Operation *lastRead = copy;
    for (Operation *op = copy->getNextNode(); op; op = op->getNextNode()) {
      if (!users.contains(op))
        continue;
      if (definesWhole(op, buffer))
        break;
      if (!readsOnly(op, buffer))
        return;
      lastRead = op;
    }
    Root root = memory.rootOf(global);
    for (Operation *op = definition->getNextNode(); op != lastRead->getNextNode();
         op = op->getNextNode())
      if (op != copy && !isa<memref::GetGlobalOp>(op) && memory.mayAccess(op, root))
        return;

    OpBuilder builder(definition);
    Value target = memref::GetGlobalOp::create(builder, global.getLoc(), global.getType(),
                                               global.getName());
    for (Operation *op = definition; op != lastRead->getNextNode(); op = op->getNextNode())
      if (op != copy)
        op->replaceUsesOfWith(buffer, target);
    copy.erase();
    if (global->use_empty())
      global.erase();
    if (alloc->use_empty())
      alloc.erase();
    ++numStoreCopiesRemoved;
  }

  /// Whether `definition`, once it writes the global instead of `buffer`,
  /// reads the global only where it writes it: as an input of the same
  /// shape, at the same index, in the same iteration.
  static bool readsGlobalOnlyInPlace(Operation *definition, Value buffer,
                                     memref::GetGlobalOp global, MemoryModel &memory) {
    Root root = memory.rootOf(global);
    auto linalgOp = dyn_cast<linalg::LinalgOp>(definition);
    for (OpOperand &operand : definition->getOpOperands()) {
      Value value = operand.get();
      if (value == buffer || !isa<BaseMemRefType>(value.getType()) ||
          !memory.rootOf(value).mayAlias(root))
        continue;
      auto source = value.getDefiningOp<memref::GetGlobalOp>();
      if (!linalgOp || !source || source.getName() != global.getName() ||
          linalgOp.isDpsInit(&operand))
        return false;
      for (OpOperand &init : linalgOp.getDpsInitsMutable())
        if (init.get() == buffer &&
            linalgOp.getMatchingIndexingMap(&operand) != linalgOp.getMatchingIndexingMap(&init))
          return false;
    }
    // Nothing nested (a call in a payload) may touch it either.
    bool nestedAccess = false;
    for (Region &region : definition->getRegions())
      region.walk([&](Operation *nested) {
        nestedAccess |= memory.mayAccess(nested, root);
      });
    return !nestedAccess;
  }
};

} // namespace
