//===- GPURowKernels.cpp - a block per row for row reductions ------------===//
//
// A softmax, a cross-entropy or a layer norm reduces each row of a matrix
// (max, sum of exponentials, mean...) and then works on the row's elements
// with the results. tg-gpu-launch would give every row reduction one
// thread (tg-split-reductions leaves these rows, see its leave-rows), and
// every loop a kernel of its own, each reading the whole matrix again.
// Here consecutive loops over the same rows form one kernel with a block
// of threads per row, run one after another in it ("phases"):
//
//   reduction   scf.parallel over the rows around an scf.for over the row
//               (carrying its sums: tg-accumulate-in-registers): each thread
//               reduces a strided part of the row, gpu.all_reduce combines
//               the threads' results (warp shuffles and shared memory)
//   row scalar  scf.parallel over the rows (log of a sum, say)
//   elementwise scf.parallel over the rows and the row's elements
//
// Values a phase stores per row are forwarded to later phases as SSA values
// (thread 0 stores them); elements a thread needs in several phases are
// loaded once, into registers, when a thread has at most 64 of them. So a
// softmax reads its input once and writes its output once.
//
// A chain starts with a reduction and all its loops have the same static
// rows and row length (at least 256). Ops between them that the chain does
// not need (a loss's sum of per-row terms) move after the kernel when no
// later loop touches their memory or uses their results. Rows must stay
// independent: a buffer the chain writes is accessed only at the row (or
// element) being worked on, through one value, is read by earlier loops
// only within the row, and is a view of an allocation or a global that no
// other buffer of the chain views (a function argument counts as its own
// memory). An element that other threads read before a loop overwrites it
// (a cross-entropy's picked logit, before SGD updates the logits in place)
// makes the block's threads meet at a barrier before that loop.
//
//===----------------------------------------------------------------------===//

#include "passes/Delinearize.h"
#include "passes/MatmulViews.h"
#include "passes/Passes.h"
#include "passes/StaticLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tg {
#define GEN_PASS_DEF_TGGPUROWKERNELS
#include "passes/Passes.h.inc"
} // namespace mlir::tg

using namespace mlir;

