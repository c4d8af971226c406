//===- GPUConcurrentBranches.cpp - independent device work on a second stream ===//
//
// A small model's backward pass is a chain of small kernels and GEMMs, each
// filling a few of the GPU's SMs, with independent work beside it: a
// weight's gradient GEMM does not feed the next layer's input gradient, nor
// does a bias gradient. Run in one stream, every one of them waits for the
// one before. Here the device work of a host function (gpu.launch, and the
// runtime's cuBLAS and attention calls) is split between the main stream and
// a side one (runtime/Cuda.cpp, tgc_cuda_fork .. tgc_cuda_join; in a CUDA
// graph, parallel branches):
//
//  - Dependences: two pieces of work depend when one writes memory the other
//    reads or writes (BufferAccessAnalysis: roots through views; a launch's
//    accesses are its body's, a runtime call's its operands', the results
//    written).
//  - The main stream runs the longest path of the dependence graph (work
//    weighted: a library call 3, a kernel 1), in program order; everything
//    else runs on the side stream, in program order too.
//  - A piece of work waits for the latest work of the other stream it
//    depends on (tgc_cuda_signal after that work, tgc_cuda_wait before this
//    one), unless an earlier wait of its stream covers it. The first side
//    work forks (the side stream waits for everything before), and the
//    main stream joins the side one (waits for all of it) before any other
//    operation with effects (a copy, a call of something else, the return):
//    those see all earlier work done, as with one stream.
//  - Device memory freed between the fork and the join is reused only after
//    the join (the runtime defers it: one stream may still use it); a
//    deallocation that would defer more than `max-deferred-bytes` joins
//    first.
//
// The schedule is checked before the pass ends: the branch calls are
// replayed as the runtime runs them, and every dependence must be ordered.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferAccesses.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUCONCURRENTBRANCHES
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;
using namespace mlir::tg;

namespace {

constexpr StringLiteral kFork = "tgc_cuda_fork", kUseStream = "tgc_cuda_use_stream",
                        kSignal = "tgc_cuda_signal", kWait = "tgc_cuda_wait",
                        kJoin = "tgc_cuda_join";

/// The operands a runtime call of device work writes (it reads all of its
/// memref operands); nullopt for any other callee.
std::optional<SmallVector<unsigned>> writtenOperands(StringRef callee) {
  // (a, b, c, accumulate) and (a, b, bias, c, epilogue): c.
  if (callee.starts_with("tgc_cuda_matmul_bias_"))
    return SmallVector<unsigned>{3};
  if (callee.starts_with("tgc_cuda_matmul_"))
    return SmallVector<unsigned>{2};
  // (q, k, v, out, lse, ...) and (q, k, v, out, dout, lse, dq, dk, dv, delta, ...).
  if (callee == "tgc_cuda_attention_forward_bf16" || callee == "tgc_cuda_attention_forward_f32")
    return SmallVector<unsigned>{3, 4};
  if (callee == "tgc_cuda_attention_backward_bf16" || callee == "tgc_cuda_attention_backward_f32")
    return SmallVector<unsigned>{6, 7, 8, 9};
  return std::nullopt;
}

/// A piece of device work: what it touches, how costly it is taken to be,
/// and where it runs.
struct Work {
  Operation *op;
  SmallVector<BufferAccess> accesses;
  int64_t weight;
  int stream = 0; // 0: main, 1: side
};

bool conflict(const Work &later, const Work &earlier) {
  for (const BufferAccess &a : later.accesses)
    for (const BufferAccess &b : earlier.accesses)
      if ((a.write || b.write) && a.root.mayAlias(b.root))
        return true;
  return false;
}

/// The accesses of `op` when it is device work, else nullopt.
std::optional<SmallVector<BufferAccess>> deviceWork(Operation *op, BufferAccessAnalysis &analysis) {
  if (isa<gpu::LaunchOp>(op))
    return analysis.accesses(op);
  auto call = dyn_cast<func::CallOp>(op);
  if (!call)
    return std::nullopt;
  std::optional<SmallVector<unsigned>> written = writtenOperands(call.getCallee());
  if (!written)
    return std::nullopt;
  SmallVector<BufferAccess> accesses;
  for (OpOperand &operand : call->getOpOperands())
    if (isa<BaseMemRefType>(operand.get().getType()))
      accesses.push_back({analysis.rootOf(operand.get()),
                          llvm::is_contained(*written, operand.getOperandNumber())});
  return accesses;
}

/// Bytes of a statically shaped memref; a dynamic one counts as too many.
int64_t bytesOf(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape() || !memref.getElementType().isIntOrFloat())
    return std::numeric_limits<int64_t>::max() / 2;
  return memref.getNumElements() * ((memref.getElementTypeBitWidth() + 7) / 8);
}

