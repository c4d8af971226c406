//===- GPULaunch.cpp - host functions whose memory lives on the GPU -------===//
//
// After bufferization and convert-linalg-to-parallel-loops, a function is a
// sequence of parallel loops (one per linalg op), sequential loop nests
// (full reductions, scatters), scalar loads and stores (0-d buffers),
// copies, allocations and deallocation bookkeeping. All buffers live in
// device memory, so everything that reads or writes one must run on the
// device:
//
//   scf.parallel            -> gpu.launch, one thread per iteration
//   loads, stores, loops    -> gpu.launch of one thread (consecutive ones share
//     of them                 a launch, with the pure ops computing on their
//                             results)
//   memref.copy             -> gpu.memcpy (identity layouts) or a parallel loop
//   memref.alloc            -> gpu.alloc
//   bufferization.clone     -> gpu.alloc and a copy
//
// Host control flow that contains parallel loops stays on the host and its
// regions are mapped in turn. Everything else (allocation, bookkeeping,
// calls) stays on the host: it never dereferences a buffer.
//
//===----------------------------------------------------------------------===//

#include "passes/Delinearize.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SetVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPULAUNCH
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Whether `op` only reads and writes memory, possibly in loops: work for
/// one device thread. Allocation, deallocation, copies and calls are not.
bool isMemoryAccess(Operation *op) {
  bool accesses = false;
  WalkResult walk = op->walk([&](Operation *nested) {
    if (isa<gpu::AsyncOpInterface>(nested))
      return WalkResult::interrupt(); // device copies are host calls
    if (isa<memref::AllocaOp>(nested) && nested != op)
      return WalkResult::advance(); // a thread's scratch buffer
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects)
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ? WalkResult::advance()
                                                                    : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &instance : instances) {
      if (!isa<MemoryEffects::Read, MemoryEffects::Write>(instance.getEffect()))
        return WalkResult::interrupt();
      accesses = true;
    }
    return WalkResult::advance();
  });
  return accesses && !walk.wasInterrupted();
}

bool containsParallelLoop(Operation *op) {
  return op->walk([](scf::ParallelOp) { return WalkResult::interrupt(); }).wasInterrupted();
}

bool hasIdentityLayout(Value value) {
  return cast<MemRefType>(value.getType()).getLayout().isIdentity();
}

/// At most this many buffers in a single-thread launch: each is a kernel
/// parameter (a memref descriptor, 24 to 88 bytes) and a kernel's
/// parameters must fit in 4 KB. A loss that sums a term of each of 100
/// parameters is 100 scalar reads: they go to several launches.
constexpr size_t kMaxLaunchBuffers = 48;

/// The largest grid dimension y or z (x goes to 2^31 - 1).
constexpr int64_t kMaxGridDim = 65535;

/// The buffers `op` (and the ops nested in it) reads or writes that are
/// defined outside it.
llvm::SmallPtrSet<Value, 8> buffersUsedBy(Operation *op) {
  llvm::SmallPtrSet<Value, 8> buffers;
  op->walk([&](Operation *nested) {
    for (Value operand : nested->getOperands())
      if (isa<BaseMemRefType>(operand.getType()) &&
          !op->isAncestor(operand.getParentRegion()->getParentOp()))
        buffers.insert(operand);
  });
  return buffers;
}

class Launcher {
public:
  explicit Launcher(int64_t threadsPerBlock) : threadsPerBlock(threadsPerBlock) {}