namespace {

/// Shorter rows stay with tg-gpu-launch (tg-split-reductions leaves rows
/// of at least this length to this pass: keep the two equal).
constexpr int64_t kMinRowLength = 256;
/// The most elements of a row a thread keeps in registers.
constexpr int64_t kMaxElementsPerThread = 64;

enum class PhaseKind { Reduction, RowScalar, Elementwise };

// Op handles: const ones cannot call their accessors.
struct Phase {
  mutable scf::ParallelOp loop;
  PhaseKind kind;
  /// Whether the block's threads must wait for each other before the
  /// phase: it overwrites what other threads read in earlier phases.
  bool barrierBefore = false;
};

/// The all-reduce of the combining op `op` (of a reduction's iteration).
std::optional<gpu::AllReduceOperation> allReduceOf(Operation *op) {
  if (isa<arith::AddFOp>(op))
    return gpu::AllReduceOperation::ADD;
  if (isa<arith::MulFOp>(op))
    return gpu::AllReduceOperation::MUL;
  if (isa<arith::MaximumFOp>(op))
    return gpu::AllReduceOperation::MAXIMUMF;
  if (isa<arith::MinimumFOp>(op))
    return gpu::AllReduceOperation::MINIMUMF;
  if (isa<arith::MaxNumFOp>(op))
    return gpu::AllReduceOperation::MAXNUMF;
  if (isa<arith::MinNumFOp>(op))
    return gpu::AllReduceOperation::MINNUMF;
  return std::nullopt;
}

/// The combining op of iteration argument `i` of `loop` (yielded as
/// combine(argument, x) and used nowhere else), or null.
Operation *combinerOf(scf::ForOp loop, unsigned i) {
  BlockArgument argument = loop.getRegionIterArgs()[i];
  Operation *combiner = loop.getYieldedValues()[i].getDefiningOp();
  if (!combiner || !allReduceOf(combiner) || !argument.hasOneUse() ||
      combiner->getParentOp() != loop || combiner->getNumOperands() != 2 ||
      !llvm::is_contained(combiner->getOperands(), argument))
    return nullptr;
  return combiner;
}

bool hasNoRegions(Block &block) {
  return llvm::none_of(block.without_terminator(),
                       [](Operation &op) { return op.getNumRegions() > 0; });
}

/// `loop` as a phase over `rows` rows of `length` elements, if it is one.
std::optional<Phase> classify(scf::ParallelOp loop, ArrayRef<int64_t> rows, int64_t length) {
  std::optional<SmallVector<int64_t>> bounds = tg::staticTripCounts(loop);
  if (!bounds || loop.getNumReductions() != 0)
    return std::nullopt;
  Block &body = *loop.getBody();
  if (ArrayRef(*bounds) == rows) {
    SmallVector<scf::ForOp> reductions(body.getOps<scf::ForOp>());
    if (reductions.empty())
      return hasNoRegions(body) ? std::optional(Phase{loop, PhaseKind::RowScalar}) : std::nullopt;
    for (Operation &op : body.without_terminator()) {
      auto reduction = dyn_cast<scf::ForOp>(op);
      if (!reduction)
        continue;
      if (!isConstantIntValue(reduction.getLowerBound(), 0) ||
          !isConstantIntValue(reduction.getStep(), 1) ||
          !isConstantIntValue(reduction.getUpperBound(), length) ||
          reduction.getNumRegionIterArgs() == 0 || !hasNoRegions(*reduction.getBody()))
        return std::nullopt;
      // Warp shuffles move 32-bit values: narrower floats are combined
      // widened (see emit), others stay a loop per row.
      for (unsigned i = 0; i < reduction.getNumRegionIterArgs(); ++i) {
        auto type = dyn_cast<FloatType>(reduction.getRegionIterArgs()[i].getType());
        if (!combinerOf(reduction, i) || !type || type.getWidth() > 32)
          return std::nullopt;
      }
      bool writes = false;
      reduction.getBody()->walk([&](memref::StoreOp) { writes = true; });
      if (writes)
        return std::nullopt;
    }
    if (llvm::any_of(body.without_terminator(),
                     [](Operation &op) { return op.getNumRegions() > 0 && !isa<scf::ForOp>(op); }))
      return std::nullopt;
    return Phase{loop, PhaseKind::Reduction};
  }
  if (bounds->size() == rows.size() + 1 && ArrayRef(*bounds).drop_back() == rows &&
      bounds->back() == length && hasNoRegions(body))
    return Phase{loop, PhaseKind::Elementwise};
  return std::nullopt;
}

SmallVector<Value> rowIndices(const Phase &phase) {
  SmallVector<Value> ivs = phase.loop.getInductionVars();
  if (phase.kind == PhaseKind::Elementwise)
    ivs.pop_back();
  return ivs;
}

/// The memory a buffer is a view of: the global's name or the value.
const void *memoryOf(Value buffer) {
  buffer = tg::baseBuffer(buffer);
  if (auto global = buffer.getDefiningOp<memref::GetGlobalOp>())
    return global.getNameAttr().getAsOpaquePointer();
  return buffer.getAsOpaquePointer();
}

/// Whether `buffer` is a view of memory that no differently named buffer
/// can be: an allocation, a global, or an argument of the function (tgc's
/// entry points never get one buffer as two arguments; results are
/// out-parameters the caller allocates).
bool isOwnMemory(Value buffer) {
  buffer = tg::baseBuffer(buffer);
  if (auto argument = dyn_cast<BlockArgument>(buffer))
    return isa<func::FuncOp>(argument.getOwner()->getParentOp());
  return buffer.getDefiningOp<memref::AllocOp>() || buffer.getDefiningOp<memref::GetGlobalOp>();
}

enum class Access { Row, Element, Other };

/// The row element index `op` (of `phase`) runs with: the elementwise
/// loop's last index, or the reduction loop's around `op`; null for row ops.
Value columnOf(Operation *op, const Phase &phase) {
  if (phase.kind == PhaseKind::Elementwise)
    return phase.loop.getInductionVars().back();
  if (auto reduction = dyn_cast<scf::ForOp>(op->getParentOp()))
    return reduction.getInductionVar();
  return nullptr;
}

ValueRange indicesOf(Operation *access) {
  return isa<memref::LoadOp>(access) ? cast<memref::LoadOp>(access).getIndices()
                                     : cast<memref::StoreOp>(access).getIndices();
}

/// How `access` (a load or store of `phase`) indexes its buffer.
Access accessOf(Operation *access, const Phase &phase) {
  ValueRange indices = indicesOf(access);
  SmallVector<Value> row = rowIndices(phase);
  if (llvm::equal(indices, row))
    return Access::Row;
  if (Value column = columnOf(access, phase)) {
    row.push_back(column);
    if (llvm::equal(indices, row))
      return Access::Element;
  }
  return Access::Other;
}

/// Whether `access` (of `phase`) stays in the phase's row: its leading
/// indices are the row's (a cross-entropy's x[r, label]).
bool isInRow(Operation *access, const Phase &phase) {
  ValueRange indices = indicesOf(access);
  SmallVector<Value> row = rowIndices(phase);
  return indices.size() >= row.size() && llvm::equal(indices.take_front(row.size()), row);
}

/// The memory the chain so far accesses, to check that a next phase keeps
/// rows independent.
struct ChainMemory {
  /// The buffers written, each through one value and one kind of access.
  llvm::DenseMap<Value, Access> buffers;
  llvm::DenseMap<const void *, Value> memories;
  /// The reads of earlier phases: through which buffer, whether each stayed
  /// in its row, and whether each was by the thread that owns the element.
  struct Reads {
    Value buffer;
    bool sameBuffer = true, inRow = true, ownElement = true;
  };
  llvm::DenseMap<const void *, Reads> reads;

