//===- GPUAttentionViews.cpp - attention operands as views, not copies ----===//
//
// A transformer splits its heads with a transpose before its attention,
// [B, T, H, D] -> [B, H, T, D], and merges them after it; its gradient does
// the same backward. After bufferization each is a copy of a whole
// activation (GPT-2's: 12.6 MB in bf16, read and written, 8 a step). The
// fused attention kernels address rows through strides, so on buffers this
// pass hands them the activations themselves, through transposed views:
//
//  - a [B, H, T, D] operand (bf16 or f32) the attention reads from a buffer
//    that a permuting copy of buffer S wrote last reads S through a view
//    instead, when nothing writes S between the copy and the attention. If
//    something overwrites S there (bufferization lets f32 q, k and v share
//    one buffer, each dead once split), what S held gets a fresh buffer
//    from its writer on;
//  - a result that a permuting copy C then moves into buffer D is written
//    through a view into a fresh buffer M, which the readers of what C
//    wrote into D (every use of D from C to D's next full overwrite) read
//    instead; attention ops reading the result (the backward reads the
//    forward's) read M's view. M is fresh, rather than D itself, because
//    bufferization lets the head merges of dq, dk and dv share one D.
//
// Copies left without readers go, and buffers left only deallocated. All
// of it within one block, with BufferAccessAnalysis's roots; anything it
// cannot prove, or a view the kernels cannot take (rows of unit stride,
// 16-byte aligned), leaves the copy in place.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"
#include "tg/TGOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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

/// The attention kernel's [B, H, T, D] operands (bf16 or f32) it reads
/// (`written`: writes); its rank-3 row statistics stay as they are.
SmallVector<OpOperand *> headOperands(Operation *attention, bool written) {
  auto kernel = cast<DestinationStyleOpInterface>(attention);
  SmallVector<OpOperand *> operands;
  for (OpOperand &operand : attention->getOpOperands())
    if (kernel.isDpsInit(&operand) == written &&
        cast<MemRefType>(operand.get().getType()).getRank() == 4)
      operands.push_back(&operand);
  return operands;
}

/// A buffer of the function's own, whole: a static memref.alloc.
bool isWholeAllocation(Value buffer) {
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  return alloc && alloc.getType().hasStaticShape() && alloc.getType().getLayout().isIdentity();
}

/// A view's sizes, strides and offset.
struct ViewLayout {
  SmallVector<int64_t> sizes, strides;
  int64_t offset;
};

/// The layout of `memory` (of `type`), which the copy indexes with
/// `memoryMap`, as the copy's other operand (indexed with `viewMap`) sees
/// it: permuted strides. Nullopt when `type`'s layout is not static, or
/// when the view's rows are not what the kernels take: unit stride along D,
/// and the offset and other strides multiples of 16 bytes (8 bf16 or 4 f32
/// elements), so that every row starts 16-byte aligned.
std::optional<ViewLayout> permutedLayout(MemRefType type, AffineMap memoryMap, AffineMap viewMap) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic) || !type.hasStaticShape())
    return std::nullopt;
  SmallVector<int64_t> memoryDimOfLoop(memoryMap.getNumDims());
  for (unsigned dim = 0; dim < memoryMap.getNumResults(); ++dim)
    memoryDimOfLoop[memoryMap.getDimPosition(dim)] = dim;
  ViewLayout layout;
  layout.offset = offset;
  for (unsigned dim = 0; dim < viewMap.getNumResults(); ++dim) {
    int64_t source = memoryDimOfLoop[viewMap.getDimPosition(dim)];
    layout.sizes.push_back(type.getDimSize(source));
    layout.strides.push_back(strides[source]);
  }
  int64_t rowAlignment = std::max<int64_t>(1, 128 / type.getElementTypeBitWidth());
  if (layout.strides.back() != 1 || offset % rowAlignment != 0 ||
      llvm::any_of(ArrayRef(layout.strides).drop_back(),
                   [&](int64_t stride) { return stride % rowAlignment != 0; }))
    return std::nullopt;
  return layout;
}