struct TGGPUConcurrentBranches : tg::impl::TGGPUConcurrentBranchesBase<TGGPUConcurrentBranches> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    BufferAccessAnalysis analysis(module);
    SmallVector<func::FuncOp> functions;
    for (auto function : module.getOps<func::FuncOp>())
      if (!function.isExternal())
        functions.push_back(function);
    for (func::FuncOp function : functions) {
      // Only the body's own block: work nested in control flow stays as is
      // (an op holding it has effects, so every stream is joined there).
      SmallVector<SmallVector<Work>> segments = segmentsOf(function.getBody().front(), analysis);
      for (SmallVector<Work> &segment : segments)
        if (schedule(segment))
          emit(segment);
      if (failed(verify(function, analysis)))
        return signalPassFailure();
    }
  }

  /// The runs of device work between operations with other effects (which
  /// see every stream joined).
  SmallVector<SmallVector<Work>> segmentsOf(Block &block, BufferAccessAnalysis &analysis) {
    SmallVector<SmallVector<Work>> segments(1);
    for (Operation &op : block) {
      if (std::optional<SmallVector<BufferAccess>> accesses = deviceWork(&op, analysis)) {
        segments.back().push_back({&op, std::move(*accesses), isa<func::CallOp>(op) ? 3 : 1});
        continue;
      }
      if (isMemoryEffectFree(&op) || isa<gpu::AllocOp, gpu::DeallocOp>(op))
        continue;
      if (!segments.back().empty())
        segments.emplace_back();
    }
    return segments;
  }

  /// Puts the longest path of `segment`'s dependence graph on the main
  /// stream, the rest on the side one; false when nothing is on the side.
  bool schedule(SmallVector<Work> &segment) {
    size_t count = segment.size();
    if (count < 2)
      return false;
    SmallVector<SmallVector<size_t>> successors(count);
    SmallVector<bool> hasPredecessor(count, false);
    for (size_t later = 0; later < count; ++later)
      for (size_t earlier = 0; earlier < later; ++earlier)
        if (conflict(segment[later], segment[earlier])) {
          successors[earlier].push_back(later);
          hasPredecessor[later] = true;
        }
    // The weight of the heaviest path from each piece of work on.
    SmallVector<int64_t> height(count, 0);
    for (size_t i = count; i-- > 0;) {
      int64_t after = 0;
      for (size_t successor : successors[i])
        after = std::max(after, height[successor]);
      height[i] = segment[i].weight + after;
    }
    auto heaviest = [&](auto &&candidates) {
      std::optional<size_t> best;
      for (size_t candidate : candidates)
        if (!best || height[candidate] > height[*best])
          best = candidate;
      return best;
    };
    for (Work &work : segment)
      work.stream = 1;
    std::optional<size_t> next = heaviest(llvm::make_filter_range(
        llvm::seq<size_t>(0, count), [&](size_t i) { return !hasPredecessor[i]; }));
    for (; next; next = heaviest(successors[*next]))
      segment[*next].stream = 0;
    return llvm::any_of(segment, [](const Work &work) { return work.stream == 1; });
  }

  /// Emits the branch calls of a scheduled segment.
  void emit(ArrayRef<Work> segment) {
    // Per stream: the index in `segment` of the latest work of the other
    // stream that it is known to run after (-1: none).
    int64_t ordered[2] = {-1, -1};
    int current = 0;
    bool forked = false;
    int64_t deferredBytes = 0;
    llvm::DenseMap<size_t, int32_t> eventAfter; // work -> its event
    auto call = [&](Operation *before, StringRef name, std::optional<int32_t> argument = {}) {
      OpBuilder b(before);
      Location loc = before->getLoc();
      SmallVector<Value> operands;
      if (argument)
        operands.push_back(arith::ConstantIntOp::create(b, loc, *argument, 32));
      func::CallOp::create(b, loc, declare(name, argument.has_value()), operands);
    };
    size_t position = 0; // of the next work
    auto join = [&](Operation *before) {
      call(before, kJoin);
      forked = false;
      current = 0;
      deferredBytes = 0;
      ordered[0] = static_cast<int64_t>(position) - 1; // all the side's work so far
    };
    Operation *end = segment.back().op->getNextNode();
    for (Operation *op = segment.front().op; op != end; op = op->getNextNode()) {
      if (auto dealloc = dyn_cast<gpu::DeallocOp>(op)) {
        if (!forked)
          continue;
        deferredBytes += bytesOf(dealloc.getMemref().getType());
        if (deferredBytes > maxDeferredBytes)
          join(op);
        continue;
      }
      if (position == segment.size() || op != segment[position].op)
        continue;
      const Work &work = segment[position];
      int stream = work.stream;
      if (stream == 1 && !forked) {
        call(op, kFork);
        forked = true;
        ordered[1] = static_cast<int64_t>(position) - 1; // everything before
      }
      if (forked && stream != current) {
        call(op, kUseStream, stream);
        current = stream;
      }
      // The latest work of the other stream this depends on, if not
      // ordered already.
      std::optional<size_t> latest;
      for (size_t earlier = position; earlier-- > 0 && int64_t(earlier) > ordered[stream];)
        if (segment[earlier].stream != stream && conflict(work, segment[earlier])) {
          latest = earlier;
          break;
        }
      if (latest) {
        auto [it, inserted] = eventAfter.try_emplace(*latest, int32_t(eventAfter.size()));
        if (inserted) // right after that work (a terminator follows it at least)
          call(segment[*latest].op->getNextNode(), kSignal, it->second);
        call(op, kWait, it->second);
        ordered[stream] = static_cast<int64_t>(*latest);
      }
      ++position;
    }
    // Right after the last work (a block's work is followed by its
    // terminator at least).
    if (forked)
      join(end);
  }

  /// The declaration of runtime function `name` ((i32) -> () or () -> ()).
  func::FuncOp declare(StringRef name, bool takesI32) {
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    SmallVector<Type> inputs;
    if (takesI32)
      inputs.push_back(b.getI32Type());
    auto function = func::FuncOp::create(b, module.getLoc(), name, b.getFunctionType(inputs, {}));
    function.setPrivate();
    return function;
  }

  /// Replays `function`'s branch calls as the runtime runs them and checks
  /// that every two pieces of device work that depend on each other are
  /// ordered: on one stream, or through an event, a fork or a join.
  LogicalResult verify(func::FuncOp function, BufferAccessAnalysis &analysis) {
    struct Issued {
      SmallVector<BufferAccess> accesses;
      int stream;
      int64_t index;
    };
    SmallVector<Issued> issued;
    // Per stream: the latest issued index of each stream it runs after.
    int64_t clock[2][2] = {{-1, -1}, {-1, -1}};
    llvm::DenseMap<int64_t, std::array<int64_t, 2>> events;
    bool forked = false;
    int current = 0;
    auto constant = [](func::CallOp call) {
      return getConstantIntValue(call.getOperand(0)).value_or(-1);
    };
    for (Operation &op : function.getBody().front()) {
      if (auto call = dyn_cast<func::CallOp>(op)) {
        StringRef callee = call.getCallee();
        if (callee == kFork && !forked) {
          forked = true;
          for (int s = 0; s < 2; ++s)
            clock[1][s] = std::max(clock[1][s], clock[0][s]);
          continue;
        }
        if (callee == kJoin) {
          for (int s = 0; s < 2; ++s)
            clock[0][s] = std::max(clock[0][s], clock[1][s]);
          forked = false;
          current = 0;
          continue;
        }
        if (callee == kUseStream) {
          if (forked)
            current = int(constant(call));
          continue;
        }
        if (callee == kSignal) {
          if (forked)
            events[constant(call)] = {clock[current][0], clock[current][1]};
          continue;
        }
        if (callee == kWait) {
          auto recorded = events.find(constant(call));
          if (forked && recorded == events.end())
            return call.emitError("internal error: tg-gpu-concurrent-branches waits for an "
                                  "event it never signalled");
          if (forked)
            for (int s = 0; s < 2; ++s)
              clock[current][s] = std::max(clock[current][s], recorded->second[s]);
          continue;
        }
      }
      std::optional<SmallVector<BufferAccess>> accesses = deviceWork(&op, analysis);
      if (!accesses) {
        if (forked && !isMemoryEffectFree(&op) && !isa<gpu::AllocOp, gpu::DeallocOp>(op))
          return op.emitError("internal error: tg-gpu-concurrent-branches left a branch "
                              "open across this operation");
        continue;
      }
      Issued work{std::move(*accesses), forked ? current : 0, int64_t(issued.size())};
      for (const Issued &earlier : issued) {
        if (earlier.stream == work.stream || clock[work.stream][earlier.stream] >= earlier.index)
          continue;
        for (const BufferAccess &a : work.accesses)
          for (const BufferAccess &b : earlier.accesses)
            if ((a.write || b.write) && a.root.mayAlias(b.root))
              return op.emitError("internal error: tg-gpu-concurrent-branches runs this "
                                  "concurrently with work it depends on");
      }
      clock[work.stream][work.stream] = work.index;
      issued.push_back(std::move(work));
    }
    return success();
  }
};

} // namespace