  /// Whether `phase` can join; records its accesses and whether it needs a
  /// barrier when it can.
  bool admit(Phase &phase) {
    ChainMemory updated = *this;
    bool ok = true;
    phase.loop.getBody()->walk([&](memref::StoreOp store) {
      Access access = accessOf(store, phase);
      Value buffer = store.getMemRef();
      if (access != (phase.kind == PhaseKind::Elementwise ? Access::Element : Access::Row))
        ok = false;
      auto known = updated.buffers.find(buffer);
      if (access == Access::Other || !isOwnMemory(buffer) ||
          (known != updated.buffers.end() && known->second != access))
        ok = false;
      updated.buffers[buffer] = access;
      auto [memory, inserted] = updated.memories.try_emplace(memoryOf(buffer), buffer);
      if (!inserted && memory->second != buffer)
        ok = false;
      // Earlier phases read it: in the row, through the same buffer, and
      // when not each thread its own elements, before a barrier.
      auto read = reads.find(memoryOf(buffer));
      if (read != reads.end()) {
        const Reads &earlier = read->second;
        if (!earlier.sameBuffer || earlier.buffer != buffer || !earlier.inRow)
          ok = false;
        if (!earlier.ownElement || access != Access::Element)
          phase.barrierBefore = true;
      }
    });
    phase.loop.getBody()->walk([&](Operation *op) {
      for (Value operand : op->getOperands()) {
        if (!isa<BaseMemRefType>(operand.getType()))
          continue;
        auto load = dyn_cast<memref::LoadOp>(op);
        // Reads of a row value an earlier phase stores are forwarded.
        auto written = buffers.find(operand);
        bool forwarded = load && written != buffers.end() && written->second == Access::Row &&
                         accessOf(load, phase) == Access::Row;
        if (!isa<memref::StoreOp>(op) && !forwarded) {
          auto [entry, inserted] = updated.reads.try_emplace(memoryOf(operand), Reads{operand});
          Reads &summary = entry->second;
          summary.sameBuffer &= summary.buffer == operand && load;
          summary.inRow &= load && isInRow(load, phase);
          summary.ownElement &= load && accessOf(load, phase) == Access::Element;
        }
        auto memory = updated.memories.find(memoryOf(operand));
        if (memory == updated.memories.end())
          continue;
        if (memory->second != operand ||
            (load && accessOf(load, phase) != updated.buffers[operand]) ||
            (!load && !isa<memref::StoreOp>(op)))
          ok = false;
      }
    });
    if (ok)
      *this = std::move(updated);
    return ok;
  }
};

/// Whether `a` and `b` may be views of the same memory.
bool mayAlias(Value a, Value b) {
  if (!isOwnMemory(a) || !isOwnMemory(b))
    return true;
  return memoryOf(a) == memoryOf(b);
}

/// Ops between the loops of a chain that the chain does not need (a loss's
/// sum of its per-row terms): they move after the chain's kernel, when no
/// later phase touches what they touch or uses what they compute.
struct DeferredOps {
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 8> set;