/// `memory` through permutedLayout's view, before `point`; null without one.
Value permutedView(OpBuilder &b, Operation *point, Value memory, AffineMap memoryMap,
                   AffineMap viewMap) {
  auto type = cast<MemRefType>(memory.getType());
  std::optional<ViewLayout> layout = permutedLayout(type, memoryMap, viewMap);
  if (!layout)
    return {};
  auto viewType =
      MemRefType::get(layout->sizes, type.getElementType(),
                      StridedLayoutAttr::get(b.getContext(), layout->offset, layout->strides),
                      type.getMemorySpace());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(point);
  return memref::ReinterpretCastOp::create(b, point->getLoc(), viewType, memory, layout->offset,
                                           layout->sizes, layout->strides);
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
    if (!copy ||
        (!sourceViews.lookup(copy->op) &&
         !permutedLayout(cast<MemRefType>(copy->source.getType()), copy->sourceMap, copy->destMap)))
      return;
    // Its source unchanged until the attention reads it: when a full
    // overwrite reuses the source's buffer, the source gets one of its own.
    BufferRoot source = buffers.rootOf(copy->source);
    for (Operation *op = copy->op->getNextNode(); op != attention; op = op->getNextNode()) {
      if (!buffers.mayAccess(op, source, /*writesOnly=*/true))
        continue;
      if (!renameOverwritten(*copy, op))
        return;
      source = buffers.rootOf(copy->source);
    }
    for (OpOperand *written : headOperands(attention, /*written=*/true))
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
        SmallVector<OpOperand *> reads = headOperands(op, /*written=*/false);
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
               !accessesOnlyThrough(op, destRoot, dest, copy->op))
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
  /// Gives the source of `copy`, which `clobber` (after it) overwrites, a
  /// fresh buffer from its last full overwrite before the copy up to
  /// `clobber`, and whether it did. Bufferization lets values share a buffer
  /// once the first is dead: in f32, the q, k and v that a transformer's
  /// linear layers write are dead once their heads are split (copied), so
  /// all three are written into one buffer in turn. The buffer must be a
  /// whole allocation of the copy's block, overwritten whole before the copy
  /// and by `clobber` (neither reads it), and accessed in between only
  /// through itself or views made there that nothing uses from `clobber` on:
  /// then what it holds in between depends on nothing outside, and nothing
  /// outside reads it.
  bool renameOverwritten(const PermutingCopy &copy, Operation *clobber) {
    BufferRoot root = buffers.rootOf(copy.source);
    Block *block = copy.op->getBlock();
    if (root.kind != BufferRoot::Allocation || !isWholeAllocation(root.allocation) ||
        root.allocation.getParentBlock() != block || !overwrites(clobber, root))
      return false;
    Operation *write = nullptr;
    for (Operation *op = copy.op->getPrevNode(); op && !write; op = op->getPrevNode())
      if (overwrites(op, root))
        write = op;
    if (!write)
      return false;
    for (Operation *op = write->getNextNode(); op != clobber; op = op->getNextNode()) {
      bool frees =
          isDealloc(op) && llvm::any_of(op->getOperands(), [&](Value operand) {
            return isa<BaseMemRefType>(operand.getType()) && buffers.rootOf(operand).mayAlias(root);
          });
      if (frees ||
          (buffers.mayAccess(op, root) && !accessesOnlyThrough(op, root, root.allocation, write)))
        return false;
    }
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : root.allocation.getUses()) {
      Operation *user = inBlock(use.getOwner(), block);
      if (!user || (user != write && (before(user, write) || !before(user, clobber))))
        continue;
      if (!usedOnlyBefore(use.getOwner(), block, clobber))
        return false;
      uses.push_back(&use);
    }
    OpBuilder b(write);
    Operation *fresh = b.clone(*root.allocation.getDefiningOp());
    b.setInsertionPoint(block->getTerminator());
    memref::DeallocOp::create(b, write->getLoc(), fresh->getResult(0));
    for (OpOperand *use : uses)
      use->set(fresh->getResult(0));
    return true;
  }

  /// Whether `op` writes all of `root`'s memory without reading it: a
  /// linalg op whose only access to it is writing its whole allocation.
  bool overwrites(Operation *op, const BufferRoot &root) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || !linalgOp.hasPureBufferSemantics() || root.kind != BufferRoot::Allocation)
      return false;
    bool writesWhole = false;
    for (OpOperand &use : op->getOpOperands()) {
      // (A scalar, such as a fill's value, is no memory.)
      if (!isa<BaseMemRefType>(use.get().getType()) || !buffers.rootOf(use.get()).mayAlias(root))
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
  bool accessesOnlyThrough(Operation *op, const BufferRoot &root, Value dest, Operation *copy) {
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
      for (OpOperand *operand : headOperands(attention, /*written=*/true))
        views.foldWrite(attention, *operand);
      for (OpOperand *operand : headOperands(attention, /*written=*/false))
        views.foldRead(attention, *operand);
    }
    views.eraseUnreadCopies();
  }
};

} // namespace
