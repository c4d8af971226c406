//===- GPUBlockLocalBuffers.cpp - one-block launches' buffers, shared ---===//
//
// tg-gpu-merge-small-launches makes a small model's chains of tiny kernels
// one block whose phases pass values through device buffers: a
// cross-entropy over 128 rows of 10 stores each row's maximum, sum and
// scale, and the partial sums of its mean and bias gradient, for the next
// phase to load after a gpu.barrier. Those buffers are allocated right
// before the launch and freed right after it: nothing else ever reads them.
// In the block's shared memory (a workgroup attribution) each load after a
// barrier costs tens of cycles, not a trip to L2, and the buffers leave
// the arena.
//
// A buffer qualifies when its launch has one block (a launch of several
// would give each its own copy) and the buffer is a `gpu.alloc` of static
// shape in the launch's block, used only by loads and stores inside the
// launch and by deallocations after it, within a budget of shared memory.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUBLOCKLOCALBUFFERS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

bool isOneBlock(gpu::LaunchOp launch) {
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  return getConstantIntValue(grid.x) == 1 && getConstantIntValue(grid.y) == 1 &&
         getConstantIntValue(grid.z) == 1 && !launch.hasClusterSize();
}

/// The bytes of a static memref of int or float elements; nullopt otherwise.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      !type.getElementType().isIntOrFloat())
    return std::nullopt;
  return type.getNumElements() * llvm::divideCeil(type.getElementTypeBitWidth(), 8);
}

/// The bytes of `launch`'s workgroup attributions.
int64_t sharedBytesOf(gpu::LaunchOp launch) {
  int64_t bytes = 0;
  for (BlockArgument shared : launch.getWorkgroupAttributions())
    bytes += staticBytes(cast<MemRefType>(shared.getType())).value_or(0);
  return bytes;
}

/// Whether `alloc`'s buffer is only loaded and stored inside `launch` and
/// freed after it (in the launch's block).
bool onlyUsedBy(gpu::AllocOp alloc, gpu::LaunchOp launch) {
  if (alloc->getBlock() != launch->getBlock() || !alloc.getAsyncDependencies().empty() ||
      alloc.getAsyncToken() || alloc.getHostShared() || !alloc->isBeforeInBlock(launch))
    return false;
  for (OpOperand &use : alloc.getMemref().getUses()) {
    Operation *user = use.getOwner();
    if (launch->isProperAncestor(user)) {
      if (!isa<memref::LoadOp, memref::StoreOp>(user) ||
          (isa<memref::StoreOp>(user) && use.getOperandNumber() != 1))
        return false; // a view, a call, or the buffer stored as a value
      continue;
    }
    if (!isa<gpu::DeallocOp, memref::DeallocOp>(user) || user->getBlock() != launch->getBlock() ||
        !launch->isBeforeInBlock(user))
      return false;
  }
  return true;
}

struct TGGPUBlockLocalBuffers : tg::impl::TGGPUBlockLocalBuffersBase<TGGPUBlockLocalBuffers> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp launch) {
      if (isOneBlock(launch) && launch.getBody().hasOneBlock())
        launches.push_back(launch);
    });
    for (gpu::LaunchOp launch : launches)
      promote(launch);
  }

  void promote(gpu::LaunchOp launch) {
    // The buffers the launch uses, in the order it first uses them.
    llvm::SetVector<gpu::AllocOp> candidates;
    launch.getBody().walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (auto alloc = operand.getDefiningOp<gpu::AllocOp>())
          candidates.insert(alloc);
    });
    int64_t budget = maxBytes - sharedBytesOf(launch);
    auto workgroup = gpu::AddressSpaceAttr::get(&getContext(), gpu::AddressSpace::Workgroup);
    for (gpu::AllocOp alloc : candidates) {
      auto type = cast<MemRefType>(alloc.getMemref().getType());
      std::optional<int64_t> bytes = staticBytes(type);
      if (!bytes || *bytes > budget || !onlyUsedBy(alloc, launch))
        continue;
      budget -= *bytes;
      BlockArgument shared = launch.addWorkgroupAttribution(
          MemRefType::get(type.getShape(), type.getElementType(), nullptr, workgroup),
          alloc.getLoc());
      for (Operation *user : llvm::make_early_inc_range(alloc.getMemref().getUsers()))
        if (!launch->isProperAncestor(user))
          user->erase(); // a deallocation
      alloc.getMemref().replaceAllUsesWith(shared);
      alloc.erase();
    }
  }
};

} // namespace