  /// Whether `op` must wait with them: it uses one of them or has effects.
  bool mustDefer(Operation *op) const {
    if (llvm::any_of(op->getOperands(),
                     [&](Value operand) { return set.contains(operand.getDefiningOp()); }))
      return true;
    return op->getNumRegions() > 0 || !(isMemoryEffectFree(op) || isa<memref::AllocOp>(op));
  }

  void add(Operation *op) {
    ops.push_back(op);
    set.insert(op);
  }

  /// Whether `phase` can run before them.
  bool allowPassing(const Phase &phase) const {
    if (ops.empty())
      return true;
    bool usesThem = false;
    phase.loop.walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        usesThem |= set.contains(operand.getDefiningOp());
    });
    if (usesThem)
      return false;
    std::optional<SmallVector<MemoryEffects::EffectInstance>> phaseEffects =
        getEffectsRecursively(phase.loop);
    if (!phaseEffects)
      return false;
    for (Operation *op : ops) {
      std::optional<SmallVector<MemoryEffects::EffectInstance>> effects = getEffectsRecursively(op);
      if (!effects)
        return false;
      for (const MemoryEffects::EffectInstance &mine : *effects)
        for (const MemoryEffects::EffectInstance &theirs : *phaseEffects) {
          if (isa<MemoryEffects::Read>(mine.getEffect()) &&
              isa<MemoryEffects::Read>(theirs.getEffect()))
            continue;
          if (!mine.getValue() || !theirs.getValue() ||
              mayAlias(mine.getValue(), theirs.getValue()))
            return false;
        }
    }
    return true;
  }
};

/// Builds the kernel of a chain of phases.
class RowKernelBuilder {
public:
  RowKernelBuilder(ArrayRef<Phase> phases, ArrayRef<int64_t> rows, int64_t length)
      : phases(phases), rows(rows), length(length) {
    threads = length >= 16384 ? 1024 : length >= 4096 ? 512 : 256;
    perThread = llvm::divideCeil(length, threads);
  }

  gpu::LaunchOp build() {
    Operation *last = phases.back().loop;
    Location loc = phases.front().loop.getLoc();
    OpBuilder b(last);
    int64_t rowCount = 1;
    for (int64_t r : rows)
      rowCount *= r;
    auto index = [&](OpBuilder &builder, int64_t v) {
      return arith::ConstantIndexOp::create(builder, loc, v).getResult();
    };
    auto launch = gpu::LaunchOp::create(b, loc, index(b, rowCount), index(b, 1), index(b, 1),
                                        index(b, threads), index(b, 1), index(b, 1));
    body = OpBuilder::atBlockBegin(&launch.getBody().front());
    gpu::TerminatorOp::create(body, loc);
    body.setInsertionPointToStart(&launch.getBody().front());
    this->loc = loc;
    thread = launch.getThreadIds().x;
    isFirstThread =
        arith::CmpIOp::create(body, loc, arith::CmpIPredicate::eq, thread, index(body, 0));
    // The row from the block (row-major).
    rowValues = tg::delinearize(
        body, loc, launch.getBlockIds().x,
        llvm::map_to_vector(rows, [&](int64_t count) { return index(body, count); }));
    loadRowInputs();
    if (perThread <= kMaxElementsPerThread) {
      for (int64_t i = 0; i < perThread; ++i) {
        Value offset = arith::AddIOp::create(body, loc, thread, index(body, i * threads));
        columns.push_back(offset);
        if ((i + 1) * threads > length) { // the last, partial stride
          inRange = arith::CmpIOp::create(body, loc, arith::CmpIPredicate::ult, offset,
                                          index(body, length));
          safeColumn = arith::MinUIOp::create(body, loc, offset, index(body, length - 1));
        }
      }
      cacheRepeatedReads();
    }
    for (auto [index, phase] : llvm::enumerate(phases)) {
      phaseIndex = index;
      if (phase.barrierBefore)
        gpu::BarrierOp::create(body, loc);
      emit(phase);
    }
    for (const Phase &phase : phases)
      phase.loop.erase();
    return launch;
  }

private:
  /// Loads once, at the start, each row value the chain reads but does not
  /// write (a label): LLVM cannot hoist a load past the chain's stores.
  void loadRowInputs() {
    llvm::DenseSet<const void *> written;
    for (const Phase &phase : phases)
      phase.loop.getBody()->walk(
          [&](memref::StoreOp store) { written.insert(memoryOf(store.getMemRef())); });
    for (const Phase &phase : phases)
      phase.loop.getBody()->walk([&](memref::LoadOp load) {
        Value buffer = load.getMemRef();
        if (accessOf(load, phase) == Access::Row && !written.contains(memoryOf(buffer)) &&
            !rowInputs.count(buffer))
          rowInputs[buffer] = memref::LoadOp::create(body, loc, buffer, rowValues);
      });
  }