  /// Maps the ops of `block` and of the host regions nested in it.
  LogicalResult mapBlock(Block &block) {
    SmallVector<Operation *> group; // memory accesses for one thread
    llvm::SmallPtrSet<Operation *, 16> inGroup;
    llvm::SmallPtrSet<Value, 16> groupBuffers; // its kernel's buffer parameters
    SmallVector<memref::LoadOp> passedScalars; // reads of the last launch's scalars
    auto flush = [&]() -> LogicalResult {
      passedScalars.clear();
      if (group.empty())
        return success();
      LogicalResult result = launchSingleThread(group, passedScalars);
      group.clear();
      inGroup.clear();
      groupBuffers.clear();
      return result;
    };
    auto addToGroup = [&](Operation *op) {
      llvm::SmallPtrSet<Value, 8> buffers = buffersUsedBy(op);
      groupBuffers.insert(buffers.begin(), buffers.end());
      group.push_back(op);
      inGroup.insert(op);
    };
    auto usesGroup = [&](Operation *op) {
      return llvm::any_of(op->getOperands(), [&](Value operand) {
        Operation *def = operand.getDefiningOp();
        return def && inGroup.contains(def);
      });
    };

    // A flush puts reads of the scalars it passes on before their users:
    // before `op` or after it, so the next op is taken after `op` is done.
    Operation *end = block.mightHaveTerminator() ? block.getTerminator() : nullptr;
    for (Operation *next, *op = &block.front(); op != end; op = next) {
      next = op->getNextNode();
      if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
        if (failed(flush()) || failed(launchParallel(loop)))
          return failure();
        continue; // erased
      }
      if (op->getNumRegions() > 0 && containsParallelLoop(op)) {
        if (failed(flush()))
          return failure();
        for (Region &region : op->getRegions())
          for (Block &nested : region)
            if (failed(mapBlock(nested)))
              return failure();
      } else if (isMemoryAccess(op) || (isMemoryEffectFree(op) && usesGroup(op))) {
        llvm::SmallPtrSet<Value, 8> buffers = buffersUsedBy(op);
        size_t added = llvm::count_if(buffers, [&](Value b) { return !groupBuffers.contains(b); });
        if (groupBuffers.size() + added > kMaxLaunchBuffers) {
          if (failed(flush()))
            return failure();
          for (memref::LoadOp read : passedScalars)
            if (read->getBlock() == &block && read->isBeforeInBlock(op))
              addToGroup(read);
        }
        addToGroup(op);
      } else if (!isMemoryEffectFree(op) && !isa<gpu::AllocOp>(op)) {
        // Anything else with effects (copies, deallocation, calls) keeps its
        // place after the accesses before it. Pure ops and allocations may
        // stay in front of the launch.
        if (failed(flush()))
          return failure();
      }
      next = op->getNextNode();
    }
    return flush();
  }

