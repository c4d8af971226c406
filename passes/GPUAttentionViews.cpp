//===- GPUAttentionViews.cpp - attention operands as views, not copies ----===//
//
// A transformer splits its heads with a transpose before its attention,
// [B, T, H, D] -> [B, H, T, D], and merges them after it; its gradient does
// the same backward. After bufferization each is a copy of a whole
// activation (GPT-2's: 12.6 MB in bf16, read and written, 8 a step). The
// fused attention kernels address rows through strides, so on buffers this
// pass hands them the activations themselves, through transposed views:
//
//  - a bf16 operand the attention reads from a buffer that a permuting copy
//    of buffer S wrote last reads S through a view instead, when nothing
//    writes S between the copy and the attention;
//  - a result that a permuting copy C then moves into buffer D is written
//    through a view into a fresh buffer M, which the readers of what C
//    wrote into D (every use of D from C to D's next full overwrite) read
//    instead; attention ops reading the result (the backward reads the
//    forward's) read M's view. M is fresh, rather than D itself, because
//    bufferization lets the head merges of dq, dk and dv share one D.
//
// Copies left without readers go, and buffers left only deallocated. All
// of it within one block, with BufferAccessAnalysis's roots; anything it
// cannot prove leaves the copy in place.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUATTENTIONVIEWS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using mlir::tg::BufferAccessAnalysis;
using mlir::tg::BufferRoot;

namespace {

/// A linalg.generic that copies its input into its output, both indexed by
/// permutations of its loops.
struct PermutingCopy {
  linalg::GenericOp op;
  Value source, dest;
  AffineMap sourceMap, destMap;
};

std::optional<PermutingCopy> asPermutingCopy(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || !generic.hasPureBufferSemantics() || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!llvm::hasSingleElement(body) || yield.getValues()[0] != body.getArgument(0))
    return std::nullopt;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (!maps[0].isPermutation() || !maps[1].isPermutation())
    return std::nullopt;
  return PermutingCopy{generic, generic.getDpsInputs()[0], generic.getDpsInits()[0], maps[0],
                       maps[1]};
}

/// The attention kernel's bf16 operands it reads (`written`: writes); its
/// f32 row statistics stay as they are.
SmallVector<OpOperand *> bf16Operands(Operation *attention, bool written) {
  auto kernel = cast<DestinationStyleOpInterface>(attention);
  SmallVector<OpOperand *> operands;
  for (OpOperand &operand : attention->getOpOperands())
    if (kernel.isDpsInit(&operand) == written &&
        getElementTypeOrSelf(operand.get().getType()).isBF16())
      operands.push_back(&operand);
  return operands;
}

/// A buffer of the function's own, whole: a static memref.alloc.
bool isWholeAllocation(Value buffer) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  return alloc && alloc.getType().hasStaticShape() && alloc.getType().getLayout().isIdentity();
}

/// `memory`, which the copy indexes with `memoryMap`, as the copy's other
/// operand (indexed with `viewMap`) sees it: a view with permuted strides,
/// before `point`. Null when `memory`'s layout is not static.
Value permutedView(OpBuilder &b, Operation *point, Value memory, AffineMap memoryMap,
                   AffineMap viewMap) {
  auto type = cast<MemRefType>(memory.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic) || !type.hasStaticShape())
    return {};
  SmallVector<int64_t> memoryDimOfLoop(memoryMap.getNumDims());
  for (unsigned dim = 0; dim < memoryMap.getNumResults(); ++dim)
    memoryDimOfLoop[memoryMap.getDimPosition(dim)] = dim;
  SmallVector<int64_t> sizes, viewStrides;
  for (unsigned dim = 0; dim < viewMap.getNumResults(); ++dim) {
    int64_t source = memoryDimOfLoop[viewMap.getDimPosition(dim)];
    sizes.push_back(type.getDimSize(source));
    viewStrides.push_back(strides[source]);
  }
  auto viewType = MemRefType::get(sizes, type.getElementType(),
                                  StridedLayoutAttr::get(b.getContext(), offset, viewStrides),
                                  type.getMemorySpace());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(point);
  return memref::ReinterpretCastOp::create(b, point->getLoc(), viewType, memory, offset, sizes,
                                           viewStrides);
}

bool isDealloc(Operation *op) { return isa<memref::DeallocOp, bufferization::DeallocOp>(op); }

/// The operation of `block` that holds `op` (or null).
Operation *inBlock(Operation *op, Block *block) { return block->findAncestorOpInBlock(*op); }

/// Whether `op` is before `other`, both in one block.
bool before(Operation *op, Operation *other) { return op->isBeforeInBlock(other); }