  /// Loads into registers the elements that several phases read, for the
  /// phases before the first that writes them (caching an in-place update's
  /// elements through the update made ptxas spill).
  void cacheRepeatedReads() {
    for (int64_t index = 0, e = phases.size(); index < e; ++index)
      phases[index].loop.getBody()->walk(
          [&](memref::StoreOp store) { cachedUntil.try_emplace(store.getMemRef(), index - 1); });
    // In the order of first reads: the kernel is the same from run to run.
    llvm::MapVector<Value, int> phasesReading;
    for (int64_t index = 0, e = phases.size(); index < e; ++index) {
      llvm::SetVector<Value> read;
      phases[index].loop.getBody()->walk([&](memref::LoadOp load) {
        if (accessOf(load, phases[index]) == Access::Element && isCached(load.getMemRef(), index))
          read.insert(load.getMemRef());
      });
      for (Value buffer : read)
        ++phasesReading[buffer];
    }
    for (auto [buffer, count] : phasesReading) {
      if (count < 2)
        continue;
      SmallVector<Value> &values = cached[buffer];
      for (int64_t i = 0; i < perThread; ++i) {
        SmallVector<Value> indices(rowValues);
        indices.push_back(isPartial(i) ? safeColumn : columns[i]);
        values.push_back(memref::LoadOp::create(body, loc, buffer, indices));
      }
    }
  }

  bool isPartial(int64_t i) const { return (i + 1) * threads > length; }

  /// Whether phase `index` may read `buffer`'s elements from registers.
  bool isCached(Value buffer, int64_t index) const {
    auto until = cachedUntil.find(buffer);
    return until == cachedUntil.end() || index <= until->second;
  }

