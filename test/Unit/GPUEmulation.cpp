//===- GPUEmulation.cpp - run the GPU mapping on the CPU ------------------===//

#include "GPUEmulation.h"

#include "Compiler/GPUPipeline.h"
#include "Compiler/Pipeline.h"
#include "passes/Passes.h"

#include "tgc/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <atomic>

using namespace mlir;

namespace {
std::atomic<long> forksDropped{0};
} // namespace

namespace {

/// Whether `op` is device work that tg-gpu-concurrent-branches schedules.
bool isDeviceWork(Operation *op) {
  if (isa<gpu::LaunchOp>(op))
    return true;
  auto call = dyn_cast<func::CallOp>(op);
  return call && (call.getCallee().starts_with("tgc_cuda_matmul") ||
                  call.getCallee().starts_with("tgc_cuda_attention"));
}

/// Puts each tgc_cuda_fork .. tgc_cuda_join region's device work in one
/// order that its branch calls allow, one of the two extremes: the main
/// stream's work runs whenever its waits are met and the side stream's only
/// when the main one must wait (side late), or the reverse (side early).
/// Pure operations and allocations move before the work, deallocations
/// after the join (where the runtime frees them); the stream and event calls
/// go, the fork and the join stay (EmulateGPUOnCPUPass drops them).
struct InterleaveBranchesPass : PassWrapper<InterleaveBranchesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(InterleaveBranchesPass)
  explicit InterleaveBranchesPass(bool sideLate) : sideLate(sideLate) {}
  StringRef getArgument() const final { return "test-interleave-branches"; }

  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>()) {
      if (function.isExternal())
        continue;
      SmallVector<std::pair<Operation *, Operation *>> regions;
      Operation *fork = nullptr;
      for (Operation &op : function.getBody().front())
        if (auto call = dyn_cast<func::CallOp>(op)) {
          if (call.getCallee() == "tgc_cuda_fork")
            fork = &op;
          else if (call.getCallee() == "tgc_cuda_join" && fork)
            regions.push_back({std::exchange(fork, nullptr), &op});
        }
      for (auto [start, end] : regions)
        if (failed(interleave(start, end)))
          return signalPassFailure();
    }
  }

  LogicalResult interleave(Operation *fork, Operation *join) {
    // Each stream's work in program order, and for each piece how many of
    // the other stream's it waits for.
    SmallVector<Operation *> work[2], pure, deallocs, branchCalls;
    SmallVector<int64_t> waitsFor[2];
    llvm::DenseMap<int64_t, std::pair<int, int64_t>> signalled; // event -> stream, its work count
    int64_t waited[2] = {0, 0};
    int current = 0;
    for (Operation *op = fork->getNextNode(); op != join; op = op->getNextNode()) {
      auto call = dyn_cast<func::CallOp>(op);
      StringRef callee = call ? call.getCallee() : "";
      if (callee == "tgc_cuda_use_stream" || callee == "tgc_cuda_signal" ||
          callee == "tgc_cuda_wait") {
        int64_t argument = getConstantIntValue(call.getOperand(0)).value_or(-1);
        if (callee == "tgc_cuda_use_stream")
          current = int(argument);
        else if (callee == "tgc_cuda_signal")
          signalled[argument] = {current, int64_t(work[current].size())};
        else if (auto it = signalled.find(argument);
                 it != signalled.end() && it->second.first != current)
          waited[current] = std::max(waited[current], it->second.second);
        branchCalls.push_back(op);
      } else if (isDeviceWork(op)) {
        work[current].push_back(op);
        waitsFor[current].push_back(waited[current]);
      } else if (isa<gpu::DeallocOp>(op)) {
        deallocs.push_back(op);
      } else if (isMemoryEffectFree(op) || isa<gpu::AllocOp>(op)) {
        pure.push_back(op);
      } else {
        return op->emitError("an operation with effects between tgc_cuda_fork and tgc_cuda_join");
      }
    }
    SmallVector<Operation *> order;
    size_t next[2] = {0, 0};
    int preferred = sideLate ? 0 : 1;
    while (order.size() < work[0].size() + work[1].size()) {
      bool progressed = false;
      for (int stream : {preferred, 1 - preferred})
        if (next[stream] < work[stream].size() &&
            waitsFor[stream][next[stream]] <= int64_t(next[1 - stream])) {
          order.push_back(work[stream][next[stream]++]);
          progressed = true;
          break;
        }
      if (!progressed)
        return fork->emitError("branch waits that no order satisfies");
    }
    Operation *at = fork;
    for (Operation *op : llvm::concat<Operation *>(pure, order)) {
      op->moveAfter(at);
      at = op;
    }
    at = join;
    for (Operation *op : deallocs) {
      op->moveAfter(at);
      at = op;
    }
    for (Operation *op : branchCalls)
      op->erase();
    return success();
  }

  bool sideLate;
};