/// Whether the views `op` defines are used only in `block` before `end`
/// (null: anywhere in it but its terminator), directly or through views.
bool usedOnlyBefore(Operation *op, Block *block, Operation *end) {
  for (Operation *user : op->getUsers()) {
    Operation *userInBlock = inBlock(user, block);
    if (!userInBlock || userInBlock->hasTrait<OpTrait::IsTerminator>() ||
        (end && !before(userInBlock, end)) || !usedOnlyBefore(user, block, end))
      return false;
  }
  return true;
}

class AttentionViews {
public:
  explicit AttentionViews(ModuleOp module) : buffers(module) {}

  /// Reads of `operand` (of `attention`) through a view of the buffer its
  /// copy read.
  void foldRead(Operation *attention, OpOperand &operand) {
    Value buffer = operand.get();
    if (!isWholeAllocation(buffer))
      return;
    BufferRoot root = buffers.rootOf(buffer);
    // The buffer's last writer: a permuting copy.
    std::optional<PermutingCopy> copy;
    for (Operation *op = attention->getPrevNode(); op && !copy; op = op->getPrevNode()) {
      if (std::optional<PermutingCopy> candidate = asPermutingCopy(op);
          candidate && candidate->dest == buffer)
        copy = candidate;
      else if (buffers.mayAccess(op, root, /*writesOnly=*/true))
        return;
    }
    if (!copy)
      return;
    // Its source unchanged until the attention reads it.
    BufferRoot source = buffers.rootOf(copy->source);
    for (Operation *op = copy->op->getNextNode(); op != attention; op = op->getNextNode())
      if (buffers.mayAccess(op, source, /*writesOnly=*/true))
        return;
    for (OpOperand *written : bf16Operands(attention, /*written=*/true))
      if (buffers.rootOf(written->get()).mayAlias(source))
        return;
    // One view of the source for all its readers (q, k and v may be one
    // buffer; the backward reads the forward's).
    Value &view = sourceViews[copy->op];
    if (!view) {
      OpBuilder b(attention);
      view = permutedView(b, attention, copy->source, copy->sourceMap, copy->destMap);
      if (!view)
        return;
    }
    operand.set(view);
    copies.insert(copy->op);
  }

  /// Writes of `operand`'s result through a view of a fresh buffer, which
  /// the readers of its copy read instead.
  void foldWrite(Operation *attention, OpOperand &operand) {
    Value result = operand.get();
    if (!isWholeAllocation(result))
      return;
    Block *block = attention->getBlock();
    BufferRoot resultRoot = buffers.rootOf(result);
    // What reads the result until it is overwritten: its copy, and
    // attention kernels (the backward reads the forward's output).
    std::optional<PermutingCopy> copy;
    SmallVector<OpOperand *> attentionReads;
    for (Operation *op = attention->getNextNode(); op; op = op->getNextNode()) {
      if (isDealloc(op) || !buffers.mayAccess(op, resultRoot))
        continue;
      if (std::optional<PermutingCopy> candidate = asPermutingCopy(op);
          candidate && !copy && candidate->source == result && candidate->dest != result) {
        copy = candidate;
        continue;
      }
      if (isa<tg::FusedAttentionForwardOp, tg::FusedAttentionBackwardOp>(op)) {
        SmallVector<OpOperand *> reads = bf16Operands(op, /*written=*/false);
        bool onlyReads = true;
        for (OpOperand &use : op->getOpOperands()) {
          bool isRead = llvm::is_contained(reads, &use);
          if (use.get() == result && isRead)
            attentionReads.push_back(&use);
          else if (buffers.rootOf(use.get()).mayAlias(resultRoot))
            onlyReads = false;
        }
        if (onlyReads)
          continue;
      }
      if (overwrites(op, resultRoot))
        break;
      return;
    }
    if (!copy || !isWholeAllocation(copy->dest) || copies.contains(copy->op))
      return;

    // The uses of the copy's destination that read what the copy wrote: up
    // to the destination's next overwrite, through views made there.
    Value dest = copy->dest;
    BufferRoot destRoot = buffers.rootOf(dest);
    Operation *end = nullptr;
    for (Operation *op = copy->op->getNextNode(); op && !end; op = op->getNextNode()) {
      if (isDealloc(op) || !buffers.mayAccess(op, destRoot))
        continue;
      if (overwrites(op, destRoot))
        end = op;
      else if (buffers.mayAccess(op, destRoot, /*writesOnly=*/true) ||
               !readsOnlyThrough(op, destRoot, dest, copy->op))
        return;
    }
    SmallVector<OpOperand *> destUses;
    for (OpOperand &use : dest.getUses()) {
      Operation *user = inBlock(use.getOwner(), block);
      if (!user || !before(copy->op, user) || (end && !before(user, end)) ||
          isDealloc(use.getOwner()))
        continue;
      // The fresh buffer is freed at the block's end: it must not leave the
      // block, nor be read (through a view) after `end`.
      if (user->hasTrait<OpTrait::IsTerminator>() || !usedOnlyBefore(use.getOwner(), block, end))
        return;
      destUses.push_back(&use);
    }

    // The fresh buffer, before the attention, and freed at the block's end
    // (tg-dealloc-after-last-use moves it up to its last use).
    auto alloc = cast<memref::AllocOp>(dest.getDefiningOp());
    OpBuilder b(attention);
    auto fresh = cast<memref::AllocOp>(b.clone(*alloc));
    Value view = permutedView(b, attention, fresh, copy->destMap, copy->sourceMap);
    if (!view) {
      fresh.erase();
      return;
    }
    b.setInsertionPoint(block->getTerminator());
    memref::DeallocOp::create(b, attention->getLoc(), fresh);
    operand.set(view);
    for (OpOperand *read : attentionReads)
      read->set(view);
    for (OpOperand *use : destUses)
      use->set(fresh);
    copy->op.erase();
    eraseIfOnlyDeallocated(result);
    eraseIfOnlyDeallocated(dest);
  }