  /// Clones `op` for element stride `i` (-1: a row op), forwarding row
  /// values, cached elements and guarding row stores.
  void cloneOp(OpBuilder &builder, Operation &op, const Phase &phase, IRMapping &mapping,
               int64_t i) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      Access access = accessOf(load, phase);
      auto forwarded = rowStores.find(load.getMemRef());
      if (access == Access::Row && forwarded != rowStores.end()) {
        mapping.map(load.getResult(), forwarded->second);
        return;
      }
      auto input = rowInputs.find(load.getMemRef());
      if (access == Access::Row && input != rowInputs.end()) {
        mapping.map(load.getResult(), input->second);
        return;
      }
      auto values = cached.find(load.getMemRef());
      if (access == Access::Element && i >= 0 && values != cached.end() &&
          isCached(load.getMemRef(), phaseIndex)) {
        mapping.map(load.getResult(), values->second[i]);
        return;
      }
    }
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (accessOf(store, phase) == Access::Row) {
        Value value = mapping.lookupOrDefault(store.getValueToStore());
        rowStores[store.getMemRef()] = value;
        auto guard = scf::IfOp::create(builder, loc, isFirstThread, /*withElseRegion=*/false);
        OpBuilder then = guard.getThenBodyBuilder();
        then.clone(op, mapping);
        return;
      }
    }
    builder.clone(op, mapping);
  }

  void mapRows(const Phase &phase, IRMapping &mapping) {
    for (auto [iv, value] : llvm::zip(rowIndices(phase), rowValues))
      mapping.map(iv, value);
  }

  void emit(const Phase &phase) {
    IRMapping mapping;
    mapRows(phase, mapping);
    Block &loopBody = *phase.loop.getBody();
    if (phase.kind == PhaseKind::RowScalar) {
      for (Operation &op : loopBody.without_terminator())
        cloneOp(body, op, phase, mapping, -1);
      return;
    }
    if (phase.kind == PhaseKind::Elementwise) {
      Value column = phase.loop.getInductionVars().back();
      emitStrides(
          column,
          [&](OpBuilder &builder, int64_t i) {
            for (Operation &op : loopBody.without_terminator())
              cloneOp(builder, op, phase, mapping, i);
          },
          mapping);
      return;
    }
    for (Operation &op : loopBody.without_terminator()) {
      auto reduction = dyn_cast<scf::ForOp>(op);
      if (!reduction) {
        cloneOp(body, op, phase, mapping, -1);
        continue;
      }
      // Each thread's part of the row, from the neutral elements.
      SmallVector<Operation *> combiners;
      SmallVector<Value> partials;
      for (unsigned a = 0; a < reduction.getNumRegionIterArgs(); ++a) {
        combiners.push_back(combinerOf(reduction, a));
        partials.push_back(
            arith::ConstantOp::create(body, loc, *arith::getNeutralElement(combiners.back())));
      }
      emitReductionStrides(phase, reduction, partials, mapping);
      for (unsigned a = 0; a < partials.size(); ++a) {
        // The threads' partials of a bf16 or f16 reduction combine in f32
        // (shuffles move 32 bits): exact for a max, one rounding for a sum.
        Type type = partials[a].getType();
        Value partial = partials[a];
        if (type.getIntOrFloatBitWidth() < 32)
          partial = arith::ExtFOp::create(body, loc, body.getF32Type(), partial);
        Value all = gpu::AllReduceOp::create(
            body, loc, partial,
            gpu::AllReduceOperationAttr::get(body.getContext(), *allReduceOf(combiners[a])),
            /*uniform=*/true);
        if (all.getType() != type)
          all = arith::TruncFOp::create(body, loc, type, all);
        Value initial = mapping.lookupOrDefault(reduction.getInitArgs()[a]);
        IRMapping combine;
        combine.map(combiners[a]->getOperand(0), initial);
        combine.map(combiners[a]->getOperand(1), all);
        mapping.map(reduction.getResult(a), body.clone(*combiners[a], combine)->getResult(0));
      }
    }
  }

  /// Runs `emitStride(builder, i)` for each of the thread's elements, with
  /// `column` mapped to it: unrolled (the partial stride guarded) when a
  /// thread has few, else in a loop.
  void emitStrides(Value column, llvm::function_ref<void(OpBuilder &, int64_t)> emitStride,
                   IRMapping &mapping) {
    if (columns.empty()) {
      auto loop =
          scf::ForOp::create(body, loc, thread, arith::ConstantIndexOp::create(body, loc, length),
                             arith::ConstantIndexOp::create(body, loc, threads));
      OpBuilder inLoop = OpBuilder::atBlockBegin(loop.getBody());
      inLoop.setInsertionPoint(loop.getBody()->getTerminator());
      mapping.map(column, loop.getInductionVar());
      emitStride(inLoop, -1);
      return;
    }
    for (int64_t i = 0; i < perThread; ++i) {
      mapping.map(column, columns[i]);
      if (!isPartial(i)) {
        emitStride(body, i);
        continue;
      }
      auto guard = scf::IfOp::create(body, loc, inRange, /*withElseRegion=*/false);
      OpBuilder then = guard.getThenBodyBuilder();
      emitStride(then, i);
    }
  }

  /// Folds the thread's elements into `partials`.
  void emitReductionStrides(const Phase &phase, scf::ForOp reduction, SmallVector<Value> &partials,
                            IRMapping &mapping) {
    auto foldStride = [&](OpBuilder &builder, int64_t i, ValueRange accumulators) {
      for (auto [argument, accumulator] : llvm::zip(reduction.getRegionIterArgs(), accumulators))
        mapping.map(argument, accumulator);
      mapping.map(reduction.getInductionVar(), i >= 0 && isPartial(i)
                                                   ? safeColumn
                                                   : mapping.lookup(reduction.getInductionVar()));
      for (Operation &op : reduction.getBody()->without_terminator())
        cloneOp(builder, op, phase, mapping, i);
      SmallVector<Value> next;
      for (Value yielded : reduction.getYieldedValues())
        next.push_back(mapping.lookupOrDefault(yielded));
      return next;
    };
    if (columns.empty()) {
      auto loop =
          scf::ForOp::create(body, loc, thread, arith::ConstantIndexOp::create(body, loc, length),
                             arith::ConstantIndexOp::create(body, loc, threads), partials);
      OpBuilder inLoop(loop.getBody(), loop.getBody()->end());
      mapping.map(reduction.getInductionVar(), loop.getInductionVar());
      SmallVector<Value> next = foldStride(inLoop, -1, loop.getRegionIterArgs());
      scf::YieldOp::create(inLoop, loc, next);
      partials.assign(loop.getResults().begin(), loop.getResults().end());
      return;
    }
    for (int64_t i = 0; i < perThread; ++i) {
      mapping.map(reduction.getInductionVar(), columns[i]);
      SmallVector<Value> next = foldStride(body, i, partials);
      for (auto [partial, value] : llvm::zip(partials, next))
        partial =
            isPartial(i) ? arith::SelectOp::create(body, loc, inRange, value, partial) : value;
    }
  }

  ArrayRef<Phase> phases;
  ArrayRef<int64_t> rows;
  int64_t length;
  int64_t threads = 256, perThread = 1;
  OpBuilder body{static_cast<MLIRContext *>(nullptr)};
  Location loc = UnknownLoc();
  Value thread, isFirstThread, inRange, safeColumn;
  SmallVector<Value> rowValues, columns;
  llvm::DenseMap<Value, SmallVector<Value>> cached;
  llvm::DenseMap<Value, Value> rowInputs;
  /// The last phase that reads each written buffer from registers.
  llvm::DenseMap<Value, int64_t> cachedUntil;
  int64_t phaseIndex = 0;
  llvm::DenseMap<Value, Value> rowStores;
};