/// gpu.launch -> a loop nest over blocks then threads; gpu.alloc, dealloc
/// and memcpy -> their memref ops; the runtime's cuBLAS matmul -> its CPU
/// matmul, the cuBLASLt one with an epilogue -> that and loops, the bf16
/// ones -> loops; the fused attention kernels -> their host reference.
struct EmulateGPUOnCPUPass : PassWrapper<EmulateGPUOnCPUPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(EmulateGPUOnCPUPass)
  StringRef getArgument() const final { return "test-emulate-gpu-on-cpu"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry
        .insert<arith::ArithDialect, math::MathDialect, memref::MemRefDialect, scf::SCFDialect>();
  }

  void runOnOperation() override {
    // Branches run in program order here, on the one host thread.
    for (StringRef name : {"tgc_cuda_fork", "tgc_cuda_use_stream", "tgc_cuda_signal",
                           "tgc_cuda_wait", "tgc_cuda_join"})
      if (auto declaration = getOperation().lookupSymbol<func::FuncOp>(name)) {
        SmallVector<func::CallOp> calls;
        getOperation().walk([&](func::CallOp call) {
          if (call.getCallee() == name)
            calls.push_back(call);
        });
        if (name == "tgc_cuda_fork")
          forksDropped += calls.size();
        for (func::CallOp call : calls)
          call.erase();
        declaration.erase();
      }
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
    getOperation().walk([](gpu::AllocOp alloc) {
      OpBuilder b(alloc);
      auto host = memref::AllocOp::create(b, alloc.getLoc(), alloc.getMemref().getType(),
                                          alloc.getDynamicSizes(), alloc.getSymbolOperands());
      alloc.getMemref().replaceAllUsesWith(host);
      alloc.erase();
    });
    getOperation().walk([](gpu::DeallocOp dealloc) {
      OpBuilder b(dealloc);
      memref::DeallocOp::create(b, dealloc.getLoc(), dealloc.getMemref());
      dealloc.erase();
    });
    getOperation().walk([](gpu::MemcpyOp copy) {
      OpBuilder b(copy);
      memref::CopyOp::create(b, copy.getLoc(), copy.getSrc(), copy.getDst());
      copy.erase();
    });
    // cuBLASLt's matmuls with an epilogue -> the CPU kernel, then the bias
    // and activation as loops, computed as the generic the call replaced.
    SmallVector<func::CallOp> fused;
    getOperation().walk([&](func::CallOp call) {
      if (call.getCallee() == "tgc_cuda_matmul_bias_f32")
        fused.push_back(call);
    });
    for (func::CallOp call : fused)
      if (failed(emulateEpilogue(call)))
        return signalPassFailure();
    if (Operation *declaration =
            SymbolTable::lookupSymbolIn(getOperation(), "tgc_cuda_matmul_bias_f32"))
      declaration->erase();
    // cuBLAS's bf16 x bf16 -> f32 or bf16 matmuls -> loops accumulating in
    // f32, a bf16 result rounded once (after the bias, before relu).
    SmallVector<func::CallOp> bf16;
    getOperation().walk([&](func::CallOp call) {
      if (call.getCallee() == "tgc_cuda_matmul_bf16_f32" ||
          call.getCallee() == "tgc_cuda_matmul_bf16_bf16" ||
          call.getCallee() == "tgc_cuda_matmul_bias_bf16")
        bf16.push_back(call);
    });
    for (func::CallOp call : bf16)
      if (failed(emulateBF16Matmul(call)))
        return signalPassFailure();
    for (StringRef name :
         {"tgc_cuda_matmul_bf16_f32", "tgc_cuda_matmul_bf16_bf16", "tgc_cuda_matmul_bias_bf16"})
      if (Operation *declaration = SymbolTable::lookupSymbolIn(getOperation(), name))
        declaration->erase();
    // cuBLAS matmuls -> the CPU kernel, which takes the same views; the
    // fused attention kernels -> their host reference, likewise.
    for (StringRef function :
         {"matmul_f32", "matmul_f64", "attention_forward_bf16", "attention_backward_bf16",
          "attention_forward_f32", "attention_backward_f32"}) {
      std::string cuda = ("tgc_cuda_" + function).str(), cpu = ("tgc_" + function).str();
      Operation *kernel = SymbolTable::lookupSymbolIn(getOperation(), cuda);
      if (!kernel)
        continue;
      if (failed(SymbolTable::replaceAllSymbolUses(kernel, StringAttr::get(&getContext(), cpu),
                                                   getOperation())))
        return signalPassFailure();
      SymbolTable::setSymbolName(kernel, cpu);
    }
  }

  LogicalResult emulateEpilogue(func::CallOp call) {
    OpBuilder b(call);
    Location loc = call.getLoc();
    Value a = call.getOperand(0), bm = call.getOperand(1), bias = call.getOperand(2),
          c = call.getOperand(3);
    IntegerAttr kind;
    if (!matchPattern(call.getOperand(4), m_Constant(&kind)))
      return call.emitError("a matmul epilogue that is not a constant");
    auto module = getOperation();
    auto matmul = module.lookupSymbol<func::FuncOp>("tgc_cuda_matmul_f32");
    if (!matmul) {
      OpBuilder end = OpBuilder::atBlockEnd(module.getBody());
      matmul = func::FuncOp::create(
          end, loc, "tgc_cuda_matmul_f32",
          end.getFunctionType({a.getType(), a.getType(), a.getType(), end.getI64Type()}, {}));
      matmul.setPrivate();
      matmul->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), end.getUnitAttr());
    }
    Value overwrite = arith::ConstantIntOp::create(b, loc, 0, 64);
    func::CallOp::create(b, loc, matmul, ValueRange{a, bm, c, overwrite});
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> indices;
    for (int64_t d = 0; d < 3; ++d) {
      Value size = memref::DimOp::create(b, loc, c, d);
      auto loop = scf::ForOp::create(b, loc, zero, size, one);
      indices.push_back(loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    Type f32 = b.getF32Type();
    auto constant = [&](double value) {
      return arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(value)).getResult();
    };
    Value x = arith::AddFOp::create(b, loc, memref::LoadOp::create(b, loc, c, indices),
                                    memref::LoadOp::create(b, loc, bias, indices[2]));
    if (kind.getInt() == TGC_EPILOGUE_BIAS_RELU) {
      x = arith::MaximumFOp::create(b, loc, x, constant(0));
    } else if (kind.getInt() == TGC_EPILOGUE_BIAS_GELU_TANH) {
      // As tg-lower-to-linalg writes gelu's tanh approximation.
      Value cube = arith::MulFOp::create(b, loc, constant(0.044715), x);
      cube = arith::MulFOp::create(b, loc, cube, x);
      cube = arith::MulFOp::create(b, loc, cube, x);
      Value sum = arith::AddFOp::create(b, loc, x, cube);
      Value inner = math::TanhOp::create(
          b, loc, arith::MulFOp::create(b, loc, constant(0.79788456080286535587989211986876), sum));
      Value half = arith::MulFOp::create(b, loc, constant(0.5), x);
      x = arith::MulFOp::create(b, loc, half, arith::AddFOp::create(b, loc, constant(1), inner));
    }
    memref::StoreOp::create(b, loc, x, c, indices);
    call.erase();
    return success();
  }

  LogicalResult emulateBF16Matmul(func::CallOp call) {
    OpBuilder b(call);
    Location loc = call.getLoc();
    // (a, b, c, accumulate) or, with a bias, (a, b, bias, c, epilogue).
    bool withBias = call.getNumOperands() == 5;
    Value a = call.getOperand(0), bm = call.getOperand(1), c = call.getOperand(withBias ? 3 : 2);
    Value bias = withBias ? call.getOperand(2) : Value();
    IntegerAttr kind;
    if (withBias && !matchPattern(call.getOperand(4), m_Constant(&kind)))
      return call.emitError("a matmul epilogue that is not a constant");
    bool relu = kind && kind.getInt() == TGC_EPILOGUE_BIAS_RELU;
    if (kind && !relu && kind.getInt() != TGC_EPILOGUE_BIAS)
      return call.emitError("an unexpected bf16 matmul epilogue");
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value accumulate =
        withBias ? arith::ConstantIntOp::create(b, loc, 0, 1).getResult()
                 : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, call.getOperand(3),
                                         arith::ConstantIntOp::create(b, loc, 0, 64))
                       .getResult();
    SmallVector<Value> indices;
    for (int64_t d = 0; d < 3; ++d) {
      auto loop = scf::ForOp::create(b, loc, zero, memref::DimOp::create(b, loc, c, d), one);
      indices.push_back(loop.getInductionVar());
      b.setInsertionPointToStart(loop.getBody());
    }
    Type f32 = b.getF32Type();
    Type resultType = cast<MemRefType>(c.getType()).getElementType();
    Value old = memref::LoadOp::create(b, loc, c, indices);
    if (old.getType() != f32)
      old = arith::ExtFOp::create(b, loc, f32, old);
    Value initial = arith::SelectOp::create(
        b, loc, accumulate, old, arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0)));
    auto sum = scf::ForOp::create(b, loc, zero, memref::DimOp::create(b, loc, a, 2), one,
                                  ValueRange{initial});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(sum.getBody());
      Value l = sum.getInductionVar();
      auto load = [&](Value view, Value row, Value column) -> Value {
        Value element = memref::LoadOp::create(b, loc, view, ValueRange{indices[0], row, column});
        return arith::ExtFOp::create(b, loc, f32, element);
      };
      Value product =
          arith::MulFOp::create(b, loc, load(a, indices[1], l), load(bm, l, indices[2]));
      scf::YieldOp::create(
          b, loc, ValueRange{arith::AddFOp::create(b, loc, sum.getRegionIterArgs()[0], product)});
    }
    Value result = sum.getResult(0);
    if (bias) {
      Value element = memref::LoadOp::create(b, loc, bias, ValueRange{indices[2]});
      result = arith::AddFOp::create(b, loc, result, arith::ExtFOp::create(b, loc, f32, element));
    }
    if (resultType != f32)
      result = arith::TruncFOp::create(b, loc, resultType, result);
    if (relu)
      result = arith::MaximumFOp::create(
          b, loc, result,
          arith::ConstantOp::create(b, loc, resultType, b.getFloatAttr(resultType, 0)));
    memref::StoreOp::create(b, loc, result, c, indices);
    call.erase();
    return success();
  }

  /// A launch's body between its block-wide synchronizations (gpu.barrier,
  /// gpu.all_reduce at its top level, as tg-gpu-row-kernels and
  /// tg-gpu-merge-small-launches place them) runs for every thread of a
  /// block before the next part starts, as the barrier makes the device do.
  /// A value a later part uses is kept per thread in a scratch buffer; an
  /// all_reduce combines its operands in thread order.
  LogicalResult emulate(gpu::LaunchOp launch) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Block &body = launch.getBody().front();
    SmallVector<SmallVector<Operation *>> parts(1);
    SmallVector<Operation *> synchronizations;
    for (Operation &op : body.without_terminator()) {
      if (isa<gpu::BarrierOp, gpu::AllReduceOp>(op)) {
        synchronizations.push_back(&op);
        parts.emplace_back();
      } else {
        parts.back().push_back(&op);
      }
    }
    WalkResult nested = body.walk([&](Operation *op) {
      if (isa<gpu::BarrierOp, gpu::AllReduceOp>(op) && op->getBlock() != &body)
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (nested.wasInterrupted())
      return launch.emitError("a block-wide synchronization inside control flow");
    // The part of the body each top-level operation is in.
    llvm::DenseMap<Operation *, unsigned> partOf;
    for (auto [index, part] : llvm::enumerate(parts))
      for (Operation *op : part)
        partOf[op] = index;
    for (auto [index, sync] : llvm::enumerate(synchronizations))
      partOf[sync] = index + 1;
    // Values defined in one part and used in a later one (an all_reduce's
    // operand included).
    llvm::SetVector<Value> crossing;
    for (auto [index, part] : llvm::enumerate(parts))
      for (Operation *op : part)
        for (Value result : op->getResults())
          for (Operation *user : result.getUsers())
            if (partOf.lookup(body.findAncestorOpInBlock(*user)) > index)
              crossing.insert(result);

    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    gpu::KernelDim3 gridSize = launch.getGridSizeOperandValues();
    gpu::KernelDim3 blockSize = launch.getBlockSizeOperandValues();
    Value bounds[6] = {gridSize.x, gridSize.y, gridSize.z, blockSize.x, blockSize.y, blockSize.z};
    Value threads = arith::MulIOp::create(
        b, loc, arith::MulIOp::create(b, loc, blockSize.x, blockSize.y), blockSize.z);
    llvm::MapVector<Value, Value> scratch;
    for (Value value : crossing)
      scratch[value] = memref::AllocOp::create(
          b, loc, MemRefType::get({ShapedType::kDynamic}, value.getType()), ValueRange{threads});
    OpBuilder after(launch->getBlock(), std::next(launch->getIterator()));
    for (auto [value, buffer] : scratch)
      memref::DeallocOp::create(after, loc, buffer);

    gpu::KernelDim3 ids[2] = {launch.getBlockIds(), launch.getThreadIds()};
    gpu::KernelDim3 sizes[2] = {launch.getGridSize(), launch.getBlockSize()};
    // A loop nest over one level's three dimensions, its ids mapped.
    auto loopNest = [&](int level, IRMapping &mapping) {
      Value idValues[3] = {ids[level].x, ids[level].y, ids[level].z};
      Value sizeValues[3] = {sizes[level].x, sizes[level].y, sizes[level].z};
      Operation *outermost = nullptr;
      for (int d = 0; d < 3; ++d) {
        auto loop = scf::ForOp::create(b, loc, zero, bounds[3 * level + d], one);
        outermost = outermost ? outermost : loop.getOperation();
        mapping.map(idValues[d], loop.getInductionVar());
        mapping.map(sizeValues[d], bounds[3 * level + d]);
        b.setInsertionPointToStart(loop.getBody());
      }
      return outermost;
    };
    // Shared memory: one buffer, which each block (one after another) uses.
    IRMapping blockMapping;
    if (!launch.getPrivateAttributions().empty())
      return launch.emitError("private attributions");
    for (BlockArgument shared : launch.getWorkgroupAttributions()) {
      auto type = cast<MemRefType>(shared.getType());
      Value buffer =
          memref::AllocOp::create(b, loc, MemRefType::get(type.getShape(), type.getElementType()));
      memref::DeallocOp::create(after, loc, buffer);
      blockMapping.map(shared, buffer);
    }
    loopNest(0, blockMapping);
    for (auto [index, part] : llvm::enumerate(parts)) {
      IRMapping mapping = blockMapping;
      OpBuilder::InsertionGuard guard(b);
      Operation *threadLoops = loopNest(1, mapping);
      Value thread = arith::AddIOp::create(
          b, loc, mapping.lookup(ids[1].x),
          arith::MulIOp::create(
              b, loc, blockSize.x,
              arith::AddIOp::create(
                  b, loc, mapping.lookup(ids[1].y),
                  arith::MulIOp::create(b, loc, blockSize.y, mapping.lookup(ids[1].z)))));
      for (auto [value, buffer] : scratch)
        if (Operation *def = value.getDefiningOp(); partOf.lookup(def) < index)
          mapping.map(value, memref::LoadOp::create(b, loc, buffer, thread));
      for (Operation *op : part) {
        Operation *clone = b.clone(*op, mapping);
        for (auto [result, cloned] : llvm::zip(op->getResults(), clone->getResults()))
          if (scratch.contains(result))
            memref::StoreOp::create(b, loc, cloned, scratch[result], thread);
      }
      // The all_reduce after this part: its operands combined in thread
      // order, once per block (uniform: every later part reads it).
      b.setInsertionPointAfter(threadLoops);
      auto reduce = index < synchronizations.size()
                        ? dyn_cast<gpu::AllReduceOp>(synchronizations[index])
                        : gpu::AllReduceOp();
      if (!reduce)
        continue;
      if (!reduce.getOp())
        return reduce.emitError("an all_reduce with a region");
      Value operands = scratch.lookup(reduce.getValue());
      if (!operands)
        return reduce.emitError("an all_reduce of a value no part of the launch computes");
      Value first = memref::LoadOp::create(b, loc, operands, zero);
      auto combine = scf::ForOp::create(b, loc, one, threads, one, ValueRange{first});
      {
        OpBuilder::InsertionGuard inner(b);
        b.setInsertionPointToStart(combine.getBody());
        Value element = memref::LoadOp::create(b, loc, operands, combine.getInductionVar());
        Value combined =
            vector::makeArithReduction(b, loc, gpu::convertReductionKind(*reduce.getOp()),
                                       combine.getRegionIterArgs()[0], element);
        scf::YieldOp::create(b, loc, combined);
      }
      blockMapping.map(reduce.getResult(), combine.getResult(0));
    }
    launch.erase();
    return success();
  }
};

} // namespace

long tgc::test::droppedForks() { return forksDropped; }

void tgc::test::buildGPUEmulationPipeline(OpPassManager &pm, bool fusedAttention,
                                          EmulatedBranches branches, bool fusedAttentionF32) {
  tg::buildCUDAKernelMappingPipeline(pm, /*matmulEpilogues=*/true, fusedAttention,
                                     fusedAttentionF32);
  if (branches != EmulatedBranches::Off) {
    pm.addPass(tg::createTGGPUConcurrentBranches());
    pm.addPass(std::make_unique<InterleaveBranchesPass>(branches == EmulatedBranches::SideLate));
  }
  pm.addPass(std::make_unique<EmulateGPUOnCPUPass>());
  tg::buildLLVMLoweringPipeline(pm);
}

void tgc::test::registerGPUEmulationDependencies(DialectRegistry &registry) {
  tg::registerCPUPipelineDependencies(registry);
  tg::registerCUDAPipelineDependencies(registry);
}
