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

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGUPDATEGLOBALSINPLACE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

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
    BufferAccessAnalysis memory(getOperation());
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
  void removeLoadCopy(memref::CopyOp copy, BufferAccessAnalysis &memory) {
    auto global = copy.getSource().getDefiningOp<memref::GetGlobalOp>();
    auto alloc = copy.getTarget().getDefiningOp<memref::AllocOp>();
    Block *block = copy->getBlock();
    if (!global || !alloc || alloc->getBlock() != block ||
        global.getType() != alloc.getType())
      return;
    // Its readers, through views (a reduction split into chunks reads an
    // expanded view).
    Operation *lastRead = copy;
    SmallVector<Value> buffers = {alloc.getResult()};
    while (!buffers.empty()) {
      Value buffer = buffers.pop_back_val();
      for (OpOperand &use : buffer.getUses()) {
        Operation *user = use.getOwner();
        if (user == copy)
          continue;
        auto view = dyn_cast<ViewLikeOpInterface>(user);
        if (view && view.getViewSource() == buffer) {
          llvm::append_range(buffers, user->getResults());
          continue;
        }
        if (!readsOnly(user, buffer))
          return;
        Operation *top = topLevel(user, block);
        if (!top || top->isBeforeInBlock(copy))
          return;
        if (lastRead->isBeforeInBlock(top))
          lastRead = top;
      }
    }
    BufferRoot root = memory.rootOf(global);
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
  void removeStoreCopy(memref::CopyOp copy, BufferAccessAnalysis &memory) {
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
    BufferRoot root = memory.rootOf(global);
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
                                     memref::GetGlobalOp global, BufferAccessAnalysis &memory) {
    BufferRoot root = memory.rootOf(global);
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