struct TGGPURowKernels : tg::impl::TGGPURowKernelsBase<TGGPURowKernels> {
  void runOnOperation() override {
    SmallVector<Block *> blocks;
    getOperation()->walk([&](func::FuncOp function) {
      for (Block &block : function.getBody())
        blocks.push_back(&block);
    });
    for (Block *block : blocks)
      mapBlock(*block);
  }

  void mapBlock(Block &block) {
    for (Operation *op = &block.front(); op; op = op->getNextNode()) {
      auto first = dyn_cast<scf::ParallelOp>(op);
      if (!first)
        continue;
      std::optional<SmallVector<int64_t>> rows = tg::staticTripCounts(first);
      scf::ForOp reduction;
      for (auto loop : first.getBody()->getOps<scf::ForOp>())
        reduction = loop;
      std::optional<int64_t> length =
          reduction ? getConstantIntValue(reduction.getUpperBound()) : std::nullopt;
      if (!rows || !length || *length < kMinRowLength)
        continue;
      std::optional<Phase> phase = classify(first, *rows, *length);
      ChainMemory memory;
      if (!phase || phase->kind != PhaseKind::Reduction || !memory.admit(*phase))
        continue;
      SmallVector<Phase> chain{*phase};
      DeferredOps deferred;
      size_t deferredInChain = 0;
      for (Operation *next = first->getNextNode(); next; next = next->getNextNode()) {
        auto loop = dyn_cast<scf::ParallelOp>(next);
        std::optional<Phase> joining;
        if (loop && (joining = classify(loop, *rows, *length))) {
          if (!deferred.allowPassing(*joining) || !memory.admit(*joining))
            break;
          chain.push_back(*joining);
          deferredInChain = deferred.ops.size();
          continue;
        }
        if (next->hasTrait<OpTrait::IsTerminator>())
          break;
        if (deferred.mustDefer(next))
          deferred.add(next);
      }
      op = RowKernelBuilder(chain, *rows, *length).build();
      Operation *after = op;
      for (Operation *passed : ArrayRef(deferred.ops).take_front(deferredInChain)) {
        passed->moveAfter(after);
        after = passed;
      }
      ++numChains;
      numLoops += chain.size();
    }
  }
};

} // namespace
