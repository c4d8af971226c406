//===- DeallocAfterLastUse.cpp - free each buffer once it is dead ---------===//
//
// Ownership-based deallocation frees a function's buffers at the end of the
// block that allocates them, so a train step's peak is all of its
// temporaries at once. This pass moves every unconditional
// `memref.dealloc` of an allocation of the same block up to right after
// the last operation that uses the buffer (or a view of it): the runtime's
// caching allocator hands the freed block to the next allocation of its
// size class, so dead buffers are reused within the step and the peak is
// that of the buffers live at once.
//
// Buffers whose address the deallocation's runtime alias checks read
// (`extract_aligned_pointer_as_index`), or that flow into region results,
// keep their deallocation where it is.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGDEALLOCAFTERLASTUSE
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// The last operation of `block` that uses `buffer` or a view of it, other
/// than `dealloc`; null when a use may let the buffer escape.
Operation *lastUse(Value buffer, memref::DeallocOp dealloc, Block *block) {
  Operation *last = buffer.getDefiningOp();
  SmallVector<Value> worklist = {buffer};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == dealloc)
        continue;
      if (isa<memref::ExtractAlignedPointerAsIndexOp>(user) ||
          user->hasTrait<OpTrait::IsTerminator>())
        return nullptr;
      if (isa<ViewLikeOpInterface, memref::ExtractStridedMetadataOp>(user)) {
        for (Value result : user->getResults())
          if (isa<BaseMemRefType>(result.getType()))
            worklist.push_back(result);
      } else if (llvm::any_of(user->getResultTypes(), llvm::IsaPred<BaseMemRefType>)) {
        return nullptr; // a result that may alias the buffer
      }
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top)
        return nullptr;
      if (last->isBeforeInBlock(top))
        last = top;
    }
  }
  return last;
}

struct TGDeallocAfterLastUse : tg::impl::TGDeallocAfterLastUseBase<TGDeallocAfterLastUse> {
  void runOnOperation() override {
    getOperation()->walk([&](memref::DeallocOp dealloc) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        return;
      Operation *last = lastUse(alloc, dealloc, block);
      if (!last || last->getNextNode() == dealloc || !last->isBeforeInBlock(dealloc))
        return;
      dealloc->moveAfter(last);
      ++numDeallocsMoved;
    });
  }
};

} // namespace