  /// Erases the copies whose reads were all folded, and then their
  /// destinations if nothing else uses them.
  void eraseUnreadCopies() {
    for (linalg::GenericOp copy : copies) {
      Value dest = copy.getDpsInits()[0];
      bool unread = llvm::all_of(dest.getUsers(), [&](Operation *user) {
        return user == copy || isDealloc(user) ||
               (isa<ViewLikeOpInterface>(user) && user->use_empty());
      });
      if (!unread)
        continue;
      copy.erase();
      for (Operation *user : llvm::make_early_inc_range(dest.getUsers()))
        if (!isDealloc(user))
          user->erase(); // views nothing reads
      eraseIfOnlyDeallocated(dest);
    }
  }

private:
  /// Whether `op` writes all of `root`'s memory without reading it: a
  /// linalg op whose only access to it is writing its whole allocation.
  bool overwrites(Operation *op, const BufferRoot &root) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics() || root.kind != BufferRoot::Allocation)
      return false;
    bool writesWhole = false;
    for (OpOperand &use : op->getOpOperands()) {
      if (!buffers.rootOf(use.get()).mayAlias(root))
        continue;
      if (!linalgOp.isDpsInit(&use) || use.get() != root.allocation ||
          linalgOp.payloadUsesValueFromOperand(&use))
        return false;
      writesWhole = true;
    }
    return writesWhole;
  }

  /// Whether `op` accesses `root` only through `dest` itself or views of it
  /// made after `copy`.
  bool readsOnlyThrough(Operation *op, const BufferRoot &root, Value dest, Operation *copy) {
    WalkResult walk = op->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands()) {
        if (!isa<BaseMemRefType>(operand.getType()) || !buffers.rootOf(operand).mayAlias(root))
          continue;
        Value value = operand;
        while (value != dest) {
          auto view = value.getDefiningOp<ViewLikeOpInterface>();
          Operation *viewInBlock = view ? inBlock(view, copy->getBlock()) : nullptr;
          if (!viewInBlock || !before(copy, viewInBlock))
            return WalkResult::interrupt();
          value = view.getViewSource();
        }
      }
      return WalkResult::advance();
    });
    return !walk.wasInterrupted();
  }

  /// Erases `buffer`'s allocation when deallocations are all that use it.
  static void eraseIfOnlyDeallocated(Value buffer) {
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    if (!alloc)
      return;
    SmallVector<Operation *> deallocs;
    for (Operation *user : buffer.getUsers()) {
      auto dealloc = dyn_cast<bufferization::DeallocOp>(user);
      if (isa<memref::DeallocOp>(user) ||
          (dealloc && dealloc.getMemrefs().size() == 1 && dealloc.getRetained().empty()))
        deallocs.push_back(user);
      else
        return;
    }
    for (Operation *dealloc : deallocs)
      dealloc->erase();
    alloc.erase();
  }

  BufferAccessAnalysis buffers;
  llvm::SetVector<linalg::GenericOp> copies;      // whose reads were folded
  llvm::DenseMap<Operation *, Value> sourceViews; // by copy
};

struct TGGPUAttentionViewsPass : tg::impl::TGGPUAttentionViewsBase<TGGPUAttentionViewsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> attentions;
    getOperation().walk([&](Operation *op) {
      if (isa<tg::FusedAttentionForwardOp, tg::FusedAttentionBackwardOp>(op) &&
          op->getNumResults() == 0)
        attentions.push_back(op);
    });
    AttentionViews views(getOperation());
    for (Operation *attention : attentions) {
      for (OpOperand *operand : bf16Operands(attention, /*written=*/true))
        views.foldWrite(attention, *operand);
      for (OpOperand *operand : bf16Operands(attention, /*written=*/false))
        views.foldRead(attention, *operand);
    }
    views.eraseUnreadCopies();
  }
};

} // namespace