private:
  Value constant(OpBuilder &b, Location loc, int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }

  /// `loop` as one thread per iteration, in blocks of `threadsPerBlock`
  /// threads along its last dimension. When that dimension is long, a
  /// multiple of a warp (else warps would straddle rows: rows of 50257
  /// floats ran 10% slower), and the others fit the grid's y and z (static
  /// trip counts), the grid is
  /// [blocks of the last dimension, the one before, the rest]: a thread
  /// finds its indices without dividing, and only by the block for the
  /// rest (the same in a whole block). Otherwise the iteration space is
  /// flattened, the last block guarded.
  LogicalResult launchParallel(scf::ParallelOp loop) {
    if (loop.getNumReductions() != 0)
      return loop.emitError("parallel loops with reductions cannot run on the GPU yet");
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value one = constant(b, loc, 1), threads = constant(b, loc, threadsPerBlock);
    SmallVector<Value> tripCounts;
    SmallVector<int64_t> staticCounts;
    Value total = one;
    for (auto [lower, upper, step] :
         llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
      Value span = arith::SubIOp::create(b, loc, upper, lower);
      tripCounts.push_back(arith::CeilDivUIOp::create(b, loc, span, step));
      total = arith::MulIOp::create(b, loc, total, tripCounts.back());
      std::optional<int64_t> l = getConstantIntValue(lower), u = getConstantIntValue(upper),
                             s = getConstantIntValue(step);
      staticCounts.push_back(l && u && s ? llvm::divideCeil(*u - *l, *s) : ShapedType::kDynamic);
    }
    int64_t rank = loop.getNumLoops();
    int64_t outer = 1; // the dimensions before the last two
    for (int64_t count : ArrayRef(staticCounts).drop_back(std::min<int64_t>(rank, 2)))
      outer = count == ShapedType::kDynamic ? kMaxGridDim + 1 : outer * count;
    bool grid = rank >= 2 && !llvm::is_contained(staticCounts, ShapedType::kDynamic) &&
                staticCounts.back() >= threadsPerBlock && staticCounts.back() % 32 == 0 &&
                staticCounts[rank - 2] <= kMaxGridDim && outer <= kMaxGridDim;

    SmallVector<Value> indices(rank); // of each dimension, from 0
    gpu::LaunchOp launch;
    Value inRange;
    OpBuilder body(b.getContext());
    if (grid) {
      Value columnBlocks = arith::CeilDivUIOp::create(b, loc, tripCounts.back(), threads);
      launch = gpu::LaunchOp::create(b, loc, columnBlocks, tripCounts[rank - 2],
                                     constant(b, loc, outer), threads, one, one);
      body = OpBuilder::atBlockBegin(&launch.getBody().front());
      Value blockStart = arith::MulIOp::create(body, loc, launch.getBlockIds().x, threads);
      indices[rank - 1] = arith::AddIOp::create(body, loc, blockStart, launch.getThreadIds().x);
      indices[rank - 2] = launch.getBlockIds().y;
      llvm::copy(
          tg::delinearize(body, loc, launch.getBlockIds().z, ValueRange(tripCounts).drop_back(2)),
          indices.begin());
      inRange = arith::CmpIOp::create(body, loc, arith::CmpIPredicate::ult, indices[rank - 1],
                                      tripCounts.back());
    } else {
      Value blocks = arith::CeilDivUIOp::create(b, loc, total, threads);
      launch = gpu::LaunchOp::create(b, loc, blocks, one, one, threads, one, one);
      body = OpBuilder::atBlockBegin(&launch.getBody().front());
      Value blockStart = arith::MulIOp::create(body, loc, launch.getBlockIds().x, threads);
      Value id = arith::AddIOp::create(body, loc, blockStart, launch.getThreadIds().x);
      inRange = arith::CmpIOp::create(body, loc, arith::CmpIPredicate::ult, id, total);
      indices[0] = id;
    }
    auto guard = scf::IfOp::create(body, loc, inRange, /*withElseRegion=*/false);
    gpu::TerminatorOp::create(body, loc);

    OpBuilder then = guard.getThenBodyBuilder();
    // Row-major: the last dimension varies fastest, so neighbouring
    // threads touch neighbouring elements.
    if (!grid)
      indices = tg::delinearize(then, loc, indices[0], tripCounts);
    IRMapping mapping;
    for (int64_t d = 0; d < rank; ++d) {
      Value offset = arith::MulIOp::create(then, loc, indices[d], loop.getStep()[d]);
      mapping.map(loop.getInductionVars()[d],
                  arith::AddIOp::create(then, loc, loop.getLowerBound()[d], offset));
    }
    for (Operation &op : loop.getBody()->without_terminator())
      then.clone(op, mapping);
    loop.erase();
    return success();
  }

  /// Moves `ops` (in order) into a launch of one thread, placed after the
  /// last of them; the ops between them that stay do not depend on them.
  /// Scalars that later code needs (a seed read from a 0-d buffer, say)
  /// pass through device buffers of their own; `passedScalars` gets the
  /// reads of them.
  LogicalResult launchSingleThread(ArrayRef<Operation *> ops,
                                   SmallVectorImpl<memref::LoadOp> &passedScalars) {
    Location loc = ops.front()->getLoc();
    OpBuilder b(ops.back()->getContext());
    b.setInsertionPointAfter(ops.back());
    Value one = constant(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, one, one, one, one, one, one);
    OpBuilder body = OpBuilder::atBlockBegin(&launch.getBody().front());
    auto terminator = gpu::TerminatorOp::create(body, loc);
    for (Operation *op : ops)
      op->moveBefore(terminator);

    for (Operation *op : ops) {
      for (Value result : op->getResults()) {
        SmallVector<OpOperand *> laterUses;
        for (OpOperand &use : result.getUses())
          if (!launch->isProperAncestor(use.getOwner()))
            laterUses.push_back(&use);
        if (laterUses.empty())
          continue;
        for (OpOperand *use : laterUses)
          if (!runsOnDevice(use->getOwner()) || isa<ShapedType>(result.getType()))
            return use->getOwner()->emitError(
                "the host needs a value read from device memory here (control flow on "
                "tensor data is not supported on the GPU)");
        b.setInsertionPoint(launch);
        Value buffer = gpu::AllocOp::create(b, loc, MemRefType::get({}, result.getType()), Type(),
                                            ValueRange(), ValueRange(), ValueRange(),
                                            /*hostShared=*/false)
                           .getMemref();
        b.setInsertionPoint(terminator);
        memref::StoreOp::create(b, loc, result, buffer);
        for (OpOperand *use : laterUses) {
          b.setInsertionPoint(use->getOwner());
          passedScalars.push_back(memref::LoadOp::create(b, loc, buffer));
          use->set(passedScalars.back());
        }
        b.setInsertionPoint(launch->getBlock()->getTerminator());
        gpu::DeallocOp::create(b, loc, TypeRange(), ValueRange(), buffer);
      }
    }
    return success();
  }

  /// Whether `op` will run on the device: in a parallel loop, or as a
  /// memory access or pure op of the host (which joins a one-thread launch
  /// when it reads a device buffer).
  static bool runsOnDevice(Operation *op) {
    return op->getParentOfType<scf::ParallelOp>() || isMemoryEffectFree(op) || isMemoryAccess(op);
  }

  int64_t threadsPerBlock;
};

struct TGGPULaunchPass : tg::impl::TGGPULaunchBase<TGGPULaunchPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (threadsPerBlock < 1 || threadsPerBlock > 1024) {
      module.emitError("threads-per-block must be in [1, 1024]");
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp func : functions) {
      if (func.isExternal())
        continue;
      if (failed(moveBuffersToDevice(func)))
        return signalPassFailure();
      Launcher launcher(threadsPerBlock);
      for (Block &block : func.getBody())
        if (failed(launcher.mapBlock(block)))
          return signalPassFailure();
    }
  }

  /// Allocations on the device; clones (of returned buffers the function
  /// does not own) as allocations and copies; copies as device copies or
  /// parallel loops (mapped to kernels with the other loops).
  LogicalResult moveBuffersToDevice(func::FuncOp func) {
    WalkResult clones = func.walk([&](bufferization::CloneOp clone) {
      auto type = cast<MemRefType>(clone.getType());
      if (!type.getLayout().isIdentity()) {
        clone.emitError("cannot copy a buffer with a layout on the GPU");
        return WalkResult::interrupt();
      }
      OpBuilder b(clone);
      SmallVector<Value> dynamicSizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d))
          dynamicSizes.push_back(memref::DimOp::create(b, clone.getLoc(), clone.getInput(), d));
      auto copy = memref::AllocOp::create(b, clone.getLoc(), type, dynamicSizes);
      memref::CopyOp::create(b, clone.getLoc(), clone.getInput(), copy);
      clone.replaceAllUsesWith(copy.getResult());
      clone.erase();
      return WalkResult::advance();
    });
    if (clones.wasInterrupted())
      return failure();
    func.walk([&](memref::AllocOp alloc) {
      OpBuilder b(alloc);
      auto device = gpu::AllocOp::create(b, alloc.getLoc(), alloc.getType(), Type(), ValueRange(),
                                         alloc.getDynamicSizes(), alloc.getSymbolOperands(),
                                         /*hostShared=*/false);
      alloc.replaceAllUsesWith(device.getMemref());
      alloc.erase();
    });
    func.walk([&](memref::CopyOp copy) {
      OpBuilder b(copy);
      Location loc = copy.getLoc();
      Value source = copy.getSource(), target = copy.getTarget();
      auto type = cast<MemRefType>(target.getType());
      if (hasIdentityLayout(source) && hasIdentityLayout(target)) {
        gpu::MemcpyOp::create(b, loc, TypeRange(), ValueRange(), target, source);
      } else if (type.getRank() == 0) {
        Value value = memref::LoadOp::create(b, loc, source);
        memref::StoreOp::create(b, loc, value, target);
      } else {
        SmallVector<Value> lower, upper, steps;
        for (int64_t d = 0; d < type.getRank(); ++d) {
          lower.push_back(arith::ConstantIndexOp::create(b, loc, 0));
          upper.push_back(memref::DimOp::create(b, loc, target, d));
          steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
        }
        scf::ParallelOp::create(b, loc, lower, upper, steps,
                                [&](OpBuilder &nested, Location loc, ValueRange ivs) {
                                  Value value = memref::LoadOp::create(nested, loc, source, ivs);
                                  memref::StoreOp::create(nested, loc, value, target, ivs);
                                });
      }
      copy.erase();
    });
    return success();
  }
};

} // namespace
